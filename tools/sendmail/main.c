/*
 * sendmail - the Sendmail-compatible mail submission command
 *
 * sendmail [options] [recipient ...]     (also run as mailq and newaliases)
 * The message is read from standard input into a sealed file in the
 * maildrop queue; pickup hands it to cleanup when the mail system runs.
 * Options are Postfix's: -t -i/-oi -f/-r -F -C -N -bm -bs -bp -bi/-I -bv
 * -bd/-bl -q; the Sendmail options Postfix ignores are accepted and ignored.
 */
#include "config.h"

#include <errno.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/time.h>
#include <unistd.h>

#include "cfg/xalloc.h"
#include "conf.h"
#include "ipc.h"
#include "log.h"
#include "mailq.h"
#include "qfile.h"
#include "server.h"

#ifndef POSTKIT_BUILD_TOP
#define POSTKIT_BUILD_TOP ""
#endif

enum mode { M_MAIL, M_SMTP, M_QUEUE, M_ALIASES, M_VERIFY, M_DAEMON, M_FLUSH };

struct opts {
	enum mode mode;
	const char *config_dir;
	const char *sender;
	const char *full_name;
	int extract;
	int dot_ends; /* a lone "." ends the message (no -i) */
	unsigned notify;
	struct cfg_strvec rcpts;
};

