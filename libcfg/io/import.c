/*
 * import.c - settings from an export document applied to main.cf and master.cf texts
 *
 * import_read.c turns the document into settings; this file computes the
 * new file texts (main.cf through the postconf -e/-X editor, master.cf
 * entry by entry), then loads the result as a configuration and checks
 * every imported setting against the registry: a name nothing knows, a
 * value of the wrong type, a read-only parameter.  Only when all of that
 * passes is a result returned.
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "cfg/base/buf.h"
#include "cfg/config/effective.h"
#include "cfg/doc/edit.h"
#include "cfg/io/import.h"
#include "cfg/doc/maincf.h"
#include "cfg/doc/mastercf.h"
#include "cfg/schema/registry.h"
#include "cfg/base/strvec.h"
#include "cfg/param/validate.h"
#include "cfg/base/xalloc.h"
#include "../doc/edit_int.h"
#include "import_int.h"

/* copy_diags - move src into dst, errors instead of fatals, with file set to path when unset */
static void copy_diags(struct cfg_diags *dst, const struct cfg_diags *src, const char *path)
{
	for (size_t i = 0; i < src->n; i++) {
		const struct cfg_diag *d = &src->v[i];
		enum cfg_severity sev = d->sev == CFG_SEV_FATAL ? CFG_SEV_ERROR : d->sev;

		cfg_diags_add(dst, sev, d->code, d->file ? d->file : path, d->line, d->col, "%s",
		              d->msg);
	}
}

/* run_edit - apply postconf -e (or -X) requests args to text; 0 or -1 */
static int run_edit(enum cfg_edit_mode mode, struct cfg_strvec *args, const char *path,
                    struct cfg_buf *text, struct cfg_diags *diags)
{
	struct cfg_edit *ed = NULL;
	struct cfg_diags tmp;
	struct cfg_buf out;
	int rc = -1;

	if (args->n == 0)
		return 0;
	cfg_diags_init(&tmp);
	cfg_buf_init(&out);
	cfg_buf_adds(&out, "");
	if (cfg_edit_parse(CFG_EDIT_MAIN, mode, args->v, args->n, &ed, &tmp) == 0
	    && cfg_edit_apply(ed, path, text->data ? text->data : "", text->len, &out, &tmp) == 0) {
		cfg_buf_reset(text);
		cfg_buf_add(text, out.data, out.len);
		rc = 0;
	}
	copy_diags(diags, &tmp, path);
	cfg_edit_free(ed);
	cfg_buf_fini(&out);
	cfg_diags_fini(&tmp);
	return rc;
}

/* plan_main - the new main.cf text */
static int plan_main(const struct cfgp_imp_model *m, unsigned flags, const char *path,
                     const struct cfg_buf *old, struct cfg_import *imp, struct cfg_diags *diags)
{
	struct cfg_maincf *doc = NULL;
	struct cfg_strvec set, del;
	struct cfg_htab *named = cfg_htab_new(m->nparams + 1);
	int rc = 0;

	cfg_strvec_init(&set);
	cfg_strvec_init(&del);
	cfg_maincf_parse(path, old ? old->data : "", old ? old->len : 0, &doc, NULL);
	for (size_t i = 0; i < m->nparams; i++) {
		const struct cfgp_imp_param *p = &m->params[i];
		const char *cur = cfg_maincf_value(doc, p->name);

		cfg_htab_put(named, p->name, NULL);
		if (cur == NULL || strcmp(cur, p->value) != 0)
			cfg_strvec_take(&set, cfg_xasprintf("%s=%s", p->name, p->value));
	}
	if (flags & CFG_IMPORT_REPLACE) {
		struct cfg_htab *seen = cfg_htab_new(16);

		for (size_t i = 0; i < doc->nents; i++) {
			const char *name = doc->ents[i].name;

			if (!cfg_htab_has(named, name) && !cfg_htab_has(seen, name)) {
				cfg_htab_put(seen, name, NULL);
				cfg_strvec_add(&del, name);
			}
		}
		cfg_htab_free(seen, NULL);
	}
	cfg_buf_adds(&imp->main_new, "");
	if (old != NULL)
		cfg_buf_add(&imp->main_new, old->data, old->len);
	if (run_edit(CFG_EDIT_SET, &set, path, &imp->main_new, diags) < 0
	    || run_edit(CFG_EDIT_REMOVE, &del, path, &imp->main_new, diags) < 0)
		rc = -1;
	imp->params_set = (unsigned)set.n;
	imp->params_removed = (unsigned)del.n;
	imp->main_changed = old == NULL || old->len != imp->main_new.len
	                    || memcmp(old->data, imp->main_new.data, old->len) != 0;
	cfg_htab_free(named, NULL);
	cfg_strvec_fini(&set);
	cfg_strvec_fini(&del);
	cfg_maincf_free(doc);
	return rc;
}

