/* cleanup_engine.c - a submission in, a sealed queue file out (see cleanup_engine.h) */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/time.h>
#include <unistd.h>

#include "addr.h"
#include "cfg/base/xalloc.h"
#include "cleanup_int.h"
#include "ipc.h"
#include "log.h"

static int log_depth;
static char *log_saved;

void cleanup_log_enter(void)
{
	/* inside smtpd the cleanup work still logs as postfix/cleanup */
	if (log_depth++ == 0 && strcmp(mta_log_prog_name(), "cleanup") != 0) {
		free(log_saved);
		log_saved = cfg_xstrdup(mta_log_prog_name());
		mta_log_prog("cleanup");
	}
}

void cleanup_log_leave(void)
{
	if (--log_depth == 0 && log_saved) {
		mta_log_prog(log_saved);
		free(log_saved);
		log_saved = NULL;
	}
}

const char *cleanup_attr(struct cleanup *c, const char *name)
{
	return ipc_get(&c->attrs, name);
}

void cleanup_fail(struct cleanup *c, int status, const char *reply)
{
	if (c->status)
		return;
	c->status = status;
	cfg_buf_reset(&c->reply);
	cfg_buf_adds(&c->reply, reply);
}

/* copied attributes: what later stages (Received, logs, bounces) need */
static const char *const kept_attrs[] = {
    "client_name", "client_addr", "client_port", "rev_client_name", "server_addr", "server_port",
    "helo", "protocol", "uid", "full_name", "rewrite_context", "envid", "ret", "received_proto",
    "received_comment", "smtputf8", "encoding",
    /* smtpd's XFORWARD client: what the logs name and the smtp client forwards again */
    "log_client_name", "log_client_address", "log_client_port", "log_message_origin",
    "log_helo_name", "log_protocol_name", "log_ident", NULL};

/* cleanup_free - release one submission's state */
static void cleanup_free(struct cleanup *c)
{
	if (c->open)
		qf_abort(&c->w);
	c->open = 0;
	cleanup_milter_end(c);
	cfg_buf_fini(&c->held);
	free(c->milter_reject);
	free(c->sender);
	for (size_t i = 0; i < c->nrcpt; i++) {
		free(c->rcpt[i].orig);
		free(c->rcpt[i].addr);
		free(c->rcpt[i].dsn_orcpt);
	}
	free(c->rcpt);
	free(c->msgid);
	free(c->single_rcpt);
	free(c->filter);
	free(c->redirect);
	free(c->log_rcpt);
	cfg_strvec_fini(&c->bcc);
	cfg_strvec_fini(&c->milter_hdrs);
	mime_free(c->mime);
	c->mime = NULL;
	cfg_strvec_fini(&c->attrs);
	cfg_buf_fini(&c->line);
	cfg_buf_fini(&c->rec);
	cfg_strvec_fini(&c->headers);
	cfg_buf_fini(&c->reply);
}

/*
 * submission_flags - mail from outside (smtpd: a client address, pickup: a
 * uid) is inspected; what Postfix makes itself (bounces, local forwarding)
 * is not.  The submitting service's receive_override_options come along.
 */
static unsigned submission_flags(struct cleanup *c, const struct cfg_strvec *a)
{
	unsigned f = CLEANUP_F_MAPS;
	const char *ro = ipc_get(a, "receive_override_options");

	if (cleanup_attr(c, "client_addr") || cleanup_attr(c, "uid"))
		f |= CLEANUP_F_CHECKS;
	if (ro) {
		struct cfg_strvec w;

		cfg_strvec_init(&w);
		cfg_strvec_split(&w, ro, ", \t\r\n");
		for (size_t i = 0; i < w.n; i++) {
			if (strcasecmp(w.v[i], "no_address_mappings") == 0)
				f &= ~CLEANUP_F_MAPS;
			else if (strcasecmp(w.v[i], "no_header_body_checks") == 0)
				f &= ~CLEANUP_F_CHECKS;
		}
		cfg_strvec_fini(&w);
	}
	return f;
}

