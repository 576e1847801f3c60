/*
 * edit.h - postconf-style edits of main.cf and master.cf text
 *
 * An edit is two steps, as in Postfix's postconf: the command-line
 * arguments are parsed into a request list (every syntax error is found
 * before any file is opened), then the requests are applied to the text of
 * the file, producing the new text.  Applying is a pure function from bytes
 * to bytes: the caller locks, reads and atomically replaces the file
 * (cfg_file_lock / cfg_file_read / cfg_file_replace), so the same code
 * serves postconf -e, the interactive shell and tests.
 *
 * The output is what Postfix 3.7's postconf writes for the same input and
 * arguments, byte for byte, with two deliberate exceptions:
 *  - when the file's last line has no newline and Postfix would write more
 *    text right after it (gluing two lines together), a newline is added;
 *  - main.cf settings that are appended (not found in the file) are written
 *    in argument order; Postfix uses its hash table's randomised order.
 *
 * Messages use Postfix's wording.  A diagnostic of severity CFG_SEV_FATAL
 * means Postfix would have stopped ("postconf: fatal: MSG"); warnings are
 * "postconf: warning: MSG".  msg never includes the program name.
 */
#ifndef CFG_EDIT_H
#define CFG_EDIT_H

#include <stddef.h>

#include "cfg/base/buf.h"
#include "cfg/base/diag.h"

/* what: which file and which kind of object the arguments name */
enum cfg_edit_what {
	CFG_EDIT_MAIN = 0, /* main.cf parameters: "name=value" / "name" */
	CFG_EDIT_ENTRY,    /* master.cf entries (-M): "service/type=entry text" / "service/type" */
	CFG_EDIT_FIELD,    /* master.cf fields (-F): "service/type/field=value" */
	CFG_EDIT_PARAM, /* master.cf -o parameters (-P): "service/type/name=value" / "s/t/name" */
};

/* mode: what to do with the named objects */
enum cfg_edit_mode {
	CFG_EDIT_SET = 'e',     /* -e: replace or add */
	CFG_EDIT_REMOVE = 'X',  /* -X: delete */
	CFG_EDIT_COMMENT = '#', /* -#: comment out every physical line */
};

/* One request, as parsed from one command-line argument. */
struct cfg_edit_req {
	char *raw;      /* the argument as given */
	char *name;     /* main.cf: parameter name; master.cf: the service name pattern */
	char *type;     /* master.cf: service type pattern ("*" matches any), else NULL */
	char *sub;      /* -F: field name; -P: parameter name; else NULL */
	int field;      /* -F: enum cfg_master_field index; else -1 */
	char *value;    /* new value (CFG_EDIT_SET), else NULL */
	unsigned found; /* set by cfg_edit_apply(): how many entries it matched */
};

struct cfg_edit {
	enum cfg_edit_what what;
	enum cfg_edit_mode mode;
	struct cfg_edit_req *reqs; /* in argument order; a repeated main.cf name keeps the last */
	size_t nreqs;
};

/*
 * cfg_edit_parse - parse postconf edit arguments.  Returns 0 and a new
 * request list in *out, or -1 (with *out NULL) after appending a fatal
 * diagnostic such as "missing '=' after attribute name: \"x\"" or "-Pe does
 * not accept whitespace in parameter value".  Warnings ("ignoring earlier
 * request: 'a = 1'") may be appended either way.  A mode/what combination
 * that Postfix refuses gives "with option -F, do not specify -X".
 */
int cfg_edit_parse(enum cfg_edit_what what, enum cfg_edit_mode mode, char *const *args,
                   size_t nargs, struct cfg_edit **out, struct cfg_diags *diags);
/* cfg_edit_free - free a request list; NULL is a no-op */
void cfg_edit_free(struct cfg_edit *ed);

/*
 * cfg_edit_apply - apply the requests to text[0..len) of the file at path
 * (path is only used in messages, as Postfix prints it) and append the new
 * text to out.  Returns 0, or -1 after a fatal diagnostic (for example
 * "file PATH: line 3: bad field count"); out is then incomplete and must
 * not be written.  Fills each request's found count.  Postfix's warnings
 * ("PATH: multiple entries for \"name\"", "unmatched service_name/type:
 * \"...\"", "master.cf: missing '}' in ...") are appended as warnings.
 */
int cfg_edit_apply(struct cfg_edit *ed, const char *path, const char *text, size_t len,
                   struct cfg_buf *out, struct cfg_diags *diags);

/*
 * cfg_edit_entry_overrides - the "-o name=value" settings of a master.cf
 * entry text, after Postfix's normalisation ("-oa=b", "-o { a = b }").
 * Appends name and value alternately to names_values (a cfg_strvec).
 * Syntax problems are ignored here: cfg_edit_parse/apply report them.
 */
struct cfg_strvec;
void cfg_edit_entry_overrides(const char *entry, struct cfg_strvec *names_values);

/*
 * cfg_edit_print_entry - append a master.cf entry (its text, possibly
 * several physical lines) to out the way postconf -M prints it: fields in
 * columns, daemon arguments normalised; fold set gives the -Mf layout
 * (what postconf -Me writes).  Returns 0, or -1 with "bad field count" /
 * "invalid type field ..." style diagnostics.
 */
int cfg_edit_print_entry(const char *entry, int fold, struct cfg_buf *out, struct cfg_diags *diags);

#endif
