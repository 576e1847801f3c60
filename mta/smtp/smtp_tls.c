/*
 * smtp_tls.c - STARTTLS and AUTH for the smtp client (see smtp.h)
 *
 * After EHLO the session follows the TLS policy of its next hop:
 * smtp_tls_security_level, or the entry smtp_tls_policy_maps has for the
 * next-hop destination ("[mail.example.com]:587 encrypt protocols=TLSv1.2
 * ciphers=high match=hostname").  "may" uses TLS when the server offers it
 * and takes what comes, "encrypt" insists on TLS with the mandatory
 * protocols and ciphers, "verify" also wants a certificate chain that
 * smtp_tls_CAfile/CApath trust and that names the server
 * (smtp_tls_verify_cert_match), "secure" the same with the names of
 * smtp_tls_secure_cert_match ("nexthop, dot-nexthop": never names from an
 * insecure MX lookup), "fingerprint" a certificate or public-key digest of
 * smtp_tls_fingerprint_cert_match (match=D1|D2 in the table), checked as
 * DANE-EE records.  "dane" and "dane-only" look up the TLSA records of
 * _PORT._tcp.HOST before connecting (with smtp_dns_support_level = dnssec,
 * for an address from a validated answer; the AD bit as glibc passes it on):
 * found, the certificate must match them; not found, "dane" is "may" and
 * "dane-only" defers ("no TLSA records found").  lmtp reads the same
 * settings by their lmtp_ names (smtp.c's table).
 *
 * With smtp_tls_session_cache_database a session is saved under the next
 * hop, the server and a digest of the policy, and a later connection from
 * any smtp process to the same server with the same policy offers it
 * again (tls_cache.h); a session whose server then fails the policy's
 * checks is forgotten.
 *
 * Then, with smtp_sasl_auth_enable and a password for the sender (with
 * smtp_sender_dependent_authentication), the server or the next hop in
 * smtp_sasl_password_maps ("user:password"), the client logs in with PLAIN
 * or LOGIN, the mechanisms the security options and
 * smtp_sasl_mechanism_filter allow.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "addr.h"
#include "cfg/base/xalloc.h"
#include "dns.h"
#include "log.h"
#include "maps.h"
#include "sasl.h"
#include "smtp.h"
#include "tls_cache.h"
#include "tls_conf.h"

/* the TLS policy of one session */
struct smtp_tls_policy {
	int level;
	char *protocols, *ciphers; /* overrides from the policy table, or NULL */
	struct cfg_strvec match;   /* names the certificate must have (verify, secure) */
	struct cfg_strvec tlsa;    /* "U S M HEX": DANE records, or the fingerprints as such */
	char *base;                /* dane: the TLSA base domain (the server's name) */
	int insecure_mx;           /* dane via an insecure MX: a match is only "Trusted" */
};

/* level_of - a security level word; -1 for one postkit does not have */
static int level_of(const char *w)
{
	static const char *const names[] = {"none",        "may",    "encrypt", "verify",
	                                    "fingerprint", "secure", "dane",    "dane-only"};

	if (*w == '\0')
		return SMTP_TLS_NONE;
	for (int i = 0; i < 8; i++)
		if (strcasecmp(w, names[i]) == 0)
			return i;
	return -1;
}

static struct mta_server *server;  /* for contexts a policy entry asks for */
static const char *agent = "smtp"; /* "smtp" or "lmtp": the prefix of the settings */

/* make_ctx - a client context for mandatory or opportunistic sessions; NULL on error (logged) */
static struct mta_tls_ctx *make_ctx(struct mta_server *srv, int mandatory, const char *protocols,
                                    const char *grade)
{
	struct mta_tls_params p;
	struct cfg_buf why;
	struct mta_tls_ctx *ctx = NULL;

	cfg_buf_init(&why);
	if (mta_tls_params_load(&srv->conf, agent, mandatory, &p, &why) == 0) {
		if (protocols)
			p.c.protocols = protocols;
		if (grade && (p.c.ciphers = mta_tls_cipherlist(&srv->conf, grade)) == NULL)
			cfg_buf_printf(&why, "invalid TLS cipher grade \"%s\"", grade);
		else
			ctx = mta_tls_ctx_new(&p.c, &why);
	}
	if (ctx == NULL)
		mta_warn("TLS library problem: %s", why.data);
	mta_tls_params_fini(&p);
	cfg_buf_fini(&why);
	return ctx;
}

