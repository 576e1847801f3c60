/*
 * simulate.c - `postfix simulate`: what smtpd would answer, and which rule decided
 *
 *   postfix [-c DIR] simulate --client ADDR[,HOSTNAME] [--helo NAME] [--from ADDR]
 *       --to ADDR... [--sasl-user NAME] [--json] [--offline] [-o name=value...]
 *       [--message FILE]
 *
 * The session is smtpd's own: a child process runs smtpd's session code
 * (mta/smtpd, linked, with the settings of master.cf's smtpd inet service)
 * on one end of a socket pair, as if the client had connected from ADDR
 * with the verified name HOSTNAME ("unknown" without one); this side plays
 * the client, one command at a time, and records each reply byte for byte.
 * smtpd_check's trace hook reports, on a pipe, each restriction that
 * decided: the parameter, the element, and for an access table the table,
 * key and result.  The message (--message, else an empty one) goes to the
 * cleanup engine in a scratch queue directory that is removed afterwards:
 * the real queue is never written.  Without --from and --to the session
 * is the caller's: smtpd reads standard input and answers on standard
 * output, the trace goes to standard error as "# " comment lines.
 * --from/--to take an address, or with '<' the whole argument as sent
 * ("<a@b> NOTIFY=NEVER").  --offline points DNS at a closed port (every lookup fails at
 * once) and tells smtpd not to ask policy services (their answer counts as DUNNO).
 * --tls is refused: a TLS session cannot be simulated without a handshake.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "aliassrc.h"
#include "cfg/base/xalloc.h"
#include "cfg/config/effective.h"
#include "cfg/doc/mastercf.h"
#include "explain.h"
#include "log.h"
#include "server.h"
#include "smtpd/smtpd_api.h"

#define SEP '\x1f'

/* the options */
struct sim {
	struct smtpd_client who;
	char *client_arg;
	const char *helo, *from, *message;
	struct cfg_strvec to, overrides;
	int json, offline;
	int trace_fd; /* where the hook writes (pipe, or stderr in dialogue mode) */
	int dialogue;
	struct mta_server srv;
	char *scratch; /* the scratch queue directory */
};

static struct sim *the_sim; /* for the trace hook */

/* on_decision - smtpd_check's trace hook: one restriction decided */
static void on_decision(const struct smtpd_trace *t)
{
	struct cfg_buf line;
	const char *f[] = {t->parameter, t->element, t->table, t->key, t->result};

	cfg_buf_init(&line);
	if (the_sim->dialogue) {
		cfg_buf_printf(&line, "# decided by: %s: %s",
		               t->parameter ? t->parameter : "(class)", t->element);
		if (t->table)
			cfg_buf_printf(&line, " %s: key \"%s\" -> %s", t->table, t->key, t->result);
		cfg_buf_printf(&line, ": %s\n", t->permit ? "permit" : "reject");
	} else {
		for (size_t i = 0; i < sizeof(f) / sizeof(f[0]); i++) {
			cfg_buf_adds(&line, f[i] ? f[i] : "");
			cfg_buf_addc(&line, SEP);
		}
		cfg_buf_adds(&line, t->permit ? "permit\n" : "reject\n");
	}
	if (write(the_sim->trace_fd, line.data, line.len) < 0) {
		/* the reader is gone: nothing to report to */
	}
	cfg_buf_fini(&line);
}

/* smtpd_service - the first smtpd inet service of master.cf, or NULL */
static const struct cfg_service *smtpd_service(const struct cfg_config *cfg)
{
	const struct cfg_mastercf *m = cfg_config_mastercf(cfg);

	for (size_t i = 0; i < m->nsvcs; i++)
		if (strcmp(m->svcs[i].field[CFG_MF_TYPE], "inet") == 0 && m->svcs[i].argv.n
		    && strcmp(m->svcs[i].argv.v[0], "smtpd") == 0)
			return &m->svcs[i];
	return NULL;
}

