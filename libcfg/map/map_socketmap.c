/*
 * map_socketmap.c - socketmap: tables, Sendmail's socketmap protocol
 *
 * NAME is inet:host:port:mapname or unix:/path:mapname.  A lookup sends
 * the netstring "mapname key" and reads one netstring reply: "OK value",
 * "NOTFOUND ", "TEMP reason", "TIMEOUT reason" or "PERM reason".  The
 * connection stays open for the next lookups; it is reopened after IDLE
 * seconds without use or TTL seconds in all, and once when the server
 * hung up (a lookup is tried twice before "unexpected disconnect").
 *
 * Errors are warnings in Postfix's words plus a -1 return; the reason
 * cfg_map_error() gives is what Postfix appends to "query error" (its
 * errno at that point: "Operation now in progress" after an inet
 * connection, "Application error" after a UNIX-domain one, none after
 * PERM).
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "cfg/base/xalloc.h"
#include "map_int.h"

#define TIMEOUT_MS (100 * 1000) /* connect, send and receive */
#define IDLE 10                 /* seconds an unused connection is kept */
#define TTL 100                 /* seconds a connection is used in all */
#define MAX_REPLY 100000        /* bytes of a reply, as Postfix allows */

struct smap {
	char *endpoint; /* "host:port" or "/path", for messages */
	char *host, *port;
	int is_unix;
	char *mapname;
	int fd;
	time_t opened, used;
	struct cfg_buf io;    /* the request, then the reply */
	struct cfg_buf value; /* the last value found */
};

/* sm_close - release everything */
static void sm_close(struct cfg_map *m)
{
	struct smap *s = m->priv;

	if (s == NULL)
		return;
	if (s->fd >= 0)
		close(s->fd);
	free(s->endpoint);
	free(s->host);
	free(s->port);
	free(s->mapname);
	cfg_buf_fini(&s->io);
	cfg_buf_fini(&s->value);
	free(s);
	m->priv = NULL;
}

/* fatal - a fatal open diagnostic */
static int fatal(const char *text, struct cfg_diags *diags)
{
	cfg_diags_add(diags, CFG_SEV_FATAL, "map-socketmap", NULL, 0, 0, "%s", text);
	return -1;
}

/* parse_endpoint - split "inet:host:port" or "unix:/path" into s */
static int parse_endpoint(struct smap *s, const char *service, struct cfg_diags *diags)
{
	const char *colon = strchr(service, ':');
	char *msg;
	int ret;

	if (colon == NULL || colon[1] == 0) {
		msg = cfg_xasprintf("need service transport:endpoint instead of \"%s\"", service);
		ret = fatal(msg, diags);
		free(msg);
		return ret;
	}
	s->endpoint = cfg_xstrdup(colon + 1);
	if (strncmp(service, "unix:", 5) == 0) {
		s->is_unix = 1;
		return 0;
	}
	if (strncmp(service, "inet:", 5) != 0) {
		msg = cfg_xasprintf("invalid transport name: %.*s in service: %s",
		                    (int)(colon - service), service, service);
		ret = fatal(msg, diags);
		free(msg);
		return ret;
	}
	if ((colon = strrchr(s->endpoint, ':')) == NULL) {
		msg = cfg_xasprintf("%s: garbage after numerical service", s->endpoint);
		ret = fatal(msg, diags);
		free(msg);
		return ret;
	}
	s->host = cfg_xstrndup(s->endpoint, (size_t)(colon - s->endpoint));
	s->port = cfg_xstrdup(colon + 1);
	return 0;
}

/* sm_open - parse TRANSPORT:ENDPOINT:MAPNAME; the connection opens at the first lookup */
static int sm_open(struct cfg_map *m, struct cfg_diags *diags)
{
	struct smap *s = cfg_xcalloc(1, sizeof(*s));
	const char *last = strrchr(m->name, ':');
	char *service;
	int ret;

	m->priv = s;
	s->fd = -1;
	cfg_buf_init(&s->io);
	cfg_buf_init(&s->value);
	if (last == NULL)
		return fatal("socketmap requires server:socketmap argument", diags);
	s->mapname = cfg_xstrdup(last + 1);
	service = cfg_xstrndup(m->name, (size_t)(last - m->name));
	ret = parse_endpoint(s, service, diags);
	free(service);
	return ret;
}

