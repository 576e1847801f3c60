/*
 * smtpd_sasl.c - AUTH for smtpd through Dovecot's auth server (see smtpd.h)
 *
 * smtpd_sasl_type = dovecot is the one server type postkit has: the
 * mechanisms EHLO offers are Dovecot's, minus what
 * smtpd_sasl_security_options (smtpd_sasl_tls_security_options under TLS)
 * and smtpd_sasl_mechanism_filter take away.  Replies and log lines are
 * Postfix's: "235 2.7.0 Authentication successful", "535 5.7.8 Error:
 * authentication failed: REASON" with "warning: CLIENT: SASL MECH
 * authentication failed: REASON, sasl_username=USER", which fail2ban reads.
 */
#include "config.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <netdb.h>

#include "cfg/base/xalloc.h"
#include "log.h"
#include "maps.h"
#include "smtpd.h"
#include "smtpd_anvil.h"

void smtpd_sasl_init(struct smtpd_cfg *c, struct mta_server *srv)
{
	const char *type = "", *path = "";
	struct mta_setting tab[] = {
	    MTA_SET(CFG_P_smtpd_sasl_auth_enable, &c->sasl_enable),
	    MTA_SET(CFG_P_broken_sasl_auth_clients, &c->sasl_broken_clients),
	    MTA_SET(CFG_P_smtpd_sasl_authenticated_header, &c->sasl_header),
	    MTA_SET(CFG_P_smtpd_sasl_service, &c->sasl_service),
	    MTA_SET(CFG_P_smtpd_sasl_type, &type),
	    MTA_SET(CFG_P_smtpd_sasl_path, &path),
	    MTA_SET(CFG_P_smtpd_sasl_mechanism_filter, &c->sasl_filter),
	    MTA_SET(CFG_P_smtpd_sender_login_maps, &c->sender_login_maps),
	    MTA_SET(CFG_P_plaintext_reject_code, &c->plaintext_code),
	    MTA_SETTINGS_END,
	};

	cfg_strvec_init(&c->sasl_filter);
	cfg_strvec_init(&c->sender_login_maps);
	mta_conf_get(&srv->conf, tab);
	if (!c->sasl_enable || srv->standalone) {
		c->sasl_enable = 0;
		return;
	}
	if (strcasecmp(type, "dovecot") != 0)
		mta_fatal("unsupported SASL server implementation: %s", type);
	sasl_conf_flags(&srv->conf, "smtpd_sasl_security_options", &c->sasl_deny, &c->sasl_require);
	sasl_conf_flags(&srv->conf, "smtpd_sasl_tls_security_options", &c->sasl_tls_deny,
	                &c->sasl_tls_require);
	c->sasl = sasl_server_new(path, (int)c->timeout);
}

/* filter_ok - smtpd_sasl_mechanism_filter lets mech through */
static int filter_ok(struct smtpd *s, const char *mech)
{
	const struct cfg_strvec *f = &s->cfg->sasl_filter;

	if (f->n == 0)
		return 1;
	for (size_t i = 0; i < f->n; i++) {
		const char *w = f->v[i];
		int neg = w[0] == '!';
		const char *value;

		if (neg)
			w++;
		if (strchr(w, ':')) {
			/* a table: a mechanism it has matches (static: matches every one) */
			if (mta_map_get(w, mech, &value) > 0)
				return !neg;
		} else if (strcasecmp(w, mech) == 0) {
			return !neg;
		}
	}
	return 0;
}

/* active - SASL may be used now (not before TLS under smtpd_tls_auth_only) */
static int active(const struct smtpd *s)
{
	return s->cfg->sasl_enable && (s->tls || !s->cfg->tls_auth_only);
}

/* mechs - the mechanisms to offer now into out (fatal when the server cannot say) */
static void mechs(struct smtpd *s, struct cfg_strvec *out)
{
	struct cfg_strvec all;
	struct cfg_buf why;
	unsigned deny = s->tls ? s->cfg->sasl_tls_deny : s->cfg->sasl_deny;
	unsigned require = s->tls ? s->cfg->sasl_tls_require : s->cfg->sasl_require;

	cfg_strvec_init(&all);
	cfg_buf_init(&why);
	if (sasl_server_mechs(s->cfg->sasl, deny, require, &all, &why) < 0) {
		mta_warn("SASL: %s", why.data);
		mta_fatal("no SASL authentication mechanisms");
	}
	for (size_t i = 0; i < all.n; i++)
		if (filter_ok(s, all.v[i]))
			cfg_strvec_add(out, all.v[i]);
	cfg_strvec_fini(&all);
	cfg_buf_fini(&why);
}

void smtpd_sasl_ehlo(struct smtpd *s, struct cfg_strvec *kw)
{
	struct cfg_strvec m;
	struct cfg_buf line;

	if (!active(s))
		return;
	cfg_strvec_init(&m);
	cfg_buf_init(&line);
	mechs(s, &m);
	for (size_t i = 0; i < m.n; i++)
		cfg_buf_printf(&line, "%s%s", i ? " " : "", m.v[i]);
	if (m.n) {
		cfg_strvec_take(kw, cfg_xasprintf("AUTH %s", line.data));
		if (s->cfg->sasl_broken_clients)
			cfg_strvec_take(kw, cfg_xasprintf("AUTH=%s", line.data));
	}
	cfg_buf_fini(&line);
	cfg_strvec_fini(&m);
}

