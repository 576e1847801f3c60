/*
 * postmap - Postfix-compatible lookup table manager
 *
 * postmap [-bfFhijmnNoprsuUvw] [--strict] [-c config_dir] [-d key] [-q key]
 *         [type:]file ...
 *
 * Options, messages and exit statuses are Postfix 3.7's.  Additions: -j
 * prints -q and -s results as JSON Lines ({"key": "value"}, as Postfix 3.11
 * does); --strict makes any warning while building fatal, so nothing is
 * written; --help and --version.  The program is tools/common/tablemain.c,
 * shared with postalias; its "postmap" row of the program table says what
 * is postmap's own.
 */
#include "config.h"

#include "tablemain.h"

/* main - postmap */
int main(int argc, char **argv)
{
	return tool_table_main("postmap", argc, argv);
}
