/*
 * smtpd_check_auth.c - the restrictions that look at TLS and SASL (see smtpd_check.h)
 *
 * permit_sasl_authenticated, check_sasl_access, the *_sender_login_mismatch
 * family (smtpd_sender_login_maps), permit_tls_clientcerts
 * (relay_clientcerts), permit_tls_all_clientcerts, check_ccert_access and
 * reject_plaintext_session, with Postfix's replies.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "log.h"
#include "maps.h"
#include "smtpd.h"
#include "smtpd_check.h"

/* owners - the logins smtpd_sender_login_maps gives sender; 1 found, 0 none, -1 error */
static int owners(struct smtpd *s, const char *sender, struct cfg_strvec *out)
{
	struct cfg_maplist *ml;
	struct cfg_mapq_opts o;
	struct cfg_diags ds;
	int rc;

	if (s->cfg->sender_login_maps.n == 0)
		return 0;
	if ((ml = mta_maplist(&s->cfg->sender_login_maps)) == NULL)
		return -1;
	memset(&o, 0, sizeof(o));
	o.delimiters = s->cfg->recipient_delimiter;
	o.local_domain = 1;
	cfg_diags_init(&ds);
	rc = mta_mapq_done(cfg_mapq_virtual(ml, sender, &o, out, NULL, &ds), &ds);
	cfg_diags_fini(&ds);
	return rc;
}

/* owned - the login is one of the owners (names compared ignoring case) */
static int owned(const struct cfg_strvec *who, const char *login)
{
	for (size_t i = 0; i < who->n; i++)
		if (strcasecmp(who->v[i], login) == 0)
			return 1;
	return 0;
}

/* login_mismatch - the four reject_*sender_login_mismatch restrictions */
static enum verdict login_mismatch(struct ck *c, enum cfg_restriction_id id)
{
	struct smtpd *s = c->s;
	struct cfg_strvec who;
	enum verdict v = V_DUNNO;
	int rc, check_auth, check_unauth;

	if (s->sender == NULL || *s->sender == '\0')
		return V_DUNNO;
	check_auth = id != CFG_R_REJECT_UNAUTHENTICATED_SENDER_LOGIN_MISMATCH;
	check_unauth = id != CFG_R_REJECT_AUTHENTICATED_SENDER_LOGIN_MISMATCH;
	cfg_strvec_init(&who);
	rc = owners(s, s->sender, &who);
	if (rc < 0) {
		v = smtpdp_config_error(c, SUBJ_SENDER, 1);
	} else if (s->sasl_username && check_auth) {
		/* known: only an address the table lists must belong to the login */
		if ((rc > 0 || id != CFG_R_REJECT_KNOWN_SENDER_LOGIN_MISMATCH)
		    && !(rc > 0 && owned(&who, s->sasl_username)))
			v = smtpdp_reject(c, 553, "5.7.1", SUBJ_SENDER, "not owned by user %s",
			                  s->sasl_username);
	} else if (!s->sasl_username && check_unauth && rc > 0) {
		v = smtpdp_reject(c, 553, "5.7.1", SUBJ_SENDER, "not logged in");
	}
	cfg_strvec_fini(&who);
	return v;
}

/* cert_lookup - a table for the certificate's fingerprint, then its public key's; 1, 0, -1 */
static int cert_lookup(const char *table, const struct mta_tls_info *i, const char **value)
{
	int rc = 0;

	if (*i->cert_fpt)
		rc = mta_map_get(table, i->cert_fpt, value);
	if (rc == 0 && *i->pkey_fpt)
		rc = mta_map_get(table, i->pkey_fpt, value);
	return rc;
}

/* clientcerts - permit_tls_clientcerts: a trusted certificate listed in relay_clientcerts */
static enum verdict clientcerts(struct ck *c, int all)
{
	const struct mta_tls_info *i = c->s->tls ? mta_tls_info(c->s->tls) : NULL;
	const char *value;
	int rc = 0;

	if (i == NULL || !i->peer_cert || !i->peer_trusted)
		return V_DUNNO;
	if (all)
		return V_PERMIT;
	for (size_t k = 0; k < c->s->cfg->relay_clientcerts.n && rc == 0; k++)
		rc = cert_lookup(c->s->cfg->relay_clientcerts.v[k], i, &value);
	if (rc < 0)
		return smtpdp_config_error(c, c->list_subject, 0);
	return rc > 0 ? V_PERMIT : V_DUNNO;
}

/* table_check - check_ccert_access / check_sasl_access TABLE */
static enum verdict table_check(struct ck *c, const struct relem *e)
{
	struct smtpd *s = c->s;
	const char *value;
	int rc;

	if (e->arg == NULL) {
		mta_warn("restriction %s requires a table argument", e->word);
		return smtpdp_config_error(c, c->list_subject, 0);
	}
	if (e->id == CFG_R_CHECK_CCERT_ACCESS) {
		/* the fingerprint is checked directly: the issuer need not be trusted */
		if (s->tls == NULL || !mta_tls_info(s->tls)->peer_cert)
			return V_DUNNO;
		rc = cert_lookup(e->arg, mta_tls_info(s->tls), &value);
		if (rc < 0)
			return smtpdp_config_error(c, SUBJ_CCERT, 1);
		return rc ? smtpdp_access_result(c, value, SUBJ_CCERT, s->where) : V_DUNNO;
	}
	if (s->sasl_username == NULL)
		return V_DUNNO;
	rc = mta_map_get(e->arg, s->sasl_username, &value);
	if (rc < 0)
		return smtpdp_config_error(c, SUBJ_SASL, 1);
	return rc ? smtpdp_access_result(c, value, SUBJ_SASL, s->where) : V_DUNNO;
}

enum verdict smtpdp_auth_restriction(struct ck *c, const struct relem *e)
{
	switch (e->id) {
	case CFG_R_PERMIT_SASL_AUTHENTICATED:
		return c->s->sasl_username ? V_PERMIT : V_DUNNO;
	case CFG_R_PERMIT_TLS_CLIENTCERTS:
		return clientcerts(c, 0);
	case CFG_R_PERMIT_TLS_ALL_CLIENTCERTS:
		return clientcerts(c, 1);
	case CFG_R_CHECK_CCERT_ACCESS:
	case CFG_R_CHECK_SASL_ACCESS:
		return table_check(c, e);
	case CFG_R_REJECT_PLAINTEXT_SESSION:
		if (c->s->tls)
			return V_DUNNO;
		cfg_buf_reset(&c->reply);
		cfg_buf_printf(&c->reply, "%ld 4.7.1 Session encryption is required",
		               c->s->cfg->plaintext_code);
		return V_REJECT;
	default:
		return login_mismatch(c, e->id);
	}
}
