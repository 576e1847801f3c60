/*
 * fuzz_mime.c - libFuzzer target for cleanup's MIME parser (mta/common/mime.c)
 *
 * Every input is a message: it is cut into lines and the lines into
 * records of at most line_length_limit bytes (Postfix's 2048, and a tiny
 * 7 so that boundaries and headers fall across records), then run through
 * the parser with every report on and generous limits, with tiny limits,
 * and with MIME processing disabled.  Nothing may crash, leak or read out
 * of bounds (run it under ASan/UBSan), and what comes out must make sense:
 * no header longer than header_size_limit, the primary header block ends
 * once, body offsets never go back within a part, no more body bytes than
 * input bytes, only known error bits, and the same input gives the same
 * output twice.  A violated property aborts, which libFuzzer and the smoke
 * driver (fuzz_smoke.c) report as a failure.
 */
#include "config.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "mime.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* what came out of one run */
struct result {
	const struct mime_limits *lim;
	unsigned head_ends;
	size_t body_bytes;
	long last_offset;
	uint64_t digest; /* of everything handed out, in order */
};

/* mix - fold bytes into the digest (FNV-1a) */
static void mix(struct result *r, const void *p, size_t n)
{
	const unsigned char *b = p;

	for (size_t i = 0; i < n; i++) {
		r->digest ^= b[i];
		r->digest *= 1099511628211ULL;
	}
}

/* head_out - a header: never longer than the limit */
static void head_out(void *ctx, enum mime_class cls, struct cfg_buf *hdr)
{
	struct result *r = ctx;

	if ((long)hdr->len > r->lim->header_size || strlen(hdr->data) > hdr->len)
		abort();
	mix(r, &cls, sizeof(cls));
	mix(r, hdr->data, hdr->len);
}

/* head_end - the primary header block ends at most once */
static void head_end(void *ctx)
{
	struct result *r = ctx;

	if (++r->head_ends > 1)
		abort();
	mix(r, "|", 1);
}

/* body_out - offsets only grow within a part; a new part starts at 0 */
static void body_out(void *ctx, int cont, const char *text, size_t len, long offset)
{
	struct result *r = ctx;

	if (offset < 0 || (offset != 0 && offset < r->last_offset))
		abort();
	r->last_offset = offset;
	r->body_bytes += len;
	mix(r, &cont, sizeof(cont));
	mix(r, text, len);
}

/* error - known bits only */
static void error(void *ctx, unsigned err, const char *text, size_t len)
{
	struct result *r = ctx;

	if (err & ~(MIME_ERR_NESTING | MIME_ERR_8BIT_HDR | MIME_ERR_8BIT_BODY | MIME_ERR_ENCODING))
		abort();
	mix(r, &err, sizeof(err));
	mix(r, text, len);
}

static const struct mime_ops ops = {head_out, head_end, body_out, error};

/* run - one pass over the input; the digest of what came out */
static uint64_t run(const uint8_t *data, size_t size, unsigned opts, const struct mime_limits *lim,
                    size_t line_limit)
{
	struct result r;
	struct mime_parser *m;
	struct cfg_buf rec;
	unsigned errs;
	size_t pos = 0;

	memset(&r, 0, sizeof(r));
	r.lim = lim;
	r.digest = 1469598103934665603ULL;
	m = mime_new(opts, lim, &ops, &r);
	cfg_buf_init(&rec);
	while (pos < size) {
		const uint8_t *nl = memchr(data + pos, '\n', size - pos);
		size_t n = nl ? (size_t)(nl - (data + pos)) : size - pos;

		for (size_t done = 0;;) {
			size_t piece = n - done > line_limit ? line_limit : n - done;
			int cont = done + piece < n;

			cfg_buf_reset(&rec);
			cfg_buf_add(&rec, data + pos + done, piece);
			mime_update(m, cont, rec.data, rec.len);
			done += piece;
			if (!cont)
				break;
		}
		pos += n + 1;
	}
	errs = mime_end(m);
	if (errs & ~(MIME_ERR_NESTING | MIME_ERR_8BIT_HDR | MIME_ERR_8BIT_BODY | MIME_ERR_ENCODING))
		abort();
	if (errs && mime_error_text(errs) == NULL)
		abort();
	if (r.body_bytes > size)
		abort();
	mix(&r, &errs, sizeof(errs));
	cfg_buf_fini(&rec);
	mime_free(m);
	return r.digest;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const struct mime_limits postfix = {102400, 2048, 100};
	static const struct mime_limits tiny = {64, 3, 0};
	const unsigned all = MIME_OPT_REPORT_8BIT_HDR | MIME_OPT_REPORT_8BIT_BODY
	                     | MIME_OPT_REPORT_ENCODING | MIME_OPT_REPORT_NESTING;

	if (run(data, size, all, &postfix, 2048) != run(data, size, all, &postfix, 2048))
		abort();
	run(data, size, all, &postfix, 7);
	run(data, size, all, &tiny, 7);
	run(data, size, MIME_OPT_DISABLE, &postfix, 2048);
	return 0;
}
