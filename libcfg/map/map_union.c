/*
 * map_union.c - unionmap:{ type:name, ... } and pipemap:{ type:name, ... }
 *
 * unionmap queries every table and joins the results with commas (found when
 * any table has the key); pipemap feeds each result to the next table as its
 * key (found when the last one answers).  Member tables are opened lazily on
 * first use with the flags of the composite; their errors become the
 * composite's ("table unionmap:{...}: query error: Application error").
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "cfg/base/strvec.h"
#include "cfg/base/xalloc.h"
#include "map_int.h"

struct composite {
	struct cfg_strvec specs;
	struct cfg_map **maps;
	struct cfg_buf result;
	struct cfg_buf key;
};

/* composite_open - split the {...} list of member tables */
static int composite_open(struct cfg_map *m, struct cfg_diags *diags)
{
	struct composite *c = cfg_xcalloc(1, sizeof(*c));
	struct cfg_buf inner;
	int ok;

	m->priv = c;
	cfg_strvec_init(&c->specs);
	cfg_buf_init(&c->result);
	cfg_buf_init(&c->key);
	cfg_buf_init(&inner);
	ok = m->name[0] == '{' && cfgp_extpar(m->name, &inner) == 0 && inner.len > 0
	     && cfgp_brace_words(inner.data, &c->specs) == 0 && c->specs.n > 0;
	cfg_buf_fini(&inner);
	if (!ok) {
		cfg_diags_add(diags, CFG_SEV_FATAL, "map-composite", NULL, 0, 0,
		              "bad syntax: \"%s:%s\"; need \"%s:{type:name...}\"", m->type, m->name,
		              m->type);
		return -1;
	}
	c->maps = cfg_xcalloc(c->specs.n, sizeof(*c->maps));
	/* open members now so that a bad member is reported at open time, as Postfix does */
	for (size_t i = 0; i < c->specs.n; i++)
		if (cfg_map_open(c->specs.v[i], CFG_MAP_READ, m->flags, &c->maps[i], diags) < 0)
			return -1;
	return 0;
}

/* member_lookup - look key up in member i; errors become the composite's */
static int member_lookup(struct cfg_map *m, size_t i, const char *key, const char **value,
                         struct cfg_diags *diags)
{
	struct composite *c = m->priv;
	int r = cfg_map_lookup(c->maps[i], key, value, diags);

	if (r < 0)
		cfgp_map_set_error(m, cfg_map_error(c->maps[i]));
	return r;
}

/* union_lookup - every member's result, comma-joined */
static int union_lookup(struct cfg_map *m, const char *key, const char **value,
                        struct cfg_diags *diags)
{
	struct composite *c = m->priv;
	int found = 0;

	cfg_buf_reset(&c->result);
	for (size_t i = 0; i < c->specs.n; i++) {
		const char *v;
		int r = member_lookup(m, i, key, &v, diags);

		if (r < 0)
			return -1;
		if (r == 1) {
			if (found)
				cfg_buf_addc(&c->result, ',');
			cfg_buf_adds(&c->result, v);
			found = 1;
		}
	}
	if (found)
		*value = c->result.data;
	return found;
}

/* pipe_lookup - each result is the next member's key */
static int pipe_lookup(struct cfg_map *m, const char *key, const char **value,
                       struct cfg_diags *diags)
{
	struct composite *c = m->priv;

	cfg_buf_reset(&c->key);
	cfg_buf_adds(&c->key, key);
	for (size_t i = 0; i < c->specs.n; i++) {
		const char *v;
		int r = member_lookup(m, i, c->key.data, &v, diags);

		if (r <= 0)
			return r;
		cfg_buf_reset(&c->result);
		cfg_buf_adds(&c->result, v);
		cfg_buf_reset(&c->key);
		cfg_buf_adds(&c->key, v);
	}
	*value = c->result.data;
	return 1;
}

/* composite_close - close the members */
static void composite_close(struct cfg_map *m)
{
	struct composite *c = m->priv;

	if (c == NULL)
		return;
	for (size_t i = 0; c->maps && i < c->specs.n; i++)
		cfg_map_free(c->maps[i]);
	free(c->maps);
	cfg_strvec_fini(&c->specs);
	cfg_buf_fini(&c->result);
	cfg_buf_fini(&c->key);
	free(c);
}

const struct cfgp_map_ops cfgp_map_unionmap_ops = {
    .type = "unionmap",
    .open = composite_open,
    .lookup = union_lookup,
    .close = composite_close,
};
const struct cfgp_map_ops cfgp_map_pipemap_ops = {
    .type = "pipemap",
    .open = composite_open,
    .lookup = pipe_lookup,
    .close = composite_close,
};
