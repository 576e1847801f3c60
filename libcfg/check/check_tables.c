/*
 * check_tables.c - "type:name" lookup table references: the type is one
 * Postfix knows, the table opens (its file or its NAME.db exists, pattern
 * tables parse, in-line tables are well formed; an alias database that
 * newaliases has not built yet is a note before the first start, an error
 * when the configuration is about to run), an indexed table is not
 * older than its source file (Postfix's own warning), table files are
 * named by absolute paths, client configuration files of database tables
 * parse (postconf's scan warns about the settings a client type ignores)
 */
#include "config.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cfg/param/list.h"
#include "cfg/map/map.h"
#include "cfg/schema/restriction.h"
#include "cfg/schema/tabletype.h"
#include "cfg/param/validate.h"
#include "cfg/base/xalloc.h"
#include "check_int.h"

/* is_cache - s names a table a daemon creates (or only lists tables, as proxy_*_maps do) */
static int is_cache(const struct cfgp_setting *s)
{
	const struct cfg_param_def *def = cfg_registry_find(s->name);

	return def != NULL && (def->flags & CFG_PF_CACHE) != 0;
}

/* find_file_type - the row of a type whose NAME is a file (source or index), or NULL */
static const struct cfg_table_type_def *find_file_type(const char *type)
{
	const struct cfg_table_type_def *t = cfg_table_type_find(type);

	return t != NULL && (t->file == CFG_TF_SOURCE || t->file == CFG_TF_INDEXED) ? t : NULL;
}

/*
 * used_by - who uses the table, for the text of its diagnostics: "parameter
 * NAME", and the restriction in a restriction list ("parameter NAME
 * (check_client_access hash:/x)")
 */
static char *used_by(const struct cfgp_setting *s, const char *spec, const struct cfgp_at *at)
{
	const char *prev = at && at->words && at->i > 0 ? at->words[at->i - 1] : NULL;

	if (prev && cfg_restriction_find(prev) != NULL)
		return cfg_xasprintf("parameter %s (%s %s)", s->name, prev, spec);
	return cfg_xasprintf("parameter %s", s->name);
}

/* check_stale - Postfix's warning when the source changed after the index was built */
static void check_stale(struct cfgp_check *ck, const struct cfgp_setting *s, const char *spec,
                        const char *type, const char *name, const struct cfg_table_type_def *ft,
                        const struct cfgp_at *at)
{
	struct stat src, idx;
	char *ipath;

	if (ft->index[0] == 0)
		return;
	ipath = cfg_xasprintf("%s%s", name, ft->index);
	if (stat(name, &src) == 0 && stat(ipath, &idx) == 0 && src.st_mtime > idx.st_mtime) {
		const char *tool = "postmap";

		if (strcmp(s->name, "alias_maps") == 0 || strcmp(s->name, "alias_database") == 0)
			tool = "postalias";
		char *who = used_by(s, spec, at);

		cfgp_check_add_at(
		    ck, CFG_SEV_WARNING, "table-stale", s, spec, cfgp_at_nth(at), 0,
		    "%s: database %s is older than source file %s (lookups use the old "
		    "contents until \"%s %s:%s\" is run)",
		    who, ipath, name, tool, type, name);
		free(who);
	}
	free(ipath);
}

/* in_alias_database - spec (or proxy:spec) is a table of the effective alias_database */
static int in_alias_database(const struct cfgp_check *ck, const char *spec)
{
	struct cfg_buf list;
	struct cfg_strvec words;
	int found = 0;

	cfg_buf_init(&list);
	cfg_strvec_init(&words);
	if (cfgp_check_effective(ck, "alias_database", &list) == 0 && list.data != NULL)
		cfg_list_tokens(list.data, CFG_LIST_SEPARATORS, &words);
	for (size_t i = 0; i < words.n && !found; i++) {
		const char *w = words.v[i];

		found = strcmp(strncmp(w, "proxy:", 6) == 0 ? w + 6 : w, spec) == 0;
	}
	cfg_strvec_fini(&words);
	cfg_buf_fini(&list);
	return found;
}

/*
 * alias_db_missing - spec is a table newaliases builds (listed in
 * alias_database) whose source file NAME exists but whose NAME.db does not
 * yet, as in a fresh copy of a configuration; *ipath is then NAME.db
 */
static int alias_db_missing(const struct cfgp_check *ck, const char *spec, const char *name,
                            const struct cfg_table_type_def *ft, char **ipath)
{
	struct stat st;

	*ipath = NULL;
	if (ft == NULL || ft->index[0] == 0 || name[0] != '/' || access(name, R_OK) != 0)
		return 0;
	*ipath = cfg_xasprintf("%s%s", name, ft->index);
	if (stat(*ipath, &st) == 0 || errno != ENOENT || !in_alias_database(ck, spec)) {
		free(*ipath);
		*ipath = NULL;
		return 0;
	}
	return 1;
}