void smtp_tls_init(struct smtp_cfg *c, struct mta_server *srv)
{
	static const char *const sec[2] = {"sasl_security_options", "sasl_tls_security_options"};
	unsigned *deny[2] = {&c->sasl_deny, &c->sasl_tls_deny};
	unsigned *req[2] = {&c->sasl_require, &c->sasl_tls_require};
	char name[64];

	const char *mx_policy = "dane";
	struct mta_setting tab[] = {
	    MTA_SET(CFG_P_smtp_tls_dane_insecure_mx_policy, &mx_policy),
	    MTA_SETTINGS_END,
	};

	server = srv;
	agent = c->name;
	c->tls_loglevel = mta_tls_loglevel(c->tls_loglevel_text);
	if ((c->tls_level = level_of(c->tls_level_text)) < 0)
		mta_fatal("invalid TLS security level: \"%s\"", c->tls_level_text);
	mta_conf_get(&srv->conf, tab);
	c->insecure_mx_policy = level_of(mx_policy);
	if (c->insecure_mx_policy != SMTP_TLS_MAY && c->insecure_mx_policy != SMTP_TLS_ENCRYPT
	    && c->insecure_mx_policy != SMTP_TLS_DANE)
		mta_fatal("invalid smtp_tls_dane_insecure_mx_policy: \"%s\"", mx_policy);
	snprintf(name, sizeof(name), "%s_tls_force_insecure_host_tlsa_lookup", c->name);
	mta_conf_named(&srv->conf, name, &c->force_tlsa);
	for (int i = 0; i < 2; i++) {
		snprintf(name, sizeof(name), "%s_%s", c->name, sec[i]);
		sasl_conf_flags(&srv->conf, name, deny[i], req[i]);
	}
	if (c->tls_level != SMTP_TLS_NONE || c->tls_policy_maps.n) {
		c->tls_may = make_ctx(srv, 0, NULL, NULL);
		c->tls_mand = make_ctx(srv, 1, NULL, NULL);
		c->tls_cache = mta_tls_cache_load(&srv->conf, agent, NULL, c->tls_loglevel);
	}
}

/* bare_dest - the next hop without brackets and port ("[a.example]:587" -> "a.example") */
static void bare_dest(const char *nexthop, struct cfg_buf *out)
{
	const char *p = nexthop;
	size_t n;

	if (*p == '[') {
		p++;
		n = strcspn(p, "]");
	} else {
		n = strcspn(p, ":");
	}
	cfg_buf_add(out, p, n);
}

/* policy_lookup - the table's entry for the next hop (then its parent domains); 1, 0, -1 */
static int policy_lookup(struct smtp_cfg *cfg, const char *nexthop, const char **value)
{
	struct cfg_buf d;
	int rc = mta_maps_get(&cfg->tls_policy_maps, nexthop, value);

	if (rc != 0 || nexthop[0] == '[')
		return rc;
	cfg_buf_init(&d);
	bare_dest(nexthop, &d);
	rc = mta_maps_get(&cfg->tls_policy_maps, d.data, value);
	for (const char *dot = strchr(d.data, '.'); rc == 0 && dot; dot = strchr(dot + 1, '.'))
		rc = mta_maps_get(&cfg->tls_policy_maps, dot, value);
	cfg_buf_fini(&d);
	return rc;
}

/* match_names - *_cert_match (or match=): hostname, nexthop, dot-nexthop, or literal names */
static void match_names(const struct cfg_strvec *words, const char *host, const char *nexthop,
                        struct cfg_strvec *out)
{
	for (size_t i = 0; i < words->n; i++) {
		if (strcasecmp(words->v[i], "hostname") == 0) {
			cfg_strvec_add(out, host);
		} else if (strcasecmp(words->v[i], "nexthop") == 0
		           || strcasecmp(words->v[i], "dot-nexthop") == 0) {
			struct cfg_buf d;

			cfg_buf_init(&d);
			if (words->v[i][0] != 'n' && words->v[i][0] != 'N')
				cfg_buf_adds(&d, ".");
			bare_dest(nexthop, &d);
			cfg_strvec_add(out, d.data);
			cfg_buf_fini(&d);
		} else {
			cfg_strvec_add(out, words->v[i]);
		}
	}
}

