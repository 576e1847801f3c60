/*
 * bounce.c - the bounce service: delivery status notifications
 *
 * qmgr asks for a notice when a message has bounced recipients.  The
 * notice is an RFC 3464 multipart/report in Postfix's layout (the human
 * part, the message/delivery-status part and the returned message),
 * submitted through cleanup from the null sender.  A bounce of a bounce is
 * never sent back to the null sender: with "2bounce" in notify_classes it
 * goes to 2bounce_notice_recipient, otherwise it is dropped.
 */
#include "config.h"

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include "addr.h"
#include "cfg/base/xalloc.h"
#include "ipc.h"
#include "log.h"
#include "maildate.h"
#include "qfile.h"
#include "server.h"

static const char *myhostname, *cleanup_service, *double_bounce_sender, *twobounce_rcpt;
static long bounce_size_limit;
static int notify_2bounce;

/* wrap - append text folded at 76 columns with a 4-space indent, as Postfix does */
static void wrap(const char *text, struct cfg_buf *out)
{
	size_t col = 0;
	const char *p = text;

	while (*p) {
		size_t n = strcspn(p, " ");

		if (col > 0 && col + 1 + n > 76) {
			cfg_buf_adds(out, "\n    ");
			col = 4;
		} else if (col > 0) {
			cfg_buf_addc(out, ' ');
			col++;
		}
		cfg_buf_add(out, p, n);
		col += n;
		p += n;
		while (*p == ' ')
			p++;
	}
	cfg_buf_addc(out, '\n');
}

/* ext - the external form of an address, in a fresh buffer the caller finishes */
static void ext(const char *a, struct cfg_buf *out)
{
	cfg_buf_reset(out);
	addr_externalize(a, out);
}

/* wanted - the log records a notice reports: bounces, or the verdicts of sendmail -bv */
static int wanted(const char *action, int verify)
{
	if (verify)
		return strcmp(action, "deliverable") == 0 || strcmp(action, "undeliverable") == 0;
	return strcmp(action, "bounced") == 0;
}

/* compose - the whole notice for the bounced (or verified) recipients of env */
static void compose(const char *qid, int fd, struct qf_env *env, const char *to, int verify,
                    struct cfg_buf *out)
{
	struct cfg_buf date, e1, e2, line, content;
	char boundary[256];
	time_t now = time(NULL);

