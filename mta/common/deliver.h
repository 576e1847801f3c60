/*
 * deliver.h - the delivery agent's side of a qmgr request
 *
 * qmgr sends "request=deliver" with the queue ID, sender, next hop, the
 * timing of the message so far, and the indices of the recipients to try.
 * The agent opens the queue file, does the work, logs one status line per
 * recipient in Postfix's format ("QUEUEID: to=<...>, relay=..., delay=...,
 * delays=a/b/c/d, dsn=..., status=... (...)") and answers one
 * "result=IDX<TAB>STATUS<TAB>DSN<TAB>TEXT" per recipient.
 */
#ifndef MTA_DELIVER_H
#define MTA_DELIVER_H

#include <stddef.h>

#include "cfg/base/strvec.h"
#include "qfile.h"
#include "server.h"
#include "stream.h"

struct dlv_rcpt {
	size_t idx;
	struct qf_rcpt *qr; /* in req->env: orig, addr, mark */
};

struct dlv_req {
	struct mta_server *srv;
	char qid[QF_ID_MAX];
	char *queue_name;
	char *nexthop;
	char *sender;
	int verify; /* sendmail -bv: say what would happen, do nothing */
	/*
	 * conn_store: qmgr sees back-to-back deliveries to this next hop; an
	 * agent may keep its connection open for the next request
	 * (smtp_connection_cache_on_demand)
	 */
	int conn_store;
	/*
	 * DSN action of a success, for NOTIFY=SUCCESS notices: "delivered"
	 * (default), "relayed", or "none" when the next hop took the request over
	 */
	const char *success_action;
	double arrival, active_time, dispatch_time, start_time;
	int fd; /* the queue file, read-write */
	struct qf_env env;
	struct dlv_rcpt *rcpt;
	size_t n;
	struct cfg_strvec results;
};

/* dlv_read - read a request and open its queue file; 0, or -1 (nothing to answer) */
int dlv_read(struct mta_server *srv, struct mta_stream *st, struct dlv_req *r);
/*
 * dlv_status - log the status line of recipient k and record the result.
 * status is "sent", "bounced" or "deferred"; dsn like "5.1.1".
 */
void dlv_status(struct dlv_req *r, size_t k, const char *relay, const char *dsn, const char *status,
                const char *fmt, ...) __attribute__((format(printf, 6, 7)));
/* the five moments of a delivery whose differences the delays= field shows */
struct dlv_times {
	double arrival;  /* the message entered the queue */
	double active;   /* the queue manager took it */
	double dispatch; /* handed to the delivery agent */
	double start;    /* the agent began (connection set up) */
	double now;      /* the delivery ended */
};

/*
 * dlv_status_line - log "QID: to=<...>, [orig_to=<...>,] relay=..., delay=...,
 * delays=a/b/c/d, dsn=..., status=... (text)" as Postfix does; every status
 * line of every daemon goes through here
 */
void dlv_status_line(const char *qid, const char *to, const char *orig, const char *relay,
                     const struct dlv_times *tm, const char *dsn, const char *status,
                     const char *text);
/* dlv_log - only the status line, for an address reached through recipient k (aliases) */
void dlv_log(struct dlv_req *r, size_t k, const char *to, const char *orig, const char *relay,
             const char *dsn, const char *status, const char *text);
/*
 * dlv_via - tell qmgr where recipient k went and its DSN action
 * ("delivered", "relayed", "expanded"): the success notice says
 * "delivery via RELAY: TEXT".  Sent before the recipient's result.
 */
void dlv_via(struct dlv_req *r, size_t k, const char *relay, const char *action);
/* dlv_result - only the result for qmgr */
void dlv_result(struct dlv_req *r, size_t k, const char *status, const char *dsn, const char *text);
/*
 * dlv_correct - a late change of mind about recipient k (a copy reported
 * delivered did not reach the disk): log a status line for addr and make
 * status ("deferred" or "bounced") the answer for k, unless the answer is
 * worse already: a deferral stays, a bounce replaces only "sent".
 */
void dlv_correct(struct dlv_req *r, size_t k, const char *relay, const char *addr, const char *orig,
                 const char *status, const char *dsn, const char *text);
/* dlv_reply - send the results to qmgr */
void dlv_reply(struct dlv_req *r, struct mta_stream *st);
/* dlv_fini - release everything */
void dlv_fini(struct dlv_req *r);
/* dlv_serve - the whole conversation for agents that need only a per-request callback */
void dlv_serve(struct mta_server *srv, int fd, void (*deliver)(struct dlv_req *r));
/*
 * dlv_serve_batch - the same, accepting "request=batch count=N" followed by
 * N requests; finish (may be NULL) runs after the last one and before any
 * answer is sent, so an agent can make all its writes durable at once.
 */
#define DLV_BATCH_MAX 64
void dlv_serve_batch(struct mta_server *srv, int fd, void (*deliver)(struct dlv_req *r),
                     void (*finish)(struct dlv_req *reqs, size_t n));

#endif
