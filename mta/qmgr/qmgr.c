/* qmgr.c - the queue manager: queues, messages, retries (see qmgr.h) */
#include "config.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/inotify.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>
#include <utime.h>

#include "cfg/base/xalloc.h"
#include "event.h"
#include "ipc.h"
#include "log.h"
#include "qmgr.h"

static struct qmgr Q;

double qmgr_wall(void)
{
	struct timeval tv;

	gettimeofday(&tv, NULL);
	return (double)tv.tv_sec + (double)tv.tv_usec / 1e6;
}

/* move - rename a queue file between queues; 0 or -1 */
static int move(const char *qid, const char *from, const char *to)
{
	char *a = qf_path(Q.srv->queue_dir, from, qid);
	char *b = qf_path(Q.srv->queue_dir, to, qid);
	int rc = rename(a, b);

	if (rc < 0 && errno != ENOENT)
		mta_warn("rename %s to %s: %m", a, b);
	free(a);
	free(b);
	return rc;
}

/* msg_free - forget an active message (its file stays wherever it is now) */
static void msg_free(struct qm_msg *m)
{
	if (m->prev)
		m->prev->next = m->next;
	else
		Q.msgs = m->next;
	if (m->next)
		m->next->prev = m->prev;
	Q.nmsgs--;
	if (m->fd >= 0)
		close(m->fd);
	if (m->via)
		for (size_t i = 0; i < m->env.nrcpt; i++)
			free(m->via[i]);
	free(m->via);
	qf_env_fini(&m->env);
	free(m);
}

/* corrupt - a queue file we cannot read goes to the corrupt queue */
static void corrupt(const char *qid, const char *from, const char *why)
{
	mta_warn("%s: %s: moved to corrupt queue", qid, why);
	move(qid, from, QF_CORRUPT);
}

/* load - take one file from active/ into memory and schedule it */
static void load(const char *qid)
{
	struct qm_msg *m;
	struct cfg_buf why;
	char *path = qf_path(Q.srv->queue_dir, QF_ACTIVE, qid);
	size_t pending = 0;
	long long size;

	m = cfg_xcalloc(1, sizeof(*m));
	snprintf(m->qid, sizeof(m->qid), "%.*s", (int)sizeof(m->qid) - 1, qid);
	qf_env_init(&m->env);
	m->fd = open(path, O_RDWR | O_CLOEXEC);
	free(path);
	if (m->fd < 0) {
		if (errno != ENOENT)
			mta_warn("open active/%s: %m", qid);
		qf_env_fini(&m->env);
		free(m);
		return;
	}
	cfg_buf_init(&why);
	if (qf_read(m->fd, &m->env, &why) < 0) {
		close(m->fd);
		corrupt(qid, QF_ACTIVE, why.data);
		cfg_buf_fini(&why);
		qf_env_fini(&m->env);
		free(m);
		return;
	}
	cfg_buf_fini(&why);
	m->active_time = qmgr_wall();
	m->logs0 = m->env.nlogs;
	m->next = Q.msgs;
	if (Q.msgs)
		Q.msgs->prev = m;
	Q.msgs = m;
	Q.nmsgs++;
	for (size_t i = 0; i < m->env.nrcpt; i++)
		if (m->env.rcpt[i].status == '-')
			pending++;
	/* the size Postfix logs: the content as its queue file stores it */
	if (qf_message_size(m->fd, &m->env, &size) < 0)
		size = (long long)m->env.content_size;
	mta_info("%s: from=<%s>, size=%lld, nrcpt=%zu (queue active)", qid, m->env.sender, size,
	         m->env.nrcpt);
	if (pending == 0) {
		/* everything was done before a crash: finish it */
		qmgr_job_done(&Q, m);
		return;
	}
	qmgr_schedule(&Q, m);
}

/*
 * take_incoming - a sealed file of incoming/ into active/, once its writer
 * is done with it: a writer whose fsync failed removes the file while it
 * still holds it, and the refused message must never be delivered.  The
 * writer's close wakes us up again (IN_CLOSE_WRITE); should that wakeup be
 * missed (a copy of the writer's descriptor that outlives it, a lost
 * event), the file is looked at again a second later, not at the next
 * queue run.
 */
static void take_incoming(const char *path, const char *qid)
{
	int fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);

	if (fd < 0)
		return;
	if (qf_claim(fd) == 0 && move(qid, QF_INCOMING, QF_ACTIVE) == 0) {
		close(fd);
		load(qid);
		return;
	}
	close(fd);
	if (Q.retry_incoming == 0)
		Q.retry_incoming = mta_now() + 1;
}

