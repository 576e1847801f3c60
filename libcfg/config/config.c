/*
 * config.c - a loaded configuration: documents, the parameter universe and
 * value lookup (see cfg/config.h; loading is in config_load.c, the "used"
 * analysis in config_scan.c, views in config_view.c)
 */
#include "config.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "cfg/config/effective.h"
#include "cfg/param/expand.h"
#include "cfg/param/hostinfo.h"
#include "cfg/schema/registry.h"
#include "cfg/base/xalloc.h"
#include "config_int.h"

/* cfgp_dict_get - the dict value of name (override, main.cf, config_directory) or NULL */
const char *cfgp_dict_get(const struct cfg_config *cfg, const char *name)
{
	const char *v;

	if (cfg->flags & CFG_LOAD_DEFAULTS)
		return NULL;
	if (cfg_htab_count(cfg->deleted) && cfg_htab_has(cfg->deleted, name))
		return NULL;
	if (cfg_htab_count(cfg->over) && (v = cfg_htab_get(cfg->over, name)) != NULL)
		return v;
	if ((v = cfg_maincf_value(cfg->main, name)) != NULL)
		return v;
	if (cfg->dir_explicit && strcmp(name, "config_directory") == 0)
		return cfg->dir;
	return NULL;
}

/*
 * The built-in names: a binary search of the registry for the first
 * lookups (a table tool asks for a handful), a hash table once a caller
 * asks for many (postconf asks for all of them, several times).
 */
#define BUILTIN_INDEX_AFTER 64

struct cfgp_builtins {
	struct cfg_htab *tab; /* NULL until BUILTIN_INDEX_AFTER lookups */
	unsigned lookups;
};

/* cfgp_build_builtins - set up the lookup of built-in names */
void cfgp_build_builtins(struct cfg_config *cfg)
{
	cfg->bi = cfg_xcalloc(1, sizeof(*cfg->bi));
	cfg->known = cfg_htab_new(8); /* the service-defined names (config_load.c) */
}

/* cfgp_builtin - the definition of a built-in name (legacy ones included), or NULL */
const struct cfg_param_def *cfgp_builtin(const struct cfg_config *cfg, const char *name)
{
	struct cfgp_builtins *b = cfg->bi;

	if (b->tab == NULL) {
		size_t nb = cfg_registry_count();

		if (b->lookups++ < BUILTIN_INDEX_AFTER)
			return cfg_registry_find(name);
		/* the registry's names are static: the table need not copy them */
		b->tab = cfg_htab_new_borrowed(nb);
		for (size_t i = 0; i < nb; i++) {
			const struct cfg_param_def *d = cfg_registry_at(i);

			cfg_htab_put(b->tab, d->name, (void *)d);
		}
	}
	return cfg_htab_get(b->tab, name);
}

/* cfgp_is_raw - 1 when name is a built-in that Postfix never expands */
int cfgp_is_raw(const struct cfg_config *cfg, const char *name)
{
	const struct cfg_param_def *d = cfgp_builtin(cfg, name);

	return d != NULL && d->type == CFG_T_RAW;
}

/* cfgp_legacy - 1 for an old name Postfix still knows but lists only once it is set */
int cfgp_legacy(const struct cfg_config *cfg, const char *name)
{
	const struct cfg_param_def *d = cfgp_builtin(cfg, name);

	return d != NULL && (d->flags & CFG_PF_LEGACY) != 0;
}

/* cfgp_known - 1 for a built-in or service-defined name */
int cfgp_known(const struct cfg_config *cfg, const char *name)
{
	return cfgp_builtin(cfg, name) != NULL || cfg_htab_has(cfg->known, name);
}

/* relabeled - a legacy name that is set somewhere counts as user-defined (and is listed) */
static int relabeled(const struct cfg_config *cfg, const char *name)
{
	return cfgp_dict_get(cfg, name) != NULL || cfg_htab_has(cfg->name_scopes, name);
}