/* wait_fd - poll fd for events within the timeout; 0, or -1 with errno (ETIMEDOUT) */
static int wait_fd(int fd, short events)
{
	struct pollfd p = {fd, events, 0};
	int n;

	while ((n = poll(&p, 1, TIMEOUT_MS)) < 0 && errno == EINTR)
		;
	if (n == 0)
		errno = ETIMEDOUT;
	return n > 0 ? 0 : -1;
}

/* connect_one - a non-blocking connect to one address, waited for; 0 or -1 with errno */
static int connect_one(int fd, const struct sockaddr *sa, socklen_t len)
{
	int err = 0;
	socklen_t elen = sizeof(err);

	if (connect(fd, sa, len) == 0)
		return 0;
	if (errno != EINPROGRESS)
		return -1;
	if (wait_fd(fd, POLLOUT) < 0)
		return -1;
	if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &elen) < 0)
		return -1;
	errno = err;
	return err ? -1 : 0;
}

/* sm_connect - open the connection; -1 with errno */
static int sm_connect(struct smap *s)
{
	struct addrinfo hints, *res = NULL, *ai;
	int fd = -1, err = ECONNREFUSED;

	if (s->is_unix) {
		struct sockaddr_un sun;

		memset(&sun, 0, sizeof(sun));
		sun.sun_family = AF_UNIX;
		if (strlen(s->endpoint) >= sizeof(sun.sun_path)) {
			errno = ENAMETOOLONG;
			return -1;
		}
		memcpy(sun.sun_path, s->endpoint, strlen(s->endpoint));
		if ((fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0)) < 0)
			return -1;
		if (connect_one(fd, (struct sockaddr *)&sun, sizeof(sun)) < 0) {
			err = errno;
			close(fd);
			errno = err;
			return -1;
		}
		return s->fd = fd;
	}
	memset(&hints, 0, sizeof(hints));
	hints.ai_socktype = SOCK_STREAM;
	if (getaddrinfo(*s->host ? s->host : "localhost", s->port, &hints, &res) != 0) {
		errno = EHOSTUNREACH;
		return -1;
	}
	for (ai = res; ai != NULL; ai = ai->ai_next) {
		fd = socket(ai->ai_family, ai->ai_socktype | SOCK_NONBLOCK | SOCK_CLOEXEC,
		            ai->ai_protocol);
		if (fd >= 0 && connect_one(fd, ai->ai_addr, ai->ai_addrlen) == 0)
			break;
		err = errno;
		if (fd >= 0)
			close(fd);
		fd = -1;
	}
	freeaddrinfo(res);
	errno = err;
	return fd < 0 ? -1 : (s->fd = fd);
}

