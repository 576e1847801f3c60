/* smtpd.c - the SMTP server: protocol, commands, replies (see smtpd.h) */
#include "config.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <netdb.h>
#include <pwd.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "cfg/base/xalloc.h"
#include "cfg/map/map.h"
#include "ipc.h"
#include "log.h"
#include "maps.h"
#include "smtpd.h"
#include "smtpd_check.h"
#include "smtpd_anvil.h"

/* the order Postfix prints command counters in */
static const char *const count_names[] = {
    "helo", "ehlo", "xclient", "xforward", "starttls", "auth", "mail", "rcpt",
    "data", "bdat", "rset",    "noop",     "vrfy",     "etrn", "quit", "unknown",
};
#define NCOUNTS (sizeof(count_names) / sizeof(count_names[0]))

static struct smtpd_cfg cfg;

/* ---- replies and logging ---- */

void smtpd_flush(struct smtpd *s)
{
	if (s->out.wbuf.len && mta_stream_flush(&s->out) < 0)
		s->dead = 1;
}

void smtpd_reply(struct smtpd *s, const char *fmt, ...)
{
	va_list ap;
	size_t start = s->out.wbuf.len;

	va_start(ap, fmt);
	cfg_buf_vprintf(&s->out.wbuf, fmt, ap);
	va_end(ap);
	if (s->out.wbuf.data[start] == '4' || s->out.wbuf.data[start] == '5') {
		smtpdp_footer(s, &s->out.wbuf, start);
		s->errors++;
		/* past the soft limit every error reply is delayed (tarpit) */
		if (s->errors > cfg.soft_errors && cfg.error_sleep > 0) {
			smtpd_flush(s);
			sleep((unsigned)cfg.error_sleep);
		}
	}
	cfg_buf_adds(&s->out.wbuf, "\r\n");
}

/* count - bump a command counter; ok says whether it succeeded */
static void count(struct smtpd *s, const char *name, int ok)
{
	for (size_t i = 0; i < s->ncounts; i++) {
		if (strcmp(s->counts[i].name, name) == 0) {
			s->counts[i].total++;
			if (ok)
				s->counts[i].ok++;
			return;
		}
	}
}

void smtpd_log_reject(struct smtpd *s, const char *what, const char *stage, const char *reply,
                      const char *rcpt_ext)
{
	struct cfg_buf b;

	cfg_buf_init(&b);
	cfg_buf_printf(&b, "%s: %s: %s from %s: %s;", s->qid[0] ? s->qid : "NOQUEUE", what, stage,
	               s->log_client, reply);
	if (s->sender_ext)
		cfg_buf_printf(&b, " from=<%s>", s->sender_ext);
	if (rcpt_ext)
		cfg_buf_printf(&b, " to=<%s>", rcpt_ext);
	cfg_buf_printf(&b, " proto=%s", s->protocol);
	if (s->helo)
		cfg_buf_printf(&b, " helo=<%s>", s->helo);
	mta_info("%s", b.data);
	cfg_buf_fini(&b);
}

/* log_disconnect - "disconnect from CLIENT ehlo=1 mail=1 ... commands=N/M" */
static void log_disconnect(struct smtpd *s)
{
	struct cfg_buf b;
	unsigned ok = 0, total = 0;

	cfg_buf_init(&b);
	cfg_buf_printf(&b, "disconnect from %s", s->log_client);
	for (size_t i = 0; i < s->ncounts; i++) {
		const struct smtpd_count *c = &s->counts[i];

		if (c->total == 0)
			continue;
		if (c->ok == c->total)
			cfg_buf_printf(&b, " %s=%u", c->name, c->total);
		else
			cfg_buf_printf(&b, " %s=%u/%u", c->name, c->ok, c->total);
		ok += c->ok;
		total += c->total;
	}
	if (ok == total && total > 0) /* no command at all: Postfix says commands=0/0 */
		cfg_buf_printf(&b, " commands=%u", total);
	else
		cfg_buf_printf(&b, " commands=%u/%u", ok, total);
	mta_info("%s", b.data);
	cfg_buf_fini(&b);
}

