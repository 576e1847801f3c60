/* mime.c - the MIME structure of a message, one record at a time (see mime.h) */
#include "config.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "cfg/base/xalloc.h"
#include "mime.h"

/* parser states: the three header states share the values of enum mime_class */
enum state { ST_PRIMARY = MIME_HDR_PRIMARY, ST_MULTIPART, ST_NESTED, ST_BODY };

/* the content types and subtypes that change how the body is read */
enum ctype { CT_OTHER, CT_TEXT, CT_MESSAGE, CT_MULTIPART };
enum stype { SUB_OTHER, SUB_PLAIN, SUB_RFC822, SUB_PARTIAL, SUB_EXTERNAL };

/* encodings; an identity encoding is its own domain, base64 and qp are 7bit */
enum enc { ENC_QP = 1, ENC_BASE64 = 2, ENC_7BIT = 7, ENC_8BIT = 8, ENC_BINARY = 9 };

static const struct encoding {
	const char *name;
	int encoding, domain;
} encodings[] = {
    {"7bit", ENC_7BIT, ENC_7BIT},           {"8bit", ENC_8BIT, ENC_8BIT},
    {"binary", ENC_BINARY, ENC_BINARY},     {"base64", ENC_BASE64, ENC_7BIT},
    {"quoted-printable", ENC_QP, ENC_7BIT}, {NULL, 0, 0},
};

/* RFC 2045 tspecials, for Content-Type; RFC 822 specials, for the encoding */
#define TSPECIALS "()<>@,;:\\\"/[]?="
#define SPECIALS822 "()<>@,;:\\\".[]"

#define TOK_ATOM 256
#define TOK_QSTRING 257
#define MAX_TOKENS 3

struct token {
	int type; /* TOK_ATOM, TOK_QSTRING or the special character itself */
	struct cfg_buf val;
};

struct boundary {
	char *text; /* cut to mime_boundary_length_limit */
	size_t len;
	enum ctype def_ctype; /* what a part is when it says nothing (digest: message/rfc822) */
	enum stype def_stype;
};

struct mime_parser {
	unsigned opts;
	struct mime_limits lim;
	const struct mime_ops *ops;
	void *ctx;
	enum state state;
	enum ctype ctype;
	enum stype stype;
	int encoding, domain;
	struct cfg_buf hdr; /* the header being collected */
	int prev_cont;      /* the previous record was a piece of a longer line */
	struct boundary *stack;
	size_t depth, cap;
	unsigned errs;
	long body_offset;
	struct token tok[MAX_TOKENS];
};

/* set_state - change state (a body state starts a new body part) */
static void set_state(struct mime_parser *m, enum state st)
{
	m->state = st;
	if (st == ST_BODY)
		m->body_offset = 0;
}

/* set_part - change state and what the new part is */
static void set_part(struct mime_parser *m, enum state st, enum ctype ct, enum stype sub)
{
	set_state(m, st);
	m->ctype = ct;
	m->stype = sub;
	m->encoding = m->domain = ENC_7BIT;
}

/* report - an error, the first time of its kind */
static void report(struct mime_parser *m, unsigned err, const char *text, size_t len)
{
	if (m->errs & err)
		return;
	m->errs |= err;
	if (m->ops->error)
		m->ops->error(m->ctx, err, text, len);
}

/* has_8bit - 1 when a byte has the high bit set */
static int has_8bit(const char *text, size_t len)
{
	for (size_t i = 0; i < len; i++)
		if ((unsigned char)text[i] & 0x80)
			return 1;
	return 0;
}

/* is_ctl - an ASCII control character (NUL excluded: it ends the text) */
static int is_ctl(int ch)
{
	return (ch > 0 && ch < 0x20) || ch == 0x7f;
}

/* is_blank - white space between tokens, the LF of a folded header included */
static int is_blank(int ch)
{
	return ch == ' ' || ch == '\t' || ch == '\r' || ch == '\n';
}

/* skip_comment - past a (possibly nested) comment; p is after the '(' */
static const unsigned char *skip_comment(const unsigned char *p)
{
	int level = 1;

	while (*p) {
		int ch = *p++;

		if (ch == '(')
			level++;
		else if (ch == ')' && --level == 0)
			break;
		else if (ch == '\\' && *p)
			p++;
	}
	return p;
}

/*
 * group - the tokens up to the terminator term (0: none, then at most
 * MAX_TOKENS).  Returns how many there were (only MAX_TOKENS are kept), or
 * -1 at the end of the text.  Comments are skipped, quoted strings are one
 * token without their quotes.
 */