/* computed_default - the cached host/process-derived default of name, computing it once */
static const char *computed_default(const struct cfg_config *ccfg, const char *name)
{
	struct cfg_config *cfg = (struct cfg_config *)ccfg; /* cache only */
	struct cfg_buf b;
	const char *v;

	if ((v = cfg_htab_get(cfg->computed, name)) != NULL)
		return v;
	cfg_buf_init(&b);
	if (strcmp(name, "process_name") == 0) {
		cfg_buf_adds(&b, cfg->process_name);
	} else if (cfg->nets_later && strcmp(name, "mynetworks") == 0) {
		/* deferred by CFG_LOAD_LAZY_NETS; its inputs were checked at load */
		struct cfg_hostinfo_in in = {.mynetworks_style = cfg->net_in[0],
		                             .inet_interfaces = cfg->net_in[1],
		                             .inet_protocols = cfg->net_in[2],
		                             .process_name = cfg->process_name};
		struct cfg_diags ds;

		cfg_diags_init(&ds);
		if (cfg_hostinfo_compute(name, &in, &b, &ds) < 0)
			cfg_buf_reset(&b);
		cfg_diags_fini(&ds);
	} else if (cfg_hostinfo_default(name, NULL, &b) < 0) {
		cfg_buf_reset(&b);
	}
	cfg_htab_put(cfg->computed, name, cfg_buf_take(&b));
	return cfg_htab_get(cfg->computed, name);
}

/* cfg_config_default - the default (unexpanded; host-derived ones computed), or NULL */
const char *cfg_config_default(const struct cfg_config *cfg, const char *name)
{
	const struct cfg_param_def *d = cfgp_builtin(cfg, name);
	const char *v;

	if (d != NULL) {
		if (d->flags & (CFG_PF_HOSTDEP | CFG_PF_PROCDEP))
			return computed_default(cfg, name);
		return d->defval ? d->defval : "";
	}
	if ((v = cfg_htab_get(cfg->service, name)) != NULL)
		return v;
	if (cfg_htab_has(cfg->users, name))
		return "";
	return NULL;
}

/* cfgp_scope_of - the scope of master entry svc, or NULL */
const struct cfgp_scope *cfgp_scope_of(const struct cfg_config *cfg, const struct cfg_service *svc)
{
	size_t i;

	if (svc == NULL || cfg->master->nsvcs == 0 || svc < cfg->master->svcs
	    || svc >= cfg->master->svcs + cfg->master->nsvcs)
		return NULL;
	i = (size_t)(svc - cfg->master->svcs);
	return &cfg->scopes[cfg->svc_scope[i]];
}

/* cfgp_lookup - resolve name for expansion in scope (NULL: global) */
const char *cfgp_lookup(const struct cfg_config *cfg, const struct cfgp_scope *scope,
                        enum cfgp_lookup how, const char *name)
{
	const char *v;

	switch (how) {
	case CFGP_LOOKUP_DEFAULTS:
		return cfg_config_default(cfg, name);
	case CFGP_LOOKUP_DICT:
		if ((v = cfgp_dict_get(cfg, name)) != NULL)
			return v;
		/* An unset compatibility_level is level 0 for the <level operators. */
		if (strcmp(name, "compatibility_level") == 0)
			return cfg_config_default(cfg, name);
		return NULL;
	case CFGP_LOOKUP_EFFECTIVE:
	default:
		if (scope != NULL && (v = cfg_htab_get(scope->params, name)) != NULL)
			return v;
		/* In a master.cf entry, $service_name is the entry's service. */
		if (scope != NULL && strcmp(name, "service_name") == 0)
			return scope->service;
		if ((v = cfgp_dict_get(cfg, name)) != NULL)
			return v;
		return cfg_config_default(cfg, name);
	}
}

struct lookup_ctx {
	const struct cfg_config *cfg;
	const struct cfgp_scope *scope;
	enum cfgp_lookup how;
};

/* lookup_cb - cfg_expand() call-back */
static const char *lookup_cb(void *ctx, const char *name)
{
	const struct lookup_ctx *lc = ctx;

	return cfgp_lookup(lc->cfg, lc->scope, lc->how, name);
}

/* cfgp_expand - expand value with cfgp_lookup() semantics */
int cfgp_expand(const struct cfg_config *cfg, const struct cfgp_scope *scope, enum cfgp_lookup how,
                const char *value, struct cfg_buf *out, struct cfg_diags *diags)
{
	struct lookup_ctx lc = {cfg, scope, how};
	struct cfg_expand ex = {lookup_cb, NULL, &lc};

	if (cfg->flags & CFG_LOAD_DEFAULTS)
		lc.how = CFGP_LOOKUP_DEFAULTS;
	return cfg_expand_value(&ex, value, out, diags);
}

/* cfg_config_expand - expand value against the global name space */
int cfg_config_expand(const struct cfg_config *cfg, const char *value, struct cfg_buf *out,
                      struct cfg_diags *diags)
{
	return cfgp_expand(cfg, NULL, CFGP_LOOKUP_EFFECTIVE, value, out, diags);
}

