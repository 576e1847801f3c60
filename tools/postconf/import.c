/*
 * import.c - postconf --import FILE|- [--dry-run] [--replace] [--force]
 *
 * Reads the document, locks main.cf and master.cf, lets libcfg compute the
 * new texts (cfg/import.h: every check first, nothing on any error), then
 * either prints the unified diff (--dry-run) or replaces the files that
 * change, each atomically.  Errors are printed as
 * "postconf: error: SOURCE:LINE:COLUMN: MESSAGE" and the command ends with
 * "postconf: fatal: nothing written: ..." and status 1.
 */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cfg/base/buf.h"
#include "cfg/base/diag.h"
#include "cfg/io/doctree.h"
#include "cfg/base/fileio.h"
#include "cfg/io/import.h"
#include "cfg/base/xalloc.h"
#include "edit_priv.h"
#include "postconf.h"
#include "postconf_export.h"

/* read_input - the whole document from path or stdin ("-"); -1 with a diagnostic */
static int read_input(const char *path, struct cfg_buf *out, struct cfg_diags *diags)
{
	char chunk[65536];
	size_t n;

	if (strcmp(path, "-") != 0)
		return cfg_file_read(path, out, diags);
	while ((n = fread(chunk, 1, sizeof chunk, stdin)) > 0) {
		cfg_buf_add(out, chunk, n);
		if (out->len > CFG_DOC_MAX_BYTES)
			break; /* the reader reports the limit */
	}
	if (ferror(stdin)) {
		cfg_diags_add(diags, CFG_SEV_FATAL, "file-read", NULL, 0, 0, "read stdin: %s",
		              strerror(errno));
		return -1;
	}
	return 0;
}

/* print_errors - errors with their position, then the other diagnostics */
static void print_errors(const struct cfg_diags *ds)
{
	fflush(stdout);
	for (size_t i = 0; i < ds->n; i++) {
		const struct cfg_diag *d = &ds->v[i];

		fprintf(stderr, "%s: %s: ", pcf_ed_progname(), cfg_severity_name(d->sev));
		if (d->file != NULL && d->line > 0 && d->col > 0)
			fprintf(stderr, "%s:%u:%u: ", d->file, d->line, d->col);
		else if (d->file != NULL && d->line > 0)
			fprintf(stderr, "%s:%u: ", d->file, d->line);
		else if (d->file != NULL && strncmp(d->msg, d->file, strlen(d->file)) != 0
		         && strstr(d->msg, d->file) == NULL)
			fprintf(stderr, "%s: ", d->file);
		for (const char *c = d->msg; *c; c++)
			fputc((unsigned char)*c >= 0x20 && *c != 0x7f ? *c : '?', stderr);
		fputc('\n', stderr);
	}
	fflush(stderr);
}

/* show_diff - the unified diff of one file, --- /dev/null for a new one */
static void show_diff(const char *path, int exists, const struct cfg_buf *old,
                      const struct cfg_buf *new)
{
	struct cfg_buf d;

	cfg_buf_init(&d);
	if (pcf_ed_udiff(old->data ? old->data : "", old->len, new->data ? new->data : "", new->len,
	                 exists ? path : "/dev/null", path, &d))
		pcf_out(d.data, d.len);
	cfg_buf_fini(&d);
}

/* pcf_import - postconf --import */
int pcf_import(const char *config_dir, const struct pcf_import_opts *o)
{
	const char *dir = pcf_ed_config_dir(config_dir);
	const char *source = strcmp(o->file, "-") == 0 ? "stdin" : o->file;
	char *main_path = cfg_xasprintf("%s/main.cf", dir);
	char *master_path = cfg_xasprintf("%s/master.cf", dir);
	struct cfg_buf doc;
	struct cfg_file_txn mt = {0}, xt = {0};
	struct cfg_diags ds;
	struct cfg_import *imp = NULL;
	int status = 1;
	unsigned flags = (o->replace ? CFG_IMPORT_REPLACE : 0) | (o->force ? CFG_IMPORT_FORCE : 0);

	cfg_buf_init(&doc);
	cfg_diags_init(&ds);
	if (read_input(o->file, &doc, &ds) < 0)
		goto out;
	/* lock and read main.cf, then master.cf (the order postconf -e and -Me take them) */
	if (cfg_file_begin(&mt, main_path, CFG_FILE_MAY_BE_MISSING, &ds) < 0
	    || cfg_file_begin(&xt, master_path, CFG_FILE_MAY_BE_MISSING, &ds) < 0)
		goto out;
	if (cfg_import_plan(doc.data ? doc.data : "", doc.len, source, flags, dir,
	                    mt.exists ? &mt.text : NULL, xt.exists ? &xt.text : NULL, &imp, &ds)
	    < 0) {
		size_t n = cfg_diags_count(&ds, CFG_SEV_ERROR);

		cfg_diags_add(&ds, CFG_SEV_FATAL, "import-refused", NULL, 0, 0,
		              "nothing written: %zu error%s in %s", n, n == 1 ? "" : "s", source);
		goto out;
	}
	if (o->dry_run) {
		if (imp->main_changed)
			show_diff(main_path, mt.exists, &mt.text, &imp->main_new);
		if (imp->master_changed)
			show_diff(master_path, xt.exists, &xt.text, &imp->master_new);
		pcf_out_flush();
		status = 0;
		goto out;
	}
	if (imp->master_changed
	    && cfg_file_commit(&xt, imp->master_new.data, imp->master_new.len, 0644, &ds) < 0)
		goto out;
	if (imp->main_changed
	    && cfg_file_commit(&mt, imp->main_new.data, imp->main_new.len, 0644, &ds) < 0)
		goto out;
	status = 0;
out:
	print_errors(&ds);
	cfg_file_end(&xt);
	cfg_file_end(&mt);
	cfg_import_free(imp);
	cfg_diags_fini(&ds);
	cfg_buf_fini(&doc);
	free(main_path);
	free(master_path);
	return status;
}