/* lost - log why the session ended early ("lost connection"/"timeout") */
static void lost(struct smtpd *s, struct mta_stream *st)
{
	char extra[64] = "";

	if (s->where && (strcmp(s->where, "DATA") == 0 || strcmp(s->where, "BDAT") == 0))
		snprintf(extra, sizeof(extra), " (%llu bytes)", s->data_bytes);
	if (st->err == ETIMEDOUT) {
		mta_info("timeout after %s%s from %s", s->where, extra, s->log_client);
		smtpd_reply(s, "421 4.4.2 %s Error: timeout exceeded", cfg.myhostname);
		smtpd_flush(s);
	} else {
		mta_info("lost connection after %s%s from %s", s->where, extra, s->log_client);
	}
	s->dead = 1;
}

/* ---- transaction state ---- */

void smtpd_transaction_reset(struct smtpd *s)
{
	smtpd_close_queue(s);
	smtpd_milter_reset(s);
	free(s->sender);
	free(s->sender_ext);
	s->sender = s->sender_ext = NULL;
	for (size_t i = 0; i < s->nrcpt; i++) {
		free(s->rcpt[i].internal);
		free(s->rcpt[i].external);
		free(s->rcpt[i].orcpt);
	}
	s->nrcpt = 0;
	s->instance[0] = '\0';
	s->size_param = 0;
	s->dsn_ret = NULL;
	free(s->dsn_envid);
	s->dsn_envid = NULL;
	s->body_enc = NULL;
	s->smtputf8 = 0;
	s->discard = s->hold = 0;
	cfg_strvec_clear(&s->prepend);
	free(s->filter);
	s->filter = NULL;
	free(s->redirect);
	s->redirect = NULL;
	cfg_strvec_clear(&s->bcc);
	s->in_bdat = s->bdat_failed = 0;
	s->data_bytes = 0;
	smtpd_xforward_reset(s);
}

/* smtpd_helo_reset - forget HELO/EHLO (and the transaction) */
void smtpd_helo_reset(struct smtpd *s)
{
	free(s->helo);
	s->helo = NULL;
	smtpd_transaction_reset(s);
}

/* ---- client identity ---- */

/* smtpd_set_log_client - "name[addr]" */
void smtpd_set_log_client(struct smtpd *s)
{
	if (s->cfg->port_logging)
		snprintf(s->log_client, sizeof(s->log_client), "%s[%s]:%s", s->name, s->addr,
		         s->port);
	else
		snprintf(s->log_client, sizeof(s->log_client), "%s[%s]", s->name, s->addr);
}

/*
 * A small cache of verified client names: a client that connects again
 * within a few seconds (mail in bulk) costs no new reverse and forward
 * lookup.  Entries expire quickly so DNS changes are seen.
 */
#define NAME_CACHE 16
#define NAME_TTL 10
static struct {
	char addr[64];
	char name[256];
	char rev[256];
	time_t expires;
} name_cache[NAME_CACHE];
static size_t names_next;

/* name_cached - fill s->name and s->rev_name from the cache; 1 when found */
static int name_cached(struct smtpd *s)
{
	time_t now = time(NULL);

	for (size_t i = 0; i < NAME_CACHE; i++) {
		if (name_cache[i].expires > now && strcmp(name_cache[i].addr, s->addr) == 0) {
			snprintf(s->name, sizeof(s->name), "%s", name_cache[i].name);
			snprintf(s->rev_name, sizeof(s->rev_name), "%s", name_cache[i].rev);
			return 1;
		}
	}
	return 0;
}

