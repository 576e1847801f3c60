/* smtpd.c - the SMTP server: protocol, commands, replies (see smtpd.h) */
#include "config.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <netdb.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "cfg/xalloc.h"
#include "ipc.h"
#include "log.h"
#include "maps.h"
#include "smtpd.h"

/* the order Postfix prints command counters in */
static const char *const count_names[] = {
    "helo", "ehlo", "xclient", "xforward", "starttls", "auth", "mail", "rcpt",
    "data", "bdat", "rset",    "noop",     "vrfy",     "etrn", "quit", "unknown",
};
#define NCOUNTS (sizeof(count_names) / sizeof(count_names[0]))

#define CMD_JUNK 0x01u /* counts toward smtpd_junk_command_limit */

struct cmd {
	const char *name;
	int (*fn)(struct smtpd *s, const char *arg);
	unsigned flags;
};

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
	if (ok == total)
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
	free(s->sender);
	free(s->sender_ext);
	s->sender = s->sender_ext = NULL;
	for (size_t i = 0; i < s->nrcpt; i++) {
		free(s->rcpt[i].internal);
		free(s->rcpt[i].external);
		free(s->rcpt[i].orcpt);
	}
	s->nrcpt = 0;
	s->size_param = 0;
	s->body_8bit = s->smtputf8 = 0;
	s->discard = s->hold = 0;
	cfg_strvec_clear(&s->prepend);
	free(s->filter);
	s->filter = NULL;
	s->in_bdat = s->bdat_failed = 0;
	s->data_bytes = 0;
}

/* helo_reset - forget HELO/EHLO (and the transaction) */
static void helo_reset(struct smtpd *s)
{
	free(s->helo);
	s->helo = NULL;
	smtpd_transaction_reset(s);
}

/* ---- client identity ---- */

