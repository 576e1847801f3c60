/* xalloc.c - allocation that cannot fail (see cfg/xalloc.h) */
#include "config.h"

#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cfg/xalloc.h"

/* oom - report and abort; the only exit path in the library */
static void oom(size_t size)
{
	fprintf(stderr, "postkit: fatal: out of memory allocating %zu bytes\n", size);
	abort();
}

void *cfg_xmalloc(size_t size)
{
	void *p = malloc(size ? size : 1);
	if (p == NULL)
		oom(size);
	return p;
}

void *cfg_xcalloc(size_t nmemb, size_t size)
{
	void *p = calloc(nmemb ? nmemb : 1, size ? size : 1);
	if (p == NULL)
		oom(nmemb * size);
	return p;
}

void *cfg_xrealloc(void *ptr, size_t size)
{
	void *p = realloc(ptr, size ? size : 1);
	if (p == NULL)
		oom(size);
	return p;
}

void *cfg_xreallocarray(void *ptr, size_t nmemb, size_t size)
{
	if (size != 0 && nmemb > SIZE_MAX / size)
		oom(SIZE_MAX);
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

	va_start(ap, fmt);
	n = vasprintf(&p, fmt, ap);
	va_end(ap);
	if (n < 0)
		oom(0);
	return p;
}
