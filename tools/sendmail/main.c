/*
 * sendmail - the Sendmail-compatible mail submission command
 *
 * sendmail [options] [recipient ...]     (also run as mailq and newaliases)
 * Options are Postfix's (the table below, parsed as Postfix's getopt does,
 * so the messages are the same): -t -i/-oi -f/-r -F -C -N -R -V -G -B -bm
 * -bs -bp -bi/-I -bv -bd/-bl -bh/-bH -q -qR -qI, and postkit's --help and
 * --version; the Sendmail options
 * Postfix ignores are accepted and ignored.  Every mode but posting runs
 * another program: postqueue (-bp, -q), postalias (-bi), postfix start
 * (-bd), smtpd -S (-bs).  A message goes to postdrop (enqueue.c).
 *
 * -C DIR from a user other than root must name a directory listed in the
 * default main.cf (alternate_config_directories), exactly as in Postfix;
 * MAIL_CONFIG is passed on, and the set-gid postdrop/postqueue apply the
 * same rule to it.  Every fatal error exits 75.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "cfg/base/xalloc.h"
#include "conf.h"
#include "log.h"
#include "opts.h"
#include "qfile.h"
#include "server.h"
#include "sendmail.h"
#include "submit.h"

#ifndef POSTKIT_BUILD_TOP
#define POSTKIT_BUILD_TOP ""
#endif

#define SYNOPSIS "[options] [recipient ...]"
#define IGNORED "a Sendmail option: accepted and ignored"
/* what next_option() returns for a bare "-q" */
#define FLUSH_NOW (TOOL_OPT_LONG + 'q')

/*
 * Postfix's sendmail options (its getopt letters, stopping at the first
 * non-option); --help is made from this table
 */
static const struct tool_opt options[] = {
    {'b', NULL, "mode", "the mode, one of the -bX below"},
    {TOOL_OPT_NOTE, "-bd, -bl", NULL, "start the mail system: postfix start"},
    {TOOL_OPT_NOTE, "-bh, -bH", NULL, "accepted and ignored"},
    {TOOL_OPT_NOTE, "-bi", NULL, "rebuild the alias database (newaliases)"},
    {TOOL_OPT_NOTE, "-bm", NULL, "read a message from standard input and queue it (the default)"},
    {TOOL_OPT_NOTE, "-bp", NULL, "list the mail queue (mailq, postqueue -p)"},
    {TOOL_OPT_NOTE, "-bs", NULL, "SMTP on standard input and output"},
    {TOOL_OPT_NOTE, "-bv", NULL, "verify the recipients, mail a report instead of delivering"},
    {'A', NULL, "file", IGNORED},
    {'B', NULL, "7BIT|8BITMIME", "the body type"},
    {'c', NULL, NULL, IGNORED},
    {'C', NULL, "config_dir", "use the main.cf file in config_dir"},
    {'e', NULL, "x", IGNORED},
    {'f', NULL, "sender", "the envelope sender"},
    {'F', NULL, "full_name", "the sender's full name"},
    {'G', NULL, NULL, "gateway submission: rewrite addresses as remote mail"},
    {'h', NULL, "count", IGNORED},
    {'i', NULL, NULL, "a line with only \".\" does not end the message"},
    {'I', NULL, NULL, "rebuild the alias database (newaliases), as -bi"},
    {'L', NULL, "label", IGNORED},
    {'m', NULL, NULL, IGNORED},
    {'n', NULL, NULL, "refused, as by Postfix"},
    {'N', NULL, "dsn", "DSN notification: failure, delay, success or never"},
    {'o', NULL, "option", "-oi as -i, -oA alias_database for -bi; others are ignored"},
    {'O', NULL, "option=value", IGNORED},
    {'p', NULL, "protocol", IGNORED},
    {'q', NULL, "[interval]", "deliver deferred mail now (postqueue -f); interval: ignored"},
    {TOOL_OPT_NOTE, "-qRsite", NULL, "deliver deferred mail for site now (postqueue -s site)"},
    {TOOL_OPT_NOTE, "-qIqueue_id", NULL, "deliver one deferred message now (postqueue -i)"},
    {'r', NULL, "sender", "the envelope sender, as -f"},
    {'R', NULL, "full|hdrs", "DSN: what a bounce returns of the message"},
    {'t', NULL, NULL, "take recipients from the To:, Cc: and Bcc: headers"},
    {'U', NULL, NULL, IGNORED},
    {'v', NULL, NULL, "more verbose logging"},
    {'V', NULL, "envid", "the DSN envelope ID"},
    {'x', NULL, NULL, IGNORED},
    {'X', NULL, "log_file", "refused, as by Postfix (-XV: VERP is not implemented)"},
    TOOL_OPT_STANDARD,
    {0, NULL, NULL, NULL},
};