/* open_conf - the smtpd service's view with the -o overrides; 0 or the exit status */
static int open_conf(struct sim *m, const char *config_dir)
{
	struct cfg_buf why;
	struct mta_conf probe;
	const struct cfg_service *svc;
	char *service = NULL;
	int rc;

	cfg_buf_init(&why);
	memset(&probe, 0, sizeof(probe));
	if (mta_conf_try(&probe, config_dir, NULL, NULL, &why) < 0) {
		rc = pfx_bad_input("simulate", "%s", why.data);
		cfg_buf_fini(&why);
		return rc;
	}
	svc = smtpd_service(probe.cfg);
	if (svc)
		service = cfg_xstrdup(svc->field[CFG_MF_SERVICE]);
	mta_conf_close(&probe);
	rc = mta_conf_try(&m->srv.conf, config_dir, service, service ? "inet" : NULL, &why);
	free(service); /* the view keeps its own copy */
	if (rc < 0) {
		rc = pfx_bad_input("simulate", "%s", why.data);
		cfg_buf_fini(&why);
		return rc;
	}
	cfg_buf_fini(&why);
	for (size_t i = 0; i < m->overrides.n; i++) {
		char *nv = cfg_xstrdup(m->overrides.v[i]);
		char *eq = strchr(nv, '=');

		*eq = '\0';
		cfg_config_override(m->srv.conf.cfg, nv, eq + 1);
		free(nv);
	}
	m->srv.name = "smtpd";
	m->srv.service = service ? service : "smtp";
	m->srv.type = "inet";
	m->srv.listen_fd = -1;
	m->srv.status_fd = m->srv.gen_fd = -1;
	cfg_strvec_init(&m->srv.args);
	return 0;
}

/* rm_entry - nftw callback of rm_scratch */
static int rm_entry(const char *path, const struct stat *st, int flag, struct FTW *f)
{
	(void)st;
	(void)flag;
	(void)f;
	remove(path);
	return 0;
}

/* make_scratch - a private queue directory for the message; 0 or -1 */
static int make_scratch(struct sim *m)
{
	static const char *const sub[] = {"incoming", "active", "deferred", "hold", "public"};
	char tmpl[] = "/tmp/postkit-simulate-XXXXXX";

	if (mkdtemp(tmpl) == NULL)
		return -1;
	m->scratch = cfg_xstrdup(tmpl);
	for (size_t i = 0; i < sizeof(sub) / sizeof(sub[0]); i++) {
		char *p = cfg_xasprintf("%s/%s", tmpl, sub[i]);

		mkdir(p, 0700);
		free(p);
	}
	m->srv.queue_dir = m->scratch;
	return 0;
}

/* run_smtpd - the child: smtpd's session on in/out */
static void run_smtpd(struct sim *m, int in, int out)
{
	mta_log_stderr_tag("# postfix/smtpd");
	smtpd_trace_hook = on_decision;
	smtpd_offline = m->offline;
	the_sim = m;
	smtpd_simulate(&m->srv, in, out, &m->who);
}

/* one stage of the transaction as the client saw it */
struct stage {
	const char *name;
	char *command;            /* what was sent, "" at connect */
	struct cfg_strvec lines;  /* the reply lines, without CR LF */
	struct cfg_strvec events; /* the trace lines of the hook */
};

/* read_reply - one whole reply (multi-line too); 0, or -1 on end of file or timeout */
static int read_reply(int fd, struct cfg_buf *in, struct cfg_strvec *lines)
{
	for (;;) {
		char *nl = in->len ? memchr(in->data, '\n', in->len) : NULL;
		char buf[4096];
		struct pollfd p = {fd, POLLIN, 0};
		ssize_t n;

		if (nl) {
			size_t len = (size_t)(nl - in->data);
			char *line = cfg_xstrndup(in->data, len && nl[-1] == '\r' ? len - 1 : len);
			int last = strlen(line) < 4 || line[3] != '-';

			cfg_strvec_add(lines, line);
			free(line);
			memmove(in->data, nl + 1, in->len - len - 1);
			cfg_buf_truncate(in, in->len - len - 1);
			if (last)
				return 0;
			continue;
		}
		if (poll(&p, 1, 60000) <= 0)
			return -1;
		n = read(fd, buf, sizeof(buf));
		if (n <= 0)
			return -1;
		cfg_buf_add(in, buf, (size_t)n);
	}
}

