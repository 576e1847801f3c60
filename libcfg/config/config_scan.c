/*
 * config_scan.c - which user-defined parameters are used, as postconf decides
 *
 * A user-defined name (one Postfix does not know) counts as used when it has
 * a name=value setting and either some value names it as $name (every
 * branch of every conditional counts), or it is listed in
 * smtpd_restriction_classes, or it is the NAME_suffix setting of a legacy
 * database table "ldap:NAME" (mysql, pgsql, sqlite, memcache likewise)
 * named in the expanded value of a known parameter.  The global name space
 * (main.cf and postconf -o) and each master.cf "service/type" name space
 * have their own set of validated names; a $name in main.cf validates a
 * -o setting of that name in every master.cf entry, a $name in a -o value
 * validates the entry's own -o setting or else the main.cf one.
 *
 * The scan also reports what postconf reports while doing it: "undefined
 * parameter" for a $name nothing defines, macro syntax errors, read-only
 * assignments; and, for known parameters, a value that cannot be expanded
 * is fatal ("macro processing error").
 */
#include "config.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "cfg/param/expand.h"
#include "cfg/base/fileio.h"
#include "cfg/param/list.h"
#include "cfg/doc/maincf.h"
#include "cfg/schema/registry.h"
#include "cfg/base/xalloc.h"
#include "config_int.h"

/*
 * Legacy database client parameters: for "TYPE:NAME" with NAME not a path,
 * Postfix knows NAME_SUFFIX for these suffixes (found by asking Postfix 3.7
 * about every candidate name).
 */
struct dbms_info {
	const char *type;
	const char *const *suffixes;
};

static const char *const ldap_suffixes[] = {"bind",
                                            "bind_dn",
                                            "bind_pw",
                                            "cache",
                                            "cache_expiry",
                                            "cache_size",
                                            "chase_referrals",
                                            "debuglevel",
                                            "dereference",
                                            "domain",
                                            "expansion_limit",
                                            "leaf_result_attribute",
                                            "query_filter",
                                            "recursion_limit",
                                            "result_attribute",
                                            "result_filter",
                                            "result_format",
                                            "sasl_authz_id",
                                            "sasl_mechs",
                                            "sasl_minssf",
                                            "sasl_realm",
                                            "scope",
                                            "search_base",
                                            "server_host",
                                            "server_port",
                                            "size_limit",
                                            "special_result_attribute",
                                            "start_tls",
                                            "terminal_result_attribute",
                                            "timeout",
                                            "tls_ca_cert_dir",
                                            "tls_ca_cert_file",
                                            "tls_cert",
                                            "tls_cipher_suite",
                                            "tls_key",
                                            "tls_random_file",
                                            "tls_require_cert",
                                            "version",
                                            NULL};
static const char *const mysql_suffixes[] = {"additional_conditions",
                                             "dbname",
                                             "domain",
                                             "expansion_limit",
                                             "hosts",
                                             "option_file",
                                             "option_group",
                                             "password",
                                             "query",
                                             "require_result_set",
                                             "result_format",
                                             "select_field",
                                             "table",
                                             "tls_CAfile",
                                             "tls_CApath",
                                             "tls_cert_file",
                                             "tls_ciphers",
                                             "tls_key_file",
                                             "tls_verify_cert",
                                             "user",
                                             "where_field",
                                             NULL};
static const char *const pgsql_suffixes[] = {"additional_conditions",
                                             "dbname",
                                             "domain",
                                             "expansion_limit",
                                             "hosts",
                                             "password",
                                             "query",
                                             "result_format",
                                             "select_field",
                                             "select_function",
                                             "table",
                                             "user",
                                             "where_field",
                                             NULL};
static const char *const sqlite_suffixes[] = {
    "additional_conditions", "dbpath",       "domain", "expansion_limit", "query",
    "result_format",         "select_field", "table",  "where_field",     NULL};
static const char *const memcache_suffixes[] = {
    "backup",  "data_size_limit", "domain",      "flags",   "key_format", "line_size_limit",
    "max_try", "memcache",        "retry_pause", "timeout", "ttl",        NULL};

