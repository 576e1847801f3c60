/* deliver.c - the delivery agent's side of a qmgr request (see deliver.h) */
#include "config.h"

#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>
#include <unistd.h>

#include "addr.h"
#include "cfg/base/xalloc.h"
#include "deliver.h"
#include "ipc.h"
#include "log.h"

/* wall - wall-clock seconds */
static double wall(void)
{
	struct timeval tv;

	gettimeofday(&tv, NULL);
	return (double)tv.tv_sec + (double)tv.tv_usec / 1e6;
}

/* fmt_delay - "0.07", "1.2", "13", as Postfix prints delays */
static void fmt_delay(double d, char *buf, size_t len)
{
	char *dot;

	if (d < 0)
		d = 0;
	if (d >= 100)
		snprintf(buf, len, "%.0f", d);
	else if (d >= 10)
		snprintf(buf, len, "%.1f", d);
	else
		snprintf(buf, len, "%.2f", d);
	if ((dot = strchr(buf, '.')) != NULL) {
		char *end = buf + strlen(buf) - 1;

		while (end > dot && *end == '0')
			*end-- = '\0';
		if (end == dot)
			*end = '\0';
	}
}

/* parse - a request from its attributes: open the queue file, pick the recipients; 0 or -1 */
static int parse(struct mta_server *srv, const struct cfg_strvec *a, struct dlv_req *r)
{
	struct cfg_buf why;
	char *path;
	const char *qid, *queue;
	int rc = -1;

	memset(r, 0, sizeof(*r));
	r->srv = srv;
	r->fd = -1;
	qf_env_init(&r->env);
	cfg_strvec_init(&r->results);
	cfg_buf_init(&why);
	r->start_time = wall();
	qid = ipc_get(a, "queue_id");
	queue = ipc_get(a, "queue_name");
	if (qid == NULL || queue == NULL || !qf_valid_id(qid) || strchr(queue, '/')) {
		mta_warn("bad delivery request");
		goto out;
	}
	snprintf(r->qid, sizeof(r->qid), "%s", qid);
	r->queue_name = cfg_xstrdup(queue);
	r->nexthop = cfg_xstrdup(ipc_get(a, "nexthop") ? ipc_get(a, "nexthop") : "");
	r->sender = cfg_xstrdup(ipc_get(a, "sender") ? ipc_get(a, "sender") : "");
	r->verify = ipc_get_long(a, "verify", 0) != 0;
	r->conn_store = ipc_get_long(a, "conn_store", 0) != 0;
	r->arrival = strtod(ipc_get(a, "arrival") ? ipc_get(a, "arrival") : "0", NULL);
	r->active_time = strtod(ipc_get(a, "active_time") ? ipc_get(a, "active_time") : "0", NULL);
	r->dispatch_time =
	    strtod(ipc_get(a, "dispatch_time") ? ipc_get(a, "dispatch_time") : "0", NULL);
	path = qf_path(srv->queue_dir, queue, qid);
	r->fd = open(path, O_RDWR | O_CLOEXEC);
	if (r->fd < 0) {
		mta_warn("%s: open %s: %m", qid, path);
		free(path);
		goto out;
	}
	free(path);
	if (qf_read(r->fd, &r->env, &why) < 0) {
		mta_warn("%s: %s", qid, why.data);
		goto out;
	}
	for (size_t i = 0; i < a->n; i++) {
		size_t idx;

		if (strncmp(a->v[i], "rcpt=", 5) != 0)
			continue;
		idx = (size_t)strtoul(a->v[i] + 5, NULL, 10);
		if (idx >= r->env.nrcpt)
			continue;
		r->rcpt = cfg_xreallocarray(r->rcpt, r->n + 1, sizeof(*r->rcpt));
		r->rcpt[r->n].idx = idx;
		r->rcpt[r->n].qr = &r->env.rcpt[idx];
		r->n++;
	}
	rc = 0;
out:
	cfg_buf_fini(&why);
	return rc;
}

int dlv_read(struct mta_server *srv, struct mta_stream *st, struct dlv_req *r)
{
	struct cfg_strvec a;
	int rc = -1;

	cfg_strvec_init(&a);
	if (ipc_recv(st, &a) == 0)
		rc = parse(srv, &a, r);
	else {
		memset(r, 0, sizeof(*r));
		r->fd = -1;
		qf_env_init(&r->env);
		cfg_strvec_init(&r->results);
	}
	cfg_strvec_fini(&a);
	return rc;
}

void dlv_status_line(const char *qid, const char *to, const char *orig, const char *relay,
                     const struct dlv_times *tm, const char *dsn, const char *status,
                     const char *text)
{
	struct cfg_buf line, ext;
	char d[32], a[32], b[32], c[32], t[32];

	fmt_delay(tm->now - tm->arrival, d, sizeof(d));
	fmt_delay(tm->active - tm->arrival, a, sizeof(a));
	fmt_delay(tm->dispatch - tm->active, b, sizeof(b));
	fmt_delay(tm->start - tm->dispatch, c, sizeof(c));
	fmt_delay(tm->now - tm->start, t, sizeof(t));
	cfg_buf_init(&line);
	cfg_buf_init(&ext);
	addr_externalize(to, &ext);
	cfg_buf_printf(&line, "%s: to=<%s>,", qid, ext.data);
	if (strcmp(orig, to) != 0) {
		cfg_buf_reset(&ext);
		addr_externalize(orig, &ext);
		cfg_buf_printf(&line, " orig_to=<%s>,", ext.data);
	}
	cfg_buf_printf(&line, " relay=%s, delay=%s, delays=%s/%s/%s/%s, dsn=%s, status=%s (%s)",
	               relay, d, a, b, c, t, dsn, status, text);
	mta_info("%s", line.data);
	cfg_buf_fini(&ext);
	cfg_buf_fini(&line);
}

