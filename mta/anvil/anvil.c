/*
 * anvil.c - the anvil service: connection and rate counters for smtpd
 *
 * One long-lived process (master.cf maxproc 1) on private/anvil.  Each smtpd
 * process keeps one connection open and asks, per client, with one request
 * per event and one reply each (ipc.h attributes; smtpd_anvil.c is the client):
 *   request=connect ident=SERVICE:ADDR    -> status=0 count=N rate=N
 *   request=disconnect ident=SERVICE:ADDR -> status=0
 *   request=message|recipient|newtls|auth ident=SERVICE:ADDR -> status=0 rate=N
 *   request=lookup ident=SERVICE:ADDR     -> status=0 count=N rate=N (new TLS
 *                                            sessions so far, nothing counted)
 * ident is the smtpd service name and the client address
 * ("smtp:192.0.2.1", "127.0.0.1:2525:127.0.0.1").  count is the number of
 * connections from the client open now, each rate the number of events in
 * the current anvil_rate_time_unit window; a window starts with the first
 * event after the previous one ended.  When an smtpd goes away its open
 * connections no longer count.  Every anvil_status_update_time, and when
 * master tells anvil to exit, the highest values since the last report are
 * logged as Postfix does:
 *   statistics: max connection rate 3/60s for (smtp:127.0.0.1) at Dec  7 08:27:11
 */
#include "config.h"

#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "cfg/base/htab.h"
#include "cfg/base/xalloc.h"
#include "event.h"
#include "ipc.h"
#include "log.h"
#include "server.h"

/* the rates anvil keeps, in the order the statistics report them */
enum anvil_rate { AR_CONN, AR_MAIL, AR_RCPT, AR_NTLS, AR_AUTH, AR_COUNT };

static const struct {
	const char *request; /* the request that counts one event */
	const char *label;   /* "max LABEL rate" in the statistics */
} rates[AR_COUNT] = {
    [AR_CONN] = {"connect", "connection"},  [AR_MAIL] = {"message", "message"},
    [AR_RCPT] = {"recipient", "recipient"}, [AR_NTLS] = {"newtls", "newtls"},
    [AR_AUTH] = {"auth", "auth"},
};

/* one client of one service */
struct anvil_entry {
	int count;           /* connections open now */
	int rate[AR_COUNT];  /* events in the current window */
	double window_start; /* mta_now() when the window began */
};

/* the highest value of one counter since the last report */
struct anvil_max {
	int value;
	char *ident;
	time_t when;
};

/* one smtpd process connected to anvil */
struct anvil_client {
	struct mta_stream st;
	struct cfg_strvec open; /* the idents of its connections open now, once each */
	struct anvil_client *next;
};

static struct {
	struct mta_server *srv;
	struct cfg_htab *entries; /* ident -> struct anvil_entry */
	struct anvil_client *clients;
	long unit;   /* anvil_rate_time_unit, seconds */
	long update; /* anvil_status_update_time, seconds */
	struct anvil_max max_rate[AR_COUNT], max_count;
	size_t max_cache;
	time_t max_cache_when;
	int stopping;
} A;

/* note_max - remember value when it is the highest since the last report */
static void note_max(struct anvil_max *m, int value, const char *ident)
{
	if (value <= m->value)
		return;
	m->value = value;
	free(m->ident);
	m->ident = cfg_xstrdup(ident);
	m->when = time(NULL);
}

/* stamp - "Dec  7 08:27:11" */
static const char *stamp(time_t when, char *out, size_t len)
{
	struct tm tm;

	localtime_r(&when, &tm);
	strftime(out, len, "%b %e %H:%M:%S", &tm);
	return out;
}

