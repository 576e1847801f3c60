/* map.c - lookup-table dispatcher: "type:name" parsing, folding, UTF-8 checks (see cfg/map.h) */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "cfg/base/dlib.h"
#include "cfg/map/map.h"
#include "cfg/map/mapquery.h"
#include "cfg/schema/tabletype.h"
#include "cfg/base/xalloc.h"
#include "map_int.h"

/*
 * Every backend.  What each type can do, and whether postkit has it, is in
 * schemas/tabletypes.def (cfg/tabletype.h); tests/unit/test_map checks that
 * the implemented rows and these backends are the same set.
 */
static const struct cfgp_map_ops *const backends[] = {
    &cfgp_map_btree_ops,  &cfgp_map_cidr_ops,     &cfgp_map_environ_ops,  &cfgp_map_fail_ops,
    &cfgp_map_gdbm_ops,   &cfgp_map_hash_ops,     &cfgp_map_inline_ops,   &cfgp_map_ldap_ops,
    &cfgp_map_lmdb_ops,   &cfgp_map_memcache_ops, &cfgp_map_mysql_ops,    &cfgp_map_pcre_ops,
    &cfgp_map_pgsql_ops,  &cfgp_map_pipemap_ops,  &cfgp_map_regexp_ops,   &cfgp_map_socketmap_ops,
    &cfgp_map_sqlite_ops, &cfgp_map_static_ops,   &cfgp_map_texthash_ops, &cfgp_map_unionmap_ops,
    &cfgp_map_unix_ops,
};
#define NBACKENDS (sizeof(backends) / sizeof(backends[0]))

/* find_ops - the backend of type, or NULL */
static const struct cfgp_map_ops *find_ops(const char *type)
{
	for (size_t i = 0; i < NBACKENDS; i++)
		if (strcmp(backends[i]->type, type) == 0)
			return backends[i];
	return NULL;
}

int cfg_map_has_backend(const char *type)
{
	return find_ops(type) != NULL;
}

unsigned cfg_map_type_caps(const char *type)
{
	const struct cfg_table_type_def *t = cfg_table_type_find(type);

	return t != NULL && t->impl ? t->caps : 0;
}

void cfgp_map_set_dname(struct cfg_map *m, const char *dname)
{
	free(m->dname);
	free(m->label);
	m->dname = cfg_xstrdup(dname);
	m->label = cfg_xasprintf("%s:%s", m->type, dname);
}

void cfgp_map_set_error(struct cfg_map *m, const char *text)
{
	cfg_buf_reset(&m->errbuf);
	cfg_buf_adds(&m->errbuf, text);
}

int cfgp_map_dlib(struct cfg_map *m, struct cfg_dlib *lib, struct cfg_diags *diags)
{
	if (cfg_dlib_load(lib) == 0)
		return 0;
	cfg_diags_add(diags, CFG_SEV_FATAL, "map-library", NULL, 0, 0, "%s:%s: %s", m->type,
	              m->name, lib->error);
	return -1;
}

int cfgp_map_dup(struct cfg_map *m, const char *where, const char *key, struct cfg_diags *diags)
{
	if (m->flags & CFG_MAP_DUP_REPLACE)
		return 1;
	if (m->flags & CFG_MAP_DUP_IGNORE)
		return 0;
	if (m->flags & CFG_MAP_DUP_WARN) {
		cfg_diags_add(diags, CFG_SEV_WARNING, "map-duplicate", NULL, 0, 0,
		              "%s: duplicate entry: \"%s\"", where ? where : m->dname, key);
		return 0;
	}
	cfg_diags_add(diags, CFG_SEV_FATAL, "map-duplicate", NULL, 0, 0,
	              "%s: duplicate entry: \"%s\"", where ? where : m->dname, key);
	return -1;
}

/* map_new - allocate a table handle */
static struct cfg_map *map_new(const struct cfgp_map_ops *ops, const char *type, const char *name,
                               enum cfg_map_mode mode, unsigned flags)
{
	struct cfg_map *m = cfg_xcalloc(1, sizeof(*m));

	m->ops = ops;
	m->type = cfg_xstrdup(type);
	m->name = cfg_xstrdup(name);
	m->mode = mode;
	m->flags = flags;
	cfg_buf_init(&m->keybuf);
	cfg_buf_init(&m->errbuf);
	cfgp_map_set_dname(m, name);
	return m;
}

