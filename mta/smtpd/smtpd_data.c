/* smtpd_data.c - message content: DATA, BDAT, and the hand-off to cleanup (see smtpd.h) */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#include "cfg/base/xalloc.h"
#include "ipc.h"
#include "log.h"
#include "maildate.h"
#include "qfile.h"
#include "submit.h"
#include "cleanup_engine/cleanup_engine.h"
#include "smtpd.h"

#define CHUNK 65536

/*
 * smtpd writes its queue files itself with the cleanup engine (the same
 * code the cleanup daemon runs, with the cleanup service's settings), so a
 * message costs no extra process hop.  In stand-alone mode (sendmail -bs,
 * run by the user) the message goes through postdrop into the maildrop
 * queue like any sendmail submission, and pickup takes it from there; the
 * reply names postdrop's queue ID, as Postfix's does.
 */
static struct cleanup_cfg *ccfg; /* settings, per process */

void smtpd_cleanup_init(struct mta_server *srv, const char *service)
{
	static struct mta_conf cc; /* the view's strings live as long as the process */
	struct cfg_diags ds;

	/* the cleanup service's own view: its master.cf -o overrides apply */
	cfg_diags_init(&ds);
	memset(&cc, 0, sizeof(cc));
	cc.cfg = srv->conf.cfg;
	cc.view = cfg_view_new(srv->conf.cfg, service, "unix", &ds);
	cfg_diags_fini(&ds);
	if (cc.view == NULL) {
		ccfg = cleanup_cfg_new(&srv->conf, srv->queue_dir);
		return;
	}
	ccfg = cleanup_cfg_new(&cc, srv->queue_dir);
}

int smtpd_open_queue(struct smtpd *s)
{
	if (s->srv->standalone) {
		char *prog = submit_program(&s->srv->conf, "postdrop");
		int rc = submit_open(&s->drop, prog, mta_conf_dir(&s->srv->conf));

		if (rc < 0)
			mta_warn("execute %s: %m", prog);
		else if (s->drop.qid[0] == '\0')
			submit_cancel(&s->drop); /* postdrop refused, and said why */
		free(prog);
		if (rc < 0 || s->drop.qid[0] == '\0') {
			smtpd_reply(s, "451 4.3.0 Error: queue file write error");
			return -1;
		}
		s->drop_open = 1;
		snprintf(s->qid, sizeof(s->qid), "%.*s", (int)sizeof(s->qid) - 1, s->drop.qid);
		mta_info("%s: client=%s", s->qid, s->log_client);
		return 0;
	}
	if ((s->cln = cleanup_open(ccfg)) == NULL) {
		smtpd_reply(s, "451 4.3.0 Error: queue file write error");
		return -1;
	}
	snprintf(s->qid, sizeof(s->qid), "%s", cleanup_queue_id(s->cln));
	{
		struct cfg_buf b;

		cfg_buf_init(&b);
		cfg_buf_printf(&b, "%s: client=%s", s->qid, s->log_client);
		if (s->sasl_username)
			cfg_buf_printf(&b, ", sasl_method=%s, sasl_username=%s%s%s", s->sasl_method,
			               s->sasl_username, s->sasl_sender ? ", sasl_sender=" : "",
			               s->sasl_sender ? s->sasl_sender : "");
		smtpd_xforward_log(s, &b);
		mta_info("%s", b.data);
		cfg_buf_fini(&b);
	}
	return 0;
}

void smtpd_close_queue(struct smtpd *s)
{
	if (s->drop_open) {
		submit_cancel(&s->drop);
		s->drop_open = 0;
	}
	/* not finished: the unsealed file goes away */
	cleanup_close(s->cln);
	s->cln = NULL;
	s->qid[0] = '\0';
}

/*
 * standalone_received - sendmail -bs: the message goes through postdrop and
 * pickup, so our Received header goes in with it, as Postfix's smtpd writes
 * it (pickup's cleanup adds its own "by ... from userid" one on top)
 */
static void standalone_received(struct smtpd *s)
{
	struct cfg_buf b, date;

	cfg_buf_init(&b);
	cfg_buf_init(&date);
	mta_mail_date((long)time(NULL), &date);
	cfg_buf_printf(&b, "Received: from %s (%s [%s])\n\tby %s (%s) with %s id %s",
	               s->helo && *s->helo ? s->helo : s->name, s->name, s->addr,
	               s->cfg->myhostname, s->cfg->mail_name, s->protocol, s->qid);
	if (s->nrcpt == 1)
		cfg_buf_printf(&b, "\n\tfor <%s>; %s\n", s->rcpt[0].external, date.data);
	else
		cfg_buf_printf(&b, ";\n\t%s\n", date.data);
	submit_content(&s->drop, b.data, b.len);
	cfg_buf_fini(&date);
	cfg_buf_fini(&b);
}