/* name_remember - store the names just looked up */
static void name_remember(struct smtpd *s)
{
	size_t i = names_next++ % NAME_CACHE;

	snprintf(name_cache[i].addr, sizeof(name_cache[i].addr), "%s", s->addr);
	snprintf(name_cache[i].name, sizeof(name_cache[i].name), "%s", s->name);
	snprintf(name_cache[i].rev, sizeof(name_cache[i].rev), "%s", s->rev_name);
	name_cache[i].expires = time(NULL) + NAME_TTL;
}

/* lookup_client - peer address and verified name */
static void lookup_client(struct smtpd *s, int fd)
{
	struct sockaddr_storage ss;
	socklen_t len = sizeof(ss);
	char host[NI_MAXHOST];
	int ni = 0; /* the reverse lookup's outcome: EAI_AGAIN is a temporary failure */

	snprintf(s->name, sizeof(s->name), "unknown");
	snprintf(s->rev_name, sizeof(s->rev_name), "unknown");
	if (getpeername(fd, (struct sockaddr *)&ss, &len) < 0
	    || (ss.ss_family != AF_INET && ss.ss_family != AF_INET6)) {
		/* sendmail -bs, or a UNIX-domain client: Postfix calls it localhost */
		snprintf(s->name, sizeof(s->name), "localhost");
		snprintf(s->rev_name, sizeof(s->rev_name), "localhost");
		snprintf(s->addr, sizeof(s->addr), "127.0.0.1");
		snprintf(s->port, sizeof(s->port), "unknown");
		smtpd_set_log_client(s);
		return;
	}
	if (getnameinfo((struct sockaddr *)&ss, len, s->addr, sizeof(s->addr), s->port,
	                sizeof(s->port), NI_NUMERICHOST | NI_NUMERICSERV)
	    != 0)
		snprintf(s->addr, sizeof(s->addr), "unknown");
	/* IPv4-mapped IPv6 looks like IPv4 in logs, as in Postfix */
	if (strncasecmp(s->addr, "::ffff:", 7) == 0 && strchr(s->addr + 7, '.'))
		memmove(s->addr, s->addr + 7, strlen(s->addr + 7) + 1);
	snprintf(s->peer_addr, sizeof(s->peer_addr), "%s", s->addr);
	if (cfg.peername_lookup && name_cached(s)) {
		/* the same client a moment ago: the names are still good */
	} else if (cfg.peername_lookup
	           && (ni = getnameinfo((struct sockaddr *)&ss, len, host, sizeof(host), NULL, 0,
	                                NI_NAMEREQD))
	                  == 0) {
		struct addrinfo hints, *res = NULL;

		snprintf(s->rev_name, sizeof(s->rev_name), "%.255s", host);
		/* forward-confirm the name, as Postfix does */
		memset(&hints, 0, sizeof(hints));
		hints.ai_socktype = SOCK_STREAM;
		if (getaddrinfo(host, NULL, &hints, &res) == 0) {
			for (struct addrinfo *a = res; a; a = a->ai_next) {
				char num[INET6_ADDRSTRLEN];

				if (getnameinfo(a->ai_addr, a->ai_addrlen, num, sizeof(num), NULL,
				                0, NI_NUMERICHOST)
				        == 0
				    && strcasecmp(num, s->addr) == 0) {
					snprintf(s->name, sizeof(s->name), "%.255s", host);
					break;
				}
			}
			freeaddrinfo(res);
		}
	}
	s->name_temp = s->rev_name_temp = ni == EAI_AGAIN;
	if (cfg.peername_lookup)
		name_remember(s);
	smtpd_set_log_client(s);
}

