/* xalloc.c - allocation that cannot fail (see cfg/xalloc.h) */
#include "config.h"

#include <errno.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cfg/base/xalloc.h"

/* the program's handler; the one process-wide setting of the library, set once by main() */
static cfg_oom_fn oom_handler;

void cfg_xalloc_set_oom(cfg_oom_fn fn)
{
	oom_handler = fn;
}

/* oom - the program's handler, or report and abort: the only exit path in the library */
static void oom(const char *what, size_t size)
{
	errno = ENOMEM;
	if (oom_handler)
		oom_handler(what, size);
	fprintf(stderr, "postkit: fatal: out of memory allocating %zu bytes\n", size);
	abort();
}

void *cfg_xmalloc(size_t size)
{
	void *p = malloc(size ? size : 1);
	if (p == NULL)
		oom("mymalloc", size);
	return p;
}

void *cfg_xcalloc(size_t nmemb, size_t size)
{
	void *p;

	if (size != 0 && nmemb > SIZE_MAX / size)
		oom("mymalloc", SIZE_MAX);
	p = calloc(nmemb ? nmemb : 1, size ? size : 1);
	if (p == NULL)
		oom("mymalloc", nmemb * size);
	return p;
}

void *cfg_xrealloc(void *ptr, size_t size)
{
	void *p = realloc(ptr, size ? size : 1);
	if (p == NULL)
		oom("myrealloc", size);
	return p;
}

void *cfg_xreallocarray(void *ptr, size_t nmemb, size_t size)
{
	if (size != 0 && nmemb > SIZE_MAX / size)
		oom("myrealloc", SIZE_MAX);
	return cfg_xrealloc(ptr, nmemb * size);
}

char *cfg_xstrdup(const char *s)
{
	return cfg_xstrndup(s, strlen(s));
}

char *cfg_xstrndup(const char *s, size_t n)
{
	size_t len = strnlen(s, n);
	char *p = cfg_xmalloc(len + 1);
	memcpy(p, s, len);
	p[len] = '\0';
	return p;
}

char *cfg_xasprintf(const char *fmt, ...)
{
	va_list ap;
	char *p;
	int n;

	/* measure, then format into memory from cfg_xmalloc: its failure is reported like any */
	va_start(ap, fmt);
	n = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	if (n < 0)
		oom("mymalloc", 0);
	p = cfg_xmalloc((size_t)n + 1);
	va_start(ap, fmt);
	vsnprintf(p, (size_t)n + 1, fmt, ap);
	va_end(ap);
	return p;
}
