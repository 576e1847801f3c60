/*
 * check.h - `postfix check`
 *
 * pfx_check() validates the configuration in config_dir and prints what it
 * finds; it returns the command's exit status (0: fine, warnings allowed).
 * `postfix start` runs it first and refuses to start when it fails.
 */
#ifndef PFX_CHECK_H
#define PFX_CHECK_H

/*
 * pfx_check - argv holds the words after "check" (argv[0] is "check");
 * flags are CFG_CHECK_* added to the options (start and reload pass
 * CFG_CHECK_RUN: the configuration is about to run)
 */
int pfx_check(const char *config_dir, unsigned flags, int argc, char **argv);

#endif
