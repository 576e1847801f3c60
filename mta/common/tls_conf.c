/* tls_conf.c - the *_tls_* settings of smtpd and smtp (see tls_conf.h) */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "cfg/base/xalloc.h"
#include "tls_cache.h"
#include "tls_conf.h"

const char *mta_tls_cipherlist(struct mta_conf *conf, const char *grade)
{
	static const char *const grades[] = {"high", "medium", "low", "export", "null", NULL};
	char name[64];

	for (size_t i = 0; grades[i]; i++) {
		if (strcasecmp(grade, grades[i]) == 0) {
			const char *v = "";

			snprintf(name, sizeof(name), "tls_%s_cipherlist", grades[i]);
			mta_conf_named(conf, name, &v);
			return v;
		}
	}
	return NULL;
}

/* tls_id - the registry id of PREFIX_tls_SUFFIX */
static enum cfg_param_id tls_id(const char *prefix, const char *suffix)
{
	char name[64];

	snprintf(name, sizeof(name), "%s_tls_%s", prefix, suffix);
	return mta_conf_id(name);
}

/* read_tls - the parameter PREFIX_tls_SUFFIX into out (typed by the registry) */
static void read_tls(struct mta_conf *conf, const char *prefix, const char *suffix, void *out,
                     enum mta_kind ctype)
{
	struct mta_setting t[] = {{tls_id(prefix, suffix), out, ctype}, MTA_SETTINGS_END};

	mta_conf_get(conf, t);
}

/* lifetime - a *_tls_session_cache_timeout as Postfix uses it: below 2 minutes (not 0) is 2 */
static long lifetime(long seconds)
{
	return seconds > 0 && seconds < 120 ? 120 : seconds;
}

struct mta_tls_cache *mta_tls_cache_load(struct mta_conf *conf, const char *prefix,
                                         const char *service, long loglevel)
{
	const char *spec = mta_conf_text(conf, tls_id(prefix, "session_cache_database"));
	long timeout = 3600;

	read_tls(conf, prefix, "session_cache_timeout", &timeout, MTA_CTYPE(&timeout));
	return mta_tls_cache_new(spec, prefix, service, lifetime(timeout), loglevel);
}

long mta_tls_loglevel(const char *text)
{
	return strtol(text, NULL, 10);
}

int mta_tls_params_load(struct mta_conf *conf, const char *prefix, int mandatory,
                        struct mta_tls_params *p, struct cfg_buf *why)
{
	struct mta_tls_conf *c = &p->c;
	const char *ex = "", *mex = "", *grade = "", *loglevel = "0";
	int server = strcmp(prefix, "smtpd") == 0;
	long depth = 9;
	struct cfg_strvec curves;

	memset(p, 0, sizeof(*p));
	cfg_strvec_init(&p->chain_files);
	c->server = server;
#define P(suffix, out) read_tls(conf, prefix, suffix, out, MTA_CTYPE(out))
	P("cert_file", &c->cert_file);
	P("key_file", &c->key_file);
	P("eccert_file", &c->eccert_file);
	P("eckey_file", &c->eckey_file);
	P("dcert_file", &c->dcert_file);
	P("dkey_file", &c->dkey_file);
	P("chain_files", &p->chain_files);
	P("CAfile", &c->CAfile);
	P("CApath", &c->CApath);
	/* lists OpenSSL's side takes as text */
	c->protocols =
	    mta_conf_text(conf, tls_id(prefix, mandatory ? "mandatory_protocols" : "protocols"));
	P(mandatory ? "mandatory_ciphers" : "ciphers", &grade);
	ex = mta_conf_text(conf, tls_id(prefix, "exclude_ciphers"));
	mex = mta_conf_text(conf, tls_id(prefix, "mandatory_exclude_ciphers"));
	P("security_level", &p->level);
	P("loglevel", &loglevel);
	P("fingerprint_digest", &c->fingerprint);
	P(server ? "ccert_verifydepth" : "scert_verifydepth", &depth);
	if (server) {
		P("dh1024_param_file", &c->dh_file);
		P("ask_ccert", &c->ask_ccert);
		P("session_cache_timeout", &c->ticket_lifetime);
		c->ticket_lifetime = lifetime(c->ticket_lifetime);
	}
#undef P
	p->loglevel = mta_tls_loglevel(loglevel);
	cfg_strvec_init(&curves);
	mta_conf_list(conf, CFG_P_tls_eecdh_auto_curves, &curves);
	p->curves = cfg_strvec_join(&curves, " ");
	cfg_strvec_fini(&curves);
	c->curves = p->curves;
	c->preempt = mta_conf_bool(conf, CFG_P_tls_preempt_cipherlist);
	c->chain_files = &p->chain_files;
	c->verify_depth = (int)depth;
	p->grade = grade;
	p->excluded = mandatory ? cfg_xasprintf("%s %s", ex, mex) : cfg_xstrdup(ex);
	c->exclude = p->excluded;
	if ((c->ciphers = mta_tls_cipherlist(conf, grade)) == NULL) {
		cfg_buf_printf(why, "invalid %s_tls_%sciphers value: \"%s\"", prefix,
		               mandatory ? "mandatory_" : "", grade);
		return -1;
	}
	return 0;
}

void mta_tls_params_fini(struct mta_tls_params *p)
{
	cfg_strvec_fini(&p->chain_files);
	free((char *)p->excluded);
	free(p->curves);
	p->curves = NULL;
	p->excluded = NULL;
}
