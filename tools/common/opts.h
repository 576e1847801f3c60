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
 */
#ifndef TOOL_OPTS_H
#define TOOL_OPTS_H

#include <stdio.h>

/* keys of long-only options start here; TOOL_OPT_HELP and _VERSION are two of them */
#define TOOL_OPT_LONG 0x100
#define TOOL_OPT_HELP (TOOL_OPT_LONG + 0xfe)
#define TOOL_OPT_VERSION (TOOL_OPT_LONG + 0xff)
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
	const char *help; /* one line for --help */
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
 * tool_opt_help - "usage: PROG SYNOPSIS", then one line per option of tab,
 * aligned: "  -c config_dir   read main.cf from config_dir"
 */
void tool_opt_help(FILE *out, const char *prog, const char *synopsis, const struct tool_opt *tab);
/* tool_opt_version - "PROG (postkit) VERSION" */
void tool_opt_version(FILE *out, const char *prog);

#endif
