/*
 * smtpd_xforward.c - XFORWARD: the original client of a message a content
 * filter or proxy hands back (Postfix's XFORWARD_README)
 *
 * The forwarded attributes change only what is logged and recorded for the
 * next transaction: the "client=" line gains orig_queue_id= and orig_client=,
 * the queue file gets the log_* attributes (what the smtp client forwards in
 * turn, and what cleanup's action lines name), SOURCE sets the rewrite
 * context.  Restrictions and the Received: header keep the real client.
 * The attributes last until the transaction ends (or RSET, HELO, EHLO).
 */
#include "config.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "addr.h"
#include "cfg/base/xalloc.h"
#include "ipc.h"
#include "log.h"
#include "smtpd.h"

#define XF_UNAVAILABLE "[UNAVAILABLE]"
#define XF_VALUE_MAX 255 /* longer values: "attribute value too long" */
#define XF_PROTO_MAX 64

/* the attributes, in the order EHLO announces them */
enum { XF_NAME, XF_ADDR, XF_PROTO, XF_HELO, XF_SOURCE, XF_PORT, XF_IDENT, XF_COUNT };
_Static_assert(XF_COUNT == SMTPD_XF_COUNT, "smtpd.h: SMTPD_XF_COUNT");
static const char *const xf_names[XF_COUNT] = {"NAME",   "ADDR", "PROTO", "HELO",
                                               "SOURCE", "PORT", "IDENT"};

/* smtpd_xforward_ehlo - the EHLO keyword line */
const char *smtpd_xforward_ehlo(void)
{
	return "XFORWARD NAME ADDR PROTO HELO SOURCE PORT IDENT";
}

/* smtpd_xforward_reset - forget the forwarded attributes (end of a transaction) */
void smtpd_xforward_reset(struct smtpd *s)
{
	for (int i = 0; i < XF_COUNT; i++) {
		free(s->xf.v[i]);
		s->xf.v[i] = NULL;
	}
	s->xf.given = 0;
}

/* neuter - what may not appear in a log or queue file field becomes '?' */
static void neuter(char *v)
{
	for (; *v; v++)
		if (iscntrl((unsigned char)*v) || strchr(" <>()\\\";@", *v))
			*v = '?';
}

/* valid_addr - an IPv4 address, or IPv6 (optionally "IPV6:") when inet_protocols has it */
static const char *valid_addr(struct smtpd *s, const char *v)
{
	const char *p = mta_conf_text(&s->srv->conf, CFG_P_inet_protocols);
	int v6 = p && (strstr(p, "all") || strstr(p, "ipv6"));

	if (strncasecmp(v, "IPV6:", 5) == 0)
		v += 5;
	if (!addr_is_ip(v) || (strchr(v, ':') && !v6))
		return NULL;
	return v;
}

/*
 * check_value - the value of attribute k, decoded, neutered and checked:
 * NULL when unavailable; sets *bad (the reply is given) when refused
 */
static char *check_value(struct smtpd *s, int k, const char *raw, int *bad)
{
	char *v = cfg_xstrdup(raw);
	const char *a;

	*bad = 0;
	smtpd_xtext_decode(v);
	neuter(v); /* before the checks: "NAME=a+20b" is "Bad NAME syntax: a?b" */
	if (strlen(raw) > XF_VALUE_MAX) { /* as sent, before xtext decoding */
		smtpd_reply(s, "501 5.5.4 Error: attribute value too long");
		*bad = 1;
	} else if (strcmp(v, XF_UNAVAILABLE) == 0) {
		/* unknown name, port and protocol are logged as "unknown" */
		free(v);
		return k == XF_NAME || k == XF_PORT || k == XF_PROTO ? cfg_xstrdup("unknown")
		                                                     : NULL;
	} else if (k == XF_NAME && (!addr_valid_hostname(v) || addr_is_ip(v))) {
		*bad = 1;
	} else if (k == XF_ADDR && (a = valid_addr(s, v)) != NULL) {
		memmove(v, a, strlen(a) + 1);
	} else if (k == XF_ADDR) {
		*bad = 1;
	} else if (k == XF_PORT && (strlen(v) > 5 || v[strspn(v, "0123456789")] || !*v)) {
		*bad = 1;
	} else if (k == XF_PROTO && strlen(v) > XF_PROTO_MAX) {
		*bad = 1;
	} else if (k == XF_SOURCE && strcasecmp(v, "LOCAL") && strcasecmp(v, "REMOTE")) {
		*bad = 1;
	}
	if (*bad && strlen(raw) <= XF_VALUE_MAX)
		smtpd_reply(s, "501 5.5.4 Bad %s syntax: %s", xf_names[k], v);
	if (*bad) {
		free(v);
		return NULL;
	}
	return v;
}