/* cfg_config_expand_service - expand value in the name space of master entry svc */
int cfg_config_expand_service(const struct cfg_config *cfg, const struct cfg_service *svc,
                              const char *value, struct cfg_buf *out, struct cfg_diags *diags)
{
	return cfgp_expand(cfg, cfgp_scope_of(cfg, svc), CFGP_LOOKUP_EFFECTIVE, value, out, diags);
}

/* cfg_config_explicit - the dict value of name */
const char *cfg_config_explicit(const struct cfg_config *cfg, const char *name)
{
	return cfgp_dict_get(cfg, name);
}

/* cfg_config_class - CFG_CLASS_* of name, or 0 */
unsigned cfg_config_class(const struct cfg_config *cfg, const char *name)
{
	const struct cfg_param_def *d;

	if (cfg_htab_has(cfg->service, name))
		return CFG_CLASS_SERVICE;
	if ((d = cfgp_builtin(cfg, name)) != NULL) {
		if (d->flags & CFG_PF_LEGACY)
			return relabeled(cfg, name) ? CFG_CLASS_USER : CFG_CLASS_BUILTIN;
		return CFG_CLASS_BUILTIN;
	}
	if (cfg_htab_has(cfg->users, name))
		return CFG_CLASS_USER;
	return 0;
}

/* cfg_config_is_used - 1 when a user-defined name is referenced (or name is known) */
int cfg_config_is_used(const struct cfg_config *cfg, const char *name)
{
	return cfg_config_class(cfg, name) != 0;
}

/* cfg_config_value - the effective unexpanded value, or NULL */
const char *cfg_config_value(const struct cfg_config *cfg, const char *name)
{
	const char *v;

	if ((v = cfgp_dict_get(cfg, name)) != NULL)
		return v;
	return cfg_config_default(cfg, name);
}

/* a name with its first 8 bytes as a big-endian number, to sort without calling strcmp */
struct sort_key {
	uint64_t key;
	char *s;
};

/* cmp_key - strcmp() order, settled by the prefix number in most cases */
static int cmp_key(const void *a, const void *b)
{
	const struct sort_key *x = a, *y = b;

	if (x->key != y->key)
		return x->key < y->key ? -1 : 1;
	return strcmp(x->s, y->s);
}

/* sort_names - sort v[0..n) in strcmp() order */
static void sort_names(char **v, size_t n)
{
	struct sort_key *k = cfg_xcalloc(n ? n : 1, sizeof(*k));

	for (size_t i = 0; i < n; i++) {
		const unsigned char *p = (const unsigned char *)v[i];
		uint64_t key = 0;
		int j;

		for (j = 0; j < 8 && p[j]; j++)
			key = (key << 8) | p[j];
		key <<= 8 * (8 - j);
		k[i].key = key;
		k[i].s = v[i];
	}
	qsort(k, n, sizeof(*k), cmp_key);
	for (size_t i = 0; i < n; i++)
		v[i] = k[i].s;
	free(k);
}

/* add_extra - append the names of a table of class cls (sorted afterwards by the caller) */
static void add_extra(const struct cfg_htab *h, const struct cfg_config *cfg, unsigned cls,
                      unsigned classes, int explicit_only, struct cfg_strvec *out)
{
	size_t pos = 0;
	const char *key;
	void *val;

	if ((cls & classes) == 0)
		return;
	while (cfg_htab_next(h, &pos, &key, &val)) {
		if (explicit_only && cfgp_dict_get(cfg, key) == NULL)
			continue;
		cfg_strvec_add(out, key);
	}
}

/* merge_names - sorted built-ins merged with the sorted extra names */
static void merge_names(const struct cfg_config *cfg, unsigned classes, int explicit_only,
                        struct cfg_strvec *extra, struct cfg_strvec *out)
{
	size_t nb = cfg_registry_count();
	size_t i = 0, j = 0;

	sort_names(extra->v, extra->n);
	while (i < nb || j < extra->n) {
		const struct cfg_param_def *d = i < nb ? cfg_registry_at(i) : NULL;

		if (d != NULL
		    && (cfg_htab_has(cfg->service, d->name) || (d->flags & CFG_PF_LEGACY))) {
			i++; /* service-defined or legacy: comes from extra when listed */
			continue;
		}
		if (d != NULL && (j == extra->n || strcmp(d->name, extra->v[j]) < 0)) {
			i++;
			if ((classes & CFG_CLASS_BUILTIN) == 0)
				continue;
			if (explicit_only && cfgp_dict_get(cfg, d->name) == NULL)
				continue;
			cfg_strvec_add(out, d->name);
			continue;
		}
		if (j > 0 && strcmp(extra->v[j], extra->v[j - 1]) == 0) {
			j++;
			continue;
		}
		cfg_strvec_add(out, extra->v[j++]);
	}
}