/* routing - content_filter, then the FILTER and REDIRECT actions of smtpd's access tables */
static void routing(struct cleanup *c, const struct cfg_strvec *a)
{
	const char *cf = ipc_get(a, "content_filter");
	const char *f = ipc_get(a, "filter");
	const char *r = ipc_get(a, "redirect");

	if (cf && *cf)
		c->filter = cfg_xstrdup(cf);
	if (f && *f) {
		free(c->filter);
		c->filter = cfg_xstrdup(f);
	}
	if (r && *r)
		c->redirect = cfg_xstrdup(r);
	for (size_t i = 0; i < a->n; i++)
		if (strncmp(a->v[i], "bcc=", 4) == 0)
			cfg_strvec_add(&c->bcc, a->v[i] + 4);
}

void cleanup_set_sender(struct cleanup *c, const char *sender)
{
	struct cfg_buf snd;

	cfg_buf_init(&snd);
	cfg_buf_adds(&snd, sender ? sender : "");
	if (snd.len && cleanup_canonical(c, &snd, 1) < 0)
		cleanup_fail(c, 4, "451 4.3.0 Error: queue file write error");
	if (snd.len && (c->flags & CLEANUP_F_MAPS) && (c->cfg->masq_classes & CLEANUP_MASQ_ENV_FROM)
	    && cleanup_masquerade(c, &snd) < 0)
		cleanup_fail(c, 4, "451 4.3.0 Error: queue file write error");
	free(c->sender);
	c->sender = cfg_buf_take(&snd);
}

/*
 * envelope_rcpts - rcpt= (notify \t orcpt \t address) and the orig_rcpt= copies
 * of local and of a requeued file (notify \t original \t address [\t orcpt])
 */
static void envelope_rcpts(struct cleanup *c, const struct cfg_strvec *a)
{
	size_t nr = 0;

	for (size_t i = 0; i < a->n; i++) {
		/* local's forwarded copies (orig_rcpt=) carry the original recipient instead */
		int fwd = strncmp(a->v[i], "orig_rcpt=", 10) == 0;
		char *copy, *t1, *t2, *t3;

		if (strncmp(a->v[i], "rcpt=", 5) != 0 && !fwd)
			continue;
		copy = cfg_xstrdup(strchr(a->v[i], '=') + 1);
		t1 = strchr(copy, '\t');
		t2 = t1 ? strchr(t1 + 1, '\t') : NULL;
		if (t2) {
			unsigned notify = (unsigned)strtoul(copy, NULL, 16);

			*t2 = '\0';
			if ((t3 = strchr(t2 + 1, '\t')) != NULL)
				*t3++ = '\0';
			nr++;
			free(c->single_rcpt);
			c->single_rcpt = nr == 1 ? cfg_xstrdup(t2 + 1) : NULL;
			/* log lines name the last recipient as the client gave it */
			free(c->log_rcpt);
			c->log_rcpt = cfg_xstrdup(t2 + 1);
			/* a client's ORCPT (smtpd's rcpt=) stays with the recipient and its expansions */
			c->cur_orcpt = !fwd && t1[1] ? t1 + 1 : fwd && t3 && *t3 ? t3 : NULL;
			if (cleanup_add_rcpt(c, fwd && t1[1] ? t1 + 1 : t2 + 1, t2 + 1, notify) < 0)
				cleanup_fail(c, 4, "451 4.3.0 Error: queue file write error");
			c->cur_orcpt = NULL;
		}
		free(copy);
	}
	if (nr != 1 && c->single_rcpt) {
		free(c->single_rcpt);
		c->single_rcpt = NULL;
	}
}

