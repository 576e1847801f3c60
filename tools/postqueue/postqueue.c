/*
 * postqueue - the user's view of the mail queue
 *
 * postqueue [-v] [-c config_dir] -f | -i queue_id | -j | -p | -s site
 *   -p  list the queue in the mailq format (mailq, sendmail -bp)
 *   -j  list it as JSON, one object per message
 *   -f  flush: deferred mail now, and the maildrop (sendmail -q)
 *   -s  flush the deferred mail for a site of fast_flush_domains (sendmail -qR)
 *   -i  flush one deferred message (sendmail -qI)
 * As in Postfix: the listing comes from the showq service, which runs as
 * mail_owner; when it cannot be reached, root reads the queue directly
 * after a warning and anyone else is told the report is unavailable.  -s
 * and -i ask the flush service, -f wakes qmgr and pickup.  Users other
 * than root and mail_owner need authorized_mailq_users (-p, -j) or
 * authorized_flush_users (-f, -s, -i).  Installed set-gid (postfix
 * set-permissions) so that it can reach public/; a non-default
 * configuration directory must then be listed in the default main.cf.
 * Every fatal error exits 69 (EX_UNAVAILABLE) with Postfix's message, as
 * Postfix 3.7's postqueue does.
 * postkit's own: --help, --version; and the owner of an instance of their own (its
 * queue_directory belongs to them) may read its queue directly, like root.
 */
#include "config.h"

#include <errno.h>
#include <pwd.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "addr.h"
#include "cfg/base/xalloc.h"
#include "conf.h"
#include "ipc.h"
#include "log.h"
#include "mailq.h"
#include "opts.h"
#include "qflush.h"
#include "qlist.h"
#include "server.h"
#include "submit.h"

#define EX_UNAVAILABLE 69

#define USAGE                                                                                      \
	"postqueue -f | postqueue -i queueid | postqueue -j | postqueue -p | postqueue -s site"

struct pq {
	struct mta_conf conf;
	const char *queue_dir;
	const char *arg; /* the mode's argument (-s site, -i queueid) */
};