/* report - log the statistics since the last report, then start afresh */
static void report(void)
{
	char ts[32];

	for (int r = 0; r < AR_COUNT; r++) {
		struct anvil_max *m = &A.max_rate[r];

		if (r == AR_MAIL && A.max_count.value > 0)
			mta_info("statistics: max connection count %d for (%s) at %s",
			         A.max_count.value, A.max_count.ident,
			         stamp(A.max_count.when, ts, sizeof(ts)));
		if (m->value > 0)
			mta_info("statistics: max %s rate %d/%lds for (%s) at %s", rates[r].label,
			         m->value, A.unit, m->ident, stamp(m->when, ts, sizeof(ts)));
		free(m->ident);
		memset(m, 0, sizeof(*m));
	}
	if (A.max_cache > 0)
		mta_info("statistics: max cache size %zu at %s", A.max_cache,
		         stamp(A.max_cache_when, ts, sizeof(ts)));
	free(A.max_count.ident);
	memset(&A.max_count, 0, sizeof(A.max_count));
	A.max_cache = 0;
}

/* lookup - the entry of ident, its rate window brought up to date; created when missing */
static struct anvil_entry *lookup(const char *ident)
{
	struct anvil_entry *e = cfg_htab_get(A.entries, ident);
	double now = mta_now();

	if (e == NULL) {
		e = cfg_xcalloc(1, sizeof(*e));
		e->window_start = now;
		cfg_htab_put(A.entries, ident, e);
		if (cfg_htab_count(A.entries) > A.max_cache) {
			A.max_cache = cfg_htab_count(A.entries);
			A.max_cache_when = time(NULL);
		}
	} else if (now - e->window_start >= (double)A.unit) {
		memset(e->rate, 0, sizeof(e->rate));
		e->window_start = now;
	}
	return e;
}

/* sweep - forget clients with no open connection whose window has ended */
static void sweep(void)
{
	struct cfg_strvec gone;
	size_t pos = 0;
	const char *key;
	void *val;
	double now = mta_now();

	cfg_strvec_init(&gone);
	while (cfg_htab_next(A.entries, &pos, &key, &val)) {
		const struct anvil_entry *e = val;

		if (e->count == 0 && now - e->window_start >= (double)A.unit)
			cfg_strvec_add(&gone, key);
	}
	for (size_t i = 0; i < gone.n; i++)
		free(cfg_htab_del(A.entries, gone.v[i]));
	cfg_strvec_fini(&gone);
}

/* connection_closed - one connection of ident ended (a disconnect, or its smtpd went away) */
static void connection_closed(const char *ident)
{
	struct anvil_entry *e = cfg_htab_get(A.entries, ident);

	if (e && e->count > 0)
		e->count--;
}

/* forget_open - the client's record of one open connection of ident, removed */
static int forget_open(struct anvil_client *c, const char *ident)
{
	for (size_t i = 0; i < c->open.n; i++) {
		if (strcmp(c->open.v[i], ident) == 0) {
			free(c->open.v[i]);
			c->open.v[i] = c->open.v[--c->open.n];
			c->open.v[c->open.n] = NULL;
			return 1;
		}
	}
	return 0;
}

/* handle - one request; the reply attributes in out */
static void handle(void *ctx, const struct cfg_strvec *in, struct cfg_strvec *out)
{
	struct anvil_client *c = ctx;
	const char *req = ipc_get(in, "request");
	const char *ident = ipc_get(in, "ident");
	struct anvil_entry *e;

	if (req == NULL || ident == NULL || *ident == '\0') {
		ipc_add(out, "status", "%d", -1);
		return;
	}
	if (strcmp(req, "lookup") == 0) {
		/* the new TLS session rate so far, not counted (smtpd's STARTTLS check) */
		e = lookup(ident);
		ipc_add(out, "status", "%d", 0);
		ipc_add(out, "count", "%d", e->count);
		ipc_add(out, "rate", "%d", e->rate[AR_NTLS]);
		return;
	}
	if (strcmp(req, "disconnect") == 0) {
		if (forget_open(c, ident))
			connection_closed(ident);
		ipc_add(out, "status", "%d", 0);
		return;
	}
	for (int r = 0; r < AR_COUNT; r++) {
		if (strcmp(req, rates[r].request) != 0)
			continue;
		e = lookup(ident);
		e->rate[r]++;
		note_max(&A.max_rate[r], e->rate[r], ident);
		ipc_add(out, "status", "%d", 0);
		if (r == AR_CONN) {
			e->count++;
			cfg_strvec_add(&c->open, ident);
			note_max(&A.max_count, e->count, ident);
			ipc_add(out, "count", "%d", e->count);
		}
		ipc_add(out, "rate", "%d", e->rate[r]);
		return;
	}
	mta_warn("unknown request: \"%s\"", req);
	ipc_add(out, "status", "%d", -1);
}

