/*
 * diag.h - diagnostics returned by library code
 *
 * libcfg never prints.  Functions that can fail append a struct cfg_diag to
 * a caller-supplied list and return -1 (or a warning and carry on); main()
 * decides how to render and whether to exit.
 *
 * Two renderings are anticipated:
 *  - Postfix style, "prog: warning: MSG": msg holds exactly the text Postfix
 *    prints after "warning: " / "fatal: " (including its own "FILE, line N:"
 *    phrases where Postfix has them).
 *  - Position style, "FILE:LINE:COL: error: MSG": from file/line/col plus
 *    msg (use postkit's own wording for new checks).
 * line and col are 1-based; 0 means unknown.  code is a stable identifier
 * such as "maincf-missing-equals" that tools and tests can match on.
 */
#ifndef CFG_DIAG_H
#define CFG_DIAG_H

#include <stddef.h>

enum cfg_severity {
	CFG_SEV_NOTE = 0,
	CFG_SEV_WARNING = 1,
	CFG_SEV_ERROR = 2, /* a problem that makes the configuration unusable */
	CFG_SEV_FATAL = 3, /* Postfix would stop with "fatal:" here */
};

struct cfg_diag {
	enum cfg_severity sev;
	char *code; /* stable identifier, never NULL */
	char *file; /* NULL when not tied to a file */
	unsigned line;
	unsigned col;
	char *param; /* parameter the diagnostic is about, or NULL */
	char *msg;   /* message text, never NULL */
};

struct cfg_diags {
	struct cfg_diag *v;
	size_t n;
	size_t cap;
};

/* cfg_diags_init - make an empty list */
void cfg_diags_init(struct cfg_diags *ds);
/* cfg_diags_fini - free every diagnostic */
void cfg_diags_fini(struct cfg_diags *ds);
/* cfg_diags_clear - drop every diagnostic, keep the list usable */
void cfg_diags_clear(struct cfg_diags *ds);
/*
 * cfg_diags_add - append a diagnostic; file may be NULL.  Returns the new
 * entry (borrowed, valid until the next add) so the caller can set param.
 * A NULL list is allowed and discards the diagnostic (returns NULL).
 */
struct cfg_diag *cfg_diags_add(struct cfg_diags *ds, enum cfg_severity sev, const char *code,
                               const char *file, unsigned line, unsigned col, const char *fmt, ...)
    __attribute__((format(printf, 7, 8)));
/* cfg_diags_count - how many diagnostics have at least severity sev */
size_t cfg_diags_count(const struct cfg_diags *ds, enum cfg_severity sev);
/* cfg_diags_sort - stable sort by file, line, column */
void cfg_diags_sort(struct cfg_diags *ds);
/* cfg_diags_move - append every diagnostic of src to dst and leave src empty */
void cfg_diags_move(struct cfg_diags *dst, struct cfg_diags *src);
/* cfg_severity_name - "note", "warning", "error", "fatal" */
const char *cfg_severity_name(enum cfg_severity sev);

#endif
