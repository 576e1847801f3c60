/*
 * xalloc.h - allocation that cannot fail
 *
 * Every allocation in postkit goes through these helpers.  On out-of-memory
 * they abort the process: a configuration tool or mail daemon that runs out
 * of memory cannot do anything useful, and checking every malloc() would
 * hide the real error paths.  This is the one place in libcfg allowed to end
 * the process.
 */
#ifndef CFG_XALLOC_H
#define CFG_XALLOC_H

#include <stddef.h>

/* cfg_xmalloc - malloc() or abort */
void *cfg_xmalloc(size_t size);
/* cfg_xcalloc - calloc() or abort */
void *cfg_xcalloc(size_t nmemb, size_t size);
/* cfg_xrealloc - realloc() or abort */
void *cfg_xrealloc(void *ptr, size_t size);
/* cfg_xreallocarray - realloc() of nmemb*size with overflow check, or abort */
void *cfg_xreallocarray(void *ptr, size_t nmemb, size_t size);
/* cfg_xstrdup - strdup() or abort */
char *cfg_xstrdup(const char *s);
/* cfg_xstrndup - copy at most n bytes of s and NUL-terminate, or abort */
char *cfg_xstrndup(const char *s, size_t n);
/* cfg_xasprintf - printf into a new string, or abort */
char *cfg_xasprintf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

#endif
