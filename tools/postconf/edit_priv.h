/*
 * edit_priv.h - helpers shared by postconf's edit.c, shell.c and explain.c
 * (not used by the rest of postconf).
 */
#ifndef POSTCONF_EDIT_PRIV_H
#define POSTCONF_EDIT_PRIV_H

#include <stdio.h>

#include "cfg/buf.h"
#include "cfg/config.h"
#include "cfg/diag.h"
#include "cfg/edit.h"
#include "cfg/expand.h"

/* pcf_ed_progname - the name messages start with (argv[0], as Postfix prints it) */
const char *pcf_ed_progname(void);
/* pcf_ed_config_dir - config_dir, else $MAIL_CONFIG, else /etc/postfix */
const char *pcf_ed_config_dir(const char *config_dir);
/* pcf_ed_print_diags - print each diagnostic as "PROG: warning: MSG" (fatal, error...) to fp */
void pcf_ed_print_diags(FILE *fp, const struct cfg_diags *ds);

/*
 * Pending settings on top of a loaded configuration, used to expand and
 * check new values: names set by the edit being checked win over main.cf.
 */
struct pcf_ed_lookup {
	const struct cfg_config *cfg; /* may be NULL when the configuration did not load */
	const char *const *names;     /* pending names and values, n of each */
	const char *const *values;    /* NULL value: pending removal */
	size_t n;
	struct cfg_expand ex; /* ready to use, ctx points to this struct */
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

#endif