_Noreturn void sm_fatal(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	mta_vlog(3, fmt, ap);
	va_end(ap);
	exit(SM_EX_TEMPFAIL);
}

/* find_program - an installed program, or its place in the build tree */
static char *find_program(const char *dir, const char *name, const char *build_rel)
{
	const char *env = getenv("POSTKIT_DAEMON_DIR");
	char *p;

	if (env && *env && strcmp(name, "postkit-daemon") == 0)
		return cfg_xasprintf("%s/%s", env, name);
	p = cfg_xasprintf("%s/%s", dir, name);
	if (access(p, X_OK) == 0 || *POSTKIT_BUILD_TOP == '\0')
		return p;
	free(p);
	return cfg_xasprintf("%s/%s", POSTKIT_BUILD_TOP, build_rel);
}

/* notify_mask - -N: failure, delay, success, or never alone; 0 when bad */
static unsigned notify_mask(const char *v)
{
	static const struct {
		const char *name;
		unsigned bit;
	} words[] = {{"never", QF_N_NEVER},
	             {"success", QF_N_SUCCESS},
	             {"failure", QF_N_FAILURE},
	             {"delay", QF_N_DELAY}};
	struct cfg_strvec w;
	unsigned bits = 0;

	cfg_strvec_init(&w);
	cfg_strvec_split(&w, v, ", \t\r\n");
	for (size_t i = 0; i < w.n; i++) {
		size_t k;

		for (k = 0; k < sizeof(words) / sizeof(words[0]); k++)
			if (strcasecmp(w.v[i], words[k].name) == 0)
				break;
		if (k == sizeof(words) / sizeof(words[0])) {
			mta_warn("unknown DSN NOTIFY command value \"%s\" in \"%s\"", w.v[i], v);
			bits = 0;
			break;
		}
		bits |= words[k].bit;
	}
	cfg_strvec_fini(&w);
	if ((bits & QF_N_NEVER) && (bits & ~QF_N_NEVER))
		return 0;
	return bits;
}

/* next_option - the next option, with a bare "-q" (no argument) returned as FLUSH_NOW */
static int next_option(struct tool_opt_state *st)
{
	if (st->pos == 0 && st->ind < st->argc && strcmp(st->argv[st->ind], "-q") == 0) {
		st->ind++;
		return FLUSH_NOW;
	}
	return tool_opt_next(st, options);
}

/*
 * prescan - Postfix reads -C before anything else, to load the right
 * main.cf; --help and --version are answered here, before any main.cf
 */