/* same_argv - two word lists are equal */
static int same_argv(const struct cfg_strvec *a, const struct cfg_strvec *b)
{
	if (a->n != b->n)
		return 0;
	for (size_t i = 0; i < a->n; i++)
		if (strcmp(a->v[i], b->v[i]) != 0)
			return 0;
	return 1;
}

/* reparses_as - text, read back as a master.cf entry, gives exactly argv */
static int reparses_as(const char *text, const struct cfg_strvec *argv)
{
	struct cfg_strvec back;
	char *line = cfg_xstrdup(text);
	size_t n = strlen(line);
	int ok;

	/* read as the file reader hands it over: a logical line without its newline */
	if (n > 0 && line[n - 1] == '\n')
		line[n - 1] = 0;
	cfg_strvec_init(&back);
	ok = cfgp_master_parse(line, &back, NULL) == NULL && same_argv(&back, argv);
	cfg_strvec_fini(&back);
	free(line);
	return ok;
}

/*
 * render_entry - append argv as a master.cf entry: postconf -Me's layout
 * when that reads back as the same words, else every awkward word in
 * braces; -1 (error reported) when no text can hold the words
 */
static int render_entry(const struct cfgp_imp_model *m, const struct cfgp_imp_service *s,
                        struct cfg_buf *out)
{
	struct cfg_buf b;
	int rc = 0;

	cfg_buf_init(&b);
	cfgp_master_print(&s->argv, 1, &b);
	if (!reparses_as(b.data, &s->argv)) {
		cfg_buf_reset(&b);
		for (size_t i = 0; i < s->argv.n; i++) {
			const char *w = s->argv.v[i];
			int wrap =
			    i > 7 && (*w == 0 || w[strcspn(w, CFGP_BLANKS)] != 0 || *w == '{');

			if (i > 0)
				cfg_buf_adds(&b, i > 7 ? "\n    " : " ");
			cfg_buf_printf(&b, wrap ? "{ %s }" : "%s", w);
		}
		cfg_buf_addc(&b, '\n');
		if (!reparses_as(b.data, &s->argv)) {
			cfgp_imp_error(m, s->node, "import-value",
			               "%s: the arguments cannot be written as a master.cf entry "
			               "(unbalanced braces?)",
			               s->label);
			rc = -1;
		}
	}
	if (rc == 0)
		cfg_buf_add(out, b.data, b.len);
	cfg_buf_fini(&b);
	return rc;
}

/* service_key - "name/type#occurrence" of argv, counting in seen */
static char *service_key(const char *name, const char *type, struct cfg_htab *seen)
{
	char *base = cfg_xasprintf("%s/%s", name, type);
	size_t k = (size_t)cfg_htab_get(seen, base);
	char *key;

	cfg_htab_put(seen, base, (void *)(k + 1));
	key = cfg_xasprintf("%s#%zu", base, k);
	free(base);
	return key;
}

