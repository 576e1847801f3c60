/*
 * postalias - Postfix-compatible alias database manager; newaliases
 *
 * postalias [-Nfiijnoprsuvw] [--strict] [-c config_dir] [-d key] [-q key]
 *           [type:]file ...
 * newaliases [-C config] [sendmail options]: postalias -I
 *
 * Options, messages and exit statuses are Postfix 3.7's; the additions are
 * postmap's (-j, --strict, --help, --version).  The program is
 * tools/common/tablemain.c, shared with postmap; this file says what is
 * postalias's own: aliases(5) sources, "key:<TAB>value" output, the YP
 * records, -I and the newaliases name.
 */
#include "config.h"

#include <string.h>

#include "tablemain.h"

static const struct tool_opt opts[] = {
    {'c', NULL, "config_dir", "read main.cf from config_dir"},
    {'d', NULL, "key", "delete key from the tables (- reads keys from stdin)"},
    {'f', NULL, NULL, "do not fold keys to lower case"},
    {'i', NULL, NULL, "add the entries on stdin to the table"},
    {'I', NULL, NULL, "rebuild every table of alias_database (newaliases)"},
    {'j', NULL, NULL, "print -q and -s results as JSON Lines"},
    {'n', NULL, NULL, "keys and values without a trailing null byte"},
    {'N', NULL, NULL, "keys and values with a trailing null byte"},
    {'o', NULL, NULL, "do not build as the owner of the source file"},
    {'p', NULL, NULL, "do not copy the source file's permissions"},
    {'q', NULL, "key", "print the value of key (- reads keys from stdin)"},
    {'r', NULL, NULL, "replace duplicate entries silently"},
    {'s', NULL, NULL, "print every entry of the table"},
    {'u', NULL, NULL, "no UTF-8 checks and case folding"},
    {'v', NULL, NULL, "verbose (accepted)"},
    {'w', NULL, NULL, "ignore duplicate entries silently"},
    {TOOL_OPT_LONG + 's', "strict", NULL,
     "any warning while building is fatal; nothing is written"},
    TOOL_OPT_STANDARD,
    {0, NULL, NULL, NULL},
};

static const struct tool_table_prog postalias = {
    .name = "postalias",
    .synopsis = "[-Nfinoprsuvw] [-c config_dir] [-d key] [-q key] [map_type:]file...",
    .opts = opts,
    .pair_sep = ":\t",
    .aliases = 1,
};

/* main - postalias, or newaliases by the name it was called with */
int main(int argc, char **argv)
{
	const char *slash = strrchr(argv[0], '/');

	argv[0] = (char *)(slash && slash[1] ? slash + 1 : argv[0]);
	return tool_table_main(&postalias, argc, argv);
}
