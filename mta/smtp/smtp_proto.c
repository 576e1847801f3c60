/* smtp_proto.c - one mail transaction: MAIL, RCPT, DATA and the replies (see smtp.h) */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "addr.h"
#include "cfg/base/xalloc.h"
#include "log.h"
#include "smtp.h"

/* the transaction in hand */
struct txn {
	struct smtp_state *s;
	struct smtp_session *sess;
	size_t *open; /* recipients sent in RCPT TO, in order */
	size_t nopen;
	size_t *ok; /* those the server accepted */
	size_t nok;
	int mail_ok;
};

/* said - "host H said: REPLY (in reply to WHAT command)" for recipient k, logged when soft */
static void said(struct txn *t, size_t k, const char *what, int log_soft)
{
	struct smtp_session *sess = t->sess;
	char dsn[16];
	int hard = sess->reply.data[0] == '5';

	smtp_reply_dsn(sess, dsn, sizeof(dsn));
	smtp_rcpt_error(t->s, k, sess->relay_log, hard, dsn,
	                "host %s said: %s (in reply to %s command)", sess->label, sess->reply.data,
	                what);
	/* a soft error is tried again elsewhere: Postfix notes it on the way */
	if (!hard && !t->s->final && log_soft)
		mta_info("%s: host %s said: %s (in reply to %s command)", t->s->req->qid,
		         sess->label, sess->reply.data, what);
}

/* lost - the connection died: every recipient still in play gets the reason */
static int lost(struct txn *t, const char *while_, size_t *ks, size_t n)
{
	struct cfg_buf why;

	cfg_buf_init(&why);
	smtp_lost(t->sess, while_, &why);
	for (size_t i = 0; i < n; i++)
		smtp_rcpt_error(t->s, ks[i], t->sess->relay_log, 0, "4.4.2", "%s", why.data);
	cfg_buf_fini(&why);
	return -1;
}

/* xtext_add - RFC 3461 xtext of v: '+', '=' and bytes outside '!'..'~' as +XX */
static void xtext_add(struct mta_stream *st, const char *v)
{
	for (const unsigned char *p = (const unsigned char *)v; *p; p++) {
		if (*p == '+' || *p == '=' || *p <= ' ' || *p > '~')
			mta_stream_printf(st, "+%02X", *p);
		else
			mta_stream_printf(st, "%c", *p);
	}
}

/*
 * send_rcpt - "RCPT TO:<addr>", with the DSN requests passed on to a server
 * that announces DSN (RFC 3461), as Postfix: ORCPT=rfc822;<the original
 * recipient>, then NOTIFY when the sender gave one
 */
static void send_rcpt(struct txn *t, struct smtp_session *sess, size_t k)
{
	const struct qf_rcpt *q = t->s->req->rcpt[k].qr;
	struct cfg_buf ext;

	cfg_buf_init(&ext);
	addr_externalize(q->addr, &ext);
	mta_stream_printf(&sess->st, "RCPT TO:<%s>", ext.data);
	if (sess->features & SMTP_F_DSN) {
		static const struct {
			unsigned bit;
			const char *word;
		} words[] = {{QF_N_NEVER, "NEVER"},
		             {QF_N_SUCCESS, "SUCCESS"},
		             {QF_N_FAILURE, "FAILURE"},
		             {QF_N_DELAY, "DELAY"}};
		const char *sep = " NOTIFY=";

		if (q->dsn_orcpt) {
			/* the client's own ORCPT, passed on as it came */
			mta_stream_puts(&sess->st, " ORCPT=");
			xtext_add(&sess->st, q->dsn_orcpt);
		} else if (q->orig && *q->orig) {
			cfg_buf_reset(&ext);
			cfg_buf_adds(&ext, "rfc822;");
			addr_externalize(q->orig, &ext);
			mta_stream_puts(&sess->st, " ORCPT=");
			xtext_add(&sess->st, ext.data);
		}
		for (size_t i = 0; i < sizeof(words) / sizeof(words[0]); i++)
			if (q->notify & words[i].bit) {
				mta_stream_printf(&sess->st, "%s%s", sep, words[i].word);
				sep = ",";
			}
	}
	mta_stream_puts(&sess->st, "\r\n");
	cfg_buf_fini(&ext);
}