/* drain_trace - the hook's lines written so far */
static void drain_trace(int fd, struct cfg_buf *in, struct cfg_strvec *events)
{
	struct pollfd p = {fd, POLLIN, 0};
	char buf[4096];
	ssize_t n;
	char *nl;

	while (poll(&p, 1, 0) > 0 && (n = read(fd, buf, sizeof(buf))) > 0)
		cfg_buf_add(in, buf, (size_t)n);
	while (in->len && (nl = memchr(in->data, '\n', in->len)) != NULL) {
		size_t len = (size_t)(nl - in->data);
		char *line = cfg_xstrndup(in->data, len);

		cfg_strvec_add(events, line);
		free(line);
		memmove(in->data, nl + 1, in->len - len - 1);
		cfg_buf_truncate(in, in->len - len - 1);
	}
}

/*
 * path_arg - "MAIL FROM:<a>" / "RCPT TO:<a>"; an argument that starts with
 * '<' or a space, or holds one (ESMTP parameters), is sent as written, and
 * so is an empty recipient
 */
static void path_arg(struct cfg_buf *cmd, const char *verb, const char *a, int raw_empty)
{
	if (*a == '<' || strchr(a, ' ') || (*a == '\0' && raw_empty))
		cfg_buf_printf(cmd, "%s%s", verb, a);
	else
		cfg_buf_printf(cmd, "%s<%s>", verb, a);
}

/* read_message - the --message file (NULL when unreadable); *len its size */
static char *read_message(const char *path, size_t *len)
{
	struct cfg_buf b;
	FILE *f = fopen(path, "rb");
	char chunk[4096];
	size_t got;

	cfg_buf_init(&b);
	while (f && (got = fread(chunk, 1, sizeof(chunk), f)) > 0)
		cfg_buf_add(&b, chunk, got);
	if (f)
		fclose(f);
	*len = b.len;
	return b.data;
}

/* dot_stuff - the message as DATA content: CR LF line ends, leading dots doubled, "." */
static void dot_stuff(struct cfg_buf *cmd, const char *p, size_t n)
{
	const char *end = p + n;

	while (p < end) {
		const char *e = memchr(p, '\n', (size_t)(end - p));
		size_t len = e ? (size_t)(e - p) : (size_t)(end - p);

		if (len && p[len - 1] == '\r')
			len--;
		if (*p == '.')
			cfg_buf_addc(cmd, '.');
		cfg_buf_add(cmd, p, len);
		cfg_buf_adds(cmd, "\r\n");
		p = e ? e + 1 : end;
	}
	cfg_buf_adds(cmd, ".\r\n");
}