static long group(struct mime_parser *m, const char **pp, const char *specials, int term)
{
	const unsigned char *p = (const unsigned char *)*pp;
	struct token *t = m->tok;
	long n = 0;
	int ch = 0;

	for (size_t i = 0; i < MAX_TOKENS; i++) {
		t[i].type = 0;
		cfg_buf_reset(&t[i].val);
	}
	while ((ch = *p) != 0 && (term != 0 || n < MAX_TOKENS)) {
		p++;
		if (is_blank(ch))
			continue;
		if (ch == term)
			break;
		if (ch == '(') {
			p = skip_comment(p);
			continue;
		}
		if (ch == '"') {
			if (n < MAX_TOKENS)
				t[n].type = TOK_QSTRING;
			while ((ch = *p) != 0) {
				p++;
				if (ch == '"')
					break;
				if (ch == '\n')
					continue;
				if (ch == '\\') {
					if ((ch = *p) == 0)
						break;
					p++;
				}
				if (n < MAX_TOKENS)
					cfg_buf_addc(&t[n].val, ch);
			}
			n++;
			continue;
		}
		if (strchr(specials, ch) || is_ctl(ch)) {
			if (n < MAX_TOKENS)
				t[n].type = ch;
			n++;
			continue;
		}
		if (n < MAX_TOKENS) {
			t[n].type = TOK_ATOM;
			cfg_buf_addc(&t[n].val, ch);
		}
		while ((ch = *p) != 0 && !is_blank(ch) && !is_ctl(ch) && !strchr(specials, ch)) {
			p++;
			if (n < MAX_TOKENS)
				cfg_buf_addc(&t[n].val, ch);
		}
		n++;
	}
	*pp = (const char *)p;
	return n == 0 && ch == 0 ? -1 : n;
}

/* atom_is - token i is the word w (case-insensitive) */
static int atom_is(struct mime_parser *m, int i, const char *w)
{
	return m->tok[i].type == TOK_ATOM && strcasecmp(m->tok[i].val.data, w) == 0;
}

/* push - a multipart boundary */
static void push(struct mime_parser *m, enum ctype ct, enum stype sub, const char *text)
{
	struct boundary *b;
	size_t len = strlen(text);

	if (m->depth == m->cap) {
		m->cap = m->cap ? 2 * m->cap : 4;
		m->stack = cfg_xreallocarray(m->stack, m->cap, sizeof(*m->stack));
	}
	if (m->lim.boundary_len > 0 && len > (size_t)m->lim.boundary_len)
		len = (size_t)m->lim.boundary_len;
	b = &m->stack[m->depth++];
	b->text = cfg_xstrndup(text, len);
	b->len = len;
	b->def_ctype = ct;
	b->def_stype = sub;
}

/* pop - the innermost boundary */
static void pop(struct mime_parser *m)
{
	free(m->stack[--m->depth].text);
}

/* content_type - a Content-Type header: the part's type, and multipart boundaries */
static void content_type(struct mime_parser *m)
{
	const char *p = m->hdr.data + strlen("Content-Type:");
	enum ctype def_ct = CT_TEXT;
	enum stype def_sub = SUB_PLAIN;
	long n = group(m, &p, TSPECIALS, ';');

	if (n <= 0) {
		m->ctype = CT_OTHER;
		return;
	}
	/* a type other than these leaves what the part was, as Postfix does */
	if (atom_is(m, 0, "text")) {
		m->ctype = CT_TEXT;
		m->stype = n >= 3 && m->tok[1].type == '/' && atom_is(m, 2, "plain") ? SUB_PLAIN
		                                                                     : SUB_OTHER;
		return;
	}
	if (atom_is(m, 0, "message")) {
		m->ctype = CT_MESSAGE;
		m->stype = SUB_OTHER;
		if (n >= 3 && m->tok[1].type == '/') {
			if (atom_is(m, 2, "rfc822"))
				m->stype = SUB_RFC822;
			else if (atom_is(m, 2, "partial"))
				m->stype = SUB_PARTIAL;
			else if (atom_is(m, 2, "external-body"))
				m->stype = SUB_EXTERNAL;
		}
		return;
	}
	if (!atom_is(m, 0, "multipart"))
		return;
	m->ctype = CT_MULTIPART;
	if (n >= 3 && m->tok[1].type == '/' && atom_is(m, 2, "digest")) {
		def_ct = CT_MESSAGE;
		def_sub = SUB_RFC822;
	}
	/* every boundary= parameter counts: a second one cannot hide a part */
	while ((n = group(m, &p, TSPECIALS, ';')) >= 0) {
		if (n < 3 || !atom_is(m, 0, "boundary") || m->tok[1].type != '=')
			continue;
		/* Postfix 3.7 refuses the push that would nest past limit + 2 levels */
		if ((long)m->depth >= m->lim.nesting_depth + 2) {
			if (m->opts & MIME_OPT_REPORT_NESTING)
				report(m, MIME_ERR_NESTING, m->hdr.data, m->hdr.len);
		} else {
			push(m, def_ct, def_sub, m->tok[2].val.data);
		}
	}
}

