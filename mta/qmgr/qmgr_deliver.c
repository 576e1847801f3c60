/* qmgr_deliver.c - delivery jobs, concurrency limits, agent conversations (see qmgr.h) */
#include "config.h"

#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "addr.h"
#include "deliver.h"
#include "cfg/schema/daemon.h"
#include "cfg/doc/mastercf.h"
#include "cfg/base/xalloc.h"
#include "event.h"
#include "ipc.h"
#include "log.h"
#include "qmgr.h"

#define QM_BATCH_MAX 32 /* jobs for one destination in one agent connection */

static struct qmgr *QP;
static int running;

int qmgr_running(struct qmgr *q)
{
	(void)q;
	return running;
}

void qmgr_log_status(struct qm_msg *m, size_t idx, const char *relay, const char *dsn,
                     const char *status, const char *text, double dispatched)
{
	struct qf_rcpt *r = &m->env.rcpt[idx];
	struct dlv_times tm;

	tm.arrival = (double)m->env.arrival_sec + (double)m->env.arrival_usec / 1e6;
	tm.now = qmgr_wall();
	tm.active = m->active_time;
	tm.dispatch = dispatched > 0 ? dispatched : tm.now;
	tm.start = tm.dispatch; /* qmgr's own lines: no agent set-up time */
	dlv_status_line(m->qid, r->addr, r->orig, relay, &tm, dsn, status, text);
}

/* service_command - the command of the master.cf entry NAME/unix, or NULL */
static const char *service_command(struct qmgr *q, const char *name, const char **maxproc)
{
	const struct cfg_mastercf *mc = cfg_config_mastercf(q->srv->conf.cfg);
	const struct cfg_service *e = mc ? cfg_mastercf_find(mc, name, "unix") : NULL;

	if (e == NULL || e->argv.n == 0)
		return NULL;
	*maxproc = e->field[CFG_MF_MAXPROC];
	return e->argv.v[0];
}

/* service_long - NAME_suffix, or the default_ parameter when NAME has none */
static long service_long(struct qmgr *q, const char *name, const char *suffix)
{
	struct cfg_diags ds;
	char *p = cfg_xasprintf("%s%s", name, suffix);
	char *d = cfg_xasprintf("default%s", suffix);
	long v = 0;

	cfg_diags_init(&ds);
	if (cfg_view_int(q->srv->conf.view, p, &v, &ds) < 0) {
		cfg_diags_clear(&ds);
		if (cfg_view_int(q->srv->conf.view, d, &v, &ds) < 0)
			v = 1;
	}
	cfg_diags_fini(&ds);
	free(p);
	free(d);
	return v;
}

/* transport - find or set up a transport by name */
static struct qm_transport *transport(struct qmgr *q, const char *name)
{
	struct qm_transport *tp = cfg_htab_get(q->transports, name);
	const char *cmd, *maxproc = NULL;

	if (tp)
		return tp;
	tp = cfg_xcalloc(1, sizeof(*tp));
	tp->name = cfg_xstrdup(name);
	tp->dests = cfg_htab_new(16);
	cmd = service_command(q, name, &maxproc);
	if (cmd == NULL)
		tp->unavailable = cfg_xstrdup("mail transport unavailable");
	else if (!cfg_daemon_delivers(cmd))
		tp->unavailable =
		    cfg_xasprintf("mail transport unavailable: postkit does not implement the "
		                  "\"%s\" delivery agent yet",
		                  cmd);
	if (maxproc && strcmp(maxproc, "-") != 0)
		tp->maxproc = strtol(maxproc, NULL, 10);
	else
		tp->maxproc = mta_conf_long(&q->srv->conf, CFG_P_default_process_limit);
	tp->dest_limit = service_long(q, name, "_destination_concurrency_limit");
	tp->rcpt_limit = service_long(q, name, "_destination_recipient_limit");
	if (tp->dest_limit <= 0)
		tp->dest_limit = 20;
	if (tp->rcpt_limit <= 0)
		tp->rcpt_limit = 50;
	cfg_htab_put(q->transports, name, tp);
	return tp;
}

/* ring_add - put a destination with work into its transport's ring */
static void ring_add(struct qm_dest *d)
{
	struct qm_transport *tp = d->tp;

	if (d->in_ring)
		return;
	d->in_ring = 1;
	if (tp->ring == NULL) {
		d->rr_next = d;
		tp->ring = d;
	} else {
		d->rr_next = tp->ring->rr_next;
		tp->ring->rr_next = d;
	}
}

