/*
 * netconn.h - client sockets to the services smtpd and cleanup talk to (policy servers, milters)
 *
 * A TCP "host:port" (host may be "[addr]") or a UNIX-domain path, connected
 * within a deadline.  The descriptor comes back non-blocking; callers poll
 * with netconn_wait() before each read or write.
 */
#ifndef NETCONN_H
#define NETCONN_H

#include <time.h>

/* netconn_wait - poll one descriptor until the deadline; 0, or -1 with errno (ETIMEDOUT) */
int netconn_wait(int fd, short events, time_t deadline);
/*
 * netconn_open - connect to "host:port" (unix_path 0) or a path (unix_path 1)
 * before the deadline; a non-blocking descriptor, or -1 with errno
 */
int netconn_open(const char *name, int unix_path, time_t deadline);

#endif
