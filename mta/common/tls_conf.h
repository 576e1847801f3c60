/*
 * tls_conf.h - the *_tls_* settings of smtpd and smtp, read through conf.h
 *
 * One call reads what a TLS context needs for one side ("smtpd" or "smtp")
 * and one kind of session: opportunistic (smtpd_tls_protocols,
 * smtpd_tls_ciphers, smtpd_tls_exclude_ciphers) or mandatory (the
 * *_mandatory_* ones, as Postfix uses for "encrypt" and stronger levels).
 * The cipher grade ("medium") is resolved through tls_<grade>_cipherlist.
 * Strings are borrowed from the configuration view, which lives as long as
 * the process.
 */
#ifndef MTA_TLS_CONF_H
#define MTA_TLS_CONF_H

#include "cfg/base/strvec.h"
#include "conf.h"
#include "tls.h"

struct mta_tls_params {
	struct mta_tls_conf c; /* ready for mta_tls_ctx_new() */
	struct cfg_strvec chain_files;
	const char *level; /* *_tls_security_level ("" none) */
	long loglevel;
	const char *grade;    /* the cipher grade in force ("medium") */
	const char *excluded; /* exclusions, joined (owned) */
	char *curves;         /* tls_eecdh_auto_curves, joined (owned) */
};

/*
 * mta_tls_params_load - the settings of prefix ("smtpd", "smtp") for
 * mandatory (1) or opportunistic (0) sessions.  Returns 0, or -1 with the
 * reason in why (an unknown cipher grade).
 */
int mta_tls_params_load(struct mta_conf *conf, const char *prefix, int mandatory,
                        struct mta_tls_params *p, struct cfg_buf *why);
/* mta_tls_params_fini - release */
void mta_tls_params_fini(struct mta_tls_params *p);
/*
 * mta_tls_cache_load - the session cache of prefix ("smtp", "lmtp",
 * "smtpd"): PREFIX_tls_session_cache_database and _timeout; a server names
 * its service.  NULL when there is none (tls_cache.h).
 */
struct mta_tls_cache *mta_tls_cache_load(struct mta_conf *conf, const char *prefix,
                                         const char *service, long loglevel);
/* mta_tls_loglevel - the number a *_tls_loglevel value ("0".."4") stands for */
long mta_tls_loglevel(const char *text);
/* mta_tls_cipherlist - the OpenSSL list of a grade ("high"...), NULL for an unknown grade */
const char *mta_tls_cipherlist(struct mta_conf *conf, const char *grade);

#endif