/*
 * report_alias_db - an alias database newaliases has not built yet: a note
 * for postfix check (a fresh copy before its first start), an error when the
 * configuration is about to run: Postfix's local(8) would defer every
 * message ("alias database unavailable") and smtpd would answer 451
 */
static void report_alias_db(struct cfgp_check *ck, const struct cfgp_setting *s, const char *spec,
                            const struct cfgp_at *at, const char *name, const char *ipath)
{
	const char *dir = ck->config_dir;
	char *who = used_by(s, spec, at);
	/* newaliases -C DIR is refused to users other than root: MAIL_CONFIG works for all */
	char *cmd = strcmp(dir, "/etc/postfix") == 0
	                ? cfg_xstrdup("newaliases")
	                : cfg_xasprintf("MAIL_CONFIG=%s newaliases", dir);

	if (ck->opts->flags & CFG_CHECK_RUN) {
		cfgp_check_add_at(ck, CFG_SEV_ERROR, "table-open", s, spec, cfgp_at_nth(at), 0,
		                  "%s: open database %s: %s: \"%s\" builds it from %s (without it "
		                  "local delivery defers every message: \"alias database "
		                  "unavailable\")",
		                  who, ipath, strerror(ENOENT), cmd, name);
	} else {
		cfgp_check_add_at(ck, CFG_SEV_NOTE, "alias-db-missing", s, spec, cfgp_at_nth(at), 0,
		                  "%s: database %s does not exist yet: \"%s\" builds it from %s "
		                  "(before the queue directory exists: \"postalias -c %s %s\"); "
		                  "postfix start refuses to run without it",
		                  who, ipath, cmd, name, dir, spec);
		/* said once: the tables that list it again ($alias_maps) need not repeat it */
		cfg_htab_put(ck->tables_seen, spec, NULL);
	}
	free(cmd);
	free(who);
}

/* report_open - the diagnostics of opening a table: failures are errors */
static void report_open(struct cfgp_check *ck, const struct cfgp_setting *s, const char *spec,
                        const struct cfgp_at *at, struct cfg_diags *d, int failed)
{
	char *who = used_by(s, spec, at);

	for (size_t i = 0; i < d->n; i++) {
		const struct cfg_diag *x = &d->v[i];
		enum cfg_severity sev =
		    x->sev >= CFG_SEV_ERROR || failed ? CFG_SEV_ERROR : CFG_SEV_WARNING;
		struct cfg_diag *nd;

		if (x->file != NULL && x->line > 0) {
			/* a bad rule in a pattern table: its own file and line */
			nd = cfg_diags_add(ck->diags, sev, "table-content", x->file, x->line,
			                   x->col, "%s", cfgp_check_strip_prefix(x->msg, x->file));
			if (nd != NULL)
				nd->param = cfg_xstrdup(s->name);
			continue;
		}
		cfgp_check_add_at(ck, sev, failed ? "table-open" : "table-content", s, spec,
		                  cfgp_at_nth(at), 0, "%s: %s", who, x->msg);
	}
	free(who);
}

/*
 * check_proxy - a proxy: table that proxy_read_maps does not list: the
 * daemons stop with Postfix's fatal when they open it, so it is an error
 */
static void check_proxy(struct cfgp_check *ck, const struct cfgp_setting *s, const char *spec,
                        const struct cfgp_at *at)
{
	struct cfg_buf approved;
	struct cfg_diags d;

	cfg_buf_init(&approved);
	cfg_diags_init(&d);
	if (cfgp_check_effective(ck, "proxy_read_maps", &approved) == 0
	    && !cfg_map_proxy_approved(spec, CFG_MAP_READ, approved.data ? approved.data : "", "",
	                               0, &d)
	    && d.n > 0)
		cfgp_check_add_at(ck, CFG_SEV_ERROR, "table-proxy", s, spec, cfgp_at_nth(at), 0,
		                  "%s (list %s in proxy_read_maps)", d.v[d.n - 1].msg, spec);
	cfg_diags_fini(&d);
	cfg_buf_fini(&approved);
}

/* check_inner - the tables of unionmap:{...} / pipemap:{...} */
static void check_inner(struct cfgp_check *ck, const struct cfgp_setting *s, const char *spec,
                        const char *name, const struct cfgp_at *at)
{
	struct cfg_strvec words;
	size_t n = strlen(name);
	char *body;

	if (name[0] != '{' || n < 2 || name[n - 1] != '}') {
		cfgp_check_add_at(ck, CFG_SEV_ERROR, "table-syntax", s, spec, cfgp_at_nth(at), 0,
		                  "bad syntax: \"%s\"; need \"%.*s{type:name...}\"", spec,
		                  (int)(strchr(spec, ':') - spec + 1), spec);
		return;
	}
	body = cfg_xstrndup(name + 1, n - 2);
	cfg_strvec_init(&words);
	cfg_list_tokens(body, CFG_LIST_SEPARATORS, &words);
	if (words.n == 0)
		cfgp_check_add_at(ck, CFG_SEV_ERROR, "table-syntax", s, spec, cfgp_at_nth(at), 0,
		                  "bad syntax: \"%s\": no tables inside the braces", spec);
	for (size_t i = 0; i < words.n; i++) {
		struct cfgp_at wat = {words.v, i};

		cfgp_check_table(ck, s, words.v[i], &wat);
	}
	cfg_strvec_fini(&words);
	free(body);
}