/* smtpd_client_changed - recompute what depends on the client's address */
void smtpd_client_changed(struct smtpd *s)
{
	s->in_mynetworks = smtpd_check_mynetworks(s);
	/* as Postfix: no XCLIENT or XFORWARD for sendmail -bs */
	s->xclient_ok = !s->srv->standalone && cfg.xclient_hosts
	                && match_host(cfg.xclient_hosts, s->name, s->addr) > 0;
	s->xforward_ok = !s->srv->standalone && cfg.xforward_hosts
	                 && match_host(cfg.xforward_hosts, s->name, s->addr) > 0;
	s->bare_nl_mode = 0;
	if (strcasecmp(cfg.forbid_bare_nl, "yes") == 0
	    || strcasecmp(cfg.forbid_bare_nl, "normalize") == 0)
		s->bare_nl_mode = 1;
	else if (strcasecmp(cfg.forbid_bare_nl, "reject") == 0)
		s->bare_nl_mode = 2;
	if (s->bare_nl_mode && cfg.bare_nl_exclusions
	    && match_host(cfg.bare_nl_exclusions, s->name, s->addr) > 0)
		s->bare_nl_mode = 0;
}

/* no command word is this long */
#define CMD_WORD_MAX 32

/* looks_like_header - "Name:..." (a mail header's label), what no SMTP command starts with */
static int looks_like_header(const char *word)
{
	const char *p = word;

	while (*p > ' ' && *p < 127 && *p != ':')
		p++;
	return p > word && *p == ':';
}

/*
 * forbidden - an unknown command word that smtpd_forbidden_commands names
 * (a table is asked with the word as its key) or that looks like a header
 */
static int forbidden(const char *word)
{
	if (looks_like_header(word))
		return 1;
	for (size_t i = 0; i < cfg.forbidden_cmds.n; i++) {
		const char *f = cfg.forbidden_cmds.v[i];

		if (strchr(f, ':')) {
			const char *value;

			if (mta_map_get(f, word, &value) > 0)
				return 1;
		} else if (strcasecmp(f, word) == 0) {
			return 1;
		}
	}
	return 0;
}

/* read_command - one command line into line (CR LF removed); 0, or -1 when the session ends */
static int read_command(struct smtpd *s, struct cfg_buf *line)
{
	int eol;
	size_t got;

	cfg_buf_reset(line);
	got = mta_stream_gets(&s->in, line, (size_t)cfg.line_limit, &eol);
	if (got == 0) {
		lost(s, &s->in);
		return -1;
	}
	if (!eol) {
		/* too long: keep the first part, drop the rest of the line */
		struct cfg_buf junk;
		int e2 = 0;

		cfg_buf_init(&junk);
		while (!e2 && !mta_stream_failed(&s->in)) {
			cfg_buf_reset(&junk);
			mta_stream_gets(&s->in, &junk, 65536, &e2);
		}
		cfg_buf_fini(&junk);
		mta_warn("%s: request longer than %ld: %.25s...", s->log_client, cfg.line_limit,
		         line->data);
		if (line->len && line->data[line->len - 1] == '\r')
			cfg_buf_truncate(line, line->len - 1);
		return 0;
	}
	cfg_buf_truncate(line, line->len - 1);
	if (line->len && line->data[line->len - 1] == '\r') {
		cfg_buf_truncate(line, line->len - 1);
	} else if (s->bare_nl_mode == 2) {
		smtpd_log_reject(s, "reject", s->where, "bare <LF> received", NULL);
		smtpd_reply(s, "%ld 5.5.2 %s Error: bare <LF> received", cfg.bare_nl_code,
		            cfg.myhostname);
		smtpd_flush(s);
		s->dead = 1;
		return -1;
	}
	return 0;
}

/* escape_ahead - input shown in a log line: \r \n \t \\ by name, other odd bytes in octal */
static void escape_ahead(const struct cfg_buf *in, struct cfg_buf *out)
{
	for (size_t i = 0; i < in->len; i++) {
		unsigned char ch = (unsigned char)in->data[i];

		if (ch == '\r')
			cfg_buf_adds(out, "\\r");
		else if (ch == '\n')
			cfg_buf_adds(out, "\\n");
		else if (ch == '\t')
			cfg_buf_adds(out, "\\t");
		else if (ch == '\\')
			cfg_buf_adds(out, "\\\\");
		else if (ch < 0x20 || ch >= 0x7f)
			cfg_buf_printf(out, "\\%03o", ch);
		else
			cfg_buf_addc(out, (char)ch);
	}
}