/* scan - move sealed files of dir into active (incoming) or incoming (deferred) */
static void scan(const char *dir, int all_deferred)
{
	char *path = cfg_xasprintf("%s/%s", Q.srv->queue_dir, dir);
	DIR *d = opendir(path);
	struct dirent *de;
	time_t now = time(NULL);
	int incoming = strcmp(dir, QF_INCOMING) == 0;

	while (d && (de = readdir(d)) != NULL) {
		struct stat st;
		char *f;

		if (!qf_valid_id(de->d_name))
			continue;
		if (incoming && Q.nmsgs >= (size_t)Q.active_limit) {
			Q.scan_incoming = 1; /* come back when there is room */
			break;
		}
		f = cfg_xasprintf("%s/%s", path, de->d_name);
		if (stat(f, &st) == 0 && S_ISREG(st.st_mode) && (st.st_mode & S_IXUSR)) {
			if (incoming) {
				take_incoming(f, de->d_name);
			} else if (all_deferred || st.st_mtime <= now) {
				if (move(de->d_name, QF_DEFERRED, QF_INCOMING) == 0)
					Q.scan_incoming = 1;
			}
		}
		free(f);
	}
	if (d)
		closedir(d);
	free(path);
}

/* bounce_reply - the bounce service finished (or failed) */
static void bounce_reply(int fd, int revents, void *ctx)
{
	struct qm_msg *m = ctx;
	struct mta_stream st;
	struct cfg_strvec a;
	int ok;

	(void)revents;
	mta_event_fd_remove(fd);
	mta_stream_init(&st, fd, 5);
	cfg_strvec_init(&a);
	ok = ipc_recv(&st, &a) == 0 && ipc_get_long(&a, "status", 1) == 0;
	cfg_strvec_fini(&a);
	mta_stream_fini(&st);
	close(fd);
	m->bounce_running = 0;
	if (ok && m->notice != QM_NOTICE_TRACE) {
		/* the notice is sent once per message: the fact lives in the queue file */
		m->env.hflags |= m->notice == QM_NOTICE_BOUNCE ? QF_H_BOUNCED : QF_H_WARNED;
		qf_set_hflags(m->fd, m->env.hflags);
	} else if (!ok && m->notice == QM_NOTICE_BOUNCE) {
		/* not again in this pass: the file waits in deferred/ with its bounce records */
		m->bounce_failed = 1;
	}
	qmgr_job_done(&Q, m);
}

/* start_notice - ask the bounce service for a notice (QM_NOTICE_*); 0 when it runs */
static int start_notice(struct qm_msg *m, int notice)
{
	static const char *const req[] = {"bounce", "trace", "warn"};
	struct mta_stream st;
	struct cfg_strvec a;
	int fd = ipc_connect(Q.srv->queue_dir, "private", Q.bounce_service);

	if (fd < 0) {
		mta_warn("%s: connect to private/%s: %m", m->qid, Q.bounce_service);
		return -1;
	}
	mta_stream_init(&st, fd, 5);
	cfg_strvec_init(&a);
	ipc_add(&a, "request", "%s", req[notice]);
	ipc_add(&a, "queue_id", "%s", m->qid);
	ipc_add(&a, "queue", "%s", QF_ACTIVE);
	ipc_add(&a, "logs_from", "%zu", m->logs0);
	m->notice = notice;
	ipc_send(&st, &a);
	cfg_strvec_fini(&a);
	mta_stream_fini(&st);
	m->bounce_running = 1;
	mta_event_fd(fd, POLLIN, bounce_reply, m);
	return 0;
}

void qmgr_result(struct qmgr *q, struct qm_msg *m, size_t idx, const char *status, const char *dsn,
                 const char *text)
{
	struct qf_rcpt *r;
	long now = (long)time(NULL);

	(void)q;
	if (idx >= m->env.nrcpt)
		return;
	r = &m->env.rcpt[idx];
	if (r->status != '-')
		return;
	if (strcmp(status, "sent") == 0) {
		qf_set_status(m->fd, r, 'D');
		r->status = 'D';
		if ((r->notify & QF_N_SUCCESS) && !(r->notify & QF_N_NEVER)) {
			/* for the success notice: "ACTION RELAY<TAB>TEXT" */
			const char *via = m->via && m->via[idx] ? m->via[idx] : "delivered\tnone";
			size_t n = strcspn(via, "\t");
			char *action = cfg_xstrndup(via, n), *line;

			line = cfg_xasprintf("%s\t%s", via[n] ? via + n + 1 : "none", text);
			/* "none": the next hop took the NOTIFY request over (it speaks DSN) */
			if (strcmp(action, "none") != 0) {
				qf_append_log(m->fd, idx, action, dsn, now, line);
				m->success++;
			}
			free(line);
			free(action);
		}
	} else if (strcmp(status, "deliverable") == 0 || strcmp(status, "undeliverable") == 0) {
		/* sendmail -bv: the verdict goes into the report */
		qf_append_log(m->fd, idx, status, dsn, now, text);
		qf_set_status(m->fd, r, 'D');
		r->status = 'D';
	} else if (strcmp(status, "bounced") == 0) {
		qf_append_log(m->fd, idx, "bounced", dsn, now, text);
		qf_set_status(m->fd, r, 'D');
		r->status = 'D';
		m->bounced++;
	} else {
		qf_append_log(m->fd, idx, "deferred", dsn, now, text);
		m->deferred++;
	}
}

