/*
 * map_alias.c - aliases(5) lines: "name: value, value, ..." as postalias reads them
 *
 * A line is cut into RFC 822 tokens (atoms, "quoted strings", (comments),
 * [domain literals] and the operator characters ()<>@,;:\".[]|%!).  The key
 * is everything before the first ':' in internal form (quotes removed); the
 * value is everything after it, written back in external form: quoted
 * strings re-quoted, one space after each comma and between adjacent words,
 * none around other operators.  So "bob,\n\tcarol" becomes "bob, carol" and
 * c<d@e> becomes "c <d@e>", as Postfix stores them.
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "cfg/map/map.h"
#include "cfg/base/xalloc.h"

enum tok_type { T_ATOM = 256, T_QSTRING, T_COMMENT, T_DOMLIT };

struct tok {
	int type; /* an operator character, or T_* */
	char *text;
};

struct toks {
	struct tok *v;
	size_t n, cap;
};

static const char opchars[] = "|%!()<>@,;:\\\".[]";

/* space_tab_crlf - the bytes the tokenizer treats as white space */
static int space_tab_crlf(int c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

/* is_operator - a single-character operator token */
static int is_operator(int c)
{
	return c != 0 && strchr(opchars, c) != NULL;
}

/* push - append a token */
static void push(struct toks *t, int type, char *text)
{
	if (t->n == t->cap) {
		t->cap = t->cap ? t->cap * 2 : 16;
		t->v = cfg_xreallocarray(t->v, t->cap, sizeof(*t->v));
	}
	t->v[t->n].type = type;
	t->v[t->n].text = text;
	t->n++;
}

/* collect - gather bytes up to (not including) stop, honouring backslash escapes */
static const char *collect(const char *s, int stop, struct cfg_buf *b)
{
	int c;

	while ((c = (unsigned char)*s) != 0) {
		if (c == '\\') {
			if ((c = (unsigned char)*++s) == 0)
				break;
		} else if (c == stop) {
			break;
		}
		cfg_buf_addc(b, space_tab_crlf(c) ? ' ' : c);
		s++;
	}
	return s;
}

/* cfg_alias_comment - copy a (comment), nested ones included */
const char *cfg_alias_comment(const char *p, const char *end, struct cfg_buf *out)
{
	int level = 1;

	cfg_buf_addc(out, '(');
	while (p < end && *p) {
		int c = (unsigned char)*p++;

		cfg_buf_addc(out, c);
		if (c == '(') {
			level++;
		} else if (c == ')') {
			if (--level == 0)
				break;
		} else if (c == '\\') {
			if (p == end || *p == '\0')
				break;
			cfg_buf_addc(out, *p++);
		}
	}
	return p;
}

/* tokenize - the flat token list of s */
static void tokenize(const char *s, struct toks *t)
{
	int c;

	while ((c = (unsigned char)*s++) != 0) {
		struct cfg_buf b;

		if (space_tab_crlf(c))
			continue;
		cfg_buf_init(&b);
		if (c == '(') {
			/* comments keep their external form, nested parentheses included */
			s = cfg_alias_comment(s, s + strlen(s), &b);
			push(t, T_COMMENT, cfg_buf_take(&b));
		} else if (c == '[' || c == '"') {
			s = collect(s, c == '[' ? ']' : '"', &b);
			if (*s)
				s++;
			push(t, c == '[' ? T_DOMLIT : T_QSTRING, cfg_buf_take(&b));
		} else if (c != '\\' && is_operator(c)) {
			cfg_buf_fini(&b);
			push(t, c, NULL);
		} else {
			int type = T_ATOM;

			s--; /* a backslash may start an atom */
			while ((c = (unsigned char)*s) != 0) {
				if (c == '\\') {
					if ((c = (unsigned char)*++s) == 0)
						break;
				} else if (space_tab_crlf(c) || is_operator(c)) {
					break;
				}
				cfg_buf_addc(&b, space_tab_crlf(c) ? ' ' : c);
				s++;
			}
			/* an atom that needs quoting becomes a quoted string */
			for (const char *p = b.data; *p; p++) {
				unsigned char ch = (unsigned char)*p;
				if (ch == ' ' || ch < 0x20 || ch == 0x7f || is_operator(ch)) {
					type = T_QSTRING;
					break;
				}
			}
			push(t, type, cfg_buf_take(&b));
		}
	}
}

/* is_word - atom, quoted string, comment or domain literal */
static int is_word(int type)
{
	return type == T_ATOM || type == T_QSTRING || type == T_COMMENT || type == T_DOMLIT;
}

/* need_space - Postfix's spacing rule between token i and i+1 */
static int need_space(const struct toks *t, size_t i, size_t end)
{
	if (i + 1 >= end)
		return 0;
	if (t->v[i].type == ',' || t->v[i + 1].type == '<')
		return 1;
	return is_word(t->v[i].type) && is_word(t->v[i + 1].type);
}

/* add_quoted - append s, backslash before each byte of set */
static void add_quoted(struct cfg_buf *b, const char *s, const char *set)
{
	for (; *s; s++) {
		if (strchr(set, *s))
			cfg_buf_addc(b, '\\');
		cfg_buf_addc(b, *s);
	}
}

/* render - tokens [from, end) in internal (ext == 0) or external form */
static void render(const struct toks *t, size_t from, size_t end, int ext, struct cfg_buf *out)
{
	for (size_t i = from; i < end; i++) {
		const struct tok *k = &t->v[i];

		switch (k->type) {
		case T_ATOM:
		case T_COMMENT:
			cfg_buf_adds(out, k->text);
			break;
		case T_QSTRING:
			if (ext) {
				cfg_buf_addc(out, '"');
				add_quoted(out, k->text, "\"\\\r\n");
				cfg_buf_addc(out, '"');
			} else {
				cfg_buf_adds(out, k->text);
			}
			break;
		case T_DOMLIT:
			cfg_buf_addc(out, '[');
			if (ext)
				add_quoted(out, k->text, "\\\r\n");
			else
				cfg_buf_adds(out, k->text);
			cfg_buf_addc(out, ']');
			break;
		default:
			cfg_buf_addc(out, k->type);
		}
		if (need_space(t, i, end))
			cfg_buf_addc(out, ' ');
	}
}

int cfg_alias_parse(const char *line, struct cfg_buf *key, struct cfg_buf *value,
                    struct cfg_buf *why)
{
	struct toks t = {NULL, 0, 0};
	size_t colon;
	int ret = 0;

	tokenize(line, &t);
	for (colon = 0; colon < t.n && t.v[colon].type != ':'; colon++)
		;
	if (colon == t.n || colon == 0 || colon + 1 == t.n) {
		cfg_buf_adds(why, "need name:value pair");
		goto out;
	}
	for (size_t i = 0; i < colon; i++) {
		if (t.v[i].type == ',') {
			cfg_buf_adds(why, "need name:value pair");
			goto out;
		}
	}
	for (size_t i = 0; i < colon; i++) {
		if (t.v[i].type == '@' || t.v[i].type == '%') {
			cfg_buf_adds(why, "name must be local");
			goto out;
		}
	}
	render(&t, 0, colon, 0, key);
	render(&t, colon + 1, t.n, 1, value);
	ret = 1;
out:
	for (size_t i = 0; i < t.n; i++)
		free(t.v[i].text);
	free(t.v);
	return ret;
}
