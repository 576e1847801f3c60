/*
 * edit.c - postconf -e/-X/-# and -Me/-MX/-M#/-Fe/-Pe/-PX
 *
 * Parse the arguments (libcfg/edit), check new values against their types
 * (libcfg/validate; --force skips this), then lock, read, edit and
 * atomically replace the file.  Any refused argument means nothing is
 * written.  Messages are Postfix's.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cfg/doc/edit.h"
#include "cfg/base/fileio.h"
#include "cfg/doc/mastercf.h"
#include "cfg/base/strvec.h"
#include "cfg/param/validate.h"
#include "cfg/base/xalloc.h"
#include "edit_priv.h"
#include "postconf_edit.h"

const char *pcf_ed_progname(void)
{
	extern char *program_invocation_name;

	return program_invocation_name && *program_invocation_name ? program_invocation_name
	                                                           : "postconf";
}

const char *pcf_ed_config_dir(const char *config_dir)
{
	const char *env;

	if (config_dir != NULL)
		return config_dir;
	if ((env = getenv("MAIL_CONFIG")) != NULL && *env)
		return env;
	return "/etc/postfix";
}

void pcf_ed_print_diags(FILE *fp, const struct cfg_diags *ds)
{
	size_t i;

	fflush(stdout);
	for (i = 0; i < ds->n; i++) {
		const struct cfg_diag *d = &ds->v[i];
		const char *c;

		/* Postfix's logger shows bytes outside printable ASCII as '?' */
		fprintf(fp, "%s: %s: ", pcf_ed_progname(), cfg_severity_name(d->sev));
		for (c = d->msg; *c; c++)
			fputc(*c >= 0x20 && *c < 0x7f ? *c : '?', fp);
		fputc('\n', fp);
	}
	fflush(fp);
}

/* pcf_ed_load - cfg_config_load() printing its fatal problem; NULL on failure */
struct cfg_config *pcf_ed_load(const char *dir)
{
	struct cfg_config *cfg = NULL;
	struct cfg_diags ds, fatal;
	size_t i;

	cfg_diags_init(&ds);
	cfg_diags_init(&fatal);
	if (cfg_config_load(dir, 0, &cfg, &ds) < 0) {
		for (i = 0; i < ds.n; i++)
			if (ds.v[i].sev >= CFG_SEV_FATAL)
				cfg_diags_add(&fatal, ds.v[i].sev, ds.v[i].code, NULL, 0, 0, "%s",
				              ds.v[i].msg);
		pcf_ed_print_diags(stderr, &fatal);
		cfg_config_free(cfg);
		cfg = NULL;
	}
	cfg_diags_fini(&ds);
	cfg_diags_fini(&fatal);
	return cfg;
}

/* lookup - expansion callback: pending edits, then the configuration, then the registry */
static const char *lookup(void *ctx, const char *name)
{
	struct pcf_ed_lookup *lk = ctx;
	const struct cfg_param_def *def;
	size_t i;

	if (lk->svc != NULL) {
		for (i = lk->svc->novr; i-- > 0;)
			if (strcmp(lk->svc->ovr[i].name, name) == 0)
				return lk->svc->ovr[i].value;
		/* what the master daemon tells the service it runs */
		if (strcmp(name, "service_name") == 0)
			return lk->svc->field[CFG_MF_SERVICE];
	}
	for (i = lk->n; i-- > 0;)
		if (strcmp(lk->names[i], name) == 0) {
			if (lk->values[i] != NULL)
				return lk->values[i];
			break; /* removed: fall back to the default */
		}
	if (lk->cfg != NULL) {
		if (i == (size_t)-1)
			return cfg_config_value(lk->cfg, name);
		return cfg_config_default(lk->cfg, name);
	}
	def = cfg_registry_find(name);
	return def ? def->defval : NULL;
}

void pcf_ed_lookup_init(struct pcf_ed_lookup *lk, const struct cfg_config *cfg,
                        const char *const *names, const char *const *values, size_t n)
{
	lk->cfg = cfg;
	lk->names = names;
	lk->values = values;
	lk->n = n;
	lk->svc = NULL;
	lk->ex.lookup = lookup;
	lk->ex.undefined = NULL;
	lk->ex.ctx = lk;
}

/* check_overrides - the -o name=value settings inside an entry or command text */
static size_t check_overrides(const char *text, const struct cfg_expand *ex,
                              struct cfg_diags *diags)
{
	struct cfg_strvec nv;
	size_t i, bad = 0;

	cfg_strvec_init(&nv);
	cfg_edit_entry_overrides(text, &nv);
	for (i = 0; i + 1 < nv.n; i += 2)
		if (cfg_validate_param(nv.v[i], nv.v[i + 1], ex, NULL, 0, diags) < 0)
			bad++;
	cfg_strvec_fini(&nv);
	return bad;
}

size_t pcf_ed_check_edit(const struct cfg_edit *ed, const struct cfg_expand *ex,
                         struct cfg_diags *diags)
{
	size_t i, bad = 0;

	if (ed->mode != CFG_EDIT_SET)
		return 0;
	for (i = 0; i < ed->nreqs; i++) {
		const struct cfg_edit_req *r = &ed->reqs[i];

		switch (ed->what) {
		case CFG_EDIT_MAIN:
			bad += cfg_validate_param(r->name, r->value, ex, NULL, 0, diags) < 0;
			break;
		case CFG_EDIT_PARAM:
			bad += cfg_validate_param(r->sub, r->value, ex, NULL, 0, diags) < 0;
			break;
		case CFG_EDIT_ENTRY:
			bad += check_overrides(r->value, ex, diags);
			break;
		case CFG_EDIT_FIELD:
			if (r->field == CFG_MF_COMMAND) {
				/* give the command the seven fields it follows, for the parser */
				char *entry = cfg_xasprintf("x unix - - - - - %s", r->value);

				bad += check_overrides(entry, ex, diags);
				free(entry);
			}
			break;
		}
	}
	return bad;
}