	cfg_buf_init(&date);
	cfg_buf_init(&e1);
	cfg_buf_init(&e2);
	cfg_buf_init(&line);
	cfg_buf_init(&content);
	snprintf(boundary, sizeof(boundary), "%s.%ld/%s", qid, (long)now, myhostname);
	mta_mail_date((long)now, &date);
	cfg_buf_printf(out, "Date: %s\n", date.data);
	cfg_buf_printf(out, "From: Mail Delivery System <MAILER-DAEMON@%s>\n", myhostname);
	cfg_buf_adds(out, verify ? "Subject: Mail Delivery Status Report\n"
	                         : "Subject: Undelivered Mail Returned to Sender\n");
	ext(to, &e1);
	cfg_buf_printf(out, "To: %s\n", e1.data);
	cfg_buf_adds(out, "Auto-Submitted: auto-replied\n");
	cfg_buf_adds(out, "MIME-Version: 1.0\n");
	cfg_buf_printf(out,
	               "Content-Type: multipart/report; report-type=delivery-status;\n"
	               "\tboundary=\"%s\"\n",
	               boundary);
	cfg_buf_adds(out, "Content-Transfer-Encoding: 8bit\n\n");
	cfg_buf_adds(out, "This is a MIME-encapsulated message.\n\n");
	cfg_buf_printf(out, "--%s\n", boundary);
	cfg_buf_adds(out, "Content-Description: Notification\n"
	                  "Content-Type: text/plain; charset=utf-8\n"
	                  "Content-Transfer-Encoding: 8bit\n\n");
	if (verify)
		cfg_buf_printf(out,
		               "This is the mail system at host %s.\n\n"
		               "Enclosed is the mail delivery report that you requested.\n\n"
		               "                   The mail system\n\n",
		               myhostname);
	else
		cfg_buf_printf(out,
		               "This is the mail system at host %s.\n\n"
		               "I'm sorry to have to inform you that your message could not\n"
		               "be delivered to one or more recipients. It's attached below.\n\n"
		               "For further assistance, please send mail to postmaster.\n\n"
		               "If you do so, please include this problem report. You can\n"
		               "delete your own text from the attached returned message.\n\n"
		               "                   The mail system\n\n",
		               myhostname);
	/* the last bounce record of each recipient */
	for (size_t i = 0; i < env->nrcpt; i++) {
		struct qf_log *last = NULL;

		for (size_t k = 0; k < env->nlogs; k++)
			if (env->logs[k].idx == i && wanted(env->logs[k].action, verify))
				last = &env->logs[k];
		if (last == NULL)
			continue;
		cfg_buf_reset(&line);
		ext(env->rcpt[i].addr, &e1);
		cfg_buf_printf(&line, "<%s>", e1.data);
		if (strcmp(env->rcpt[i].orig, env->rcpt[i].addr) != 0) {
			ext(env->rcpt[i].orig, &e2);
			cfg_buf_printf(&line, " (expanded from <%s>)", e2.data);
		}
		cfg_buf_printf(&line, ": %s", last->text);
		wrap(line.data, out);
		cfg_buf_addc(out, '\n');
	}
	cfg_buf_printf(out, "--%s\n", boundary);
	cfg_buf_adds(out, "Content-Description: Delivery report\n"
	                  "Content-Type: message/delivery-status\n\n");
	cfg_buf_printf(out, "Reporting-MTA: dns; %s\n", myhostname);
	cfg_buf_printf(out, "X-Postfix-Queue-ID: %s\n", qid);
	ext(env->sender, &e1);
	cfg_buf_printf(out, "X-Postfix-Sender: rfc822; %s\n", e1.data);
	cfg_buf_reset(&date);
	mta_mail_date(env->arrival_sec, &date);
	cfg_buf_printf(out, "Arrival-Date: %s\n", date.data);
	for (size_t i = 0; i < env->nrcpt; i++) {
		struct qf_log *last = NULL;

		for (size_t k = 0; k < env->nlogs; k++)
			if (env->logs[k].idx == i && wanted(env->logs[k].action, verify))
				last = &env->logs[k];
		if (last == NULL)
			continue;
		ext(env->rcpt[i].addr, &e1);
		cfg_buf_printf(out, "\nFinal-Recipient: rfc822; %s\n", e1.data);
		cfg_buf_printf(out, "Original-Recipient: rfc822;%s\n", e1.data);
		cfg_buf_printf(out, "Action: %s\n",
		               strcmp(last->action, "bounced") == 0 ? "failed" : last->action);
		cfg_buf_printf(out, "Status: %s\n", last->dsn);
		cfg_buf_printf(out, "Diagnostic-Code: X-Postfix; %s\n", last->text);
	}
	cfg_buf_printf(out, "\n--%s\n", boundary);
	qf_read_content(fd, env, &content);
	ext(env->sender, &e1);
	if (verify || (bounce_size_limit > 0 && (long)content.len > bounce_size_limit)) {
		/* too big to return whole: the headers only */
		char *end = strstr(content.data, "\n\n");

		if (end)
			cfg_buf_truncate(&content, (size_t)(end - content.data) + 1);
		cfg_buf_adds(out, "Content-Description: Undelivered Message Headers\n"
		                  "Content-Type: text/rfc822-headers\n"
		                  "Content-Transfer-Encoding: 8bit\n\n");
	} else {
		cfg_buf_adds(out, "Content-Description: Undelivered Message\n"
		                  "Content-Type: message/rfc822\n"
		                  "Content-Transfer-Encoding: 8bit\n\n");
	}
	cfg_buf_printf(out, "Return-Path: <%s>\n", e1.data);
	cfg_buf_add(out, content.data, content.len);
	if (content.len && content.data[content.len - 1] != '\n')
		cfg_buf_addc(out, '\n');
	cfg_buf_printf(out, "\n--%s--\n", boundary);
	cfg_buf_fini(&content);
	cfg_buf_fini(&line);
	cfg_buf_fini(&e2);
	cfg_buf_fini(&e1);
	cfg_buf_fini(&date);
}

/* submit - hand the notice to cleanup; 0 with the new queue ID in qid_out */
static int submit(struct mta_server *srv, const char *sender, const char *to,
                  const struct cfg_buf *msg, char *qid_out, size_t len)
{
	struct mta_stream st;
	struct cfg_strvec a;
	int fd = ipc_connect(srv->queue_dir, "public", cleanup_service), rc = -1;
	const char *qid;

	if (fd < 0) {
		mta_warn("connect to public/%s: %m", cleanup_service);
		return -1;
	}
	mta_stream_init(&st, fd, 60);
	cfg_strvec_init(&a);
	ipc_add(&a, "request", "open");
	ipc_send(&st, &a);
	if (ipc_recv(&st, &a) == 0 && (qid = ipc_get(&a, "queue_id")) != NULL) {
		snprintf(qid_out, len, "%s", qid);
		cfg_strvec_clear(&a);
		ipc_add(&a, "request", "message");
		ipc_add(&a, "sender", "%s", sender);
		ipc_add(&a, "rcpt", "0\t\t%s", to);
		ipc_add(&a, "rewrite_context", "local");
		ipc_queue(&st, &a);
		ipc_chunk(&st, msg->data, msg->len);
		ipc_chunk(&st, "", 0);
		if (mta_stream_flush(&st) == 0 && ipc_recv(&st, &a) == 0
		    && ipc_get_long(&a, "status", 4) == 0)
			rc = 0;
	}
	cfg_strvec_fini(&a);
	mta_stream_fini(&st);
	close(fd);
	return rc;
}