/* old_argv - the seven fields and the command words of an existing entry */
static void old_argv(const struct cfg_service *svc, struct cfg_strvec *out)
{
	for (int f = 0; f < CFG_MF_COMMAND; f++)
		cfg_strvec_add(out, svc->field[f]);
	for (size_t i = 0; i < svc->argv.n; i++)
		cfg_strvec_add(out, svc->argv.v[i]);
}

/*
 * in_document_order - 1 when keeping the file's entries where they are and
 * appending the new ones gives the document's order (want: service key ->
 * document index + 1)
 */
static int in_document_order(const struct cfgp_imp_model *m, const struct cfg_mastercf *doc,
                             const struct cfg_htab *want)
{
	struct cfg_htab *seen = cfg_htab_new(16);
	size_t last = 0, kept = 0;
	int ok = 1;

	for (size_t i = 0; i < doc->nsvcs && ok; i++) {
		const struct cfg_service *svc = &doc->svcs[i];
		char *key = service_key(svc->field[CFG_MF_SERVICE], svc->field[CFG_MF_TYPE], seen);
		size_t j = (size_t)cfg_htab_get(want, key);

		free(key);
		if (j == 0)
			continue;
		ok = j > last;
		last = j;
		kept++;
	}
	cfg_htab_free(seen, NULL);
	/* the kept ones in order and first: then the new ones come after them */
	return ok && last == kept && kept <= m->nsvcs;
}

/*
 * plan_master - the new master.cf text: services matched by name, type and
 * occurrence; with CFG_IMPORT_REPLACE also in the document's order
 */
static int plan_master(const struct cfgp_imp_model *m, unsigned flags, const char *path,
                       const struct cfg_buf *old, struct cfg_import *imp)
{
	struct cfg_mastercf *doc = NULL;
	struct cfg_htab *want = cfg_htab_new(m->nsvcs + 1), *seen = cfg_htab_new(16);
	struct cfg_htab *have = cfg_htab_new(16), *seen2 = cfg_htab_new(16);
	struct cfg_buf *out = &imp->master_new;
	const char *text = old ? old->data : "";
	size_t pos = 0;
	char *used;
	int rc = 0, reorder = 0;

	cfg_mastercf_parse(path, text, old ? old->len : 0, &doc, NULL);
	used = cfg_xcalloc(m->nsvcs + 1, 1);
	for (size_t j = 0; j < m->nsvcs; j++) {
		char *key = service_key(m->svcs[j].argv.v[0], m->svcs[j].argv.v[1], seen);

		cfg_htab_put(want, key, (void *)(j + 1));
		free(key);
	}
	cfg_htab_free(seen, NULL);
	seen = cfg_htab_new(16);
	for (size_t i = 0; i < doc->nsvcs; i++) {
		const struct cfg_service *svc = &doc->svcs[i];
		char *key = service_key(svc->field[CFG_MF_SERVICE], svc->field[CFG_MF_TYPE], seen);

		cfg_htab_put(have, key, (void *)(i + 1));
		free(key);
	}
	cfg_htab_free(seen, NULL);
	seen = cfg_htab_new(16);
	if (flags & CFG_IMPORT_REPLACE)
		reorder = !in_document_order(m, doc, want);
	cfg_buf_adds(out, "");
	for (size_t i = 0; i < doc->nsvcs; i++) {
		const struct cfg_service *svc = &doc->svcs[i];
		char *key = service_key(svc->field[CFG_MF_SERVICE], svc->field[CFG_MF_TYPE], seen);
		size_t j = (size_t)cfg_htab_get(want, key);
		struct cfg_strvec cur;

		free(key);
		cfg_buf_add(out, text + pos, svc->start - pos);
		pos = svc->end;
		if (reorder) {
			/*
			 * The file's i-th entry becomes the document's i-th service, so the
			 * order is the document's; comments stay where they are, and an
			 * unchanged service keeps its own bytes wherever it was.
			 */
			const struct cfgp_imp_service *s = &m->svcs[i];
			size_t k;

			if (i >= m->nsvcs) {
				imp->services_removed++;
				continue;
			}
			used[i] = 1;
			key = service_key(s->argv.v[0], s->argv.v[1], seen2);
			k = (size_t)cfg_htab_get(have, key);
			free(key);
			cfg_strvec_init(&cur);
			if (k > 0)
				old_argv(&doc->svcs[k - 1], &cur);
			if (k > 0 && same_argv(&cur, &s->argv)) {
				cfg_buf_add(out, text + doc->svcs[k - 1].start,
				            doc->svcs[k - 1].end - doc->svcs[k - 1].start);
			} else {
				if (render_entry(m, s, out) < 0)
					rc = -1;
				imp->services_changed++;
			}
			cfg_strvec_fini(&cur);
			continue;
		}
		if (j == 0) {
			if (flags & CFG_IMPORT_REPLACE)
				imp->services_removed++;
			else
				cfg_buf_add(out, text + svc->start, svc->end - svc->start);
			continue;
		}
		used[j - 1] = 1;
		cfg_strvec_init(&cur);
		old_argv(svc, &cur);
		if (same_argv(&cur, &m->svcs[j - 1].argv)) {
			cfg_buf_add(out, text + svc->start, svc->end - svc->start);
		} else {
			if (render_entry(m, &m->svcs[j - 1], out) < 0)
				rc = -1;
			imp->services_changed++;
		}
		cfg_strvec_fini(&cur);
	}
	if (old != NULL)
		cfg_buf_add(out, text + pos, old->len - pos);
	for (size_t j = 0; j < m->nsvcs; j++) {
		if (used[j])
			continue;
		cfgp_end_line(out);
		if (render_entry(m, &m->svcs[j], out) < 0)
			rc = -1;
		imp->services_added++;
	}
	imp->master_changed =
	    old == NULL || old->len != out->len || memcmp(old->data, out->data, old->len) != 0;
	free(used);
	cfg_htab_free(want, NULL);
	cfg_htab_free(have, NULL);
	cfg_htab_free(seen, NULL);
	cfg_htab_free(seen2, NULL);
	cfg_mastercf_free(doc);
	return rc;
}

