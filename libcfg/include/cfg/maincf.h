/*
 * maincf.h - main.cf as a document
 *
 * The document keeps the file's bytes exactly (text) and an index of its
 * logical entries, so a tool can read settings and later rewrite the file
 * changing only the lines it edits.  Entries are in file order; a name may
 * appear more than once (the last definition wins, as in Postfix).
 */
#ifndef CFG_MAINCF_H
#define CFG_MAINCF_H

#include <stddef.h>

#include "cfg/buf.h"
#include "cfg/diag.h"
#include "cfg/htab.h"

struct cfg_maincf_entry {
	char *name;    /* as written, up to whitespace or '=' */
	char *value;   /* continuation lines joined without their newlines, ends trimmed */
	unsigned line; /* first physical line, 1-based */
	unsigned last; /* last physical line that belongs to it */
	size_t start;  /* byte offset in text where the entry's first line begins */
	size_t end;    /* byte offset just past its last line (including the newline) */
};

struct cfg_maincf {
	char *path;                    /* as given to the parser, used in messages */
	struct cfg_buf text;           /* every byte of the file */
	struct cfg_maincf_entry *ents; /* logical entries in file order */
	size_t nents;
	struct cfg_htab *byname;       /* name -> (entry index + 1) of the last definition */
};

/*
 * cfg_maincf_parse - build a document from data[0..len).  Syntax problems
 * are appended to diags with Postfix's wording:
 *   fatal   "PATH, line N: missing '=' after attribute name: \"TEXT\""
 *   warning "PATH: logical line must not start with whitespace: \"TEXT\""
 *   warning "PATH, line N: overriding earlier entry: NAME=VALUE"
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

#endif
