/*
 * postdrop - the set-gid gate to the maildrop queue
 *
 * postdrop [-rv] [-c config_dir]
 * sendmail (and smtpd -bs) run "postdrop -r" and write one submission to it
 * in the postdrop protocol (submit.h); postdrop answers with the queue ID.
 * It checks every record and writes the queue file in maildrop/ itself, as the invoking user with the
 * group of the set-gid program: nobody else can write there, and the file
 * owner tells pickup who submitted the message.  It takes no time, uid,
 * client or other attribute from its caller but the few that sendmail may
 * set (rewrite_context, envid, ret); a full name loses its control
 * characters, a sender or recipient with one is refused.
 *
 * Installed set-gid (postfix set-permissions), a non-default configuration
 * directory must be listed in the default main.cf, as Postfix requires;
 * unprivileged (an instance owned by its user) it is an ordinary program.
 * Messages and exit statuses are Postfix's: 0 queued (or cancelled by the
 * end of input), 1 refused, SUBMIT_TOO_BIG over message_size_limit.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <unistd.h>

#include "cfg/base/strvec.h"
#include "cfg/base/xalloc.h"
#include "conf.h"
#include "ipc.h"
#include "log.h"
#include "opts.h"
#include "qfile.h"
#include "submit.h"

/* the file being written: a signal or a fatal error removes it */
static char *drop_path;

/* one submission as it arrives */
struct drop {
	uid_t uid;
	long limit; /* message_size_limit, 0 none */
	char *sender;
	char *full_name;
	struct cfg_strvec attrs; /* "name=value", allowed ones only */
	struct cfg_strvec rcpts; /* "notify addr" */
	unsigned hflags;
	struct qf_writer w;
	long size;
};

/* remove_partial - the signal handler: no half-written file stays behind */
static void remove_partial(int sig)
{
	if (drop_path)
		unlink(drop_path);
	_exit(sig);
}

