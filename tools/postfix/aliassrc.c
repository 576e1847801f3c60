/* aliassrc.c - alias databases read from their aliases(5) source (see aliassrc.h) */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "aliassrc.h"
#include "cfg/base/buf.h"
#include "cfg/base/diag.h"
#include "cfg/base/fileio.h"
#include "cfg/base/strvec.h"
#include "cfg/base/xalloc.h"
#include "cfg/map/map.h"
#include "cfg/schema/tabletype.h"
#include "maps.h"

/*
 * needs_source - the reason to read table type:name from its source (a
 * note's text), or NULL when its NAME.db is fine, or it has no source file
 */
static char *needs_source(const char *type, const char *name, struct stat *src)
{
	const struct cfg_table_type_def *t = cfg_table_type_find(type);
	struct stat idx;
	char *ipath, *why = NULL;

	if (t == NULL || t->file != CFG_TF_INDEXED || t->index[0] == 0 || name[0] != '/'
	    || stat(name, src) != 0 || !S_ISREG(src->st_mode))
		return NULL;
	ipath = cfg_xasprintf("%s%s", name, t->index);
	if (stat(ipath, &idx) != 0 && errno == ENOENT)
		why = cfg_xasprintf("database %s does not exist yet", ipath);
	else if (stat(ipath, &idx) == 0 && src->st_mtime > idx.st_mtime)
		why = cfg_xasprintf("database %s is older than source file %s", ipath, name);
	free(ipath);
	return why;
}

/*
 * build_private - table type:name built from its source as newaliases would,
 * in a temporary directory removed before returning; NULL on failure
 */
static struct cfg_map *build_private(struct mta_conf *c, const char *type, const char *name,
                                     const struct stat *src, struct cfg_diags *diags)
{
	const char *tmp = getenv("TMPDIR");
	char *dir = cfg_xasprintf("%s/postkit-aliases.XXXXXX", tmp && *tmp ? tmp : "/tmp");
	struct cfg_map_build b;
	struct cfg_map *m = NULL;
	struct cfg_buf text;
	char *path = NULL, *db = NULL;

	cfg_buf_init(&text);
	if (cfg_file_read(name, &text, diags) < 0 || mkdtemp(dir) == NULL)
		goto out;
	path = cfg_xasprintf("%s/aliases", dir);
	memset(&b, 0, sizeof(b));
	b.type = type;
	b.path = path;
	b.flags = CFG_MAP_DUP_WARN | CFG_MAP_FOLD;
	b.opts = CFG_MAPB_ALIASES;
	b.mode = 0600;
	b.src = text.data ? text.data : "";
	b.src_len = text.len;
	b.src_name = name;
	b.yp_master = mta_conf_str(c, CFG_P_myhostname);
	b.yp_time = (long)src->st_mtime;
	if (cfg_map_build(&b, diags) == 0
	    && cfg_map_open_type(type, path, CFG_MAP_READ, CFG_MAP_FOLD, &m, diags) < 0)
		m = NULL;
	db = cfg_xasprintf("%s.db", path);
	unlink(db);
	rmdir(dir);
out:
	cfg_buf_fini(&text);
	free(db);
	free(path);
	free(dir);
	return m;
}

int pfx_alias_sources(struct mta_conf *c, int notes)
{
	struct cfg_strvec maps;
	int n = 0;

	cfg_strvec_init(&maps);
	mta_conf_list(c, CFG_P_alias_maps, &maps);
	for (size_t i = 0; i < maps.n; i++) {
		const char *spec = maps.v[i], *colon;
		struct cfg_diags diags;
		struct cfg_map *m;
		struct stat src;
		char *type, *why;

		if (strncmp(spec, "proxy:", 6) == 0)
			spec += 6;
		if ((colon = strchr(spec, ':')) == NULL)
			continue;
		type = cfg_xstrndup(spec, (size_t)(colon - spec));
		why = needs_source(type, colon + 1, &src);
		cfg_diags_init(&diags);
		m = why ? build_private(c, type, colon + 1, &src, &diags) : NULL;
		if (notes && why)
			fprintf(stderr,
			        "postfix: note: %s: %s: %s the source file %s, as \"newaliases\" "
			        "will build it\n",
			        spec, why, m ? "reading" : "cannot read", colon + 1);
		for (size_t k = 0; notes && k < diags.n; k++)
			fprintf(stderr, "postfix: %s: %s\n",
			        diags.v[k].sev >= CFG_SEV_ERROR ? "error" : "warning",
			        diags.v[k].msg);
		if (m) {
			mta_map_put(maps.v[i], m);
			n++;
		}
		cfg_diags_fini(&diags);
		free(why);
		free(type);
	}
	cfg_strvec_fini(&maps);
	return n;
}