static const struct dbms_info dbms_table[] = {
    {"ldap", ldap_suffixes},     {"mysql", mysql_suffixes},       {"pgsql", pgsql_suffixes},
    {"sqlite", sqlite_suffixes}, {"memcache", memcache_suffixes}, {NULL, NULL},
};

/* source_file - "main.cf" or "master.cf" for messages about a name space */
static const char *source_file(const struct cfgp_scope *scope)
{
	return scope ? "master.cf" : "main.cf";
}

/* flag_user - validate name (referenced from scope) when it has a name=value somewhere */
static void flag_user(struct cfg_config *cfg, struct cfgp_scope *scope, const char *name,
                      int warn_undefined, struct cfg_diags *diags)
{
	int supplied = 0;

	if (scope != NULL && cfg_htab_has(scope->params, name)) {
		supplied = 1;
		if (!cfg_htab_has(scope->valid, name))
			cfg_htab_put(scope->valid, name, NULL);
	} else if (cfg_htab_has(cfg->users, name)) {
		supplied = 1; /* validated before */
	} else if (cfgp_dict_get(cfg, name) != NULL) {
		supplied = 1;
		if (!cfgp_known(cfg, name) && !cfg_htab_has(cfg->users, name))
			cfg_htab_put(cfg->users, name, NULL);
	}
	if (scope == NULL && cfg_htab_count(cfg->name_scopes) > 0) {
		const struct cfgp_idxlist *l = cfg_htab_get(cfg->name_scopes, name);

		for (size_t i = 0; l != NULL && i < l->n; i++) {
			struct cfgp_scope *s = &cfg->scopes[l->v[i]];

			supplied = 1;
			if (!cfg_htab_has(s->valid, name))
				cfg_htab_put(s->valid, name, NULL);
		}
	}
	if (!supplied && warn_undefined && !cfgp_known(cfg, name))
		cfg_diags_add(diags, CFG_SEV_WARNING, "config-undefined",
		              scope ? cfg->master_path : cfg->main_path, 0, 0,
		              "%s/%s: undefined parameter: %s", cfg->dir, source_file(scope), name);
}

struct scan_ctx {
	struct cfg_config *cfg;
	struct cfgp_scope *scope;
	struct cfg_diags *diags;
};

/* scan_cb - cfg_expand_scan() call-back: a $name was seen */
static void scan_cb(void *ctx, const char *name)
{
	struct scan_ctx *sc = ctx;

	flag_user(sc->cfg, sc->scope, name, 1, sc->diags);
}

/* scan_value - visit the $names of value, reporting syntax errors as warnings */
static void scan_value(struct cfg_config *cfg, struct cfgp_scope *scope, const char *value,
                       struct cfg_diags *diags)
{
	struct scan_ctx sc = {cfg, scope, diags};

	if (strchr(value, '$') == NULL)
		return;
	(void)cfg_expand_scan(value, scan_cb, &sc, diags);
}

/* dbms_find - the legacy database entry for type, or NULL */
static const struct dbms_info *dbms_find(const char *type, size_t len)
{
	for (const struct dbms_info *d = dbms_table; d->type; d++)
		if (strlen(d->type) == len && strncmp(d->type, type, len) == 0)
			return d;
	return NULL;
}

/* has_suffix - 1 when word is one of the suffixes */
static int has_suffix(const char *const *suffixes, const char *word)
{
	for (; *suffixes; suffixes++)
		if (strcmp(*suffixes, word) == 0)
			return 1;
	return 0;
}

/* dbms_file - check a legacy database configuration file for names the client ignores */
static void dbms_file(const struct dbms_info *d, const char *path, struct cfg_diags *diags)
{
	struct cfg_buf text;
	struct cfg_maincf *doc = NULL;

	cfg_buf_init(&text);
	if (cfg_file_read(path, &text, NULL) < 0) {
		cfg_diags_add(diags, CFG_SEV_WARNING, "config-dbms-open", path, 0, 0,
		              "open \"%s\" configuration \"%s\": %s", d->type, path,
		              strerror(errno));
		cfg_buf_fini(&text);
		return;
	}
	(void)cfg_maincf_parse(path, text.data, text.len, &doc, NULL);
	for (size_t i = 0; doc != NULL && i < doc->nents; i++) {
		const struct cfg_maincf_entry *e = &doc->ents[i];

		if (cfg_maincf_get(doc, e->name) != e || has_suffix(d->suffixes, e->name))
			continue;
		cfg_diags_add(diags, CFG_SEV_WARNING, "config-dbms-unused", path, e->line, 0,
		              "%s:%s: unused parameter: %s=%s", d->type, path, e->name, e->value);
	}
	cfg_maincf_free(doc);
	cfg_buf_fini(&text);
}

