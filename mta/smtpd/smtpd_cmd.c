/* smtpd_cmd.c - the SMTP commands: HELO, EHLO, MAIL, RCPT, DATA, BDAT, VRFY, ETRN, XCLIENT... */
#include "config.h"

#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "cfg/base/xalloc.h"
#include "ipc.h"
#include "log.h"
#include "qfile.h"
#include "smtpd.h"
#include "smtpd_anvil.h"

/*
 * helo_name - the HELO/EHLO argument as Postfix keeps it: its words joined
 * by one space, then each of " <>()\\\";@" made a '?' ("a b" -> "a?b")
 */
static char *helo_name(const char *arg)
{
	struct cfg_buf b;

	cfg_buf_init(&b);
	while (*arg) {
		size_t n = strcspn(arg, " ");

		if (n) {
			if (b.len)
				cfg_buf_addc(&b, ' ');
			cfg_buf_add(&b, arg, n);
		}
		arg += n;
		arg += strspn(arg, " ");
	}
	for (char *p = b.data; *p; p++)
		if (strchr(" <>()\\\";@", *p))
			*p = '?';
	return b.data;
}

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
	smtpd_helo_reset(s);
	s->helo = helo_name(arg);
	smtpd_milter_helo(s, "HELO");
	if (strcmp(s->protocol, "ESMTP") != 0) /* Postfix: once EHLO, always ESMTP */
		s->protocol = "SMTP";
	if (!s->cfg->delay_reject && (reply = smtpd_check_stage(s, ST_HELO)) != NULL) {
		smtpd_log_reject(s, "reject", "HELO", reply, NULL);
		smtpd_reply(s, "%s", reply);
		free(s->helo);
		s->helo = NULL;
		return -1;
	}
	smtpd_reply(s, "250 %s", s->cfg->myhostname);
	return 0;
}

/* discarded - 1 when an EHLO keyword is listed in smtpd_discard_ehlo_keywords */
static int discarded(struct smtpd *s, const char *kw)
{
	for (size_t i = 0; i < s->cfg->discard_ehlo.n; i++)
		if (strcasecmp(s->cfg->discard_ehlo.v[i], kw) == 0)
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
	smtpd_helo_reset(s);
	s->helo = helo_name(arg);
	smtpd_milter_helo(s, "EHLO");
	s->protocol = "ESMTP";
	if (!s->cfg->delay_reject && (reply = smtpd_check_stage(s, ST_HELO)) != NULL) {
		smtpd_reply(s, "%s", reply);
		free(s->helo);
		s->helo = NULL;
		return -1;
	}
	cfg_strvec_init(&kw);
	if (!discarded(s, "PIPELINING"))
		cfg_strvec_add(&kw, "PIPELINING");
	if (!discarded(s, "SIZE")) {
		if (s->cfg->size_limit > 0)
			cfg_strvec_take(&kw, cfg_xasprintf("SIZE %ld", s->cfg->size_limit));
		else
			cfg_strvec_add(&kw, "SIZE");
	}
	if (!s->cfg->disable_vrfy && !discarded(s, "VRFY"))
		cfg_strvec_add(&kw, "VRFY");
	if (!discarded(s, "ETRN"))
		cfg_strvec_add(&kw, "ETRN");
	if (smtpd_tls_offer(s) && !discarded(s, "STARTTLS"))
		cfg_strvec_add(&kw, "STARTTLS");
	if (!discarded(s, "AUTH"))
		smtpd_sasl_ehlo(s, &kw);
	if (s->xclient_ok && !discarded(s, "XCLIENT"))
		cfg_strvec_add(&kw, "XCLIENT NAME ADDR PROTO HELO REVERSE_NAME PORT LOGIN DESTADDR "
		                    "DESTPORT");
	if (s->xforward_ok && !discarded(s, "XFORWARD"))
		cfg_strvec_add(&kw, smtpd_xforward_ehlo());
	if (!discarded(s, "ENHANCEDSTATUSCODES"))
		cfg_strvec_add(&kw, "ENHANCEDSTATUSCODES");
	if (!discarded(s, "8BITMIME"))
		cfg_strvec_add(&kw, "8BITMIME");
	if (!discarded(s, "DSN"))
		cfg_strvec_add(&kw, "DSN");
	if (s->cfg->smtputf8 && !discarded(s, "SMTPUTF8"))
		cfg_strvec_add(&kw, "SMTPUTF8");
	if (!discarded(s, "CHUNKING"))
		cfg_strvec_add(&kw, "CHUNKING");
	if (kw.n == 0) {
		smtpd_reply(s, "250 %s", s->cfg->myhostname);
	} else {
		smtpd_reply(s, "250-%s", s->cfg->myhostname);
		for (size_t i = 0; i < kw.n; i++)
			smtpd_reply(s, "250%c%s", i + 1 == kw.n ? ' ' : '-', kw.v[i]);
	}
	cfg_strvec_fini(&kw);
	return 0;
}