/* die - "postqueue: fatal: ..." and EX_UNAVAILABLE, as every postqueue failure */
static _Noreturn void die(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static _Noreturn void die(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	mta_vlog(3, fmt, ap);
	va_end(ap);
	exit(EX_UNAVAILABLE);
}

/* allowed - root and mail_owner always; others per the access list */
static void allowed(struct pq *q, const char *acl, const char *verb)
{
	uid_t uid = getuid();
	struct passwd *owner = getpwnam(mta_conf_str(&q->conf, CFG_P_mail_owner));
	const char *who;

	if (uid == 0 || (owner && owner->pw_uid == uid))
		return;
	if ((who = submit_user_denied(&q->conf, acl, uid)) != NULL)
		die("User %s(%ld) is not allowed to %s", who, (long)uid, verb);
}

/* print_one - qlist_scan's callback: one message to stdout */
static int print_one(const struct cfg_strvec *msg, void *ctx)
{
	struct mailq *mq = ctx;
	struct cfg_buf why;
	int rc;

	cfg_buf_init(&why);
	if ((rc = mailq_message(mq, msg, &why)) < 0)
		die("%s", why.data);
	cfg_buf_fini(&why);
	return mq->stopped;
}

/* from_showq - the report of the showq service on fd */
static void from_showq(int fd, struct mailq *mq, long timeout)
{
	struct mta_stream s;
	struct cfg_strvec a;

	mta_stream_init(&s, fd, (int)timeout);
	cfg_strvec_init(&a);
	for (;;) {
		if (ipc_recv(&s, &a) < 0)
			die("malformed showq server response");
		if (a.n == 0 || print_one(&a, mq))
			break;
	}
	cfg_strvec_fini(&a);
	mta_stream_fini(&s);
}

/* may_read_queue - root, or the owner of an instance of their own, may read the queue */
static int may_read_queue(const char *queue_dir)
{
	struct stat st;

	return geteuid() == 0 || (stat(queue_dir, &st) == 0 && st.st_uid == getuid());
}

/* show_queue - -p and -j */
static int show_queue(struct pq *q, int json)
{
	const char *service = mta_conf_str(&q->conf, CFG_P_showq_service_name);
	const char *mail_name = mta_conf_str(&q->conf, CFG_P_mail_name);
	int fd, err;
	struct mailq mq;
	struct cfg_buf why;

	allowed(q, "authorized_mailq_users", "view the mail queue");
	mailq_init(&mq, json);
	cfg_buf_init(&why);
	if ((fd = ipc_connect(q->queue_dir, "public", service)) >= 0) {
		from_showq(fd, &mq, mta_conf_time(&q->conf, CFG_P_ipc_timeout));
		close(fd);
	} else if (err = errno, may_read_queue(q->queue_dir)) {
		mta_warn("Mail system is down -- accessing queue directly (Connect to the %s %s "
		         "service: %s)",
		         mail_name, service, strerror(err));
		if (qlist_scan(q->queue_dir, mta_conf_str(&q->conf, CFG_P_empty_address_recipient),
		               print_one, &mq, &why)
		    < 0)
			die("%s", why.data);
	} else {
		die("Queue report unavailable - mail system is down (Connect to the %s %s service: "
		    "%s)",
		    mail_name, service, strerror(err));
	}
	if (mailq_finish(&mq, &why) < 0)
		die("%s", why.data);
	cfg_buf_fini(&why);
	mailq_fini(&mq);
	return 0;
}

/* list - -p */
static int list(struct pq *q)
{
	return show_queue(q, 0);
}

/* list_json - -j */
static int list_json(struct pq *q)
{
	return show_queue(q, 1);
}

/* flush - -f: every deferred message now, and whatever waits in the maildrop */
static int flush(struct pq *q)
{
	allowed(q, "authorized_flush_users", "flush the mail queue");
	if (ipc_trigger(q->queue_dir, "public", mta_conf_str(&q->conf, CFG_P_queue_service_name),
	                'F')
	        < 0
	    || ipc_trigger(q->queue_dir, "public",
	                   mta_conf_str(&q->conf, CFG_P_pickup_service_name), 'W')
	           < 0)
		die("Cannot flush mail queue - mail system is down");
	return 0;
}

/* flush_site - -s site */
static int flush_site(struct pq *q)
{
	int status;

	allowed(q, "authorized_flush_users", "flush the mail queue");
	/* the client refuses a site outside fast_flush_domains itself, as Postfix's does */
	switch (qflush_site_ok(&q->conf, q->arg)) {
	case 1:
		status = qflush_send(&q->conf, QFLUSH_REQ_SEND_SITE, "site", q->arg);
		break;
	case 0:
		status = QFLUSH_STAT_DENY;
		break;
	default:
		status = QFLUSH_STAT_FAIL;
		break;
	}
	switch (status) {
	case QFLUSH_STAT_OK:
		return 0;
	case QFLUSH_STAT_BAD:
		die("Invalid request: \"%s\"", q->arg);
	case QFLUSH_STAT_FAIL:
		die("Cannot flush mail queue - mail system is down");
	case QFLUSH_STAT_DENY:
		die("Flush service is not configured for destination \"%s\"", q->arg);
	default:
		die("Unknown flush server reply status %d", status);
	}
}

/* flush_id - -i queue_id */
static int flush_id(struct pq *q)
{
	int status;

	allowed(q, "authorized_flush_users", "flush the mail queue");
	status = qflush_send(&q->conf, QFLUSH_REQ_SEND_FILE, "queue_id", q->arg);
	if (status == QFLUSH_STAT_FAIL)
		die("Cannot flush mail queue - mail system is down");
	if (status != QFLUSH_STAT_OK)
		die("Unexpected flush server reply status %d", status);
	return 0;
}

/* The modes: one of them per run. */
static const struct pq_mode {
	int opt;
	int (*run)(struct pq *q);
} modes[] = {
    {'p', list}, {'j', list_json}, {'f', flush}, {'s', flush_site}, {'i', flush_id},
};

/* the options; --help is made from this table */
static const struct tool_opt options[] = {
    {'c', NULL, "config_dir", "use the main.cf file in config_dir"},
    {'f', NULL, NULL, "flush: deliver all deferred mail now (sendmail -q)"},
    {'i', NULL, "queue_id", "deliver one deferred message now (sendmail -qI)"},
    {'j', NULL, NULL, "list the mail queue as JSON, one object per message"},
    {'p', NULL, NULL, "list the mail queue in the mailq format (mailq, sendmail -bp)"},
    {'s', NULL, "site", "deliver the deferred mail for site now (sendmail -qR)"},
    {'v', NULL, NULL, "more verbose logging"},
    TOOL_OPT_STANDARD,
    {0, NULL, NULL, NULL},
};

#define SYNOPSIS "[-v] [-c config_dir] -f | -i queue_id | -j | -p | -s site"

/* usage - Postfix's usage line */
static _Noreturn void usage(void)
{
	die("usage: %s", USAGE);
}

/* parse - options; the one mode (NULL when none was given); exits after --help, --version */
static const struct pq_mode *parse(int argc, char **argv, struct pq *q)
{
	const struct pq_mode *mode = NULL;
	struct tool_opt_state st;
	int ch, status;

	tool_opt_init(&st, argc, argv, "postqueue");
	while ((ch = tool_opt_next(&st, options)) != TOOL_OPT_END) {
		if (ch == 'c') {
			setenv("MAIL_CONFIG", st.arg, 1);
			continue;
		}
		if (ch == 'v')
			continue;
		if ((status = tool_opt_standard(ch, "postqueue", SYNOPSIS, options)) >= 0)
			exit(status);
		if (ch == TOOL_OPT_ERROR || mode != NULL)
			usage();
		for (size_t i = 0; i < sizeof(modes) / sizeof(modes[0]); i++)
			if (modes[i].opt == ch)
				mode = &modes[i];
		q->arg = st.arg;
	}
	if (st.ind < argc)
		usage();
	return mode;
}

/* check_arg - the argument of -s and -i, checked before anything is done */
static void check_arg(const struct pq_mode *mode, const char *arg)
{
	const char *more = arg && strlen(arg) > 100 ? "..." : "";

	if (mode->opt == 's'
	    && !(*arg == '[' ? addr_valid_ip_literal(arg) : addr_valid_hostname(arg)))
		die("Cannot flush mail queue - invalid destination: \"%.100s%s\"", arg, more);
	if (mode->opt == 'i' && !qf_pf_id_ok(arg))
		die("Cannot flush queue ID - invalid name: \"%.100s%s\"", arg, more);
}

/* main - options, configuration, then the mode */
int main(int argc, char **argv)
{
	static struct pq q;
	static char name[] = "postqueue";
	const struct pq_mode *mode;
	const char *config_dir;
	struct cfg_buf why;

	argv[0] = name;
	mta_log_init("postqueue");
	mta_log_stderr(1);
	mta_ignore_signals();
	mode = parse(argc, argv, &q);
	config_dir = submit_config_dir(EX_UNAVAILABLE);
	cfg_buf_init(&why);
	if (mta_conf_try(&q.conf, config_dir, NULL, NULL, &why) < 0)
		die("%s", why.data);
	cfg_buf_fini(&why);
	submit_log(&q.conf);
	mta_log_stderr(1);
	q.queue_dir = mta_conf_str(&q.conf, CFG_P_queue_directory);
	if (chdir(q.queue_dir) < 0)
		die("chdir %s: %m", q.queue_dir);
	if (mode == NULL)
		usage(); /* after the configuration: this one is logged, as in Postfix */
	check_arg(mode, q.arg);
	return mode->run(&q);
}
