/*
 * smtp_hbc.c - smtp_header_checks, smtp_mime_header_checks,
 * smtp_nested_header_checks and smtp_body_checks (lmtp_*_checks for lmtp):
 * the content as it leaves, after the tables had their say (see smtp.h)
 *
 * The message goes through the MIME parser cleanup uses, so each table sees
 * the pieces header_checks(5) says: primary headers (Content-* and
 * MIME-Version ones go to the mime table), the headers of multipart parts
 * (mime table), those of an attached message (nested table, or mime for
 * its Content-* ones), and body lines in pieces of at most
 * line_length_limit bytes.  As in Postfix's client only the actions that
 * change the content are honoured: IGNORE, STRIP, REPLACE, PREPEND, WARN,
 * INFO, DUNNO, OK; anything else (REJECT, HOLD, DISCARD, REDIRECT, FILTER,
 * BCC, PASS...) is logged as "unsupported command" and the line goes out
 * unchanged.  When the message is converted to 7bit for a server without
 * 8BITMIME, the tables see the converted form, as Postfix's do.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "cfg/base/xalloc.h"
#include "hbc.h"
#include "log.h"
#include "maps.h"
#include "smtp.h"

#define HBC_LOG_MAX 60 /* Postfix logs this much of the matched line */

/* the content being checked */
struct hbc {
	struct smtp_state *s;
	struct cfg_buf *out;
	struct cfg_buf rec; /* one record, NUL-terminated for the parser */
	int error;          /* a table lookup failed */
	int added;          /* the header being completed is one the downgrade added */
};

/* log_action - "QID: ACTION: header TEXT[: WHY]", as the client logs a match */
static void log_action(struct hbc *h, const char *action, const char *context,
                       const struct cfg_buf *line, const char *text)
{
	struct cfg_buf b;

	cfg_buf_init(&b);
	cfg_buf_printf(&b, "%s: %s: %s ", h->s->req->qid, action, context);
	mta_printable(&b, line->data, line->len < HBC_LOG_MAX ? line->len : HBC_LOG_MAX);
	if (*text) {
		cfg_buf_adds(&b, ": ");
		mta_printable(&b, text, strlen(text));
	}
	mta_info("%s", b.data);
	cfg_buf_fini(&b);
}

/* act - one table result for line; 1 keep (maybe replaced), 0 drop; PREPEND text goes to out */
static int act(struct hbc *h, const char *param, const char *context, struct cfg_buf *line,
               const char *value)
{
	const char *text;
	char cmd[16];

	if (!hbc_command(value, cmd, sizeof(cmd), &text)) {
		mta_warn("unsupported command in %s map: %s", param, value);
		return 1;
	}
	if (strcasecmp(cmd, "WARN") == 0 || strcasecmp(cmd, "INFO") == 0) {
		log_action(h, strcasecmp(cmd, "WARN") == 0 ? "warning" : "info", context, line,
		           text);
	} else if (strcasecmp(cmd, "REPLACE") == 0) {
		if (hbc_edit_ok(1, context, text, param)) {
			log_action(h, "replace", context, line, text);
			cfg_buf_reset(line);
			cfg_buf_adds(line, text);
		}
	} else if (strcasecmp(cmd, "PREPEND") == 0) {
		if (hbc_edit_ok(0, context, text, param)) {
			log_action(h, "prepend", context, line, text);
			cfg_buf_adds(h->out, text);
			cfg_buf_addc(h->out, '\n');
		}
	} else if (strcasecmp(cmd, "STRIP") == 0) {
		log_action(h, "strip", context, line, text);
		return 0;
	} else if (strcasecmp(cmd, "IGNORE") == 0) {
		return 0;
	} else if (strcasecmp(cmd, "DUNNO") != 0 && strcasecmp(cmd, "OK") != 0) {
		mta_warn("unsupported command in %s map: %s", param, value);
	}
	return 1;
}