/* open_error - Postfix's words when the file cannot be edited */
static int open_error(const char *path, struct cfg_diags *diags)
{
	char *dir = cfg_xstrdup(path), *slash = strrchr(dir, '/');
	struct stat st;
	int saved = errno;

	if (slash != NULL)
		*(slash == dir ? slash + 1 : slash) = 0;
	else
		dir[0] = '.', dir[1] = 0;
	/* Postfix creates PATH.tmp first, so a missing directory is reported on that name */
	if (stat(dir, &st) < 0)
		cfg_diags_add(diags, CFG_SEV_FATAL, "file-open", path, 0, 0, "open %s.tmp: %s",
		              path, strerror(errno));
	else
		cfg_diags_add(diags, CFG_SEV_FATAL, "file-open", path, 0, 0,
		              "open %s for reading: %s", path, strerror(saved));
	free(dir);
	return -1;
}

int pcf_ed_rewrite(const char *path, struct cfg_edit *ed, struct cfg_diags *diags)
{
	struct cfg_file_txn t;
	struct cfg_buf out;
	struct cfg_diags quiet;
	int probe, ret = -1;

	probe = open(path, O_RDONLY | O_CLOEXEC);
	if (probe < 0)
		return open_error(path, diags);
	close(probe);
	cfg_buf_init(&out);
	cfg_diags_init(&quiet);
	if (cfg_file_begin(&t, path, 0, &quiet) == 0
	    && cfg_edit_apply(ed, path, t.text.data, t.text.len, &out, diags) == 0
	    && cfg_file_commit(&t, out.data, out.len, 0644, diags) == 0)
		ret = 0;
	cfg_diags_move(diags, &quiet);
	cfg_diags_fini(&quiet);
	cfg_file_end(&t);
	cfg_buf_fini(&out);
	return ret;
}

/* run_edit - the common part of both entry points */
static int run_edit(const char *config_dir, const char *file, enum cfg_edit_what what, int mode,
                    char **args, int nargs, int force)
{
	struct cfg_diags diags;
	struct cfg_edit *ed = NULL;
	char *path = NULL;
	int status = 1;

	cfg_diags_init(&diags);
	if (nargs <= 0) {
		cfg_diags_add(&diags, CFG_SEV_FATAL, "edit-args", NULL, 0, 0, "%s",
		              mode == 'e' ? "-e requires name=value argument"
		                          : "missing service argument");
		goto out;
	}
	if (cfg_edit_parse(what, (enum cfg_edit_mode)mode, args, (size_t)nargs, &ed, &diags) < 0)
		goto out;
	if (!force && mode == 'e') {
		struct cfg_config *cfg = NULL;
		struct cfg_diags load, bad;
		struct pcf_ed_lookup lk;
		const char **names = cfg_xcalloc(ed->nreqs + 1, sizeof(*names));
		const char **values = cfg_xcalloc(ed->nreqs + 1, sizeof(*values));
		size_t i, n = 0, nbad;

		cfg_diags_init(&load);
		cfg_diags_init(&bad);
		if (cfg_config_load(config_dir, 0, &cfg, &load) < 0) {
			cfg_config_free(cfg);
			cfg = NULL;
		}
		if (what == CFG_EDIT_MAIN)
			for (i = 0; i < ed->nreqs; i++, n++) {
				names[n] = ed->reqs[i].name;
				values[n] = ed->reqs[i].value;
			}
		pcf_ed_lookup_init(&lk, cfg, names, values, n);
		nbad = pcf_ed_check_edit(ed, &lk.ex, &bad);
		cfg_diags_move(&diags, &bad);
		cfg_config_free(cfg);
		cfg_diags_fini(&load);
		cfg_diags_fini(&bad);
		free(names);
		free(values);
		if (nbad > 0) {
			cfg_diags_add(&diags, CFG_SEV_FATAL, "edit-refused", NULL, 0, 0,
			              "nothing written: %zu value%s refused (use --force to write "
			              "anyway)",
			              nbad, nbad == 1 ? "" : "s");
			goto out;
		}
	}
	path = cfg_xasprintf("%s/%s", pcf_ed_config_dir(config_dir), file);
	if (pcf_ed_rewrite(path, ed, &diags) < 0)
		goto out;
	status = 0;
out:
	pcf_ed_print_diags(stderr, &diags);
	cfg_diags_fini(&diags);
	cfg_edit_free(ed);
	free(path);
	return status;
}

int pcf_edit_main(const char *config_dir, int mode, char **args, int nargs, int force)
{
	return run_edit(config_dir, "main.cf", CFG_EDIT_MAIN, mode, args, nargs, force);
}

int pcf_edit_master(const char *config_dir, int mode, int what, char **args, int nargs, int force)
{
	enum cfg_edit_what w = what == 'F'   ? CFG_EDIT_FIELD
	                       : what == 'P' ? CFG_EDIT_PARAM
	                                     : CFG_EDIT_ENTRY;

	return run_edit(config_dir, "master.cf", w, mode, args, nargs, force);
}