/*
 * xtext_valid - what Postfix 3.7 asks of an xtext (ENVID=, ORCPT=rfc822;...):
 * every '+' starts two hex digits, either case; other characters pass
 */
static int xtext_valid(const char *p)
{
	for (; *p; p++) {
		if (*p == '+') {
			if (!isxdigit((unsigned char)p[1]) || !isxdigit((unsigned char)p[2]))
				return 0;
			p += 2;
		}
	}
	return 1;
}

/*
 * uxtext_valid - the same for ORCPT=utf-8;... (RFC 6533): "\x{HEX}" names a
 * code point up to U+10FFFF and must be closed; '+' and other '\' pass
 */
static int uxtext_valid(const char *p)
{
	for (; *p; p++) {
		unsigned long cp = 0;

		if (p[0] != '\\' || p[1] != 'x' || p[2] != '{')
			continue;
		for (p += 3; *p != '}'; p++) {
			if (!isxdigit((unsigned char)*p))
				return 0;
			cp = cp * 16
			     + (unsigned long)(isdigit((unsigned char)*p)
			                           ? *p - '0'
			                           : (tolower((unsigned char)*p) - 'a' + 10));
			if (cp > 0x10FFFF)
				return 0;
		}
	}
	return 1;
}

/* orcpt_valid - ORCPT=addr-type;address: a non-empty type and a well-formed (u)xtext */
static int orcpt_valid(const char *v)
{
	const char *semi = strchr(v, ';');

	if (semi == NULL || semi == v)
		return 0;
	if ((size_t)(semi - v) == 5 && strncasecmp(v, "utf-8", 5) == 0)
		return uxtext_valid(semi + 1);
	return xtext_valid(semi + 1);
}

/* smtpd_xtext_decode - RFC 3461 xtext in place */
void smtpd_xtext_decode(char *p)
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

/*
 * next_arg - the next argument of a command line, as Postfix splits one: at
 * blanks, but a "quoted string" or an <address> stays whole.  Returns its
 * start and sets *len, or NULL when no argument is left.
 */
static const char *next_arg(const char *p, size_t *len)
{
	const char *start;
	char close = 0;

	p += strspn(p, " \t");
	if (*p == '\0')
		return NULL;
	for (start = p; *p && (close || (*p != ' ' && *p != '\t')); p++) {
		if (close == '"' && *p == '\\' && p[1])
			p++;
		else if (close && *p == close)
			close = 0;
		else if (!close && (*p == '"' || *p == '<'))
			close = *p == '<' ? '>' : '"';
	}
	*len = (size_t)(p - start);
	return start;
}

/* count_args - how many arguments next_arg finds in p */
static size_t count_args(const char *p)
{
	size_t n = 0, len;

	while ((p = next_arg(p, &len)) != NULL) {
		n++;
		p += len;
	}
	return n;
}

