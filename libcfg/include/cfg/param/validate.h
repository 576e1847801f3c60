/*
 * validate.h - type checks of one parameter value
 *
 * Postfix's postconf accepts any value; the daemons fail later.  These
 * checks catch a value that cannot work before it is written: a boolean
 * that is not yes/no, a number with a unit suffix, a malformed time, a CIDR
 * block that does not parse in mynetworks, a word that is not one of an
 * enumeration's choices, a malformed compatibility level...
 *
 * The checks are a table with one row per registry type (enum cfg_ptype):
 * what a valid value looks like (for messages) and a function that looks at
 * one value.  Later validation work (cross references, files, existence of
 * users) extends the table or adds passes on top; it never needs to change
 * the callers.
 *
 * Values that still contain $name references can only be judged after
 * expansion: give an expander (cfg/expand.h) and the expanded text is
 * checked; without one such values are accepted as they are.
 *
 * Diagnostics: severity CFG_SEV_ERROR, code "value-<type>" (e.g.
 * "value-time"), param set, message in postkit's own words, object first:
 *   parameter smtpd_timeout: invalid value "300q": unit 'q' is not one of s,
 *   m, h, d, w; expected a time: a number with an optional unit s (seconds), ...
 *   parameter smtputf8_enable: invalid value "maybe": expected yes or no
 */
#ifndef CFG_VALIDATE_H
#define CFG_VALIDATE_H

#include <stddef.h>

#include "cfg/base/buf.h"
#include "cfg/base/diag.h"
#include "cfg/param/expand.h"
#include "cfg/schema/registry.h"

/* One row of the per-type table. */
struct cfg_type_check {
	enum cfg_ptype type;
	const char
	    *expect; /* "a time: a number with ...", shown after "expected "; NULL: why says it */
	/*
	 * check - 0 when value (already expanded) is acceptable for def, else -1
	 * with a short reason appended to why ("unit 'q' is not one of s, m,
	 * h, d, w"), or nothing when "expected <expect>" says it all.  def may be a synthetic definition (service-defined parameters).
	 */
	int (*check)(const struct cfg_param_def *def, const char *value, struct cfg_buf *why);
};

/* cfg_type_check_for - the table row of a type (never NULL for a valid type) */
const struct cfg_type_check *cfg_type_check_for(enum cfg_ptype type);

/*
 * cfg_validate_def - check value for the parameter described by def.
 * When value contains '$' it is expanded with ex first (ex NULL: accepted
 * unchecked).  Returns 0, or -1 after appending one error diagnostic
 * (file/line from file and line, which may be NULL/0).
 */
int cfg_validate_def(const struct cfg_param_def *def, const char *value,
                     const struct cfg_expand *ex, const char *file, unsigned line,
                     struct cfg_diags *diags);

/*
 * cfg_validate_param - look name up (built-in registry, then the
 * service-defined templates by suffix) and check value; names that are
 * neither (user-defined parameters) are accepted.  Same return and
 * diagnostics as cfg_validate_def().
 */
int cfg_validate_param(const char *name, const char *value, const struct cfg_expand *ex,
                       const char *file, unsigned line, struct cfg_diags *diags);

/*
 * cfg_validate_lookup_def - the definition used for name: a registry entry,
 * or for a service-defined parameter (relay_destination_concurrency_limit)
 * a definition built from its template into *tmp; NULL when unknown.
 */
const struct cfg_param_def *cfg_validate_lookup_def(const char *name, struct cfg_param_def *tmp);

/*
 * Fixed sets of words, for completion and for the checks above.  Each
 * returns a NULL-terminated, static array.
 */
/* cfg_restriction_takes_arg - 1 when the restriction consumes the next word */
int cfg_restriction_takes_arg(const char *name);

#endif
