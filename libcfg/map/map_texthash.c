/*
 * map_texthash.c - texthash:FILE: a postmap source file read into memory at
 * open time (no .db), plus the in-memory table that inline: shares
 *
 * The source is parsed as postmap parses it, with the same warnings, except
 * that they name the line ("FILE, line N: duplicate entry") and the
 * "expected format" warning says the line is ignored, as Postfix's texthash
 * does.
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "cfg/base/lines.h"
#include "cfg/base/xalloc.h"
#include "map_int.h"

struct cfgp_memtab *cfgp_memtab_new(struct cfg_map *m)
{
	struct cfgp_memtab *t = cfg_xcalloc(1, sizeof(*t));

	t->h = cfg_htab_new(16);
	m->priv = t;
	return t;
}

/* fold_key - the stored form of key: folded into m->keybuf when the flags say so */
static const char *fold_key(struct cfg_map *m, const char *key)
{
	if (!(m->flags & CFG_MAP_FOLD))
		return key;
	cfg_buf_reset(&m->keybuf);
	if (cfg_map_fold(key, m->flags, &m->keybuf) < 0)
		return key;
	return m->keybuf.data;
}

void cfgp_memtab_put(struct cfg_map *m, const char *key, const char *value)
{
	struct cfgp_memtab *t = m->priv;

	free(cfg_htab_put(t->h, fold_key(m, key), cfg_xstrdup(value)));
}

int cfgp_memtab_lookup(struct cfg_map *m, const char *key, const char **value,
                       struct cfg_diags *diags)
{
	struct cfgp_memtab *t = m->priv;

	(void)diags;
	*value = cfg_htab_get(t->h, key);
	return *value != NULL;
}

int cfgp_memtab_seq(struct cfg_map *m, int first, const char **key, const char **value,
                    struct cfg_diags *diags)
{
	struct cfgp_memtab *t = m->priv;
	void *v;

	(void)diags;
	if (first)
		t->pos = 0;
	if (!cfg_htab_next(t->h, &t->pos, key, &v))
		return 0;
	*value = v;
	return 1;
}

void cfgp_memtab_close(struct cfg_map *m)
{
	struct cfgp_memtab *t = m->priv;

	if (t) {
		cfg_htab_free(t->h, free);
		free(t);
	}
}

/* load - parse source text into the table */
static int load(struct cfg_map *m, const char *text, size_t len, struct cfg_diags *diags)
{
	struct cfgp_memtab *t = cfgp_memtab_new(m);
	struct cfg_lines lr;
	struct cfg_lline ll;
	struct cfg_buf why, where;
	int utf8 = (m->flags & CFG_MAP_UTF8) != 0;

	cfg_lines_init(&lr, text, len);
	cfg_lline_init(&ll);
	cfg_buf_init(&why);
	cfg_buf_init(&where);
	while (cfgp_mapsrc_next(&lr, &ll, m->name, diags)) {
		char *key, *value;
		int aliasfmt;
		const char *k;

		if (utf8 && !cfg_map_utf8_valid(ll.text.data, ll.text.len)) {
			cfg_diags_add(diags, CFG_SEV_WARNING, "map-utf8", m->name, ll.first, 0,
			              "%s, line %u: non-UTF-8 input \"%s\" -- ignoring this line",
			              m->name, ll.first, ll.text.data);
			continue;
		}
		if (!cfgp_mapsrc_split(ll.text.data, &key, &value, &aliasfmt, &why)) {
			const char *sfx =
			    strncmp(why.data, "expected", 8) == 0 ? " -- ignoring this line" : "";
			cfg_diags_add(diags, CFG_SEV_WARNING, "map-syntax", m->name, ll.first, 0,
			              "%s, line %u: %s%s", m->name, ll.first, why.data, sfx);
			continue;
		}
		if (aliasfmt)
			cfg_diags_add(diags, CFG_SEV_WARNING, "map-alias-format", m->name, ll.first,
			              0,
			              "%s, line %u: record is in \"key: value\" format; is this an "
			              "alias file?",
			              m->name, ll.first);
		k = fold_key(m, key);
		if (cfg_htab_has(t->h, k)) {
			int r;

			cfg_buf_reset(&where);
			cfg_buf_printf(&where, "%s, line %u", m->name, ll.first);
			r = cfgp_map_dup(m, where.data, k, diags);
			if (r < 0)
				goto fail;
			if (r == 0)
				continue;
		}
		free(cfg_htab_put(t->h, k, cfg_xstrdup(value)));
	}
	cfg_lline_fini(&ll);
	cfg_buf_fini(&why);
	cfg_buf_fini(&where);
	return 0;
fail:
	cfg_lline_fini(&ll);
	cfg_buf_fini(&why);
	cfg_buf_fini(&where);
	return -1;
}

/* texthash_open - read FILE; a missing file is "open database FILE: ERR" as in Postfix */
static int texthash_open(struct cfg_map *m, struct cfg_diags *diags)
{
	struct cfg_buf src;
	struct cfg_diags tmp;
	int ret;

	cfg_buf_init(&src);
	cfg_diags_init(&tmp);
	if (cfgp_read_source(m->name, NULL, &src, &tmp) < 0) {
		if (strcmp(tmp.v[0].code, "map-read") == 0)
			cfg_diags_add(diags, CFG_SEV_FATAL, tmp.v[0].code, m->name, 0, 0, "%s",
			              tmp.v[0].msg); /* "read NAME: ERR" */
		else
			cfg_diags_add(diags, CFG_SEV_FATAL, tmp.v[0].code, m->name, 0, 0,
			              "open database %s", tmp.v[0].msg + strlen("open "));
		cfg_diags_fini(&tmp);
		cfg_buf_fini(&src);
		return -1;
	}
	cfg_diags_fini(&tmp);
	ret = load(m, src.data, src.len, diags);
	cfg_buf_fini(&src);
	return ret;
}

/* texthash_open_text - the same from memory */
static int texthash_open_text(struct cfg_map *m, const char *text, size_t len,
                              struct cfg_diags *diags)
{
	return load(m, text, len, diags);
}

const struct cfgp_map_ops cfgp_map_texthash_ops = {
    .type = "texthash",
    .open = texthash_open,
    .open_text = texthash_open_text,
    .lookup = cfgp_memtab_lookup,
    .seq = cfgp_memtab_seq,
    .close = cfgp_memtab_close,
};
