/*
 * postconf_edit.h - postconf's editing, shell, --explain and --diff drivers
 *
 * main.c parses the command line and calls one of these; each does the
 * whole job (load, edit or print, write) and returns the process exit
 * status.  Messages go to stderr in Postfix's wording ("postconf: fatal:
 * ...", "postconf: warning: ...") and normal output to stdout, so main.c
 * only has to `return pcf_xxx(...)`.
 *
 * config_dir is the -c argument, or NULL for $MAIL_CONFIG / the built-in
 * default (the same rule cfg_config_load() applies).
 */
#ifndef POSTCONF_EDIT_H
#define POSTCONF_EDIT_H

/*
 * pcf_edit_main - edit main.cf.  mode is 'e' (args are "name=value", or
 * "name", "=", "value" style separate words as Postfix accepts), 'X'
 * (remove the named parameters) or '#' (comment them out).  With mode 'e',
 * each value is first checked against its parameter's type; unless force is
 * set, any refused value means nothing is written and the status is 1.
 */
int pcf_edit_main(const char *config_dir, int mode, char **args, int nargs, int force);

/*
 * pcf_edit_master - edit master.cf.  what is 'M' (whole entries:
 * "service/type=entry text"), 'F' (fields: "service/type/field=value") or
 * 'P' (-o parameters: "service/type/name=value"); mode is 'e', 'X' or '#'.
 * Combinations Postfix refuses (-F#, -FX, -P#) are refused the same way.
 * force has the same meaning as for pcf_edit_main (type checks of -Pe values).
 */
int pcf_edit_master(const char *config_dir, int mode, int what, char **args, int nargs, int force);

/*
 * pcf_shell - the interactive configuration shell (postconf --shell).
 * Reads commands with GNU readline on a terminal, line by line otherwise.
 */
int pcf_shell(const char *config_dir);

/*
 * pcf_explain - postconf --explain NAME [--service name/type]: the effective
 * value of name and where it comes from, then its expansion step by step.
 * service is "name/type" or NULL.  overrides are postconf -o "name=value"
 * strings (may be NULL when noverrides is 0).
 */
int pcf_explain(const char *config_dir, const char *name, const char *service, char **overrides,
                int noverrides);

/*
 * pcf_diff - postconf --diff [DIR2]: parameters whose setting differs from
 * the default (dir2 NULL) or from the configuration in dir2, as written and
 * as expanded.
 */
int pcf_diff(const char *config_dir, const char *dir2);

#endif
