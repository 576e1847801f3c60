/* map_build.c - build or update a table from postmap/postalias source text (see cfg/map.h) */
#include "config.h"

#include <stdio.h>
#include <string.h>

#include "cfg/base/lines.h"
#include "cfg/map/map.h"
#include "cfg/base/xalloc.h"
#include "map_int.h"

/* warnings - how many warnings diags holds */
static size_t warnings(const struct cfg_diags *diags)
{
	size_t n = 0;

	for (size_t i = 0; diags && i < diags->n; i++)
		if (diags->v[i].sev == CFG_SEV_WARNING)
			n++;
	return n;
}

/* store - update the table; a failure is Postfix's fatal "write error" */
static int store(struct cfg_map *m, const char *key, const char *value, struct cfg_diags *diags)
{
	if (cfg_map_update(m, key, value, diags) >= 0)
		return 0;
	if (diags && diags->n && diags->v[diags->n - 1].sev == CFG_SEV_FATAL)
		return -1;
	cfg_diags_add(diags, CFG_SEV_FATAL, "map-write", NULL, 0, 0, "table %s: write error: %s",
	              cfg_map_label(m), cfg_map_error(m));
	return -1;
}

/* add_entries - parse the logical lines of text into m */
static int add_entries(const struct cfg_map_build *b, struct cfg_map *m, const char *srcname,
                       const char *text, size_t len, struct cfg_diags *diags)
{
	struct cfg_lines lr;
	struct cfg_lline ll;
	struct cfg_buf why, key, value;
	int ret = 0;

	cfg_lines_init(&lr, text, len);
	cfg_lline_init(&ll);
	cfg_buf_init(&why);
	cfg_buf_init(&key);
	cfg_buf_init(&value);
	while (ret == 0 && cfgp_mapsrc_next(&lr, &ll, srcname, diags)) {
		unsigned line = ll.first;

		if ((b->flags & CFG_MAP_UTF8) && !cfg_map_utf8_valid(ll.text.data, ll.text.len)) {
			cfg_diags_add(diags, CFG_SEV_WARNING, "map-utf8", srcname, line, 0,
			              "%s, line %u: non-UTF-8 input \"%s\" -- ignoring this line",
			              srcname, line, ll.text.data);
			continue;
		}
		cfg_buf_reset(&why);
		if (b->opts & CFG_MAPB_ALIASES) {
			cfg_buf_reset(&key);
			cfg_buf_reset(&value);
			if (!cfg_alias_parse(ll.text.data, &key, &value, &why)) {
				cfg_diags_add(diags, CFG_SEV_WARNING, "alias-syntax", srcname, line,
				              0, "%s, line %u: %s", srcname, line, why.data);
				continue;
			}
			ret = store(m, key.data, value.data, diags);
		} else {
			char *k, *v;
			int aliasfmt;

			if (!cfgp_mapsrc_split(ll.text.data, &k, &v, &aliasfmt, &why)) {
				cfg_diags_add(diags, CFG_SEV_WARNING, "map-syntax", srcname, line,
				              0, "%s, line %u: %s", srcname, line, why.data);
				continue;
			}
			if (aliasfmt)
				cfg_diags_add(
				    diags, CFG_SEV_WARNING, "map-alias-format", srcname, line, 0,
				    "%s, line %u: record is in \"key: value\" format; is this "
				    "an alias file?",
				    srcname, line);
			ret = store(m, k, v, diags);
		}
	}
	cfg_lline_fini(&ll);
	cfg_buf_fini(&why);
	cfg_buf_fini(&key);
	cfg_buf_fini(&value);
	return ret;
}

/* add_signatures - postalias's sendmail "@" record and NIS YP_* records */
static int add_signatures(const struct cfg_map_build *b, struct cfg_map *m, struct cfg_diags *diags)
{
	unsigned flags = cfg_map_flags(m);
	char stamp[32];

	if (b->src != NULL)
		flags = (flags & ~(CFG_MAP_DUP_WARN | CFG_MAP_DUP_IGNORE)) | CFG_MAP_DUP_REPLACE;
	cfg_map_set_flags(m, flags);
	if (store(m, "@", "@", diags) < 0)
		return -1;
	if (b->yp_master == NULL)
		return 0;
	/* NIS wants these without a trailing NUL, and not folded */
	flags = (cfg_map_flags(m) & ~(CFG_MAP_TRY1NULL | CFG_MAP_FOLD)) | CFG_MAP_TRY0NULL;
	cfg_map_set_flags(m, flags);
	snprintf(stamp, sizeof(stamp), "%010ld", b->yp_time);
	if (store(m, "YP_LAST_MODIFIED", stamp, diags) < 0)
		return -1;
	return store(m, "YP_MASTER_NAME", b->yp_master, diags);
}

int cfg_map_build(const struct cfg_map_build *b, struct cfg_diags *diags)
{
	struct cfg_buf src;
	struct cfg_map *m = NULL;
	const char *text, *srcname;
	size_t len, before = warnings(diags);
	int ret = -1;

	cfg_buf_init(&src);
	/* Postfix knows proxy: but cannot build through it */
	if (strcmp(b->type, "proxy") == 0) {
		cfg_diags_add(diags, CFG_SEV_FATAL, "map-proxy", NULL, 0, 0,
		              b->src
		                  ? "unsupported dictionary type: proxy does not support bulk-mode "
		                    "creation."
		                  : "can't create maps via the proxy service");
		goto out;
	}
	if (b->src != NULL) {
		text = b->src;
		len = b->src_len;
		srcname = b->src_name ? b->src_name : "stdin";
	} else {
		if (cfgp_read_source(b->path, NULL, &src, diags) < 0)
			goto out;
		text = src.data;
		len = src.len;
		srcname = b->path;
	}
	if (cfg_map_open_type(b->type, b->path, b->src ? CFG_MAP_CREATE : CFG_MAP_BUILD,
	                      b->flags | CFG_MAP_LOCK, &m, diags)
	    < 0)
		goto out;
	if (add_entries(b, m, srcname, text, len, diags) < 0)
		goto out;
	if ((b->opts & CFG_MAPB_ALIASES) && add_signatures(b, m, diags) < 0)
		goto out;
	if ((b->opts & CFG_MAPB_STRICT) && warnings(diags) > before) {
		size_t n = warnings(diags) - before;

		cfg_diags_add(diags, CFG_SEV_FATAL, "map-strict", srcname, 0, 0,
		              "%s: %zu warning%s with --strict: table %s:%s not changed", srcname,
		              n, n == 1 ? "" : "s", b->type, b->path);
		goto out;
	}
	if (cfg_map_commit(m, b->mode, diags) < 0)
		goto out;
	ret = 0;
out:
	cfg_map_free(m);
	cfg_buf_fini(&src);
	return ret;
}