/* ring_remove - take an idle destination out of the ring */
static void ring_remove(struct qm_dest *d)
{
	struct qm_transport *tp = d->tp;
	struct qm_dest *p;

	if (!d->in_ring)
		return;
	d->in_ring = 0;
	if (d->rr_next == d) {
		tp->ring = NULL;
		return;
	}
	for (p = d; p->rr_next != d; p = p->rr_next)
		;
	p->rr_next = d->rr_next;
	if (tp->ring == d)
		tp->ring = d->rr_next;
}

/* dest - find or make a destination */
static struct qm_dest *dest(struct qm_transport *tp, const char *nexthop, const char *rcpt)
{
	char *key =
	    tp->rcpt_limit == 1 ? cfg_xasprintf("%s\t%s", nexthop, rcpt) : cfg_xstrdup(nexthop);
	struct qm_dest *d = cfg_htab_get(tp->dests, key);

	if (d == NULL) {
		d = cfg_xcalloc(1, sizeof(*d));
		d->key = key;
		d->nexthop = cfg_xstrdup(nexthop);
		d->tp = tp;
		cfg_htab_put(tp->dests, key, d);
	} else {
		free(key);
	}
	return d;
}

/*
 * filter_route - a content filter overrides the address resolver: every
 * recipient goes to transport:nexthop.  Without a nexthop it is
 * default_filter_nexthop, else the recipient's domain, else myhostname.
 */
static void filter_route(struct qmgr *q, const char *filter, const char *rcpt,
                         struct rslv_result *res)
{
	const char *colon = strchr(filter, ':');
	const char *dom = strrchr(rcpt, '@');

	cfg_buf_reset(&res->transport);
	cfg_buf_reset(&res->nexthop);
	cfg_buf_add(&res->transport, filter, colon ? (size_t)(colon - filter) : strlen(filter));
	if (colon && colon[1])
		cfg_buf_adds(&res->nexthop, colon + 1);
	else if (q->filter_nexthop && *q->filter_nexthop)
		cfg_buf_adds(&res->nexthop, q->filter_nexthop);
	else if (dom && dom[1])
		cfg_buf_adds(&res->nexthop, dom + 1);
	else
		cfg_buf_adds(&res->nexthop, rslv_myhostname(q->rslv));
}

void qmgr_schedule(struct qmgr *q, struct qm_msg *m)
{
	struct rslv_result res;

	QP = q;
	rslv_result_init(&res);
	for (size_t i = 0; i < m->env.nrcpt; i++) {
		struct qf_rcpt *r = &m->env.rcpt[i];
		struct qm_transport *tp;
		struct qm_dest *d;
		struct qm_job *j;

		if (r->status != '-')
			continue;
		/* sendmail -bv probes are answered by the real route, not the filter */
		if (m->env.filter && !(m->env.hflags & QF_H_VERIFY)) {
			filter_route(q, m->env.filter, r->addr, &res);
		} else if (rslv_resolve(q->rslv, r->addr, &res) < 0) {
			qmgr_log_status(m, i, "none", "4.3.0", "deferred",
			                "address resolver failure", 0);
			qmgr_result(q, m, i, "deferred", "4.3.0", "address resolver failure");
			continue;
		}
		tp = transport(q, res.transport.data);
		if (tp->unavailable) {
			const char *st =
			    (m->env.hflags & QF_H_VERIFY) ? "undeliverable" : "deferred";

			qmgr_log_status(m, i, "none", "4.3.0", st, tp->unavailable, 0);
			qmgr_result(q, m, i, st, "4.3.0", tp->unavailable);
			continue;
		}
		d = dest(tp, res.nexthop.data, r->addr);
		j = d->tail;
		if (j == NULL || j->msg != m || (long)j->n >= tp->rcpt_limit || j->fd >= 0) {
			j = cfg_xcalloc(1, sizeof(*j));
			j->msg = m;
			j->dest = d;
			j->fd = -1;
			if (d->tail)
				d->tail->next = j;
			else
				d->head = j;
			d->tail = j;
			m->jobs++;
		}
		j->idx = cfg_xreallocarray(j->idx, j->n + 1, sizeof(*j->idx));
		j->idx[j->n++] = i;
		ring_add(d);
	}
	rslv_result_fini(&res);
	if (m->jobs == 0)
		qmgr_job_done(q, m);
}

/* job_free - release a finished job */
static void job_free(struct qm_job *j)
{
	free(j->idx);
	free(j);
}

