/*
 * hbc.h - what header_checks(5) users share: cleanup's header_checks,
 * mime_header_checks, nested_header_checks and body_checks, and the smtp
 * and lmtp clients' smtp_*_checks / lmtp_*_checks
 *
 * A table result is "COMMAND text"; each user decides which commands it
 * honours.  PREPEND and REPLACE text is checked the same way everywhere,
 * with Postfix's warnings, and matched lines are logged the way Postfix
 * logs them: control characters and malformed UTF-8 become '?'.
 */
#ifndef MTA_HBC_H
#define MTA_HBC_H

#include <stddef.h>

#include "cfg/base/buf.h"

/*
 * hbc_command - split a table result into its command word (into cmd, at
 * most len - 1 bytes) and *text, the rest after blanks.  0 when the word is
 * too long to be a command.
 */
int hbc_command(const char *value, char *cmd, size_t len, const char **text);
/*
 * hbc_edit_ok - whether PREPEND (replace 0) or REPLACE text can be used in
 * context ("header" or "body"); when not, warn as Postfix does, naming the
 * parameter of the table (param).
 */
int hbc_edit_ok(int replace, const char *context, const char *text, const char *param);
/* hbc_is_mime_header - a header mime_header_checks inspect (Content-Type, MIME-Version...) */
int hbc_is_mime_header(const char *h);

#endif