/* send_envelope - sender, recipients and client attributes */
static void send_envelope(struct smtpd *s)
{
	struct cfg_strvec a;

	if (s->drop_open) {
		/* postdrop takes the time and the uid itself; pickup tells cleanup */
		submit_record(&s->drop, 'S', s->sender);
		for (size_t i = 0; i < s->nrcpt; i++) {
			char *r = cfg_xasprintf("%x %s", s->rcpt[i].notify, s->rcpt[i].internal);

			submit_record(&s->drop, 'R', r);
			free(r);
		}
		submit_record(&s->drop, 'M', NULL);
		standalone_received(s);
		return;
	}
	cfg_strvec_init(&a);
	ipc_add(&a, "sender", "%s", s->sender);
	for (size_t i = 0; i < s->nrcpt; i++)
		ipc_add(&a, "rcpt", "%x\t%s\t%s", s->rcpt[i].notify,
		        s->rcpt[i].orcpt ? s->rcpt[i].orcpt : "", s->rcpt[i].internal);
	if (s->body_enc)
		ipc_add(&a, "encoding", "%s", s->body_enc); /* the smtp client's BODY= */
	ipc_add(&a, "client_name", "%s", s->name);
	ipc_add(&a, "client_addr", "%s", s->addr);
	ipc_add(&a, "client_port", "%s", s->port);
	ipc_add(&a, "rev_client_name", "%s", s->rev_name);
	if (s->srv_addr[0]) {
		ipc_add(&a, "server_addr", "%s", s->srv_addr);
		ipc_add(&a, "server_port", "%s", s->srv_port);
	}
	ipc_add(&a, "helo", "%s", s->helo ? s->helo : "");
	ipc_add(&a, "protocol", "%s", s->protocol);
	if (s->smtputf8)
		ipc_add(&a, "smtputf8",
		        "1"); /* MAIL FROM ... SMTPUTF8: the smtp client passes it on */
	{
		/* what TLS and AUTH add to the Received header (smtpd_tls.c) */
		struct cfg_buf comment, proto;

		cfg_buf_init(&comment);
		cfg_buf_init(&proto);
		smtpd_tls_received(s, &comment, &proto);
		ipc_add(&a, "received_proto", "%s", proto.data);
		if (comment.len)
			ipc_add(&a, "received_comment", "%s", comment.data);
		cfg_buf_fini(&comment);
		cfg_buf_fini(&proto);
	}
	if (s->dsn_ret)
		ipc_add(&a, "ret", "%s", s->dsn_ret);
	if (s->dsn_envid)
		ipc_add(&a, "envid", "%s", s->dsn_envid);
	ipc_add(&a, "rewrite_context", "%s", smtpd_xforward_context(s));
	smtpd_xforward_attrs(s, &a);
	if (s->discard)
		ipc_add(&a, "discard", "1");
	if (s->hold)
		ipc_add(&a, "hold", "1");
	for (size_t i = 0; i < s->prepend.n; i++)
		ipc_add(&a, "prepend", "%s", s->prepend.v[i]);
	/* where the message goes after it is queued: cleanup records it */
	if (s->cfg->content_filter && *s->cfg->content_filter)
		ipc_add(&a, "content_filter", "%s", s->cfg->content_filter);
	if (s->filter)
		ipc_add(&a, "filter", "%s", s->filter);
	if (s->redirect)
		ipc_add(&a, "redirect", "%s", s->redirect);
	for (size_t i = 0; i < s->bcc.n; i++)
		ipc_add(&a, "bcc", "%s", s->bcc.v[i]);
	if (s->cfg->receive_override && *s->cfg->receive_override)
		ipc_add(&a, "receive_override_options", "%s", s->cfg->receive_override);
	if (s->cln)
		cleanup_envelope(s->cln, &a);
	cfg_strvec_fini(&a);
}

/* put - message bytes to the queue */
static void put(struct smtpd *s, const char *data, size_t len)
{
	if (smtpd_milter_put(s, data, len))
		return; /* the filters see it first */
	if (s->drop_open)
		submit_content(&s->drop, data, len);
	else if (s->cln)
		cleanup_content(s->cln, data, len);
}

