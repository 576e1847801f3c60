/* bouncetmpl.c - the default bounce templates (see bouncetmpl.h) */
#include "config.h"

#include <stddef.h>

#include "cfg/schema/bouncetmpl.h"

#define FROM "Mail Delivery System <MAILER-DAEMON>"
#define HELLO "This is the mail system at host $myhostname.\n\n"
#define HELP                                                                                       \
	"For further assistance, please send mail to postmaster.\n\n"                              \
	"If you do so, please include this problem report. You can\n"                              \
	"delete your own text from the attached returned message.\n\n"
#define BYE "                   The mail system\n"

static const struct cfg_bounce_template defaults[CFG_BOUNCE_NKINDS] = {
    [CFG_BOUNCE_FAILURE] =
        {"failure_template", "us-ascii", FROM, "Undelivered Mail Returned to Sender",
         "Postmaster Copy: Undelivered Mail",
         HELLO "I'm sorry to have to inform you that your message could not\n"
               "be delivered to one or more recipients. It's attached below.\n\n" HELP BYE},
    [CFG_BOUNCE_DELAY] =
        {"delay_template", "us-ascii", FROM, "Delayed Mail (still being retried)",
         "Postmaster Warning: Delayed Mail",
         HELLO
         "####################################################################\n"
         "# THIS IS A WARNING ONLY.  YOU DO NOT NEED TO RESEND YOUR MESSAGE. #\n"
         "####################################################################\n\n"
         "Your message could not be delivered for more than $delay_warning_time_hours "
         "hour(s).\n"
         "It will be retried until it is $maximal_queue_lifetime_days day(s) old.\n\n" HELP BYE},
    [CFG_BOUNCE_SUCCESS] = {"success_template", "us-ascii", FROM, "Successful Mail Delivery Report",
                            NULL,
                            HELLO
                            "Your message was successfully delivered to the destination(s)\n"
                            "listed below. If the message was delivered to mailbox you will\n"
                            "receive no further notifications. Otherwise you may still receive\n"
                            "notifications of mail delivery errors from other systems.\n\n" BYE},
    [CFG_BOUNCE_VERIFY] = {"verify_template", "us-ascii", FROM, "Mail Delivery Status Report", NULL,
                           HELLO
                           "Enclosed is the mail delivery report that you requested.\n\n" BYE},
};

/* cfg_bounce_kind_name - the word Postfix's messages use for a kind of template */
const char *cfg_bounce_kind_name(enum cfg_bounce_kind kind)
{
	static const char *const names[CFG_BOUNCE_NKINDS] = {"failure", "delay", "success",
	                                                     "verify"};

	return names[kind < CFG_BOUNCE_NKINDS ? kind : CFG_BOUNCE_FAILURE];
}

/* cfg_bounce_template_default - a row of defaults */
const struct cfg_bounce_template *cfg_bounce_template_default(enum cfg_bounce_kind kind)
{
	return &defaults[kind < CFG_BOUNCE_NKINDS ? kind : CFG_BOUNCE_FAILURE];
}
