/* netconn.c - client sockets with a deadline (see netconn.h) */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "netconn.h"

int netconn_wait(int fd, short events, time_t deadline)
{
	struct pollfd pfd = {.fd = fd, .events = events};
	time_t now = time(NULL);
	int rc;

	do {
		rc = poll(&pfd, 1, deadline > now ? (int)(deadline - now) * 1000 : 0);
	} while (rc < 0 && errno == EINTR);
	if (rc == 0)
		errno = ETIMEDOUT;
	return rc > 0 ? 0 : -1;
}

/* open_unix - a UNIX-domain stream socket connected to path */
static int open_unix(const char *path)
{
	struct sockaddr_un sun;
	int fd, err;

	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	snprintf(sun.sun_path, sizeof(sun.sun_path), "%s", path);
	if ((fd = socket(AF_UNIX, SOCK_STREAM, 0)) < 0)
		return -1;
	if (connect(fd, (struct sockaddr *)&sun, sizeof(sun)) < 0) {
		err = errno;
		close(fd);
		errno = err;
		return -1;
	}
	fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK);
	return fd;
}

int netconn_open(const char *name, int unix_path, time_t deadline)
{
	char host[256];
	const char *colon = strrchr(name, ':');
	struct addrinfo hints, *ai = NULL;
	int fd, err = 0;
	socklen_t elen = sizeof(err);
	size_t n;

	if (unix_path)
		return open_unix(name);
	if (colon == NULL || (size_t)(colon - name) >= sizeof(host)) {
		errno = EINVAL;
		return -1;
	}
	snprintf(host, sizeof(host), "%.*s", (int)(colon - name), name);
	n = strlen(host);
	if (n >= 2 && host[0] == '[' && host[n - 1] == ']') {
		memmove(host, host + 1, n - 2);
		host[n - 2] = '\0';
	}
	memset(&hints, 0, sizeof(hints));
	hints.ai_socktype = SOCK_STREAM;
	if (getaddrinfo(host, colon + 1, &hints, &ai) != 0 || ai == NULL) {
		errno = EHOSTUNREACH;
		return -1;
	}
	fd = socket(ai->ai_family, SOCK_STREAM, 0);
	if (fd >= 0) {
		fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK);
		if (connect(fd, ai->ai_addr, ai->ai_addrlen) < 0
		    && (errno != EINPROGRESS || netconn_wait(fd, POLLOUT, deadline) < 0
		        || getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &elen) < 0 || err != 0)) {
			err = err ? err : errno;
			close(fd);
			fd = -1;
			errno = err;
		}
	}
	freeaddrinfo(ai);
	return fd;
}