int cfg_map_open_type(const char *type, const char *name, enum cfg_map_mode mode, unsigned flags,
                      struct cfg_map **out, struct cfg_diags *diags)
{
	const struct cfgp_map_ops *ops = find_ops(type);
	struct cfg_map *m;

	*out = NULL;
	if (ops == NULL && strcmp(type, "proxy") == 0 && mode != CFG_MAP_BUILD) {
		/*
		 * proxy:TYPE:NAME: through the proxy service the program registered
		 * (the MTA's proxymap); without one, the process opens the table
		 * itself, once its caller has asked cfg_map_proxy_approved().
		 */
		if (cfgp_map_proxy_hook() == NULL)
			return cfg_map_open(name, mode, flags, out, diags);
		ops = &cfgp_map_proxy_ops;
		m = map_new(ops, type, name, mode, flags);
		if (ops->open(m, diags) < 0) {
			cfg_map_free(m);
			return -1;
		}
		*out = m;
		return 0;
	}
	if (ops == NULL) {
		/* Debian's Postfix adds a package hint when a build meets an unknown type */
		if (mode == CFG_MAP_BUILD || mode == CFG_MAP_CREATE)
			cfg_diags_add(diags, CFG_SEV_FATAL, "map-type", NULL, 0, 0,
			              "unsupported dictionary type: %s. Is the postfix-%s package "
			              "installed?",
			              type, type);
		else
			cfg_diags_add(diags, CFG_SEV_FATAL, "map-type", NULL, 0, 0,
			              "unsupported dictionary type: %s", type);
		return -1;
	}
	if (mode == CFG_MAP_UPDATE && (cfg_map_type_caps(type) & CFG_MAPT_RDONLY)) {
		cfg_diags_add(diags, CFG_SEV_FATAL, "map-rdonly", NULL, 0, 0,
		              "%s:%s map requires O_RDONLY access mode", type, name);
		return -1;
	}
	if (mode != CFG_MAP_READ && mode != CFG_MAP_UPDATE
	    && !(cfg_map_type_caps(type) & CFG_MAPT_BUILD)) {
		cfg_diags_add(
		    diags, CFG_SEV_FATAL, "map-no-build", NULL, 0, 0,
		    "unsupported dictionary type: %s does not support bulk-mode creation.", type);
		return -1;
	}
	m = map_new(ops, type, name, mode, flags);
	if (ops->open(m, diags) < 0) {
		cfg_map_free(m);
		return -1;
	}
	*out = m;
	return 0;
}

int cfg_map_proxy_approved(const char *spec, enum cfg_map_mode mode, const char *read_maps,
                           const char *write_maps, int server_words, struct cfg_diags *diags)
{
	int write = mode != CFG_MAP_READ;
	const char *inner = spec + 6;

	if (strncmp(spec, "proxy:", 6) != 0
	    || cfg_mapq_listed(write ? write_maps : read_maps, spec))
		return 1;
	if (server_words) {
		cfg_diags_add(diags, CFG_SEV_WARNING, "map-proxy", NULL, 0, 0,
		              "request for unapproved table: \"%s\"", inner);
		cfg_diags_add(diags, CFG_SEV_WARNING, "map-proxy", NULL, 0, 0,
		              "to approve this table for %s access, list %s in main.cf:%s",
		              write ? "read-write" : "read-only", spec,
		              write ? "proxy_write_maps" : "proxy_read_maps");
	}
	cfg_diags_add(diags, CFG_SEV_FATAL, "map-proxy", NULL, 0, 0,
	              "%s service is not configured for table \"%s\"",
	              write ? "proxywrite" : "proxymap", inner);
	return 0;
}

int cfg_map_open(const char *spec, enum cfg_map_mode mode, unsigned flags, struct cfg_map **out,
                 struct cfg_diags *diags)
{
	const char *colon = strchr(spec, ':');
	char *type;
	int ret;

	*out = NULL;
	if (colon == NULL || colon == spec || colon[1] == 0) {
		cfg_diags_add(diags, CFG_SEV_FATAL, "map-spec", NULL, 0, 0,
		              "open dictionary: expecting \"type:name\" form instead of \"%s\"",
		              spec);
		return -1;
	}
	type = cfg_xstrndup(spec, (size_t)(colon - spec));
	ret = cfg_map_open_type(type, colon + 1, mode, flags, out, diags);
	free(type);
	return ret;
}

