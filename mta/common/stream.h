/*
 * stream.h - buffered descriptor I/O with deadlines
 *
 * One reader buffer and one writer buffer over a descriptor (socket, pipe
 * or file).  Every blocking step waits at most `timeout` seconds (0: no
 * limit); a timeout sets err = ETIMEDOUT.  After an error or end of file
 * the stream stays failed: callers test s->err / s->eof once per step,
 * which keeps protocol code free of error plumbing.  The descriptor is
 * borrowed: mta_stream_fini() does not close it.  Once s->tls is set (after
 * a STARTTLS or at a wrapper-mode connect) every byte goes through the TLS
 * session (tls.h), which the stream borrows too.
 */
#ifndef MTA_STREAM_H
#define MTA_STREAM_H

#include <stddef.h>
#include <sys/types.h>

#include "cfg/base/buf.h"

struct mta_tls;

/*
 * The TLS session's I/O, given with the session by mta_tls_attach() (tls.h):
 * the stream has no TLS code of its own, so a program that never starts TLS
 * (postmap talking to proxymap) does not link OpenSSL
 */
struct mta_stream_tls_io {
	ssize_t (*read)(struct mta_tls *t, void *buf, size_t len, short *events);
	ssize_t (*write)(struct mta_tls *t, const void *buf, size_t len, short *events);
	size_t (*pending)(const struct mta_tls *t);
};

struct mta_stream {
	int fd;
	struct mta_tls *tls; /* NULL: plain descriptor I/O */
	const struct mta_stream_tls_io *tls_io;
	int timeout; /* seconds per blocking step, 0 none */
	char *rbuf;
	size_t rpos, rlen, rcap;
	struct cfg_buf wbuf;
	int nonblock;              /* a socket we made non-blocking */
	int eof;                   /* peer closed */
	int err;                   /* errno of the first failure, ETIMEDOUT on timeout */
	unsigned long long rtotal; /* bytes read so far */
};

/* mta_stream_init - wrap fd */
void mta_stream_init(struct mta_stream *s, int fd, int timeout);
/* mta_stream_fini - release buffers (fd stays open) */
void mta_stream_fini(struct mta_stream *s);
/* mta_stream_failed - 1 after EOF or an error */
int mta_stream_failed(const struct mta_stream *s);
/*
 * mta_stream_gets - append bytes to out up to and including the next LF,
 * but at most max bytes.  Returns the number of bytes appended (0 at EOF or
 * error), and sets *eol to 1 when the LF was read (it is in out).
 */
size_t mta_stream_gets(struct mta_stream *s, struct cfg_buf *out, size_t max, int *eol);
/* mta_stream_read - append exactly n bytes to out; -1 on EOF/error/timeout */
int mta_stream_read(struct mta_stream *s, struct cfg_buf *out, size_t n);
/* mta_stream_pending - bytes already buffered and unread */
size_t mta_stream_pending(const struct mta_stream *s);
/* mta_stream_peek_more - 1 when input is available right now (buffered or on the fd) */
int mta_stream_peek_more(struct mta_stream *s);
/*
 * mta_stream_peek - up to max bytes of the input that has already arrived
 * (buffered, or readable right now without waiting), appended to out
 * without consuming them; the number of bytes
 */
size_t mta_stream_peek(struct mta_stream *s, struct cfg_buf *out, size_t max);
/* mta_stream_write - queue bytes for output */
void mta_stream_write(struct mta_stream *s, const void *data, size_t len);
/* mta_stream_puts - queue a C string */
void mta_stream_puts(struct mta_stream *s, const char *str);
/* mta_stream_printf - queue formatted output */
void mta_stream_printf(struct mta_stream *s, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
/* mta_stream_flush - write queued output; 0 or -1 */
int mta_stream_flush(struct mta_stream *s);
/* mta_stream_discard_input - drop buffered unread input */
void mta_stream_discard_input(struct mta_stream *s);

#endif
