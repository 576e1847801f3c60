/*
 * htab.h - string-keyed hash table that remembers insertion order
 *
 * Keys are copied and owned by the table; values are opaque pointers owned
 * by the caller unless a free function is given to cfg_htab_free().
 * Iteration visits live entries in insertion order, so output built from a
 * table is deterministic.
 */
#ifndef CFG_HTAB_H
#define CFG_HTAB_H

#include <stddef.h>

struct cfg_htab;

/* cfg_htab_new - a new empty table sized for about hint entries */
struct cfg_htab *cfg_htab_new(size_t hint);
/*
 * cfg_htab_new_borrowed - the same, but keys are the caller's: stored as
 * given, never copied or freed (they must outlive the table); saves a copy
 * of every key for a table over a document's own strings
 */
struct cfg_htab *cfg_htab_new_borrowed(size_t hint);
/* cfg_htab_free - free the table, calling free_val (if not NULL) on each value; NULL is a no-op */
void cfg_htab_free(struct cfg_htab *h, void (*free_val)(void *));
/* cfg_htab_get - the value stored under key, or NULL */
void *cfg_htab_get(const struct cfg_htab *h, const char *key);
/* cfg_htab_has - 1 when key is present (even with a NULL value), else 0 */
int cfg_htab_has(const struct cfg_htab *h, const char *key);
/* cfg_htab_put - store val under key; returns the previous value (caller frees) or NULL */
void *cfg_htab_put(struct cfg_htab *h, const char *key, void *val);
/* cfg_htab_del - remove key; returns its value (caller frees) or NULL */
void *cfg_htab_del(struct cfg_htab *h, const char *key);
/* cfg_htab_count - number of live entries */
size_t cfg_htab_count(const struct cfg_htab *h);
/*
 * cfg_htab_next - iterate: start with *pos = 0; returns 1 and sets *key and *val
 * (borrowed) for each live entry in insertion order, 0 at the end.  The
 * table must not be modified during iteration, except by cfg_htab_put() of
 * an existing key.
 */
int cfg_htab_next(const struct cfg_htab *h, size_t *pos, const char **key, void **val);

#endif