void qmgr_via(struct qm_msg *m, size_t idx, const char *action, const char *relay)
{
	if (idx >= m->env.nrcpt)
		return;
	if (m->via == NULL)
		m->via = cfg_xcalloc(m->env.nrcpt, sizeof(*m->via));
	free(m->via[idx]);
	m->via[idx] = cfg_xasprintf("%s\t%s", action, relay);
}

/* want_warning - a delay warning is due: old enough, not yet sent, someone waits for it */
static int want_warning(struct qmgr *q, struct qm_msg *m)
{
	if (q->delay_warning <= 0 || m->warn_tried || *m->env.sender == '\0'
	    || (m->env.hflags & (QF_H_WARNED | QF_H_VERIFY))
	    || qmgr_wall() < (double)(m->env.arrival_sec + q->delay_warning))
		return 0;
	for (size_t i = 0; i < m->env.nrcpt; i++) {
		unsigned n = m->env.rcpt[i].notify;

		if (m->env.rcpt[i].status == '-' && (n == 0 || (n & QF_N_DELAY)))
			return 1;
	}
	return 0;
}

/*
 * has_bounces - the file holds bounce records: from an earlier pass (read
 * when the message was loaded) or from this one (qmgr_result and expire
 * count them; only qmgr appends records while the message is active)
 */
static int has_bounces(struct qm_msg *m)
{
	if (m->bounced)
		return 1;
	for (size_t i = 0; i < m->logs0; i++)
		if (strcmp(m->env.logs[i].action, "bounced") == 0)
			return 1;
	return 0;
}

/* expire - bounce every pending recipient with its last deferral reason; returns 0 */
static size_t expire(struct qm_msg *m)
{
	struct qf_env e;
	struct cfg_buf why;
	long now = (long)time(NULL);

	qf_env_init(&e);
	cfg_buf_init(&why);
	if (qf_read(m->fd, &e, &why) < 0) {
		cfg_buf_fini(&why);
		qf_env_fini(&e);
		return 1;
	}
	for (size_t i = 0; i < m->env.nrcpt; i++) {
		struct qf_log *last = NULL;

		if (m->env.rcpt[i].status != '-')
			continue;
		for (size_t k = 0; k < e.nlogs; k++)
			if (e.logs[k].idx == i && strcmp(e.logs[k].action, "deferred") == 0)
				last = &e.logs[k];
		qf_append_log(m->fd, i, "bounced", last ? last->dsn : "4.4.7", now,
		              last ? last->text : "message delivery time expired");
		qf_set_status(m->fd, &m->env.rcpt[i], 'D');
		m->env.rcpt[i].status = 'D';
		m->bounced++;
	}
	mta_info("%s: from=<%s>, status=expired, returned to sender", m->qid, m->env.sender);
	cfg_buf_fini(&why);
	qf_env_fini(&e);
	return 0;
}