/* add_bcc - the BCC recipients of access tables and header/body checks (NOTIFY=NEVER) */
static void add_bcc(struct cleanup *c)
{
	for (size_t i = 0; i < c->bcc.n; i++) {
		struct cfg_buf in;

		cfg_buf_init(&in);
		addr_internalize(c->bcc.v[i], &in);
		if (cleanup_add_rcpt(c, in.data, in.data, QF_N_NEVER) < 0)
			cleanup_fail(c, 4, "451 4.3.0 Error: queue file write error");
		cfg_buf_fini(&in);
	}
	cfg_strvec_clear(&c->bcc);
}

void cleanup_write_head(struct cleanup *c)
{
	qf_arrival(&c->w, c->arrival_sec, c->arrival_usec);
	qf_head(&c->w, 'S', c->sender);
	for (size_t i = 0; i < c->attrs.n; i++) {
		char *eq = strchr(c->attrs.v[i], '=');

		*eq = '\0';
		qf_attr(&c->w, c->attrs.v[i], eq + 1);
		*eq = '=';
	}
}

/* envelope - sender, recipients and attributes of a "message" request */
static void envelope(struct cleanup *c, const struct cfg_strvec *a)
{
	const char *ctx = ipc_get(a, "rewrite_context");

	for (size_t i = 0; i < a->n; i++) {
		const char *v = a->v[i];

		for (size_t k = 0; kept_attrs[k]; k++) {
			size_t n = strlen(kept_attrs[k]);

			if (strncmp(v, kept_attrs[k], n) == 0 && v[n] == '=')
				cfg_strvec_add(&c->attrs, v);
		}
	}
	/* local submissions, and SMTP clients on our own interfaces (smtpd decides) */
	c->local = ctx && strcmp(ctx, "local") == 0;
	c->fix_headers = c->local || c->cfg->always_add_headers;
	c->extract = ipc_get_long(a, "extract", 0) != 0;
	if (ipc_get_long(a, "verify", 0) != 0)
		c->w.hflags |= QF_H_VERIFY;
	c->discard = ipc_get_long(a, "discard", 0) != 0;
	c->hold = ipc_get_long(a, "hold", 0) != 0;
	c->flags = submission_flags(c, a);
	c->inspect = (c->flags & CLEANUP_F_CHECKS) != 0;
	routing(c, a);
	cleanup_set_sender(c, ipc_get(a, "sender"));
	envelope_rcpts(c, a);
	add_bcc(c);
	/* with mail filters the head waits: they may change the sender */
	if (!cleanup_milter_envelope(c, a))
		cleanup_write_head(c);
	/* smtpd's PREPEND actions: headers before all others, our Received included */
	for (size_t i = 0; i < a->n; i++)
		if (strncmp(a->v[i], "prepend=", 8) == 0)
			cfg_strvec_add(&c->headers, a->v[i] + 8);
	c->nprepend = c->headers.n;
}

/*
 * seal_failed - the queue file is gone (qf_seal removed it before anyone
 * could take it): Postfix's log lines and reply.  A write error is logged,
 * a failed fsync is not; a file too big for the file system is a 552.
 */
static void seal_failed(struct cleanup *c, int err)
{
	int write_err = c->w.failed == QF_FAIL_WRITE;

	cfg_buf_reset(&c->reply);
	if (write_err && err == EFBIG) {
		mta_warn("%s: queue file size limit exceeded", c->w.qid);
		c->status = 5;
		cfg_buf_adds(&c->reply, "552 5.3.4 Error: message file too big");
	} else {
		if (write_err)
			mta_warn("%s: write queue file: %s", c->w.qid, strerror(err));
		c->status = 4;
		cfg_buf_adds(&c->reply, "451 4.3.0 Error: queue file write error");
	}
	if (write_err)
		mta_warn("mail_stream_cleanup: close error");
}

/* rcpt_before - Postfix's queue manager order: by domain, then by address (no domain last) */
static int rcpt_before(const char *a, const char *b)
{
	const char *da = strrchr(a, '@'), *db = strrchr(b, '@');
	int r;

	if (da == NULL && db == NULL)
		return strcasecmp(a, b) < 0;
	if (da == NULL || db == NULL)
		return da != NULL;
	if ((r = strcasecmp(da, db)) != 0)
		return r < 0;
	return strcasecmp(a, b) < 0;
}

