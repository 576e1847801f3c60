/*
 * event.h - a small poll() event loop
 *
 * For the processes that juggle several things at once (master, qmgr,
 * pickup): descriptors with a callback each, plus one-shot timers.  Single
 * threaded; callbacks may add or remove descriptors and timers.  A signal
 * handler wakes the loop with mta_event_wakeup() (self-pipe).
 */
#ifndef MTA_EVENT_H
#define MTA_EVENT_H

typedef void (*mta_fd_cb)(int fd, int revents, void *ctx);
typedef void (*mta_timer_cb)(void *ctx);

/* mta_event_fd - watch fd for events (POLLIN/POLLOUT); replaces an earlier watch of fd */
void mta_event_fd(int fd, int events, mta_fd_cb cb, void *ctx);
/* mta_event_fd_remove - stop watching fd (no-op when not watched) */
void mta_event_fd_remove(int fd);
/* mta_event_timer - call cb(ctx) once after delay seconds; replaces a timer with the same cb+ctx */
void mta_event_timer(double delay, mta_timer_cb cb, void *ctx);
/* mta_event_timer_cancel - remove the timer for cb+ctx */
void mta_event_timer_cancel(mta_timer_cb cb, void *ctx);
/* mta_event_run - wait for and dispatch events once, at most max_wait seconds (<0: no cap) */
void mta_event_run(double max_wait);
/* mta_event_wakeup - async-signal-safe: make mta_event_run() return soon */
void mta_event_wakeup(void);
/* mta_event_forget - drop every watch and timer without closing anything (a forked child) */
void mta_event_forget(void);
/* mta_now - monotonic time in seconds */
double mta_now(void);

#endif