/* content state shared by DATA and BDAT */
struct rx {
	struct cfg_buf out; /* pending content */
	long size;
	int too_big;
	int bare_lf;              /* a bare LF was seen (reject mode) */
	int at_bol;               /* the next byte starts a line */
	int first;                /* still at the top of the message (DATA only) */
	size_t crs;               /* BDAT: <CR>s not known yet to end a line */
	unsigned long long line;  /* BDAT: the length of the line so far */
	unsigned long long bytes; /* BDAT: the size as Postfix counts it, <CR><LF> per line */
};

/* queued - the 250 for a queued message; after BDAT it says how many bytes came */
static void queued(struct smtpd *s, const struct rx *rx)
{
	if (s->in_bdat)
		smtpd_reply(s, "250 2.0.0 Ok: %llu bytes queued as %s", rx->bytes, s->qid);
	else
		smtpd_reply(s, "250 2.0.0 Ok: queued as %s", s->qid);
}

/*
 * finish - end the message: the file is written, fsync'd and in the queue
 * before the 250.  Returns 0 with the queue ID in s->qid, or -1 after replying.
 */
static int finish(struct smtpd *s, const struct rx *rx)
{
	int rc = -1;

	if (s->drop_open) {
		int status;

		s->drop_open = 0;
		if ((status = submit_finish(&s->drop)) != 0) {
			mta_warn("%s: postdrop exit status %d: queue file write error", s->qid,
			         status);
			smtpd_reply(s, "451 4.3.0 Error: queue file write error");
			return -1;
		}
		queued(s, rx);
		s->qid[0] = '\0';
		s->errors = s->junk = 0; /* as Postfix: delivered mail wipes the slate */
		return 0;
	}
	if (s->cln == NULL) {
		smtpd_reply(s, "451 4.3.0 Error: queue file write error");
		return -1;
	}
	if (cleanup_finish(s->cln) == 0) {
		queued(s, rx);
		s->errors = s->junk = 0; /* as Postfix: delivered mail wipes the slate */
		rc = 0;
	} else {
		const char *reply = cleanup_reply(s->cln);

		smtpd_reply(s, "%s", *reply ? reply : "451 4.3.0 Error: queue file write error");
	}
	/* sealed (or removed on error): forget it */
	cleanup_close(s->cln);
	s->cln = NULL;
	return rc;
}

/* rx_put - add content bytes, watching the size limit */
static void rx_put(struct smtpd *s, struct rx *rx, const char *p, size_t n)
{
	if (rx->too_big)
		return;
	rx->size += (long)n;
	if (s->cfg->size_limit > 0 && rx->size > s->cfg->size_limit) {
		rx->too_big = 1;
		cfg_buf_reset(&rx->out);
		return;
	}
	cfg_buf_add(&rx->out, p, n);
	if (rx->out.len >= CHUNK) {
		put(s, rx->out.data, rx->out.len);
		cfg_buf_reset(&rx->out);
	}
}

/*
 * rx_top - a line at the top of the message, as Postfix's smtpd: mbox "From "
 * lines (also ">From ") become X-Mailbox-Line: headers, and a first other line
 * that starts with white space gets an empty line before it (it is body).
 */
static void rx_top(struct smtpd *s, struct rx *rx, const char *p, size_t n)
{
	size_t gt = 0;

	while (gt < n && p[gt] == '>')
		gt++;
	if (n - gt >= 5 && memcmp(p + gt, "From ", 5) == 0) {
		rx_put(s, rx, "X-Mailbox-Line: ", 16);
		return;
	}
	rx->first = 0;
	if (n > 0 && (p[0] == ' ' || p[0] == '\t'))
		rx_put(s, rx, "\n", 1);
}

/* rx_line - one received line (without its line end), CR turned into space as Postfix does */
static void rx_line(struct smtpd *s, struct rx *rx, char *p, size_t n, int eol)
{
	for (size_t i = 0; i < n; i++)
		if (p[i] == '\r')
			p[i] = ' ';
	if (rx->first && rx->at_bol)
		rx_top(s, rx, p, n);
	rx_put(s, rx, p, n);
	if (eol)
		rx_put(s, rx, "\n", 1);
}

