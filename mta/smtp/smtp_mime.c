/*
 * smtp_mime.c - the content on the wire (see smtp.h)
 *
 * The downgrade follows what Postfix 3.7 sends to a server without
 * 8BITMIME: a MIME part that declares "Content-Transfer-Encoding: 8bit"
 * (or binary) loses that header, gets "Content-Transfer-Encoding:
 * quoted-printable" after its last header and a quoted-printable body; a
 * multipart or message/rfc822 part that declares 8bit gets "7bit" and its
 * parts are converted in turn.  Parts declared 7bit, preambles and
 * epilogues go out unchanged.
 */
#include "config.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "cfg/base/xalloc.h"
#include "smtp.h"

#define MIME_DEPTH_MAX 20
#define QP_SOFT_BREAK 73 /* a soft line break when a line already has this many characters */

struct line {
	const char *p;
	size_t n; /* without the LF */
};

struct lines {
	struct line *v;
	size_t n;
	struct smtp_added *added; /* where the headers the downgrade adds are, or NULL */
};

/* split_lines - the content as lines */
static void split_lines(const char *s, size_t len, struct lines *out)
{
	size_t i = 0;

	out->v = NULL;
	out->n = 0;
	out->added = NULL;
	while (i < len) {
		const char *nl = memchr(s + i, '\n', len - i);
		size_t n = nl ? (size_t)(nl - (s + i)) : len - i;

		out->v = cfg_xreallocarray(out->v, out->n + 1, sizeof(*out->v));
		out->v[out->n].p = s + i;
		out->v[out->n].n = n;
		out->n++;
		i += n + 1;
	}
}

/* starts - line begins with word, ignoring case */
static int starts(const struct line *l, const char *word)
{
	size_t n = strlen(word);

	return l->n >= n && strncasecmp(l->p, word, n) == 0;
}

/* header_value - the value of header name in lines [lo, hi) (unfolded, lower case); 1 found */
static int header_value(const struct lines *ls, size_t lo, size_t hi, const char *name,
                        struct cfg_buf *out)
{
	size_t n = strlen(name);

	for (size_t i = lo; i < hi; i++) {
		const struct line *l = &ls->v[i];

		if (l->n > n && strncasecmp(l->p, name, n) == 0 && l->p[n] == ':') {
			cfg_buf_reset(out);
			cfg_buf_add(out, l->p + n + 1, l->n - n - 1);
			for (size_t j = i + 1; j < hi && ls->v[j].n
			                       && (ls->v[j].p[0] == ' ' || ls->v[j].p[0] == '\t');
			     j++)
				cfg_buf_add(out, ls->v[j].p, ls->v[j].n);
			return 1;
		}
	}
	return 0;
}

/* boundary_of - the boundary parameter of a Content-Type value; 1 found */
static int boundary_of(const char *ctype, struct cfg_buf *out)
{
	const char *p = ctype;

	while ((p = strchr(p, ';')) != NULL) {
		p++;
		p += strspn(p, " \t");
		if (strncasecmp(p, "boundary=", 9) == 0) {
			p += 9;
			cfg_buf_reset(out);
			if (*p == '"') {
				const char *q = strchr(p + 1, '"');

				cfg_buf_add(out, p + 1, q ? (size_t)(q - p - 1) : strlen(p + 1));
			} else {
				cfg_buf_add(out, p, strcspn(p, " \t;"));
			}
			return out->len > 0;
		}
	}
	return 0;
}

/* qp_line - one body line in quoted-printable, soft breaks as Postfix makes them */
static void qp_line(const struct line *l, struct cfg_buf *out)
{
	size_t col = 0;

	for (size_t i = 0; i < l->n; i++) {
		unsigned char c = (unsigned char)l->p[i];
		int last = i + 1 == l->n;
		char tok[4];

		if (c == '=' || c >= 0x7f || (c < 0x20 && c != '\t')
		    || ((c == ' ' || c == '\t') && last))
			snprintf(tok, sizeof(tok), "=%02X", c);
		else
			snprintf(tok, sizeof(tok), "%c", c);
		if (col >= QP_SOFT_BREAK) {
			cfg_buf_adds(out, "=\n");
			col = 0;
		}
		cfg_buf_adds(out, tok);
		col += strlen(tok);
	}
	cfg_buf_addc(out, '\n');
}

/* copy_lines - lines [lo, hi) unchanged */
static void copy_lines(const struct lines *ls, size_t lo, size_t hi, struct cfg_buf *out)
{
	for (size_t i = lo; i < hi; i++) {
		cfg_buf_add(out, ls->v[i].p, ls->v[i].n);
		cfg_buf_addc(out, '\n');
	}
}

static void entity(const struct lines *ls, size_t lo, size_t hi, int depth, int digest,
                   struct cfg_buf *out);

