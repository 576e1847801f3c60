/*
 * cleanup_milter.c - non_smtpd_milters: local submissions through the mail filters
 *
 * Mail that pickup brings (sendmail, postdrop) goes through the filters as
 * Postfix's cleanup sends it: a connection from "localhost" [127.0.0.1]
 * without a port, HELO localhost, MAIL and RCPT with the bare addresses,
 * then the message as cleanup made it (missing headers added) without our
 * own Received header, which still counts as header 0 for the filters'
 * insert requests.  The content is held in memory until the filters are
 * done (message_size_limit bounds it); their edits then go into the queue
 * file.  Mail Postfix makes itself (bounces, notices) is not filtered, as
 * with Postfix's default internal_mail_filter_classes, nor is a message
 * requeued with postsuper -r (pickup says no_milters).
 *
 * The verdicts, as Postfix gives them for a local submission: a 4xx (or
 * any refusal of a recipient) leaves the message with the submitter (pickup
 * keeps the maildrop file and tries again); a 5xx returns the message to
 * its sender (its headers, through the bounce service) and the submission
 * succeeds; DISCARD drops it; HOLD (quarantine) puts it in the hold queue.
 */
#include "config.h"

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/time.h>
#include <unistd.h>

#include "cfg/base/xalloc.h"
#include "cleanup_int.h"
#include "deliver.h"
#include "ipc.h"
#include "log.h"
#include "milter.h"

#define LOCAL_CLIENT "localhost[127.0.0.1]"

void cleanup_milters(struct cleanup *c, struct milters *m)
{
	c->milters = m;
}

int cleanup_milter_deferred(const struct cleanup *c)
{
	return c->milter_defer;
}

/* macro - a macro's value for the filters in a local submission, or NULL */
static const char *macro(void *arg, const char *name)
{
	struct cleanup *c = arg;

	if (strcmp(name, "j") == 0)
		return c->cfg->myhostname;
	if (strcmp(name, "{daemon_name}") == 0)
		return c->cfg->milter_daemon_name;
	if (strcmp(name, "v") == 0)
		return c->cfg->milter_v;
	if (strcmp(name, "{daemon_addr}") == 0)
		return "127.0.0.1";
	if (strcmp(name, "_") == 0)
		return "localhost [127.0.0.1]";
	if (strcmp(name, "i") == 0)
		return c->w.qid;
	if (strcmp(name, "{mail_addr}") == 0) /* the null sender too, as Postfix sends it */
		return c->milter_content ? NULL : *c->sender ? c->sender : milter_empty;
	if (strcmp(name, "{rcpt_addr}") == 0)
		return c->milter_rcpt;
	return NULL;
}

/* no_milters - 1 when the submitter's receive_override_options turn the filters off */
static int no_milters(const struct cfg_strvec *a)
{
	const char *ro = ipc_get(a, "receive_override_options");
	struct cfg_strvec w;
	int off = 0;

	if (ro == NULL)
		return 0;
	cfg_strvec_init(&w);
	cfg_strvec_split(&w, ro, ", \t\r\n");
	for (size_t i = 0; i < w.n; i++)
		off |= strcasecmp(w.v[i], "no_milters") == 0;
	cfg_strvec_fini(&w);
	return off;
}

/*
 * verdict - log a filter's answer at a stage and act on it: "QID:
 * milter-reject: STAGE from localhost[127.0.0.1]: 5.7.1 text; from=<s>
 * [to=<r>]".  A 4xx ends the submission (the submitter keeps the message
 * for later); a 5xx ends the filtering and the message is returned to its
 * sender (cleanup_milter_bounce); DISCARD and HOLD go on.
 */