/* end_message - after the last byte: the reply and the log for every outcome */
static int end_message(struct smtpd *s, struct rx *rx, const char *stage)
{
	const char *reply;
	struct cfg_buf *edited = NULL;
	int rc = -1;

	if (rx->out.len && !rx->too_big)
		put(s, rx->out.data, rx->out.len);
	cfg_buf_reset(&rx->out);
	if (rx->too_big) {
		mta_warn("%s: queue file size limit exceeded", s->qid);
		smtpd_close_queue(s);
		smtpd_reply(s, "552 5.3.4 Error: message file too big");
	} else if (rx->bare_lf) {
		smtpd_log_reject(s, "reject", "END-OF-MESSAGE", "bare <LF> received",
		                 s->nrcpt == 1 ? s->rcpt[0].external : NULL);
		smtpd_close_queue(s);
		smtpd_reply(s, "%ld 5.5.2 %s Error: bare <LF> received", s->cfg->bare_nl_code,
		            s->cfg->myhostname);
	} else if ((reply = smtpd_check_data(s, ST_EOD)) != NULL) {
		smtpd_log_reject(s, "reject", stage, reply,
		                 s->nrcpt == 1 ? s->rcpt[0].external : NULL);
		smtpd_close_queue(s);
		smtpd_reply(s, "%s", reply);
	} else if ((reply = smtpd_milter_eom(s, &edited)) != NULL) {
		smtpd_close_queue(s);
		smtpd_reply(s, "%s", reply);
	} else {
		if (edited) {
			/* the filters' version of the envelope and the message */
			send_envelope(s);
			if (s->cln)
				cleanup_content(s->cln, edited->data, edited->len);
		}
		rc = finish(s, rx);
	}
	smtpd_transaction_reset(s);
	return rc;
}

int smtpd_data(struct smtpd *s)
{
	struct rx rx;
	struct cfg_buf line;
	int prev_crlf = 1; /* the line before ended with <CR><LF> (DATA counts as one) */
	int rc;

	memset(&rx, 0, sizeof(rx));
	cfg_buf_init(&rx.out);
	cfg_buf_init(&line);
	smtpd_pipelining(s, "DATA", 1);
	smtpd_reply(s, "354 End data with <CR><LF>.<CR><LF>");
	smtpd_flush(s);
	if (s->milt == NULL)
		send_envelope(s);
	s->data_bytes = 0;
	rx.at_bol = 1;
	rx.first = 1;
	for (;;) {
		int eol;
		size_t got;
		char *p;
		size_t n;
		int crlf;

		cfg_buf_reset(&line);
		got = mta_stream_gets(&s->in, &line, CHUNK, &eol);
		if (got == 0) {
			/* the client went away (or timed out): nothing gets queued */
			char extra[64];

			snprintf(extra, sizeof(extra), " (%llu bytes)", s->data_bytes);
			if (s->in.err == ETIMEDOUT) {
				mta_info("timeout after DATA%s from %s", extra, s->log_client);
				smtpd_reply(s, "421 4.4.2 %s Error: timeout exceeded",
				            s->cfg->myhostname);
				smtpd_flush(s);
			} else {
				mta_info("lost connection after DATA%s from %s", extra,
				         s->log_client);
			}
			s->dead = 1;
			smtpd_close_queue(s);
			smtpd_transaction_reset(s);
			cfg_buf_fini(&line);
			cfg_buf_fini(&rx.out);
			return -1;
		}
		s->data_bytes += got;
		p = line.data;
		n = line.len;
		if (!eol) {
			/* a long line: pass the piece through, no dot handling mid-line */
			if (rx.at_bol && p[0] == '.') {
				p++;
				n--;
				rx.first = 0; /* ".From " is no mbox line */
			}
			rx_line(s, &rx, p, n, 0);
			rx.at_bol = 0;
			continue;
		}
		n--; /* the LF */
		crlf = n > 0 && p[n - 1] == '\r';
		if (s->bare_nl_mode == 0) {
			/* "<LF>" or any number of "<CR>" before it end the line */
			while (n > 0 && p[n - 1] == '\r')
				n--;
		} else if (crlf) {
			n--; /* exactly one: "a<CR><CR><LF>" is "a<CR>" */
		} else if (s->bare_nl_mode == 2) {
			rx.bare_lf = 1;
		}
		if (rx.at_bol && n == 1 && p[0] == '.') {
			if (s->bare_nl_mode == 0 || (crlf && prev_crlf))
				break; /* end of data */
			/*
			 * normalize/reject: only <CR><LF>.<CR><LF> ends the data.  A
			 * "." line next to a bare <LF> is no end and is dropped, as
			 * Postfix does; a client cannot smuggle commands past it.
			 */
			prev_crlf = crlf;
			continue;
		}
		prev_crlf = crlf;
		if (rx.at_bol && p[0] == '.') {
			p++;
			n--;
			rx.first = 0; /* ".From " is no mbox line */
		}
		rx_line(s, &rx, p, n, 1);
		rx.at_bol = 1;
	}
	rc = end_message(s, &rx, "END-OF-MESSAGE");
	cfg_buf_fini(&line);
	cfg_buf_fini(&rx.out);
	return rc;
}