static void prescan(int argc, char **argv, struct sm_opts *o)
{
	struct tool_opt_state st;
	int c, status;

	tool_opt_init(&st, argc, argv, argv[0]);
	while ((c = next_option(&st)) != TOOL_OPT_END) {
		if ((status = tool_opt_standard(c, argv[0], SYNOPSIS, options)) >= 0)
			exit(status);
		if (c == 'C') {
			char *copy = cfg_xstrdup(st.arg);
			const char *dir = st.arg;

			/* "-C /etc/postfix/main.cf" names the directory */
			if (strcmp(basename(copy), "main.cf") == 0) {
				free(copy);
				copy = cfg_xstrdup(st.arg);
				dir = cfg_xstrdup(dirname(copy));
			}
			free(copy);
			if (strcmp(dir, SUBMIT_DEF_CONFIG_DIR) != 0 && geteuid() != 0)
				submit_require_config_dir(dir, SM_EX_TEMPFAIL);
			o->config_dir = dir;
		}
	}
}

/* option_b - -bX */
static void option_b(struct sm_opts *o, const char *arg)
{
	switch (*arg) {
	case 'd':
	case 'l':
		if (o->mode == SM_FLUSHQ)
			mta_warn("ignoring -q option in daemon mode");
		o->mode = SM_DAEMON;
		break;
	case 'h':
	case 'H':
		o->mode = SM_IGNORE;
		break;
	case 'i':
		o->mode = SM_NEWALIAS;
		break;
	case 'm':
		o->mode = SM_ENQUEUE;
		break;
	case 'p':
		o->mode = SM_MAILQ;
		break;
	case 's':
		o->mode = SM_USER;
		break;
	case 'v':
		o->verify = 1;
		break;
	default:
		sm_fatal("unsupported: -b%c", *arg);
	}
}

/* option_q - -qR site, -qI id, -q<interval> */
static void option_q(struct sm_opts *o, const char *arg)
{
	if (*arg >= '0' && *arg <= '9') {
		o->qtime = arg;
	} else if (*arg == 'R') {
		if (*(o->site_to_flush = arg + 1) == '\0')
			sm_fatal("specify: -qRsitename");
	} else if (*arg == 'I') {
		if (*(o->id_to_flush = arg + 1) == '\0')
			sm_fatal("specify: -qIqueueid");
	} else {
		sm_fatal("-q%c is not implemented", *arg);
	}
}

/* option - one option letter with its argument */
static void option(struct sm_opts *o, int c, const char *arg, const char **alias_db)
{
	switch (c) {
	case 'n':
		sm_fatal("-%c option not supported", c);
	case 'B':
		if (strcmp(arg, "8BITMIME") != 0 && strcmp(arg, "7BIT") != 0)
			sm_fatal("-B option needs 8BITMIME or 7BIT");
		o->body = strcmp(arg, "8BITMIME") == 0 ? "8bit" : "7bit";
		break;
	case 'F':
		o->full_name = arg;
		break;
	case 'G':
		o->rewrite_context = "remote";
		break;
	case 'I':
		o->mode = SM_NEWALIAS;
		break;
	case 'N':
		if ((o->notify = notify_mask(arg)) == 0)
			mta_warn("bad -N option value -- ignored");
		break;
	case 'R':
		if (strcasecmp(arg, "full") == 0 || strcasecmp(arg, "hdrs") == 0)
			o->ret = strcasecmp(arg, "full") == 0 ? "full" : "hdrs";
		else
			mta_warn("bad -R option value -- ignored");
		break;
	case 'V':
		if (strlen(arg) > 100)
			mta_warn("too long -V option value -- ignored");
		else if (submit_has_control(arg))
			mta_warn("bad syntax in -V option value -- ignored");
		else
			o->envid = arg;
		break;
	case 'X':
		/* -XV is VERP, which postkit does not do: refused rather than ignored */
		if (*arg == 'V')
			sm_fatal("-XV: VERP is not implemented by postkit");
		sm_fatal("unsupported: -%c%c", c, *arg);
	case 'b':
		option_b(o, arg);
		break;
	case 'f':
	case 'r':
		o->sender = arg;
		break;
	case 'i':
		o->dot_ends = 0;
		break;
	case 'o':
		if (*arg == 'A' && arg[1] == '\0')
			sm_fatal("-oA requires pathname");
		if (*arg == 'A')
			*alias_db = arg + 1;
		else if (*arg == 'i')
			o->dot_ends = 0;
		break;
	case 'q':
		option_q(o, arg);
		break;
	case 't':
		o->extract = 1;
		break;
	case 'v':
		o->verbose++;
		break;
	case FLUSH_NOW:
		if (o->mode == SM_DAEMON)
			mta_warn("ignoring -q option in daemon mode");
		else
			o->mode = SM_FLUSHQ;
		break;
	case TOOL_OPT_ERROR:
		sm_fatal("usage: %s [options]", "sendmail");
	default:
		break; /* the Sendmail options Postfix ignores */
	}
}

