/*
 * check.h - `postfix check`: validate a whole configuration before a reload
 *
 * cfg_check_dir() loads DIR/main.cf and DIR/master.cf and looks at every
 * explicit setting (main.cf entries and master.cf "-o" overrides), the
 * master.cf services, the lookup tables they name, the open-relay risks of
 * the SMTP server's restrictions, and the queue directory.  Everything it
 * finds is appended to the caller's list as struct cfg_diag with a file, a
 * line (and a column where it helps), a stable code and the parameter:
 *
 *   main.cf:12: warning: unused parameter: myhostnmae=mx.example.com (did you mean "myhostname"?)
 *   main.cf:4:30: error: unknown smtpd restriction: "permit_bogus"
 *
 * Severities: CFG_SEV_ERROR for what makes Postfix (or postkit's MTA)
 * refuse to start, stop at run time or misbehave (a bad value a daemon
 * rejects, a missing table, an open relay), CFG_SEV_WARNING for what Postfix
 * itself warns about or what is risky, CFG_SEV_NOTE for information (checks
 * that were skipped).  The list handed back is sorted by file, line and
 * column and holds each diagnostic once; FATAL diagnostics from the loader
 * are reported as errors.
 *
 * Messages reuse Postfix's wording where Postfix has one for the same
 * problem ("bad boolean configuration: NAME = VALUE", "unknown smtpd
 * restriction: \"NAME\"", "database F.db is older than source file F") and
 * add postkit's explanation after it.
 *
 * Nothing here prints; cfg_check_render_text() and cfg_check_render_json()
 * turn a list into text for the caller to print.
 */
#ifndef CFG_CHECK_H
#define CFG_CHECK_H

#include <stddef.h>

#include "cfg/base/buf.h"
#include "cfg/base/diag.h"

/* flags of struct cfg_check_opts */
#define CFG_CHECK_NO_FS 0x01u        /* skip the queue directory and file system checks */
#define CFG_CHECK_UNPRIVILEGED 0x02u /* skip ownership/mode checks as if not root, silently */
#define CFG_CHECK_NO_RELAY 0x04u     /* skip the open-relay lint */
#define CFG_CHECK_RUN 0x08u /* about to run (start, reload): a missing aliases.db is an error */

/* What cfg_check_dir() can be told; a zeroed struct checks everything. */
struct cfg_check_opts {
	unsigned flags; /* CFG_CHECK_* */
};

/*
 * cfg_check_dir - check the configuration in config_dir (NULL: $MAIL_CONFIG,
 * else /etc/postfix).  Appends the findings to diags, sorted and without
 * repeats (diags should be empty on entry).  Returns the number of errors
 * (0: the configuration may be loaded; warnings are allowed).
 */
size_t cfg_check_dir(const char *config_dir, const struct cfg_check_opts *opts,
                     struct cfg_diags *diags);

/*
 * cfg_check_finish - put a list in report order: FATAL becomes ERROR, sort
 * by file, line, column, then severity (most severe first) and message;
 * drop exact repeats.  cfg_check_dir() already does this.
 */
void cfg_check_finish(struct cfg_diags *diags);

/*
 * cfg_check_render_text - append one line per diagnostic to out:
 * "FILE:LINE:COL: severity: message" (":COL" left out when unknown, ":LINE"
 * too; "postfix" stands in for a missing file).
 */
void cfg_check_render_text(const struct cfg_diags *diags, struct cfg_buf *out);

/*
 * cfg_check_render_json - append the list as a JSON array of objects with
 * the keys file, line, column, severity, code, parameter, message in that
 * order (null for an unknown file, line, column or parameter), two-space
 * indentation, and a final newline.
 */
void cfg_check_render_json(const struct cfg_diags *diags, struct cfg_buf *out);

/*
 * cfg_check_suggest - the candidate closest to word by edit distance
 * (insertions, deletions, substitutions and swaps of neighbours), or NULL
 * when none is close enough to be a likely typo.  candidates is
 * NULL-terminated; ties go to the earlier candidate.
 */
const char *cfg_check_suggest(const char *word, const char *const *candidates);

/* cfg_check_suggest_param - cfg_check_suggest() over the registry's parameter names */
const char *cfg_check_suggest_param(const char *word);

/* cfg_check_edit_distance - optimal-string-alignment distance of a and b, capped at limit + 1 */
size_t cfg_check_edit_distance(const char *a, const char *b, size_t limit);

#endif