/* bdat_crs - pending <CR>s that did not end a line: spaces, as in DATA */
static void bdat_crs(struct smtpd *s, struct rx *rx)
{
	for (; rx->crs; rx->crs--) {
		rx_put(s, rx, " ", 1);
		rx->line++;
	}
}

/*
 * bdat_text - BDAT content, not dot-stuffed: <CR>s before <LF> end the line
 * (with a line end split over two chunks too), other <CR>s become spaces
 */
static void bdat_text(struct smtpd *s, struct rx *rx, const char *p, size_t n)
{
	size_t from = 0;

	for (size_t i = 0; i < n; i++) {
		if (p[i] != '\r' && p[i] != '\n')
			continue;
		if (rx->crs && i > from)
			bdat_crs(s, rx);
		rx_put(s, rx, p + from, i - from);
		rx->line += i - from;
		from = i + 1;
		if (p[i] == '\r') {
			rx->crs++;
			continue;
		}
		if (rx->crs == 0 && s->bare_nl_mode == 2)
			rx->bare_lf = 1;
		/* any number of <CR>s end the line; normalize and reject modes: exactly one */
		if (s->bare_nl_mode == 0)
			rx->crs = 0;
		else if (rx->crs > 0)
			rx->crs--;
		bdat_crs(s, rx);
		rx_put(s, rx, "\n", 1);
		rx->bytes += rx->line + 2;
		rx->line = 0;
	}
	if (rx->crs && n > from)
		bdat_crs(s, rx);
	rx_put(s, rx, p + from, n - from);
	rx->line += n - from;
}

/* bdat_end - after the last chunk: a last line without its line end counts as one with it */
static void bdat_end(struct smtpd *s, struct rx *rx)
{
	bdat_crs(s, rx);
	if (rx->line)
		rx->bytes += rx->line + 2;
	rx->line = 0;
}

int smtpd_bdat(struct smtpd *s, unsigned long size, int last)
{
	static struct rx rx;
	struct cfg_buf chunk;
	int failed = 0, rc = 0;
	const char *reply;

	cfg_buf_init(&chunk);
	if (size > 0 && mta_stream_read(&s->in, &chunk, size) < 0) {
		mta_info("%s after BDAT (%llu bytes) from %s",
		         s->in.err == ETIMEDOUT ? "timeout" : "lost connection",
		         s->data_bytes + chunk.len, s->log_client);
		s->dead = 1;
		smtpd_close_queue(s);
		smtpd_transaction_reset(s);
		cfg_buf_fini(&chunk);
		return -1;
	}
	if (s->bdat_failed) {
		smtpd_reply(s, "551 5.0.0 Discarded %lu bytes after earlier error", size);
		failed = 1;
	} else if (s->sender == NULL || s->nrcpt == 0) {
		smtpd_reply(s, s->sender ? "554 5.5.1 Error: no valid recipients"
		                         : "503 5.5.1 Error: need RCPT command");
		s->in_bdat = 1;
		s->bdat_failed = 1;
		failed = 1;
	} else if (!s->in_bdat && (reply = smtpd_check_data(s, ST_DATA)) != NULL) {
		smtpd_log_reject(s, "reject", "BDAT", reply,
		                 s->nrcpt == 1 ? s->rcpt[0].external : NULL);
		smtpd_reply(s, "%s", reply);
		s->in_bdat = 1;
		s->bdat_failed = 1;
		failed = 1;
	}
	if (failed) {
		if (last)
			smtpd_transaction_reset(s);
		cfg_buf_fini(&chunk);
		return -1;
	}
	if (!s->in_bdat) {
		s->in_bdat = 1;
		s->data_bytes = 0;
		if (rx.out.data == NULL)
			cfg_buf_init(&rx.out);
		cfg_buf_reset(&rx.out);
		rx.size = 0;
		rx.too_big = rx.bare_lf = 0;
		rx.crs = 0;
		rx.line = rx.bytes = 0;
		if (smtpd_milter_data(s, "BDAT") < 0) {
			s->bdat_failed = 1;
			if (last)
				smtpd_transaction_reset(s);
			cfg_buf_fini(&chunk);
			return -1;
		}
		if (s->milt == NULL)
			send_envelope(s);
	}
	s->data_bytes += chunk.len;
	bdat_text(s, &rx, chunk.data, chunk.len);
	if (last)
		bdat_end(s, &rx);
	if (!last) {
		smtpd_reply(s, "250 2.0.0 Ok: %lu bytes", size);
	} else {
		rc = end_message(s, &rx, "END-OF-MESSAGE");
	}
	cfg_buf_fini(&chunk);
	return rc;
}