/* send_all - write the request; -1 with errno */
static int send_all(int fd, const char *p, size_t len)
{
	while (len > 0) {
		ssize_t n = send(fd, p, len, MSG_NOSIGNAL);

		if (n < 0 && (errno == EAGAIN || errno == EINTR)) {
			if (wait_fd(fd, POLLOUT) < 0)
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

/* recv_byte - one byte of the reply: 0..255, -1 on EOF or error, -2 on timeout */
static int recv_byte(int fd)
{
	unsigned char c;

	for (;;) {
		ssize_t n = recv(fd, &c, 1, 0);

		if (n == 1)
			return c;
		if (n == 0 || (errno != EAGAIN && errno != EINTR))
			return -1;
		if (wait_fd(fd, POLLIN) < 0)
			return errno == ETIMEDOUT ? -2 : -1;
	}
}

/*
 * read_reply - read one netstring into s->io.  NULL, or the netstring error
 * in Postfix's words ("unexpected disconnect", "input format error",
 * "input exceeds size limit", "timeout").
 */
static const char *read_reply(struct smap *s)
{
	size_t len = 0;
	int c, digits = 0;

	cfg_buf_reset(&s->io);
	while ((c = recv_byte(s->fd)) >= '0' && c <= '9') {
		len = len * 10 + (size_t)(c - '0');
		if (++digits > 9)
			return "input format error";
	}
	if (c == -1)
		return "unexpected disconnect";
	if (c == -2)
		return "timeout";
	if (c != ':' || digits == 0)
		return "input format error";
	if (len > MAX_REPLY)
		return "input exceeds size limit";
	for (size_t i = 0; i <= len; i++) {
		if ((c = recv_byte(s->fd)) < 0)
			return c == -2 ? "timeout" : "unexpected disconnect";
		if (i < len)
			cfg_buf_addc(&s->io, (char)c);
		else if (c != ',')
			return "input format error";
	}
	return NULL;
}

/* drop - close the connection */
static void drop(struct smap *s)
{
	if (s->fd >= 0)
		close(s->fd);
	s->fd = -1;
}

/* exchange - send the request for key, read the reply; NULL or the error text */
static const char *exchange(struct smap *s, const char *key, int *retry)
{
	const char *why;
	char *req =
	    cfg_xasprintf("%zu:%s %s,", strlen(s->mapname) + 1 + strlen(key), s->mapname, key);
	int bad = send_all(s->fd, req, strlen(req));

	free(req);
	*retry = 1;
	if (bad)
		return "unexpected disconnect";
	why = read_reply(s);
	*retry = why != NULL && strcmp(why, "unexpected disconnect") == 0;
	return why;
}

/* io_error - Postfix's errno after a failed exchange, the reason of "query error" */
static int io_error(struct cfg_map *m, const struct smap *s)
{
	cfgp_map_set_error(m, s->is_unix ? "Application error" : strerror(EINPROGRESS));
	return -1;
}

/* answer - act on the reply in s->io: 1 found, 0 not found, -1 error (warned) */
static int answer(struct cfg_map *m, struct smap *s, const char **value, struct cfg_diags *diags)
{
	static const struct {
		const char *status, *what;
	} errs[] = {{"TEMP", "temporary"}, {"TIMEOUT", "timeout"}, {"PERM", "permanent"}};
	char *data = strchr(s->io.data, ' ');
	const char *what = "unknown";

	if (data == NULL)
		return 0;
	*data++ = 0;
	if (strcmp(s->io.data, "OK") == 0) {
		cfg_buf_reset(&s->value);
		cfg_buf_adds(&s->value, data);
		*value = s->value.data;
		return 1;
	}
	if (strcmp(s->io.data, "NOTFOUND") == 0)
		return 0;
	for (size_t i = 0; i < sizeof(errs) / sizeof(errs[0]); i++)
		if (strcmp(s->io.data, errs[i].status) == 0)
			what = errs[i].what;
	cfg_diags_add(diags, CFG_SEV_WARNING, "map-socketmap", NULL, 0, 0,
	              "%s socketmap server %s error: %s", m->label, what, data);
	if (strcmp(what, "permanent") == 0) {
		cfgp_map_set_error(m, "");
		return -1;
	}
	return io_error(m, s);
}

/* sm_lookup - ask the server, reconnecting once when it hung up */
static int sm_lookup(struct cfg_map *m, const char *key, const char **value,
                     struct cfg_diags *diags)
{
	struct smap *s = m->priv;
	time_t now = time(NULL);
	const char *why = NULL;
	int retry = 0;

	if (s->fd >= 0 && (now - s->used > IDLE || now - s->opened > TTL))
		drop(s);
	for (int tries = 0; tries < 2; tries++) {
		if (s->fd < 0) {
			if (sm_connect(s) < 0) {
				const char *err = strerror(errno);

				cfg_diags_add(diags, CFG_SEV_WARNING, "map-socketmap", NULL, 0, 0,
				              "connect to %s: %s", s->endpoint, err);
				cfg_diags_add(diags, CFG_SEV_WARNING, "map-socketmap", NULL, 0, 0,
				              "table %s lookup error: %s", m->label, err);
				cfgp_map_set_error(m, err);
				return -1;
			}
			s->opened = now;
		}
		s->used = now;
		if ((why = exchange(s, key, &retry)) == NULL)
			return answer(m, s, value, diags);
		drop(s);
		if (!retry)
			break;
	}
	cfg_diags_add(diags, CFG_SEV_WARNING, "map-socketmap", NULL, 0, 0,
	              "table %s lookup error: %s", m->label, why);
	return io_error(m, s);
}

const struct cfgp_map_ops cfgp_map_socketmap_ops = {
    .type = "socketmap",
    .open = sm_open,
    .lookup = sm_lookup,
    .close = sm_close,
};