/* client - the transaction's commands over fd, one stage each; returns the stages used */
static size_t client(struct sim *m, int fd, int tfd, struct stage *st, size_t max)
{
	struct cfg_buf in, tin;
	size_t n = 0;
	char *msg = NULL;
	size_t msglen = 0;

	cfg_buf_init(&in);
	cfg_buf_init(&tin);
	for (size_t k = 0; k < max; k++) {
		cfg_strvec_init(&st[k].lines);
		cfg_strvec_init(&st[k].events);
	}
	if (m->message)
		msg = read_message(m->message, &msglen);
	for (size_t i = 0;; i++) {
		struct stage *s = &st[n];
		struct cfg_buf cmd;

		cfg_buf_init(&cmd);
		if (i == 0) {
			s->name = "connect";
		} else if (i == 1) {
			if (m->helo == NULL) {
				cfg_buf_fini(&cmd);
				continue;
			}
			s->name = "helo";
			cfg_buf_printf(&cmd, "EHLO %s", m->helo);
		} else if (i == 2) {
			s->name = "mail";
			path_arg(&cmd, "MAIL FROM:", m->from ? m->from : "", 0);
		} else if (i < 3 + m->to.n) {
			s->name = "rcpt";
			path_arg(&cmd, "RCPT TO:", m->to.v[i - 3], 1);
		} else if (i == 3 + m->to.n) {
			s->name = "data";
			cfg_buf_adds(&cmd, "DATA");
		} else if (i == 4 + m->to.n && n > 0 && strncmp(st[n - 1].name, "data", 4) == 0
		           && st[n - 1].lines.n && strncmp(st[n - 1].lines.v[0], "354", 3) == 0) {
			s->name = "end-of-data";
		} else {
			cfg_buf_fini(&cmd);
			break;
		}
		s->command = cfg_xstrdup(cmd.data ? cmd.data : "");
		if (i > 0 && strcmp(s->name, "end-of-data") != 0)
			cfg_buf_adds(&cmd, "\r\n");
		if (strcmp(s->name, "end-of-data") == 0) {
			free(s->command);
			s->command = cfg_xstrdup(".");
			dot_stuff(&cmd, msg ? msg : "", msglen);
		}
		if (cmd.len && write(fd, cmd.data, cmd.len) != (ssize_t)cmd.len) {
			cfg_buf_fini(&cmd);
			free(s->command);
			break;
		}
		cfg_buf_fini(&cmd);
		if (read_reply(fd, &in, &s->lines) < 0) {
			free(s->command);
			break;
		}
		drain_trace(tfd, &tin, &s->events);
		n++;
		if (n == max || strncmp(s->lines.v[s->lines.n - 1], "421", 3) == 0)
			break;
	}
	if (write(fd, "QUIT\r\n", 6) < 0) {
		/* the session is over anyway */
	}
	free(msg);
	cfg_buf_fini(&in);
	cfg_buf_fini(&tin);
	return n;
}

/* split_event - the fields of one trace line: param, element, table, key, result, verdict */
static size_t split_event(char *line, char *f[6])
{
	size_t n = 0;

	f[n++] = line;
	for (char *p = line; *p && n < 6; p++)
		if (*p == SEP) {
			*p = '\0';
			f[n++] = p + 1;
		}
	return n;
}

/* stage_json - one stage as the schema's object */
static struct cfg_json *stage_json(struct sim *m, struct stage *s)
{
	struct cfg_json *o = cfg_json_object(), *r = cfg_json_object(), *l = cfg_json_array();
	const char *last = s->lines.v[s->lines.n - 1];
	const char *text = strlen(last) > 4 ? last + 4 : "";
	size_t dl = strspn(text, "0123456789.");

	cfg_json_object_set(o, "stage", cfg_json_string(s->name));
	cfg_json_object_set(o, "command", cfg_json_string(s->command));
	cfg_json_object_set(r, "code", cfg_json_integer(strtol(last, NULL, 10)));
	if (dl >= 5 && text[dl] == ' ' && (text[0] == '2' || text[0] == '4' || text[0] == '5')) {
		cfg_json_object_set(r, "enhanced", cfg_json_stringn(text, dl));
		text += dl + 1;
	} else {
		cfg_json_object_set(r, "enhanced", cfg_json_null());
	}
	cfg_json_object_set(r, "text", cfg_json_string(text));
	for (size_t i = 0; i < s->lines.n; i++)
		cfg_json_array_append(l, cfg_json_string(s->lines.v[i]));
	cfg_json_object_set(r, "lines", l);
	cfg_json_object_set(o, "reply", r);
	if (s->events.n) {
		char *line = cfg_xstrdup(s->events.v[s->events.n - 1]);
		char *f[6] = {NULL};
		struct cfg_json *d = cfg_json_object();

		if (split_event(line, f) == 6) {
			if (*f[0])
				pfx_origin_json(&m->srv.conf, f[0], d);
			else
				cfg_json_object_set(d, "parameter", cfg_json_null());
			cfg_json_object_set(d, "element", cfg_json_string(f[1]));
			for (int k = 2; k < 5; k++)
				cfg_json_object_set(d,
				                    k == 2   ? "table"
				                    : k == 3 ? "key"
				                             : "result",
				                    *f[k] ? cfg_json_string(f[k])
				                          : cfg_json_null());
		}
		free(line);
		cfg_json_object_set(o, "decided_by", d);
	} else {
		cfg_json_object_set(o, "decided_by", cfg_json_null());
	}
	return o;
}