void qmgr_job_done(struct qmgr *q, struct qm_msg *m)
{
	size_t pending = 0;

	if (m->jobs > 0 || m->bounce_running)
		return;
	for (size_t i = 0; i < m->env.nrcpt; i++)
		if (m->env.rcpt[i].status == '-')
			pending++;
	/* too old to keep trying: what is left is returned to the sender */
	if (pending && !(m->env.hflags & QF_H_VERIFY)) {
		long age = (long)(qmgr_wall() - (double)m->env.arrival_sec);
		long limit = *m->env.sender ? q->max_lifetime : q->bounce_lifetime;

		if (age >= limit)
			pending = expire(m);
	}
	/* a non-delivery notice first; the file must live until it is queued */
	if (!(m->env.hflags & QF_H_BOUNCED)
	    && ((m->env.hflags & QF_H_VERIFY) ? pending == 0 : has_bounces(m))) {
		if (!m->bounce_failed && start_notice(m, QM_NOTICE_BOUNCE) == 0)
			return;
		/*
		 * No notice now (no bounce service, or it failed): the message
		 * waits out its back-off like any deferred one, never a tight
		 * retry loop.  One line per attempt, as Postfix logs it.
		 */
		mta_info("%s: status=deferred (bounce failed)", m->qid);
		pending++;
	}
	/* the success notice for what was delivered in this pass, then a delay warning */
	if (m->success && !m->traced) {
		m->traced = 1;
		if (start_notice(m, QM_NOTICE_TRACE) == 0)
			return;
	}
	if (pending && want_warning(q, m)) {
		m->warn_tried = 1;
		if (start_notice(m, QM_NOTICE_WARN) == 0)
			return;
	}
	if (pending) {
		struct utimbuf ut;
		char *path = qf_path(q->srv->queue_dir, QF_DEFERRED, m->qid);
		long age = (long)(qmgr_wall() - (double)m->env.arrival_sec);
		long backoff = age < q->min_backoff ? q->min_backoff : age;

		if (backoff > q->max_backoff)
			backoff = q->max_backoff;
		if (move(m->qid, QF_ACTIVE, QF_DEFERRED) == 0) {
			/* the modification time says when to try again, as in Postfix */
			ut.actime = ut.modtime = time(NULL) + backoff;
			utime(path, &ut);
		}
		free(path);
	} else {
		char *path = qf_path(q->srv->queue_dir, QF_ACTIVE, m->qid);

		if (unlink(path) == 0 || errno == ENOENT)
			mta_info("%s: removed", m->qid);
		free(path);
	}
	msg_free(m);
}

/* on_trigger - a wakeup on our public socket */
static void on_trigger(int fd, int revents, void *ctx)
{
	int c;
	char req[64];

	(void)revents;
	(void)ctx;
	while ((c = accept4(fd, NULL, NULL, SOCK_CLOEXEC | SOCK_NONBLOCK)) >= 0) {
		int n = ipc_trigger_read(c, req, sizeof(req));

		for (int i = 0; i < n; i++) {
			if (req[i] == 'F')
				Q.scan_deferred = 2;
			else if (req[i] == 'W')
				Q.scan_deferred = Q.scan_deferred ? Q.scan_deferred : 1;
		}
		close(c);
	}
	Q.scan_incoming = 1;
}

/* on_gen - master says finish and exit */
static void on_gen(int fd, int revents, void *ctx)
{
	(void)revents;
	(void)ctx;
	mta_event_fd_remove(fd);
	Q.stopping = 1;
}

/* on_timer - the periodic deferred queue run */
static void on_timer(void *ctx)
{
	(void)ctx;
	Q.scan_deferred = Q.scan_deferred ? Q.scan_deferred : 1;
	Q.scan_incoming = 1;
	mta_event_timer((double)Q.run_delay, on_timer, NULL);
}

/*
 * on_inotify - a queue file in incoming/ was closed by its writer or moved
 * there: scan.  The close of a writer's temporary name (before the file
 * has its queue ID, see qf_create) is no reason to look.
 */
static void on_inotify(int fd, int revents, void *ctx)
{
	union {
		struct inotify_event ev;
		char b[4096];
	} buf;
	ssize_t n;

	(void)revents;
	(void)ctx;
	while ((n = read(fd, buf.b, sizeof(buf.b))) > 0) {
		for (ssize_t off = 0; off + (ssize_t)sizeof(struct inotify_event) <= n;) {
			struct inotify_event *ev = (struct inotify_event *)(void *)(buf.b + off);

			if (ev->len == 0 || (ev->mask & IN_Q_OVERFLOW) || qf_valid_id(ev->name))
				Q.scan_incoming = 1;
			off += (ssize_t)(sizeof(struct inotify_event) + ev->len);
		}
	}
}

/*
 * watch_incoming - the kernel tells qmgr when cleanup seals a queue file
 * instead of cleanup connecting to qmgr for every message.  Every writer
 * seals (fchmod) and fsyncs before it closes the file, so the close is the
 * moment to look; a wakeup at the mode change found the file still locked
 * by a writer in fsync, one wasted wakeup and scan per message.  Files
 * renamed into incoming/ (flush, deferred runs) come with IN_MOVED_TO.
 * Without inotify qmgr looks at incoming/ every second.
 */
