/* ipc.c - requests and replies between postkit processes (see ipc.h) */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "cfg/base/xalloc.h"
#include "ipc.h"
#include "qfile.h"

#define IPC_LINE_MAX (1 << 20)

void ipc_add(struct cfg_strvec *a, const char *name, const char *fmt, ...)
{
	struct cfg_buf b;
	va_list ap;

	cfg_buf_init(&b);
	cfg_buf_printf(&b, "%s=", name);
	va_start(ap, fmt);
	cfg_buf_vprintf(&b, fmt, ap);
	va_end(ap);
	cfg_strvec_take(a, cfg_buf_take(&b));
}

const char *ipc_get(const struct cfg_strvec *a, const char *name)
{
	size_t n = strlen(name);

	for (size_t i = 0; i < a->n; i++)
		if (strncmp(a->v[i], name, n) == 0 && a->v[i][n] == '=')
			return a->v[i] + n + 1;
	return NULL;
}

long ipc_get_long(const struct cfg_strvec *a, const char *name, long def)
{
	const char *v = ipc_get(a, name);
	char *end;
	long n;

	if (v == NULL || *v == '\0')
		return def;
	errno = 0;
	n = strtol(v, &end, 10);
	if (*end || errno)
		return def;
	return n;
}

void ipc_queue(struct mta_stream *s, const struct cfg_strvec *a)
{
	for (size_t i = 0; i < a->n; i++) {
		qf_escape(&s->wbuf, a->v[i]);
		cfg_buf_addc(&s->wbuf, '\n');
	}
	cfg_buf_addc(&s->wbuf, '\n');
}

int ipc_send(struct mta_stream *s, const struct cfg_strvec *a)
{
	ipc_queue(s, a);
	return mta_stream_flush(s);
}

int ipc_recv(struct mta_stream *s, struct cfg_strvec *a)
{
	struct cfg_buf line;
	int eol, rc = -1;

	cfg_strvec_clear(a);
	cfg_buf_init(&line);
	for (;;) {
		cfg_buf_reset(&line);
		if (mta_stream_gets(s, &line, IPC_LINE_MAX, &eol) == 0 || !eol)
			break;
		cfg_buf_truncate(&line, line.len - 1);
		if (line.len == 0) {
			rc = 0;
			break;
		}
		qf_unescape(line.data);
		cfg_strvec_add(a, line.data);
	}
	cfg_buf_fini(&line);
	return rc;
}

int ipc_answer(struct mta_stream *s,
               void (*handle)(void *ctx, const struct cfg_strvec *in, struct cfg_strvec *out),
               void *ctx)
{
	struct cfg_strvec in, out;
	int rc = 0;

	cfg_strvec_init(&in);
	cfg_strvec_init(&out);
	do {
		if (ipc_recv(s, &in) < 0) {
			rc = -1;
			break;
		}
		cfg_strvec_clear(&out);
		handle(ctx, &in, &out);
		if (ipc_send(s, &out) < 0) {
			rc = -1;
			break;
		}
	} while (mta_stream_pending(s) > 0);
	cfg_strvec_fini(&in);
	cfg_strvec_fini(&out);
	return rc;
}

void ipc_chunk(struct mta_stream *s, const void *data, size_t len)
{
	cfg_buf_printf(&s->wbuf, "%zx\n", len);
	cfg_buf_add(&s->wbuf, data, len);
}

long ipc_recv_chunk(struct mta_stream *s, struct cfg_buf *out)
{
	struct cfg_buf line;
	int eol;
	long n = -1;
	char *end;

	cfg_buf_init(&line);
	if (mta_stream_gets(s, &line, 32, &eol) > 0 && eol) {
		n = strtol(line.data, &end, 16);
		if (*end != '\n' || n < 0 || n > (1L << 30))
			n = -1;
	}
	cfg_buf_fini(&line);
	if (n > 0 && mta_stream_read(s, out, (size_t)n) < 0)
		n = -1;
	return n;
}

char *ipc_endpoint(const char *queue_dir, const char *class, const char *service)
{
	return cfg_xasprintf("%s/%s/%s", queue_dir, class, service);
}

/* do_connect - connect a stream socket, optionally without blocking */
static int do_connect(const char *queue_dir, const char *class, const char *service, int nb)
{
	struct sockaddr_un sun;
	char *path = ipc_endpoint(queue_dir, class, service);
	int fd, e;

	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	if (strlen(path) >= sizeof(sun.sun_path)) {
		free(path);
		errno = ENAMETOOLONG;
		return -1;
	}
	memcpy(sun.sun_path, path, strlen(path) + 1);
	free(path);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | (nb ? SOCK_NONBLOCK : 0), 0);
	if (fd < 0)
		return -1;
	if (connect(fd, (struct sockaddr *)&sun, sizeof(sun)) < 0) {
		e = errno;
		close(fd);
		errno = e;
		return -1;
	}
	return fd;
}

int ipc_connect(const char *queue_dir, const char *class, const char *service)
{
	return do_connect(queue_dir, class, service, 0);
}

int ipc_trigger(const char *queue_dir, const char *class, const char *service, char req)
{
	/* never block: a full backlog means the server has plenty of wakeups */
	int fd = do_connect(queue_dir, class, service, 1);
	int rc = 0;

	if (fd < 0)
		return -1;
	/* a server that woke up and closed before reading still got the wakeup */
	if (send(fd, &req, 1, MSG_NOSIGNAL) != 1 && errno != EPIPE && errno != ECONNRESET)
		rc = -1;
	close(fd);
	return rc;
}

int ipc_trigger_read(int fd, char *req, size_t len)
{
	struct pollfd p = {.fd = fd, .events = POLLIN};
	ssize_t n;

	/* the client connects first and writes after: give it a moment */
	if (poll(&p, 1, 100) <= 0)
		return 0;
	n = read(fd, req, len);
	return n > 0 ? (int)n : 0;
}