/* tlsa_add - one record "U S M HEX" for the TLS layer */
static void tlsa_add(struct cfg_strvec *v, unsigned u, unsigned s, unsigned m, const char *hex)
{
	char *r = cfg_xasprintf("%u %u %u %s", u, s, m, hex);

	cfg_strvec_add(v, r);
	free(r);
}

/* get_policy - the policy for a session to host; 0, or -1 with why (the mail is deferred) */
static int get_policy(struct smtp_state *s, const char *host, struct smtp_tls_policy *p,
                      struct cfg_buf *why)
{
	struct smtp_cfg *cfg = s->cfg;
	struct cfg_strvec w, mw;
	const struct cfg_strvec *list;
	const char *value, *match = NULL;
	int rc = 0, found;

	p->level = cfg->tls_level;
	cfg_strvec_init(&w);
	cfg_strvec_init(&mw);
	if ((found = policy_lookup(cfg, s->req->nexthop, &value)) < 0) {
		mta_warn("%s_tls_policy_maps, next-hop destination \"%s\": policy table lookup "
		         "error",
		         cfg->name, s->req->nexthop);
		rc = -1;
	} else if (found > 0) {
		cfg_strvec_split(&w, value, " \t");
		if (w.n == 0 || (p->level = level_of(w.v[0])) < 0) {
			mta_warn("%s: TLS security level \"%s\" is not implemented by postkit",
			         s->req->nexthop, w.n ? w.v[0] : "");
			rc = -1;
		}
		for (size_t i = 1; i < w.n && rc == 0; i++) {
			if (strncasecmp(w.v[i], "protocols=", 10) == 0) {
				p->protocols = cfg_xstrdup(w.v[i] + 10);
			} else if (strncasecmp(w.v[i], "ciphers=", 8) == 0) {
				p->ciphers = cfg_xstrdup(w.v[i] + 8);
			} else if (strncasecmp(w.v[i], "match=", 6) == 0) {
				match = w.v[i] + 6;
			} else {
				mta_warn(
				    "%s: TLS policy attribute \"%s\" is not implemented by postkit",
				    s->req->nexthop, w.v[i]);
				rc = -1;
			}
		}
	}
	/* the names or digests of the level; match= lists them with ':' (digests '|') */
	list = p->level == SMTP_TLS_VERIFY   ? &cfg->verify_match
	       : p->level == SMTP_TLS_SECURE ? &cfg->secure_match
	                                     : &cfg->fpt_match;
	if (match)
		cfg_strvec_split(&mw, match, p->level == SMTP_TLS_FINGERPRINT ? "|" : ":");
	else
		for (size_t i = 0; i < list->n; i++)
			cfg_strvec_add(&mw, list->v[i]);
	if (rc < 0)
		cfg_buf_printf(why, "client TLS configuration problem");
	else if (p->level == SMTP_TLS_VERIFY || p->level == SMTP_TLS_SECURE)
		match_names(&mw, host, s->req->nexthop, &p->match);
	else if (p->level == SMTP_TLS_FINGERPRINT)
		for (size_t i = 0; i < mw.n; i++) { /* DANE-EE: the public key, the certificate */
			tlsa_add(&p->tlsa, 3, 1, 255, mw.v[i]);
			tlsa_add(&p->tlsa, 3, 0, 255, mw.v[i]);
		}
	cfg_strvec_fini(&w);
	cfg_strvec_fini(&mw);
	return rc;
}

/*
 * cache_id - the session cache's name for a session to this server with
 * this policy, as Postfix's: "smtp&[mx.example]:25&mx.example&192.0.2.1&&"
 * and a digest of what the policy asks for (level, protocols, ciphers,
 * names, TLSA records), so a stricter policy never resumes a weaker one's
 */
