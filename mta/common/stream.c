/* stream.c - buffered descriptor I/O with deadlines (see stream.h) */
#include "config.h"

#include <errno.h>
#include <poll.h>
#include <stdarg.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cfg/base/xalloc.h"
#include "stream.h"

#define RBUF_SIZE 65536

void mta_stream_init(struct mta_stream *s, int fd, int timeout)
{
	struct stat st;

	memset(s, 0, sizeof(*s));
	s->fd = fd;
	s->timeout = timeout;
	s->rcap = RBUF_SIZE;
	s->rbuf = cfg_xmalloc(s->rcap);
	cfg_buf_init(&s->wbuf);
	/* sockets are ours alone: non-blocking, so I/O is tried first and poll() only waits */
	if (fstat(fd, &st) == 0 && S_ISSOCK(st.st_mode)) {
		int fl = fcntl(fd, F_GETFL);

		if (fl >= 0 && fcntl(fd, F_SETFL, fl | O_NONBLOCK) == 0)
			s->nonblock = 1;
	}
}

void mta_stream_fini(struct mta_stream *s)
{
	free(s->rbuf);
	s->rbuf = NULL;
	cfg_buf_fini(&s->wbuf);
}

int mta_stream_failed(const struct mta_stream *s)
{
	return s->eof || s->err;
}

/* wait_fd - wait for events on the fd within the timeout; 0 ready, -1 failed */
static int wait_fd(struct mta_stream *s, short events)
{
	struct pollfd p = {.fd = s->fd, .events = events};
	int n;

	if (s->timeout <= 0)
		return 0;
	do {
		n = poll(&p, 1, s->timeout * 1000);
	} while (n < 0 && errno == EINTR);
	if (n == 0) {
		s->err = ETIMEDOUT;
		return -1;
	}
	if (n < 0) {
		s->err = errno;
		return -1;
	}
	return 0;
}

/* io_wait - wait until the descriptor is ready for events, within the deadline; 0 or -1 */
static int io_wait(struct mta_stream *s, short events)
{
	if (s->timeout <= 0) {
		struct pollfd p = {.fd = s->fd, .events = events};

		while (poll(&p, 1, -1) < 0 && errno == EINTR)
			;
		return 0;
	}
	return wait_fd(s, events);
}

/* raw_read - one read from the descriptor or the TLS session; *ev is what to wait for on EAGAIN */
static ssize_t raw_read(struct mta_stream *s, void *buf, size_t len, short *ev)
{
	*ev = POLLIN;
	if (s->tls)
		return s->tls_io->read(s->tls, buf, len, ev);
	return read(s->fd, buf, len);
}

/* raw_write - one write to the descriptor or the TLS session */
static ssize_t raw_write(struct mta_stream *s, const void *buf, size_t len, short *ev)
{
	*ev = POLLOUT;
	if (s->tls)
		return s->tls_io->write(s->tls, buf, len, ev);
	return write(s->fd, buf, len);
}

/* fill - read more input into the buffer; 0 or -1 */
static int fill(struct mta_stream *s)
{
	ssize_t n;
	short ev;

	if (s->eof || s->err)
		return -1;
	if (s->rpos == s->rlen)
		s->rpos = s->rlen = 0;
	if (!s->nonblock && !s->tls && wait_fd(s, POLLIN) < 0)
		return -1;
	for (;;) {
		n = raw_read(s, s->rbuf + s->rlen, s->rcap - s->rlen, &ev);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && errno == EAGAIN && (s->nonblock || s->tls)) {
			/* nothing yet: wait for it, within the deadline */
			if (io_wait(s, ev) < 0)
				return -1;
			continue;
		}
		break;
	}
	if (n < 0) {
		s->err = errno;
		return -1;
	}
	if (n == 0) {
		s->eof = 1;
		return -1;
	}
	s->rlen += (size_t)n;
	s->rtotal += (unsigned long long)n;
	return 0;
}

size_t mta_stream_gets(struct mta_stream *s, struct cfg_buf *out, size_t max, int *eol)
{
	size_t got = 0;

	*eol = 0;
	while (got < max) {
		char *start, *lf;
		size_t avail, take;

		if (s->rpos == s->rlen && fill(s) < 0)
			break;
		start = s->rbuf + s->rpos;
		avail = s->rlen - s->rpos;
		if (avail > max - got)
			avail = max - got;
		lf = memchr(start, '\n', avail);
		take = lf ? (size_t)(lf - start) + 1 : avail;
		cfg_buf_add(out, start, take);
		s->rpos += take;
		got += take;
		if (lf) {
			*eol = 1;
			break;
		}
	}
	return got;
}

int mta_stream_read(struct mta_stream *s, struct cfg_buf *out, size_t n)
{
	while (n > 0) {
		size_t avail, take;

		if (s->rpos == s->rlen && fill(s) < 0)
			return -1;
		avail = s->rlen - s->rpos;
		take = avail < n ? avail : n;
		cfg_buf_add(out, s->rbuf + s->rpos, take);
		s->rpos += take;
		n -= take;
	}
	return 0;
}

size_t mta_stream_pending(const struct mta_stream *s)
{
	return s->rlen - s->rpos;
}

int mta_stream_peek_more(struct mta_stream *s)
{
	struct pollfd p = {.fd = s->fd, .events = POLLIN};

	if (s->rlen > s->rpos || (s->tls && s->tls_io->pending(s->tls) > 0))
		return 1;
	return poll(&p, 1, 0) > 0;
}

size_t mta_stream_peek(struct mta_stream *s, struct cfg_buf *out, size_t max)
{
	size_t n;

	if (s->rpos == s->rlen && mta_stream_peek_more(s) && fill(s) < 0)
		return 0;
	n = s->rlen - s->rpos;
	if (n > max)
		n = max;
	cfg_buf_add(out, s->rbuf + s->rpos, n);
	return n;
}

void mta_stream_write(struct mta_stream *s, const void *data, size_t len)
{
	cfg_buf_add(&s->wbuf, data, len);
}

void mta_stream_puts(struct mta_stream *s, const char *str)
{
	cfg_buf_adds(&s->wbuf, str);
}

void mta_stream_printf(struct mta_stream *s, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	cfg_buf_vprintf(&s->wbuf, fmt, ap);
	va_end(ap);
}

int mta_stream_flush(struct mta_stream *s)
{
	size_t off = 0;

	while (off < s->wbuf.len) {
		ssize_t n;
		short ev;

		if (s->err)
			break;
		if (!s->nonblock && !s->tls && wait_fd(s, POLLOUT) < 0)
			break;
		n = raw_write(s, s->wbuf.data + off, s->wbuf.len - off, &ev);
		if (n < 0) {
			if (errno == EAGAIN && (s->nonblock || s->tls)) {
				if (io_wait(s, ev) < 0)
					break;
				continue;
			}
			if (errno == EINTR || errno == EAGAIN)
				continue;
			s->err = errno;
			break;
		}
		off += (size_t)n;
	}
	cfg_buf_reset(&s->wbuf);
	return s->err ? -1 : 0;
}

void mta_stream_discard_input(struct mta_stream *s)
{
	s->rpos = s->rlen = 0;
}
