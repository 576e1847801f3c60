/*
 * maincf.h - main.cf as a document
 *
 * The document keeps the file's bytes exactly (text) and an index of its
 * logical entries, so a tool can read settings and later rewrite the file
 * changing only the lines it edits: cfg_maincf_render() of an unedited
 * document is byte-identical to the input, always.  Entries are in file
 * order; a name may appear more than once (the last definition wins, as in
 * Postfix).
 *
 * Syntax (Postfix 3.7, checked against its postconf):
 *  - logical lines as in cfg/lines.h (continuations joined without the
 *    newline, comment and blank lines skipped even inside a continuation);
 *  - a logical line is cut at its first NUL byte (Postfix reads it as a C
 *    string), then split as "name = value": the name runs from the start to
 *    the first whitespace or '='; whitespace around '=' and at the end
 *    (including CR) is dropped; the value keeps inner whitespace, including
 *    the leading whitespace of continuation lines; it may be empty.
 *  - main.cf names are not validated ("x-y = 1" is an entry).
 */
#ifndef CFG_MAINCF_H
#define CFG_MAINCF_H

#include <stddef.h>

#include "cfg/base/buf.h"
#include "cfg/base/diag.h"
#include "cfg/base/htab.h"

struct cfgp_arena;

struct cfg_maincf_entry {
	char *name;    /* as written, up to whitespace or '='; owned by the document */
	char *value;   /* continuation lines joined without their newlines, ends trimmed (same) */
	unsigned line; /* first physical line, 1-based */
	unsigned last; /* last physical line that belongs to it (trailing comments excluded) */
	size_t start;  /* byte offset in text where the entry's first line begins */
	size_t end;    /* byte offset just past its last line (including the newline, if any) */
	size_t prev;   /* (index + 1) of the previous definition of the same name, 0 if none */
};

struct cfg_maincf {
	char *path;                    /* as given to the parser, used in messages */
	struct cfg_buf text;           /* every byte of the file */
	struct cfg_maincf_entry *ents; /* logical entries in file order (valid ones only) */
	size_t nents;
	/* name -> (entry index + 1) of the last definition, as a void * */
	struct cfg_htab *byname;
	struct cfgp_arena *strings; /* private: storage of every entry's name and value */
};

/*
 * cfg_maincf_parse - build a document from data[0..len) (copied).  path is
 * used verbatim in messages.  Syntax problems are appended to diags with
 * Postfix's wording (msg is exactly what Postfix prints after "warning: " or
 * "fatal: "; bytes outside printable ASCII are shown as '?', as Postfix's
 * logger does).  file is path, line the physical line, param the name when
 * known:
 *   fatal   "PATH, line N: missing '=' after attribute name: \"TEXT\""
 *           code "maincf-missing-equals"; TEXT is the whole logical line
 *   fatal   "PATH, line N: missing attribute name: \"TEXT\""
 *           code "maincf-missing-name" (the line starts with '=', or is
 *           empty after the NUL cut)
 *   warning "PATH: logical line must not start with whitespace: \"TEXT\""
 *           code "maincf-leading-whitespace"; TEXT is the orphan's joined
 *           text cut to 30 bytes, with "..." appended when it was longer;
 *           diag line = its first physical line (Postfix prints none)
 *   warning "PATH, line N: overriding earlier entry: NAME=OLDVALUE"
 *           code "maincf-duplicate".  Postfix reads main.cf more than once
 *           and repeats these; we report each distinct one once, in the
 *           order Postfix first prints them: for every redefinition (in file
 *           order) whose value differs from the previous definition, line N
 *           is the redefinition and OLDVALUE the previous value; then, when
 *           there was no fatal problem, for every name defined more than
 *           once whose first and last values differ, line N is the first
 *           definition and OLDVALUE the last value (the re-read overrides
 *           the surviving value).
 * N is always the logical line's first physical line.  Diagnostics come in
 * file order (the second-read duplicates last), so a tool printing them up
 * to the first fatal one matches Postfix's output.
 * Returns 0, or -1 when a fatal problem was found (*out is still set to a
 * document holding every valid entry, so callers may report more).
 */
int cfg_maincf_parse(const char *path, const char *data, size_t len, struct cfg_maincf **out,
                     struct cfg_diags *diags);
/* cfg_maincf_load - read path and parse it; -1 with "open PATH: ERR" when unreadable (*out NULL) */
int cfg_maincf_load(const char *path, struct cfg_maincf **out, struct cfg_diags *diags);
/* cfg_maincf_free - free a document; NULL is a no-op */
void cfg_maincf_free(struct cfg_maincf *doc);
/* cfg_maincf_get - the last definition of name, or NULL (borrowed until the document changes) */
const struct cfg_maincf_entry *cfg_maincf_get(const struct cfg_maincf *doc, const char *name);
/* cfg_maincf_value - the value of the last definition of name, or NULL (borrowed) */
const char *cfg_maincf_value(const struct cfg_maincf *doc, const char *name);
/*
 * cfg_maincf_render - append the document's bytes to out.  Entries own the
 * byte ranges [start, end) of text; the bytes between them are comments,
 * blank lines and invalid lines, kept as they are.
 */
void cfg_maincf_render(const struct cfg_maincf *doc, struct cfg_buf *out);

#endif
