/* event.c - a small poll() event loop (see event.h) */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cfg/base/xalloc.h"
#include "event.h"

struct watch {
	int fd;
	int events;
	mta_fd_cb cb;
	void *ctx;
};

struct timer {
	double when;
	mta_timer_cb cb;
	void *ctx;
};

static struct watch *watches;
static size_t nwatch, capwatch;
static struct timer *timers;
static size_t ntimer, captimer;
static int wake_pipe[2] = {-1, -1};

void mta_event_forget(void)
{
	nwatch = 0;
	ntimer = 0;
	wake_pipe[0] = wake_pipe[1] = -1;
}

double mta_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

void mta_event_fd(int fd, int events, mta_fd_cb cb, void *ctx)
{
	for (size_t i = 0; i < nwatch; i++) {
		if (watches[i].fd == fd) {
			watches[i].events = events;
			watches[i].cb = cb;
			watches[i].ctx = ctx;
			return;
		}
	}
	if (nwatch == capwatch) {
		capwatch = capwatch ? capwatch * 2 : 16;
		watches = cfg_xreallocarray(watches, capwatch, sizeof(*watches));
	}
	watches[nwatch++] = (struct watch){fd, events, cb, ctx};
}

void mta_event_fd_remove(int fd)
{
	for (size_t i = 0; i < nwatch; i++) {
		if (watches[i].fd == fd) {
			watches[i] = watches[--nwatch];
			return;
		}
	}
}

void mta_event_timer(double delay, mta_timer_cb cb, void *ctx)
{
	mta_event_timer_cancel(cb, ctx);
	if (ntimer == captimer) {
		captimer = captimer ? captimer * 2 : 16;
		timers = cfg_xreallocarray(timers, captimer, sizeof(*timers));
	}
	timers[ntimer++] = (struct timer){mta_now() + delay, cb, ctx};
}

void mta_event_timer_cancel(mta_timer_cb cb, void *ctx)
{
	for (size_t i = 0; i < ntimer; i++) {
		if (timers[i].cb == cb && timers[i].ctx == ctx) {
			timers[i] = timers[--ntimer];
			return;
		}
	}
}

void mta_event_wakeup(void)
{
	int e = errno;

	if (wake_pipe[1] >= 0 && write(wake_pipe[1], "x", 1) < 0) {
		/* pipe full: a wakeup is already pending */
	}
	errno = e;
}

void mta_event_run(double max_wait)
{
	struct pollfd *pfd;
	size_t n, i;
	double now = mta_now(), wait = max_wait;
	int ms, rc;

	if (wake_pipe[0] < 0 && pipe2(wake_pipe, O_CLOEXEC | O_NONBLOCK) < 0)
		wake_pipe[0] = wake_pipe[1] = -1;
	for (i = 0; i < ntimer; i++) {
		double d = timers[i].when - now;

		if (d < 0)
			d = 0;
		if (wait < 0 || d < wait)
			wait = d;
	}
	n = nwatch;
	pfd = cfg_xcalloc(n + 1, sizeof(*pfd));
	for (i = 0; i < n; i++) {
		pfd[i].fd = watches[i].fd;
		pfd[i].events = (short)watches[i].events;
	}
	pfd[n].fd = wake_pipe[0];
	pfd[n].events = POLLIN;
	ms = wait < 0 ? -1 : (int)(wait * 1000.0 + 0.999);
	rc = poll(pfd, n + 1, ms);
	if (rc > 0) {
		if (pfd[n].revents) {
			char junk[64];

			while (read(wake_pipe[0], junk, sizeof(junk)) > 0)
				;
		}
		for (i = 0; i < n; i++) {
			if (pfd[i].revents == 0)
				continue;
			/* the callback table may have changed: find the fd again */
			for (size_t j = 0; j < nwatch; j++) {
				if (watches[j].fd == pfd[i].fd) {
					struct watch w = watches[j];

					w.cb(w.fd, pfd[i].revents, w.ctx);
					break;
				}
			}
		}
	}
	free(pfd);
	/* fire the timers that are due now; ones they add wait for the next round */
	now = mta_now();
	{
		struct timer *due = NULL;
		size_t ndue = 0;

		for (i = 0; i < ntimer;) {
			if (timers[i].when <= now) {
				due = cfg_xreallocarray(due, ndue + 1, sizeof(*due));
				due[ndue++] = timers[i];
				timers[i] = timers[--ntimer];
				continue;
			}
			i++;
		}
		for (i = 0; i < ndue; i++)
			due[i].cb(due[i].ctx);
		free(due);
	}
}
