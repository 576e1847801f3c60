/* maps.c - lookup tables for daemons (see maps.h) */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "cfg/base/htab.h"
#include "cfg/base/strvec.h"
#include "cfg/base/xalloc.h"
#include "cfg/schema/registry.h"
#include "cfg/schema/tabletype.h"
#include "log.h"
#include "maps.h"
#include "match.h"
#include "proxy.h"

static struct cfg_htab *cache;
static struct cfg_htab *lists;
static char *proxy_read, *proxy_write; /* set: proxy: tables must be approved */

void mta_maps_proxy(const char *read_maps, const char *write_maps)
{
	free(proxy_read);
	free(proxy_write);
	proxy_read = cfg_xstrdup(read_maps ? read_maps : "");
	proxy_write = cfg_xstrdup(write_maps ? write_maps : "");
}

/*
 * proxy_check - a proxy: table that proxy_read_maps does not list is fatal,
 * as Postfix's proxymap client makes it (after proxymap's two warnings)
 */
static void proxy_check(const char *spec)
{
	struct cfg_diags ds;

	/* with a proxymap service, proxymap decides (denied: see proxy_denied) */
	if (proxy_read == NULL || strncmp(spec, "proxy:", 6) != 0 || mta_proxy_active())
		return;
	cfg_diags_init(&ds);
	if (!cfg_map_proxy_approved(spec, CFG_MAP_READ, proxy_read, proxy_write, 1, &ds)) {
		for (size_t i = 0; i + 1 < ds.n; i++)
			mta_warn("%s", ds.v[i].msg);
		mta_fatal("%s", ds.v[ds.n - 1].msg);
	}
	cfg_diags_fini(&ds);
}

/* proxy_denied - proxymap refused a table: fatal, in the words of Postfix's client */
static void proxy_denied(const struct cfg_diags *ds)
{
	for (size_t i = 0; i < ds->n; i++)
		if (ds->v[i].code && strcmp(ds->v[i].code, "map-proxy") == 0)
			mta_fatal("%s", ds->v[i].msg);
}

/* direct - the spec a process opens: without proxymap, "proxy:" is dropped */
static const char *direct(const char *spec)
{
	if (!mta_proxy_active() && strncmp(spec, "proxy:", 6) == 0)
		return spec + 6;
	return spec;
}

/* free_map - htab value destructor */
static void free_map(void *v)
{
	cfg_map_free(v);
}

struct cfg_map *mta_map(const char *spec, struct cfg_buf *why)
{
	struct cfg_diags ds;
	struct cfg_map *m = NULL;
	const char *s = direct(spec);

	proxy_check(spec);
	if (cache == NULL)
		cache = cfg_htab_new(16);
	m = cfg_htab_get(cache, s);
	if (m)
		return m;
	cfg_diags_init(&ds);
	if (cfg_map_open(s, CFG_MAP_READ, CFG_MAP_FOLD, &m, &ds) < 0) {
		proxy_denied(&ds);
		for (size_t i = 0; i < ds.n; i++) {
			if (ds.v[i].sev >= CFG_SEV_ERROR) {
				cfg_buf_adds(why, ds.v[i].msg);
				break;
			}
		}
		if (why->len == 0)
			cfg_buf_printf(why, "cannot open table %s", s);
		m = NULL;
	} else {
		for (size_t i = 0; i < ds.n; i++)
			mta_warn("%s", ds.v[i].msg);
		cfg_htab_put(cache, s, m);
	}
	cfg_diags_fini(&ds);
	return m;
}

void mta_map_put(const char *spec, struct cfg_map *m)
{
	if (cache == NULL)
		cache = cfg_htab_new(16);
	cfg_map_free(cfg_htab_put(cache, direct(spec), m));
}

