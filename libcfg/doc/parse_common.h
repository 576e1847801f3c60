/*
 * parse_common.h - internals shared by the main.cf and master.cf parsers
 *
 * Not installed.  Postfix's "name = value" split and the message helpers
 * both parsers need so their diagnostics read exactly like Postfix's.
 */
#ifndef CFG_PARSE_COMMON_H
#define CFG_PARSE_COMMON_H

#include <stddef.h>

#include "cfg/base/diag.h"
#include "cfg/base/lines.h"

/* cfgp_isspace - the ASCII whitespace Postfix's ISSPACE() accepts */
int cfgp_isspace(int c);
/*
 * cfgp_split_nameval - split the C string s as "name = value": the name
 * runs from the first non-blank to the next blank or '=', blanks around '='
 * and at the end are dropped.  Returns NULL and sets the ranges, or the
 * Postfix error text "missing attribute name" / "missing '=' after
 * attribute name".
 */
const char *cfgp_split_nameval(const char *s, size_t *name_off, size_t *name_len, size_t *value_off,
                               size_t *value_len);
/* cfgp_printable - replace in place every byte outside printable ASCII with '?' */
void cfgp_printable(char *s);
/*
 * cfgp_diag - append a diagnostic whose message is then made printable the
 * way Postfix's logger does; param (may be NULL) is copied.
 */
struct cfg_diag *cfgp_diag(struct cfg_diags *ds, enum cfg_severity sev, const char *code,
                           const char *file, unsigned line, const char *param, const char *fmt, ...)
    __attribute__((format(printf, 7, 8)));
/* cfgp_orphan_warning - "PATH: logical line must not start with whitespace" for ll's orphan */
void cfgp_orphan_warning(struct cfg_diags *ds, const char *code, const char *path,
                         const struct cfg_lline *ll);

/*
 * struct cfgp_arena - strings that live as long as a document: one
 * allocation per 64 KiB instead of one per string (a 100,000-line main.cf
 * parses without 100,000 mallocs).
 */
struct cfgp_arena {
	struct cfgp_chunk *head;
};

/* cfgp_arena_strndup - copy s[0..n) and a NUL into the arena */
char *cfgp_arena_strndup(struct cfgp_arena *a, const char *s, size_t n);
/* cfgp_arena_alloc - n uninitialised bytes from the arena */
char *cfgp_arena_alloc(struct cfgp_arena *a, size_t n);
/* cfgp_arena_free - release every string of the arena and the arena itself; NULL is a no-op */
void cfgp_arena_free(struct cfgp_arena *a);

#endif