/* die - "postdrop: fatal: ...", the partial file removed, exit 1 */
static _Noreturn void die(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static _Noreturn void die(const char *fmt, ...)
{
	va_list ap;

	if (drop_path)
		unlink(drop_path);
	va_start(ap, fmt);
	mta_vlog(3, fmt, ap);
	va_end(ap);
	exit(1);
}

/* std_fds - stdin, stdout and stderr open before anything else is */
static void std_fds(void)
{
	for (int fd = 0; fd < 3; fd++)
		if (fcntl(fd, F_GETFD) < 0 && open("/dev/null", O_RDWR) != fd)
			exit(1);
}

/* get_line - one record line without its newline; 1, 0 at end of input */
static int get_line(struct drop *d, struct cfg_buf *line)
{
	int c;

	cfg_buf_reset(line);
	while ((c = getchar()) != EOF && c != '\n') {
		if (line->len >= SUBMIT_LINE_MAX)
			die("uid=%ld: malformed input", (long)d->uid);
		cfg_buf_addc(line, c);
	}
	if (c == EOF) {
		if (ferror(stdin))
			die("uid=%ld: error reading input: %m", (long)d->uid);
		return 0;
	}
	return 1;
}

/* attribute - an A record: allowed names and values are kept, others noted and dropped */
static void attribute(struct drop *d, char *nv)
{
	char *eq = strchr(nv, '=');
	const char *v;

	if (eq == NULL) {
		mta_warn("uid=%ld: ignoring malformed record: missing '=' after attribute name: "
		         "%.200s",
		         (long)d->uid, submit_printable(nv));
		return;
	}
	*eq = '\0';
	v = eq + 1;
	if ((strcmp(nv, "rewrite_context") == 0
	     && (strcmp(v, "local") == 0 || strcmp(v, "remote") == 0))
	    || (strcmp(nv, "ret") == 0 && (strcmp(v, "full") == 0 || strcmp(v, "hdrs") == 0))
	    || (strcmp(nv, "encoding") == 0 && qf_encoding_ok(v))
	    || (strcmp(nv, "envid") == 0 && strlen(v) <= 100 && !submit_has_control(v))) {
		char *keep = cfg_xasprintf("%s=%s", nv, v);

		cfg_strvec_take(&d->attrs, keep);
		return;
	}
	mta_warn("uid=%ld: ignoring attribute record: %.200s=%.200s", (long)d->uid,
	         submit_printable(nv), submit_printable(v));
}

/* recipient - an R record "notify address" */
static void recipient(struct drop *d, char *v)
{
	char *end;
	unsigned long notify = strtoul(v, &end, 16);

	if (end == v || *end != ' ' || notify > 0xf)
		die("uid=%ld: malformed input", (long)d->uid);
	qf_unescape(end + 1);
	if (submit_has_control(end + 1))
		die("uid=%ld: malformed input", (long)d->uid);
	cfg_strvec_take(&d->rcpts, cfg_xasprintf("%lx %s", notify, end + 1));
}

/* envelope - one record before the content; 1 for M (the content starts) */
static int envelope(struct drop *d, char *rec)
{
	char *v = rec + 1;

	switch (rec[0]) {
	case 'S':
		if (d->sender)
			die("uid=%ld: unexpected record type: %d", (long)d->uid, 'S');
		qf_unescape(v);
		if (submit_has_control(v))
			die("uid=%ld: malformed input", (long)d->uid);
		d->sender = cfg_xstrdup(v);
		return 0;
	case 'F':
		qf_unescape(v);
		/* a newline here would start a header of its own in From: */
		for (char *p = v; *p; p++)
			if ((unsigned char)*p < 0x20 || *p == 0x7f)
				*p = ' ';
		free(d->full_name);
		d->full_name = cfg_xstrdup(v);
		return 0;
	case 'A':
		qf_unescape(v);
		attribute(d, v);
		return 0;
	case 'H':
		/* only what a submission may ask for: recipients from headers, verification */
		d->hflags = (unsigned)strtoul(v, NULL, 16) & (QF_H_EXTRACT | QF_H_VERIFY);
		return 0;
	case 'R':
		recipient(d, v);
		return 0;
	case 'M':
		if (d->sender == NULL)
			die("uid=%ld: unexpected record type: %d", (long)d->uid, 'M');
		return 1;
	default:
		die("uid=%ld: unexpected record type: %d", (long)d->uid, (unsigned char)rec[0]);
	}
}

/* create_file - the maildrop file, our own arrival time first; its queue ID to the caller */
static void create_file(struct drop *d, const char *queue_dir)
{
	struct timeval tv;

	if (qf_create(&d->w, queue_dir, QF_MAILDROP) < 0)
		die("uid=%ld: create file %s/%s: %m", (long)d->uid, queue_dir, QF_MAILDROP);
	drop_path = d->w.path;
	d->w.seal_mode = 0744; /* readable by pickup, which runs as mail_owner */
	gettimeofday(&tv, NULL);
	qf_arrival(&d->w, (long)tv.tv_sec, (long)tv.tv_usec);
	printf("queue_id=%s\n", d->w.qid);
	fflush(stdout);
}

/* start_content - the envelope is complete: the rest of the head */
static void start_content(struct drop *d)
{
	d->w.hflags = d->hflags;
	qf_head(&d->w, 'S', d->sender);
	if (d->full_name && *d->full_name)
		qf_attr(&d->w, "full_name", d->full_name);
	for (size_t i = 0; i < d->attrs.n; i++) {
		char *eq = strchr(d->attrs.v[i], '=');

		*eq = '\0';
		qf_attr(&d->w, d->attrs.v[i], eq + 1);
		*eq = '=';
	}
}

/* too_big - over message_size_limit: read the rest so the caller does not see SIGPIPE */
static _Noreturn void too_big(struct drop *d)
{
	char chunk[8192];

	mta_warn("uid=%ld: File too large", (long)d->uid);
	drop_path = NULL; /* qf_abort() removes it and frees the name */
	qf_abort(&d->w);
	while (fread(chunk, 1, sizeof(chunk), stdin) > 0)
		;
	exit(SUBMIT_TOO_BIG);
}

/* content - D records up to E; 1 when E ended them, 0 at end of input */
static int content(struct drop *d, struct cfg_buf *line)
{
	char chunk[8192];

	while (get_line(d, line)) {
		char *end;
		unsigned long long len;

		if (strcmp(line->data, "E") == 0)
			return 1;
		if (line->data[0] != 'D')
			die("uid=%ld: unexpected record type: %d", (long)d->uid,
			    (unsigned char)line->data[0]);
		len = strtoull(line->data + 1, &end, 10);
		if (end == line->data + 1 || *end != '\0')
			die("uid=%ld: malformed input", (long)d->uid);
		while (len > 0) {
			size_t want = len < sizeof(chunk) ? (size_t)len : sizeof(chunk);
			size_t got = fread(chunk, 1, want, stdin);

			if (got == 0)
				return 0;
			d->size += (long)got;
			if (d->limit > 0 && d->size > d->limit)
				too_big(d);
			qf_content(&d->w, chunk, got);
			len -= got;
		}
	}
	return 0;
}

/* finish - recipients, seal, fsync: the message is ours from here on */
static void finish(struct drop *d, const char *queue_dir)
{
	for (size_t i = 0; i < d->rcpts.n; i++) {
		char *sp = strchr(d->rcpts.v[i], ' ');

		*sp = '\0';
		qf_rcpt(&d->w, sp + 1, sp + 1, (unsigned)strtoul(d->rcpts.v[i], NULL, 16));
	}
	if (qf_seal(&d->w, 1) < 0)
		die("uid=%ld: %m", (long)d->uid);
	drop_path = NULL;
	qf_writer_fini(&d->w);
	/* nobody listening is fine: the file waits for the mail system */
	ipc_trigger(queue_dir, "public", "pickup", 'W');
}

/* the options; --help is made from this table */
static const struct tool_opt options[] = {
    {'c', NULL, "config_dir", "use the main.cf file in config_dir"},
    {'r', NULL, NULL, "accepted: the input is always in the postdrop protocol"},
    {'v', NULL, NULL, "more verbose logging"},
    TOOL_OPT_STANDARD,
    {0, NULL, NULL, NULL},
};

/* setup - options, the configuration and who may submit; exits after --help, --version */
static void setup(int argc, char **argv, struct mta_conf *c, struct drop *d)
{
	const char *config_dir;
	struct cfg_buf why;
	const char *who;
	struct tool_opt_state st;
	int ch, status;

	tool_opt_init(&st, argc, argv, "postdrop");
	while ((ch = tool_opt_next(&st, options)) != TOOL_OPT_END) {
		switch (ch) {
		case 'c':
			setenv("MAIL_CONFIG", st.arg, 1);
			break;
		case 'r':
		case 'v':
			break;
		default:
			if ((status =
			         tool_opt_standard(ch, "postdrop", "[-c config_dir] [-v]", options))
			    >= 0)
				exit(status);
			die("usage: %s [-c config_dir] [-v]", "postdrop");
		}
	}
	config_dir = submit_config_dir(1);
	cfg_buf_init(&why);
	if (mta_conf_try(c, config_dir, NULL, NULL, &why) < 0)
		die("%s", why.data);
	cfg_buf_fini(&why);
	submit_log(c);
	mta_log_stderr(1);
	if ((who = submit_user_denied(c, "authorized_submit_users", d->uid)) != NULL)
		die("User %s(%ld) is not allowed to submit mail", who, (long)d->uid);
	d->limit = mta_conf_long(c, CFG_P_message_size_limit);
}

/* main - one submission from standard input into the maildrop queue */
int main(int argc, char **argv)
{
	static struct mta_conf c;
	static struct drop d;
	static char name[] = "postdrop";
	static struct cfg_buf line;
	const char *queue_dir;
	int in_content = 0;

	umask(022);
	std_fds();
	argv[0] = name; /* the caller chose argv[0]: messages use our own name */
	mta_log_init("postdrop");
	mta_log_stderr(1);
	signal(SIGPIPE, SIG_IGN);
	signal(SIGXFSZ, SIG_IGN);
	signal(SIGINT, remove_partial);
	signal(SIGQUIT, remove_partial);
	signal(SIGTERM, remove_partial);
	signal(SIGHUP, remove_partial);
	d.uid = getuid();
	cfg_strvec_init(&d.attrs);
	cfg_strvec_init(&d.rcpts);
	setup(argc, argv, &c, &d);
	queue_dir = mta_conf_str(&c, CFG_P_queue_directory);
	if (chdir(queue_dir) < 0)
		die("chdir %s: %m", queue_dir);
	create_file(&d, queue_dir);
	cfg_buf_init(&line);
	while (!in_content && get_line(&d, &line))
		in_content = envelope(&d, line.data);
	if (in_content && d.rcpts.n == 0 && !(d.hflags & QF_H_EXTRACT))
		die("uid=%ld: malformed input", (long)d.uid);
	if (in_content)
		start_content(&d);
	if (!in_content || !content(&d, &line)) {
		/* the end of input before E: the submission was cancelled */
		drop_path = NULL;
		qf_abort(&d.w);
		return 0;
	}
	finish(&d, queue_dir);
	cfg_buf_fini(&line);
	return 0;
}
