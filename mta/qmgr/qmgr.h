/*
 * qmgr.h - the queue manager: state shared by its files
 *
 * qmgr.c moves mail incoming -> active, reads each message's envelope,
 * resolves recipients into delivery jobs and finishes messages (removed,
 * deferred with a retry time, or bounced through the bounce service);
 * qmgr_deliver.c schedules jobs per transport and destination within the
 * concurrency limits and talks to the delivery agents.
 *
 * Exactly-once rests on the queue file: a recipient is marked done in
 * place only after its agent reported the outcome; after a crash every
 * active file goes back to incoming and undone recipients are tried again
 * (the local agent recognises a mailbox delivery it already made).
 */
#ifndef QMGR_H
#define QMGR_H

#include <stddef.h>

#include "cfg/base/htab.h"
#include "conf.h"
#include "qfile.h"
#include "resolve.h"
#include "server.h"
#include "stream.h"

struct qm_msg {
	char qid[QF_ID_MAX];
	int fd;
	struct qf_env env;
	double active_time; /* when it entered the active queue (wall clock) */
	int jobs;           /* jobs queued or running */
	int bounced;        /* recipients bounced in this pass */
	int deferred;       /* recipients still pending after this pass */
	int bounce_running; /* waiting for the bounce service */
	int bounce_failed;  /* it failed in this pass: the message waits for the next one */
	int notice;         /* the notice being sent: QM_NOTICE_* */
	size_t logs0;       /* log records in the file when this pass began */
	int success;        /* NOTIFY=SUCCESS recipients done in this pass: a success notice */
	int traced;         /* the success notice was asked for in this pass */
	int warn_tried;     /* the delay warning was asked for in this pass */
	char **via;         /* per recipient: "action\trelay" from the agent, until its result */
	struct qm_msg *prev, *next;
};

/* the notices qmgr asks the bounce service for */
enum { QM_NOTICE_BOUNCE, QM_NOTICE_TRACE, QM_NOTICE_WARN };

struct qm_transport;

struct qm_dest {
	char *key;
	char *nexthop;
	struct qm_transport *tp;
	int active;
	struct qm_job *head, *tail;
	struct qm_dest *rr_next; /* ring of destinations with work */
	int in_ring;
	double last_done; /* when its last delivery ended (wall clock), 0 never */
	int conn_store;   /* agents may keep connections to it open (conn_store) */
};

struct qm_transport {
	char *name;
	long maxproc;    /* process limit of the agent's master.cf entry */
	long dest_limit; /* NAME_destination_concurrency_limit */
	long rcpt_limit; /* NAME_destination_recipient_limit */
	int active;
	char *unavailable; /* why mail for it cannot go out now, or NULL */
	struct cfg_htab *dests;
	struct qm_dest *ring; /* next destination to serve */
};

struct qm_job {
	struct qm_msg *msg;
	struct qm_dest *dest;
	size_t *idx;
	size_t n;
	int fd;
	struct mta_stream st;
	double dispatched;
	struct qm_job *next;  /* the destination's queue */
	struct qm_job *batch; /* the other jobs sent in the same connection */
};

struct qmgr {
	struct mta_server *srv;
	struct rslv *rslv;
	struct cfg_htab *transports;
	struct qm_msg *msgs; /* active messages */
	size_t nmsgs;
	long active_limit;
	long run_delay, min_backoff, max_backoff, max_lifetime, bounce_lifetime;
	long delay_warning; /* delay_warning_time; 0: no warnings */
	const char *bounce_service;
	const char *filter_nexthop; /* default_filter_nexthop */
	int scan_incoming;          /* rescan wanted */
	int poll_incoming;          /* no inotify: look at incoming/ every second */
	double retry_incoming;      /* a sealed file was still locked: look again then (0: no) */
	double next_look;           /* incoming/ is looked at this often even without a wakeup */
	int scan_deferred;          /* 1: due ones, 2: all (flush) */
	int stopping;
};

/* qmgr_deliver.c */
/* qmgr_schedule - queue the pending recipients of a message as jobs */
void qmgr_schedule(struct qmgr *q, struct qm_msg *m);
/* qmgr_dispatch - start jobs while limits allow */
void qmgr_dispatch(struct qmgr *q);
/* qmgr_running - jobs talking to agents right now */
int qmgr_running(struct qmgr *q);
/* qmgr_log_status - an agent-style status line logged by qmgr itself */
void qmgr_log_status(struct qm_msg *m, size_t idx, const char *relay, const char *dsn,
                     const char *status, const char *text, double dispatched);

/* qmgr.c */
/* qmgr_result - record one recipient's outcome */
void qmgr_result(struct qmgr *q, struct qm_msg *m, size_t idx, const char *status, const char *dsn,
                 const char *text);
/* qmgr_via - an agent said where recipient idx went and its success action (before its result) */
void qmgr_via(struct qm_msg *m, size_t idx, const char *action, const char *relay);
/* qmgr_job_done - a job finished; the message may be complete */
void qmgr_job_done(struct qmgr *q, struct qm_msg *m);
/* qmgr_wall - wall-clock seconds */
double qmgr_wall(void);

#endif