static void verdict(struct cleanup *c, const char *stage, const char *r, const char *to)
{
	struct cfg_buf b;
	const char *what = "milter-reject";

	cfg_buf_init(&b);
	if (strcmp(r, MILTER_DISCARD) == 0) {
		what = "milter-discard";
		cfg_buf_adds(&b, "milter triggers DISCARD action");
	} else if (strcmp(r, "H") == 0) {
		what = "milter-hold";
		cfg_buf_adds(&b, "milter triggers HOLD action");
	} else {
		/* the enhanced status code and the text, without the SMTP code */
		cfg_buf_adds(&b, strlen(r) > 4 ? r + 4 : r);
	}
	cfg_buf_printf(&b, "; from=<%s>", c->sender);
	if (to)
		cfg_buf_printf(&b, " to=<%s>", to);
	mta_info("%s: %s: %s from %s: %s", c->w.qid, what, stage, LOCAL_CLIENT, b.data);
	cfg_buf_fini(&b);
	if (strcmp(r, MILTER_DISCARD) == 0) {
		c->discard = 1;
	} else if (strcmp(r, "H") == 0) {
		c->hold = 1;
	} else if (r[0] == '4' || strcmp(stage, "RCPT") == 0) {
		/* Postfix cannot refuse one recipient of a local submission: all of it waits */
		if (strcmp(stage, "RCPT") == 0) {
			mta_warn("%s: milter configuration error: can't reject recipient in "
			         "non-smtpd(8) submission",
			         c->w.qid);
			mta_warn("%s: message not accepted, try again later", c->w.qid);
		}
		c->milter_defer = 1;
		cleanup_fail(c, 4, r[0] == '4' ? r : "451 4.3.0 Error: message not accepted");
	} else if (c->milter_reject == NULL) {
		c->milter_reject = cfg_xstrdup(r);
	}
}

/* rcpt_data - a RCPT event for each recipient, then DATA */
static void rcpt_data(struct cleanup *c, const struct cfg_strvec *rcpts)
{
	const char *r;

	for (size_t i = 0; i < rcpts->n; i++) {
		struct cfg_strvec argv;

		cfg_strvec_init(&argv);
		cfg_strvec_add(&argv, rcpts->v[i]);
		c->milter_rcpt = rcpts->v[i];
		r = milter_rcpt(c->milters, &argv);
		c->milter_rcpt = NULL;
		cfg_strvec_fini(&argv);
		if (r) {
			verdict(c, "RCPT", r, rcpts->v[i]);
			if (c->status || c->milter_reject)
				return;
		}
	}
	if ((r = milter_data(c->milters)) != NULL)
		verdict(c, "DATA", r, c->log_rcpt);
}

/* given_rcpts - the recipients as the submitter gave them (rcpt= notify \t orcpt \t address) */
static void given_rcpts(const struct cfg_strvec *a, struct cfg_strvec *out)
{
	for (size_t i = 0; i < a->n; i++) {
		const char *t =
		    strncmp(a->v[i], "rcpt=", 5) == 0 ? strchr(a->v[i] + 5, '\t') : NULL;

		if (t && (t = strchr(t + 1, '\t')) != NULL)
			cfg_strvec_add(out, t + 1);
	}
}

int cleanup_milter_envelope(struct cleanup *c, const struct cfg_strvec *a)
{
	struct cfg_strvec argv;
	const char *r;

	if (c->milters == NULL || cleanup_attr(c, "uid") == NULL || no_milters(a)) {
		c->milters = NULL;
		return 0;
	}
	c->milter_open = 1;
	/* a verdict at CONNECT or HELO ends the talk: Postfix sends no QUIT after it */
	if ((r = milter_connect(c->milters, macro, c, "localhost", "127.0.0.1", "")) != NULL) {
		verdict(c, "CONNECT", r, NULL);
		c->milter_early = 1;
		return 1;
	}
	if ((r = milter_helo(c->milters, "localhost")) != NULL) {
		verdict(c, "EHLO", r, NULL); /* Postfix's cleanup names the stage so */
		c->milter_early = 1;
		return 1;
	}
	cfg_strvec_init(&argv);
	cfg_strvec_add(&argv, c->sender);
	r = milter_mail(c->milters, &argv);
	cfg_strvec_fini(&argv);
	if (r) {
		verdict(c, "MAIL", r, NULL);
		if (c->status || c->milter_reject)
			return 1;
	}
	/* sendmail -t: the recipients come from the headers, RCPT waits for them */
	if (!c->extract) {
		cfg_strvec_init(&argv);
		given_rcpts(a, &argv);
		rcpt_data(c, &argv);
		cfg_strvec_fini(&argv);
	}
	return 1;
}