void smtpd_pipelining(struct smtpd *s, const char *after, int last)
{
	struct cfg_buf ahead, text;

	/* sendmail -bs reads a pipe: Postfix does not look ahead there */
	if (s->ill_pipelining || s->srv->standalone || (!last && strcmp(s->protocol, "SMTP") != 0))
		return;
	cfg_buf_init(&ahead);
	cfg_buf_init(&text);
	if (mta_stream_peek(&s->in, &ahead, 100) > 0) {
		escape_ahead(&ahead, &text);
		mta_info("improper command pipelining after %s from %s: %s", after, s->log_client,
		         text.data);
		s->ill_pipelining = 1;
	}
	cfg_buf_fini(&text);
	cfg_buf_fini(&ahead);
}

/* session - the command loop for one client */
static void session(struct smtpd *s)
{
	struct cfg_buf line;
	const char *reply;
	unsigned last_flags = 0;

	cfg_buf_init(&line);
	if (!cfg.delay_reject && !s->srv->standalone
	    && (reply = smtpd_check_stage(s, ST_CONNECT)) != NULL) {
		/* refused at connect: the greeting says so, every later command gets 503 */
		smtpd_log_reject(s, "reject", "CONNECT", reply, NULL);
		s->denied = cfg_xstrdup(reply);
		smtpd_reply(s, "%s", reply);
	} else if (s->milter_deny && s->milter_deny[0] == '5') {
		smtpd_reply(s, "554 %s ESMTP not accepting connections", cfg.myhostname);
	} else {
		smtpd_reply(s, "220 %s", cfg.banner);
	}
	/* a client that talks before the greeting */
	smtpd_pipelining(s, "CONNECT", 1);
	smtpd_flush(s);
	while (!s->dead && !s->quit) {
		const struct smtpd_cmd *c;
		size_t wl;
		const char *start, *arg;
		int rc;

		/*
		 * input ahead of its turn after the previous command (DATA checks its own);
		 * not after a TLS handshake: the client's next command may follow it at once
		 */
		if (strcmp(s->where, "DATA") != 0 && strcmp(s->where, "CONNECT") != 0
		    && !(strcmp(s->where, "STARTTLS") == 0 && s->tls))
			smtpd_pipelining(s, s->where, (last_flags & CMD_LAST) != 0);
		if (s->errors >= cfg.hard_errors) {
			mta_info("too many errors after %s from %s", s->where, s->log_client);
			smtpd_reply(s, "421 4.7.0 %s Error: too many errors", cfg.myhostname);
			break;
		}
		if (mta_stream_pending(&s->in) == 0)
			smtpd_flush(s);
		if (s->dead || read_command(s, &line) < 0)
			break;
		if (cfg.smtputf8 && !cfg_map_utf8_valid(line.data, line.len)) {
			/* before anything else looks at it, as Postfix: not counted as a command */
			smtpd_reply(s, "500 5.5.2 Error: bad UTF-8 syntax");
			continue;
		}
		/* the command word: blanks in front do not count, a blank line is bad syntax */
		start = line.data + strspn(line.data, " \t");
		if (*start == '\0') {
			smtpd_reply(s, "500 5.5.2 Error: bad syntax");
			continue;
		}
		wl = strcspn(start, " \t");
		arg = start + wl;
		for (c = smtpd_cmds; wl < CMD_WORD_MAX && c->name; c++)
			if (strncasecmp(c->name, start, wl) == 0 && c->name[wl] == '\0')
				break;
		if (wl >= CMD_WORD_MAX || c->name == NULL) {
			char *w = cfg_xstrndup(start, wl);
			int bad = forbidden(w);

			free(w);
			count(s, "unknown", 0);
			s->where = "UNKNOWN";
			last_flags = 0;
			if (bad) {
				struct cfg_buf shown;

				cfg_buf_init(&shown);
				escape_ahead(&line, &shown);
				mta_warn("non-SMTP command from %s: %.100s", s->log_client,
				         shown.data);
				cfg_buf_fini(&shown);
				smtpd_reply(s, "221 2.7.0 Error: I can break rules, too. Goodbye.");
				break;
			}
			smtpd_reply(s, "500 5.5.2 Error: command not recognized");
			continue;
		}
		last_flags = c->flags;
		if ((c->flags & CMD_JUNK) && s->junk++ > cfg.junk_limit)
			s->errors++; /* slows down a client that only says NOOP */
		s->where = c->name;
		if (s->denied && strcasecmp(c->name, "QUIT") != 0) {
			smtpd_reply(s, "503 5.7.0 Error: access denied for %s", s->log_client);
			rc = -1;
		} else if (!(c->flags & CMD_PRE_TLS) && smtpd_tls_enforced(s)) {
			smtpd_reply(s, "530 5.7.0 Must issue a STARTTLS command first");
			rc = -1;
		} else {
			s->line = line.data;
			rc = c->fn(s, arg);
		}
		{
			char lower[32];
			size_t i;

			for (i = 0; c->name[i] && i + 1 < sizeof(lower); i++)
				lower[i] = (char)tolower((unsigned char)c->name[i]);
			lower[i] = '\0';
			count(s, lower, rc == 0);
		}
	}
	smtpd_flush(s);
	cfg_buf_fini(&line);
}