/* parse - every option, then the conflicts Postfix refuses */
static void parse(int argc, char **argv, struct sm_opts *o, const char **alias_db)
{
	struct tool_opt_state st;
	int c;

	tool_opt_init(&st, argc, argv, argv[0]);
	for (;;) {
		if (st.pos == 0 && st.ind < argc && strcmp(argv[st.ind], "-XV") == 0)
			sm_fatal("-XV: VERP is not implemented by postkit");
		if ((c = next_option(&st)) == TOOL_OPT_END)
			break;
		option(o, c, st.arg, alias_db);
	}
	o->rcpts = argv + st.ind;
	o->nrcpts = argc - st.ind;
	if (o->extract && o->mode != SM_ENQUEUE)
		sm_fatal("-t can be used only in delivery mode");
	if (o->site_to_flush && o->mode != SM_ENQUEUE)
		sm_fatal("-qR can be used only in delivery mode");
	if (o->id_to_flush && o->mode != SM_ENQUEUE)
		sm_fatal("-qI can be used only in delivery mode");
	if (o->verify) {
		if (o->extract)
			sm_fatal("-t option cannot be used with -bv");
		if (o->notify)
			sm_fatal("-N option cannot be used with -bv");
		if (o->ret)
			sm_fatal("-R option cannot be used with -bv");
		if (o->verbose == 1)
			sm_fatal("-v option cannot be used with -bv");
	}
}

/* run - replace this process by a helper, with the configuration directory in the environment */
static _Noreturn void run(const char *prog, char **argv, struct mta_conf *c)
{
	setenv("MAIL_CONFIG", mta_conf_dir(c), 1);
	execv(prog, argv);
	sm_fatal("execute %s: %s", prog, strerror(errno));
}

/* no_recipients - the modes that take none */
static void no_recipients(const struct sm_opts *o, const char *what)
{
	if (o->nrcpts > 0)
		sm_fatal("%s requires no recipient", what);
}

/* postqueue - -bp, -q, -qR, -qI: postqueue with one option */
static _Noreturn void postqueue(struct mta_conf *c, const char *opt, const char *arg)
{
	char *prog = submit_program(c, "postqueue");
	static char a0[] = "postqueue";
	char *av[] = {a0, (char *)opt, (char *)arg, NULL};

	run(prog, av, c);
}

/* enqueue_mode - posting, or a flush of one site or message */
static int enqueue_mode(struct sm_opts *o, struct mta_conf *c)
{
	if (o->site_to_flush) {
		no_recipients(o, "flush site");
		postqueue(c, "-s", o->site_to_flush);
	}
	if (o->id_to_flush) {
		no_recipients(o, "flush queue_id");
		postqueue(c, "-i", o->id_to_flush);
	}
	return sm_enqueue(o, c);
}

/* user_mode - -bs: SMTP on stdin/stdout by smtpd in stand-alone mode */
static _Noreturn void user_mode(struct sm_opts *o, struct mta_conf *c)
{
	char *prog = find_program(POSTKIT_LIBEXECDIR, "postkit-daemon", "mta/postkit-daemon");
	static char a0[] = "smtpd", a1[] = "-S";
	char *av[] = {a0, a1, NULL};
	const char *who;

	no_recipients(o, "stand-alone mode");
	/* postdrop enforces it; this is only the friendlier message */
	if ((who = submit_user_denied(c, "authorized_submit_users", getuid())) != NULL)
		sm_fatal("User %s(%ld) is not allowed to submit mail", who, (long)getuid());
	run(prog, av, c);
}

