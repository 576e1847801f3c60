/*
 * postcat - show a queue file the way Postfix's postcat shows one
 *
 * postcat [-behv] [-c config_dir] [-q] [files...]
 *   -e  the envelope, -h the header, -b the body (default: all three, with
 *       the "*** ENVELOPE RECORDS name ***" ... "*** MESSAGE FILE END name ***"
 *       section lines, which -e also asks for)
 *   -q  the arguments are queue IDs, looked up in the queues (maildrop,
 *       incoming, active, deferred, hold, saved)
 *   -v  each content line with the type of the record Postfix stores it in
 *       ("regular_text: ", or "unterminated_text: " for the first 2048-byte
 *       pieces of a longer line)
 * Without files, standard input.  postkit's queue files are not in
 * Postfix's record format: the envelope is rendered with Postfix's record
 * names (message_size, message_arrival_time, create_time, named_attribute,
 * sender_fullname, sender, original_recipient, recipient, done_recipient)
 * from what postkit keeps; a submission in the maildrop queue shows what
 * Postfix's postdrop file holds.  The options that show Postfix's record
 * layout itself (-d, -o, -r, -s) are refused.  Fatal errors exit 1; a file
 * that is not a queue file is a warning.  postkit's own: --help, --version.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "cfg/base/xalloc.h"
#include "conf.h"
#include "log.h"
#include "opts.h"
#include "qfile.h"
#include "server.h"

#define F_BODY 0x01u
#define F_ENV 0x02u
#define F_HEAD 0x04u
#define F_VERBOSE 0x08u

/* where postcat -q looks for a queue ID, in Postfix's order */
static const char *const queues[] = {"maildrop", "incoming", "active", "deferred",
                                     "hold",     "saved",    NULL};

#define SYNOPSIS "[-behv] [-c config_dir] [-q] [files...]"

/* usage - Postfix's usage message, with the name postcat was invoked by */
static _Noreturn void usage(const char *argv0)
{
	mta_fatal("usage: %s [-b (body text)] [-c config_dir] [-d (decimal record type)] [-e "
	          "(envelope records)] [-h (header text)] [-q (access queue)] [-v] [file(s)...]",
	          argv0);
}

/* when - an arrival time as Postfix's postcat prints it (asctime, no newline) */
static const char *when(long sec)
{
	static char buf[64];
	time_t t = (time_t)sec;
	struct tm tm;

	if (localtime_r(&t, &tm) == NULL || asctime_r(&tm, buf) == NULL)
		return "??";
	buf[strcspn(buf, "\n")] = '\0';
	return buf;
}

/* forwarded - the log_* attributes smtpd recorded from XFORWARD (the original client) */
static int forwarded(const struct qf_env *e)
{
	static const char *const names[] = {"log_client_name", "log_client_address",
	                                    "log_client_port", "log_message_origin",
	                                    "log_helo_name",   "log_protocol_name"};
	int any = 0;

	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		const char *v = qf_env_attr(e, names[i]);

		if (v) {
			printf("named_attribute: %s=%s\n", names[i], v);
			any = 1;
		}
	}
	return any;
}

/* client - the client attributes of a message received over SMTP, with Postfix's names */
static void client(const struct qf_env *e)
{
	const char *name = qf_env_attr(e, "client_name"), *addr = qf_env_attr(e, "client_addr");
	const char *port = qf_env_attr(e, "client_port"), *helo = qf_env_attr(e, "helo");
	const char *proto = qf_env_attr(e, "protocol"), *v;

	if (name == NULL || addr == NULL)
		return;
	if (!forwarded(e)) {
		printf("named_attribute: log_client_name=%s\n", name);
		printf("named_attribute: log_client_address=%s\n", addr);
		if (port)
			printf("named_attribute: log_client_port=%s\n", port);
		printf("named_attribute: log_message_origin=%s[%s]\n", name, addr);
		if (helo)
			printf("named_attribute: log_helo_name=%s\n", helo);
		if (proto)
			printf("named_attribute: log_protocol_name=%s\n", proto);
	}
	printf("named_attribute: client_name=%s\n", name);
	if ((v = qf_env_attr(e, "rev_client_name")) != NULL)
		printf("named_attribute: reverse_client_name=%s\n", v);
	printf("named_attribute: client_address=%s\n", addr);
	if (port)
		printf("named_attribute: client_port=%s\n", port);
	if ((v = qf_env_attr(e, "server_addr")) != NULL)
		printf("named_attribute: server_address=%s\n", v);
	if ((v = qf_env_attr(e, "server_port")) != NULL)
		printf("named_attribute: server_port=%s\n", v);
	if (helo)
		printf("named_attribute: helo_name=%s\n", helo);
	if (proto)
		printf("named_attribute: protocol_name=%s\n", proto);
	printf("named_attribute: client_address_type=%d\n", strchr(addr, ':') ? 10 : 2);
}