static char *cache_id(struct smtp_state *s, struct smtp_session *sess,
                      const struct smtp_tls_policy *p)
{
	struct cfg_buf b;
	char hex[65];

	cfg_buf_init(&b);
	cfg_buf_printf(&b, "%d\n%s\n%s\n%s\n", p->level, p->protocols ? p->protocols : "",
	               p->ciphers ? p->ciphers : "", p->base ? p->base : "");
	for (size_t i = 0; i < p->match.n; i++)
		cfg_buf_printf(&b, "m %s\n", p->match.v[i]);
	for (size_t i = 0; i < p->tlsa.n; i++)
		cfg_buf_printf(&b, "t %s\n", p->tlsa.v[i]);
	mta_tls_digest_hex(b.data, hex);
	cfg_buf_fini(&b);
	return cfg_xasprintf("%s&%s&%s&%s&&%s", server->service ? server->service : agent,
	                     s->req->nexthop, sess->where.host, sess->where.addr, hex);
}

/* start_tls - STARTTLS, the handshake and the checks the level asks for; 0 or -1 */
static int start_tls(struct smtp_state *s, struct smtp_session *sess, struct smtp_tls_policy *p,
                     char *dsn, size_t dsnlen, struct cfg_buf *why)
{
	struct smtp_cfg *cfg = s->cfg;
	struct mta_tls_ctx *ctx = p->level >= SMTP_TLS_ENCRYPT ? cfg->tls_mand : cfg->tls_may;
	const struct mta_tls_info *i;
	struct cfg_buf err, line;
	struct cfg_strvec unusable;
	struct mta_tls_want want = {.unusable = &unusable};
	int code, checked = p->level >= SMTP_TLS_VERIFY;
	char *id = NULL;

	if (p->protocols || p->ciphers)
		ctx = sess->own_ctx =
		    make_ctx(server, p->level >= SMTP_TLS_ENCRYPT, p->protocols, p->ciphers);
	if (ctx == NULL) {
		snprintf(dsn, dsnlen, "4.7.5");
		cfg_buf_adds(why, "client TLS configuration problem");
		return -1;
	}
	if (smtp_say(sess, cfg->helo_timeout, "STARTTLS", NULL) < 0
	    || (code = smtp_reply(sess, cfg->helo_timeout)) < 0) {
		smtp_lost(sess, "sending the STARTTLS command", why);
		snprintf(dsn, dsnlen, "4.4.2");
		return -1;
	}
	if (code / 100 != 2) {
		if (p->level == SMTP_TLS_MAY)
			return 0; /* plaintext it is */
		smtp_reply_dsn(sess, dsn, dsnlen);
		dsn[0] = '4';
		cfg_buf_printf(why, "host %s said: %s (in reply to STARTTLS command)", sess->label,
		               sess->reply.data);
		return -1;
	}
	cfg_buf_init(&err);
	cfg_strvec_init(&unusable);
	if (p->level == SMTP_TLS_FINGERPRINT || p->level >= SMTP_TLS_DANE) {
		want.tlsa = &p->tlsa;
		want.base = p->base;
		want.fallback = p->level == SMTP_TLS_DANE;
	} else if (checked) {
		want.match = &p->match;
	}
	want.dns_names = p->level == SMTP_TLS_SECURE;
	if ((want.cache = cfg->tls_cache) != NULL)
		want.cache_id = id = cache_id(s, sess, p);
	sess->tls = mta_tls_connect(ctx, sess->fd, (int)cfg->starttls_timeout, NULL, &want, &err);
	for (size_t k = 0; k < unusable.n; k++)
		mta_warn("%s: unusable TLSA RR: %s", sess->relay, unusable.v[k]);
	if (p->level == SMTP_TLS_FINGERPRINT && unusable.n == p->tlsa.n)
		mta_warn("%s: all fingerprints unusable", sess->relay);
	if (p->level >= SMTP_TLS_DANE && p->tlsa.n && unusable.n == p->tlsa.n) {
		/* dane is then encrypt: TLS, no authentication; dane-only fails */
		mta_warn("%s: all TLSA records unusable%s", sess->relay,
		         want.fallback ? ", fallback to unauthenticated TLS" : "");
		if (want.fallback) {
			checked = 0;
			p->insecure_mx = 1; /* a chain that verifies is "Trusted" at most */
		}
	}
	cfg_strvec_fini(&unusable);
	if (sess->tls == NULL) {
		for (char *l = strchr(err.data, '\n'), *nl; l; l = nl) {
			*l++ = '\0';
			if ((nl = strchr(l, '\n')) != NULL)
				*nl = '\0';
			mta_warn("TLS library problem: %s", l);
		}
		snprintf(dsn, dsnlen, "4.7.5");
		cfg_buf_printf(why, "Cannot start TLS: handshake failure");
		cfg_buf_fini(&err);
		sess->broken = 1;
		free(id);
		return -1;
	}
	cfg_buf_fini(&err);
	mta_tls_attach(&sess->st, sess->tls);
	i = mta_tls_info(sess->tls);
	if (i->reused && cfg->tls_loglevel >= 2)
		mta_info("%s: Reusing old session", sess->relay);
	/*
	 * Postfix's own words for a few errors, else "server ... num=N:text";
	 * at may and encrypt it says nothing of them, whatever the loglevel
	 */
	if (i->verify_error[0] && checked)
		mta_info("%scertificate verification failed for %s: %s",
		         strncmp(i->verify_error, "num=", 4) == 0 ? "server " : "", sess->relay,
		         i->verify_error);
	if (cfg->tls_loglevel >= 1) {
		cfg_buf_init(&line);
		mta_tls_summary(i, &line);
		mta_info("%s TLS connection established to %s: %s",
		         !i->peer_cert                        ? "Anonymous"
		         : i->peer_matched && !p->insecure_mx ? "Verified"
		         : i->peer_trusted                    ? "Trusted"
		                                              : "Untrusted",
		         sess->relay, line.data);
		cfg_buf_fini(&line);
	}
	if (checked && !i->peer_matched) {
		if (id)
			mta_tls_cache_remove(cfg->tls_cache, id);
		free(id);
		snprintf(dsn, dsnlen, "4.7.5");
		cfg_buf_adds(why, "Server certificate not verified");
		return -1;
	}
	free(id);
	return smtp_ehlo(s, sess, dsn, dsnlen, why);
}