/* server_end - our address and port of the client's TCP connection, for the policy and
 * auth servers, the milters and the queue file */
static void server_end(struct smtpd *s, int fd)
{
	struct sockaddr_storage ss;
	socklen_t len = sizeof(ss);

	if (getsockname(fd, (struct sockaddr *)&ss, &len) == 0
	    && (ss.ss_family == AF_INET || ss.ss_family == AF_INET6)
	    && getnameinfo((struct sockaddr *)&ss, len, s->srv_addr, sizeof(s->srv_addr),
	                   s->srv_port, sizeof(s->srv_port), NI_NUMERICHOST | NI_NUMERICSERV)
	           != 0)
		s->srv_addr[0] = s->srv_port[0] = '\0';
}

/* serve_as - one client connection; who: the client given (postfix simulate), else the peer */
static void serve_as(struct mta_server *srv, int in, int out, const struct smtpd_client *who)
{
	struct smtpd s;

	memset(&s, 0, sizeof(s));
	s.srv = srv;
	s.cfg = &cfg;
	s.protocol = "SMTP";
	s.where = "CONNECT";
	s.start = time(NULL);
	cfg_strvec_init(&s.prepend);
	cfg_strvec_init(&s.bcc);
	mta_stream_init(&s.in, in, (int)cfg.timeout);
	mta_stream_init(&s.out, out, (int)cfg.timeout);
	s.ncounts = NCOUNTS;
	s.counts = cfg_xcalloc(NCOUNTS, sizeof(*s.counts));
	for (size_t i = 0; i < NCOUNTS; i++)
		s.counts[i].name = count_names[i];
	if (who == NULL) {
		lookup_client(&s, in);
		server_end(&s, in);
	} else {
		snprintf(s.addr, sizeof(s.addr), "%s", who->addr);
		snprintf(s.port, sizeof(s.port), "unknown");
		snprintf(s.name, sizeof(s.name), "%s", who->name);
		snprintf(s.rev_name, sizeof(s.rev_name), "%s", who->name);
		smtpd_set_log_client(&s);
		if (who->sasl_user) {
			s.sasl_method = cfg_xstrdup("PLAIN");
			s.sasl_username = cfg_xstrdup(who->sasl_user);
		}
	}
	/*
	 * local_header_rewrite_clients = permit_inet_interfaces (its default;
	 * other values are refused), as Postfix judges it: the socket's peer,
	 * whatever XCLIENT says later
	 */
	s.local_rewrite = rslv_is_our_addr(cfg.rslv, s.addr);
	smtpd_client_changed(&s);
	mta_info("connect from %s", s.log_client);
	if (who == NULL && smtpd_anvil_connect(&s) < 0) {
		smtpd_flush(&s); /* over a connection limit: the 421 only */
	} else {
		if (who == NULL)
			smtpd_milter_connect(&s);
		if (!cfg.tls_wrapper || smtpd_tls_wrapper(&s) == 0)
			session(&s);
	}
	smtpd_anvil_disconnect(&s);
	smtpd_transaction_reset(&s);
	smtpd_milter_end(&s);
	smtpd_tls_end(&s);
	smtpd_sasl_reset(&s);
	log_disconnect(&s);
	free(s.helo);
	free(s.denied);
	free(s.rcpt);
	free(s.counts);
	if (s.check_reply.data != NULL)
		cfg_buf_fini(&s.check_reply);
	cfg_strvec_fini(&s.prepend);
	cfg_strvec_fini(&s.bcc);
	mta_stream_fini(&s.in);
	mta_stream_fini(&s.out);
}

