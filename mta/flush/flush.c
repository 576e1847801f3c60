/*
 * flush.c - the flush service: deliver the deferred mail of one site or one message now
 *
 * postqueue -s site (sendmail -qR) and postqueue -i queue_id (sendmail -qI)
 * ask this service, which runs as mail_owner and may move queue files; a
 * message it flushes gets a fresh time stamp and goes from deferred/ to
 * incoming/, and qmgr is told to look.  One request per connection:
 *   request=send_site site=example.org   -> status=N
 *   request=send_file queue_id=ID        -> status=N
 * with Postfix's flush(8) status codes (QFLUSH_STAT_*).  A site must be in
 * fast_flush_domains, as in Postfix.
 *
 * Postfix's flush service keeps a log per site of the messages deferred
 * for it; postkit has none and looks at the deferred queue instead: every
 * message with a recipient at the site still to deliver is flushed.  (The
 * per-site logs only exist to make this cheap on very large queues.)
 * Connections that carry no request (master.cf wakeups) are ignored.
 */
#include "config.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>
#include <utime.h>

#include "cfg/base/xalloc.h"
#include "qflush.h"
#include "ipc.h"
#include "log.h"
#include "qfile.h"
#include "server.h"

static const char *qmgr_service;

/* refresh - one deferred message to incoming/ with a fresh time stamp; 1 when moved */
static int refresh(struct mta_server *srv, const char *qid)
{
	char *from = qf_path(srv->queue_dir, QF_DEFERRED, qid);
	char *to = qf_path(srv->queue_dir, QF_INCOMING, qid);
	int moved = 0;

	/* qmgr waits for the modification time of a deferred file: make it due */
	if (utime(from, NULL) == 0 && rename(from, to) == 0)
		moved = 1;
	else if (errno != ENOENT)
		mta_warn("%s: flush %s: %m", qid, from);
	free(from);
	free(to);
	return moved;
}

/* for_site - 1 when the message has a recipient at site still to deliver */
static int for_site(struct mta_server *srv, const char *qid, const char *site)
{
	char *path = qf_path(srv->queue_dir, QF_DEFERRED, qid);
	int fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC), hit = 0;
	struct qf_env e;
	struct cfg_buf why;

	free(path);
	if (fd < 0)
		return 0;
	qf_env_init(&e);
	cfg_buf_init(&why);
	if (qf_read(fd, &e, &why) == 0)
		for (size_t i = 0; i < e.nrcpt && !hit; i++) {
			const char *at = strrchr(e.rcpt[i].addr, '@');

			hit = e.rcpt[i].status == '-' && at && strcasecmp(at + 1, site) == 0;
		}
	cfg_buf_fini(&why);
	qf_env_fini(&e);
	close(fd);
	return hit;
}

/* send_site - flush every deferred message for site; the number flushed */
static int send_site(struct mta_server *srv, const char *site)
{
	char *dir = cfg_xasprintf("%s/%s", srv->queue_dir, QF_DEFERRED);
	DIR *d = opendir(dir);
	struct dirent *de;
	int n = 0;

	while (d && (de = readdir(d)) != NULL)
		if (qf_valid_id(de->d_name) && for_site(srv, de->d_name, site))
			n += refresh(srv, de->d_name);
	if (d)
		closedir(d);
	free(dir);
	return n;
}

/* serve - one request */
static void serve(struct mta_server *srv, int in, int out)
{
	struct mta_stream s;
	struct cfg_strvec a;
	const char *req, *arg;
	int status = QFLUSH_STAT_BAD, n = 0;

	(void)out;
	mta_stream_init(&s, in, (int)srv->ipc_timeout);
	cfg_strvec_init(&a);
	if (ipc_recv(&s, &a) < 0 || (req = ipc_get(&a, "request")) == NULL)
		goto out;
	if (strcmp(req, QFLUSH_REQ_SEND_SITE) == 0 && (arg = ipc_get(&a, "site")) != NULL) {
		int ok = qflush_site_ok(&srv->conf, arg);

		status = ok > 0 ? QFLUSH_STAT_OK : ok == 0 ? QFLUSH_STAT_DENY : QFLUSH_STAT_FAIL;
		if (ok > 0)
			n = send_site(srv, arg);
	} else if (strcmp(req, QFLUSH_REQ_SEND_FILE) == 0
	           && (arg = ipc_get(&a, "queue_id")) != NULL) {
		/* an ID that cannot name a queue file names no deferred message */
		n = qf_valid_id(arg) ? refresh(srv, arg) : 0;
		status = QFLUSH_STAT_OK;
	}
	if (n > 0 && ipc_trigger(srv->queue_dir, "public", qmgr_service, 'I') < 0)
		mta_warn("connect to public/%s: %m", qmgr_service);
	cfg_strvec_clear(&a);
	ipc_add(&a, "status", "%d", status);
	ipc_send(&s, &a);
out:
	cfg_strvec_fini(&a);
	mta_stream_fini(&s);
}

/* init - settings */
static void init(struct mta_server *srv)
{
	qmgr_service = mta_conf_str(&srv->conf, CFG_P_queue_service_name);
}

/* flush_main - the flush program */
int flush_main(int argc, char **argv);
int flush_main(int argc, char **argv)
{
	static const struct mta_server_ops ops = {.init = init, .serve = serve};

	return mta_server_main(argc, argv, "flush", MTA_SERVE_CONN, &ops, NULL);
}
