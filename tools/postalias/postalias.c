/*
 * postalias - Postfix-compatible alias database manager; newaliases
 *
 * postalias [-Nfiijnoprsuvw] [--strict] [-c config_dir] [-d key] [-q key]
 *           [type:]file ...
 * newaliases [-C config] [sendmail options]: postalias -I
 *
 * Options, messages and exit statuses are Postfix 3.7's; the additions are
 * postmap's (-j, --strict, --help, --version).  The program is
 * tools/common/tablemain.c, shared with postmap; its "postalias" row of the
 * program table says what is postalias's own: aliases(5) sources,
 * "key:<TAB>value" output, the YP records, -I and the newaliases name.
 */
#include "config.h"

#include "tablemain.h"

/* main - postalias, or newaliases by the name it was called with (tool_table_main decides) */
int main(int argc, char **argv)
{
	return tool_table_main("postalias", argc, argv);
}
