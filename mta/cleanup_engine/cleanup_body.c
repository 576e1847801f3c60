/* cleanup_body.c - message content: records, MIME parts, body_checks (see cleanup.h) */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "addr.h"
#include "cfg/base/xalloc.h"
#include "cleanup_int.h"
#include "hbc.h"
#include "hdropts.h"
#include "log.h"

void cleanup_put(struct cleanup *c, const void *data, size_t len)
{
	if (c->milters)
		cfg_buf_add(&c->held, data, len);
	else
		qf_content(&c->w, data, len);
}

void cleanup_write_line(struct cleanup *c, const char *h)
{
	cleanup_put(c, h, strlen(h));
	cleanup_put(c, "\n", 1);
}

/*
 * declares_8bit - a Content-Transfer-Encoding header (of the message, a
 * part or an attached message) whose whole value is 8bit or binary: the
 * message is then 8bit, as the client's BODY=8BITMIME would make it.  As
 * in Postfix 3.7.11, only the bare word counts ("8bit (comment)" does not).
 */
static int declares_8bit(const char *h)
{
	const char *v;

	if (!hdr_name_is(h, "Content-Transfer-Encoding"))
		return 0;
	v = strchr(h, ':') + 1;
	while (*v == ' ' || *v == '\t' || *v == '\n' || *v == '\r')
		v++;
	return strcasecmp(v, "8bit") == 0 || strcasecmp(v, "binary") == 0;
}

/* head_out - a complete header: primary ones wait for the block's end, others are checked now */
static void head_out(void *ctx, enum mime_class cls, struct cfg_buf *hdr)
{
	struct cleanup *c = ctx;
	struct cfg_strvec pre;
	int mime, keep;

	if (c->status || c->discard)
		return;
	if (!c->enc_8bit && declares_8bit(hdr->data))
		c->enc_8bit = 1;
	if (cls == MIME_HDR_PRIMARY) {
		cfg_strvec_add(&c->headers, hdr->data);
		return;
	}
	/* Content-* headers of an attached message are MIME headers too */
	mime = cls == MIME_HDR_MULTIPART || hbc_is_mime_header(hdr->data);
	cfg_strvec_init(&pre);
	keep = cleanup_check(c, mime ? &c->cfg->mime_header_checks : &c->cfg->nested_header_checks,
	                     mime ? "mime_header_checks" : "nested_header_checks", "header", hdr,
	                     &pre);
	if (c->status == 0) {
		for (size_t i = 0; i < pre.n; i++)
			cleanup_write_line(c, pre.v[i]);
		if (keep)
			cleanup_write_line(c, hdr->data);
	}
	cfg_strvec_fini(&pre);
}

/* head_end - the primary header block is complete */
static void head_end(void *ctx)
{
	struct cleanup *c = ctx;

	if (c->status == 0 && !c->discard)
		cleanup_head_end(c);
}

/* body_out - one body record: body_checks within body_checks_size_limit, then the file */
static void body_out(void *ctx, int cont, const char *text, size_t len, long offset)
{
	struct cleanup *c = ctx;
	long limit = c->cfg->body_checks_size_limit;
	struct cfg_strvec pre;
	struct cfg_buf line;
	int keep;

	if (c->status || c->discard)
		return;
	if (!c->inspect || c->cfg->body_checks.n == 0 || len == 0
	    || (limit > 0 && offset >= limit)) {
		cleanup_put(c, text, len);
		if (!cont)
			cleanup_put(c, "\n", 1);
		return;
	}
	cfg_buf_init(&line);
	cfg_buf_add(&line, text, len);
	cfg_strvec_init(&pre);
	keep = cleanup_check(c, &c->cfg->body_checks, "body_checks", "body", &line, &pre);
	if (c->status == 0) {
		for (size_t i = 0; i < pre.n; i++)
			cleanup_write_line(c, pre.v[i]);
		/* a replaced piece of a long line is still followed by the rest of that line */
		if (keep) {
			cleanup_put(c, line.data, line.len);
			if (!cont)
				cleanup_put(c, "\n", 1);
		}
	}
	cfg_strvec_fini(&pre);
	cfg_buf_fini(&line);
}

/* mime_error - "QID: reject: mime-error TEXT: CONTENT from CLIENT; from=<> to=<>" */
static void mime_error(void *ctx, unsigned err, const char *text, size_t len)
{
	struct cleanup *c = ctx;
	const char *name = cleanup_attr(c, "client_name");
	const char *addr = cleanup_attr(c, "client_addr");
	struct cfg_buf b;

	cfg_buf_init(&b);
	cfg_buf_printf(&b, "%s: reject: mime-error %s: ", c->w.qid, mime_error_text(err));
	mta_printable(&b, text, len < 100 ? len : 100);
	if (name && addr)
		cfg_buf_printf(&b, " from %s[%s]; from=<", name, addr);
	else
		cfg_buf_adds(&b, " from local; from=<");
	addr_externalize(c->sender ? c->sender : "", &b);
	cfg_buf_adds(&b, "> to=<");
	if (c->log_rcpt)
		addr_externalize(c->log_rcpt, &b);
	else
		cfg_buf_adds(&b, "unknown");
	cfg_buf_addc(&b, '>');
	mta_info("%s", b.data);
	cfg_buf_fini(&b);
}