/* envelope_edits - a filter's change of sender and recipients */
static void envelope_edits(struct cleanup *c, const struct milter_msg *msg)
{
	size_t keep = 0;

	if (strcmp(msg->sender, c->sender) != 0)
		cleanup_set_sender(c, msg->sender);
	for (size_t i = 0; i < c->nrcpt; i++) {
		int gone = 0;

		for (size_t k = 0; k < msg->deleted.n && !gone; k++)
			gone = strcasecmp(msg->deleted.v[k], c->rcpt[i].orig) == 0;
		if (gone) {
			free(c->rcpt[i].orig);
			free(c->rcpt[i].addr);
			free(c->rcpt[i].dsn_orcpt);
		} else {
			c->rcpt[keep++] = c->rcpt[i];
		}
	}
	c->nrcpt = keep;
	for (size_t k = 0; k < msg->added.n; k++)
		if (cleanup_add_rcpt(c, msg->added.v[k], msg->added.v[k], 0) < 0)
			cleanup_fail(c, 4, "451 4.3.0 Error: queue file write error");
}

/* produced - 1 when header h is one a filter added or changed */
static int produced(const struct milter_msg *msg, const char *h)
{
	for (size_t i = 0; i < msg->produced.n; i++)
		if (strcmp(msg->produced.v[i], h) == 0)
			return 1;
	return 0;
}

/* header_checks - milter_header_checks on the headers the filters added or changed */
static void header_checks(struct cleanup *c, struct milter_msg *msg)
{
	size_t i = 0;

	while (c->cfg->milter_header_checks.n && i < msg->headers.n && c->status == 0
	       && !c->discard) {
		struct cfg_buf h;
		struct cfg_strvec pre;
		int keep;

		if (!produced(msg, msg->headers.v[i])) {
			i++;
			continue;
		}
		cfg_buf_init(&h);
		cfg_strvec_init(&pre);
		cfg_buf_adds(&h, msg->headers.v[i]);
		c->act_prefix = "milter-header-";
		keep = cleanup_check(c, &c->cfg->milter_header_checks, "milter_header_checks",
		                     "header", &h, &pre);
		c->act_prefix = NULL;
		free(msg->headers.v[i]);
		if (keep) {
			msg->headers.v[i++] = cfg_buf_take(&h);
		} else {
			memmove(msg->headers.v + i, msg->headers.v + i + 1,
			        (msg->headers.n - i) * sizeof(*msg->headers.v));
			msg->headers.n--;
			cfg_buf_fini(&h);
		}
		cfg_strvec_fini(&pre);
	}
}

/* filter - the message to the filters; their edits go into the queue file */
static void filter(struct cleanup *c)
{
	struct milter_msg msg;
	const char *r;

	if (c->extract) {
		struct cfg_strvec found;

		cfg_strvec_init(&found);
		for (size_t i = 0; i < c->nrcpt; i++)
			if (i == 0 || strcmp(c->rcpt[i].orig, c->rcpt[i - 1].orig) != 0)
				cfg_strvec_add(&found, c->rcpt[i].orig);
		rcpt_data(c, &found);
		cfg_strvec_fini(&found);
		if (c->status || c->milter_reject || c->discard)
			return;
	}
	milter_msg_init(&msg);
	milter_msg_split(&msg, c->held.data, c->held.len);
	/* our Received header counts for the filters' insert requests, but they do not see it */
	if (msg.headers.n && strncasecmp(msg.headers.v[0], "Received:", 9) == 0)
		msg.hidden = msg.headers.v[0];
	msg.sender = cfg_xstrdup(c->sender);
	for (size_t i = 0; i < c->nrcpt; i++)
		cfg_strvec_add(&msg.rcpt, c->rcpt[i].orig);
	c->milter_content = 1;
	r = milter_message(c->milters, &msg);
	if (r == NULL && msg.hold)
		r = "H";
	if (r)
		verdict(c, "END-OF-MESSAGE", r, c->log_rcpt);
	header_checks(c, &msg);
	c->milter_content = 0;
	if (c->status == 5 && c->milter_reject == NULL) {
		/* a REJECT of milter_header_checks: returned to the sender like a filter's */
		c->milter_reject = cfg_xstrdup(c->reply.data);
		c->status = 0;
		cfg_buf_reset(&c->reply);
	}
	if (c->status == 0 && !c->discard && c->milter_reject == NULL) {
		envelope_edits(c, &msg);
		cleanup_write_head(c);
		for (size_t i = 0; i < msg.headers.n; i++) {
			qf_content(&c->w, msg.headers.v[i], strlen(msg.headers.v[i]));
			qf_content(&c->w, "\n", 1);
		}
		qf_content(&c->w, "\n", 1);
		qf_content(&c->w, msg.body.data, msg.body.len);
	}
	milter_msg_fini(&msg);
}