/* serve - one client connection */
static void serve(struct mta_server *srv, int in, int out)
{
	serve_as(srv, in, out, NULL);
}

/*
 * override_has - receive_override_options names word.  An unknown option is
 * fatal, with Postfix's words, before any mail is taken.
 */
static int override_has(const char *value, const char *word)
{
	static const char *const known[] = {"no_unknown_recipient_checks", "no_address_mappings",
	                                    "no_header_body_checks", "no_milters", NULL};
	struct cfg_strvec w;
	int has = 0;

	cfg_strvec_init(&w);
	cfg_strvec_split(&w, value ? value : "", ", \t\r\n");
	for (size_t i = 0; i < w.n; i++) {
		size_t k = 0;

		while (known[k] && strcasecmp(w.v[i], known[k]) != 0)
			k++;
		if (known[k] == NULL)
			mta_fatal("unknown receive_override_options value \"%s\" in \"%s\"", w.v[i],
			          value);
		if (strcasecmp(w.v[i], word) == 0)
			has = 1;
	}
	cfg_strvec_fini(&w);
	return has;
}

/*
 * standalone_init - sendmail -bs: the invoking user's own submission.  As
 * in Postfix's stand-alone mode, no smtpd_*_restrictions apply (unless the
 * user is mail_owner, for whom Postfix runs a real server); the server
 * skeleton already keeps the smtpd lines out of the client's stderr.
 */
static void standalone_init(struct mta_server *srv)
{
	struct passwd *owner = getpwnam(mta_conf_str(&srv->conf, CFG_P_mail_owner));
	struct smtpd_rules *r = cfg.rules;
	struct rlist *lists[] = {&r->client, &r->helo, &r->sender, &r->relay,
	                         &r->rcpt,   &r->data, &r->eod,    &r->etrn};

	if (owner && owner->pw_uid == getuid())
		return;
	for (size_t i = 0; i < sizeof(lists) / sizeof(lists[0]); i++)
		smtpdp_rlist_fini(lists[i]);
	cfg.unlisted_rcpt = cfg.unlisted_sender = 0;
}

