/* local_token.c - destinations of an alias, :include: or .forward list (see local_token.h) */
#include "config.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "cfg/base/buf.h"
#include "cfg/base/xalloc.h"
#include "cfg/map/map.h"
#include "local_token.h"

/* token types above the range of single-character operators */
#define TK_ATOM 256
#define TK_QSTR 257
#define TK_DOMLIT 258
#define TK_COMMENT 259

/* single-character operators: RFC 822 specials plus | % ! */
static const char ops[] = "|%!()<>@,;:\\\".[]";

struct tok {
	int type;   /* an operator character or TK_* */
	size_t off; /* text in the scanner's buffer (words only) */
};

struct scan {
	struct tok *v;
	size_t n, cap;
	struct cfg_buf text; /* every word's text, NUL-terminated, back to back */
};

/* is_space - the white space that separates tokens */
static int is_space(int c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

/* is_op - c is a single-character operator (a backslash never is) */
static int is_op(int c)
{
	return c != '\\' && c != '\0' && strchr(ops, c) != NULL;
}

/* push - a new token of type; its text starts at the end of the buffer */
static struct tok *push(struct scan *s, int type)
{
	if (s->n == s->cap) {
		s->cap = s->cap ? 2 * s->cap : 16;
		s->v = cfg_xreallocarray(s->v, s->cap, sizeof(*s->v));
	}
	s->v[s->n].type = type;
	s->v[s->n].off = s->text.len;
	return &s->v[s->n++];
}

/*
 * collect - copy a word up to (not including) a character that ends it:
 * stop (0-terminated list), or any space or operator when stop is NULL.  A
 * backslash takes the next character as it is; white space becomes a blank.
 */
static const char *collect(struct scan *s, const char *p, const char *end, const char *stop)
{
	while (p < end && *p) {
		int c = (unsigned char)*p;

		if (c == '\\') {
			if (++p == end || *p == '\0')
				break;
			c = (unsigned char)*p;
		} else if (stop ? strchr(stop, c) != NULL : is_space(c) || is_op(c)) {
			break;
		}
		cfg_buf_addc(&s->text, is_space(c) ? ' ' : c);
		p++;
	}
	return p;
}

/* scan - the text as a flat list of tokens */
static void scan(struct scan *s, const char *p, const char *end)
{
	while (p < end && *p) {
		int c = (unsigned char)*p++;

		if (is_space(c))
			continue;
		if (c == '(') {
			push(s, TK_COMMENT);
			p = cfg_alias_comment(p, end, &s->text);
		} else if (c == '[' || c == '"') {
			push(s, c == '[' ? TK_DOMLIT : TK_QSTR);
			p = collect(s, p, end, c == '[' ? "]" : "\"");
			if (p < end && *p)
				p++;
		} else if (is_op(c)) {
			push(s, c);
			continue;
		} else {
			push(s, TK_ATOM);
			p = collect(s, p - 1, end, NULL);
		}
		cfg_buf_addc(&s->text, '\0');
	}
}

/* is_word - an atom, quoted string or domain literal */
static int is_word(int type)
{
	return type == TK_ATOM || type == TK_QSTR || type == TK_DOMLIT;
}

/* a run of token indices [lo, hi) that forms one address (comments left out) */
struct span {
	long lo, hi;
};

struct groups {
	struct span *v;
	size_t n;
};

/* group - the tokens strictly between left and right form an address, if there are any */
static void group(const struct scan *s, struct groups *g, long left, long right)
{
	for (long i = left + 1; i < right; i++) {
		if (s->v[i].type != TK_COMMENT) {
			g->v = cfg_xreallocarray(g->v, g->n + 1, sizeof(*g->v));
			g->v[g->n].lo = left + 1;
			g->v[g->n].hi = right;
			g->n++;
			return;
		}
	}
}

/* route - "phrase <address>" at tp ('>'): group both sides, skip the phrase; the new tp */
static long route(const struct scan *s, struct groups *g, long tp, long *right)
{
	group(s, g, tp, *right);
	*right = tp;
	while (tp >= 0 && s->v[tp].type != '<')
		tp--;
	group(s, g, tp, *right);
	/* the display name in front of '<' belongs to no address */
	while (tp >= 0 && !(s->v[tp].type < 256 && strchr(">;,:", s->v[tp].type)))
		tp--;
	*right = tp;
	return tp;
}

/*
 * parse - cluster the tokens into addresses, from right to left as
 * Postfix does: a comma, semicolon or route bracket closes an address, two
 * words in a row are two addresses, anything else (operators such as '|',
 * '@', ':') glues its neighbours together.
 */
static void parse(const struct scan *s, struct groups *g)
{
	long right = (long)s->n, tp = right - 1;
	int want_word = 1, in_group = 0;

	while (tp >= 0) {
		int t = s->v[tp].type;

		if (t == TK_COMMENT) {
			/* comments stand aside and never join an address */
		} else if (t == ';') {
			group(s, g, tp, right);
			right = tp;
			want_word = 1;
			in_group = 1;
		} else if (t == ':' && in_group) {
			group(s, g, tp, right);
			while (tp >= 0 && s->v[tp].type != ',')
				tp--;
			right = tp;
			continue;
		} else if (t == '>') {
			tp = route(s, g, tp, &right);
			want_word = 1;
			continue;
		} else if (is_word(t)) {
			if (!want_word) {
				group(s, g, tp, right);
				right = tp + 1;
			}
			want_word = 0;
		} else if (t == ',') {
			group(s, g, tp, right);
			right = tp;
			want_word = 1;
		} else {
			want_word = 1;
		}
		tp--;
	}
	group(s, g, -1, right);
}

/* classify - a destination from the internal form of one address */
static void classify(struct local_dests *out, const char *a)
{
	struct local_dest *d;

	out->v = cfg_xreallocarray(out->v, out->n + 1, sizeof(*out->v));
	d = &out->v[out->n++];
	if (a[0] == '/') {
		d->kind = LOCAL_FILE;
	} else if (a[0] == '~') {
		d->kind = LOCAL_HOME;
	} else if (a[0] == '|') {
		d->kind = LOCAL_COMMAND;
		a++;
	} else if (strncasecmp(a, ":include:", 9) == 0) {
		d->kind = LOCAL_INCLUDE;
		a += 9;
	} else {
		d->kind = LOCAL_ADDR;
	}
	d->text = cfg_xstrdup(a);
}

/* internalize - the unquoted text of one address: its tokens side by side */
static void internalize(const struct scan *s, const struct span *sp, struct cfg_buf *out)
{
	cfg_buf_reset(out);
	for (long i = sp->lo; i < sp->hi; i++) {
		const struct tok *t = &s->v[i];

		if (t->type == TK_COMMENT)
			continue;
		if (t->type == TK_DOMLIT)
			cfg_buf_addc(out, '[');
		if (t->type >= 256)
			cfg_buf_adds(out, s->text.data + t->off);
		else
			cfg_buf_addc(out, t->type);
		if (t->type == TK_DOMLIT)
			cfg_buf_addc(out, ']');
	}
}

void local_dests_init(struct local_dests *d)
{
	d->v = NULL;
	d->n = 0;
}

void local_dests_fini(struct local_dests *d)
{
	for (size_t i = 0; i < d->n; i++)
		free(d->v[i].text);
	free(d->v);
	local_dests_init(d);
}

void local_parse_list(const char *text, size_t len, struct local_dests *out)
{
	struct scan s = {.v = NULL, .n = 0, .cap = 0};
	struct groups g = {.v = NULL, .n = 0};
	struct cfg_buf a;

	cfg_buf_init(&s.text);
	cfg_buf_init(&a);
	scan(&s, text, text + len);
	parse(&s, &g);
	/* the groups were found right to left */
	for (size_t i = g.n; i-- > 0;) {
		internalize(&s, &g.v[i], &a);
		classify(out, a.data ? a.data : "");
	}
	cfg_buf_fini(&a);
	cfg_buf_fini(&s.text);
	free(g.v);
	free(s.v);
}

void local_parse_file(const char *text, size_t len, size_t line_limit, struct local_dests *out)
{
	size_t pos = 0;

	while (pos < len) {
		size_t max = line_limit > 0 && len - pos > line_limit ? line_limit : len - pos;
		const char *nl = memchr(text + pos, '\n', max);
		size_t n = nl ? (size_t)(nl - (text + pos)) + 1 : max;

		if (text[pos] != '#')
			local_parse_list(text + pos, n, out);
		pos += n;
	}
}