/* dsn_attrs - ENVID and RET, as Postfix names them */
static void dsn_attrs(const struct qf_env *e)
{
	const char *v;

	if ((v = qf_env_attr(e, "envid")) != NULL)
		printf("named_attribute: envelope_id=%s\n", v);
	if ((v = qf_env_attr(e, "ret")) != NULL)
		printf("named_attribute: ret_flags=%d\n", strcmp(v, "full") == 0 ? 1 : 2);
}

/* envelope - the envelope records of a queued message, or of a submission (maildrop) */
static void envelope(int fd, const struct qf_env *e, int submission)
{
	const char *ctx = qf_env_attr(e, "rewrite_context"), *full = qf_env_attr(e, "full_name");
	long long size;

	if (!submission && qf_message_size(fd, e, &size) == 0)
		printf("message_size: %15lld %15lld %15zu %15d %15lld %15d\n", size,
		       (long long)e->content_off, e->nrcpt, 0, size, 0);
	printf("message_arrival_time: %s\n", when(e->arrival_sec));
	if (submission) {
		dsn_attrs(e);
		printf("named_attribute: rewrite_context=%s\n", ctx ? ctx : "local");
	} else {
		/* postkit creates the queue file when the message arrives */
		printf("create_time: %s\n", when(e->arrival_sec));
		if (qf_env_attr(e, "log_ident"))
			printf("named_attribute: log_ident=%s\n", qf_env_attr(e, "log_ident"));
		if (ctx)
			printf("named_attribute: rewrite_context=%s\n", ctx);
		dsn_attrs(e);
	}
	if (full)
		printf("sender_fullname: %s\n", full);
	printf("sender: %s\n", e->sender);
	if (qf_env_attr(e, "encoding"))
		printf("named_attribute: encoding=%s\n", qf_env_attr(e, "encoding"));
	client(e);
	for (size_t i = 0; i < e->nrcpt; i++) {
		const struct qf_rcpt *r = &e->rcpt[i];

		if (r->notify)
			printf("named_attribute: notify_flags=%u\n", r->notify);
		if (!submission) {
			if (r->dsn_orcpt)
				printf("named_attribute: dsn_orig_rcpt=%s\n", r->dsn_orcpt);
			else
				printf("named_attribute: dsn_orig_rcpt=rfc822;%s\n", r->orig);
			printf("original_recipient: %s\n", r->orig);
		}
		printf("%s: %s\n", r->status == '-' ? "recipient" : "done_recipient", r->addr);
	}
}

/*
 * The header/body state as Postfix's postcat keeps it, record by record:
 * a record that does not look like a header line ends the header, unless
 * the record printed before it was the first piece of a longer line (so
 * with -b, or -v, the rest of a header line longer than 2048 bytes starts
 * the body, as Postfix's postcat shows it).
 */
struct text_state {
	unsigned flags;
	int in_header;
	int printing;
	int prev_cont; /* the last record printed was a piece without newline */
	int stop;      /* nothing more to print */
};

/* record - one record of the content: a piece of a line (cont) or its end */
static void record(struct text_state *t, const char *p, size_t len, int cont)
{
	int verbose = (t->flags & F_VERBOSE) != 0;

	if (t->in_header && !t->prev_cont && !qf_pf_in_header(p, len)) {
		t->in_header = 0;
		t->printing = (t->flags & F_BODY) != 0;
		t->stop = !t->printing && !(t->flags & F_ENV);
	}
	if (!t->printing || t->stop)
		return;
	if (verbose)
		fputs(cont ? "unterminated_text: " : "regular_text: ", stdout);
	fwrite(p, 1, len, stdout);
	if (!cont || verbose)
		putchar('\n');
	t->prev_cont = cont && !verbose;
}

