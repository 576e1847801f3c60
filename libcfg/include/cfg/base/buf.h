/*
 * buf.h - growable byte buffer
 *
 * One buffer type for the whole project.  Invariant after cfg_buf_init():
 * data is never NULL and data[len] == '\0', so a buffer can always be used
 * as a C string (it may also hold embedded NULs).  The buffer owns data.
 */
#ifndef CFG_BUF_H
#define CFG_BUF_H

#include <stdarg.h>
#include <stddef.h>

struct cfg_buf {
	char *data;
	size_t len;
	size_t cap;
};

/* cfg_buf_init - make an empty buffer */
void cfg_buf_init(struct cfg_buf *b);
/* cfg_buf_fini - release the storage; the buffer must be re-initialised to reuse */
void cfg_buf_fini(struct cfg_buf *b);
/* cfg_buf_reset - make the buffer empty, keeping its storage */
void cfg_buf_reset(struct cfg_buf *b);
/* cfg_buf_truncate - shorten to len bytes (no-op when already shorter) */
void cfg_buf_truncate(struct cfg_buf *b, size_t len);
/* cfg_buf_reserve - make room for at least n more bytes */
void cfg_buf_reserve(struct cfg_buf *b, size_t n);
/* cfg_buf_add - append n bytes */
void cfg_buf_add(struct cfg_buf *b, const void *p, size_t n);
/* cfg_buf_adds - append a C string */
void cfg_buf_adds(struct cfg_buf *b, const char *s);
/* cfg_buf_addc - append one byte */
void cfg_buf_addc(struct cfg_buf *b, int c);
/* cfg_buf_printf - append formatted text */
void cfg_buf_printf(struct cfg_buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* cfg_buf_vprintf - append formatted text, va_list form */
void cfg_buf_vprintf(struct cfg_buf *b, const char *fmt, va_list ap)
    __attribute__((format(printf, 2, 0)));
/* cfg_buf_take - hand the string to the caller (free() it); the buffer is left finalised (init to reuse) */
char *cfg_buf_take(struct cfg_buf *b);

#endif
