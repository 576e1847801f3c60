/*
 * tablemain.h - the one program behind postmap and postalias (and newaliases)
 *
 * The two commands share their options, their main.cf handling, building
 * (cfg_map_build), -q/-d/-s (tablecmd.h) and their messages; a front end
 * gives the differences in a struct tool_table_prog.
 */
#ifndef TOOL_TABLEMAIN_H
#define TOOL_TABLEMAIN_H

#include "opts.h"

struct tool_table_prog {
	const char *name;     /* "postmap" */
	const char *synopsis; /* what follows the name in the usage line */
	const char *letters;  /* its short options ("bcdfF..."); long ones are common */
	const char *pair_sep; /* between key and value of -s and -q -: "\t" or ":\t" */
	int aliases;          /* postalias: aliases(5) sources, YP records, -I, newaliases */
};

/* tool_table_main - run the program; returns the exit status */
int tool_table_main(const struct tool_table_prog *prog, int argc, char **argv);

#endif