/* fatal - "sendmail: fatal: ..." and exit status (EX_* as Postfix uses them) */
static _Noreturn void die(int status, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static _Noreturn void die(int status, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	mta_vlog(3, fmt, ap);
	va_end(ap);
	exit(status);
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

/* parse_notify - -N failure,delay,success,never */
static unsigned parse_notify(const char *v)
{
	struct cfg_strvec w;
	unsigned bits = 0;

	cfg_strvec_init(&w);
	cfg_strvec_split(&w, v, ", ");
	for (size_t i = 0; i < w.n; i++) {
		if (strcasecmp(w.v[i], "never") == 0)
			bits |= QF_N_NEVER;
		else if (strcasecmp(w.v[i], "success") == 0)
			bits |= QF_N_SUCCESS;
		else if (strcasecmp(w.v[i], "failure") == 0)
			bits |= QF_N_FAILURE;
		else if (strcasecmp(w.v[i], "delay") == 0)
			bits |= QF_N_DELAY;
	}
	cfg_strvec_fini(&w);
	return bits;
}

/* parse - Postfix's sendmail options */
static void parse(int argc, char **argv, struct opts *o)
{
	int i;

	for (i = 1; i < argc; i++) {
		const char *a = argv[i];
		const char *arg;

		if (a[0] != '-' || a[1] == '\0')
			break;
		if (strcmp(a, "--") == 0) {
			i++;
			break;
		}
#define OPTARG() (a[2] ? a + 2 : (i + 1 < argc ? argv[++i] : NULL))
		switch (a[1]) {
		case 'b':
			switch (a[2]) {
			case 'm':
				o->mode = M_MAIL;
				break;
			case 's':
				o->mode = M_SMTP;
				break;
			case 'p':
				o->mode = M_QUEUE;
				break;
			case 'i':
				o->mode = M_ALIASES;
				break;
			case 'v':
				o->mode = M_VERIFY;
				break;
			case 'd':
			case 'l':
				o->mode = M_DAEMON;
				break;
			case 'h':
			case 'H':
				break; /* ignored, as in Postfix */
			default:
				die(64, "-b%s: unknown option", a + 2);
			}
			break;
		case 'C':
			if ((arg = OPTARG()) == NULL)
				die(64, "option -C requires an argument");
			o->config_dir = arg;
			break;
		case 'f':
		case 'r':
			if ((arg = OPTARG()) == NULL)
				die(64, "option -%c requires an argument", a[1]);
			/* "<>" and "<addr>" are the forms people type for a null or quoted sender */
			if (arg[0] == '<' && arg[strlen(arg) - 1] == '>')
				o->sender = cfg_xstrndup(arg + 1, strlen(arg) - 2);
			else
				o->sender = arg;
			break;
		case 'F':
			if ((arg = OPTARG()) == NULL)
				die(64, "option -F requires an argument");
			o->full_name = arg;
			break;
		case 'N':
			if ((arg = OPTARG()) == NULL)
				die(64, "option -N requires an argument");
			o->notify = parse_notify(arg);
			break;
		case 'R':
		case 'V':
		case 'B':
		case 'L':
		case 'O':
		case 'X':
			/* accepted and ignored (these take an argument) */
			if (OPTARG() == NULL)
				die(64, "option -%c requires an argument", a[1]);
			break;
		case 't':
			o->extract = 1;
			break;
		case 'i':
			o->dot_ends = 0;
			break;
		case 'I':
			o->mode = M_ALIASES;
			break;
		case 'o':
			if (a[2] == 'i')
				o->dot_ends = 0;
			else if (a[2] == '\0' && i + 2 < argc)
				i += 2; /* -o x value */
			/* other -oX: ignored */
			break;
		case 'q':
			if (a[2] == '\0' || a[2] == 'R' || a[2] == 'S' || a[2] == 'I')
				o->mode = M_FLUSH;
			/* -qinterval: ignored */
			break;
		case 'v':
		case 'A':
		case 'h':
		case 'm':
		case 'n':
		case 'U':
			break; /* ignored */
		default:
			die(64, "-%c: unknown option", a[1]);
		}
#undef OPTARG
	}
	for (; i < argc; i++)
		cfg_strvec_add(&o->rcpts, argv[i]);
}

/* read_message - stdin up to EOF (or a lone "." without -i), CR LF made LF */
static void read_message(struct opts *o, struct cfg_buf *msg)
{
	char *line = NULL;
	size_t cap = 0;
	ssize_t n;

	while ((n = getline(&line, &cap, stdin)) > 0) {
		if (n >= 2 && line[n - 2] == '\r' && line[n - 1] == '\n') {
			line[n - 2] = '\n';
			n--;
		}
		if (o->dot_ends && (strcmp(line, ".\n") == 0 || strcmp(line, ".") == 0))
			break;
		cfg_buf_add(msg, line, (size_t)n);
	}
	free(line);
}

/* user_names - the login name and full name of the caller */
static void user_names(const char **login, const char **full)
{
	struct passwd *pw = getpwuid(getuid());
	static char gecos[256];

	*login = pw ? pw->pw_name : "unknown";
	*full = "";
	if (pw && pw->pw_gecos) {
		snprintf(gecos, sizeof(gecos), "%.*s", (int)strcspn(pw->pw_gecos, ","),
		         pw->pw_gecos);
		*full = gecos;
	}
}

/* submit - write the maildrop file and wake pickup */
static int submit(struct opts *o, struct mta_conf *c)
{
	const char *queue_dir = mta_conf_str(c, "queue_directory");
	long limit = mta_conf_long(c, "message_size_limit");
	const char *login, *full;
	struct qf_writer w;
	struct cfg_buf msg;
	struct timeval tv;

	if (o->rcpts.n == 0 && !o->extract)
		die(64, "Recipient addresses must be specified on the command line or via the -t "
		        "option");
	cfg_buf_init(&msg);
	read_message(o, &msg);
	if (limit > 0 && (long)msg.len > limit)
		die(75, "message file too big");
	user_names(&login, &full);
	if (qf_create(&w, queue_dir, QF_MAILDROP) < 0)
		die(75, "create file %s/maildrop: %s", queue_dir, strerror(errno));
	w.seal_mode = 0744;
	if (o->extract)
		w.hflags |= QF_H_EXTRACT;
	gettimeofday(&tv, NULL);
	qf_arrival(&w, (long)tv.tv_sec, (long)tv.tv_usec);
	qf_head(&w, 'S', o->sender ? o->sender : login);
	if (o->full_name || *full)
		qf_attr(&w, "full_name", o->full_name ? o->full_name : full);
	qf_content(&w, msg.data, msg.len);
	for (size_t i = 0; i < o->rcpts.n; i++)
		qf_rcpt(&w, o->rcpts.v[i], o->rcpts.v[i], o->notify);
	if (qf_seal(&w, 1) < 0)
		die(75, "write maildrop file: %s", strerror(errno));
	qf_writer_fini(&w);
	cfg_buf_fini(&msg);
	/* nobody listening is fine: the file waits until the mail system starts */
	ipc_trigger(queue_dir, "public", "pickup", 'W');
	return 0;
}

/*
 * verify - sendmail -bv: no message is read; a request goes through the queue
 * like mail, the delivery agents only say what they would do, and a report
 * is mailed to the sender.
 */
static int verify(struct opts *o, struct mta_conf *c)
{
	const char *queue_dir = mta_conf_str(c, "queue_directory");
	const char *login, *full;
	const char *sender;
	struct qf_writer w;
	struct timeval tv;

	if (o->rcpts.n == 0)
		die(64, "Recipient addresses must be specified on the command line or via the -t "
		        "option");
	user_names(&login, &full);
	sender = o->sender ? o->sender : login;
	if (qf_create(&w, queue_dir, QF_MAILDROP) < 0)
		die(75, "create file %s/maildrop: %s", queue_dir, strerror(errno));
	w.seal_mode = 0744;
	w.hflags |= QF_H_VERIFY;
	gettimeofday(&tv, NULL);
	qf_arrival(&w, (long)tv.tv_sec, (long)tv.tv_usec);
	qf_head(&w, 'S', sender);
	qf_content(&w, "Subject: probe\n\n", 16);
	for (size_t i = 0; i < o->rcpts.n; i++)
		qf_rcpt(&w, o->rcpts.v[i], o->rcpts.v[i], o->notify);
	if (qf_seal(&w, 1) < 0)
		die(75, "write maildrop file: %s", strerror(errno));
	qf_writer_fini(&w);
	ipc_trigger(queue_dir, "public", "pickup", 'W');
	printf("Mail Delivery Status Report will be mailed to <%s>.\n", sender);
	return fflush(stdout) == 0 ? 0 : 75;
}

/* run - exec a helper with the configuration directory in the environment */
static void run(const char *prog, char **argv, struct mta_conf *c)
{
	setenv("MAIL_CONFIG", mta_conf_dir(c), 1);
	execv(prog, argv);
	die(75, "execute %s: %s", prog, strerror(errno));
}

/* main - modes by option or by the name we were called with */
int main(int argc, char **argv)
{
	/* static: what lives until exit stays reachable (a program, not a library) */
	static struct opts o;
	static struct mta_conf c;
	struct cfg_buf why;
	const char *name = strrchr(argv[0], '/') ? strrchr(argv[0], '/') + 1 : argv[0];

	memset(&o, 0, sizeof(o));
	o.dot_ends = 1;
	cfg_strvec_init(&o.rcpts);
	mta_log_init("sendmail");
	mta_log_stderr(1);
	mta_ignore_signals();
	o.config_dir = getenv("MAIL_CONFIG");
	if (strcmp(name, "mailq") == 0)
		o.mode = M_QUEUE;
	else if (strcmp(name, "newaliases") == 0)
		o.mode = M_ALIASES;
	parse(argc, argv, &o);
	cfg_buf_init(&why);
	if (mta_conf_try(&c, o.config_dir, NULL, NULL, &why) < 0)
		die(75, "%s", why.data);
	cfg_buf_fini(&why);
	mta_conf_log(&c);
	mta_log_stderr(1);
	switch (o.mode) {
	case M_MAIL:
		return submit(&o, &c);
	case M_VERIFY:
		return verify(&o, &c);
	case M_QUEUE:
		return mailq_print(mta_conf_str(&c, "queue_directory"));
	case M_FLUSH:
		if (ipc_trigger(mta_conf_str(&c, "queue_directory"), "public", "qmgr", 'F') < 0)
			die(69, "Cannot flush mail queue - mail system is down");
		return 0;
	case M_SMTP: {
		char *prog =
		    find_program(POSTKIT_LIBEXECDIR, "postkit-daemon", "mta/postkit-daemon");
		static char a0[] = "smtpd", a1[] = "-S";
		char *av[] = {a0, a1, NULL};

		run(prog, av, &c);
		return 75;
	}
	case M_ALIASES: {
		char *prog =
		    find_program(POSTKIT_SBINDIR, "postalias", "tools/postalias/postalias");
		static char a0[] = "newaliases";
		char *av[] = {a0, NULL};

		run(prog, av, &c);
		return 75;
	}
	case M_DAEMON: {
		char *prog = find_program(POSTKIT_SBINDIR, "postfix", "tools/postfix/postfix");
		static char a0[] = "postfix", a1[] = "start";
		char *av[] = {a0, a1, NULL};

		run(prog, av, &c);
		return 75;
	}
	}
	return 0;
}