/*
 * write_rcpts - the recipient records.  A REDIRECT sends the message to its
 * address instead: as Postfix's queue manager does, the first recipient
 * (in its order) goes there and the others are dropped without a word.
 */
static void write_rcpts(struct cleanup *c)
{
	size_t first = 0;
	struct cfg_buf to;

	if (c->redirect == NULL) {
		for (size_t i = 0; i < c->nrcpt; i++)
			qf_rcpt_dsn(&c->w, c->rcpt[i].orig, c->rcpt[i].addr, c->rcpt[i].notify, '-',
			            c->rcpt[i].dsn_orcpt);
		if (c->filter)
			qf_filter(&c->w, c->filter);
		return;
	}
	for (size_t i = 1; i < c->nrcpt; i++)
		if (rcpt_before(c->rcpt[i].addr, c->rcpt[first].addr))
			first = i;
	cfg_buf_init(&to);
	addr_internalize(c->redirect, &to);
	cleanup_qualify(c, &to);
	for (size_t i = 0; i < c->nrcpt; i++)
		qf_rcpt_dsn(&c->w, c->rcpt[i].orig, i == first ? to.data : c->rcpt[i].addr,
		            c->rcpt[i].notify, i == first ? '-' : 'D', c->rcpt[i].dsn_orcpt);
	cfg_buf_fini(&to);
}

void cleanup_seal(struct cleanup *c)
{
	const char *queue_dir = c->cfg->queue_dir;
	const char *enc;

	/* BCC actions of the checks add recipients now that the content is done */
	add_bcc(c);
	if (c->status)
		return;
	if (c->nrcpt == 0) {
		c->status = 5;
		cfg_buf_reset(&c->reply);
		cfg_buf_adds(&c->reply, "554 5.7.1 Error: no recipients specified");
		mta_info("%s: reject: no recipients", c->w.qid);
		return;
	}
	if (c->discard) {
		/* accepted and silently dropped, as the DISCARD action asks */
		qf_abort(&c->w);
		c->open = 0;
		return;
	}
	write_rcpts(c);
	/* the encoding the message goes out with: the client's BODY=, 8bit when a header says so */
	enc = c->enc_8bit ? "8bit" : cleanup_attr(c, "encoding");
	if (qf_encoding_ok(enc))
		qf_xattr(&c->w, "encoding", enc);
	c->open = 0;
	/* a held message goes to hold/ before it is sealed: qmgr never sees it in incoming/ */
	if (qf_seal_to(&c->w, 1, queue_dir, c->hold ? QF_HOLD : NULL) < 0) {
		seal_failed(c, errno);
		return;
	}
	/* no trigger needed: qmgr watches incoming/ and sees the writer close the sealed file */
	qf_writer_fini(&c->w);
}

struct cleanup *cleanup_open(struct cleanup_cfg *cfg)
{
	struct cleanup *c = cfg_xcalloc(1, sizeof(*c));
	struct timeval tv;

	c->cfg = cfg;
	cfg_strvec_init(&c->attrs);
	cfg_strvec_init(&c->bcc);
	cfg_strvec_init(&c->milter_hdrs);
	cfg_buf_init(&c->line);
	cfg_buf_init(&c->rec);
	cfg_strvec_init(&c->headers);
	cfg_buf_init(&c->reply);
	cfg_buf_init(&c->held);
	if (qf_create(&c->w, cfg->queue_dir, QF_INCOMING) < 0) {
		cleanup_log_enter();
		mta_warn("create file %s/%s: %m", cfg->queue_dir, QF_INCOMING);
		cleanup_log_leave();
		cleanup_free(c);
		free(c);
		return NULL;
	}
	c->open = 1;
	gettimeofday(&tv, NULL);
	c->arrival_sec = (long)tv.tv_sec;
	c->arrival_usec = (long)tv.tv_usec;
	return c;
}

