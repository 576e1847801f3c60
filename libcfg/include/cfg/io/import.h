/*
 * import.h - apply an export document (YAML or JSON) to main.cf and master.cf
 *
 * postconf --import reads a document of the shape cfg/export.h describes
 * and computes the new text of main.cf and master.cf.  Like cfg/edit.h this
 * is a pure computation: the caller locks the files, reads them, calls
 * cfg_import_plan() and writes what changed with cfg_file_replace(), or
 * prints a diff (--dry-run).  Nothing is ever half-applied: every check
 * runs before any text is produced, and any error refuses the whole
 * document.
 *
 * What the document may hold (the published JSON Schema says the same):
 *   format: "postkit-export"    required
 *   version: 1                  required
 *   main: {NAME: VALUE}         required; may be empty
 *   master: [SERVICE...]        optional; absent: master.cf is left alone
 *   user_defined: [NAME...]     optional: names of parameters the registry
 *                               does not know and nothing references, kept
 *                               on purpose (postconf calls them "unused")
 *   expanded, sources           accepted and ignored (export output only)
 *
 * Values: what the parameter's registry type says, never YAML 1.1 guesses.
 * A boolean parameter takes true/false (written yes/no) or its text as
 * written; an integer parameter a JSON number or text; a list parameter a
 * list of strings (joined with ", ") or text; everything else text, so a
 * YAML plain "0777", "012", "1h", "on" or "no" stays exactly that.  JSON
 * literals are only accepted where the schema allows them.  Every value is
 * then checked as postconf -e checks it (cfg/validate.h), unless
 * CFG_IMPORT_FORCE.
 *
 * main.cf: only settings whose value differs are rewritten (postconf -e
 * semantics: in place, comments kept); with CFG_IMPORT_REPLACE settings the
 * document does not name are removed as postconf -X does.
 *
 * master.cf: services are matched by name, type and occurrence (the second
 * "smtp inet" of the document is the second one of the file).  An entry
 * whose fields and arguments are unchanged keeps its bytes; a changed entry
 * is rewritten in the layout postconf -Me writes; a new one is appended.
 * With CFG_IMPORT_REPLACE entries the document does not name are removed
 * and the entries come in the document's order (when the kept ones are not
 * in that order already, the file's entry positions are refilled in order;
 * comment lines stay where they are).
 * "args" is authoritative for the order of the daemon arguments; "overrides"
 * edits the -o settings in it: a changed value is replaced where it is, a
 * name missing from "overrides" is removed, a new name is added after the
 * last option.
 *
 * Diagnostics: CFG_SEV_ERROR, file = source, line:col of the offending
 * node, msg naming the key path ("main.smtpd_timeout: ...").  Warnings
 * (postconf's "multiple entries" on the old text) are CFG_SEV_WARNING.
 */
#ifndef CFG_IMPORT_H
#define CFG_IMPORT_H

#include <stddef.h>

#include "cfg/base/buf.h"
#include "cfg/base/diag.h"

#define CFG_IMPORT_REPLACE 0x1u /* the files hold exactly what the document says */
#define CFG_IMPORT_FORCE 0x2u   /* skip the type checks and the unknown-name check */

/* The computed result.  The *_new texts are valid only when *_changed. */
struct cfg_import {
	int main_changed;
	int master_changed;
	struct cfg_buf main_new;
	struct cfg_buf master_new;
	/* counts, for the summary line */
	unsigned params_set, params_removed;
	unsigned services_changed, services_added, services_removed;
};

/*
 * cfg_import_plan - compute the import of text[0..len) (source names it in
 * messages: a file name or "-") into config_dir, whose main.cf and
 * master.cf currently hold main_old and master_old (NULL when the file does
 * not exist).  Returns 0 and a new result in *out, or -1 (*out NULL) after
 * appending the errors.
 */
int cfg_import_plan(const char *text, size_t len, const char *source, unsigned flags,
                    const char *config_dir, const struct cfg_buf *main_old,
                    const struct cfg_buf *master_old, struct cfg_import **out,
                    struct cfg_diags *diags);
/* cfg_import_free - free a result; NULL is a no-op */
void cfg_import_free(struct cfg_import *imp);

#endif
