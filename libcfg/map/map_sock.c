/*
 * map_sock.c - the client sockets of socketmap: and memcache: tables
 *
 * Both name their server as Postfix services do ("inet:host:port" or
 * "unix:/path") and talk to it over one stream socket with time limits on
 * connect, send and receive.  The parse errors are Postfix's words.
 * Replies are read through a buffer (one recv() for whatever has arrived,
 * lines and counted bytes served from it); TCP connections have Nagle off,
 * as the clients send each request in one write and wait for its reply.
 */
#include "config.h"

#include <errno.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "cfg/base/xalloc.h"
#include "map_int.h"

/* fatal - a fatal diagnostic: the text of an owned message */
static int fatal(char *msg, struct cfg_diags *diags)
{
	cfg_diags_add(diags, CFG_SEV_FATAL, "map-endpoint", NULL, 0, 0, "%s", msg);
	free(msg);
	return -1;
}

int cfgp_endpoint_parse(struct cfgp_endpoint *e, const char *service, struct cfg_diags *diags)
{
	const char *colon = strchr(service, ':');

	memset(e, 0, sizeof(*e));
	if (colon == NULL || colon[1] == 0)
		return fatal(
		    cfg_xasprintf("need service transport:endpoint instead of \"%s\"", service),
		    diags);
	if (strncmp(service, "unix:", 5) != 0 && strncmp(service, "inet:", 5) != 0)
		return fatal(cfg_xasprintf("invalid transport name: %.*s in service: %s",
		                           (int)(colon - service), service, service),
		             diags);
	e->endpoint = cfg_xstrdup(colon + 1);
	if (service[0] == 'u') {
		e->is_unix = 1;
		return 0;
	}
	if ((colon = strrchr(e->endpoint, ':')) == NULL)
		return fatal(cfg_xasprintf("%s: garbage after numerical service", e->endpoint),
		             diags);
	e->host = cfg_xstrndup(e->endpoint, (size_t)(colon - e->endpoint));
	e->port = cfg_xstrdup(colon + 1);
	/* [IPv6 address] */
	if (e->host[0] == '[' && e->host[strlen(e->host) - 1] == ']') {
		char *bare = cfg_xstrndup(e->host + 1, strlen(e->host) - 2);

		free(e->host);
		e->host = bare;
	}
	return 0;
}

void cfgp_endpoint_fini(struct cfgp_endpoint *e)
{
	free(e->endpoint);
	free(e->host);
	free(e->port);
	memset(e, 0, sizeof(*e));
}

/* wait_fd - poll fd for events within ms; 0, or -1 with errno (ETIMEDOUT) */
static int wait_fd(int fd, short events, int ms)
{
	struct pollfd p = {fd, events, 0};
	int n;

	while ((n = poll(&p, 1, ms)) < 0 && errno == EINTR)
		;
	if (n == 0)
		errno = ETIMEDOUT;
	return n > 0 ? 0 : -1;
}

/* connect_one - a non-blocking connect to one address, waited for; 0 or -1 with errno */
static int connect_one(int fd, const struct sockaddr *sa, socklen_t len, int ms)
{
	int err = 0;
	socklen_t elen = sizeof(err);

	if (connect(fd, sa, len) == 0)
		return 0;
	if (errno != EINPROGRESS)
		return -1;
	if (wait_fd(fd, POLLOUT, ms) < 0)
		return -1;
	if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &elen) < 0)
		return -1;
	errno = err;
	return err ? -1 : 0;
}

/* connect_unix - the UNIX-domain socket e->endpoint */
static int connect_unix(const struct cfgp_endpoint *e, int ms)
{
	struct sockaddr_un sun;
	int fd, err;

	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	if (strlen(e->endpoint) >= sizeof(sun.sun_path)) {
		errno = ENAMETOOLONG;
		return -1;
	}
	memcpy(sun.sun_path, e->endpoint, strlen(e->endpoint));
	if ((fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0)) < 0)
		return -1;
	if (connect_one(fd, (struct sockaddr *)&sun, sizeof(sun), ms) < 0) {
		err = errno;
		close(fd);
		errno = err;
		return -1;
	}
	return fd;
}