int cfg_map_open_source(const char *type, const char *name, const char *text, size_t len,
                        unsigned flags, struct cfg_map **out, struct cfg_diags *diags)
{
	const struct cfgp_map_ops *ops = find_ops(type);
	struct cfg_map *m;

	*out = NULL;
	if (ops == NULL || ops->open_text == NULL) {
		cfg_diags_add(diags, CFG_SEV_FATAL, "map-type", NULL, 0, 0,
		              "unsupported dictionary type: %s", type);
		return -1;
	}
	m = map_new(ops, type, name, CFG_MAP_READ, flags);
	if (ops->open_text(m, text, len, diags) < 0) {
		cfg_map_free(m);
		return -1;
	}
	*out = m;
	return 0;
}

void cfg_map_free(struct cfg_map *m)
{
	if (m == NULL)
		return;
	if (m->ops && m->ops->close)
		m->ops->close(m);
	free(m->type);
	free(m->name);
	free(m->dname);
	free(m->label);
	cfg_buf_fini(&m->keybuf);
	cfg_buf_fini(&m->errbuf);
	free(m);
}

/* is_ascii - 1 when s holds only 7-bit bytes */
static int is_ascii(const char *s)
{
	for (; *s; s++)
		if ((unsigned char)*s & 0x80)
			return 0;
	return 1;
}

int cfg_map_utf8_valid(const char *s, size_t len)
{
	const unsigned char *p = (const unsigned char *)s, *end = p + len;

	while (p < end) {
		unsigned c = *p;
		unsigned need, cp, min;

		if (c < 0x80) {
			p++;
			continue;
		}
		if (c >= 0xc2 && c <= 0xdf) {
			need = 1, cp = c & 0x1f, min = 0x80;
		} else if (c >= 0xe0 && c <= 0xef) {
			need = 2, cp = c & 0x0f, min = 0x800;
		} else if (c >= 0xf0 && c <= 0xf4) {
			need = 3, cp = c & 0x07, min = 0x10000;
		} else {
			return 0;
		}
		if ((size_t)(end - p) <= need)
			return 0;
		for (unsigned i = 1; i <= need; i++) {
			if ((p[i] & 0xc0) != 0x80)
				return 0;
			cp = (cp << 6) | (p[i] & 0x3f);
		}
		if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
			return 0;
		p += need + 1;
	}
	return 1;
}

int cfg_map_fold(const char *key, unsigned flags, struct cfg_buf *out)
{
	if ((flags & CFG_MAP_UTF8) && !is_ascii(key)) {
		if (!cfg_map_utf8_valid(key, strlen(key)))
			return -1;
		return cfgp_fold_utf8(key, out);
	}
	for (const char *s = key; *s; s++) {
		unsigned char c = (unsigned char)*s;
		cfg_buf_addc(out, c >= 'A' && c <= 'Z' ? c + ('a' - 'A') : c);
	}
	return 0;
}

/*
 * prepare_key - the key the backend sees: folded for fixed-string tables
 * with CFG_MAP_FOLD.  Returns NULL (warning added) for a non-UTF-8 key when
 * UTF-8 checks are on.
 */
static const char *prepare_key(struct cfg_map *m, const char *key, struct cfg_diags *diags)
{
	int utf8 = (m->flags & CFG_MAP_UTF8) && !is_ascii(key);

	if (utf8 && !cfg_map_utf8_valid(key, strlen(key))) {
		cfg_diags_add(diags, CFG_SEV_WARNING, "map-utf8", NULL, 0, 0,
		              "%s: non-UTF-8 key \"%s\": malformed UTF-8 or invalid codepoint",
		              m->label, key);
		return NULL;
	}
	if (!(m->flags & CFG_MAP_FOLD) || !(cfg_map_caps(m) & CFG_MAPT_FIXED))
		return key;
	cfg_buf_reset(&m->keybuf);
	if (cfg_map_fold(key, m->flags, &m->keybuf) < 0)
		return NULL;
	return m->keybuf.data;
}