/* job_fail - an agent could not be reached or gave no answer: defer the rest */
static void job_fail(struct qm_job *j, const char *why)
{
	for (size_t k = 0; k < j->n; k++) {
		struct qf_rcpt *r = &j->msg->env.rcpt[j->idx[k]];

		if (r->status == '-') {
			qmgr_log_status(j->msg, j->idx[k], "none", "4.3.0", "deferred", why,
			                j->dispatched);
			qmgr_result(QP, j->msg, j->idx[k], "deferred", "4.3.0", why);
		}
	}
}

/* batch_end - bookkeeping after a connection: every job of the batch is done */
static void batch_end(struct qm_job *lead)
{
	struct qm_dest *d = lead->dest;

	d->active--;
	d->tp->active--;
	running--;
	d->last_done = qmgr_wall();
	if (d->head)
		ring_add(d);
	while (lead) {
		struct qm_job *next = lead->batch;
		struct qm_msg *m = lead->msg;

		job_free(lead);
		m->jobs--;
		qmgr_job_done(QP, m);
		lead = next;
	}
}

/* read_results - one agent answer for job j; the number of recipients it covered */
static int read_results(struct qm_job *lead, struct qm_job *j)
{
	struct cfg_strvec a;
	int got = 0;

	cfg_strvec_init(&a);
	if (ipc_recv(&lead->st, &a) == 0) {
		for (size_t i = 0; i < a.n; i++) {
			char *v, *f[4];
			int nf = 0;

			if (strncmp(a.v[i], "via=", 4) == 0) {
				/* idx, action, relay: the result of idx follows */
				char *end, *t = strchr(a.v[i] + 4, '\t'), *t2;
				size_t idx = (size_t)strtoul(a.v[i] + 4, &end, 10);

				if (t && end == t && (t2 = strchr(t + 1, '\t')) != NULL) {
					*t2 = '\0';
					qmgr_via(j->msg, idx, t + 1, t2 + 1);
				}
				continue;
			}
			if (strncmp(a.v[i], "result=", 7) != 0)
				continue;
			v = a.v[i] + 7;
			f[nf++] = v;
			while (nf < 4 && (v = strchr(v, '\t')) != NULL) {
				*v++ = '\0';
				f[nf++] = v;
			}
			if (nf == 4) {
				qmgr_result(QP, j->msg, (size_t)strtoul(f[0], NULL, 10), f[1], f[2],
				            f[3]);
				got++;
			}
		}
	}
	cfg_strvec_fini(&a);
	return got;
}

static void on_reply(int fd, int revents, void *ctx);

/* on_timeout - an agent that says nothing within ipc_timeout: defer its jobs */
static void on_timeout(void *ctx)
{
	struct qm_job *lead = ctx;

	mta_event_fd_remove(lead->fd);
	for (struct qm_job *j = lead; j; j = j->batch) {
		j->dispatched = lead->dispatched;
		job_fail(j, "delivery temporarily suspended: delivery agent timed out");
	}
	mta_stream_fini(&lead->st);
	close(lead->fd);
	batch_end(lead);
}

/* on_reply - the agent's answers, one per job of the batch, in order */
static void on_reply(int fd, int revents, void *ctx)
{
	struct qm_job *lead = ctx;

	(void)revents;
	mta_event_fd_remove(fd);
	mta_event_timer_cancel(on_timeout, lead);
	for (struct qm_job *j = lead; j; j = j->batch) {
		j->dispatched = lead->dispatched;
		if (read_results(lead, j) < (int)j->n)
			job_fail(j, "unknown mail transport error");
	}
	mta_stream_fini(&lead->st);
	close(fd);
	batch_end(lead);
}

/* queue_request - the delivery request for one job */
static void queue_request(struct qm_job *lead, struct qm_job *j)
{
	struct cfg_strvec a;
	struct qm_msg *m = j->msg;

	cfg_strvec_init(&a);
	ipc_add(&a, "request", "deliver");
	ipc_add(&a, "queue_name", "%s", QF_ACTIVE);
	ipc_add(&a, "queue_id", "%s", m->qid);
	ipc_add(&a, "nexthop", "%s", j->dest->nexthop);
	ipc_add(&a, "sender", "%s", m->env.sender);
	ipc_add(&a, "arrival", "%ld.%06ld", m->env.arrival_sec, m->env.arrival_usec);
	ipc_add(&a, "active_time", "%.6f", m->active_time);
	ipc_add(&a, "dispatch_time", "%.6f", lead->dispatched);
	if (m->env.hflags & QF_H_VERIFY)
		ipc_add(&a, "verify", "1");
	if (lead->dest->conn_store)
		ipc_add(&a, "conn_store", "1");
	for (size_t k = 0; k < j->n; k++)
		ipc_add(&a, "rcpt", "%zu", j->idx[k]);
	ipc_queue(&lead->st, &a);
	cfg_strvec_fini(&a);
}

