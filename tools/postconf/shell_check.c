/*
 * shell_check.c - the shell's "check" and "diff": postfix check on the
 * configuration as it would be after "write" (a scratch copy of the
 * configuration directory with the pending changes), and the unified diff
 * of those changes
 */
#include "config.h"

#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cfg/base/fileio.h"
#include "cfg/base/xalloc.h"
#include "cfg/check/check.h"
#include "edit_priv.h"
#include "postconf_edit.h"
#include "shell.h"

/* replace_all - s with every occurrence of from replaced by to (new string) */
static char *replace_all(const char *s, const char *from, const char *to)
{
	struct cfg_buf b;
	size_t n = strlen(from);
	const char *p;

	cfg_buf_init(&b);
	while ((p = strstr(s, from)) != NULL) {
		cfg_buf_add(&b, s, (size_t)(p - s));
		cfg_buf_adds(&b, to);
		s = p + n;
	}
	cfg_buf_adds(&b, s);
	return cfg_buf_take(&b);
}

/* remove_scratch - delete a scratch directory and the links and file in it */
static void remove_scratch(const char *dir)
{
	DIR *d = opendir(dir);
	struct dirent *e;

	if (d != NULL) {
		while ((e = readdir(d)) != NULL) {
			char *p;

			if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
				continue;
			p = cfg_xasprintf("%s/%s", dir, e->d_name);
			(void)unlink(p);
			free(p);
		}
		closedir(d);
	}
	(void)rmdir(dir);
}

/*
 * scratch_copy - a temporary directory that looks like the configuration
 * with the pending changes: main.cf written out, every other entry of the
 * directory a symbolic link to the original.  NULL after a message.
 */
static char *scratch_copy(struct pcf_shell *sh)
{
	const char *tmpdir = getenv("TMPDIR");
	char *dir = cfg_xasprintf("%s/postconf-shell.XXXXXX", tmpdir && *tmpdir ? tmpdir : "/tmp");
	struct cfg_buf t;
	struct cfg_diags ds;
	DIR *d;
	struct dirent *e;
	char *path;
	int ok;

	if (mkdtemp(dir) == NULL) {
		pcf_shell_say(sh, "error", "check: cannot make a scratch directory: %s",
		              strerror(errno));
		free(dir);
		return NULL;
	}
	if ((d = opendir(sh->dir)) != NULL) {
		while ((e = readdir(d)) != NULL) {
			char *from, *to;

			if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0
			    || strcmp(e->d_name, "main.cf") == 0)
				continue;
			from = cfg_xasprintf("%s/%s", sh->dir, e->d_name);
			to = cfg_xasprintf("%s/%s", dir, e->d_name);
			(void)symlink(from, to);
			free(from);
			free(to);
		}
		closedir(d);
	}
	cfg_buf_init(&t);
	cfg_diags_init(&ds);
	pcf_shell_apply(sh, sh->text.data, sh->text.len, &t, &ds);
	path = cfg_xasprintf("%s/main.cf", dir);
	ok = cfg_file_replace(path, t.data, t.len, 0644, &ds) == 0;
	if (!ok)
		pcf_shell_say(sh, "error", "check: %s", ds.n ? ds.v[ds.n - 1].msg : "cannot write");
	free(path);
	cfg_diags_fini(&ds);
	cfg_buf_fini(&t);
	if (!ok) {
		remove_scratch(dir);
		free(dir);
		return NULL;
	}
	return dir;
}

/* cmd_check - run postfix check's validator (without the file system checks) */
void pcf_shell_cmd_check(struct pcf_shell *sh, struct cfg_strvec *av, const char *rest)
{
	struct cfg_check_opts opts = {CFG_CHECK_NO_FS};
	struct cfg_diags ds;
	struct cfg_buf out;
	char *scratch = NULL, *text;
	size_t errors, i, warnings = 0;

	(void)av;
	(void)rest;
	if (sh->npend > 0 && (scratch = scratch_copy(sh)) == NULL)
		return;
	cfg_diags_init(&ds);
	cfg_buf_init(&out);
	errors = cfg_check_dir(scratch ? scratch : sh->dir, &opts, &ds);
	for (i = 0; i < ds.n; i++)
		warnings += ds.v[i].sev == CFG_SEV_WARNING;
	cfg_check_render_text(&ds, &out);
	/* findings in the scratch copy are findings in the configuration */
	text = scratch ? replace_all(out.data, scratch, sh->dir) : cfg_xstrdup(out.data);
	fputs(text, stdout);
	printf("check: %zu error%s, %zu warning%s%s\n", errors, errors == 1 ? "" : "s", warnings,
	       warnings == 1 ? "" : "s",
	       sh->npend ? " (with the pending changes; main.cf line numbers include them)" : "");
	if (errors > 0)
		sh->failed = 1;
	free(text);
	if (scratch != NULL) {
		remove_scratch(scratch);
		free(scratch);
	}
	cfg_buf_fini(&out);
	cfg_diags_fini(&ds);
}

/* cmd_diff - the pending changes as a unified diff against the file */
void pcf_shell_cmd_diff(struct pcf_shell *sh, struct cfg_strvec *av, const char *rest)
{
	struct cfg_buf t, out;
	struct cfg_diags ds;
	char *la, *lb;

	(void)av;
	(void)rest;
	cfg_buf_init(&t);
	cfg_buf_init(&out);
	cfg_diags_init(&ds);
	pcf_shell_apply(sh, sh->text.data, sh->text.len, &t, &ds);
	la = cfg_xasprintf("%s", sh->main_path);
	lb = cfg_xasprintf("%s (pending)", sh->main_path);
	if (!pcf_ed_udiff(sh->text.data, sh->text.len, t.data, t.len, la, lb, &out))
		printf("no pending changes\n");
	fputs(out.data, stdout);
	free(la);
	free(lb);
	cfg_diags_fini(&ds);
	cfg_buf_fini(&t);
	cfg_buf_fini(&out);
}