/* lookup - the expander's view of the imported configuration */
static const char *lookup(void *ctx, const char *name)
{
	return cfg_config_value(ctx, name);
}

/* check_setting - the registry's verdict on one imported setting; 0 or -1 */
static int check_setting(const struct cfgp_imp_model *m, const struct cfg_config *cfg,
                         unsigned flags, const char *where, const struct cfgp_imp_param *p)
{
	const struct cfg_param_def *def = cfg_registry_find(p->name);
	struct cfg_expand ex = {.lookup = lookup, .ctx = (void *)cfg};
	struct cfg_diags tmp;
	int rc = 0;

	if (flags & CFG_IMPORT_FORCE)
		return 0;
	if (def != NULL && (def->flags & CFG_PF_READONLY)) {
		cfgp_imp_error(m, p->node, "import-readonly",
		               "%s: %s is read-only: Postfix sets it for each process", where,
		               p->name);
		return -1;
	}
	if (!cfg_config_is_used(cfg, p->name) && !cfg_htab_has(m->user_defined, p->name)) {
		cfgp_imp_error(
		    m, p->node, "import-unknown",
		    "%s: unknown parameter %s: not a Postfix 3.7 parameter, not defined "
		    "by a master.cf service, and no other setting refers to $%s (list it "
		    "under user_defined to keep it anyway)",
		    where, p->name, p->name);
		return -1;
	}
	cfg_diags_init(&tmp);
	if (cfg_validate_param(p->name, p->value, &ex, NULL, 0, &tmp) < 0) {
		for (size_t i = 0; i < tmp.n; i++) {
			const char *msg = tmp.v[i].msg;
			size_t n = strlen("parameter ") + strlen(p->name);

			/* the path already names the parameter */
			if (strncmp(msg, "parameter ", 10) == 0
			    && strncmp(msg + 10, p->name, n - 10) == 0
			    && strncmp(msg + n, ": ", 2) == 0)
				msg += n + 2;
			cfgp_imp_error(m, p->node, tmp.v[i].code, "%s: %s", where, msg);
		}
		rc = -1;
	}
	cfg_diags_fini(&tmp);
	return rc;
}

