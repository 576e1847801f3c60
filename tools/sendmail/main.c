/*
 * sendmail - the Sendmail-compatible mail submission command
 *
 * sendmail [options] [recipient ...]     (also run as mailq and newaliases)
 * Options are Postfix's (GETOPT_LIST below, parsed by getopt as Postfix
 * does, so the messages are the same): -t -i/-oi -f/-r -F -C -N -R -V -G
 * -B -bm -bs -bp -bi/-I -bv -bd/-bl -bh/-bH -q -qR -qI; the Sendmail options
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
#include "cmdhelp.h"
#include "conf.h"
#include "log.h"
#include "qfile.h"
#include "server.h"
#include "sendmail.h"
#include "submit.h"

#ifndef POSTKIT_BUILD_TOP
#define POSTKIT_BUILD_TOP ""
#endif

/* Postfix's sendmail option letters; "+": stop at the first non-option, no reordering */
#define GETOPT_LIST "+A:B:C:F:GIL:N:O:R:UV:X:b:ce:f:h:imno:p:r:q:tvx"

/* OPTIND - where getopt() will look next */
#define OPTIND (optind > 0 ? optind : 1)

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

/* prescan - Postfix reads -C before anything else, to load the right main.cf */
static void prescan(int argc, char **argv, struct sm_opts *o)
{
	int c;

	while (argv[OPTIND] != NULL) {
		if (strcmp(argv[OPTIND], "-q") == 0) {
			optind = OPTIND + 1;
			continue;
		}
		if ((c = getopt(argc, argv, GETOPT_LIST)) <= 0)
			break;
		if (c == 'C') {
			char *copy = cfg_xstrdup(optarg);
			const char *dir = optarg;

			/* "-C /etc/postfix/main.cf" names the directory */
			if (strcmp(basename(copy), "main.cf") == 0) {
				free(copy);
				copy = cfg_xstrdup(optarg);
				dir = cfg_xstrdup(dirname(copy));
			}
			free(copy);
			if (strcmp(dir, SUBMIT_DEF_CONFIG_DIR) != 0 && geteuid() != 0)
				submit_require_config_dir(dir, SM_EX_TEMPFAIL);
			o->config_dir = dir;
		}
	}
	optind = 0; /* a fresh scan for parse() */
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
	case '?':
		sm_fatal("usage: %s [options]", "sendmail");
	default:
		break; /* the Sendmail options Postfix ignores */
	}
}

/* parse - every option, then the conflicts Postfix refuses */
static void parse(int argc, char **argv, struct sm_opts *o, const char **alias_db)
{
	int c;

	while (argv[OPTIND] != NULL) {
		if (strcmp(argv[OPTIND], "-q") == 0) {
			if (o->mode == SM_DAEMON)
				mta_warn("ignoring -q option in daemon mode");
			else
				o->mode = SM_FLUSHQ;
			optind = OPTIND + 1;
			continue;
		}
		if (strcmp(argv[OPTIND], "-XV") == 0)
			sm_fatal("-XV: VERP is not implemented by postkit");
		if ((c = getopt(argc, argv, GETOPT_LIST)) <= 0)
			break;
		option(o, c, optarg, alias_db);
	}
	o->rcpts = argv + OPTIND;
	o->nrcpts = argc - OPTIND;
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
		run(prog, av, c);
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

static const struct cmd_opt options[] = {
    {"-bd, -bl", "start the mail system: postfix start"},
    {"-bh, -bH", "accepted and ignored"},
    {"-bi, -I", "rebuild the alias database (newaliases)"},
    {"-bm", "read a message from standard input and queue it (the default)"},
    {"-bp", "list the mail queue (mailq, postqueue -p)"},
    {"-bs", "SMTP on standard input and output"},
    {"-bv", "verify the recipients, mail a report instead of delivering"},
    {"-B 7BIT|8BITMIME", "the body type"},
    {"-C config_dir", "use the main.cf file in config_dir"},
    {"-f sender, -r sender", "the envelope sender"},
    {"-F full_name", "the sender's full name"},
    {"-G", "gateway submission: rewrite addresses as remote mail"},
    {"-i, -oi", "a line with only \".\" does not end the message"},
    {"-N dsn", "DSN notification: failure, delay, success or never"},
    {"-oA alias_database", "the alias database of -bi"},
    {"-q", "deliver deferred mail now (postqueue -f)"},
    {"-qRsite", "deliver deferred mail for site now (postqueue -s site)"},
    {"-qIqueue_id", "deliver one deferred message now (postqueue -i queue_id)"},
    {"-R full|hdrs", "DSN: what a bounce returns of the message"},
    {"-t", "take recipients from the To:, Cc: and Bcc: headers"},
    {"-v", "more verbose logging"},
    {"-V envid", "the DSN envelope ID"},
    {NULL, NULL},
};

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

	cmd_help(argc, argv, "sendmail [options] [recipient ...]", options);
	/* stdin, stdout and stderr open before anything else is, as Postfix makes sure */
	for (int fd = 0; fd < 3; fd++)
		if (fcntl(fd, F_GETFD) < 0 && open("/dev/null", O_RDWR) != fd)
			return SM_EX_TEMPFAIL;
	snprintf(prog_name, sizeof(prog_name), "%s", *name ? name : "sendmail");
	argv[0] = prog_name; /* getopt's messages say "sendmail: ..." as Postfix's */
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
