/*
 * cmdhelp.h - "--help" for the mail commands (postqueue, postsuper, postcat, sendmail)
 *
 * Postfix's commands have no --help (getopt calls it an invalid option);
 * postkit's answer it, on standard output with exit status 0, from a table
 * of the command's options:
 *
 *   usage: postqueue [-v] [-c config_dir] -f | -i queue_id | -j | -p | -s site
 *
 *     -c config_dir  the configuration directory instead of the default
 *     ...
 */
#ifndef MTA_CMDHELP_H
#define MTA_CMDHELP_H

struct cmd_opt {
	const char *flag; /* "-s site" */
	const char *text; /* what it does, a few words */
};

/*
 * cmd_help - when an argument (before any "--") is "--help": print "usage: " usage,
 * then one line per option of opts (ended by {NULL, NULL}), and exit(0)
 */
void cmd_help(int argc, char **argv, const char *usage, const struct cmd_opt *opts);

#endif