/* other_mode - the modes that only run another program */
static int other_mode(struct sm_opts *o, struct mta_conf *c, const char *alias_db)
{
	char *prog;

	switch (o->mode) {
	case SM_MAILQ:
		no_recipients(o, "display queue mode");
		postqueue(c, "-p", NULL);
	case SM_FLUSHQ:
		no_recipients(o, "flush queue mode");
		postqueue(c, "-f", NULL);
	case SM_DAEMON: {
		static char a0[] = "postfix", a1[] = "start";
		char *av[] = {a0, a1, NULL};

		no_recipients(o, "daemon mode");
		prog = find_program(POSTKIT_SBINDIR, "postfix", "tools/postfix/postfix");
		/* as Postfix: "postfix start" runs in the background, sendmail does not wait for it */
		switch (fork()) {
		case -1:
			sm_fatal("fork: %s", strerror(errno));
		case 0:
			run(prog, av, c);
		default:
			exit(0);
		}
	}
	case SM_NEWALIAS: {
		static char a0[] = "newaliases";
		char *av[] = {a0, (char *)alias_db, NULL};

		no_recipients(o, "alias initialization mode");
		prog = find_program(POSTKIT_SBINDIR, "postalias", "tools/postalias/postalias");
		run(prog, av, c);
	}
	case SM_USER:
		user_mode(o, c);
	default:
		return 0; /* -bh, -bH */
	}
}

/* main - modes by option or by the name we were called with */
int main(int argc, char **argv)
{
	/* static: what lives until exit stays reachable (a program, not a library) */
	static struct sm_opts o;
	static struct mta_conf c;
	static char prog_name[64];
	const char *alias_db = NULL;
	struct cfg_buf why;
	const char *name = strrchr(argv[0], '/') ? strrchr(argv[0], '/') + 1 : argv[0];

	/* stdin, stdout and stderr open before anything else is, as Postfix makes sure */
	for (int fd = 0; fd < 3; fd++)
		if (fcntl(fd, F_GETFD) < 0 && open("/dev/null", O_RDWR) != fd)
			return SM_EX_TEMPFAIL;
	snprintf(prog_name, sizeof(prog_name), "%s", *name ? name : "sendmail");
	argv[0] = prog_name; /* the option messages say "sendmail: ..." as Postfix's */
	memset(&o, 0, sizeof(o));
	o.dot_ends = 1;
	mta_log_init("sendmail");
	mta_log_stderr(1);
	/* the terminal hears the name it was run as (newaliases:, mailq:); the log says sendmail */
	mta_log_stderr_tag(prog_name);
	mta_ignore_signals();
	prescan(argc, argv, &o);
	cfg_buf_init(&why);
	if (mta_conf_try(&c, o.config_dir, NULL, NULL, &why) < 0)
		sm_fatal("%s", why.data);
	cfg_buf_fini(&why);
	submit_log(&c);
	mta_log_stderr(1);
	if (chdir(mta_conf_str(&c, CFG_P_queue_directory)) < 0)
		sm_fatal("chdir %s: %m", mta_conf_str(&c, CFG_P_queue_directory));
	if (strcmp(prog_name, "mailq") == 0)
		o.mode = SM_MAILQ;
	else if (strcmp(prog_name, "newaliases") == 0)
		o.mode = SM_NEWALIAS;
	parse(argc, argv, &o, &alias_db);
	if (o.qtime && o.mode != SM_DAEMON)
		return 0;
	if (o.mode == SM_ENQUEUE)
		return enqueue_mode(&o, &c);
	return other_mode(&o, &c, alias_db);
}