/* connect_inet - the first address of e that accepts, with Nagle off; fd or -1 with errno */
static int connect_inet(const struct cfgp_endpoint *e, int ms)
{
	struct addrinfo hints, *res = NULL, *ai;
	int fd = -1, err = ECONNREFUSED, one = 1;

	memset(&hints, 0, sizeof(hints));
	hints.ai_socktype = SOCK_STREAM;
	if (getaddrinfo(*e->host ? e->host : "localhost", e->port, &hints, &res) != 0) {
		errno = EHOSTUNREACH;
		return -1;
	}
	for (ai = res; ai != NULL; ai = ai->ai_next) {
		fd = socket(ai->ai_family, ai->ai_socktype | SOCK_NONBLOCK | SOCK_CLOEXEC,
		            ai->ai_protocol);
		if (fd >= 0 && connect_one(fd, ai->ai_addr, ai->ai_addrlen, ms) == 0)
			break;
		err = errno;
		if (fd >= 0)
			close(fd);
		fd = -1;
	}
	freeaddrinfo(res);
	/* a request is one write and waits for its reply: no delayed-ACK stalls */
	if (fd >= 0)
		(void)setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	else
		errno = err;
	return fd;
}

void cfgp_sock_init(struct cfgp_sock *s)
{
	s->fd = -1;
	s->off = s->len = 0;
}

int cfgp_sock_open(struct cfgp_sock *s, const struct cfgp_endpoint *e, int ms)
{
	cfgp_sock_close(s);
	s->fd = e->is_unix ? connect_unix(e, ms) : connect_inet(e, ms);
	return s->fd < 0 ? -1 : 0;
}

void cfgp_sock_close(struct cfgp_sock *s)
{
	if (s->fd >= 0)
		close(s->fd);
	cfgp_sock_init(s);
}

int cfgp_sock_send(struct cfgp_sock *s, const char *p, size_t len, int ms)
{
	while (len > 0) {
		ssize_t n = send(s->fd, p, len, MSG_NOSIGNAL);

		if (n < 0 && (errno == EAGAIN || errno == EINTR)) {
			if (wait_fd(s->fd, POLLOUT, ms) < 0)
				return -1;
			continue;
		}
		if (n <= 0)
			return -1;
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

/* fill - receive what the server has sent into the empty buffer: 0, -1 end or error, -2 timeout */
static int fill(struct cfgp_sock *s, int ms)
{
	s->off = s->len = 0;
	for (;;) {
		ssize_t n = recv(s->fd, s->buf, sizeof(s->buf), 0);

		if (n > 0) {
			s->len = (size_t)n;
			return 0;
		}
		if (n == 0 || (errno != EAGAIN && errno != EINTR))
			return -1;
		if (wait_fd(s->fd, POLLIN, ms) < 0)
			return errno == ETIMEDOUT ? -2 : -1;
	}
}

int cfgp_sock_getc(struct cfgp_sock *s, int ms)
{
	int r;

	if (s->off == s->len && (r = fill(s, ms)) < 0)
		return r;
	return (unsigned char)s->buf[s->off++];
}

int cfgp_sock_read(struct cfgp_sock *s, struct cfg_buf *b, size_t n, int ms)
{
	while (n > 0) {
		size_t k;
		int r;

		if (s->off == s->len && (r = fill(s, ms)) < 0)
			return r;
		k = s->len - s->off < n ? s->len - s->off : n;
		cfg_buf_add(b, s->buf + s->off, k);
		s->off += k;
		n -= k;
	}
	return 0;
}

int cfgp_sock_line(struct cfgp_sock *s, struct cfg_buf *b, size_t max, int ms)
{
	cfg_buf_reset(b);
	for (;;) {
		const char *p, *nl;
		size_t k;
		int r;

		if (s->off == s->len && (r = fill(s, ms)) < 0)
			return r;
		p = s->buf + s->off;
		nl = memchr(p, '\n', s->len - s->off);
		k = nl ? (size_t)(nl - p) : s->len - s->off;
		if (b->len + k > max)
			return -3;
		cfg_buf_add(b, p, k);
		s->off += k;
		if (nl) {
			s->off++;
			return 0;
		}
	}
}
