/*
 * xalloc.h - allocation that cannot fail
 *
 * Every allocation in postkit goes through these helpers.  On out-of-memory
 * they end the process: a configuration tool or mail daemon that runs out
 * of memory cannot do anything useful, and checking every malloc() would
 * hide the real error paths.  How it ends is the program's choice: main()
 * installs a handler with cfg_xalloc_set_oom() that reports in the
 * program's own words and exits (postmap: Postfix's "fatal: mymalloc:
 * insufficient memory for N bytes: Cannot allocate memory", status 1).
 * Without one, or if the handler returns, the process aborts: this is the
 * one place in libcfg allowed to end the process.
 */
#ifndef CFG_XALLOC_H
#define CFG_XALLOC_H

#include <stddef.h>

/*
 * cfg_oom_fn - called when an allocation of size bytes failed, with errno
 * ENOMEM; what is the Postfix name of the allocator ("mymalloc" or
 * "myrealloc").  Must not return; it must not allocate either.
 */
typedef void (*cfg_oom_fn)(const char *what, size_t size);
/* cfg_xalloc_set_oom - install the out-of-memory handler (NULL: abort); process-wide */
void cfg_xalloc_set_oom(cfg_oom_fn fn);

/* cfg_xmalloc - malloc() or the out-of-memory handler */
void *cfg_xmalloc(size_t size);
/* cfg_xcalloc - calloc() or the out-of-memory handler */
void *cfg_xcalloc(size_t nmemb, size_t size);
/* cfg_xrealloc - realloc() or the out-of-memory handler */
void *cfg_xrealloc(void *ptr, size_t size);
/* cfg_xreallocarray - realloc() of nmemb*size with overflow check, or the handler */
void *cfg_xreallocarray(void *ptr, size_t nmemb, size_t size);
/* cfg_xstrdup - strdup() or the out-of-memory handler */
char *cfg_xstrdup(const char *s);
/* cfg_xstrndup - copy at most n bytes of s and NUL-terminate, or the handler */
char *cfg_xstrndup(const char *s, size_t n);
/* cfg_xasprintf - printf into a new string, or the out-of-memory handler */
char *cfg_xasprintf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

#endif
