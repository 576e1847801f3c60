/*
 * smtp_xforward.c - smtp_send_xforward_command: tell the next hop (a content
 * filter, or the smtpd it reinjects into) who the original client was
 *
 * The attributes come from the queue file: the log_* attributes smtpd
 * recorded from an XFORWARD of its own, else the real client.  Only those the
 * server announced in EHLO and that are known go out, in two commands as
 * Postfix sends them: "NAME ADDR PORT", then "PROTO HELO IDENT SOURCE".
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "cfg/base/buf.h"
#include "log.h"
#include "qfile.h"
#include "smtp.h"

/* an attribute: its XFORWARD name, the real-client and forwarded queue file names */
struct xattr {
	const char *name;
	const char *real, *fwd;
};

static const struct xattr xattrs[] = {
    {"NAME", "client_name", "log_client_name"},
    {"ADDR", "client_addr", "log_client_address"},
    {"PORT", "client_port", "log_client_port"},
    {"PROTO", "protocol", "log_protocol_name"},
    {"HELO", "helo", "log_helo_name"},
    {"IDENT", NULL, "log_ident"},
    {"SOURCE", NULL, NULL},
};

#define NXATTRS (sizeof(xattrs) / sizeof(xattrs[0]))

/* smtp_xforward_feature - the announced attribute bits of an EHLO "XFORWARD a b..." line */
unsigned smtp_xforward_feature(const struct cfg_strvec *words)
{
	unsigned bits = 0;

	for (size_t i = 1; i < words->n; i++)
		for (size_t k = 0; k < NXATTRS; k++)
			if (strcasecmp(words->v[i], xattrs[k].name) == 0)
				bits |= 1u << k;
	return bits;
}

/* xtext - RFC 3461 xtext: '+', '=' and what is not printable ASCII as +XX */
static void xtext(struct cfg_buf *out, const char *v)
{
	for (const unsigned char *p = (const unsigned char *)v; *p; p++) {
		if (*p == '+' || *p == '=' || *p <= ' ' || *p > '~')
			cfg_buf_printf(out, "+%02X", *p);
		else
			cfg_buf_addc(out, (char)*p);
	}
}

/* value - what attribute k says about this message; NULL when unknown */
static const char *value(const struct dlv_req *r, size_t k)
{
	const struct qf_env *e = &r->env;
	const char *v;
	int fwd = 0;

	/*
	 * a message smtpd took with XFORWARD names only the forwarded client
	 * (log_ident alone says nothing: smtpd records it for every message)
	 */
	for (size_t i = 0; i < NXATTRS; i++)
		if (xattrs[i].real && xattrs[i].fwd && qf_env_attr(e, xattrs[i].fwd))
			fwd = 1;
	if (strcmp(xattrs[k].name, "SOURCE") == 0) {
		v = qf_env_attr(e, "rewrite_context");
		return v && strcmp(v, "remote") == 0 ? "REMOTE" : "LOCAL";
	}
	if (strcmp(xattrs[k].name, "IDENT") == 0)
		return (v = qf_env_attr(e, "log_ident")) != NULL ? v : r->qid;
	v = qf_env_attr(e, fwd ? xattrs[k].fwd : xattrs[k].real);
	return v && *v && strcmp(v, "unknown") != 0 ? v : NULL;
}

/*
 * say - one XFORWARD command ("XFORWARD name/address") and its reply; 0, or
 * -1 when the connection is lost.  A refusal is only a warning: the mail
 * goes on without it, as in Postfix.
 */
static int say(struct smtp_state *s, struct smtp_session *sess, const char *args, const char *what)
{
	int code;

	if (smtp_say(sess, s->cfg->xforward_timeout, "XFORWARD", args) < 0)
		return -1;
	if ((code = smtp_reply(sess, s->cfg->xforward_timeout)) < 0)
		return -1;
	if (code / 100 != 2)
		mta_warn("host %s said: %s (in reply to %s command)", sess->relay, sess->reply.data,
		         what);
	return 0;
}

const char *smtp_xforward(struct smtp_state *s, struct smtp_session *sess)
{
	/* the first command names the client, the second the rest; how Postfix calls them */
	static const size_t split = 3;
	static const char *const sending[] = {"sending XFORWARD name/address",
	                                      "sending XFORWARD helo/protocol"};
	struct cfg_buf cmd;
	const char *lost = NULL;

	if (!s->cfg->send_xforward || sess->xforward == 0)
		return NULL;
	cfg_buf_init(&cmd);
	for (size_t k = 0; k <= NXATTRS && lost == NULL; k++) {
		const char *v;

		if ((k == split || k == NXATTRS) && cmd.len > 0) {
			const char *what = sending[k == split ? 0 : 1];

			if (say(s, sess, cmd.data, what + strlen("sending ")) < 0)
				lost = what;
			cfg_buf_reset(&cmd);
		}
		if (k == NXATTRS || !(sess->xforward & (1u << k)) || !(v = value(s->req, k)))
			continue;
		cfg_buf_printf(&cmd, "%s%s=", cmd.len ? " " : "", xattrs[k].name);
		xtext(&cmd, v);
	}
	cfg_buf_fini(&cmd);
	return lost;
}