/* content - the header and/or the body, as the records Postfix stores them in */
static void content(int fd, const struct qf_env *e, unsigned flags)
{
	struct text_state t = {.flags = flags, .in_header = 1, .printing = (flags & F_HEAD) != 0};
	struct cfg_buf text;
	int cleanup_header = 1; /* where cleanup cut the lines: header and body differ */

	cfg_buf_init(&text);
	if (qf_read_content(fd, e, &text) < 0)
		mta_fatal("read queue file content: %m");
	for (size_t off = 0; off < text.len && !t.stop;) {
		const char *p = text.data + off, *nl = memchr(p, '\n', text.len - off);
		size_t len = nl ? (size_t)(nl - p) : text.len - off;

		off += len + (nl != NULL);
		if (cleanup_header && !qf_pf_in_header(p, len))
			cleanup_header = 0;
		for (; qf_pf_split(len, cleanup_header) && !t.stop;
		     p += QF_PF_LINE_LIMIT, len -= QF_PF_LINE_LIMIT)
			record(&t, p, QF_PF_LINE_LIMIT, 1);
		record(&t, p, len, 0);
	}
	if (t.printing && !t.stop && t.prev_cont)
		putchar('\n');
	cfg_buf_fini(&text);
}

/* show - one queue file; name is what the section lines call it */
static void show(int fd, const char *name, unsigned flags)
{
	struct qf_env e;
	struct cfg_buf why;
	struct stat st;

	qf_env_init(&e);
	cfg_buf_init(&why);
	if (fstat(fd, &st) < 0 || qf_read(fd, &e, &why) < 0) {
		if (fstat(fd, &st) == 0 && st.st_size > 0)
			mta_warn("%s: input is not a valid queue file", name);
	} else {
		if (flags & F_ENV)
			printf("*** ENVELOPE RECORDS %s ***\n", name);
		/* a submission is readable by pickup: mode 0744, as postdrop leaves it */
		if (flags & F_ENV)
			envelope(fd, &e, (st.st_mode & S_IROTH) != 0);
		if (flags & F_ENV)
			printf("*** MESSAGE CONTENTS %s ***\n", name);
		if (flags & (F_HEAD | F_BODY))
			content(fd, &e, flags);
		if (flags & F_ENV) {
			printf("*** HEADER EXTRACTED %s ***\n", name);
			/* what cleanup learnt from the content */
			if (qf_env_xattr(&e, "encoding"))
				printf("named_attribute: encoding=%s\n",
				       qf_env_xattr(&e, "encoding"));
			printf("*** MESSAGE FILE END %s ***\n", name);
		}
	}
	if (fflush(stdout) != 0)
		mta_fatal("write error: %m");
	cfg_buf_fini(&why);
	qf_env_fini(&e);
}

/* open_queued - a queue ID in the first queue that has it; name gets "queue/ID" */
static int open_queued(const char *qid, char **name)
{
	int fd = -1, err = ENOENT;

	for (size_t q = 0; queues[q] && fd < 0; q++) {
		*name = cfg_xasprintf("%s/%s", queues[q], qid);
		if (qf_valid_id(qid) && (fd = open(*name, O_RDONLY | O_NOFOLLOW | O_CLOEXEC)) < 0) {
			if (errno != ENOENT)
				err = errno;
		}
		if (fd < 0)
			free(*name);
	}
	if (fd < 0) {
		errno = err;
		mta_fatal("open queue file %s: %m", qid);
	}
	return fd;
}

/* open_stdin - standard input as a file that can be read at any offset */
static int open_stdin(void)
{
	struct stat st;
	FILE *tmp;
	char buf[16384];
	size_t n;

	if (fstat(STDIN_FILENO, &st) == 0 && S_ISREG(st.st_mode))
		return STDIN_FILENO;
	if ((tmp = tmpfile()) == NULL)
		mta_fatal("create temporary file: %m");
	while ((n = fread(buf, 1, sizeof(buf), stdin)) > 0)
		if (fwrite(buf, 1, n, tmp) != n)
			mta_fatal("write temporary file: %m");
	if (fflush(tmp) != 0)
		mta_fatal("write temporary file: %m");
	return dup(fileno(tmp)); /* the stream stays open until exit; tmpfile() removed its name */
}