int mta_map_get(const char *spec, const char *key, const char **value)
{
	struct cfg_buf why;
	struct cfg_diags ds;
	struct cfg_map *m;
	int rc;
	const char *s = strncmp(spec, "proxy:", 6) == 0 ? spec + 6 : spec;

	/* a login name never holds '@': spare the name service a futile search */
	if (strncmp(s, "unix:", 5) == 0 && strchr(key, '@'))
		return 0;

	cfg_buf_init(&why);
	m = mta_map(spec, &why);
	if (m == NULL) {
		mta_warn("%s is unavailable. %s", spec, why.data);
		mta_warn("%s lookup error for \"%s\"", spec, key);
		cfg_buf_fini(&why);
		return -1;
	}
	cfg_buf_fini(&why);
	cfg_diags_init(&ds);
	rc = cfg_map_lookup(m, key, value, &ds);
	if (rc < 0) {
		for (size_t i = 0; i < ds.n; i++)
			mta_warn("%s", ds.v[i].msg);
		mta_warn("%s lookup error for \"%s\"", spec, key);
	}
	cfg_diags_fini(&ds);
	return rc;
}

int mta_maps_get(const struct cfg_strvec *specs, const char *key, const char **value)
{
	for (size_t i = 0; i < specs->n; i++) {
		int rc = mta_map_get(specs->v[i], key, value);

		if (rc != 0)
			return rc;
	}
	return 0;
}

/* free_list - htab value destructor */
static void free_list(void *v)
{
	cfg_maplist_free(v);
}

struct cfg_maplist *mta_maplist(const struct cfg_strvec *elems)
{
	struct cfg_buf text;
	struct cfg_diags ds;
	struct cfg_maplist *ml;

	if (lists == NULL)
		lists = cfg_htab_new(16);
	cfg_buf_init(&text);
	for (size_t i = 0; i < elems->n; i++) {
		const char *e = elems->v[i];

		proxy_check(e);
		e = direct(e);
		if (text.len)
			cfg_buf_adds(&text, ", ");
		cfg_buf_adds(&text, e);
	}
	ml = cfg_htab_get(lists, text.data);
	if (ml == NULL) {
		cfg_diags_init(&ds);
		if (cfg_maplist_open(text.data, CFG_MAP_FOLD, &ml, &ds) < 0) {
			proxy_denied(&ds);
			for (size_t i = 0; i < ds.n; i++)
				mta_warn("%s", ds.v[i].msg);
			ml = NULL;
		} else {
			for (size_t i = 0; i < ds.n; i++)
				mta_warn("%s", ds.v[i].msg);
			cfg_htab_put(lists, text.data, ml);
		}
		cfg_diags_fini(&ds);
	}
	cfg_buf_fini(&text);
	return ml;
}

struct cfg_maplist *mta_maplist1(const char *spec)
{
	struct cfg_strvec v;
	struct cfg_maplist *ml;

	cfg_strvec_init(&v);
	cfg_strvec_add(&v, spec);
	ml = mta_maplist(&v);
	cfg_strvec_fini(&v);
	return ml;
}

int mta_mapq_done(int rc, struct cfg_diags *ds)
{
	for (size_t i = 0; i < ds->n; i++)
		mta_warn("%s", ds->v[i].msg);
	cfg_diags_clear(ds);
	return rc;
}

/* table_token - 1 when w names a table this process would open itself ("hash:/x", not proxy:) */
static int table_token(const char *w)
{
	const char *colon = strchr(w, ':');
	const struct cfg_table_type_def *tt;
	char *type;

	if (colon == NULL || colon == w || colon[1] == '\0' || w[0] == '[')
		return 0;
	type = cfg_xstrndup(w, (size_t)(colon - w));
	tt = cfg_table_type_find(type);
	free(type);
	/* proxy: tables go through the proxymap socket (private/, in the jail) */
	return tt != NULL && tt->impl && strcmp(tt->name, "proxy") != 0;
}

/* keep_map - open spec quietly into the mta_map() cache; a failure is left to the first use */
static void keep_map(const char *spec)
{
	struct cfg_diags ds;
	struct cfg_map *m = NULL;

	if (cfg_htab_get(cache, spec) != NULL)
		return;
	cfg_diags_init(&ds);
	if (cfg_map_open(spec, CFG_MAP_READ, CFG_MAP_FOLD, &m, &ds) == 0)
		cfg_htab_put(cache, spec, m);
	cfg_diags_fini(&ds);
}