/* cfgp_dbms - register NAME_suffix settings of legacy tables named in value */
int cfgp_dbms(struct cfg_config *cfg, const struct cfgp_scope *cscope, const char *value,
              struct cfg_diags *diags)
{
	struct cfgp_scope *scope = (struct cfgp_scope *)cscope;
	struct cfg_buf exp;
	struct cfg_strvec words;

	if (strchr(value, ':') == NULL && strchr(value, '$') == NULL)
		return 0;
	cfg_buf_init(&exp);
	if (cfgp_expand(cfg, scope, CFGP_LOOKUP_EFFECTIVE, value, &exp, diags) < 0) {
		cfg_diags_add(diags, CFG_SEV_FATAL, "config-macro-error", NULL, 0, 0,
		              "macro processing error");
		cfg_buf_fini(&exp);
		return -1;
	}
	if (strchr(exp.data, ':') == NULL) {
		cfg_buf_fini(&exp);
		return 0;
	}
	cfg_strvec_init(&words);
	cfg_list_tokens(exp.data, CFG_LIST_SEPARATORS, &words);
	for (size_t i = 0; i < words.n; i++) {
		const char *w = words.v[i], *colon;
		const struct dbms_info *d;

		while (strncmp(w, "proxy:", 6) == 0)
			w += 6;
		if ((colon = strchr(w, ':')) == NULL)
			continue;
		if ((d = dbms_find(w, (size_t)(colon - w))) == NULL)
			continue;
		if (colon[1] == '/') {
			dbms_file(d, colon + 1, diags);
			continue;
		}
		for (const char *const *s = d->suffixes; *s; s++) {
			char *name = cfg_xasprintf("%s_%s", colon + 1, *s);

			flag_user(cfg, scope, name, 0, diags);
			free(name);
		}
	}
	cfg_strvec_fini(&words);
	cfg_buf_fini(&exp);
	return 0;
}

/* rest_classes - validate the names listed in smtpd_restriction_classes */
static int rest_classes(struct cfg_config *cfg, struct cfgp_scope *scope, const char *value,
                        struct cfg_diags *diags)
{
	struct cfg_buf exp;
	struct cfg_strvec words;

	cfg_buf_init(&exp);
	if (cfgp_expand(cfg, scope, scope ? CFGP_LOOKUP_EFFECTIVE : CFGP_LOOKUP_DICT, value, &exp,
	                diags)
	    < 0) {
		cfg_diags_add(diags, CFG_SEV_FATAL, "config-macro-error", NULL, 0, 0,
		              "dictionary mail_dict: macro processing error");
		cfg_buf_fini(&exp);
		return -1;
	}
	cfg_strvec_init(&words);
	cfg_strvec_split(&words, exp.data, ", \t\r\n");
	for (size_t i = 0; i < words.n; i++) {
		if (scope == NULL && !cfg_htab_has(cfg->rest_classes, words.v[i]))
			cfg_htab_put(cfg->rest_classes, words.v[i], NULL);
		flag_user(cfg, scope, words.v[i], 1, diags);
	}
	cfg_strvec_fini(&words);
	cfg_buf_fini(&exp);
	return 0;
}

/*
 * dict_next - iterate the dict as (name, value) pairs: overrides, then
 * main.cf names (each once, with its last value, in file order), then an
 * implicit config_directory.  *pos starts at 0.
 */