void smtpd_sasl_reset(struct smtpd *s)
{
	free(s->sasl_method);
	free(s->sasl_username);
	free(s->sasl_sender);
	s->sasl_method = s->sasl_username = s->sasl_sender = NULL;
}

/* fail - the 535 and the warning fail2ban looks for */
static void fail(struct smtpd *s, const char *mech, const char *reason, const char *user)
{
	if (*reason == '\0')
		reason = "(reason unavailable)";
	mta_warn("%s: SASL %s authentication failed: %s, sasl_username=%s", s->log_client, mech,
	         reason, user ? user : "(unavailable)");
	smtpd_reply(s, "535 5.7.8 Error: authentication failed: %s", reason);
}

/* converse - challenges and responses until the server decides; 0 or -1 */
static int converse(struct smtpd *s, const char *mech, struct sasl_step *st)
{
	struct cfg_buf line;
	int eol, rc = -1;

	cfg_buf_init(&line);
	while (st->status == SASL_CONT) {
		smtpd_reply(s, "334 %s", st->data.data);
		smtpd_flush(s);
		cfg_buf_reset(&line);
		if (mta_stream_gets(&s->in, &line, 65536, &eol) == 0 || !eol) {
			mta_info("%s after AUTH from %s",
			         s->in.err == ETIMEDOUT ? "timeout" : "lost connection",
			         s->log_client);
			s->dead = 1;
			cfg_buf_fini(&line);
			return -1;
		}
		while (line.len
		       && (line.data[line.len - 1] == '\n' || line.data[line.len - 1] == '\r'))
			cfg_buf_truncate(&line, line.len - 1);
		if (strcmp(line.data, "*") == 0) {
			mta_warn("%s: SASL %s authentication aborted", s->log_client, mech);
			smtpd_reply(s, "501 5.7.0 Authentication aborted");
			cfg_buf_fini(&line);
			return -1;
		}
		if (!sasl_b64_valid(line.data)) {
			fail(s, mech, "Invalid base64 data in continued response", NULL);
			cfg_buf_fini(&line);
			return -1;
		}
		sasl_server_next(s->cfg->sasl, line.data, st);
	}
	cfg_buf_fini(&line);
	if (st->status == SASL_OK) {
		s->sasl_method = cfg_xstrdup(mech);
		s->sasl_username = cfg_xstrdup(st->user ? st->user : "");
		smtpd_reply(s, "235 2.7.0 Authentication successful");
		rc = 0;
	} else if (st->status == SASL_TEMP) {
		mta_warn("%s: SASL %s authentication failed: %s", s->log_client, mech,
		         st->data.data);
		smtpd_reply(s, "454 4.7.0 Temporary authentication failure: %s", st->data.data);
	} else {
		fail(s, mech, st->data.data, st->user);
	}
	return rc;
}

int smtpd_auth_cmd(struct smtpd *s, const char *arg)
{
	struct cfg_strvec w, m;
	struct sasl_client_info ci;
	struct sasl_step st;
	char mech[64];
	int rc = -1, known = 0;

	if (s->cfg->helo_required && s->helo == NULL) {
		smtpd_reply(s, "503 5.5.1 Error: send HELO/EHLO first");
		return -1;
	}
	if (!active(s)) {
		smtpd_reply(s, "503 5.5.1 Error: authentication not enabled");
		return -1;
	}
	if (s->sender) {
		smtpd_reply(s, "503 5.5.1 Error: MAIL transaction in progress");
		return -1;
	}
	if (s->sasl_username) {
		smtpd_reply(s, "503 5.5.1 Error: already authenticated");
		return -1;
	}
	if (smtpd_anvil_auth(s) < 0)
		return -1;
	cfg_strvec_init(&w);
	cfg_strvec_split(&w, arg, " ");
	if (w.n < 1 || w.n > 2) {
		smtpd_reply(s, "501 5.5.4 Syntax: AUTH mechanism");
		cfg_strvec_fini(&w);
		return -1;
	}
	snprintf(mech, sizeof(mech), "%s", w.v[0]);
	for (char *p = mech; *p; p++)
		*p = (char)toupper((unsigned char)*p);
	cfg_strvec_init(&m);
	mechs(s, &m);
	for (size_t i = 0; i < m.n; i++)
		known |= strcasecmp(m.v[i], mech) == 0;
	cfg_strvec_fini(&m);
	if (!known) {
		fail(s, mech, "Invalid authentication mechanism", NULL);
	} else if (w.n == 2 && strcmp(w.v[1], "=") != 0 && !sasl_b64_valid(w.v[1])) {
		fail(s, mech, "Invalid base64 data in initial response", NULL);
	} else {
		memset(&ci, 0, sizeof(ci));
		ci.service = s->cfg->sasl_service;
		ci.local_addr = s->srv_addr;
		ci.local_port = s->srv_port;
		ci.remote_addr = s->addr;
		ci.remote_port = s->port;
		ci.secured = s->tls != NULL;
		ci.valid_cert = s->tls && mta_tls_info(s->tls)->peer_trusted;
		sasl_step_init(&st);
		/* "=" is an empty initial response (RFC 4954) */
		sasl_server_start(s->cfg->sasl, mech,
		                  w.n == 2 ? (strcmp(w.v[1], "=") == 0 ? "" : w.v[1]) : NULL, &ci,
		                  &st);
		rc = converse(s, mech, &st);
		sasl_step_fini(&st);
	}
	cfg_strvec_fini(&w);
	return rc;
}
