/* lines.c - Postfix logical-line reader (see cfg/lines.h) */
#include "config.h"

#include <string.h>

#include "cfg/base/lines.h"

void cfg_lines_init(struct cfg_lines *lr, const char *data, size_t len)
{
	lr->data = data;
	lr->len = len;
	lr->pos = 0;
	lr->lineno = 0;
}

void cfg_lline_init(struct cfg_lline *ll)
{
	cfg_buf_init(&ll->text);
	cfg_buf_init(&ll->orphan);
	ll->first = ll->last = 0;
	ll->start = ll->end = 0;
	ll->orphan_line = 0;
}

void cfg_lline_fini(struct cfg_lline *ll)
{
	cfg_buf_fini(&ll->text);
	cfg_buf_fini(&ll->orphan);
}

/* is_ws - the whitespace Postfix's readlline() recognises */
static int is_ws(int c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\n' || c == '\v' || c == '\f';
}

/* peek - bounds of the physical line at pos: [pos, *eol) text, *next past the newline */
static void peek(const struct cfg_lines *lr, size_t pos, size_t *eol, size_t *next)
{
	const char *nl = memchr(lr->data + pos, '\n', lr->len - pos);

	*eol = nl ? (size_t)(nl - lr->data) : lr->len;
	*next = nl ? *eol + 1 : lr->len;
}

/* skippable - blank line, or first non-blank byte is '#' */
static int skippable(const char *s, size_t n)
{
	size_t i = 0;

	while (i < n && is_ws((unsigned char)s[i]))
		i++;
	return i == n || s[i] == '#';
}

int cfg_lines_next(struct cfg_lines *lr, struct cfg_lline *ll)
{
	size_t eol, next;

	cfg_buf_reset(&ll->text);
	cfg_buf_reset(&ll->orphan);
	ll->orphan_line = 0;
	/* find the start of a logical line */
	for (;;) {
		if (lr->pos >= lr->len)
			return 0;
		peek(lr, lr->pos, &eol, &next);
		lr->lineno++;
		if (skippable(lr->data + lr->pos, eol - lr->pos)) {
			lr->pos = next;
			continue;
		}
		if (is_ws((unsigned char)lr->data[lr->pos])) {
			if (ll->orphan_line == 0)
				ll->orphan_line = lr->lineno;
			cfg_buf_add(&ll->orphan, lr->data + lr->pos, eol - lr->pos);
			lr->pos = next;
			continue;
		}
		break;
	}
	ll->first = ll->last = lr->lineno;
	ll->start = lr->pos;
	cfg_buf_add(&ll->text, lr->data + lr->pos, eol - lr->pos);
	lr->pos = next;
	ll->end = next;
	/* absorb continuation, blank and comment lines */
	while (lr->pos < lr->len) {
		peek(lr, lr->pos, &eol, &next);
		if (skippable(lr->data + lr->pos, eol - lr->pos)) {
			/* only part of this logical line if a continuation follows */
			size_t p = next;
			unsigned extra = 1;
			int cont = 0;
			while (p < lr->len) {
				size_t e2, n2;
				peek(lr, p, &e2, &n2);
				if (skippable(lr->data + p, e2 - p)) {
					p = n2;
					extra++;
					continue;
				}
				cont = is_ws((unsigned char)lr->data[p]);
				break;
			}
			if (!cont)
				break;
			lr->pos = p;
			lr->lineno += extra;
			continue;
		}
		if (!is_ws((unsigned char)lr->data[lr->pos]))
			break;
		lr->lineno++;
		cfg_buf_add(&ll->text, lr->data + lr->pos, eol - lr->pos);
		ll->last = lr->lineno;
		lr->pos = next;
		ll->end = next;
	}
	return 1;
}
