/*
 * edit_priv.h - helpers shared by postconf's edit.c, shell.c and explain.c
 * (not used by the rest of postconf).
 */
#ifndef POSTCONF_EDIT_PRIV_H
#define POSTCONF_EDIT_PRIV_H

#include <stdio.h>

#include "cfg/base/buf.h"
#include "cfg/config/effective.h"
#include "cfg/base/diag.h"
#include "cfg/doc/edit.h"
#include "cfg/param/expand.h"
#include "cfg/doc/mastercf.h"
#include "cfg/base/strvec.h"

/* pcf_ed_progname - the name messages start with (argv[0], as Postfix prints it) */
const char *pcf_ed_progname(void);
/* pcf_ed_config_dir - config_dir, else $MAIL_CONFIG, else /etc/postfix */
const char *pcf_ed_config_dir(const char *config_dir);
/* pcf_ed_print_diags - print each diagnostic as "PROG: warning: MSG" (fatal, error...) to fp */
void pcf_ed_print_diags(FILE *fp, const struct cfg_diags *ds);
/* pcf_ed_load - the configuration of dir, or NULL after printing its fatal problems */
struct cfg_config *pcf_ed_load(const char *dir);

/*
 * Pending settings on top of a loaded configuration, used to expand and
 * check new values: names set by the edit being checked win over main.cf.
 */
struct pcf_ed_lookup {
	const struct cfg_config *cfg; /* may be NULL when the configuration did not load */
	const char *const *names;     /* pending names and values, n of each */
	const char *const *values;    /* NULL value: pending removal */
	size_t n;
	const struct cfg_service *svc; /* master.cf entry whose -o settings win, or NULL */
	struct cfg_expand ex;          /* ready to use, ctx points to this struct */
};
/* pcf_ed_lookup_init - fill lk (cfg may be NULL); arrays are borrowed */
void pcf_ed_lookup_init(struct pcf_ed_lookup *lk, const struct cfg_config *cfg,
                        const char *const *names, const char *const *values, size_t n);

/*
 * pcf_ed_check_edit - type-check the values of a parsed edit (main.cf -e,
 * -Pe, -Me / -Fe command -o settings).  Problems are appended as errors;
 * returns how many values were refused.
 */
size_t pcf_ed_check_edit(const struct cfg_edit *ed, const struct cfg_expand *ex,
                         struct cfg_diags *diags);

/*
 * pcf_ed_rewrite - lock path, read it, apply ed, replace it atomically.
 * Prints nothing; returns 0 or -1 with a fatal diagnostic worded as
 * Postfix words open errors ("open PATH for reading: ERR").
 */
int pcf_ed_rewrite(const char *path, struct cfg_edit *ed, struct cfg_diags *diags);

/*
 * pcf_ed_udiff - append a unified diff (3 lines of context) of a and b to
 * out, labelled label_a / label_b; returns 1 when they differ, else 0.
 */
int pcf_ed_udiff(const char *a, size_t alen, const char *b, size_t blen, const char *label_a,
                 const char *label_b, struct cfg_buf *out);

/* pcf_ed_words - value with its words joined by single spaces, as postconf prints it */
void pcf_ed_words(const char *value, struct cfg_buf *out);
/*
 * pcf_ed_suggest - the parameter name closest to name (edit distance at most
 * 2, or a third of its length), among the configuration's names; NULL when
 * none is close.  Borrowed from cfg.
 */
const char *pcf_ed_suggest(const struct cfg_config *cfg, const char *name, struct cfg_strvec *tmp);

/*
 * pcf_explain_print - the --explain report for name to fp: value, where it
 * comes from, default, compatibility level, expansion tree.  lk supplies
 * pending values (the shell) or none; service is "name/type" or NULL;
 * over_names are the names given with postconf -o.  brief leaves out the
 * expansion tree (the shell's "show").  Returns 0, or -1 after printing why
 * nothing could be explained.
 */
int pcf_explain_print(FILE *fp, const struct cfg_config *cfg, struct pcf_ed_lookup *lk,
                      const char *name, const char *service, const struct cfg_strvec *over_names,
                      int brief);

#endif
