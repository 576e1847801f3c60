/*
 * msg.h - how the command line programs speak: "PROG: SEVERITY: message" on
 * stderr, with the bytes Postfix would not print shown as '?', libcfg's
 * diagnostics printed as they come, and Postfix's out-of-memory message.
 * Only tools use this: libcfg never prints.
 */
#ifndef TOOL_MSG_H
#define TOOL_MSG_H

#include "cfg/base/diag.h"

/* tool_msg_init - the program name for messages, and the out-of-memory handler */
void tool_msg_init(const char *progname);
/* tool_msg_utf8 - print valid UTF-8 in messages as it is (smtputf8_enable), not as '?' */
void tool_msg_utf8(int yes);
/* tool_progname - the name given to tool_msg_init() */
const char *tool_progname(void);
/* tool_say - "PROG: SEV: MSG" on stderr (stdout is flushed first) */
void tool_say(const char *sev, const char *msg);
/* tool_fatal - tool_say("fatal", ...) and exit 1 */
void tool_fatal(const char *fmt, ...) __attribute__((format(printf, 1, 2), noreturn));
/*
 * tool_report - print and clear diags: notes as "info", warnings as
 * "warning", errors and fatal ones as "fatal", then exit 1 after the first
 * fatal one.  The shape of struct tool_tablecmd's report callback.
 */
void tool_report(void *ctx, struct cfg_diags *diags);

#endif