/* queue_envelope - MAIL FROM, RCPT TO for the open recipients, DATA */
static void queue_envelope(struct txn *t, struct smtp_session *sess, int downgrade)
{
	struct smtp_state *s = t->s;
	struct cfg_buf ext;

	cfg_buf_init(&ext);
	addr_externalize(s->req->sender, &ext);
	mta_stream_printf(&sess->st, "MAIL FROM:<%s>", ext.data);
	if ((sess->features & SMTP_F_SIZE) && !downgrade)
		mta_stream_printf(&sess->st, " SIZE=%ld", s->size);
	if (s->encoding && (sess->features & SMTP_F_8BITMIME))
		mta_stream_puts(&sess->st, s->eightbit ? " BODY=8BITMIME" : " BODY=7BIT");
	if (s->utf8_requested && (sess->features & SMTP_F_SMTPUTF8))
		mta_stream_puts(&sess->st, " SMTPUTF8");
	if (sess->features & SMTP_F_DSN) {
		const char *envid = qf_env_attr(&s->req->env, "envid");
		const char *ret = qf_env_attr(&s->req->env, "ret");

		if (envid && *envid) {
			mta_stream_puts(&sess->st, " ENVID=");
			xtext_add(&sess->st, envid);
		}
		if (ret && *ret)
			mta_stream_printf(&sess->st, " RET=%s",
			                  strcmp(ret, "full") == 0 ? "FULL" : "HDRS");
	}
	mta_stream_puts(&sess->st, "\r\n");
	/* a server that speaks DSN reports success itself: our notice would say "relayed" */
	s->req->success_action = (sess->features & SMTP_F_DSN) ? "none" : "relayed";
	for (size_t i = 0; i < t->nopen; i++)
		send_rcpt(t, sess, t->open[i]);
	cfg_buf_fini(&ext);
}

/* envelope_replies - MAIL and RCPT replies, the commands sent one by one without PIPELINING */
static int envelope_replies(struct txn *t, int pipelined)
{
	struct smtp_session *sess = t->sess;
	struct smtp_cfg *cfg = t->s->cfg;
	int code;

	if (!pipelined)
		mta_stream_flush(&sess->st);
	if ((code = smtp_reply(sess, cfg->mail_timeout)) < 0)
		return lost(t, "sending MAIL FROM", t->open, t->nopen);
	t->mail_ok = code / 100 == 2;
	if (!t->mail_ok) {
		for (size_t i = 0; i < t->nopen; i++)
			said(t, t->open[i], "MAIL FROM", i == 0);
		if (!pipelined)
			return 0;
	}
	for (size_t i = 0; i < t->nopen; i++) {
		if (!pipelined) {
			send_rcpt(t, sess, t->open[i]);
			mta_stream_flush(&sess->st);
		}
		if ((code = smtp_reply(sess, cfg->rcpt_timeout)) < 0)
			return lost(t, "sending RCPT TO", t->open + i, t->nopen - i);
		if (!t->mail_ok)
			continue;
		if (code / 100 == 2 && t->s->req->verify) {
			char dsn[16];

			/* sendmail -bv: the RCPT reply is the answer, no message goes out */
			smtp_reply_dsn(sess, dsn, sizeof(dsn));
			smtp_rcpt_sent(t->s, t->open[i], sess->relay_log, dsn, sess->reply.data);
		} else if (code / 100 == 2)
			t->ok[t->nok++] = t->open[i];
		else
			said(t, t->open[i], "RCPT TO", 1);
	}
	return 0;
}

/* end_of_data - the reply (SMTP) or the replies, one per accepted recipient (LMTP) */
static int end_of_data(struct txn *t)
{
	struct smtp_session *sess = t->sess;
	struct smtp_cfg *cfg = t->s->cfg;
	size_t nreplies = cfg->lmtp ? t->nok : 1;

	for (size_t i = 0; i < nreplies; i++) {
		int code = smtp_reply(sess, cfg->data_done_timeout);

		if (code < 0)
			return lost(t, "sending end of data -- message may be sent more than once",
			            t->ok + i, t->nok - i);
		for (size_t j = cfg->lmtp ? i : 0; j < (cfg->lmtp ? i + 1 : t->nok); j++) {
			char dsn[16];

			if (code / 100 == 2) {
				smtp_reply_dsn(sess, dsn, sizeof(dsn));
				smtp_rcpt_sent(t->s, t->ok[j], sess->relay_log, dsn,
				               sess->reply.data);
			} else {
				said(t, t->ok[j], "end of DATA", j == 0 || cfg->lmtp);
			}
		}
	}
	return 0;
}

/* hbc_failed - a content table could not be read: the message waits, the session is spent */
static int hbc_failed(struct txn *t)
{
	for (size_t i = 0; i < t->nok; i++)
		smtp_rcpt_error(t->s, t->ok[i], t->sess->relay_log, 0, "4.3.0",
		                "local data error while talking to %s", t->sess->label);
	t->sess->broken = 1;
	return -1;
}

/* send_content - the message after 354, then the final dot */
static int send_content(struct txn *t, int downgrade)
{
	struct smtp_state *s = t->s;
	struct smtp_session *sess = t->sess;
	struct cfg_buf wire, checked;
	int rc;

	cfg_buf_init(&wire);
	if (smtp_hbc_active(s->cfg)) {
		cfg_buf_init(&checked);
		rc = smtp_hbc_apply(s, downgrade, &checked);
		if (rc == 0)
			smtp_mime_wire(checked.data, checked.len, s->cfg->line_length_limit, 0,
			               &wire);
		cfg_buf_fini(&checked);
		if (rc < 0) {
			cfg_buf_fini(&wire);
			return hbc_failed(t);
		}
	} else {
		/* no tables, no copy: the queued content goes out as it is */
		smtp_mime_wire(s->content.data, s->content.len, s->cfg->line_length_limit,
		               downgrade, &wire);
	}
	cfg_buf_adds(&wire, ".\r\n");
	sess->st.timeout = (int)s->cfg->data_xfer_timeout;
	mta_stream_write(&sess->st, wire.data, wire.len);
	rc = mta_stream_flush(&sess->st);
	cfg_buf_fini(&wire);
	if (rc < 0)
		return lost(t, "sending message body", t->ok, t->nok);
	return end_of_data(t);
}

