/*
 * list.h - split Postfix list values into elements
 *
 * Postfix list parameters (mydestination, mynetworks, *_maps, restriction
 * lists, ...) separate elements with any run of commas and whitespace
 * (" \t\r\n,").  Since Postfix 3.0 text between balanced braces is never
 * split, so "inline:{a=b, c=d}" stays one element.  An element that starts
 * with '{' is a group: the outer braces and the whitespace just inside them
 * are removed ("{ a b }" gives "a b"); a group that is never closed or is
 * followed by other text is an error.
 *
 * Elements are appended to a caller-owned struct cfg_strvec (copies).
 */
#ifndef CFG_LIST_H
#define CFG_LIST_H

#include "cfg/base/diag.h"
#include "cfg/base/strvec.h"

/* the separators of Postfix parameter lists */
#define CFG_LIST_SEPARATORS " \t\r\n,"

/*
 * cfg_list_split - append the elements of value to out.  Returns 0, or -1
 * after appending a CFG_SEV_FATAL diagnostic worded as Postfix does, e.g.
 * "NAME: missing '}' in \"{a b\"" (NAME is the parameter name; NULL leaves
 * the "NAME: " prefix out).  Only the first bad group is reported, as
 * Postfix stops there; splitting goes on, and a bad group is appended as
 * Postfix reads it (an unclosed group runs to the end of the value, text
 * after the closing brace is dropped).
 */
int cfg_list_split(const char *value, struct cfg_strvec *out, const char *name,
                   struct cfg_diags *diags);

/*
 * cfg_list_split_sep - cfg_list_split() with another separator set (seps
 * must not contain a brace).
 */
int cfg_list_split_sep(const char *value, const char *seps, struct cfg_strvec *out,
                       const char *name, struct cfg_diags *diags);

/*
 * cfg_list_tokens - split like cfg_list_split() but keep every element as
 * written, braces included (no group stripping, no errors).  This is how
 * Postfix cuts lists whose elements are table names or restrictions:
 * "inline:{a=1, b=2}, hash:/x" gives "inline:{a=1, b=2}" and "hash:/x"
 * (observed with unionmap:{...}).  An unclosed '{' takes the rest of the
 * value; a '}' with no open '{' is ordinary text.
 */
void cfg_list_tokens(const char *value, const char *seps, struct cfg_strvec *out);

#endif