void cleanup_envelope(struct cleanup *c, const struct cfg_strvec *a)
{
	cleanup_log_enter();
	envelope(c, a);
	cleanup_log_leave();
}

int cleanup_finish(struct cleanup *c)
{
	cleanup_log_enter();
	cleanup_content_end(c);
	if (c->milters && c->status == 0 && !c->discard)
		cleanup_milter_content(c);
	cleanup_milter_end(c);
	if (c->status == 0 && c->milter_reject)
		cleanup_milter_bounce(c);
	else if (c->status == 0)
		cleanup_seal(c);
	cleanup_log_leave();
	return c->status;
}

void cleanup_close(struct cleanup *c)
{
	if (c == NULL)
		return;
	cleanup_free(c);
	free(c);
}

const char *cleanup_queue_id(const struct cleanup *c)
{
	return c->w.qid;
}

const char *cleanup_reply(const struct cleanup *c)
{
	return c->reply.len ? c->reply.data : "";
}

void cleanup_milter_headers(struct cleanup *c, const struct cfg_strvec *hdrs)
{
	for (size_t i = 0; i < hdrs->n; i++)
		cfg_strvec_add(&c->milter_hdrs, hdrs->v[i]);
}

/* cfg_lists - the list settings of cfg, for initialising and releasing them together */
static size_t cfg_lists(struct cleanup_cfg *cfg, struct cfg_strvec *out[11])
{
	struct cfg_strvec *v[] = {
	    &cfg->canonical,
	    &cfg->sender_canonical,
	    &cfg->recipient_canonical,
	    &cfg->virtual_alias,
	    &cfg->header_checks,
	    &cfg->mime_header_checks,
	    &cfg->nested_header_checks,
	    &cfg->milter_header_checks,
	    &cfg->body_checks,
	    &cfg->masq_domains,
	    &cfg->masq_exceptions,
	};

	memcpy(out, v, sizeof(v));
	return sizeof(v) / sizeof(v[0]);
}