void cfgp_check_table(struct cfgp_check *ck, const struct cfgp_setting *s, const char *spec,
                      const struct cfgp_at *at)
{
	const char *colon = strchr(spec, ':'), *name, *hint;
	const struct cfg_table_type_def *ft, *tt;
	struct cfg_map *m = NULL;
	struct cfg_diags d;
	size_t before = (size_t)-1;
	char *type, *ipath;
	int rc;

	if (colon == NULL || colon == spec || colon[1] == 0) {
		cfgp_check_add_at(ck, CFG_SEV_ERROR, "table-syntax", s, spec, cfgp_at_nth(at), 0,
		                  "open dictionary: expecting \"type:name\" form instead of \"%s\"",
		                  spec);
		return;
	}
	/* a table referenced again (restriction classes...) is opened once when it is fine */
	if (!is_cache(s) && strcmp(s->name, "alias_database") != 0) {
		if (cfg_htab_has(ck->tables_seen, spec))
			return;
		before = ck->diags->n;
	}
	type = cfg_xstrndup(spec, (size_t)(colon - spec));
	name = colon + 1;
	if (strcmp(type, "proxy") == 0) {
		if (!is_cache(s))
			check_proxy(ck, s, spec, at);
		cfgp_check_table(ck, s, name, NULL);
		goto out;
	}
	if ((tt = cfg_table_type_find(type)) == NULL) {
		hint = cfg_check_suggest(type, cfg_table_type_names());
		cfgp_check_add_at(ck, CFG_SEV_ERROR, "table-type", s, spec, cfgp_at_nth(at), 0,
		                  "unsupported dictionary type: %s%s%s%s", type,
		                  hint ? " (did you mean \"" : "", hint ? hint : "",
		                  hint ? "\"?)" : "");
		goto out;
	}
	if (!tt->impl) {
		cfgp_check_add_at(
		    ck, CFG_SEV_ERROR, "unsupported-table-type", s, spec, cfgp_at_nth(at), 0,
		    "table %s: type %s is not implemented by postkit (%s)", spec, type, tt->note);
		goto out;
	}
	if (strcmp(type, "unionmap") == 0 || strcmp(type, "pipemap") == 0) {
		check_inner(ck, s, spec, name, at);
		goto out;
	}
	ft = find_file_type(type);
	if (is_cache(s))
		goto out;
	if (strcmp(s->name, "alias_database") == 0 && ft != NULL && ft->index[0] != 0) {
		/* newaliases builds NAME.db from NAME: the source must exist */
		if (name[0] == '/' && access(name, R_OK) != 0)
			cfgp_check_add_at(ck, CFG_SEV_ERROR, "table-open", s, spec, cfgp_at_nth(at),
			                  0, "parameter %s: open %s: %s", s->name, name,
			                  strerror(errno));
		else if (name[0] == '/')
			check_stale(ck, s, spec, type, name, ft, at);
		goto out;
	}
	if (ft != NULL && name[0] != '/') {
		cfgp_check_add_at(ck, CFG_SEV_WARNING, "table-relative", s, spec, cfgp_at_nth(at),
		                  0,
		                  "table %s: \"%s\" is not an absolute path name; Postfix daemons "
		                  "resolve it from the queue directory",
		                  spec, name);
		goto out;
	}
	if (alias_db_missing(ck, spec, name, ft, &ipath)) {
		report_alias_db(ck, s, spec, at, name, ipath);
		free(ipath);
		goto out;
	}
	cfg_diags_init(&d);
	rc = cfg_map_open(spec, CFG_MAP_READ, CFG_MAP_CHECK, &m, &d);
	report_open(ck, s, spec, at, &d, rc < 0);
	cfg_diags_fini(&d);
	cfg_map_free(m);
	if (rc == 0 && ft != NULL)
		check_stale(ck, s, spec, type, name, ft, at);
out:
	if (before != (size_t)-1 && ck->diags->n == before)
		cfg_htab_put(ck->tables_seen, spec, NULL);
	free(type);
}

void cfgp_check_table_list(struct cfgp_check *ck, const struct cfgp_setting *s,
                           const char *expanded, int all)
{
	struct cfg_strvec words;

	cfg_strvec_init(&words);
	cfg_list_tokens(expanded, CFG_LIST_SEPARATORS, &words);
	for (size_t i = 0; i < words.n; i++) {
		const char *w = words.v[i];

		if (w[0] == '!')
			w++;
		if (all || (strchr(w, ':') != NULL && w[0] != '[')) {
			struct cfgp_at at = {words.v, i};

			cfgp_check_table(ck, s, w, &at);
		}
	}
	cfg_strvec_fini(&words);
}