/* init - read the settings once per process */
static void init(struct mta_server *srv)
{
	struct mta_setting tab[] = {
	    MTA_SET(CFG_P_smtpd_banner, &cfg.banner),
	    MTA_SET(CFG_P_myhostname, &cfg.myhostname),
	    MTA_SET(CFG_P_mail_name, &cfg.mail_name),
	    MTA_SET(CFG_P_cleanup_service_name, &cfg.cleanup_service),
	    MTA_SET(CFG_P_smtpd_timeout, &cfg.timeout),
	    MTA_SET(CFG_P_message_size_limit, &cfg.size_limit),
	    MTA_SET(CFG_P_smtpd_recipient_limit, &cfg.rcpt_limit),
	    MTA_SET(CFG_P_line_length_limit, &cfg.line_limit),
	    MTA_SET(CFG_P_smtpd_hard_error_limit, &cfg.hard_errors),
	    MTA_SET(CFG_P_smtpd_soft_error_limit, &cfg.soft_errors),
	    MTA_SET(CFG_P_smtpd_junk_command_limit, &cfg.junk_limit),
	    MTA_SET(CFG_P_smtpd_error_sleep_time, &cfg.error_sleep),
	    MTA_SET(CFG_P_disable_vrfy_command, &cfg.disable_vrfy),
	    MTA_SET(CFG_P_smtpd_helo_required, &cfg.helo_required),
	    MTA_SET(CFG_P_smtpd_delay_reject, &cfg.delay_reject),
	    MTA_SET(CFG_P_smtpd_delay_open_until_valid_rcpt, &cfg.delay_open),
	    MTA_SET(CFG_P_smtpd_reject_unlisted_recipient, &cfg.unlisted_rcpt),
	    MTA_SET(CFG_P_smtpd_reject_unlisted_sender, &cfg.unlisted_sender),
	    MTA_SET(CFG_P_strict_rfc821_envelopes, &cfg.strict_821),
	    MTA_SET(CFG_P_smtputf8_enable, &cfg.smtputf8),
	    MTA_SET(CFG_P_smtpd_peername_lookup, &cfg.peername_lookup),
	    MTA_SET(CFG_P_smtpd_client_port_logging, &cfg.port_logging),
	    MTA_SET(CFG_P_show_user_unknown_table_name, &cfg.show_table_name),
	    MTA_SET(CFG_P_smtpd_forbid_bare_newline, &cfg.forbid_bare_nl),
	    MTA_SET(CFG_P_smtpd_forbid_bare_newline_reject_code, &cfg.bare_nl_code),
	    MTA_SET(CFG_P_smtpd_discard_ehlo_keywords, &cfg.discard_ehlo),
	    MTA_SET(CFG_P_smtpd_forbidden_commands, &cfg.forbidden_cmds),
	    MTA_SET(CFG_P_content_filter, &cfg.content_filter),
	    MTA_SETTINGS_END,
	};

	cfg_strvec_init(&cfg.discard_ehlo);
	cfg_strvec_init(&cfg.forbidden_cmds);
	mta_conf_get(&srv->conf, tab);
	if (cfg.line_limit < 512)
		cfg.line_limit = 512;
	if (cfg.hard_errors <= 0)
		cfg.hard_errors = 20;
	/* passed on to cleanup as written */
	cfg.receive_override = mta_conf_text(&srv->conf, CFG_P_receive_override_options);
	cfg.no_unknown_rcpt = override_has(cfg.receive_override, "no_unknown_recipient_checks");
	smtpd_check_init(&cfg, &srv->conf);
	smtpd_sasl_init(&cfg, srv);
	if (srv->standalone)
		standalone_init(srv);
	else
		smtpd_cleanup_init(srv, cfg.cleanup_service);
	if (!srv->standalone)
		smtpd_milter_init(srv);
}

/* daemon_init - the settings, and the limits that only a real server applies */
static void daemon_init(struct mta_server *srv)
{
	init(srv);
	smtpd_anvil_init(srv);
}

/* pre_init - what needs root: the TLS keys */
static void pre_init(struct mta_server *srv)
{
	smtpd_tls_init(&cfg, srv);
}

/* smtpd_simulate - postfix simulate: the settings of srv, then one session as client who */
void smtpd_simulate(struct mta_server *srv, int in, int out, const struct smtpd_client *who)
{
	init(srv);
	serve_as(srv, in, out, who);
}

/* main - the smtpd program */
int smtpd_main(int argc, char **argv);
int smtpd_main(int argc, char **argv)
{
	static const struct mta_server_ops ops = {
	    .pre_init = pre_init, .init = daemon_init, .serve = serve};

	return mta_server_main(argc, argv, "smtpd", MTA_SERVE_CONN, &ops, NULL);
}