void dlv_log(struct dlv_req *r, size_t k, const char *to, const char *orig, const char *relay,
             const char *dsn, const char *status, const char *text)
{
	struct dlv_times tm = {r->arrival, r->active_time, r->dispatch_time, r->start_time, wall()};

	(void)k;
	dlv_status_line(r->qid, to, orig, relay, &tm, dsn, status, text);
}

void dlv_via(struct dlv_req *r, size_t k, const char *relay, const char *action)
{
	ipc_add(&r->results, "via", "%zu\t%s\t%s", r->rcpt[k].idx, action, relay);
}

void dlv_result(struct dlv_req *r, size_t k, const char *status, const char *dsn, const char *text)
{
	ipc_add(&r->results, "result", "%zu\t%s\t%s\t%s", r->rcpt[k].idx, status, dsn, text);
}

void dlv_status(struct dlv_req *r, size_t k, const char *relay, const char *dsn, const char *status,
                const char *fmt, ...)
{
	struct qf_rcpt *q = r->rcpt[k].qr;
	struct cfg_buf text;
	va_list ap;

	cfg_buf_init(&text);
	va_start(ap, fmt);
	cfg_buf_vprintf(&text, fmt, ap);
	va_end(ap);
	dlv_log(r, k, q->addr, q->orig, relay, dsn, status, text.data);
	if (strcmp(status, "sent") == 0)
		dlv_via(r, k, relay, r->success_action ? r->success_action : "delivered");
	dlv_result(r, k, status, dsn, text.data);
	cfg_buf_fini(&text);
}

void dlv_correct(struct dlv_req *r, size_t k, const char *relay, const char *addr, const char *orig,
                 const char *status, const char *dsn, const char *text)
{
	char prefix[64];
	int n = snprintf(prefix, sizeof(prefix), "result=%zu\t", r->rcpt[k].idx);

	dlv_log(r, k, addr, orig, relay, dsn, status, text);
	for (size_t i = 0; i < r->results.n; i++) {
		char *v = r->results.v[i];

		if (strncmp(v, prefix, (size_t)n) != 0 || strncmp(v + n, "deferred\t", 9) == 0
		    || (strcmp(status, "bounced") == 0 && strncmp(v + n, "sent\t", 5) != 0))
			continue;
		free(v);
		r->results.v[i] = cfg_xasprintf("%s%s\t%s\t%s", prefix, status, dsn, text);
	}
}

void dlv_reply(struct dlv_req *r, struct mta_stream *st)
{
	ipc_send(st, &r->results);
}

void dlv_fini(struct dlv_req *r)
{
	if (r->fd >= 0)
		close(r->fd);
	free(r->queue_name);
	free(r->nexthop);
	free(r->sender);
	free(r->rcpt);
	qf_env_fini(&r->env);
	cfg_strvec_fini(&r->results);
}

void dlv_serve(struct mta_server *srv, int fd, void (*deliver)(struct dlv_req *r))
{
	dlv_serve_batch(srv, fd, deliver, NULL);
}

void dlv_serve_batch(struct mta_server *srv, int fd, void (*deliver)(struct dlv_req *r),
                     void (*finish)(struct dlv_req *reqs, size_t n))
{
	struct mta_stream st;
	struct cfg_strvec a;
	struct dlv_req *reqs;
	size_t n = 1;
	int ok[DLV_BATCH_MAX];

	mta_stream_init(&st, fd, (int)(srv->ipc_timeout > 0 ? srv->ipc_timeout : 3600));
	cfg_strvec_init(&a);
	if (ipc_recv(&st, &a) < 0)
		goto out;
	if (ipc_get(&a, "request") && strcmp(ipc_get(&a, "request"), "batch") == 0) {
		/* several messages for one destination: one connection, one mailbox lock, one fsync */
		long count = ipc_get_long(&a, "count", 0);

		if (count < 1 || count > DLV_BATCH_MAX)
			goto out;
		n = (size_t)count;
		if (ipc_recv(&st, &a) < 0)
			goto out;
	}
	reqs = cfg_xcalloc(n, sizeof(*reqs));
	for (size_t i = 0; i < n; i++) {
		if (i > 0 && ipc_recv(&st, &a) < 0) {
			n = i;
			break;
		}
		ok[i] = parse(srv, &a, &reqs[i]) == 0;
		if (ok[i])
			deliver(&reqs[i]);
	}
	if (finish)
		finish(reqs, n);
	/* the answers go out only after the last copy is safely on disk */
	for (size_t i = 0; i < n; i++)
		ipc_queue(&st, &reqs[i].results);
	mta_stream_flush(&st);
	for (size_t i = 0; i < n; i++)
		dlv_fini(&reqs[i]);
	free(reqs);
out:
	cfg_strvec_fini(&a);
	mta_stream_fini(&st);
}