/* content_encoding - a Content-Transfer-Encoding header */
static void content_encoding(struct mime_parser *m)
{
	const char *p = m->hdr.data + strlen("Content-Transfer-Encoding:");

	if (group(m, &p, SPECIALS822, 0) <= 0 || m->tok[0].type != TOK_ATOM)
		return;
	for (const struct encoding *e = encodings; e->name; e++) {
		if (strcasecmp(m->tok[0].val.data, e->name) == 0) {
			m->encoding = e->encoding;
			m->domain = e->domain;
			return;
		}
	}
}

/* header_is - the collected header has this name */
static int header_is(const struct mime_parser *m, const char *name_colon)
{
	return strncasecmp(m->hdr.data, name_colon, strlen(name_colon)) == 0;
}

/* flush_header - the collected header is complete: learn from it, hand it out */
static void flush_header(struct mime_parser *m)
{
	if (m->hdr.len == 0)
		return;
	if (!(m->opts & MIME_OPT_DISABLE)) {
		if (header_is(m, "Content-Type:"))
			content_type(m);
		else if (header_is(m, "Content-Transfer-Encoding:"))
			content_encoding(m);
	}
	if ((m->opts & MIME_OPT_REPORT_8BIT_HDR) && has_8bit(m->hdr.data, m->hdr.len))
		report(m, MIME_ERR_8BIT_HDR, m->hdr.data, m->hdr.len);
	m->ops->head_out(m->ctx, (enum mime_class)m->state, &m->hdr);
	cfg_buf_reset(&m->hdr);
	m->prev_cont = 0;
}

/* add_limited - append to the header, never past header_size_limit */
static void add_limited(struct mime_parser *m, const char *text, size_t len)
{
	size_t room;

	if (m->lim.header_size <= 0 || m->hdr.len >= (size_t)m->lim.header_size)
		return;
	room = (size_t)m->lim.header_size - m->hdr.len;
	cfg_buf_add(&m->hdr, text, len < room ? len : room);
}

/* body_out - one body record and its offset in the current part */
static void body_out(struct mime_parser *m, int cont, const char *text, size_t len)
{
	m->ops->body_out(m->ctx, cont, text, len, m->body_offset);
	m->body_offset += (long)len + 1;
}

/* check_domain - message/ and multipart/ parts must use an identity encoding */
static void check_domain(struct mime_parser *m)
{
	const char *name = "unknown";

	if (!(m->opts & MIME_OPT_REPORT_ENCODING))
		return;
	for (const struct encoding *e = encodings; e->name; e++)
		if (e->encoding == m->encoding)
			name = e->name;
	if (m->ctype == CT_MESSAGE) {
		if (m->stype == SUB_PARTIAL || m->stype == SUB_EXTERNAL) {
			if (m->domain != ENC_7BIT)
				report(m, MIME_ERR_ENCODING, name, strlen(name));
		} else if (m->encoding != m->domain) {
			report(m, MIME_ERR_ENCODING, name, strlen(name));
		}
	} else if (m->ctype == CT_MULTIPART && m->encoding != m->domain) {
		report(m, MIME_ERR_ENCODING, name, strlen(name));
	}
}

/*
 * end_headers - a record that is no header ends a header block.  A blank
 * line is the first record of the body (an attached message starts with
 * nested headers after it); any other text gets a blank line before it.
 */
static void end_headers(struct mime_parser *m, const char *text, size_t len)
{
	(void)text;
	if (m->state == ST_PRIMARY && m->ops->head_end)
		m->ops->head_end(m->ctx);
	check_domain(m);
	if (len == 0) {
		m->body_offset = 0;
		if (m->ctype == CT_MESSAGE && m->stype == SUB_RFC822)
			set_part(m, ST_NESTED, CT_TEXT, SUB_PLAIN);
		else if (m->ctype == CT_MULTIPART)
			set_part(m, ST_BODY, CT_OTHER, SUB_OTHER);
		else
			set_state(m, ST_BODY);
	} else {
		set_state(m, ST_BODY);
		body_out(m, 0, "", 0);
	}
}