/* check_value - UTF-8 check of a result; -1 with a warning when invalid */
static int check_value(struct cfg_map *m, const char *key, const char *value,
                       struct cfg_diags *diags)
{
	if (!(m->flags & CFG_MAP_UTF8) || is_ascii(value)
	    || cfg_map_utf8_valid(value, strlen(value)))
		return 0;
	cfg_diags_add(
	    diags, CFG_SEV_WARNING, "map-utf8", NULL, 0, 0,
	    "%s: key \"%s\": non-UTF-8 value \"%s\": malformed UTF-8 or invalid codepoint",
	    m->label, key, value);
	cfgp_map_set_error(m, "");
	return -1;
}

int cfg_map_lookup(struct cfg_map *m, const char *key, const char **value, struct cfg_diags *diags)
{
	const char *k;
	int ret;

	*value = NULL;
	cfg_buf_reset(&m->errbuf);
	if ((k = prepare_key(m, key, diags)) == NULL)
		return 0;
	ret = m->ops->lookup(m, k, value, diags);
	if (ret == 1 && check_value(m, key, *value, diags) < 0) {
		*value = NULL;
		return -1;
	}
	return ret;
}

/* unsupported - the "operation is not supported" error */
static int unsupported(struct cfg_map *m, const char *what, struct cfg_diags *diags)
{
	cfg_diags_add(diags, CFG_SEV_FATAL, "map-unsupported", NULL, 0, 0,
	              "table %s:%s: %s operation is not supported", m->type, m->name, what);
	return -1;
}

int cfg_map_update(struct cfg_map *m, const char *key, const char *value, struct cfg_diags *diags)
{
	const char *k;

	cfg_buf_reset(&m->errbuf);
	if (m->ops->update == NULL)
		return unsupported(m, "update", diags);
	if ((m->flags & CFG_MAP_UTF8) && !is_ascii(value)
	    && !cfg_map_utf8_valid(value, strlen(value))) {
		cfg_diags_add(diags, CFG_SEV_WARNING, "map-utf8", NULL, 0, 0,
		              "%s: non-UTF-8 value \"%s\": malformed UTF-8 or invalid codepoint",
		              m->label, value);
		return 0;
	}
	if ((k = prepare_key(m, key, diags)) == NULL)
		return 0;
	return m->ops->update(m, k, value, diags);
}

int cfg_map_delete(struct cfg_map *m, const char *key, struct cfg_diags *diags)
{
	const char *k;

	cfg_buf_reset(&m->errbuf);
	if (m->ops->del == NULL)
		return unsupported(m, "delete", diags);
	/* Postfix counts a rejected non-UTF-8 key as "found" here; so do we */
	if ((k = prepare_key(m, key, diags)) == NULL)
		return 1;
	return m->ops->del(m, k, diags);
}

int cfg_map_seq(struct cfg_map *m, int first, const char **key, const char **value,
                struct cfg_diags *diags)
{
	*key = *value = NULL;
	cfg_buf_reset(&m->errbuf);
	if (m->ops->seq == NULL)
		return unsupported(m, "sequence", diags);
	return m->ops->seq(m, first, key, value, diags);
}

int cfg_map_commit(struct cfg_map *m, mode_t mode, struct cfg_diags *diags)
{
	if (m->mode == CFG_MAP_READ || m->ops->commit == NULL)
		return 0;
	if (m->ops->commit(m, mode, diags) < 0)
		return -1;
	m->mode = CFG_MAP_READ;
	return 0;
}

unsigned cfg_map_flags(const struct cfg_map *m)
{
	return m->flags;
}

void cfg_map_set_flags(struct cfg_map *m, unsigned flags)
{
	m->flags = flags;
}

const char *cfg_map_type(const struct cfg_map *m)
{
	return m->type;
}

const char *cfg_map_name(const struct cfg_map *m)
{
	return m->name;
}

unsigned cfg_map_caps(const struct cfg_map *m)
{
	if (m->ops == &cfgp_map_proxy_ops)
		return cfgp_map_proxy_caps(m);
	return cfg_map_type_caps(m->ops->type);
}

const char *cfg_map_error(const struct cfg_map *m)
{
	return m->errbuf.data;
}

const char *cfg_map_label(const struct cfg_map *m)
{
	return m->label;
}