/* set_log_client - "name[addr]" */
static void set_log_client(struct smtpd *s)
{
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

	snprintf(s->name, sizeof(s->name), "unknown");
	snprintf(s->rev_name, sizeof(s->rev_name), "unknown");
	if (getpeername(fd, (struct sockaddr *)&ss, &len) < 0
	    || (ss.ss_family != AF_INET && ss.ss_family != AF_INET6)) {
		/* sendmail -bs, or a UNIX-domain client: Postfix calls it localhost */
		snprintf(s->name, sizeof(s->name), "localhost");
		snprintf(s->rev_name, sizeof(s->rev_name), "localhost");
		snprintf(s->addr, sizeof(s->addr), "127.0.0.1");
		snprintf(s->port, sizeof(s->port), "unknown");
		set_log_client(s);
		return;
	}
	if (getnameinfo((struct sockaddr *)&ss, len, s->addr, sizeof(s->addr), s->port,
	                sizeof(s->port), NI_NUMERICHOST | NI_NUMERICSERV)
	    != 0)
		snprintf(s->addr, sizeof(s->addr), "unknown");
	/* IPv4-mapped IPv6 looks like IPv4 in logs, as in Postfix */
	if (strncasecmp(s->addr, "::ffff:", 7) == 0 && strchr(s->addr + 7, '.'))
		memmove(s->addr, s->addr + 7, strlen(s->addr + 7) + 1);
	if (cfg.peername_lookup && name_cached(s)) {
		/* the same client a moment ago: the names are still good */
	} else if (cfg.peername_lookup
	           && getnameinfo((struct sockaddr *)&ss, len, host, sizeof(host), NULL, 0,
	                          NI_NAMEREQD)
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
	if (cfg.peername_lookup)
		name_remember(s);
	set_log_client(s);
}

/* client_changed - recompute what depends on the client's address */
static void client_changed(struct smtpd *s)
{
	s->in_mynetworks = smtpd_check_mynetworks(s);
	s->xclient_ok = cfg.xclient_hosts && match_host(cfg.xclient_hosts, s->name, s->addr) > 0;
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

/* ---- commands ---- */

/* helo_cmd - HELO hostname */
static int helo_cmd(struct smtpd *s, const char *arg)
{
	const char *reply;

	while (*arg == ' ')
		arg++;
	if (*arg == '\0') {
		smtpd_reply(s, "501 Syntax: HELO hostname");
		return -1;
	}
	helo_reset(s);
	s->helo = cfg_xstrndup(arg, strcspn(arg, " "));
	s->protocol = "SMTP";
	if (!cfg.delay_reject && (reply = smtpd_check_stage(s, ST_HELO)) != NULL) {
		smtpd_reply(s, "%s", reply);
		free(s->helo);
		s->helo = NULL;
		return -1;
	}
	smtpd_reply(s, "250 %s", cfg.myhostname);
	return 0;
}

/* discarded - 1 when an EHLO keyword is listed in smtpd_discard_ehlo_keywords */
static int discarded(const char *kw)
{
	for (size_t i = 0; i < cfg.discard_ehlo.n; i++)
		if (strcasecmp(cfg.discard_ehlo.v[i], kw) == 0)
			return 1;
	return 0;
}

/* ehlo_cmd - EHLO hostname and the extension list, in Postfix's order */
static int ehlo_cmd(struct smtpd *s, const char *arg)
{
	const char *reply;
	struct cfg_strvec kw;

	while (*arg == ' ')
		arg++;
	if (*arg == '\0') {
		smtpd_reply(s, "501 Syntax: EHLO hostname");
		return -1;
	}
	helo_reset(s);
	s->helo = cfg_xstrndup(arg, strcspn(arg, " "));
	s->protocol = "ESMTP";
	if (!cfg.delay_reject && (reply = smtpd_check_stage(s, ST_HELO)) != NULL) {
		smtpd_reply(s, "%s", reply);
		free(s->helo);
		s->helo = NULL;
		return -1;
	}
	cfg_strvec_init(&kw);
	if (!discarded("PIPELINING"))
		cfg_strvec_add(&kw, "PIPELINING");
	if (!discarded("SIZE")) {
		if (cfg.size_limit > 0)
			cfg_strvec_take(&kw, cfg_xasprintf("SIZE %ld", cfg.size_limit));
		else
			cfg_strvec_add(&kw, "SIZE");
	}
	if (!cfg.disable_vrfy && !discarded("VRFY"))
		cfg_strvec_add(&kw, "VRFY");
	if (!discarded("ETRN"))
		cfg_strvec_add(&kw, "ETRN");
	if (s->xclient_ok && !discarded("XCLIENT"))
		cfg_strvec_add(&kw, "XCLIENT NAME ADDR PROTO HELO REVERSE_NAME PORT LOGIN DESTADDR "
		                    "DESTPORT");
	if (!discarded("ENHANCEDSTATUSCODES"))
		cfg_strvec_add(&kw, "ENHANCEDSTATUSCODES");
	if (!discarded("8BITMIME"))
		cfg_strvec_add(&kw, "8BITMIME");
	if (!discarded("DSN"))
		cfg_strvec_add(&kw, "DSN");
	if (cfg.smtputf8 && !discarded("SMTPUTF8"))
		cfg_strvec_add(&kw, "SMTPUTF8");
	if (!discarded("CHUNKING"))
		cfg_strvec_add(&kw, "CHUNKING");
	if (kw.n == 0) {
		smtpd_reply(s, "250 %s", cfg.myhostname);
	} else {
		smtpd_reply(s, "250-%s", cfg.myhostname);
		for (size_t i = 0; i < kw.n; i++)
			smtpd_reply(s, "250%c%s", i + 1 == kw.n ? ' ' : '-', kw.v[i]);
	}
	cfg_strvec_fini(&kw);
	return 0;
}

/* xtext_decode - RFC 3461 xtext in place */
static void xtext_decode(char *p)
{
	char *d = p;

	for (; *p; p++) {
		if (*p == '+' && isxdigit((unsigned char)p[1]) && isxdigit((unsigned char)p[2])) {
			char hex[3] = {p[1], p[2], 0};

			*d++ = (char)strtol(hex, NULL, 16);
			p += 2;
		} else {
			*d++ = *p;
		}
	}
	*d = '\0';
}

/* strip_prefix - "FROM:" style keyword check; returns the text after it, or NULL */
static const char *strip_prefix(const char *arg, const char *kw)
{
	size_t n = strlen(kw);

	while (*arg == ' ')
		arg++;
	if (strncasecmp(arg, kw, n) != 0)
		return NULL;
	return arg + n;
}

/* mail_cmd - MAIL FROM:<sender> [params] */
static int mail_cmd(struct smtpd *s, const char *arg)
{
	struct addr_path p;
	const char *text, *reply;
	int rc;

	if (cfg.helo_required && s->helo == NULL) {
		smtpd_reply(s, "503 5.5.1 Error: send HELO/EHLO first");
		return -1;
	}
	if (s->sender) {
		smtpd_reply(s, "503 5.5.1 Error: nested MAIL command");
		return -1;
	}
	if ((text = strip_prefix(arg, "FROM:")) == NULL) {
		smtpd_reply(s, "501 5.5.4 Syntax: MAIL FROM:<address>");
		return -1;
	}
	addr_path_init(&p);
	rc = addr_parse_path(text, cfg.strict_821, &p);
	if (rc == -1) {
		smtpd_reply(s, "501 5.5.4 Syntax: MAIL FROM:<address>");
		addr_path_fini(&p);
		return -1;
	}
	if (rc == -2) {
		mta_warn("Illegal address syntax from %s in MAIL command: %s", s->log_client, text);
		smtpd_reply(s, "501 5.1.7 Bad sender address syntax");
		addr_path_fini(&p);
		return -1;
	}
	for (size_t i = 0; i < p.params.n; i++) {
		const char *prm = p.params.v[i];

		if (strncasecmp(prm, "SIZE=", 5) == 0) {
			char *end;
			long n = strtol(prm + 5, &end, 10);

			if (*end || n < 0) {
				smtpd_reply(s, "501 5.5.4 Bad message size syntax");
				addr_path_fini(&p);
				return -1;
			}
			if (cfg.size_limit > 0 && n > cfg.size_limit) {
				free(s->sender_ext);
				s->sender_ext = cfg_xstrdup(p.external);
				smtpd_log_reject(s, "reject", "MAIL",
				                 "552 5.3.4 Message size exceeds fixed limit",
				                 NULL);
				free(s->sender_ext);
				s->sender_ext = NULL;
				smtpd_reply(s, "552 5.3.4 Message size exceeds fixed limit");
				addr_path_fini(&p);
				return -1;
			}
			s->size_param = n;
		} else if (strncasecmp(prm, "BODY=", 5) == 0) {
			if (strcasecmp(prm + 5, "8BITMIME") == 0) {
				s->body_8bit = 1;
			} else if (strcasecmp(prm + 5, "7BIT") != 0) {
				smtpd_reply(s, "501 5.5.4 Unsupported BODY parameter \"%s\"",
				            prm + 5);
				addr_path_fini(&p);
				return -1;
			}
		} else if (strcasecmp(prm, "SMTPUTF8") == 0 && cfg.smtputf8) {
			s->smtputf8 = 1;
		} else if (strncasecmp(prm, "RET=", 4) == 0 || strncasecmp(prm, "ENVID=", 6) == 0
		           || strncasecmp(prm, "AUTH=", 5) == 0) {
			/* DSN return/envelope id and AUTH= are accepted as given */
		} else {
			smtpd_reply(s, "555 5.5.4 Unsupported option: %s", prm);
			addr_path_fini(&p);
			return -1;
		}
	}
	s->sender = p.internal;
	s->sender_ext = p.external;
	p.internal = p.external = NULL;
	addr_path_fini(&p);
	if (!cfg.delay_reject && (reply = smtpd_check_stage(s, ST_MAIL)) != NULL) {
		smtpd_log_reject(s, "reject", "MAIL", reply, NULL);
		smtpd_reply(s, "%s", reply);
		smtpd_transaction_reset(s);
		return -1;
	}
	smtpd_reply(s, "250 2.1.0 Ok");
	return 0;
}

/* parse_notify - DSN NOTIFY= value into QF_N_* bits; -1 when malformed */
static int parse_notify(const char *v, unsigned *bits)
{
	struct cfg_strvec w;
	int rc = 0;

	*bits = 0;
	cfg_strvec_init(&w);
	cfg_strvec_split(&w, v, ",");
	for (size_t i = 0; i < w.n; i++) {
		if (strcasecmp(w.v[i], "NEVER") == 0 && w.n == 1)
			*bits |= 0x01u;
		else if (strcasecmp(w.v[i], "SUCCESS") == 0)
			*bits |= 0x02u;
		else if (strcasecmp(w.v[i], "FAILURE") == 0)
			*bits |= 0x04u;
		else if (strcasecmp(w.v[i], "DELAY") == 0)
			*bits |= 0x08u;
		else
			rc = -1;
	}
	if (w.n == 0)
		rc = -1;
	cfg_strvec_fini(&w);
	return rc;
}

/* rcpt_cmd - RCPT TO:<recipient> [params] */
static int rcpt_cmd(struct smtpd *s, const char *arg)
{
	struct addr_path p;
	const char *text, *reply;
	unsigned notify = 0;
	char *orcpt = NULL;
	int rc;

	if (s->sender == NULL) {
		smtpd_reply(s, "503 5.5.1 Error: need MAIL command");
		return -1;
	}
	if ((text = strip_prefix(arg, "TO:")) == NULL) {
		smtpd_reply(s, "501 5.5.4 Syntax: RCPT TO:<address>");
		return -1;
	}
	addr_path_init(&p);
	rc = addr_parse_path(text, cfg.strict_821, &p);
	if (rc == -1) {
		smtpd_reply(s, "501 5.5.4 Syntax: RCPT TO:<address>");
		addr_path_fini(&p);
		return -1;
	}
	if (rc == -2 || p.internal[0] == '\0') {
		mta_warn("Illegal address syntax from %s in RCPT command: %s", s->log_client,
		         text + strspn(text, " "));
		smtpd_reply(s, "501 5.1.3 Bad recipient address syntax");
		addr_path_fini(&p);
		return -1;
	}
	if ((long)s->nrcpt >= cfg.rcpt_limit) {
		smtpd_reply(s, "452 4.5.3 Error: too many recipients");
		addr_path_fini(&p);
		return -1;
	}
	for (size_t i = 0; i < p.params.n; i++) {
		const char *prm = p.params.v[i];

		if (strncasecmp(prm, "NOTIFY=", 7) == 0) {
			if (parse_notify(prm + 7, &notify) < 0) {
				smtpd_reply(s, "501 5.5.4 Error: Bad NOTIFY parameter syntax");
				addr_path_fini(&p);
				free(orcpt);
				return -1;
			}
		} else if (strncasecmp(prm, "ORCPT=", 6) == 0) {
			free(orcpt);
			orcpt = cfg_xstrdup(prm + 6);
			xtext_decode(orcpt);
		} else {
			smtpd_reply(s, "555 5.5.4 Unsupported option: %s", prm);
			addr_path_fini(&p);
			free(orcpt);
			return -1;
		}
	}
	reply = smtpd_check_rcpt(s, p.internal, p.external);
	if (reply) {
		smtpd_log_reject(s, "reject", "RCPT", reply, p.external);
		smtpd_reply(s, "%s", reply);
		addr_path_fini(&p);
		free(orcpt);
		return -1;
	}
	if (s->qid[0] == '\0' && smtpd_open_queue(s) < 0) {
		addr_path_fini(&p);
		free(orcpt);
		return -1;
	}
	if (s->nrcpt == s->rcpt_cap) {
		s->rcpt_cap = s->rcpt_cap ? s->rcpt_cap * 2 : 8;
		s->rcpt = cfg_xreallocarray(s->rcpt, s->rcpt_cap, sizeof(*s->rcpt));
	}
	s->rcpt[s->nrcpt].internal = p.internal;
	s->rcpt[s->nrcpt].external = p.external;
	s->rcpt[s->nrcpt].notify = notify;
	s->rcpt[s->nrcpt].orcpt = orcpt;
	s->nrcpt++;
	p.internal = p.external = NULL;
	addr_path_fini(&p);
	smtpd_reply(s, "250 2.1.5 Ok");
	return 0;
}

/* data_cmd - DATA */
static int data_cmd(struct smtpd *s, const char *arg)
{
	const char *reply;

	(void)arg;
	if (s->in_bdat) {
		smtpd_reply(s, "503 5.5.1 Error: DATA command after BDAT command");
		return -1;
	}
	if (s->sender == NULL) {
		smtpd_reply(s, "503 5.5.1 Error: need RCPT command");
		return -1;
	}
	if (s->nrcpt == 0) {
		smtpd_reply(s, "554 5.5.1 Error: no valid recipients");
		return -1;
	}
	if ((reply = smtpd_check_data(s, ST_DATA)) != NULL) {
		smtpd_log_reject(s, "reject", "DATA", reply,
		                 s->nrcpt == 1 ? s->rcpt[0].external : NULL);
		smtpd_reply(s, "%s", reply);
		return -1;
	}
	return smtpd_data(s);
}

/* bdat_cmd - BDAT size [LAST] */
static int bdat_cmd(struct smtpd *s, const char *arg)
{
	char *end;
	unsigned long size;
	int last = 0;

	while (*arg == ' ')
		arg++;
	errno = 0;
	size = strtoul(arg, &end, 10);
	if (end == arg || errno || (*end && *end != ' ')) {
		smtpd_reply(s, "501 5.5.4 Syntax: BDAT count [LAST]");
		s->dead = 1; /* the chunk size is unknown: cannot stay in sync */
		return -1;
	}
	while (*end == ' ')
		end++;
	if (strcasecmp(end, "LAST") == 0)
		last = 1;
	else if (*end) {
		smtpd_reply(s, "501 5.5.4 Syntax: BDAT count [LAST]");
		s->dead = 1;
		return -1;
	}
	return smtpd_bdat(s, size, last);
}

/* rset_cmd - RSET */
static int rset_cmd(struct smtpd *s, const char *arg)
{
	(void)arg;
	smtpd_transaction_reset(s);
	smtpd_reply(s, "250 2.0.0 Ok");
	return 0;
}

/* noop_cmd - NOOP */
static int noop_cmd(struct smtpd *s, const char *arg)
{
	(void)arg;
	smtpd_reply(s, "250 2.0.0 Ok");
	return 0;
}

/* vrfy_cmd - VRFY address */
static int vrfy_cmd(struct smtpd *s, const char *arg)
{
	struct addr_path p;
	const char *reply;

	if (cfg.disable_vrfy) {
		smtpd_reply(s, "502 5.5.1 VRFY command is disabled");
		return -1;
	}
	while (*arg == ' ')
		arg++;
	if (*arg == '\0') {
		smtpd_reply(s, "501 5.5.4 Syntax: VRFY address [SMTPUTF8]");
		return -1;
	}
	addr_path_init(&p);
	if (addr_parse_path(arg, 0, &p) < 0) {
		smtpd_reply(s, "501 5.1.3 Bad recipient address syntax");
		addr_path_fini(&p);
		return -1;
	}
	reply = smtpd_check_vrfy(s, p.internal);
	if (reply) {
		smtpd_log_reject(s, "reject", "VRFY", reply, p.external);
		smtpd_reply(s, "%s", reply);
		addr_path_fini(&p);
		return -1;
	}
	addr_path_fini(&p);
	smtpd_reply(s, "252 2.0.0 %s", arg);
	return 0;
}

/* etrn_cmd - ETRN domain: ask the queue manager for a deferred-queue run */
static int etrn_cmd(struct smtpd *s, const char *arg)
{
	const char *reply;

	if (s->sender) {
		smtpd_reply(s, "503 Error: MAIL transaction in progress");
		return -1;
	}
	if (s->helo == NULL) {
		smtpd_reply(s, "503 Error: send HELO/EHLO first");
		return -1;
	}
	while (*arg == ' ')
		arg++;
	if (*arg == '\0') {
		smtpd_reply(s, "500 Syntax: ETRN domain");
		return -1;
	}
	if ((reply = smtpd_check_etrn(s, arg)) != NULL) {
		smtpd_reply(s, "%s", reply);
		return -1;
	}
	if (ipc_trigger(s->srv->queue_dir, "public", "qmgr", 'F') < 0) {
		smtpd_reply(s, "458 Unable to queue messages");
		return -1;
	}
	smtpd_reply(s, "250 Queuing started");
	return 0;
}

/* quit_cmd - QUIT */
static int quit_cmd(struct smtpd *s, const char *arg)
{
	(void)arg;
	smtpd_reply(s, "221 2.0.0 Bye");
	s->quit = 1;
	return 0;
}

/* auth_cmd - AUTH: postkit has no SASL */
static int auth_cmd(struct smtpd *s, const char *arg)
{
	(void)arg;
	smtpd_reply(s, "503 5.5.1 Error: authentication not enabled");
	return -1;
}

/* starttls_cmd - STARTTLS: postkit has no TLS */
static int starttls_cmd(struct smtpd *s, const char *arg)
{
	(void)arg;
	smtpd_reply(s, "502 5.5.1 Error: command not implemented");
	return -1;
}

/* xclient_cmd - XCLIENT attr=value...: act as another client (authorized hosts only) */
static int xclient_cmd(struct smtpd *s, const char *arg)
{
	static const char *const xattrs[] = {"NAME",     "ADDR",  "PORT",         "PROTO",
	                                     "HELO",     "LOGIN", "REVERSE_NAME", "DESTADDR",
	                                     "DESTPORT", NULL};
	struct cfg_strvec w;
	int rc = 0;

	if (!s->xclient_ok) {
		smtpd_reply(s, "550 5.7.0 Error: insufficient authorization");
		return -1;
	}
	if (s->sender) {
		smtpd_reply(s, "503 5.5.1 Error: MAIL transaction in progress");
		return -1;
	}
	cfg_strvec_init(&w);
	cfg_strvec_split(&w, arg, " ");
	if (w.n == 0) {
		smtpd_reply(s, "501 5.5.4 Syntax: XCLIENT attribute=value...");
		cfg_strvec_fini(&w);
		return -1;
	}
	for (size_t i = 0; i < w.n && rc == 0; i++) {
		char *eq = strchr(w.v[i], '=');
		int known = 0;

		if (eq)
			*eq = '\0';
		for (size_t k = 0; xattrs[k]; k++)
			if (strcasecmp(w.v[i], xattrs[k]) == 0)
				known = 1;
		if (!eq || !known) {
			smtpd_reply(s, "501 5.5.4 Bad XCLIENT attribute name: %s", w.v[i]);
			rc = -1;
		}
	}
	if (rc == 0) {
		/* a new session for the impersonated client: no HELO yet, plain SMTP */
		free(s->helo);
		s->helo = NULL;
		s->protocol = "SMTP";
		for (size_t i = 0; i < w.n; i++) {
			char *name = w.v[i], *val = name + strlen(name) + 1;
			int unavail = strcasecmp(val, "[UNAVAILABLE]") == 0
			              || strcasecmp(val, "[TEMPUNAVAIL]") == 0;

			xtext_decode(val);
			if (strcasecmp(name, "NAME") == 0) {
				snprintf(s->name, sizeof(s->name), "%s", unavail ? "unknown" : val);
			} else if (strcasecmp(name, "REVERSE_NAME") == 0) {
				snprintf(s->rev_name, sizeof(s->rev_name), "%s",
				         unavail ? "unknown" : val);
			} else if (strcasecmp(name, "ADDR") == 0) {
				const char *a = strncasecmp(val, "IPV6:", 5) == 0 ? val + 5 : val;

				snprintf(s->addr, sizeof(s->addr), "%s", unavail ? "unknown" : a);
			} else if (strcasecmp(name, "PORT") == 0) {
				snprintf(s->port, sizeof(s->port), "%s", unavail ? "unknown" : val);
			} else if (strcasecmp(name, "HELO") == 0) {
				free(s->helo);
				s->helo = unavail ? NULL : cfg_xstrdup(val);
			} else if (strcasecmp(name, "PROTO") == 0) {
				s->protocol = strcasecmp(val, "ESMTP") == 0 ? "ESMTP" : "SMTP";
			}
		}
		set_log_client(s);
		client_changed(s);
		smtpd_reply(s, "220 %s", cfg.banner);
	}
	cfg_strvec_fini(&w);
	/* Postfix counts XCLIENT as not successful even when it worked */
	return -1;
}

static const struct cmd cmds[] = {
    {"HELO", helo_cmd, CMD_JUNK},  {"EHLO", ehlo_cmd, CMD_JUNK}, {"XCLIENT", xclient_cmd, CMD_JUNK},
    {"STARTTLS", starttls_cmd, 0}, {"AUTH", auth_cmd, 0},        {"MAIL", mail_cmd, 0},
    {"RCPT", rcpt_cmd, 0},         {"DATA", data_cmd, 0},        {"BDAT", bdat_cmd, 0},
    {"RSET", rset_cmd, CMD_JUNK},  {"NOOP", noop_cmd, CMD_JUNK}, {"VRFY", vrfy_cmd, CMD_JUNK},
    {"ETRN", etrn_cmd, CMD_JUNK},  {"QUIT", quit_cmd, 0},        {NULL, NULL, 0},
};

/* forbidden - smtpd_forbidden_commands (and header-looking lines): 1 when the line is one */
static int forbidden(const char *line, const char *word)
{
	static const char *const headers[] = {
	    "Received:", "Reply-To:", "Message-ID:", "Subject:", "From:", "User-Agent:", NULL};

	for (size_t i = 0; headers[i]; i++)
		if (strcasecmp(word, headers[i]) == 0)
			return 1;
	for (size_t i = 0; i < cfg.forbidden_cmds.n; i++) {
		const char *f = cfg.forbidden_cmds.v[i];

		if (strchr(f, ':')) {
			const char *value;

			/* a table of patterns: the whole line is the key */
			if (mta_map_get(f, line, &value) > 0)
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

/* session - the command loop for one client */
static void session(struct smtpd *s)
{
	struct cfg_buf line;

	cfg_buf_init(&line);
	smtpd_reply(s, "220 %s", cfg.banner);
	smtpd_flush(s);
	while (!s->dead && !s->quit) {
		const struct cmd *c;
		char word[32];
		size_t wl;
		const char *arg;
		int rc;

		if (s->errors >= cfg.hard_errors) {
			mta_info("too many errors after %s from %s", s->where, s->log_client);
			smtpd_reply(s, "421 4.7.0 %s Error: too many errors", cfg.myhostname);
			break;
		}
		if (mta_stream_pending(&s->in) == 0)
			smtpd_flush(s);
		if (s->dead || read_command(s, &line) < 0)
			break;
		wl = strcspn(line.data, " ");
		snprintf(word, sizeof(word), "%.*s",
		         (int)(wl < sizeof(word) ? wl : sizeof(word) - 1), line.data);
		arg = line.data + wl;
		if (forbidden(line.data, word)) {
			mta_warn("non-SMTP command from %s: %.100s", s->log_client, line.data);
			smtpd_reply(s, "221 2.7.0 Error: I can break rules, too. Goodbye.");
			break;
		}
		for (c = cmds; c->name; c++)
			if (strcasecmp(c->name, word) == 0)
				break;
		if (c->name == NULL) {
			smtpd_reply(s, "500 5.5.2 Error: command not recognized");
			count(s, "unknown", 0);
			continue;
		}
		if ((c->flags & CMD_JUNK) && s->junk++ > cfg.junk_limit)
			s->errors++; /* slows down a client that only says NOOP */
		s->where = c->name;
		rc = c->fn(s, arg);
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

/* serve - one client connection */
static void serve(struct mta_server *srv, int in, int out)
{
	struct smtpd s;

	memset(&s, 0, sizeof(s));
	s.srv = srv;
	s.cfg = &cfg;
	s.cleanup_fd = -1;
	s.protocol = "SMTP";
	s.where = "CONNECT";
	cfg_strvec_init(&s.prepend);
	mta_stream_init(&s.in, in, (int)cfg.timeout);
	mta_stream_init(&s.out, out, (int)cfg.timeout);
	s.ncounts = NCOUNTS;
	s.counts = cfg_xcalloc(NCOUNTS, sizeof(*s.counts));
	for (size_t i = 0; i < NCOUNTS; i++)
		s.counts[i].name = count_names[i];
	lookup_client(&s, in);
	client_changed(&s);
	mta_info("connect from %s", s.log_client);
	session(&s);
	smtpd_transaction_reset(&s);
	log_disconnect(&s);
	free(s.helo);
	free(s.rcpt);
	free(s.counts);
	cfg_strvec_fini(&s.prepend);
	mta_stream_fini(&s.in);
	mta_stream_fini(&s.out);
}

/* init - read the settings once per process */
static void init(struct mta_server *srv)
{
	struct mta_param tab[] = {
	    {"smtpd_banner", MTA_STR, &cfg.banner},
	    {"myhostname", MTA_STR, &cfg.myhostname},
	    {"mail_name", MTA_STR, &cfg.mail_name},
	    {"cleanup_service_name", MTA_STR, &cfg.cleanup_service},
	    {"smtpd_timeout", MTA_TIME, &cfg.timeout},
	    {"message_size_limit", MTA_INT, &cfg.size_limit},
	    {"smtpd_recipient_limit", MTA_INT, &cfg.rcpt_limit},
	    {"line_length_limit", MTA_INT, &cfg.line_limit},
	    {"smtpd_hard_error_limit", MTA_INT, &cfg.hard_errors},
	    {"smtpd_soft_error_limit", MTA_INT, &cfg.soft_errors},
	    {"smtpd_junk_command_limit", MTA_INT, &cfg.junk_limit},
	    {"smtpd_error_sleep_time", MTA_TIME, &cfg.error_sleep},
	    {"disable_vrfy_command", MTA_BOOL, &cfg.disable_vrfy},
	    {"smtpd_helo_required", MTA_BOOL, &cfg.helo_required},
	    {"smtpd_delay_reject", MTA_BOOL, &cfg.delay_reject},
	    {"smtpd_reject_unlisted_recipient", MTA_BOOL, &cfg.unlisted_rcpt},
	    {"smtpd_reject_unlisted_sender", MTA_BOOL, &cfg.unlisted_sender},
	    {"strict_rfc821_envelopes", MTA_BOOL, &cfg.strict_821},
	    {"smtputf8_enable", MTA_BOOL, &cfg.smtputf8},
	    {"smtpd_peername_lookup", MTA_BOOL, &cfg.peername_lookup},
	    {"smtpd_forbid_bare_newline", MTA_STR, &cfg.forbid_bare_nl},
	    {"smtpd_forbid_bare_newline_reject_code", MTA_INT, &cfg.bare_nl_code},
	    {"smtpd_discard_ehlo_keywords", MTA_LIST, &cfg.discard_ehlo},
	    {"smtpd_forbidden_commands", MTA_LIST, &cfg.forbidden_cmds},
	    {NULL, MTA_STR, NULL},
	};

	cfg_strvec_init(&cfg.discard_ehlo);
	cfg_strvec_init(&cfg.forbidden_cmds);
	mta_conf_get(&srv->conf, tab);
	if (cfg.line_limit < 512)
		cfg.line_limit = 512;
	if (cfg.hard_errors <= 0)
		cfg.hard_errors = 20;
	smtpd_check_init(&cfg, &srv->conf);
	if (!srv->standalone)
		smtpd_cleanup_init(srv, cfg.cleanup_service);
}

/* main - the smtpd program */
int smtpd_main(int argc, char **argv);
int smtpd_main(int argc, char **argv)
{
	static const struct mta_server_ops ops = {.init = init, .serve = serve};

	return mta_server_main(argc, argv, "smtpd", MTA_SERVE_CONN, &ops, NULL);
}