/* strip_prefix - "FROM:" style keyword check; returns the text after it, or NULL */
/*
 * bad_syntax - what Postfix's smtpd asks its resolver of a MAIL or RCPT
 * address: a malformed domain (or "user@"), or a non-ASCII domain in a
 * transaction that did not ask for SMTPUTF8
 */
static int bad_syntax(struct smtpd *s, const char *addr)
{
	struct rslv_result res;
	const char *at;
	int bad;

	if (*addr == '\0')
		return 0;
	rslv_result_init(&res);
	rslv_resolve(s->cfg->rslv, addr, &res);
	bad = (res.flags & RSLV_F_ERROR) != 0;
	at = res.recipient.data ? strrchr(res.recipient.data, '@') : NULL;
	for (at = at ? at + 1 : NULL; !bad && !s->smtputf8 && at && *at; at++)
		bad = (unsigned char)*at > 127;
	rslv_result_fini(&res);
	return bad;
}

/* warn_syntax - "Illegal address syntax from CLIENT in CMD command: <address>" */
static void warn_syntax(struct smtpd *s, const char *cmd, const char *text)
{
	text += strspn(text, " ");
	mta_warn("Illegal address syntax from %s in %s command: %.*s", s->log_client, cmd,
	         (int)strcspn(text, " "), text);
}

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

	if (s->cfg->helo_required && s->helo == NULL) {
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
	if (smtpd_anvil_mail(s) < 0)
		return -1;
	addr_path_init(&p);
	rc = addr_parse_path(text, s->cfg->strict_821, &p);
	if (rc == -1) {
		smtpd_reply(s, "501 5.5.4 Syntax: MAIL FROM:<address>");
		addr_path_fini(&p);
		return -1;
	}
	if (rc == -2) {
		warn_syntax(s, "MAIL", text);
		smtpd_reply(s, "501 5.1.7 Bad sender address syntax");
		addr_path_fini(&p);
		return -1;
	}
	/* what an earlier, refused MAIL left behind does not count */
	s->dsn_ret = NULL;
	free(s->dsn_envid);
	s->dsn_envid = NULL;
	for (size_t i = 0; i < p.params.n; i++) {
		const char *prm = p.params.v[i];

		if (strncasecmp(prm, "SIZE=", 5) == 0) {
			char *end;
			long long n;

			if (prm[5] == '\0' || strspn(prm + 5, "0123456789") != strlen(prm + 5)) {
				smtpd_reply(s, "501 5.5.4 Bad message size syntax");
				addr_path_fini(&p);
				return -1;
			}
			errno = 0;
			n = strtoll(prm + 5, &end, 10);
			if (errno == ERANGE) {
				smtpd_reply(
				    s, "552 5.3.4 Message size exceeds file system imposed limit");
				addr_path_fini(&p);
				return -1;
			}
			if (s->cfg->size_limit > 0 && n > s->cfg->size_limit) {
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
			s->size_param = (long)n;
		} else if (strncasecmp(prm, "BODY=", 5) == 0) {
			if (strcasecmp(prm + 5, "8BITMIME") == 0) {
				s->body_enc = "8bit";
			} else if (strcasecmp(prm + 5, "7BIT") == 0) {
				s->body_enc = "7bit";
			} else {
				smtpd_reply(s, "555 5.5.4 Unsupported option: %s", prm);
				addr_path_fini(&p);
				return -1;
			}
		} else if (strcasecmp(prm, "SMTPUTF8") == 0 && s->cfg->smtputf8) {
			s->smtputf8 = 1;
		} else if (strncasecmp(prm, "AUTH=", 5) == 0) {
			/* the original submitter, kept (for the log) when the client logged in */
			if (s->sasl_username && strcmp(prm + 5, "<>") != 0) {
				free(s->sasl_sender);
				s->sasl_sender = cfg_xstrdup(prm + 5);
				smtpd_xtext_decode(s->sasl_sender);
			}
		} else if (strncasecmp(prm, "RET=", 4) == 0) {
			/* DSN: what a notice returns of the message, passed on to the queue file */
			if (s->dsn_ret
			    || (strcasecmp(prm + 4, "FULL") != 0
			        && strcasecmp(prm + 4, "HDRS") != 0)) {
				smtpd_reply(s, "501 5.5.4 Bad RET parameter syntax");
				addr_path_fini(&p);
				return -1;
			}
			s->dsn_ret = strcasecmp(prm + 4, "FULL") == 0 ? "full" : "hdrs";
		} else if (strncasecmp(prm, "ENVID=", 6) == 0) {
			if (s->dsn_envid || prm[6] == '\0' || !xtext_valid(prm + 6)) {
				smtpd_reply(s, "501 5.5.4 Bad ENVID parameter syntax");
				addr_path_fini(&p);
				return -1;
			}
			s->dsn_envid = cfg_xstrdup(prm + 6);
			smtpd_xtext_decode(s->dsn_envid);
		} else {
			smtpd_reply(s, "555 5.5.4 Unsupported option: %s", prm);
			addr_path_fini(&p);
			return -1;
		}
	}
	if (bad_syntax(s, p.internal)) {
		warn_syntax(s, "MAIL", text);
		smtpd_reply(s, "501 5.1.7 Bad sender address syntax");
		s->smtputf8 = 0;
		addr_path_fini(&p);
		return -1;
	}
	s->sender = p.internal;
	s->sender_ext = p.external;
	p.internal = p.external = NULL;
	if (!s->cfg->delay_reject && (reply = smtpd_check_stage(s, ST_MAIL)) != NULL) {
		smtpd_log_reject(s, "reject", "MAIL", reply, NULL);
		smtpd_reply(s, "%s", reply);
		smtpd_transaction_reset(s);
		addr_path_fini(&p);
		return -1;
	}
	rc = smtpd_milter_mail(s, &p.params);
	addr_path_fini(&p);
	if (rc < 0)
		return -1;
	/* smtpd_delay_open_until_valid_rcpt = no: the queue ID (and its log line) comes now */
	if (!s->cfg->delay_open && s->qid[0] == '\0' && smtpd_open_queue(s) < 0) {
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
	if (smtpd_anvil_rcpt(s) < 0)
		return -1;
	addr_path_init(&p);
	rc = addr_parse_path(text, s->cfg->strict_821, &p);
	if (rc == -1) {
		smtpd_reply(s, "501 5.5.4 Syntax: RCPT TO:<address>");
		addr_path_fini(&p);
		return -1;
	}
	if (rc == -2 || p.internal[0] == '\0' || bad_syntax(s, p.internal)) {
		warn_syntax(s, "RCPT", text);
		smtpd_reply(s, "501 5.1.3 Bad recipient address syntax");
		addr_path_fini(&p);
		return -1;
	}
	if ((long)s->nrcpt >= s->cfg->rcpt_limit) {
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
			if (orcpt || !orcpt_valid(prm + 6)) {
				smtpd_reply(s, "501 5.5.4 Error: Bad ORCPT parameter syntax");
				addr_path_fini(&p);
				free(orcpt);
				return -1;
			}
			orcpt = cfg_xstrdup(prm + 6);
			smtpd_xtext_decode(orcpt);
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
	if (smtpd_milter_rcpt(s, p.internal, p.external, &p.params) < 0
	    || (s->qid[0] == '\0' && smtpd_open_queue(s) < 0)) {
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

	if (s->in_bdat) {
		smtpd_reply(s, "503 5.5.1 Error: DATA after BDAT");
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
	if (count_args(arg) != 0) {
		smtpd_reply(s, "501 5.5.4 Syntax: DATA");
		return -1;
	}
	if ((reply = smtpd_check_data(s, ST_DATA)) != NULL) {
		smtpd_log_reject(s, "reject", "DATA", reply,
		                 s->nrcpt == 1 ? s->rcpt[0].external : NULL);
		smtpd_reply(s, "%s", reply);
		return -1;
	}
	if (smtpd_milter_data(s, "DATA") < 0)
		return -1;
	return smtpd_data(s);
}

/* bdat_cmd - BDAT size [LAST] */
static int bdat_cmd(struct smtpd *s, const char *arg)
{
	const char *num, *word = NULL, *extra = NULL;
	size_t nlen, wlen = 0, xlen;
	unsigned long long size = 0;
	int ok;

	if ((num = next_arg(arg, &nlen)) != NULL && (word = next_arg(num + nlen, &wlen)) != NULL)
		extra = next_arg(word + wlen, &xlen);
	ok = num && extra == NULL && strspn(num, "0123456789") >= nlen
	     && (word == NULL || (wlen == 4 && strncasecmp(word, "LAST", 4) == 0));
	for (size_t i = 0; ok && i < nlen; i++) {
		ok = size <= (unsigned long long)(LLONG_MAX - 9) / 10;
		size = size * 10 + (unsigned)(num[i] - '0');
	}
	if (!ok) {
		struct cfg_buf shown;

		/* the chunk's size is unknown: there is no staying in step with the client */
		cfg_buf_init(&shown);
		for (const char *c = s->line; *c; c++)
			cfg_buf_addc(&shown, isprint((unsigned char)*c) ? *c : '?');
		mta_warn("%s: malformed BDAT command syntax from %s: %.100s",
		         s->qid[0] ? s->qid : "NOQUEUE", s->log_client, shown.data);
		cfg_buf_fini(&shown);
		smtpd_reply(s, "521 5.5.4 Syntax: BDAT count [LAST]");
		s->dead = 1;
		return -1;
	}
	return smtpd_bdat(s, (unsigned long)size, word != NULL);
}

/* rset_cmd - RSET */
static int rset_cmd(struct smtpd *s, const char *arg)
{
	if (count_args(arg) != 0) {
		smtpd_reply(s, "501 5.5.4 Syntax: RSET");
		return -1;
	}
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

/* vrfy_cmd - VRFY address [SMTPUTF8] */
static int vrfy_cmd(struct smtpd *s, const char *arg)
{
	struct addr_path p;
	const char *reply, *a1, *a2, *a3 = NULL;
	size_t l1, l2, l3;
	char *addr;
	int rc;

	if (s->cfg->disable_vrfy) {
		smtpd_reply(s, "502 5.5.1 VRFY command is disabled");
		return -1;
	}
	if ((a1 = next_arg(arg, &l1)) == NULL) {
		smtpd_reply(s, "501 5.5.4 Syntax: VRFY address%s",
		            s->cfg->smtputf8 ? " [SMTPUTF8]" : "");
		return -1;
	}
	if ((a2 = next_arg(a1 + l1, &l2)) != NULL)
		a3 = next_arg(a2 + l2, &l3);
	if (a2 && !a3 && s->cfg->smtputf8 && l2 == 8 && strncasecmp(a2, "SMTPUTF8", 8) == 0)
		a2 = NULL;
	addr = cfg_xstrndup(a1, l1);
	addr_path_init(&p);
	/* more than one word is not an address (Postfix joins them, then fails to parse) */
	if (a2 != NULL || addr_parse_path(addr, 0, &p) < 0) {
		smtpd_reply(s, "501 5.1.3 Bad recipient address syntax");
		rc = -1;
	} else if ((reply = smtpd_check_vrfy(s, p.internal)) != NULL) {
		smtpd_log_reject(s, "reject", "VRFY", reply, p.external);
		smtpd_reply(s, "%s", reply);
		rc = -1;
	} else {
		smtpd_reply(s, "252 2.0.0 %s", addr);
		rc = 0;
	}
	addr_path_fini(&p);
	free(addr);
	return rc;
}

/* etrn_cmd - ETRN domain: ask the queue manager for a deferred-queue run */
static int etrn_cmd(struct smtpd *s, const char *arg)
{
	const char *reply, *qmgr, *tok;
	size_t len;
	char *site;
	int rc = -1;

	if (s->sender) {
		smtpd_reply(s, "503 Error: MAIL transaction in progress");
		return -1;
	}
	if (count_args(arg) != 1 || (tok = next_arg(arg, &len)) == NULL) {
		smtpd_reply(s, "500 Syntax: ETRN domain");
		return -1;
	}
	/* "@domain" and "#domain" (RFC 1985's forms) name the domain itself */
	if (*tok == '@' || *tok == '#') {
		tok++;
		len--;
	}
	site = cfg_xstrndup(tok, len);
	if (!addr_valid_hostname(site)) {
		smtpd_reply(s, "501 Error: invalid parameter syntax");
	} else if ((reply = smtpd_check_etrn(s, site)) != NULL) {
		smtpd_log_reject(s, "reject", "ETRN", reply, NULL);
		smtpd_reply(s, "%s", reply);
	} else if (match_domain(rslv_relay_domains(s->cfg->rslv), site) <= 0) {
		/* fast flush is for relay_domains (fast_flush_domains' default); others: as Postfix */
		smtpd_reply(s, "459 <%s>: service unavailable", site);
	} else {
		qmgr = mta_conf_str(&s->srv->conf, CFG_P_queue_service_name);
		if (ipc_trigger(s->srv->queue_dir, "public", qmgr && *qmgr ? qmgr : "qmgr", 'F')
		    < 0) {
			smtpd_reply(s, "458 Unable to queue messages");
		} else {
			smtpd_reply(s, "250 Queuing started");
			rc = 0;
		}
	}
	free(site);
	return rc;
}

/* quit_cmd - QUIT */
static int quit_cmd(struct smtpd *s, const char *arg)
{
	(void)arg;
	smtpd_reply(s, "221 2.0.0 Bye");
	s->quit = 1;
	return 0;
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

			smtpd_xtext_decode(val);
			if (strcasecmp(name, "NAME") == 0) {
				snprintf(s->name, sizeof(s->name), "%s", unavail ? "unknown" : val);
				s->name_temp = strcasecmp(val, "[TEMPUNAVAIL]") == 0;
			} else if (strcasecmp(name, "REVERSE_NAME") == 0) {
				snprintf(s->rev_name, sizeof(s->rev_name), "%s",
				         unavail ? "unknown" : val);
				s->rev_name_temp = strcasecmp(val, "[TEMPUNAVAIL]") == 0;
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
		smtpd_set_log_client(s);
		smtpd_client_changed(s);
		smtpd_reply(s, "220 %s", s->cfg->banner);
	}
	cfg_strvec_fini(&w);
	/* Postfix counts XCLIENT as not successful even when it worked */
	return -1;
}

/* the commands smtpd knows, in Postfix's table order */
const struct smtpd_cmd smtpd_cmds[] = {
    {"HELO", helo_cmd, CMD_JUNK | CMD_PRE_TLS | CMD_LAST},
    {"EHLO", ehlo_cmd, CMD_JUNK | CMD_PRE_TLS | CMD_LAST},
    {"XCLIENT", xclient_cmd, CMD_JUNK | CMD_LAST},
    {"XFORWARD", smtpd_xforward_cmd, 0},
    {"STARTTLS", smtpd_starttls_cmd, CMD_PRE_TLS | CMD_LAST},
    {"AUTH", smtpd_auth_cmd, 0},
    {"MAIL", mail_cmd, 0},
    {"RCPT", rcpt_cmd, 0},
    {"DATA", data_cmd, 0},
    {"BDAT", bdat_cmd, 0},
    {"RSET", rset_cmd, CMD_JUNK},
    {"NOOP", noop_cmd, CMD_JUNK | CMD_PRE_TLS | CMD_LAST},
    {"VRFY", vrfy_cmd, CMD_JUNK | CMD_LAST},
    {"ETRN", etrn_cmd, CMD_JUNK},
    {"QUIT", quit_cmd, CMD_PRE_TLS},
    {NULL, NULL, 0},
};