static const struct mime_ops ops = {
    .head_out = head_out,
    .head_end = head_end,
    .body_out = body_out,
    .error = mime_error,
};

/* mime_opts - what the MIME parser reports, for this submission */
static unsigned mime_opts(const struct cleanup *c)
{
	const struct cleanup_cfg *cfg = c->cfg;
	unsigned o = 0;

	if (cfg->disable_mime)
		return MIME_OPT_DISABLE;
	/* mail Postfix makes itself, or with no_header_body_checks, is not judged */
	if (!(c->flags & CLEANUP_F_CHECKS))
		return 0;
	if (cfg->strict_8bitmime || cfg->strict_7bit_headers)
		o |= MIME_OPT_REPORT_8BIT_HDR;
	if (cfg->strict_8bitmime || cfg->strict_8bitmime_body)
		o |= MIME_OPT_REPORT_8BIT_BODY;
	if (cfg->strict_encoding)
		o |= MIME_OPT_REPORT_ENCODING;
	if (o || cfg->header_checks.n || cfg->mime_header_checks.n || cfg->nested_header_checks.n)
		o |= MIME_OPT_REPORT_NESTING;
	return o;
}

/* record - one record to the MIME parser */
static void record(struct cleanup *c, int cont, const char *text, size_t len)
{
	if (c->mime == NULL)
		c->mime = mime_new(mime_opts(c), &c->cfg->mime, &ops, c);
	cfg_buf_reset(&c->rec);
	cfg_buf_add(&c->rec, text, len);
	c->mime_errs = mime_update(c->mime, cont, c->rec.data, c->rec.len);
}

/* line_out - a complete line, in pieces of at most line_length_limit bytes */
static void line_out(struct cleanup *c, const char *p, size_t n)
{
	size_t lim = c->cfg->line_limit > 0 ? (size_t)c->cfg->line_limit : 2048;

	while (n > lim && c->status == 0) {
		record(c, 1, p, lim);
		p += lim;
		n -= lim;
	}
	if (c->status == 0)
		record(c, 0, p, n);
}

/* partial - text without a line end yet: keep it, passing on full pieces */
static void partial(struct cleanup *c, const char *data, size_t len)
{
	size_t lim = c->cfg->line_limit > 0 ? (size_t)c->cfg->line_limit : 2048;
	size_t done = 0;

	cfg_buf_add(&c->line, data, len);
	/* keep at least one byte: whether the piece ends the line is not known yet */
	while (c->line.len - done > lim && c->status == 0) {
		record(c, 1, c->line.data + done, lim);
		done += lim;
	}
	if (done) {
		memmove(c->line.data, c->line.data + done, c->line.len - done);
		cfg_buf_truncate(&c->line, c->line.len - done);
	}
}

void cleanup_content(struct cleanup *c, const char *data, size_t len)
{
	cleanup_log_enter();
	c->size += (long)len;
	if (c->cfg->size_limit > 0 && c->size > c->cfg->size_limit)
		cleanup_fail(c, 5, "552 5.3.4 Error: message file too big");
	while (len && c->status == 0) {
		const char *nl = memchr(data, '\n', len);
		size_t n = nl ? (size_t)(nl - data) : len;

		if (nl == NULL) {
			partial(c, data, len);
			break;
		}
		if (c->line.len) {
			cfg_buf_add(&c->line, data, n);
			line_out(c, c->line.data, c->line.len);
			cfg_buf_reset(&c->line);
		} else {
			line_out(c, data, n);
		}
		data += n + 1;
		len -= n + 1;
	}
	cleanup_log_leave();
}

void cleanup_content_end(struct cleanup *c)
{
	unsigned errs;

	if (c->status)
		return;
	/* a last line without its line end gets one */
	if (c->line.len) {
		line_out(c, c->line.data, c->line.len);
		cfg_buf_reset(&c->line);
	}
	if (c->status)
		return;
	if (c->mime == NULL)
		c->mime = mime_new(mime_opts(c), &c->cfg->mime, &ops, c);
	errs = mime_end(c->mime);
	if (errs && c->status == 0) {
		struct cfg_buf r;

		cfg_buf_init(&r);
		cfg_buf_printf(&r, "550 5.6.0 %s", mime_error_text(errs));
		cleanup_fail(c, 5, r.data);
		cfg_buf_fini(&r);
	}
}