/* stage_text - one stage as text: command, reply, the rules that decided */
static void stage_text(struct sim *m, struct stage *s)
{
	if (*s->command)
		printf(">>> %s\n", s->command);
	else
		printf(">>> (connect from %s[%s])\n", m->who.name, m->who.addr);
	for (size_t i = 0; i < s->lines.n; i++)
		printf("<<< %s\n", s->lines.v[i]);
	for (size_t i = 0; i < s->events.n; i++) {
		char *line = cfg_xstrdup(s->events.v[i]);
		char *f[6] = {NULL};

		if (split_event(line, f) == 6) {
			printf("    %s: %s", f[5], f[1]);
			if (*f[2])
				printf(" %s: key \"%s\" -> %s", f[2], f[3], f[4]);
			printf(" in %s\n",
			       *f[0] ? pfx_origin_text(&m->srv.conf, f[0]) : "a restriction class");
		}
		free(line);
	}
	if (s->events.n == 0)
		printf("    %s\n", strchr("23", s->lines.v[s->lines.n - 1][0])
		                       ? "no rule matched: default permit"
		                       : "decided by the SMTP protocol, not by a restriction");
}

/* usage - the bad-usage exit */
static int usage(const char *why)
{
	return pfx_bad_input("simulate",
	                     "%s. Usage: postfix simulate --client ADDR[,HOSTNAME] [--helo NAME] "
	                     "[--from ADDR] --to ADDR... [--sasl-user NAME] [--json] [--offline] "
	                     "[-o name=value...] [--message FILE]",
	                     why);
}

/* the options that take a value (each between spaces) */
#define VALUE_OPTIONS " --client --helo --from --to --sasl-user --message "

/* parse - the options into m; 0 or the exit status */
static int parse(struct sim *m, int argc, char **argv)
{
	char why[300];

	for (int i = 1; i < argc; i++) {
		const char *a = argv[i];
		int has = i + 1 < argc;
		char key[64];

		snprintf(key, sizeof(key), " %.60s ", a);
		if (strcmp(a, "--json") == 0) {
			m->json = 1;
		} else if (strcmp(a, "--offline") == 0) {
			m->offline = 1;
		} else if (strcmp(a, "--tls") == 0) {
			return pfx_bad_input("simulate",
			                     "--tls is not supported by postkit: a TLS "
			                     "session cannot be simulated without a handshake");
		} else if (!has && (strcmp(a, "-o") == 0 || strstr(VALUE_OPTIONS, key) != NULL)) {
			snprintf(why, sizeof(why), "option '%s' needs a value", a);
			return usage(why);
		} else if (strcmp(a, "--client") == 0) {
			m->client_arg = cfg_xstrdup(argv[++i]);
		} else if (strcmp(a, "--helo") == 0) {
			m->helo = argv[++i];
		} else if (strcmp(a, "--from") == 0) {
			m->from = argv[++i];
		} else if (strcmp(a, "--to") == 0) {
			cfg_strvec_add(&m->to, argv[++i]);
		} else if (strcmp(a, "--sasl-user") == 0) {
			m->who.sasl_user = argv[++i];
		} else if (strcmp(a, "--message") == 0) {
			m->message = argv[++i];
			if (access(m->message, R_OK) < 0)
				return pfx_bad_input("simulate", "open %s: %s", m->message,
				                     strerror(errno));
		} else if (strcmp(a, "-o") == 0) {
			if (strchr(argv[++i], '=') == NULL || argv[i][0] == '=') {
				snprintf(why, sizeof(why),
				         "bad -o argument '%.200s': need name=value", argv[i]);
				return usage(why);
			}
			cfg_strvec_add(&m->overrides, argv[i]);
		} else {
			snprintf(why, sizeof(why), "unknown option '%.200s'", a);
			return usage(why);
		}
	}
	if (m->client_arg == NULL)
		return usage("--client is required");
	m->who.addr = m->client_arg;
	m->who.name = "unknown";
	if (strchr(m->client_arg, ',')) {
		char *c = strchr(m->client_arg, ',');

		*c = '\0';
		m->who.name = c + 1;
	}
	if (*m->who.addr == '\0'
	    || strspn(m->who.addr, "0123456789abcdefABCDEF.:") != strlen(m->who.addr)) {
		snprintf(why, sizeof(why), "bad client address '%.200s'", m->who.addr);
		return usage(why);
	}
	m->dialogue = m->from == NULL && m->to.n == 0;
	if (!m->dialogue && m->to.n == 0)
		return usage("--from needs at least one --to");
	return 0;
}