/* client_free - one smtpd went away: its open connections no longer count */
static void client_free(struct anvil_client *c)
{
	struct anvil_client **pp;

	for (pp = &A.clients; *pp && *pp != c; pp = &(*pp)->next)
		;
	if (*pp)
		*pp = c->next;
	for (size_t i = 0; i < c->open.n; i++)
		connection_closed(c->open.v[i]);
	mta_event_fd_remove(c->st.fd);
	close(c->st.fd);
	mta_stream_fini(&c->st);
	cfg_strvec_fini(&c->open);
	free(c);
}

/* on_client - requests from one smtpd, answered in turn */
static void on_client(int fd, int revents, void *ctx)
{
	struct anvil_client *c = ctx;

	(void)fd;
	(void)revents;
	if (ipc_answer(&c->st, handle, c) < 0)
		client_free(c);
}

/* on_accept - a new smtpd connection */
static void on_accept(int lfd, int revents, void *ctx)
{
	int fd;

	(void)revents;
	(void)ctx;
	while ((fd = accept4(lfd, NULL, NULL, SOCK_CLOEXEC | SOCK_NONBLOCK)) >= 0) {
		struct anvil_client *c = cfg_xcalloc(1, sizeof(*c));

		mta_stream_init(&c->st, fd, (int)A.srv->ipc_timeout);
		cfg_strvec_init(&c->open);
		c->next = A.clients;
		A.clients = c;
		mta_event_fd(fd, POLLIN, on_client, c);
	}
	if (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR)
		mta_warn("accept: %m");
}

/* on_gen - master says exit */
static void on_gen(int fd, int revents, void *ctx)
{
	(void)revents;
	(void)ctx;
	mta_event_fd_remove(fd);
	A.stopping = 1;
}

/* on_status - the periodic report and cache clean-up */
static void on_status(void *ctx)
{
	(void)ctx;
	report();
	sweep();
	mta_event_timer((double)A.update, on_status, NULL);
}

/* on_sweep - drop expired entries once per rate time unit */
static void on_sweep(void *ctx)
{
	(void)ctx;
	sweep();
	mta_event_timer((double)A.unit, on_sweep, NULL);
}

/* run - the anvil loop, until master closes the generation pipe */
static void run(struct mta_server *srv)
{
	A.srv = srv;
	for (int i = 0; i < srv->nlisten; i++)
		mta_event_fd(srv->listen_fd + i, POLLIN, on_accept, NULL);
	if (srv->gen_fd >= 0)
		mta_event_fd(srv->gen_fd, POLLIN, on_gen, NULL);
	mta_event_timer((double)A.update, on_status, NULL);
	mta_event_timer((double)A.unit, on_sweep, NULL);
	while (!A.stopping && !srv->standalone)
		mta_event_run(-1);
	report();
	while (A.clients)
		client_free(A.clients);
	cfg_htab_free(A.entries, free);
	A.entries = NULL;
}

/* init - settings */
static void init(struct mta_server *srv)
{
	A.unit = mta_conf_time(&srv->conf, CFG_P_anvil_rate_time_unit);
	A.update = mta_conf_time(&srv->conf, CFG_P_anvil_status_update_time);
	if (A.unit <= 0)
		A.unit = 60;
	if (A.update <= 0)
		A.update = 600;
	A.entries = cfg_htab_new(64);
}

/* anvil_main - the anvil program */
int anvil_main(int argc, char **argv);
int anvil_main(int argc, char **argv)
{
	static const struct mta_server_ops ops = {.init = init, .run = run};

	return mta_server_main(argc, argv, "anvil", MTA_SERVE_EVENT, &ops, NULL);
}
