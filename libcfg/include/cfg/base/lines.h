/*
 * lines.h - Postfix logical-line reader
 *
 * The syntax shared by main.cf, master.cf and lookup-table sources:
 *  - a logical line starts with a non-whitespace character;
 *  - a physical line that starts with whitespace continues the previous
 *    logical line (joined without the newline, keeping its leading
 *    whitespace);
 *  - blank lines and lines whose first non-blank byte is '#' are skipped,
 *    even in the middle of a continuation (they do not end it);
 *  - continuation lines with no logical line before them (only possible at
 *    the top of a file) form one "orphan" logical line: it is skipped, and
 *    its first line and joined text are reported in orphan_line/orphan
 *    (Postfix warns "logical line must not start with whitespace" with that
 *    text).  Check orphan_line also after cfg_lines_next() returned 0: a
 *    file holding only an orphan reports it on that last call.
 * The reader works on a caller-owned memory buffer and never copies the
 * input; each call fills a struct cfg_lline with a joined copy.
 */
#ifndef CFG_LINES_H
#define CFG_LINES_H

#include <stddef.h>

#include "cfg/base/buf.h"

struct cfg_lines {
	const char *data;
	size_t len;
	size_t pos;      /* offset of the next unread physical line */
	unsigned lineno; /* number of physical lines consumed */
};

struct cfg_lline {
	struct cfg_buf text;  /* joined text, trailing newline (and CR) removed per physical line */
	unsigned first;       /* 1-based physical line where it starts */
	unsigned last;        /* 1-based physical line where it ends (last non-comment line) */
	size_t start;         /* byte offset of the first physical line */
	size_t end;           /* byte offset just past the last physical line's newline */
	unsigned orphan_line; /* >0: first line of a skipped orphan (see above) */
	struct cfg_buf orphan; /* the orphan's joined text (valid when orphan_line > 0) */
};

/* cfg_lines_init - read from data[0..len) */
void cfg_lines_init(struct cfg_lines *lr, const char *data, size_t len);
/* cfg_lline_init - prepare a logical line holder */
void cfg_lline_init(struct cfg_lline *ll);
/* cfg_lline_fini - release a logical line holder */
void cfg_lline_fini(struct cfg_lline *ll);
/*
 * cfg_lines_next - read the next logical line into ll.  Returns 1, or 0 at
 * end of input.  A trailing "\r" before each newline is kept in text (callers
 * that trim trailing whitespace drop it, as Postfix does).
 */
int cfg_lines_next(struct cfg_lines *lr, struct cfg_lline *ll);

#endif