/* too_big - the server's SIZE limit is below the message: bounce everyone open */
static int too_big(struct txn *t)
{
	struct smtp_session *sess = t->sess;
	char *why = cfg_xasprintf("message size %ld exceeds size limit %ld of server %s",
	                          t->s->size, sess->size_limit, sess->label);

	for (size_t i = 0; i < t->nopen; i++)
		smtp_rcpt_bounce(t->s, t->open[i], sess->relay_log, "5.3.4", why);
	free(why);
	return 0;
}

/* utf8_refused - the message needs SMTPUTF8 and the server lacks it: bounce everyone open */
static int utf8_refused(struct txn *t)
{
	struct smtp_session *sess = t->sess;
	char *why =
	    cfg_xasprintf("SMTPUTF8 is required, but was not offered by host %s", sess->label);

	for (size_t i = 0; i < t->nopen; i++)
		smtp_rcpt_bounce(t->s, t->open[i], sess->relay_log, "5.6.7", why);
	free(why);
	return 0;
}

/* data_phase - DATA and its reply, then the content; 0 or -1 (session unusable) */
static int data_phase(struct txn *t, int pipelined, int downgrade)
{
	struct smtp_session *sess = t->sess;
	struct smtp_cfg *cfg = t->s->cfg;
	int code;

	if (!pipelined) {
		if (t->nok == 0)
			return 0;
		mta_stream_puts(&sess->st, "DATA\r\n");
		mta_stream_flush(&sess->st);
	}
	if ((code = smtp_reply(sess, cfg->data_init_timeout)) < 0)
		return lost(t, "sending DATA command", t->ok, t->nok);
	if (t->nok == 0) {
		/* nobody to send to: a server that still wants the message cannot be trusted */
		return code == 354 ? -1 : 0;
	}
	if (code != 354) {
		for (size_t i = 0; i < t->nok; i++)
			said(t, t->ok[i], "DATA", i == 0);
		return 0;
	}
	return send_content(t, downgrade);
}

int smtp_transaction(struct smtp_state *s, struct smtp_session *sess)
{
	struct txn t;
	int downgrade = s->eightbit && !(sess->features & SMTP_F_8BITMIME) && !s->cfg->no_mime_conv;
	int pipelined = (sess->features & SMTP_F_PIPELINING) != 0;
	int rc = -1;
	const char *xf_lost;

	memset(&t, 0, sizeof(t));
	t.s = s;
	t.sess = sess;
	t.open = cfg_xcalloc(s->req->n + 1, sizeof(*t.open));
	t.ok = cfg_xcalloc(s->req->n + 1, sizeof(*t.ok));
	for (size_t k = 0; k < s->req->n; k++)
		if (!s->rs[k].final)
			t.open[t.nopen++] = k;
	if (++sess->uses > 1)
		snprintf(sess->relay_log, sizeof(sess->relay_log), "%s, conn_use=%d", sess->relay,
		         sess->uses);
	else
		snprintf(sess->relay_log, sizeof(sess->relay_log), "%s", sess->relay);
	if (s->req->verify)
		pipelined = 0; /* no DATA: MAIL and RCPT one by one, then RSET */
	if (t.nopen == 0) {
		rc = 0;
	} else if (s->utf8_requested && s->utf8_needed && !(sess->features & SMTP_F_SMTPUTF8)) {
		rc = utf8_refused(&t);
	} else if ((sess->features & SMTP_F_SIZE) && sess->size_limit > 0
	           && s->size > sess->size_limit) {
		rc = too_big(&t);
	} else if ((xf_lost = smtp_xforward(s, sess)) != NULL) {
		rc = lost(&t, xf_lost, t.open, t.nopen);
	} else {
		if (pipelined) {
			queue_envelope(&t, sess, downgrade);
			mta_stream_puts(&sess->st, "DATA\r\n");
		} else {
			/* MAIL alone; RCPT and DATA follow reply by reply */
			size_t keep = t.nopen;

			t.nopen = 0;
			queue_envelope(&t, sess, downgrade);
			t.nopen = keep;
		}
		sess->st.timeout = (int)s->cfg->mail_timeout;
		if (mta_stream_flush(&sess->st) < 0)
			rc = lost(&t, "sending MAIL FROM", t.open, t.nopen);
		else if (envelope_replies(&t, pipelined) < 0)
			rc = -1;
		else if (s->req->verify)
			rc = smtp_rset(s->cfg, sess);
		else
			rc = t.mail_ok || pipelined ? data_phase(&t, pipelined, downgrade) : 0;
	}
	free(t.open);
	free(t.ok);
	return rc < 0 || sess->broken ? -1 : 0;
}
