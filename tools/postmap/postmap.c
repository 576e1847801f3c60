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
 * shared with postalias; this file says what is postmap's own.
 */
#include "config.h"

#include "tablemain.h"

static const struct tool_opt opts[] = {
    {'b', NULL, NULL, "with -q -: look up the body lines of the message on stdin"},
    {'c', NULL, "config_dir", "read main.cf from config_dir"},
    {'d', NULL, "key", "delete key from the tables (- reads keys from stdin)"},
    {'f', NULL, NULL, "do not fold keys to lower case"},
    {'F', NULL, NULL, "base64-encoded file values (not supported by postkit)"},
    {'h', NULL, NULL, "with -q -: look up the header lines of the message on stdin"},
    {'i', NULL, NULL, "add the entries on stdin to the table"},
    {'j', NULL, NULL, "print -q and -s results as JSON Lines"},
    {'m', NULL, NULL, "with -b or -h: MIME-aware message parsing"},
    {'n', NULL, NULL, "keys and values without a trailing null byte"},
    {'N', NULL, NULL, "keys and values with a trailing null byte"},
    {'o', NULL, NULL, "do not build as the owner of the source file"},
    {'p', NULL, NULL, "do not copy the source file's permissions"},
    {'q', NULL, "key", "print the value of key (- reads keys from stdin)"},
    {'r', NULL, NULL, "replace duplicate entries silently"},
    {'s', NULL, NULL, "print every entry of the table"},
    {'u', NULL, NULL, "no UTF-8 checks and case folding"},
    {'U', NULL, NULL, "with -b or -h: keep the UTF-8 checks"},
    {'v', NULL, NULL, "verbose (accepted)"},
    {'w', NULL, NULL, "ignore duplicate entries silently"},
    {TOOL_OPT_LONG + 's', "strict", NULL,
     "any warning while building is fatal; nothing is written"},
    TOOL_OPT_STANDARD,
    {0, NULL, NULL, NULL},
};

static const struct tool_table_prog postmap = {
    .name = "postmap",
    .synopsis = "[-bfFhimnNoprsuUvw] [-c config_dir] [-d key] [-q key] [map_type:]file...",
    .opts = opts,
    .pair_sep = "\t",
    .aliases = 0,
};

/* main - postmap */
int main(int argc, char **argv)
{
	return tool_table_main(&postmap, argc, argv);
}