/* check_result - load the new texts as a configuration and check every imported setting */
static int check_result(const struct cfgp_imp_model *m, unsigned flags, const char *config_dir,
                        const struct cfg_buf *main_text, const struct cfg_buf *master_text,
                        struct cfg_diags *diags)
{
	struct cfg_load_opts lo = {0};
	struct cfg_config *cfg = NULL;
	struct cfg_diags tmp;
	int bad = 0;

	lo.flags = CFG_LOAD_TEXTS;
	lo.main_text = main_text->data;
	lo.main_len = main_text->len;
	lo.master_text = master_text ? master_text->data : NULL;
	lo.master_len = master_text ? master_text->len : 0;
	cfg_diags_init(&tmp);
	if (cfg_config_open(config_dir, &lo, &cfg, &tmp) < 0) {
		for (size_t i = 0; i < tmp.n; i++)
			if (tmp.v[i].sev >= CFG_SEV_ERROR)
				cfg_diags_add(
				    diags, CFG_SEV_ERROR, tmp.v[i].code, tmp.v[i].file,
				    tmp.v[i].line, tmp.v[i].col,
				    "the configuration after the import would not load: %s",
				    tmp.v[i].msg);
		cfg_diags_fini(&tmp);
		return -1;
	}
	cfg_diags_fini(&tmp);
	for (size_t i = 0; i < m->nparams; i++) {
		char *where = cfg_xasprintf("main.%s", m->params[i].name);

		bad += check_setting(m, cfg, flags, where, &m->params[i]) < 0;
		free(where);
	}
	for (size_t j = 0; j < m->nsvcs; j++) {
		const struct cfgp_imp_service *s = &m->svcs[j];

		for (size_t k = 0; k < s->novr; k++) {
			char *where = cfg_xasprintf("%s.overrides.%s", s->label, s->ovr[k].name);

			bad += check_setting(m, cfg, flags, where, &s->ovr[k]) < 0;
			free(where);
		}
	}
	cfg_config_free(cfg);
	return bad ? -1 : 0;
}

/* cfg_import_plan - compute an import */
int cfg_import_plan(const char *text, size_t len, const char *source, unsigned flags,
                    const char *config_dir, const struct cfg_buf *main_old,
                    const struct cfg_buf *master_old, struct cfg_import **out,
                    struct cfg_diags *diags)
{
	struct cfgp_imp_model m;
	struct cfg_import *imp = cfg_xcalloc(1, sizeof(*imp));
	char *main_path = cfg_xasprintf("%s/main.cf", config_dir);
	char *master_path = cfg_xasprintf("%s/master.cf", config_dir);
	int rc = -1;

	*out = NULL;
	cfg_buf_init(&imp->main_new);
	cfg_buf_init(&imp->master_new);
	if (cfgp_imp_read(text, len, source, &m, diags) < 0)
		goto done;
	if (plan_main(&m, flags, main_path, main_old, imp, diags) < 0)
		goto done;
	if (m.has_master && plan_master(&m, flags, master_path, master_old, imp) < 0)
		goto done;
	if (check_result(&m, flags, config_dir, &imp->main_new,
	                 m.has_master ? &imp->master_new : master_old, diags)
	    < 0)
		goto done;
	*out = imp;
	imp = NULL;
	rc = 0;
done:
	cfgp_imp_model_fini(&m);
	cfg_import_free(imp);
	free(main_path);
	free(master_path);
	return rc;
}

/* cfg_import_free - free a result */
void cfg_import_free(struct cfg_import *imp)
{
	if (imp == NULL)
		return;
	cfg_buf_fini(&imp->main_new);
	cfg_buf_fini(&imp->master_new);
	free(imp);
}