/* keep_list - open list quietly into the mta_maplist() cache under its text */
static void keep_list(const char *text)
{
	struct cfg_diags ds;
	struct cfg_maplist *ml = NULL;

	if (cfg_htab_get(lists, text) != NULL)
		return;
	cfg_diags_init(&ds);
	if (cfg_maplist_open(text, CFG_MAP_FOLD, &ml, &ds) == 0)
		cfg_htab_put(lists, text, ml);
	cfg_diags_fini(&ds);
}

/*
 * secret_of_others - the tables of the credential parameters (CFG_PF_SECRET:
 * smtp_sasl_password_maps...) of other daemons than this one, wherever a
 * value names them (proxy_read_maps lists them too): a jailed smtpd never
 * holds the relay passwords open
 */
static void secret_of_others(struct mta_conf *c, struct cfg_strvec *out)
{
	const char *prog = mta_log_prog_name();
	size_t plen = strlen(prog);

	for (size_t i = 0; i < cfg_registry_count(); i++) {
		const struct cfg_param_def *def = cfg_registry_at(i);
		struct cfg_strvec words;
		struct cfg_diags ds;

		if (!(def->flags & CFG_PF_SECRET)
		    || (strncmp(def->name, prog, plen) == 0 && def->name[plen] == '_'))
			continue;
		cfg_diags_init(&ds);
		cfg_strvec_init(&words);
		if (cfg_view_list(c->view, def->name, &words, &ds) == 0)
			for (size_t k = 0; k < words.n; k++)
				cfg_strvec_add(out, direct(words.v[k]));
		cfg_strvec_fini(&words);
		cfg_diags_fini(&ds);
	}
}

/* listed - 1 when s is one of v's strings */
static int listed(const struct cfg_strvec *v, const char *s)
{
	for (size_t i = 0; i < v->n; i++)
		if (strcmp(v->v[i], s) == 0)
			return 1;
	return 0;
}

/* preopen_param - the tables one parameter value names, each alone and as the whole list */
static void preopen_param(struct mta_conf *c, const char *name, const struct cfg_strvec *skip)
{
	struct cfg_strvec words;
	struct cfg_diags ds;
	struct cfg_buf all;
	size_t tables = 0;
	const struct cfg_param_def *def = cfg_registry_find(name);
	/* "/file" elements belong to match lists (mynetworks, mydestination...), not to paths */
	int lists_files = def && (def->type == CFG_T_LIST || def->type == CFG_T_NETWORKS);
	cfg_strvec_init(&words);
	cfg_diags_init(&ds);
	cfg_buf_init(&all);
	if (cfg_view_list(c->view, name, &words, &ds) == 0) {
		for (size_t i = 0; i < words.n; i++) {
			const char *w = words.v[i] + strspn(words.v[i], "!");

			if (w[0] == '/' && lists_files)
				match_keep_file(w, 0);
			w = direct(w); /* without proxymap the process opens proxy: tables itself */
			if (!table_token(w) || listed(skip, w))
				continue;
			tables++;
			keep_map(w);
			keep_list(w);
			/* the whole list too, under the key mta_maplist() gives it */
			cfg_buf_printf(&all, "%s%s", all.len ? ", " : "", w);
		}
		if (tables < 2 || tables != words.n)
			cfg_buf_reset(&all);
		if (all.len)
			keep_list(all.data);
	}
	cfg_buf_fini(&all);
	cfg_diags_fini(&ds);
	cfg_strvec_fini(&words);
}

void mta_maps_preopen(struct mta_conf *c)
{
	struct cfg_strvec names, skip;

	if (cache == NULL)
		cache = cfg_htab_new(16);
	if (lists == NULL)
		lists = cfg_htab_new(16);
	cfg_strvec_init(&names);
	cfg_strvec_init(&skip);
	secret_of_others(c, &skip);
	cfg_config_names(c->cfg, CFG_CLASS_ALL, &names);
	for (size_t i = 0; i < names.n; i++)
		preopen_param(c, names.v[i], &skip);
	cfg_strvec_fini(&skip);
	cfg_strvec_fini(&names);
}

void mta_maps_close(void)
{
	cfg_htab_free(lists, free_list);
	lists = NULL;
	cfg_htab_free(cache, free_map);
	cache = NULL;
}