struct cleanup_cfg *cleanup_cfg_new(struct mta_conf *conf, const char *queue_dir)
{
	struct cleanup_cfg *cfg = cfg_xcalloc(1, sizeof(*cfg));
	struct cfg_strvec classes;
	struct mta_setting tab[] = {
	    MTA_SET(CFG_P_myhostname, &cfg->myhostname),
	    MTA_SET(CFG_P_myorigin, &cfg->myorigin),
	    MTA_SET(CFG_P_mydomain, &cfg->mydomain),
	    MTA_SET(CFG_P_mail_name, &cfg->mail_name),
	    MTA_SET(CFG_P_recipient_delimiter, &cfg->recipient_delimiter),
	    MTA_SET(CFG_P_append_at_myorigin, &cfg->append_at_myorigin),
	    MTA_SET(CFG_P_append_dot_mydomain, &cfg->append_dot_mydomain),
	    MTA_SET(CFG_P_always_add_missing_headers, &cfg->always_add_headers),
	    MTA_SET(CFG_P_enable_original_recipient, &cfg->enable_orig),
	    MTA_SET(CFG_P_header_size_limit, &cfg->header_size_limit),
	    MTA_SET(CFG_P_hopcount_limit, &cfg->hopcount_limit),
	    MTA_SET(CFG_P_message_size_limit, &cfg->size_limit),
	    MTA_SET(CFG_P_virtual_alias_recursion_limit, &cfg->recursion_limit),
	    MTA_SET(CFG_P_virtual_alias_expansion_limit, &cfg->expansion_limit),
	    MTA_SET(CFG_P_canonical_maps, &cfg->canonical),
	    MTA_SET(CFG_P_sender_canonical_maps, &cfg->sender_canonical),
	    MTA_SET(CFG_P_recipient_canonical_maps, &cfg->recipient_canonical),
	    MTA_SET(CFG_P_virtual_alias_maps, &cfg->virtual_alias),
	    MTA_SET(CFG_P_header_checks, &cfg->header_checks),
	    MTA_SET(CFG_P_mime_header_checks, &cfg->mime_header_checks),
	    MTA_SET(CFG_P_nested_header_checks, &cfg->nested_header_checks),
	    MTA_SET(CFG_P_milter_header_checks, &cfg->milter_header_checks),
	    MTA_SET(CFG_P_milter_macro_daemon_name, &cfg->milter_daemon_name),
	    MTA_SET(CFG_P_milter_macro_v, &cfg->milter_v),
	    MTA_SET(CFG_P_bounce_service_name, &cfg->bounce_service),
	    MTA_SET(CFG_P_body_checks, &cfg->body_checks),
	    MTA_SET(CFG_P_body_checks_size_limit, &cfg->body_checks_size_limit),
	    MTA_SET(CFG_P_line_length_limit, &cfg->line_limit),
	    MTA_SET(CFG_P_mime_boundary_length_limit, &cfg->mime.boundary_len),
	    MTA_SET(CFG_P_mime_nesting_limit, &cfg->mime.nesting_depth),
	    MTA_SET(CFG_P_disable_mime_input_processing, &cfg->disable_mime),
	    MTA_SET(CFG_P_strict_7bit_headers, &cfg->strict_7bit_headers),
	    MTA_SET(CFG_P_strict_8bitmime, &cfg->strict_8bitmime),
	    MTA_SET(CFG_P_strict_8bitmime_body, &cfg->strict_8bitmime_body),
	    MTA_SET(CFG_P_strict_mime_encoding_domain, &cfg->strict_encoding),
	    MTA_SET(CFG_P_masquerade_domains, &cfg->masq_domains),
	    MTA_SET(CFG_P_masquerade_exceptions, &cfg->masq_exceptions),
	    MTA_SET(CFG_P_masquerade_classes, &classes),
	    MTA_SET(CFG_P_queue_service_name, &cfg->qmgr_service),
	    MTA_SETTINGS_END,
	};
	struct cfg_strvec *lists[11];
	size_t n = cfg_lists(cfg, lists);

	for (size_t i = 0; i < n; i++)
		cfg_strvec_init(lists[i]);
	cfg_strvec_init(&classes);
	mta_conf_get(conf, tab);
	if (cfg->header_size_limit < 1024)
		cfg->header_size_limit = 1024;
	cfg->mime.header_size = cfg->header_size_limit;
	cfg->masq_classes = cleanup_masq_classes(&classes);
	cfg_strvec_fini(&classes);
	cfg->rslv = rslv_new(conf);
	cfg->queue_dir = queue_dir;
	return cfg;
}

int cleanup_rewrite_rcpt(struct cleanup_cfg *cfg, const char *addr, cleanup_trace_fn trace,
                         void *arg, struct cfg_strvec *out)
{
	struct cleanup c;
	int rc;

	memset(&c, 0, sizeof(c));
	c.cfg = cfg;
	c.flags = CLEANUP_F_MAPS;
	c.trace = trace;
	c.trace_arg = arg;
	rc = cleanup_add_rcpt(&c, addr, addr, 0);
	for (size_t i = 0; i < c.nrcpt; i++) {
		if (rc == 0)
			cfg_strvec_add(out, c.rcpt[i].addr);
		free(c.rcpt[i].orig);
		free(c.rcpt[i].addr);
		free(c.rcpt[i].dsn_orcpt);
	}
	free(c.rcpt);
	return rc < 0 ? -1 : 0;
}

void cleanup_cfg_free(struct cleanup_cfg *cfg)
{
	struct cfg_strvec *lists[11];

	if (cfg == NULL)
		return;
	for (size_t i = 0, n = cfg_lists(cfg, lists); i < n; i++)
		cfg_strvec_fini(lists[i]);
	rslv_free(cfg->rslv);
	free(cfg);
}

struct rslv *cleanup_cfg_resolver(struct cleanup_cfg *cfg)
{
	return cfg->rslv;
}