/* serve - one request from qmgr */
static void serve(struct mta_server *srv, int in, int out)
{
	struct mta_stream st;
	struct cfg_strvec a, r;
	struct qf_env env;
	struct cfg_buf why, msg;
	const char *qid, *queue;
	char *path = NULL, newqid[QF_ID_MAX];
	int fd = -1, status = 1;

	(void)out;
	mta_stream_init(&st, in, 60);
	cfg_strvec_init(&a);
	cfg_strvec_init(&r);
	qf_env_init(&env);
	cfg_buf_init(&why);
	cfg_buf_init(&msg);
	if (ipc_recv(&st, &a) < 0)
		goto done;
	qid = ipc_get(&a, "queue_id");
	queue = ipc_get(&a, "queue");
	if (qid == NULL || queue == NULL || !qf_valid_id(qid) || strchr(queue, '/'))
		goto reply;
	path = qf_path(srv->queue_dir, queue, qid);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0 || qf_read(fd, &env, &why) < 0) {
		mta_warn("%s: cannot read queue file: %s", qid, why.len ? why.data : "open failed");
		goto reply;
	}
	if (*env.sender == '\0' || strcasecmp(env.sender, double_bounce_sender) == 0
	    || strncasecmp(env.sender, double_bounce_sender, strlen(double_bounce_sender)) == 0) {
		/* a bounce that bounced: never back to the null sender */
		if (notify_2bounce && *env.sender == '\0') {
			compose(qid, fd, &env, twobounce_rcpt, 0, &msg);
			if (submit(srv, double_bounce_sender, twobounce_rcpt, &msg, newqid,
			           sizeof(newqid))
			    == 0) {
				mta_info("%s: postmaster non-delivery notification: %s", qid,
				         newqid);
				status = 0;
			}
		} else {
			status = 0;
		}
		goto reply;
	}
	compose(qid, fd, &env, env.sender, (env.hflags & QF_H_VERIFY) != 0, &msg);
	if (submit(srv, "", env.sender, &msg, newqid, sizeof(newqid)) == 0) {
		mta_info("%s: sender %s notification: %s", qid,
		         (env.hflags & QF_H_VERIFY) ? "delivery status" : "non-delivery", newqid);
		status = 0;
	}
reply:
	ipc_add(&r, "status", "%d", status);
	ipc_send(&st, &r);
done:
	if (fd >= 0)
		close(fd);
	free(path);
	cfg_buf_fini(&msg);
	cfg_buf_fini(&why);
	qf_env_fini(&env);
	cfg_strvec_fini(&r);
	cfg_strvec_fini(&a);
	mta_stream_fini(&st);
}

/* init - settings */
static void init(struct mta_server *srv)
{
	struct cfg_strvec classes;
	struct mta_setting tab[] = {
	    MTA_SET(CFG_P_myhostname, &myhostname),
	    MTA_SET(CFG_P_cleanup_service_name, &cleanup_service),
	    MTA_SET(CFG_P_double_bounce_sender, &double_bounce_sender),
	    MTA_SET(CFG_P_2bounce_notice_recipient, &twobounce_rcpt),
	    MTA_SET(CFG_P_bounce_size_limit, &bounce_size_limit),
	    MTA_SET(CFG_P_notify_classes, &classes),
	    MTA_SETTINGS_END,
	};

	cfg_strvec_init(&classes);
	mta_conf_get(&srv->conf, tab);
	for (size_t i = 0; i < classes.n; i++)
		if (strcasecmp(classes.v[i], "2bounce") == 0)
			notify_2bounce = 1;
	cfg_strvec_fini(&classes);
}

/* bounce_main - the bounce program */
int bounce_main(int argc, char **argv);
int bounce_main(int argc, char **argv)
{
	static const struct mta_server_ops ops = {.init = init, .serve = serve};

	return mta_server_main(argc, argv, "bounce", MTA_SERVE_CONN, &ops, NULL);
}