/* parse - every attribute=value of the command into v[] and given; 0 or -1 (reply given) */
static int parse(struct smtpd *s, struct cfg_strvec *w, char **v, unsigned *given)
{
	for (size_t i = 0; i < w->n; i++) {
		char *eq = strchr(w->v[i], '=');
		int k, bad;

		if (eq == NULL || eq[1] == '\0') {
			smtpd_reply(s, "501 5.5.4 Error: attribute=value expected");
			return -1;
		}
		*eq = '\0';
		for (k = 0; k < XF_COUNT && strcasecmp(w->v[i], xf_names[k]) != 0; k++)
			;
		if (k == XF_COUNT) {
			smtpd_reply(s, "501 5.5.4 Bad XFORWARD attribute name: %s", w->v[i]);
			return -1;
		}
		free(v[k]);
		v[k] = check_value(s, k, eq + 1, &bad);
		if (bad)
			return -1;
		*given |= 1u << k;
	}
	return 0;
}

/* smtpd_xforward_cmd - XFORWARD attr=value...: all or nothing of one command applies */
int smtpd_xforward_cmd(struct smtpd *s, const char *arg)
{
	struct cfg_strvec w;
	char *v[XF_COUNT] = {NULL};
	unsigned given = 0;
	int rc;

	cfg_strvec_init(&w);
	cfg_strvec_split(&w, arg, " ");
	if (w.n == 0)
		smtpd_reply(s, "501 5.5.4 Syntax: XFORWARD attribute=value...");
	else if (s->sender)
		smtpd_reply(s, "503 5.5.1 Error: MAIL transaction in progress");
	else if (!s->xforward_ok)
		smtpd_reply(s, "550 5.7.0 Error: insufficient authorization");
	rc = w.n == 0 || s->sender || !s->xforward_ok ? -1 : parse(s, &w, v, &given);
	for (int k = 0; k < XF_COUNT; k++) {
		if (rc == 0 && (given & (1u << k))) {
			free(s->xf.v[k]);
			s->xf.v[k] = v[k];
		} else {
			free(v[k]);
		}
	}
	if (rc == 0) {
		s->xf.given |= given;
		smtpd_reply(s, "250 2.0.0 Ok");
	}
	cfg_strvec_fini(&w);
	return rc;
}

/* origin - "name[addr]", or the name alone without an address; NULL without NAME or ADDR */
static char *origin(const struct smtpd *s)
{
	const char *name = s->xf.v[XF_NAME] ? s->xf.v[XF_NAME] : "unknown";

	if (!(s->xf.given & ((1u << XF_NAME) | (1u << XF_ADDR))))
		return NULL;
	if (s->xf.v[XF_ADDR])
		return cfg_xasprintf("%s[%s]", name, s->xf.v[XF_ADDR]);
	return cfg_xstrdup(name);
}

/* smtpd_xforward_log - ", orig_queue_id=ID, orig_client=NAME[ADDR]" for the client= line */
void smtpd_xforward_log(const struct smtpd *s, struct cfg_buf *out)
{
	char *o = origin(s);

	if (s->xf.v[XF_IDENT])
		cfg_buf_printf(out, ", orig_queue_id=%s", s->xf.v[XF_IDENT]);
	if (o)
		cfg_buf_printf(out, ", orig_client=%s", o);
	free(o);
}

/* smtpd_xforward_context - the rewrite context: SOURCE= when forwarded, else the connection's */
const char *smtpd_xforward_context(const struct smtpd *s)
{
	const char *src = s->xf.v[XF_SOURCE];

	if (src == NULL)
		return s->local_rewrite ? "local" : "remote";
	return strcasecmp(src, "LOCAL") == 0 ? "local" : "remote";
}

/*
 * smtpd_xforward_attrs - the log_* attributes for cleanup: log_ident always
 * (the forwarded IDENT, else the message's own queue ID, as Postfix records
 * it), the others when anything was forwarded
 */
void smtpd_xforward_attrs(const struct smtpd *s, struct cfg_strvec *a)
{
	const char *const *v = (const char *const *)s->xf.v;
	char *o;

	ipc_add(a, "log_ident", "%s", s->xf.given && v[XF_IDENT] ? v[XF_IDENT] : s->qid);
	if (s->xf.given == 0)
		return;
	if (s->xf.given == (1u << XF_IDENT) || s->xf.given == (1u << XF_SOURCE)
	    || s->xf.given == ((1u << XF_IDENT) | (1u << XF_SOURCE)))
		return; /* nothing about the client itself */
	ipc_add(a, "log_client_name", "%s", v[XF_NAME] ? v[XF_NAME] : "unknown");
	if (v[XF_ADDR])
		ipc_add(a, "log_client_address", "%s", v[XF_ADDR]);
	ipc_add(a, "log_client_port", "%s", v[XF_PORT] ? v[XF_PORT] : "unknown");
	if ((o = origin(s)) != NULL)
		ipc_add(a, "log_message_origin", "%s", o);
	free(o);
	if (v[XF_HELO])
		ipc_add(a, "log_helo_name", "%s", v[XF_HELO]);
	ipc_add(a, "log_protocol_name", "%s", v[XF_PROTO] ? v[XF_PROTO] : "unknown");
}
