/*
 * postqueue - the user's view of the mail queue
 *
 * postqueue [-v] [-c config_dir] -p      list the queue (mailq, sendmail -bp)
 * postqueue [-v] [-c config_dir] -f      flush: deliver deferred mail now (sendmail -q)
 * -j, -s site and -i queueid are Postfix's too; postkit refuses them until
 * they are implemented.  Installed set-gid (postfix set-permissions) so
 * that it can reach public/qmgr; a non-default configuration directory
 * must then be listed in the default main.cf.  Every fatal error exits 69
 * (EX_UNAVAILABLE) with Postfix's message.  postkit has no showq service:
 * the listing reads the queue directories, which takes root, mail_owner or
 * an instance of one's own; anyone else is told the report is unavailable.
 */
#include "config.h"

#include <pwd.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cfg/base/xalloc.h"
#include "conf.h"
#include "ipc.h"
#include "log.h"
#include "mailq.h"
#include "server.h"
#include "submit.h"

#define EX_UNAVAILABLE 69

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

/* list - -p */
static int list(struct pq *q)
{
	struct cfg_buf why;

	cfg_buf_init(&why);
	if (mailq_readable(q->queue_dir, &why) < 0)
		die("Queue report unavailable - cannot read the queue directly (%s)", why.data);
	cfg_buf_fini(&why);
	return mailq_print(q->queue_dir);
}

/* flush - -f: a deferred queue run now */
static int flush(struct pq *q)
{
	if (ipc_trigger(q->queue_dir, "public", "qmgr", 'F') < 0)
		die("Cannot flush mail queue - mail system is down");
	return 0;
}

/* not_yet - a Postfix mode postkit does not have: refused, never ignored */
static int not_yet(struct pq *q)
{
	(void)q;
	return -1;
}

/* The modes: one of them per run. */
static const struct pq_mode {
	int opt;
	const char *acl;  /* authorized_*_users parameter, or NULL */
	const char *verb; /* "User x(n) is not allowed to VERB" */
	int (*run)(struct pq *q);
} modes[] = {
    {'p', "authorized_mailq_users", "view the mail queue", list},
    {'f', "authorized_flush_users", "flush the mail queue", flush},
    {'j', "authorized_mailq_users", "view the mail queue", not_yet},
    {'s', "authorized_flush_users", "flush the mail queue", not_yet},
    {'i', "authorized_flush_users", "flush the mail queue", not_yet},
};

/* usage - Postfix's usage line */
static _Noreturn void usage(void)
{
	die("usage: postqueue -f | postqueue -i queueid | postqueue -j | postqueue -p | "
	    "postqueue -s site");
}

/* parse - options; the one mode */
static const struct pq_mode *parse(int argc, char **argv, struct pq *q)
{
	const struct pq_mode *mode = NULL;
	int ch;

	while ((ch = getopt(argc, argv, "+c:fi:jps:v")) != -1) {
		if (ch == 'c') {
			setenv("MAIL_CONFIG", optarg, 1);
			continue;
		}
		if (ch == 'v')
			continue;
		if (ch == '?' || mode != NULL)
			usage();
		for (size_t i = 0; i < sizeof(modes) / sizeof(modes[0]); i++)
			if (modes[i].opt == ch)
				mode = &modes[i];
		q->arg = optarg;
	}
	if (mode == NULL || optind < argc)
		usage();
	return mode;
}

/* allowed - root and mail_owner always; others per the mode's access list */
static void allowed(struct pq *q, const struct pq_mode *mode)
{
	uid_t uid = getuid();
	struct passwd *owner = getpwnam(mta_conf_str(&q->conf, "mail_owner"));
	const char *who;

	if (uid == 0 || (owner && owner->pw_uid == uid))
		return;
	if ((who = submit_user_denied(&q->conf, mode->acl, uid)) != NULL)
		die("User %s(%ld) is not allowed to %s", who, (long)uid, mode->verb);
}

/* main - options, configuration, access, then the mode */
int main(int argc, char **argv)
{
	static struct pq q;
	static char name[] = "postqueue";
	const struct pq_mode *mode;
	const char *config_dir;
	struct cfg_buf why;
	int rc;

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
	q.queue_dir = mta_conf_str(&q.conf, "queue_directory");
	if (chdir(q.queue_dir) < 0)
		die("chdir %s: %m", q.queue_dir);
	allowed(&q, mode);
	if ((rc = mode->run(&q)) < 0)
		die("-%c is not implemented by postkit", mode->opt);
	return rc;
}