void cleanup_milter_content(struct cleanup *c)
{
	if (c->milter_reject == NULL)
		filter(c);
	/* a refused message goes back to its sender: its headers only, as Postfix returns it */
	if (c->milter_reject && c->status == 0) {
		for (size_t i = 0; i < c->attrs.n; i++)
			if (strncmp(c->attrs.v[i], "ret=", 4) == 0) {
				free(c->attrs.v[i]);
				c->attrs.v[i] = cfg_xstrdup("ret=hdrs");
			}
		if (cleanup_attr(c, "ret") == NULL)
			cfg_strvec_add(&c->attrs, "ret=hdrs");
		cleanup_write_head(c);
		qf_content(&c->w, c->held.data, c->held.len);
	}
}

/* bounce_request - the bounce service's notice for a message in hold/; 0 when it is queued */
static int bounce_request(struct cleanup *c)
{
	struct mta_stream st;
	struct cfg_strvec a;
	int fd = ipc_connect(c->cfg->queue_dir, "private", c->cfg->bounce_service), rc = -1;

	if (fd < 0) {
		mta_warn("%s: connect to private/%s: %m", c->w.qid, c->cfg->bounce_service);
		return -1;
	}
	mta_stream_init(&st, fd, 60);
	cfg_strvec_init(&a);
	ipc_add(&a, "request", "bounce");
	ipc_add(&a, "queue_id", "%s", c->w.qid);
	ipc_add(&a, "queue", "%s", QF_HOLD);
	ipc_add(&a, "logs_from", "0");
	ipc_send(&st, &a);
	if (mta_stream_flush(&st) == 0 && ipc_recv(&st, &a) == 0
	    && ipc_get_long(&a, "status", 1) == 0)
		rc = 0;
	cfg_strvec_fini(&a);
	mta_stream_fini(&st);
	close(fd);
	return rc;
}

/* bounce_logs - each recipient "bounced" with the filter's reply: log records and log lines */
static int bounce_logs(struct cleanup *c, int fd)
{
	struct qf_env env;
	struct cfg_buf why;
	struct dlv_times tm;
	struct timeval tv;
	const char *r = c->milter_reject, *dsn = "5.7.1", *text = r;
	char code[16];
	int rc = 0;

	/* "550 5.7.1 text": the log and the notice show the status code and the text apart */
	if (strlen(r) > 4 && r[4] == '5' && sscanf(r + 4, "%15[0-9.]", code) == 1) {
		dsn = code;
		text = r + 4 + strcspn(r + 4, " ");
		text += *text == ' ';
	} else if (strlen(r) > 4) {
		text = r + 4;
	}
	qf_env_init(&env);
	cfg_buf_init(&why);
	gettimeofday(&tv, NULL);
	tm.arrival = (double)c->arrival_sec + (double)c->arrival_usec / 1e6;
	tm.active = tm.dispatch = tm.start = tm.now = (double)tv.tv_sec + (double)tv.tv_usec / 1e6;
	if (qf_read(fd, &env, &why) < 0)
		rc = -1;
	for (size_t i = 0; rc == 0 && i < env.nrcpt; i++) {
		if (env.rcpt[i].status != '-')
			continue;
		if (qf_append_log(fd, i, "bounced", dsn, (long)tv.tv_sec, text) < 0)
			rc = -1;
		dlv_status_line(c->w.qid, env.rcpt[i].addr, env.rcpt[i].orig, "none", &tm, dsn,
		                "bounced", text);
	}
	cfg_buf_fini(&why);
	qf_env_fini(&env);
	return rc;
}

void cleanup_milter_bounce(struct cleanup *c)
{
	char *path;
	int fd, ok;

	/* parked in hold/, where the queue manager does not look, until the notice is queued */
	c->hold = 1;
	cleanup_seal(c);
	if (c->status)
		return;
	path = qf_path(c->cfg->queue_dir, QF_HOLD, c->w.qid);
	fd = open(path, O_RDWR | O_CLOEXEC);
	ok = fd >= 0 && bounce_logs(c, fd) == 0;
	if (fd >= 0)
		close(fd);
	ok = ok && bounce_request(c) == 0;
	unlink(path);
	free(path);
	/* no notice: the submitter keeps the message and tries again later */
	if (!ok)
		cleanup_fail(c, 4, "451 4.3.0 Error: queue file write error");
}

void cleanup_milter_end(struct cleanup *c)
{
	if (c->milter_open)
		milter_quit(c->milters, c->milter_early);
	c->milter_open = 0;
}