/* password - "user:password" for this delivery, or NULL (borrowed until the next lookup) */
static const char *password(struct smtp_state *s, struct smtp_session *sess)
{
	struct smtp_cfg *cfg = s->cfg;
	const char *value;
	const char *sender = s->req->sender;

	if (cfg->sasl_passwd_maps.n == 0)
		return NULL;
	if (cfg->sender_auth && sender && *sender) {
		const char *at = strrchr(sender, '@');

		if (mta_maps_get(&cfg->sasl_passwd_maps, sender, &value) > 0)
			return value;
		if (at && mta_maps_get(&cfg->sasl_passwd_maps, at, &value) > 0)
			return value;
	}
	if (mta_maps_get(&cfg->sasl_passwd_maps, sess->where.host, &value) > 0
	    || mta_maps_get(&cfg->sasl_passwd_maps, s->req->nexthop, &value) > 0)
		return value;
	return NULL;
}

/* pick_mech - the first of PLAIN, LOGIN that the server offers and the options allow */
static const char *pick_mech(struct smtp_cfg *cfg, struct smtp_session *sess)
{
	static const char *const ours[] = {"PLAIN", "LOGIN"};
	unsigned deny = sess->tls ? cfg->sasl_tls_deny : cfg->sasl_deny;
	unsigned require = sess->tls ? cfg->sasl_tls_require : cfg->sasl_require;

	for (size_t k = 0; k < 2; k++) {
		unsigned f = sasl_client_flags(ours[k]);
		int offered = 0, allowed = cfg->sasl_filter.n == 0;

		if ((f & deny) || (f & require) != require)
			continue;
		for (size_t i = 0; i < sess->auth.n; i++)
			offered |= strcasecmp(sess->auth.v[i], ours[k]) == 0;
		for (size_t i = 0; i < cfg->sasl_filter.n; i++)
			allowed |= strcasecmp(cfg->sasl_filter.v[i], ours[k]) == 0;
		if (offered && allowed)
			return ours[k];
	}
	return NULL;
}