/* body - a body record: boundaries change the part, 8-bit data may be an error */
static void body(struct mime_parser *m, int cont, const char *text, size_t len)
{
	if ((m->opts & MIME_OPT_REPORT_8BIT_BODY) && m->encoding == ENC_7BIT && has_8bit(text, len))
		report(m, MIME_ERR_8BIT_BODY, text, len);
	/* a boundary starts a line; extra text after it is ignored, as MUAs do */
	if (m->depth && !m->prev_cont && len >= 2 && text[0] == '-' && text[1] == '-') {
		for (size_t i = m->depth; i-- > 0;) {
			struct boundary *b = &m->stack[i];
			enum ctype ct = b->def_ctype;
			enum stype sub = b->def_stype;
			int close;

			if (len - 2 < b->len || memcmp(text + 2, b->text, b->len) != 0)
				continue;
			close = len - 2 - b->len >= 2 && memcmp(text + 2 + b->len, "--", 2) == 0;
			while (m->depth > i + 1)
				pop(m);
			if (close) {
				pop(m);
				set_part(m, ST_BODY, CT_OTHER, SUB_OTHER);
			} else {
				set_part(m, ST_MULTIPART, ct, sub);
			}
			break;
		}
	}
	body_out(m, cont, text, len);
}

size_t mime_header_name_len(const char *line, size_t len)
{
	size_t name = 0;
	int blanks = 0;

	for (size_t i = 0; i < len; i++) {
		unsigned char ch = (unsigned char)line[i];

		if (ch == ':')
			return name;
		if (ch == ' ' || ch == '\t') {
			if (name == 0)
				return 0;
			blanks = 1;
			continue;
		}
		if (ch <= ' ' || ch >= 0x7f || blanks)
			return 0;
		name++;
	}
	return 0;
}

unsigned mime_update(struct mime_parser *m, int cont, const char *text, size_t len)
{
	if (m->state != ST_BODY) {
		size_t name;

		if (m->hdr.len > 0) {
			if (m->prev_cont) {
				add_limited(m, text, len);
				m->prev_cont = cont;
				return m->errs;
			}
			if (len > 0 && (text[0] == ' ' || text[0] == '\t')) {
				add_limited(m, "\n", 1);
				add_limited(m, text, len);
				m->prev_cont = cont;
				return m->errs;
			}
			flush_header(m);
		}
		if ((name = mime_header_name_len(text, len)) > 0) {
			/* "Name :" is kept as "Name:" */
			size_t rest = name + strspn(text + name, " \t");

			add_limited(m, text, name);
			add_limited(m, text + rest, len - rest);
			m->prev_cont = cont;
			return m->errs;
		}
		end_headers(m, text, len);
	}
	body(m, cont, text, len);
	m->prev_cont = cont;
	return m->errs;
}

unsigned mime_end(struct mime_parser *m)
{
	/* a line left unfinished is ended */
	if (m->prev_cont)
		mime_update(m, 0, "", 0);
	if (m->state != ST_BODY) {
		flush_header(m);
		if (m->state == ST_PRIMARY && m->ops->head_end)
			m->ops->head_end(m->ctx);
		check_domain(m);
		set_state(m, ST_BODY);
	}
	return m->errs;
}

struct mime_parser *mime_new(unsigned opts, const struct mime_limits *lim,
                             const struct mime_ops *ops, void *ctx)
{
	struct mime_parser *m = cfg_xcalloc(1, sizeof(*m));

	m->opts = opts;
	m->lim = *lim;
	m->ops = ops;
	m->ctx = ctx;
	cfg_buf_init(&m->hdr);
	for (size_t i = 0; i < MAX_TOKENS; i++)
		cfg_buf_init(&m->tok[i].val);
	set_part(m, ST_PRIMARY, CT_TEXT, SUB_PLAIN);
	return m;
}

void mime_free(struct mime_parser *m)
{
	if (m == NULL)
		return;
	while (m->depth)
		pop(m);
	free(m->stack);
	cfg_buf_fini(&m->hdr);
	for (size_t i = 0; i < MAX_TOKENS; i++)
		cfg_buf_fini(&m->tok[i].val);
	free(m);
}

const char *mime_error_text(unsigned errs)
{
	if (errs & MIME_ERR_NESTING)
		return "MIME nesting exceeds safety limit";
	if (errs & MIME_ERR_8BIT_HDR)
		return "improper use of 8-bit data in message header";
	if (errs & MIME_ERR_8BIT_BODY)
		return "improper use of 8-bit data in message body";
	return "invalid message/* or multipart/* encoding domain";
}