/*
 * conn_demand - may the agent keep its connection for the next delivery
 * (smtp_connection_cache_on_demand)?  Only once mail to the destination
 * flows: the previous delivery ended less than a second ago.  It stays on
 * while deliveries run in parallel or back to back, and goes off when the
 * flow stops, so a lone message never leaves an idle connection behind.
 */
static void conn_demand(struct qm_dest *d, double now)
{
	int back_to_back = d->last_done > 0 && d->last_done + 1 >= now;

	if (!d->conn_store)
		d->conn_store = back_to_back;
	else if (d->active <= 1 && !back_to_back)
		d->conn_store = 0;
}

/* start - send a batch of jobs (one destination) to an agent; 0 started, -1 try later */
static int start(struct qmgr *q, struct qm_job *lead)
{
	struct cfg_strvec a;
	size_t count = 0;
	int fd;

	for (struct qm_job *j = lead; j; j = j->batch)
		count++;
	fd = ipc_connect(q->srv->queue_dir, "private", lead->dest->tp->name);
	lead->dispatched = qmgr_wall();
	lead->dest->active++;
	lead->dest->tp->active++;
	running++;
	conn_demand(lead->dest, lead->dispatched);
	if (fd < 0) {
		if (errno == EAGAIN) {
			lead->dest->active--;
			lead->dest->tp->active--;
			running--;
			return -1;
		}
		for (struct qm_job *j = lead; j; j = j->batch) {
			j->dispatched = lead->dispatched;
			job_fail(j, "mail transport unavailable");
		}
		batch_end(lead);
		return 0;
	}
	lead->fd = fd;
	mta_stream_init(&lead->st, fd, (int)(q->srv->ipc_timeout > 0 ? q->srv->ipc_timeout : 3600));
	if (count > 1) {
		cfg_strvec_init(&a);
		ipc_add(&a, "request", "batch");
		ipc_add(&a, "count", "%zu", count);
		ipc_queue(&lead->st, &a);
		cfg_strvec_fini(&a);
	}
	for (struct qm_job *j = lead; j; j = j->batch)
		queue_request(lead, j);
	mta_stream_flush(&lead->st);
	mta_event_fd(fd, POLLIN, on_reply, lead);
	mta_event_timer((double)(q->srv->ipc_timeout > 0 ? q->srv->ipc_timeout : 3600), on_timeout,
	                lead);
	return 0;
}

void qmgr_dispatch(struct qmgr *q)
{
	size_t pos = 0;
	const char *name;
	void *val;

	QP = q;
	while (cfg_htab_next(q->transports, &pos, &name, &val)) {
		struct qm_transport *tp = val;

		while (tp->ring && (tp->maxproc == 0 || tp->active < tp->maxproc)) {
			struct qm_dest *d = tp->ring, *start_d = d, *pick = NULL;
			struct qm_job *j, *last;
			size_t n = 1;

			/* round robin over destinations that may take one more */
			do {
				if (d->head && d->active < tp->dest_limit) {
					pick = d;
					break;
				}
				d = d->rr_next;
			} while (d != start_d);
			if (pick == NULL)
				break;
			tp->ring = pick->rr_next;
			/* the jobs waiting for one destination go out together */
			j = pick->head;
			last = j;
			while (last->next && n < QM_BATCH_MAX) {
				last->batch = last->next;
				last = last->next;
				n++;
			}
			pick->head = last->next;
			last->next = NULL;
			last->batch = NULL;
			for (struct qm_job *b = j; b; b = b->batch)
				b->next = NULL;
			if (pick->head == NULL) {
				pick->tail = NULL;
				ring_remove(pick);
			}
			if (start(q, j) < 0) {
				/* put them back in front, in order, and try on the next round */
				struct qm_job *b, *nx;

				for (b = j; b->batch; b = b->batch)
					b->next = b->batch;
				b->next = pick->head;
				if (pick->head == NULL)
					pick->tail = b;
				pick->head = j;
				for (b = j; b; b = nx) {
					nx = b->batch;
					b->batch = NULL;
				}
				ring_add(pick);
				break;
			}
		}
	}
}
