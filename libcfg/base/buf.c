/* buf.c - growable byte buffer (see cfg/buf.h) */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cfg/base/buf.h"
#include "cfg/base/xalloc.h"

void cfg_buf_init(struct cfg_buf *b)
{
	b->cap = 64;
	b->len = 0;
	b->data = cfg_xmalloc(b->cap);
	b->data[0] = '\0';
}

void cfg_buf_fini(struct cfg_buf *b)
{
	free(b->data);
	b->data = NULL;
	b->len = b->cap = 0;
}

void cfg_buf_reset(struct cfg_buf *b)
{
	b->len = 0;
	b->data[0] = '\0';
}

void cfg_buf_truncate(struct cfg_buf *b, size_t len)
{
	if (len < b->len) {
		b->len = len;
		b->data[len] = '\0';
	}
}

void cfg_buf_reserve(struct cfg_buf *b, size_t n)
{
	size_t need = b->len + n + 1;

	size_t cap;

	if (need <= b->cap)
		return;
	/* double, or take exactly what a large request asks for (a whole file) */
	cap = b->cap < 64 ? 64 : b->cap * 2;
	b->cap = cap < need ? need : cap;
	b->data = cfg_xrealloc(b->data, b->cap);
}

void cfg_buf_add(struct cfg_buf *b, const void *p, size_t n)
{
	cfg_buf_reserve(b, n);
	memcpy(b->data + b->len, p, n);
	b->len += n;
	b->data[b->len] = '\0';
}

void cfg_buf_adds(struct cfg_buf *b, const char *s)
{
	cfg_buf_add(b, s, strlen(s));
}

void cfg_buf_addc(struct cfg_buf *b, int c)
{
	cfg_buf_reserve(b, 1);
	b->data[b->len++] = (char)c;
	b->data[b->len] = '\0';
}

void cfg_buf_vprintf(struct cfg_buf *b, const char *fmt, va_list ap)
{
	va_list ap2;
	int n;

	va_copy(ap2, ap);
	n = vsnprintf(b->data + b->len, b->cap - b->len, fmt, ap2);
	va_end(ap2);
	if (n < 0)
		return;
	if ((size_t)n >= b->cap - b->len) {
		cfg_buf_reserve(b, (size_t)n);
		vsnprintf(b->data + b->len, b->cap - b->len, fmt, ap);
	}
	b->len += (size_t)n;
}

void cfg_buf_printf(struct cfg_buf *b, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	cfg_buf_vprintf(b, fmt, ap);
	va_end(ap);
}

char *cfg_buf_take(struct cfg_buf *b)
{
	char *p = b->data;

	b->data = NULL;
	b->len = b->cap = 0;
	return p;
}