/* names - the common part of cfg_config_names() and cfg_config_explicit_names() */
static void names(const struct cfg_config *cfg, unsigned classes, int explicit_only,
                  struct cfg_strvec *out)
{
	struct cfg_strvec extra;

	cfg_strvec_init(&extra);
	if (classes & CFG_CLASS_SERVICE)
		add_extra(cfg->service, cfg, CFG_CLASS_SERVICE, classes, explicit_only, &extra);
	if (classes & CFG_CLASS_USER) {
		add_extra(cfg->users, cfg, CFG_CLASS_USER, classes, explicit_only, &extra);
		const struct cfg_param_def *d;

		for (size_t i = 0; (d = cfg_registry_at(i)) != NULL; i++)
			if ((d->flags & CFG_PF_LEGACY) && relabeled(cfg, d->name)
			    && (!explicit_only || cfgp_dict_get(cfg, d->name) != NULL))
				cfg_strvec_add(&extra, d->name);
	}
	merge_names(cfg, classes, explicit_only, &extra, out);
	cfg_strvec_fini(&extra);
}

/* cfg_config_names - every listed name of the given classes, sorted */
void cfg_config_names(const struct cfg_config *cfg, unsigned classes, struct cfg_strvec *out)
{
	names(cfg, classes, 0, out);
}

/* cfg_config_explicit_names - listed names with an explicit value, sorted */
void cfg_config_explicit_names(const struct cfg_config *cfg, unsigned classes,
                               struct cfg_strvec *out)
{
	names(cfg, classes, 1, out);
}

/* cfg_config_dir - the configuration directory */
const char *cfg_config_dir(const struct cfg_config *cfg)
{
	return cfg->dir;
}

/* cfg_config_maincf - the main.cf document */
const struct cfg_maincf *cfg_config_maincf(const struct cfg_config *cfg)
{
	return cfg->main;
}

/* cfg_config_mastercf - the master.cf document */
const struct cfg_mastercf *cfg_config_mastercf(const struct cfg_config *cfg)
{
	return cfg->master;
}

/* cfg_config_override - set name=value above main.cf */
void cfg_config_override(struct cfg_config *cfg, const char *name, const char *value)
{
	free(cfg_htab_put(cfg->over, name, cfg_xstrdup(value)));
}

/* free_scopes - release the master.cf name spaces */
static void free_scopes(struct cfg_config *cfg)
{
	for (size_t i = 0; i < cfg->nscopes; i++) {
		free(cfg->scopes[i].key);
		free(cfg->scopes[i].service);
		cfg_htab_free(cfg->scopes[i].params, NULL);
		cfg_htab_free(cfg->scopes[i].valid, NULL);
	}
	free(cfg->scopes);
	free(cfg->svc_scope);
}

/* free_idxlist - htab value destructor for name_scopes */
static void free_idxlist(void *p)
{
	struct cfgp_idxlist *l = p;

	free(l->v);
	free(l);
}

/* cfg_config_free - free everything */
void cfg_config_free(struct cfg_config *cfg)
{
	if (cfg == NULL)
		return;
	free(cfg->dir);
	free(cfg->process_name);
	free(cfg->main_path);
	free(cfg->master_path);
	cfg_maincf_free(cfg->main);
	cfg_mastercf_free(cfg->master);
	cfg_htab_free(cfg->over, free);
	cfg_htab_free(cfg->deleted, NULL);
	cfg_htab_free(cfg->service, NULL);
	if (cfg->bi)
		cfg_htab_free(cfg->bi->tab, NULL);
	free(cfg->bi);
	cfg_htab_free(cfg->known, NULL);
	cfg_htab_free(cfg->users, NULL);
	cfg_htab_free(cfg->computed, free);
	for (size_t i = 0; i < 3; i++)
		free(cfg->net_in[i]);
	cfg_htab_free(cfg->rest_classes, NULL);
	cfg_htab_free(cfg->scope_by_key, NULL);
	cfg_htab_free(cfg->name_scopes, free_idxlist);
	free_scopes(cfg);
	free(cfg);
}