/* b64 - base64 of a C string into out (reset first) */
static void b64(const char *text, size_t len, struct cfg_buf *out)
{
	cfg_buf_reset(out);
	sasl_b64_encode(text, len, out);
}

/* login - AUTH with the mechanism; 0, or -1 with why */
static int login(struct smtp_state *s, struct smtp_session *sess, const char *secret, char *dsn,
                 size_t dsnlen, struct cfg_buf *why)
{
	struct smtp_cfg *cfg = s->cfg;
	const char *mech = pick_mech(cfg, sess), *colon = strchr(secret, ':');
	struct cfg_buf user, msg;
	int code, rc = 0;

	if (mech == NULL) {
		mta_warn("SASL authentication failure: No worthy mechs found");
		snprintf(dsn, dsnlen, "4.7.0");
		cfg_buf_printf(why,
		               "SASL authentication failed; cannot authenticate to server %s: no "
		               "mechanism available",
		               sess->label);
		return -1;
	}
	cfg_buf_init(&user);
	cfg_buf_init(&msg);
	cfg_buf_add(&user, secret, colon ? (size_t)(colon - secret) : strlen(secret));
	colon = colon ? colon + 1 : "";
	if (strcmp(mech, "PLAIN") == 0) {
		struct cfg_buf raw;

		cfg_buf_init(&raw);
		cfg_buf_printf(&raw, "%c%s%c%s", 0, user.data, 0, colon);
		b64(raw.data, raw.len, &msg);
		cfg_buf_fini(&raw);
		rc = smtp_say(sess, cfg->helo_timeout, "AUTH PLAIN", msg.data);
		code = rc < 0 ? -1 : smtp_reply(sess, cfg->helo_timeout);
	} else {
		code = smtp_say(sess, cfg->helo_timeout, "AUTH", "LOGIN") < 0
		           ? -1
		           : smtp_reply(sess, cfg->helo_timeout);
		for (int step = 0; step < 2 && code == 334; step++) {
			const char *text = step == 0 ? user.data : colon;

			b64(text, strlen(text), &msg);
			code = smtp_say(sess, cfg->helo_timeout, msg.data, NULL) < 0
			           ? -1
			           : smtp_reply(sess, cfg->helo_timeout);
		}
	}
	if (code < 0) {
		smtp_lost(sess, "sending the AUTH command", why);
		snprintf(dsn, dsnlen, "4.4.2");
		rc = -1;
	} else if (code != 235) {
		smtp_reply_dsn(sess, dsn, dsnlen);
		dsn[0] = '4'; /* smtp_sasl_auth_soft_bounce */
		cfg_buf_printf(why, "SASL authentication failed; server %s said: %s", sess->label,
		               sess->reply.data);
		rc = -1;
	}
	cfg_buf_fini(&user);
	cfg_buf_fini(&msg);
	return rc;
}

int smtp_secure(struct smtp_state *s, struct smtp_session *sess, int *hard, char *dsn,
                size_t dsnlen, struct cfg_buf *why)
{
	struct smtp_cfg *cfg = s->cfg;
	struct smtp_tls_policy *p = sess->policy;
	const char *secret;
	int rc = 0;

	*hard = 0;
	cfg_buf_reset(why);
	if (p->level != SMTP_TLS_NONE && (sess->features & SMTP_F_STARTTLS)) {
		rc = start_tls(s, sess, p, dsn, dsnlen, why);
	} else if (p->level >= SMTP_TLS_ENCRYPT) {
		snprintf(dsn, dsnlen, "4.7.4");
		cfg_buf_printf(why, "TLS is required, but was not offered by host %s", sess->label);
		rc = -1;
	}
	if (rc == 0 && cfg->sasl_enable && (sess->features & SMTP_F_AUTH)
	    && (secret = password(s, sess)) != NULL) {
		char *copy = cfg_xstrdup(secret);

		rc = login(s, sess, copy, dsn, dsnlen, why);
		free(copy);
	}
	return rc;
}