static void watch_incoming(void)
{
	char *dir = cfg_xasprintf("%s/%s", Q.srv->queue_dir, QF_INCOMING);
	int fd = inotify_init1(IN_NONBLOCK | IN_CLOEXEC);

	if (fd >= 0 && inotify_add_watch(fd, dir, IN_MOVED_TO | IN_CLOSE_WRITE) >= 0) {
		mta_event_fd(fd, POLLIN, on_inotify, NULL);
	} else {
		if (fd >= 0)
			close(fd);
		Q.poll_incoming = 1;
	}
	free(dir);
}

/* recover - files left in active/ by a previous qmgr go back to incoming */
static void recover(void)
{
	char *path = cfg_xasprintf("%s/%s", Q.srv->queue_dir, QF_ACTIVE);
	DIR *d = opendir(path);
	struct dirent *de;

	while (d && (de = readdir(d)) != NULL)
		if (qf_valid_id(de->d_name))
			move(de->d_name, QF_ACTIVE, QF_INCOMING);
	if (d)
		closedir(d);
	free(path);
}

/* run - the queue manager's loop */
static void run(struct mta_server *srv)
{
	double stop_deadline = 0;

	Q.srv = srv;
	recover();
	for (int i = 0; i < srv->nlisten; i++)
		mta_event_fd(srv->listen_fd + i, POLLIN, on_trigger, NULL);
	if (srv->gen_fd >= 0)
		mta_event_fd(srv->gen_fd, POLLIN, on_gen, NULL);
	mta_event_timer((double)Q.run_delay, on_timer, NULL);
	watch_incoming();
	Q.scan_incoming = 1;
	Q.scan_deferred = 1;
	for (;;) {
		if (Q.stopping) {
			/* let running deliveries finish, then leave the rest for the next qmgr */
			if (stop_deadline == 0)
				stop_deadline = mta_now() + 30;
			if (qmgr_running(&Q) == 0 || mta_now() > stop_deadline)
				break;
		} else {
			if (Q.scan_deferred) {
				int all = Q.scan_deferred == 2;

				Q.scan_deferred = 0;
				scan(QF_DEFERRED, all);
			}
			if (Q.scan_incoming) {
				Q.scan_incoming = 0;
				scan(QF_INCOMING, 0);
			}
			qmgr_dispatch(&Q);
		}
		mta_event_run(Q.scan_incoming ? 0.05 : 1.0);
		if (Q.poll_incoming)
			Q.scan_incoming = 1;
		if (Q.retry_incoming != 0 && mta_now() >= Q.retry_incoming) {
			Q.retry_incoming = 0;
			Q.scan_incoming = 1;
		}
		/* a wakeup lost anyway (inotify overflow, a kernel that drops one) costs 5 s at most */
		if (mta_now() >= Q.next_look) {
			Q.next_look = mta_now() + 5;
			Q.scan_incoming = 1;
		}
	}
}

/* init - settings */
static void init(struct mta_server *srv)
{
	struct mta_setting tab[] = {
	    MTA_SET(CFG_P_qmgr_message_active_limit, &Q.active_limit),
	    MTA_SET(CFG_P_queue_run_delay, &Q.run_delay),
	    MTA_SET(CFG_P_minimal_backoff_time, &Q.min_backoff),
	    MTA_SET(CFG_P_maximal_backoff_time, &Q.max_backoff),
	    MTA_SET(CFG_P_maximal_queue_lifetime, &Q.max_lifetime),
	    MTA_SET(CFG_P_bounce_queue_lifetime, &Q.bounce_lifetime),
	    MTA_SET(CFG_P_bounce_service_name, &Q.bounce_service),
	    MTA_SET(CFG_P_delay_warning_time, &Q.delay_warning),
	    MTA_SET(CFG_P_default_filter_nexthop, &Q.filter_nexthop),
	    MTA_SETTINGS_END,
	};

	Q.srv = srv;
	mta_conf_get(&srv->conf, tab);
	/* every active message holds an open file */
	if (Q.active_limit > 5000 || Q.active_limit <= 0)
		Q.active_limit = 5000;
	if (Q.run_delay <= 0)
		Q.run_delay = 300;
	Q.rslv = rslv_new(&srv->conf);
	Q.transports = cfg_htab_new(16);
}

/* qmgr_main - the qmgr program */
int qmgr_main(int argc, char **argv);
int qmgr_main(int argc, char **argv)
{
	static const struct mta_server_ops ops = {.init = init, .run = run};

	return mta_server_main(argc, argv, "qmgr", MTA_SERVE_EVENT, &ops, NULL);
}
