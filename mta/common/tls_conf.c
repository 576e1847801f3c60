/* tls_conf.c - the *_tls_* settings of smtpd and smtp (see tls_conf.h) */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "cfg/base/xalloc.h"
#include "tls_conf.h"

const char *mta_tls_cipherlist(struct mta_conf *conf, const char *grade)
{
	static const char *const grades[] = {"high", "medium", "low", "export", "null", NULL};
	char name[64];

	for (size_t i = 0; grades[i]; i++) {
		if (strcasecmp(grade, grades[i]) == 0) {
			snprintf(name, sizeof(name), "tls_%s_cipherlist", grades[i]);
			return mta_conf_str(conf, name);
		}
	}
	return NULL;
}

/* pname - "PREFIX_tls_SUFFIX" into a static slot (one per table row) */
static const char *pname(char slot[][64], size_t i, const char *prefix, const char *suffix)
{
	snprintf(slot[i], 64, "%s_tls_%s", prefix, suffix);
	return slot[i];
}

int mta_tls_params_load(struct mta_conf *conf, const char *prefix, int mandatory,
                        struct mta_tls_params *p, struct cfg_buf *why)
{
	struct mta_tls_conf *c = &p->c;
	const char *ex = "", *mex = "", *grade = "";
	char names[24][64];
	int server = strcmp(prefix, "smtpd") == 0;
	long depth = 9;
	size_t n = 0;
	struct mta_param tab[24];

	memset(p, 0, sizeof(*p));
	cfg_strvec_init(&p->chain_files);
	c->server = server;
#define P(suffix, type, out)                                                                       \
	tab[n] = (struct mta_param){pname(names, n, prefix, suffix), type, out}, n++
	P("cert_file", MTA_STR, &c->cert_file);
	P("key_file", MTA_STR, &c->key_file);
	P("eccert_file", MTA_STR, &c->eccert_file);
	P("eckey_file", MTA_STR, &c->eckey_file);
	P("dcert_file", MTA_STR, &c->dcert_file);
	P("dkey_file", MTA_STR, &c->dkey_file);
	P("chain_files", MTA_LIST, &p->chain_files);
	P("CAfile", MTA_STR, &c->CAfile);
	P("CApath", MTA_STR, &c->CApath);
	P(mandatory ? "mandatory_protocols" : "protocols", MTA_STR, &c->protocols);
	P(mandatory ? "mandatory_ciphers" : "ciphers", MTA_STR, &grade);
	P("exclude_ciphers", MTA_STR, &ex);
	P("mandatory_exclude_ciphers", MTA_STR, &mex);
	P("security_level", MTA_STR, &p->level);
	P("loglevel", MTA_INT, &p->loglevel);
	P("fingerprint_digest", MTA_STR, &c->fingerprint);
	P(server ? "ccert_verifydepth" : "scert_verifydepth", MTA_INT, &depth);
	if (server) {
		P("dh1024_param_file", MTA_STR, &c->dh_file);
		P("ask_ccert", MTA_BOOL, &c->ask_ccert);
		P("session_cache_timeout", MTA_TIME, &c->ticket_lifetime);
	}
#undef P
	tab[n] = (struct mta_param){NULL, MTA_STR, NULL};
	mta_conf_get(conf, tab);
	c->curves = mta_conf_str(conf, "tls_eecdh_auto_curves");
	c->preempt = mta_conf_bool(conf, "tls_preempt_cipherlist");
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
	p->excluded = NULL;
}