/* multipart - the body of a multipart entity: preamble, parts, epilogue */
static void multipart(const struct lines *ls, size_t lo, size_t hi, const char *boundary, int depth,
                      int digest, struct cfg_buf *out)
{
	size_t blen = strlen(boundary), start = lo;
	int in_part = 0;

	for (size_t i = lo; i < hi; i++) {
		const struct line *l = &ls->v[i];
		int delim = l->n >= blen + 2 && l->p[0] == '-' && l->p[1] == '-'
		            && memcmp(l->p + 2, boundary, blen) == 0;
		int close =
		    delim && l->n >= blen + 4 && l->p[blen + 2] == '-' && l->p[blen + 3] == '-';

		if (!delim)
			continue;
		if (in_part)
			entity(ls, start, i, depth + 1, digest, out);
		else
			copy_lines(ls, start, i, out);
		copy_lines(ls, i, i + 1, out);
		start = i + 1;
		in_part = !close;
		if (close)
			break;
	}
	if (in_part)
		entity(ls, start, hi, depth + 1, digest, out);
	else
		copy_lines(ls, start, hi, out);
}

/* entity - one MIME entity (headers, blank line, body) in lines [lo, hi), downgraded */
static void entity(const struct lines *ls, size_t lo, size_t hi, int depth, int digest,
                   struct cfg_buf *out)
{
	struct cfg_buf cte, ctype, boundary;
	size_t hend = lo;
	int eight, composite, message;

	while (hend < hi && ls->v[hend].n > 0)
		hend++;
	cfg_buf_init(&cte);
	cfg_buf_init(&ctype);
	cfg_buf_init(&boundary);
	header_value(ls, lo, hend, "Content-Transfer-Encoding", &cte);
	if (!header_value(ls, lo, hend, "Content-Type", &ctype))
		cfg_buf_adds(&ctype, digest ? "message/rfc822" : "text/plain");
	{
		char *w = cte.data + strspn(cte.data, " \t");

		w[strcspn(w, " \t;(")] = '\0';
		eight = strcasecmp(w, "8bit") == 0 || strcasecmp(w, "binary") == 0;
	}
	{
		const char *t = ctype.data + strspn(ctype.data, " \t");

		composite = strncasecmp(t, "multipart/", 10) == 0;
		message = strncasecmp(t, "message/", 8) == 0;
		digest = strncasecmp(t, "multipart/digest", 16) == 0;
	}
	if (depth > MIME_DEPTH_MAX)
		eight = 0;
	/* the headers, less the encoding being replaced, which goes after the last one */
	for (size_t i = lo; i < hend; i++) {
		if (eight && starts(&ls->v[i], "Content-Transfer-Encoding:")) {
			while (i + 1 < hend && ls->v[i + 1].n
			       && (ls->v[i + 1].p[0] == ' ' || ls->v[i + 1].p[0] == '\t'))
				i++;
			continue;
		}
		copy_lines(ls, i, i + 1, out);
	}
	if (eight && ls->added) {
		struct smtp_added *a = ls->added;

		a->off = cfg_xreallocarray(a->off, a->n + 1, sizeof(*a->off));
		a->off[a->n++] = out->len;
	}
	if (eight)
		cfg_buf_adds(out, composite || message
		                      ? "Content-Transfer-Encoding: 7bit\n"
		                      : "Content-Transfer-Encoding: quoted-printable\n");
	if (hend < hi)
		copy_lines(ls, hend, hend + 1, out);
	lo = hend < hi ? hend + 1 : hi;
	if (depth <= MIME_DEPTH_MAX && composite && boundary_of(ctype.data, &boundary))
		multipart(ls, lo, hi, boundary.data, depth, digest, out);
	else if (depth <= MIME_DEPTH_MAX && message
	         && strncasecmp(ctype.data + strspn(ctype.data, " \t"), "message/rfc822", 14) == 0)
		entity(ls, lo, hi, depth + 1, 0, out);
	else if (eight && !composite && !message)
		for (size_t i = lo; i < hi; i++)
			qp_line(&ls->v[i], out);
	else
		copy_lines(ls, lo, hi, out);
	cfg_buf_fini(&cte);
	cfg_buf_fini(&ctype);
	cfg_buf_fini(&boundary);
}

/* wire_line - one line with CRLF, dot-stuffed, broken with CRLF SPACE past limit */
static void wire_line(const char *p, size_t n, long limit, struct cfg_buf *out)
{
	if (n > 0 && p[0] == '.')
		cfg_buf_addc(out, '.');
	while (limit > 0 && n > (size_t)limit) {
		cfg_buf_add(out, p, (size_t)limit);
		cfg_buf_adds(out, "\r\n ");
		p += limit;
		n -= (size_t)limit;
	}
	cfg_buf_add(out, p, n);
	cfg_buf_adds(out, "\r\n");
}

void smtp_mime_downgrade(const char *content, size_t len, struct cfg_buf *out,
                         struct smtp_added *added)
{
	struct lines ls;

	split_lines(content, len, &ls);
	ls.added = added;
	entity(&ls, 0, ls.n, 0, 0, out);
	free(ls.v);
}

void smtp_mime_wire(const char *content, size_t len, long limit, int downgrade, struct cfg_buf *out)
{
	struct cfg_buf conv;
	const char *p, *end;

	cfg_buf_init(&conv);
	if (downgrade) {
		smtp_mime_downgrade(content, len, &conv, NULL);
		content = conv.data;
		len = conv.len;
	}
	for (p = content, end = content + len; p < end;) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		size_t n = nl ? (size_t)(nl - p) : (size_t)(end - p);

		wire_line(p, n, limit, out);
		p += n + 1;
	}
	cfg_buf_fini(&conv);
}
