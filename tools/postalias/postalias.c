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

static const struct tool_table_prog postalias = {
    .name = "postalias",
    .synopsis = "[-Nfinoprsuvw] [-c config_dir] [-d key] [-q key] [map_type:]file...",
    .letters = "cdfiIjnNopqrsuvw",
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