/*
 * dane_lookup - the TLSA records of _PORT._tcp.HOST for a dane level: a
 * DNSSEC-validated answer with records makes them the policy; none (or an
 * address that did not come from a validated answer, unless
 * smtp_tls_force_insecure_host_tlsa_lookup) makes "dane" "may" and defers
 * "dane-only".  An MX host from a non-validated MX answer gets
 * smtp_tls_dane_insecure_mx_policy: "may" ignores its TLSA records,
 * "encrypt" takes them as a demand for TLS only, "dane" uses them (a match
 * is logged as "Trusted": the name may be forged).  0, or -1 with why.
 */
static int dane_lookup(struct smtp_state *s, const struct smtp_addr *a, struct smtp_tls_policy *p,
                       struct cfg_buf *why)
{
	struct dns_list l;
	struct cfg_buf err;
	enum dns_status st = DNS_NODATA;
	int ad = 0, rc = 0;

	dns_list_init(&l);
	cfg_buf_init(&err);
	if (p->level == SMTP_TLS_DANE && a->insecure_mx
	    && s->cfg->insecure_mx_policy == SMTP_TLS_MAY) {
		p->level =
		    SMTP_TLS_MAY; /* the MX host may be forged: its TLSA records are ignored */
		return 0;
	}
	if (s->cfg->dnssec && (a->secure || s->cfg->force_tlsa) && a->family != AF_UNIX) {
		char *name = cfg_xasprintf("_%u._tcp.%s", a->port, a->host);

		st = dns_lookup_ad(name, DNS_T_TLSA, 1, &l, &err, &ad);
		free(name);
	}
	if (st == DNS_RETRY || st == DNS_FAIL) {
		mta_warn("TLS policy lookup for %s/%s: TLSA lookup error for %s:%u",
		         s->req->nexthop, a->host, a->host, a->port);
		cfg_buf_printf(why, "TLSA lookup error for %s:%u", a->host, a->port);
		rc = -1;
	} else if (st != DNS_OK || !ad) {
		if (p->level == SMTP_TLS_DANE_ONLY) {
			mta_warn("TLS policy lookup for %s/%s: no TLSA records found",
			         s->req->nexthop, a->host);
			cfg_buf_adds(why, "no TLSA records found");
			rc = -1;
		}
		p->level = SMTP_TLS_MAY;
	} else if (p->level == SMTP_TLS_DANE && a->insecure_mx
	           && s->cfg->insecure_mx_policy == SMTP_TLS_ENCRYPT) {
		p->level = SMTP_TLS_ENCRYPT; /* TLSA records say TLS, not whom to trust */
	} else {
		p->insecure_mx = p->level == SMTP_TLS_DANE && a->insecure_mx;
		for (size_t i = 0; i < l.n; i++) {
			struct cfg_buf hex;

			cfg_buf_init(&hex);
			for (size_t k = 0; k < l.rr[i].len; k++)
				cfg_buf_printf(&hex, "%02X", l.rr[i].data[k]);
			tlsa_add(&p->tlsa, l.rr[i].tlsa[0], l.rr[i].tlsa[1], l.rr[i].tlsa[2],
			         hex.data ? hex.data : "");
			cfg_buf_fini(&hex);
		}
		p->base = cfg_xstrdup(a->host);
	}
	dns_list_fini(&l);
	cfg_buf_fini(&err);
	return rc;
}

void smtp_tls_policy_free(struct smtp_tls_policy *p)
{
	if (p == NULL)
		return;
	free(p->protocols);
	free(p->ciphers);
	free(p->base);
	cfg_strvec_fini(&p->match);
	cfg_strvec_fini(&p->tlsa);
	free(p);
}

struct smtp_tls_policy *smtp_tls_policy(struct smtp_state *s, const struct smtp_addr *a, char *dsn,
                                        size_t dsnlen, struct cfg_buf *why)
{
	struct smtp_tls_policy *p = cfg_xcalloc(1, sizeof(*p));

	cfg_strvec_init(&p->match);
	cfg_strvec_init(&p->tlsa);
	cfg_buf_reset(why);
	if (get_policy(s, a->host, p, why) < 0
	    || (p->level >= SMTP_TLS_DANE && dane_lookup(s, a, p, why) < 0)) {
		snprintf(dsn, dsnlen, "4.7.5");
		smtp_tls_policy_free(p);
		return NULL;
	}
	return p;
}