/* check - look line up in one table (named by its suffix: "header_checks"); 1 keep, 0 drop */
static int check(struct hbc *h, const struct cfg_strvec *maps, const char *suffix,
                 const char *context, struct cfg_buf *line)
{
	const char *value;
	char param[64];
	char *copy;
	int rc;

	if (maps->n == 0 || line->len == 0 || h->error)
		return 1;
	snprintf(param, sizeof(param), "%s_%s", h->s->cfg->name, suffix);
	rc = mta_maps_get(maps, line->data, &value);
	if (rc < 0) {
		/* Postfix says "smtp" here for lmtp as well */
		mta_warn("%s: smtp %s checks lookup error", h->s->req->qid, context);
		h->error = 1;
		return 1;
	}
	if (rc == 0)
		return 1;
	copy = cfg_xstrdup(value);
	rc = act(h, param, context, line, copy);
	free(copy);
	return rc;
}

/* head_out - a complete header, checked by the table its place calls for */
static void head_out(void *ctx, enum mime_class cls, struct cfg_buf *hdr)
{
	struct hbc *h = ctx;
	struct smtp_cfg *cfg = h->s->cfg;
	int mime = cls == MIME_HDR_MULTIPART || hbc_is_mime_header(hdr->data);

	if (h->added) {
		/* Postfix's conversion writes it past the tables */
		cfg_buf_add(h->out, hdr->data, hdr->len);
		cfg_buf_addc(h->out, '\n');
	} else if (mime ? check(h, &cfg->mime_header_checks, "mime_header_checks", "header", hdr)
	           : cls == MIME_HDR_PRIMARY
	               ? check(h, &cfg->header_checks, "header_checks", "header", hdr)
	               : check(h, &cfg->nested_header_checks, "nested_header_checks", "header",
	                       hdr)) {
		cfg_buf_add(h->out, hdr->data, hdr->len);
		cfg_buf_addc(h->out, '\n');
	}
}

/* body_out - one body record through the body table */
static void body_out(void *ctx, int cont, const char *text, size_t len, long offset)
{
	struct hbc *h = ctx;
	struct cfg_buf line;

	(void)offset;
	cfg_buf_init(&line);
	cfg_buf_add(&line, text, len);
	if (check(h, &h->s->cfg->body_checks, "body_checks", "body", &line)) {
		cfg_buf_add(h->out, line.data, line.len);
		if (!cont)
			cfg_buf_addc(h->out, '\n');
	}
	cfg_buf_fini(&line);
}

static const struct mime_ops ops = {
    .head_out = head_out,
    .body_out = body_out,
};

/* record - one record to the parser */
static void record(struct hbc *h, struct mime_parser *m, int cont, const char *p, size_t n)
{
	cfg_buf_reset(&h->rec);
	cfg_buf_add(&h->rec, p, n);
	mime_update(m, cont, h->rec.data, h->rec.len);
}

int smtp_hbc_active(const struct smtp_cfg *cfg)
{
	return cfg->header_checks.n || cfg->mime_header_checks.n || cfg->nested_header_checks.n
	       || cfg->body_checks.n;
}

int smtp_hbc_apply(struct smtp_state *s, int downgrade, struct cfg_buf *out)
{
	const char *p = s->content.data, *end = p + s->content.len, *start;
	size_t lim = s->cfg->line_limit > 0 ? (size_t)s->cfg->line_limit : 2048, k = 0;
	struct hbc h = {.s = s, .out = out};
	struct smtp_added added = {NULL, 0};
	struct cfg_buf conv;
	struct mime_parser *m = mime_new(0, &s->cfg->mime, &ops, &h);

	cfg_buf_init(&h.rec);
	cfg_buf_init(&conv);
	if (downgrade) {
		/* the tables see what goes out: Postfix converts first */
		smtp_mime_downgrade(p, (size_t)(end - p), &conv, &added);
		p = conv.data;
		end = p + conv.len;
	}
	for (start = p; p < end;) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		size_t n = nl ? (size_t)(nl - p) : (size_t)(end - p);
		const char *next = p + n + 1;
		size_t off = (size_t)(p - start);

		/* a long line reaches the tables in pieces, as it lies in the queue file */
		for (; n > lim; p += lim, n -= lim)
			record(&h, m, 1, p, lim);
		record(&h, m, 0, p, n);
		/* an added header is complete, and handed out, when the next line comes */
		h.added = k < added.n && added.off[k] == off;
		if (h.added)
			k++;
		p = next;
	}
	mime_end(m);
	mime_free(m);
	free(added.off);
	cfg_buf_fini(&conv);
	cfg_buf_fini(&h.rec);
	return h.error ? -1 : 0;
}
