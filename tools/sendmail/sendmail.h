/*
 * sendmail.h - the sendmail command: its options and the parts that share them
 *
 * main.c parses the options and runs a mode (most of them by running
 * another program: postqueue, postalias, postfix, smtpd -S); enqueue.c
 * posts a message through postdrop; addrlist.c splits address lists the
 * way Postfix's RFC 822 parser does.  Every fatal error exits 75
 * (EX_TEMPFAIL), as Postfix's sendmail does whatever went wrong.
 */
#ifndef SENDMAIL_H
#define SENDMAIL_H

#include "cfg/base/strvec.h"
#include "conf.h"

#define SM_EX_TEMPFAIL 75

enum sm_mode {
	SM_ENQUEUE, /* -bm, the default */
	SM_NEWALIAS,
	SM_MAILQ,
	SM_DAEMON,
	SM_USER, /* -bs */
	SM_FLUSHQ,
	SM_IGNORE,
};

struct sm_opts {
	enum sm_mode mode;
	const char *config_dir; /* -C, or NULL */
	const char *sender;     /* -f / -r as given */
	const char *full_name;  /* -F */
	const char *rewrite_context;
	const char *envid; /* -V */
	const char *ret;   /* -R: "full" or "hdrs" */
	const char *body;  /* -B: "8bit" or "7bit", the encoding cleanup records */
	const char *site_to_flush;
	const char *id_to_flush;
	const char *qtime;
	int extract;  /* -t */
	int dot_ends; /* a lone "." ends the message (no -i) */
	int verify;   /* -bv */
	int verbose;  /* -v count */
	unsigned notify;
	char **rcpts; /* the arguments after the options */
	int nrcpts;
};

/* sm_fatal - "sendmail: fatal: ..." and exit 75 */
_Noreturn void sm_fatal(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* sm_enqueue - post the message on stdin (or the -bv probe); returns the exit status */
int sm_enqueue(struct sm_opts *o, struct mta_conf *c);

/*
 * addrlist_parse - the addresses of an RFC 822 address list, in internal
 * (unquoted) form, as Postfix's tok822_parse() finds them: commas, and
 * missing commas between words, separate addresses; a phrase before
 * <address> and comments are dropped; "group: a, b;" gives a and b.
 * Whitespace (a newline too) only separates words.
 */
void addrlist_parse(const char *text, struct cfg_strvec *out);

#endif