/* the options; --help is made from this table */
static const struct tool_opt options[] = {
    {'b', NULL, NULL, "show the message body"},
    {'c', NULL, "config_dir", "use the main.cf file in config_dir"},
    {'d', NULL, NULL, "decimal record types (not implemented by postkit)"},
    {'e', NULL, NULL, "show the envelope (and the section lines)"},
    {'h', NULL, NULL, "show the message header"},
    {'o', NULL, NULL, "record offsets (not implemented by postkit)"},
    {'q', NULL, NULL, "the arguments are queue IDs, not files"},
    {'r', NULL, NULL, "records in file order (not implemented by postkit)"},
    {'s', NULL, "offset", "start at a record offset (not implemented by postkit)"},
    {'v', NULL, NULL, "show the record type of each content line"},
    TOOL_OPT_STANDARD,
    {0, NULL, NULL, NULL},
};

/* parse - the options; the flags (*status: the exit status once --help or --version answered) */
static unsigned parse(int argc, char **argv, int *by_queue, int *ind, int *status)
{
	struct tool_opt_state st;
	unsigned flags = 0;
	int c;

	tool_opt_init(&st, argc, argv, argv[0]);
	while ((c = tool_opt_next(&st, options)) != TOOL_OPT_END) {
		switch (c) {
		case 'b':
			flags |= F_BODY;
			break;
		case 'c':
			setenv("MAIL_CONFIG", st.arg, 1);
			break;
		case 'e':
			flags |= F_ENV;
			break;
		case 'h':
			flags |= F_HEAD;
			break;
		case 'q':
			*by_queue = 1;
			break;
		case 'v':
			flags |= F_VERBOSE;
			break;
		case 'd':
		case 'o':
		case 'r':
		case 's':
			/* fail closed: these show Postfix's record layout, which postkit's files do not have */
			mta_fatal("-%c is not implemented by postkit (its queue files are not in "
			          "Postfix's "
			          "record format)",
			          c);
		default:
			if ((*status = tool_opt_standard(c, "postcat", SYNOPSIS, options)) >= 0)
				return 0;
			usage(argv[0]);
		}
	}
	*ind = st.ind;
	if (!(flags & (F_BODY | F_ENV | F_HEAD)))
		flags |= F_BODY | F_ENV | F_HEAD;
	return flags;
}

/*
 * directory - whether fd is a directory: Postfix's postcat then only warns that
 * closing what it was given failed ("close ARG: Is a directory") and goes on
 */
static int directory(int fd, const char *arg)
{
	struct stat st;

	if (fstat(fd, &st) < 0 || !S_ISDIR(st.st_mode))
		return 0;
	errno = EISDIR;
	mta_warn("close %s: %m", arg);
	return 1;
}

/* main - options, configuration, then every file or queue ID */
int main(int argc, char **argv)
{
	static struct mta_conf c;
	static char prog[] = "postcat";
	struct cfg_buf why;
	unsigned flags;
	int by_queue = 0, first = argc, status = -1;

	/* as Postfix's postcat: messages name the program as it was invoked ("/usr/sbin/postcat") */
	if (argc < 1 || argv[0] == NULL || *argv[0] == '\0')
		argv[0] = prog;
	mta_log_init("postcat");
	mta_log_stderr(1);
	mta_log_stderr_tag(argv[0]);
	mta_ignore_signals();
	flags = parse(argc, argv, &by_queue, &first, &status);
	if (status >= 0)
		return status;
	cfg_buf_init(&why);
	if (mta_conf_try(&c, getenv("MAIL_CONFIG"), NULL, NULL, &why) < 0)
		mta_fatal("%s", why.data);
	cfg_buf_fini(&why);
	if (by_queue && chdir(mta_conf_str(&c, CFG_P_queue_directory)) < 0)
		mta_fatal("chdir %s: %m", mta_conf_str(&c, CFG_P_queue_directory));
	if (first == argc && !by_queue) {
		int fd = open_stdin();

		show(fd, "stdin", flags);
		return 0;
	}
	for (int i = first; i < argc; i++) {
		char *name = NULL;
		int fd;

		if (by_queue) {
			if (!qf_pf_id_ok(argv[i]))
				mta_fatal("bad mail queue ID: %s", argv[i]);
			fd = open_queued(argv[i], &name);
		} else if ((fd = open(argv[i], O_RDONLY | O_CLOEXEC)) < 0) {
			mta_fatal("open %s: %m", argv[i]);
		}
		if (!directory(fd, argv[i]))
			show(fd, name ? name : argv[i], flags);
		close(fd);
		free(name);
	}
	return 0;
}