static int dict_next(const struct cfg_config *cfg, size_t *pos, const char **name,
                     const char **value)
{
	size_t nover = cfg_htab_count(cfg->over);
	const struct cfg_maincf *m = cfg->main;

	for (;;) {
		size_t i = *pos;

		if (i < nover) {
			size_t hp = 0, k = 0;
			const char *key;
			void *val;

			/* overrides are few: walk to the i-th */
			while (cfg_htab_next(cfg->over, &hp, &key, &val)) {
				if (k++ == i)
					break;
			}
			*pos += 1;
			*name = key;
			*value = val;
			return 1;
		}
		i -= nover;
		if (i < m->nents) {
			const struct cfg_maincf_entry *e = &m->ents[i];

			*pos += 1;
			if (cfg_maincf_get(m, e->name) != e
			    || (nover > 0 && cfg_htab_has(cfg->over, e->name)))
				continue;
			*name = e->name;
			*value = e->value;
			return 1;
		}
		i -= m->nents;
		if (i == 0 && cfg->dir_explicit && cfg_maincf_get(m, "config_directory") == NULL
		    && !cfg_htab_has(cfg->over, "config_directory")) {
			*pos += 1;
			*name = "config_directory";
			*value = cfg->dir;
			return 1;
		}
		return 0;
	}
}

/* readonly - 1 for a built-in that a configuration file may not set */
static int readonly(const struct cfg_config *cfg, const char *name)
{
	const struct cfg_param_def *d = cfgp_builtin(cfg, name);

	return d != NULL && (d->flags & CFG_PF_READONLY) != 0;
}

/* scan_global - the global name space: main.cf settings, then defaults left in place */
static int scan_global(struct cfg_config *cfg, struct cfg_diags *diags)
{
	size_t pos = 0, nb = cfg_registry_count();
	const char *name, *value;

	if ((value = cfgp_dict_get(cfg, "smtpd_restriction_classes")) != NULL
	    && rest_classes(cfg, NULL, value, diags) < 0)
		return -1;
	while (dict_next(cfg, &pos, &name, &value)) {
		int known = cfgp_known(cfg, name);

		if (known && readonly(cfg, name)) {
			cfg_diags_add(diags, CFG_SEV_WARNING, "config-readonly", cfg->main_path, 0,
			              0, "%s/main.cf: read-only parameter assignment: %s=%s",
			              cfg->dir, name, value);
			cfg_htab_put(cfg->deleted, name, NULL);
			continue;
		}
		if (known && cfgp_is_raw(cfg, name))
			continue;
		scan_value(cfg, NULL, value, diags);
		if (known && cfgp_dbms(cfg, NULL, value, diags) < 0)
			return -1;
	}
	/* Defaults may name obsolete parameters: those settings are used too. */
	for (size_t i = 0; i < nb; i++) {
		const struct cfg_param_def *d = cfg_registry_at(i);

		if (d->type == CFG_T_RAW || d->defval == NULL || strchr(d->defval, '$') == NULL)
			continue;
		if (cfgp_dict_get(cfg, d->name) != NULL)
			continue;
		scan_value(cfg, NULL, d->defval, diags);
	}
	{
		size_t hp = 0;
		const char *key;
		void *val;

		while (cfg_htab_next(cfg->service, &hp, &key, &val)) {
			if (cfgp_dict_get(cfg, key) == NULL)
				scan_value(cfg, NULL, val, diags);
		}
	}
	return 0;
}

/* scan_scope - one master.cf name space */
static int scan_scope(struct cfg_config *cfg, struct cfgp_scope *scope, struct cfg_diags *diags)
{
	size_t pos = 0;
	const char *name;
	void *val;
	struct cfg_strvec drop;
	int rc = 0;

	if ((val = cfg_htab_get(scope->params, "smtpd_restriction_classes")) != NULL
	    && rest_classes(cfg, scope, val, diags) < 0)
		return -1;
	cfg_strvec_init(&drop);
	while (cfg_htab_next(scope->params, &pos, &name, &val)) {
		const char *value = val;
		int known = cfgp_known(cfg, name);

		if (cfg_htab_has(cfg->rest_classes, name) && !cfg_htab_has(scope->valid, name))
			cfg_htab_put(scope->valid, name, NULL);
		if (known && readonly(cfg, name)) {
			cfg_diags_add(diags, CFG_SEV_WARNING, "config-readonly", cfg->master_path,
			              0, 0, "%s/master.cf: read-only parameter assignment: %s=%s",
			              cfg->dir, name, value);
			cfg_strvec_add(&drop, name);
			continue;
		}
		if (known && cfgp_is_raw(cfg, name))
			continue;
		scan_value(cfg, scope, value, diags);
		if (known && cfgp_dbms(cfg, scope, value, diags) < 0) {
			rc = -1;
			break;
		}
	}
	for (size_t i = 0; i < drop.n; i++)
		cfg_htab_del(scope->params, drop.v[i]);
	cfg_strvec_fini(&drop);
	return rc;
}

