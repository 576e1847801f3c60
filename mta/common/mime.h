/*
 * mime.h - the MIME structure of a message, one record at a time
 *
 * A one-pass parser that follows the rules of Postfix's MIME processor, so
 * that header_checks, mime_header_checks, nested_header_checks and
 * body_checks see exactly the pieces Postfix's see (in cleanup, and the
 * smtp client's smtp_*_checks):
 *
 *   - input is a sequence of records: a line without its LF, or a piece of
 *     a line longer than line_length_limit (cont = 1: more of the same line
 *     follows in the next record);
 *   - a header is "Name:" (printable ASCII name, no blanks inside, blanks
 *     before the colon allowed and removed); a line starting with a blank
 *     continues it; a logical header is handed out once it is complete, with
 *     an LF between its lines and at most header_size_limit bytes;
 *   - headers are PRIMARY (the message), MULTIPART (after a --boundary line)
 *     or NESTED (at the start of a message/rfc822 part); the primary header
 *     block ends with head_end();
 *   - every other record is body: boundary lines, preambles, epilogues and
 *     the blank line that ends a header block included.  The offset given
 *     with a body record counts the bytes of the current body part, one per
 *     line end, from the blank line (which has offset 0);
 *   - multipart boundaries nest on a stack; a boundary string is cut to
 *     mime_boundary_length_limit and matched as a prefix, "--boundary--"
 *     closes the part and everything nested inside it.
 *
 * Errors (reported once per kind, only when asked for with MIME_OPT_*):
 * multipart nesting deeper than mime_nesting_limit allows, 8-bit bytes in
 * a header or in a 7bit body, and a message/ or multipart/ part whose
 * Content-Transfer-Encoding is not a domain (7bit, 8bit, binary).
 *
 * The parser owns its buffers; head_out may change the header it is given.
 */
#ifndef MTA_MIME_H
#define MTA_MIME_H

#include <stddef.h>

#include "cfg/base/buf.h"

/* where a header is */
enum mime_class {
	MIME_HDR_PRIMARY = 0, /* the message's own header */
	MIME_HDR_MULTIPART,   /* after a --boundary line */
	MIME_HDR_NESTED,      /* at the start of an attached message/rfc822 */
};

/* processing options */
#define MIME_OPT_DISABLE 0x01u          /* disable_mime_input_processing */
#define MIME_OPT_REPORT_8BIT_HDR 0x02u  /* 8-bit bytes in a header */
#define MIME_OPT_REPORT_8BIT_BODY 0x04u /* 8-bit bytes where 7bit was announced */
#define MIME_OPT_REPORT_ENCODING 0x08u  /* strict_mime_encoding_domain */
#define MIME_OPT_REPORT_NESTING 0x10u   /* deeper than mime_nesting_limit */

/* errors, in the order of their seriousness */
#define MIME_ERR_NESTING 0x01u
#define MIME_ERR_8BIT_HDR 0x02u
#define MIME_ERR_8BIT_BODY 0x04u
#define MIME_ERR_ENCODING 0x08u

struct mime_ops {
	/* head_out - one complete logical header (may be changed) */
	void (*head_out)(void *ctx, enum mime_class cls, struct cfg_buf *hdr);
	/* head_end - the primary header block is complete */
	void (*head_end)(void *ctx);
	/* body_out - one body record; offset within the current body part */
	void (*body_out)(void *ctx, int cont, const char *text, size_t len, long offset);
	/* error - first report of an error kind, with the offending text */
	void (*error)(void *ctx, unsigned err, const char *text, size_t len);
};

struct mime_limits {
	long header_size;   /* header_size_limit */
	long boundary_len;  /* mime_boundary_length_limit */
	long nesting_depth; /* mime_nesting_limit */
};

struct mime_parser;

/* mime_new - a parser in the primary header state (ops and ctx are borrowed) */
struct mime_parser *mime_new(unsigned opts, const struct mime_limits *lim,
                             const struct mime_ops *ops, void *ctx);
/* mime_free - NULL is a no-op */
void mime_free(struct mime_parser *m);
/*
 * mime_update - one record (text[len] must be '\0'); cont = 1 when the
 * next record continues this line.  Returns the errors seen so far.
 */
unsigned mime_update(struct mime_parser *m, int cont, const char *text, size_t len);
/* mime_end - no more input: flush a pending header; returns the errors seen */
unsigned mime_end(struct mime_parser *m);
/* mime_error_text - the text for the most serious of errs ("MIME nesting exceeds ...") */
const char *mime_error_text(unsigned errs);
/* mime_header_name_len - length of the name when line is a header ("Name:" or "Name :"), else 0 */
size_t mime_header_name_len(const char *line, size_t len);

#endif
