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
 * with Postfix's default internal_mail_filter_classes.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "cfg/base/xalloc.h"
#include "cleanup_int.h"
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
	if (strcmp(name, "{mail_addr}") == 0)
		return c->milter_content ? NULL : c->sender;
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
 * [to=<r>]"; a refusal ends the submission (4xx: the submitter keeps the
 * message for later), DISCARD and HOLD go on
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
	} else {
		cleanup_fail(c, 5, r);
	}
}

/* rcpt_events - a RCPT event for each recipient the submitter gave; 0 or -1 (ended) */
static int rcpt_events(struct cleanup *c, const struct cfg_strvec *a)
{
	for (size_t i = 0; i < a->n; i++) {
		const char *t =
		    strncmp(a->v[i], "rcpt=", 5) == 0 ? strchr(a->v[i] + 5, '\t') : NULL;
		struct cfg_strvec argv;
		const char *r;

		if (t == NULL || (t = strchr(t + 1, '\t')) == NULL)
			continue;
		cfg_strvec_init(&argv);
		cfg_strvec_add(&argv, t + 1);
		c->milter_rcpt = t + 1;
		r = milter_rcpt(c->milters, &argv);
		c->milter_rcpt = NULL;
		cfg_strvec_fini(&argv);
		if (r) {
			verdict(c, "RCPT", r, t + 1);
			if (c->status)
				return -1;
		}
	}
	return 0;
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
	if ((r = milter_connect(c->milters, macro, c, "localhost", "127.0.0.1", "")) != NULL) {
		verdict(c, "CONNECT", r, NULL);
		return 1;
	}
	if ((r = milter_helo(c->milters, "localhost")) != NULL) {
		verdict(c, "HELO", r, NULL);
		return 1;
	}
	cfg_strvec_init(&argv);
	cfg_strvec_add(&argv, c->sender);
	r = milter_mail(c->milters, &argv);
	cfg_strvec_fini(&argv);
	if (r) {
		verdict(c, "MAIL", r, NULL);
		if (c->status)
			return 1;
	}
	if (rcpt_events(c, a) == 0 && (r = milter_data(c->milters)) != NULL)
		verdict(c, "DATA", r, c->log_rcpt);
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

void cleanup_milter_content(struct cleanup *c)
{
	struct milter_msg msg;
	const char *r;

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
	if (c->status == 0 && !c->discard) {
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

void cleanup_milter_end(struct cleanup *c)
{
	if (c->milter_open)
		milter_quit(c->milters);
	c->milter_open = 0;
}