/* cfgp_scan - the "used" analysis of a loaded configuration */
int cfgp_scan(struct cfg_config *cfg, struct cfg_diags *diags)
{
	if (scan_global(cfg, diags) < 0)
		return -1;
	for (size_t i = 0; i < cfg->nscopes; i++)
		if (scan_scope(cfg, &cfg->scopes[i], diags) < 0)
			return -1;
	return 0;
}

/* where unused-parameter warnings go: appended to diags, or one at a time to fn */
struct unused_sink {
	struct cfg_diags *diags;
	void (*fn)(void *ctx, const struct cfg_diag *d);
	void *ctx;
};

/* unused_add - one "DIR/FILE: unused parameter: NAME=VALUE" warning into the sink */
static void unused_add(struct unused_sink *sink, const char *path, unsigned line, const char *dir,
                       const char *file, const char *name, const char *value)
{
	struct cfg_diags one;

	if (sink->fn == NULL) {
		cfg_diags_add(sink->diags, CFG_SEV_WARNING, "config-unused", path, line, 0,
		              "%s/%s: unused parameter: %s=%s", dir, file, name, value);
		return;
	}
	cfg_diags_init(&one);
	cfg_diags_add(&one, CFG_SEV_WARNING, "config-unused", path, line, 0,
	              "%s/%s: unused parameter: %s=%s", dir, file, name, value);
	sink->fn(sink->ctx, &one.v[0]);
	cfg_diags_fini(&one);
}

/* unused_master - unused -o settings */
static void unused_master(const struct cfg_config *cfg, struct unused_sink *sink)
{
	for (size_t i = 0; i < cfg->nscopes; i++) {
		const struct cfgp_scope *s = &cfg->scopes[i];
		size_t pos = 0;
		const char *name;
		void *val;

		while (cfg_htab_next(s->params, &pos, &name, &val)) {
			if (cfgp_known(cfg, name) || cfg_htab_has(cfg->users, name)
			    || cfg_htab_has(s->valid, name))
				continue;
			unused_add(sink, cfg->master_path, 0, cfg->dir, "master.cf", name,
			           (const char *)val);
		}
	}
}

/* unused_main - unused main.cf settings */
static void unused_main(const struct cfg_config *cfg, struct unused_sink *sink)
{
	size_t pos = 0;
	const char *name, *value;

	if ((cfg->flags & CFG_LOAD_DEFAULTS) != 0)
		return;
	while (dict_next(cfg, &pos, &name, &value)) {
		const struct cfg_maincf_entry *e;

		if (cfg_htab_has(cfg->deleted, name) || cfgp_known(cfg, name)
		    || cfg_htab_has(cfg->users, name))
			continue;
		e = cfg_maincf_get(cfg->main, name);
		unused_add(sink, cfg->main_path, e && !cfg_htab_has(cfg->over, name) ? e->line : 0,
		           cfg->dir, "main.cf", name, value);
	}
}

void cfg_config_unused_master(const struct cfg_config *cfg, struct cfg_diags *diags)
{
	struct unused_sink sink = {diags, NULL, NULL};

	unused_master(cfg, &sink);
}

void cfg_config_unused(const struct cfg_config *cfg, struct cfg_diags *diags)
{
	struct unused_sink sink = {diags, NULL, NULL};

	unused_main(cfg, &sink);
	unused_master(cfg, &sink);
}

void cfg_config_unused_main_each(const struct cfg_config *cfg,
                                 void (*fn)(void *ctx, const struct cfg_diag *d), void *ctx)
{
	struct unused_sink sink = {NULL, fn, ctx};

	unused_main(cfg, &sink);
}
