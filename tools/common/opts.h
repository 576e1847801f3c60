/*
 * opts.h - command line options from a table, with the --help text made from
 * the same table
 *
 * Short options behave as glibc's getopt() with a leading '+' (Postfix's
 * programs use it): clusters ("-nq key", "-qkey"), "--" ends the options,
 * the first word that is not an option ends them too, and the error messages
 * are getopt's ("PROG: invalid option -- 'z'", "PROG: option requires an
 * argument -- 'c'"), so scripts and golden outputs see no difference.  Long
 * options ("--strict", "--output=FILE" or "--output FILE") are postkit's
 * additions; their messages are getopt_long's ("PROG: unrecognized option
 * '--foo'", "PROG: option '--output' requires an argument").
 *
 *   static const struct tool_opt opts[] = {
 *       {'c', NULL, "config_dir", "read main.cf from config_dir"},
 *       {TOOL_OPT_LONG + 1, "strict", NULL, "any warning is fatal"},
 *       TOOL_OPT_STANDARD,  (--help and --version)
 *       {0, NULL, NULL, NULL},
 *   };
 *
 * A row whose help is NULL is an option Postfix's getopt knows but that
 * --help does not list (postconf's -E).  A TOOL_OPT_NOTE row is the reverse:
 * a line of --help that no option matches, for options whose argument
 * selects a mode ("-bd, -bl  start the mail system").
 */
#ifndef TOOL_OPTS_H
#define TOOL_OPTS_H

#include <stdio.h>

/* keys of long-only options start here; TOOL_OPT_HELP and _VERSION are two of them */
#define TOOL_OPT_LONG 0x100
#define TOOL_OPT_HELP (TOOL_OPT_LONG + 0xfe)
#define TOOL_OPT_VERSION (TOOL_OPT_LONG + 0xff)
/* a help line only: name is its left column */
#define TOOL_OPT_NOTE (TOOL_OPT_LONG + 0xfd)
/* the two options every program has */
#define TOOL_OPT_STANDARD                                                                          \
	{TOOL_OPT_HELP, "help", NULL, "print this help and exit"},                                 \
	{                                                                                          \
		TOOL_OPT_VERSION, "version", NULL, "print the version and exit"                    \
	}
/* what tool_opt_next() returns besides keys */
#define TOOL_OPT_END (-1)  /* no more options: the operands start at ind */
#define TOOL_OPT_ERROR '?' /* a message was printed; the caller prints its usage */

struct tool_opt {
	int key;          /* the short option letter, or TOOL_OPT_LONG + n; 0 ends the table */
	const char *name; /* the long name without "--", or NULL */
	const char *arg;  /* what the argument is, for --help ("key"); NULL: none taken */
	const char *help; /* one line for --help; NULL: not listed */
};

struct tool_opt_state {
	int argc;
	char **argv;
	const char *prog; /* for messages */
	int ind;          /* the next word to look at (optind) */
	int pos;          /* inside a cluster of short options: the next letter */
	const char *arg;  /* the argument of the option just returned */
};

/* tool_opt_init - start at argv[1] */
void tool_opt_init(struct tool_opt_state *st, int argc, char **argv, const char *prog);
/* tool_opt_next - the key of the next option, TOOL_OPT_END or TOOL_OPT_ERROR */
int tool_opt_next(struct tool_opt_state *st, const struct tool_opt *tab);
/*
 * tool_opt_help - "usage: PROG SYNOPSIS", an empty line, then one line per
 * option of tab, aligned: "  -c config_dir   read main.cf from config_dir"
 */
void tool_opt_help(FILE *out, const char *prog, const char *synopsis, const struct tool_opt *tab);
/*
 * tool_opt_version - "PROG (postkit) VERSION, compatible with Postfix X.Y.Z"
 * (the Postfix version is mail_version's default in the schema)
 */
void tool_opt_version(FILE *out, const char *prog);
/*
 * tool_opt_standard - for key TOOL_OPT_HELP or TOOL_OPT_VERSION: print the
 * help or the version on stdout and return the exit status the program ends
 * with (0, or 1 when stdout could not be written); any other key: -1
 */
int tool_opt_standard(int key, const char *prog, const char *synopsis, const struct tool_opt *tab);

#endif