/* transaction - the one-shot simulation: fork smtpd, play the client, print */
static int transaction(struct sim *m)
{
	int sv[2], tp[2], status;
	size_t max = m->to.n + 6, n;
	struct stage *st = cfg_xcalloc(max, sizeof(*st));
	pid_t pid;

	if (socketpair(AF_UNIX, SOCK_STREAM, 0, sv) < 0 || pipe(tp) < 0)
		mta_fatal("socketpair: %m");
	fflush(NULL);
	if ((pid = fork()) < 0)
		mta_fatal("fork: %m");
	if (pid == 0) {
		close(sv[0]);
		close(tp[0]);
		m->trace_fd = tp[1];
		run_smtpd(m, sv[1], sv[1]);
		_exit(0);
	}
	close(sv[1]);
	close(tp[1]);
	n = client(m, sv[0], tp[0], st, max);
	close(sv[0]);
	close(tp[0]);
	while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
		continue;
	if (n == 0) {
		free(st);
		return pfx_bad_input("simulate", "smtpd ended before its greeting (see above)");
	}
	if (m->json) {
		struct cfg_json *arr = cfg_json_array();

		for (size_t i = 0; i < n; i++)
			cfg_json_array_append(arr, stage_json(m, &st[i]));
		pfx_print_json(arr);
	} else {
		if (m->offline)
			printf("# offline: DNS lookups fail at once; policy services are not asked "
			       "(DUNNO)\n");
		for (size_t i = 0; i < n; i++)
			stage_text(m, &st[i]);
	}
	for (size_t i = 0; i < max; i++) {
		if (i < n)
			free(st[i].command);
		cfg_strvec_fini(&st[i].lines);
		cfg_strvec_fini(&st[i].events);
	}
	free(st);
	return 0;
}

/* pfx_simulate - the simulate subcommand */
int pfx_simulate(const char *config_dir, int argc, char **argv)
{
	struct sim m;
	int rc;

	memset(&m, 0, sizeof(m));
	cfg_strvec_init(&m.to);
	cfg_strvec_init(&m.overrides);
	if ((rc = parse(&m, argc, argv)) != 0 || (rc = open_conf(&m, config_dir)) != 0)
		goto out;
	pfx_alias_sources(&m.srv.conf, 1);
	if (m.offline)
		setenv("POSTKIT_DNS_SERVER", "127.0.0.1:1", 1);
	if (make_scratch(&m) < 0) {
		rc = pfx_bad_input("simulate", "create a scratch queue directory: %s",
		                   strerror(errno));
		goto out;
	}
	if (m.dialogue) {
		m.trace_fd = STDERR_FILENO;
		if (m.offline)
			fprintf(stderr, "# offline: DNS lookups fail at once; policy services are "
			                "not asked (DUNNO)\n");
		run_smtpd(&m, STDIN_FILENO, STDOUT_FILENO);
	} else {
		rc = transaction(&m);
	}
	nftw(m.scratch, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
out:
	free(m.scratch);
	free(m.client_arg);
	cfg_strvec_fini(&m.to);
	cfg_strvec_fini(&m.overrides);
	if (m.srv.conf.cfg)
		mta_conf_close(&m.srv.conf);
	return rc;
}
