/*
 * tablemain.h - the one program behind postmap and postalias (and newaliases)
 *
 * The two commands share their options, their main.cf handling, building
 * (cfg_map_build), -q/-d/-s (tablecmd.h) and their messages; what differs
 * is a row of the program table in tablemain.c.
 */
#ifndef TOOL_TABLEMAIN_H
#define TOOL_TABLEMAIN_H

/*
 * tool_table_main - run the program called name ("postmap" or "postalias";
 * postalias is newaliases when argv[0] says so); returns the exit status
 */
int tool_table_main(const char *name, int argc, char **argv);

#endif
