/*
 * mainconf.h - main.cf for the table commands (postmap, postalias)
 *
 * Like Postfix's postmap, only main.cf's own syntax diagnostics are shown,
 * not postconf's analysis of the whole configuration ("unused parameter"
 * and the like); errors are fatal.  -c sets MAIL_CONFIG before loading, as
 * in Postfix.
 */
#ifndef TOOL_MAINCONF_H
#define TOOL_MAINCONF_H

#include "cfg/config/effective.h"

struct tool_mainconf {
	struct cfg_config *cfg;
	struct cfg_view *view;
};

/* tool_mainconf_load - read $MAIL_CONFIG/main.cf (no master.cf); fatal on errors */
void tool_mainconf_load(struct tool_mainconf *c);
/* tool_mainconf_get - the expanded value of name (new string); fatal on a macro error */
char *tool_mainconf_get(struct tool_mainconf *c, const char *name);
/* tool_mainconf_bool - a boolean parameter; "bad boolean configuration" is fatal */
int tool_mainconf_bool(struct tool_mainconf *c, const char *name);
/* tool_mainconf_import_env - set the NAME=VALUE entries of import_environment, as Postfix does */
void tool_mainconf_import_env(struct tool_mainconf *c);
/* tool_mainconf_free - release */
void tool_mainconf_free(struct tool_mainconf *c);

#endif
