/*
 * addrlist.c - RFC 822 address lists as Postfix's sendmail reads -f, the
 * recipient arguments and (for -t) the To/Cc/Bcc headers.
 *
 * The text is cut into tokens (words: atoms, "quoted strings", [domain
 * literals]; operators; comments, which are dropped), then grouped from
 * right to left the way Postfix groups them, so that the same input gives
 * the same addresses:  "a b@x" is two addresses (a missing comma between
 * two words), "Name <a@x>" is a@x, "<>" is none, "grp: a, b;" is a and b,
 * "X-Evil: 2" is one address "X-Evil:2".  An address in internal form is
 * its tokens side by side, unquoted.
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "cfg/base/buf.h"
#include "cfg/base/xalloc.h"
#include "sendmail.h"

/* token types beyond the operator characters */
enum { T_END = 0, T_ATOM = 256, T_QSTRING, T_DOMLIT, T_ADDR, T_STARTGRP };

#define DO_WORD 0x01  /* a word here needs no comma before it */
#define DO_GROUP 0x02 /* inside "name: ... ;" */

/* the operators, as Postfix has them: RFC 822 specials plus | % ! */
static const char opchars[] = "|%!()<>@,;:\\\".[]";

struct tok {
	int type;
	char *text;
	struct tok *prev, *next;
	struct tok *head; /* T_ADDR: the tokens of the address */
};

/* is_space - the characters that separate tokens */
static int is_space(int c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

/* new_tok - a token, detached */
static struct tok *new_tok(int type)
{
	struct tok *t = cfg_xcalloc(1, sizeof(*t));

	t->type = type;
	return t;
}

/* free_list - a token list and what it holds */
static void free_list(struct tok *t)
{
	while (t) {
		struct tok *next = t->next;

		free_list(t->head);
		free(t->text);
		free(t);
		t = next;
	}
}

/* link_after - put t after at */
static void link_after(struct tok *at, struct tok *t)
{
	t->prev = at;
	t->next = at->next;
	if (at->next)
		at->next->prev = t;
	at->next = t;
}

/* collect - the body of a word up to stop (or an operator/space for atoms); backslash quotes */
static const char *collect(struct tok *t, const char *s, int atom, int stop)
{
	struct cfg_buf b;
	int c;

	cfg_buf_init(&b);
	while ((c = (unsigned char)*s) != 0) {
		if (c == '\\') {
			if ((c = (unsigned char)*++s) == 0)
				break;
		} else if (atom ? (is_space(c) || strchr(opchars, c)) : c == stop) {
			break;
		}
		cfg_buf_addc(&b, is_space(c) ? ' ' : c);
		s++;
	}
	t->text = cfg_buf_take(&b);
	return s;
}

/* skip_comment - past a (possibly nested) comment whose '(' was consumed */
static const char *skip_comment(const char *s)
{
	int level = 1;

	while (*s && level > 0) {
		if (*s == '\\' && s[1])
			s++;
		else if (*s == '(')
			level++;
		else if (*s == ')')
			level--;
		s++;
	}
	return s;
}

/* scan - the token list of text between two sentinels; returns the head sentinel */
static struct tok *scan(const char *s, struct tok **tailp)
{
	struct tok *head = new_tok(T_END), *last = head, *t;
	int c;

	while ((c = (unsigned char)*s++) != 0) {
		if (is_space(c))
			continue;
		if (c == '(') {
			s = skip_comment(s);
			continue;
		}
		if (c == '[') {
			t = new_tok(T_DOMLIT);
			s = collect(t, s, 0, ']');
			s += *s != 0;
		} else if (c == '"') {
			t = new_tok(T_QSTRING);
			s = collect(t, s, 0, '"');
			s += *s != 0;
		} else if (c != '\\' && strchr(opchars, c)) {
			t = new_tok(c);
		} else {
			t = new_tok(T_ATOM);
			s = collect(t, s - 1, 1, 0);
		}
		link_after(last, t);
		last = t;
	}
	*tailp = new_tok(T_END);
	link_after(last, *tailp);
	return head;
}

/* group - move the tokens between left and right into an address after left; a comma first when sync */
static struct tok *group(struct tok *left, struct tok *right, int sync)
{
	struct tok *first = left->next, *addr;

	if (left == right || first == right)
		return left;
	addr = new_tok(T_ADDR);
	addr->head = first;
	first->prev = NULL;
	right->prev->next = NULL;
	left->next = right;
	right->prev = left;
	link_after(left, addr);
	if (sync)
		link_after(left, new_tok(','));
	return left;
}

/* is_word - atoms, quoted strings and domain literals */
static int is_word(const struct tok *t)
{
	return t->type == T_ATOM || t->type == T_QSTRING || t->type == T_DOMLIT;
}

/* parse - group the tokens into addresses, from right to left, adding missing commas */
static void parse(struct tok *head, struct tok *tail)
{
	struct tok *right = tail, *tp = tail->prev;
	int state = DO_WORD;

	while (tp->type != T_END) {
		if (tp->type == ';') {
			right = group(tp, right, 1);
			state = DO_GROUP | DO_WORD;
		} else if (tp->type == ':' && (state & DO_GROUP)) {
			tp->type = T_STARTGRP;
			group(tp, right, 0);
			while (tp->type != T_END && tp->type != ',')
				tp = tp->prev;
			right = tp;
			continue;
		} else if (tp->type == '>') {
			right = group(tp, right, 1);
			while (tp->type != T_END && tp->type != '<')
				tp = tp->prev;
			group(tp, right, 0);
			while (tp->type != T_END && (tp->type > 0xff || !strchr(">;,:", tp->type)))
				tp = tp->prev;
			right = tp;
			state |= DO_WORD;
			continue;
		} else if (is_word(tp)) {
			if ((state & DO_WORD) == 0)
				right = group(tp, right, 1)->next;
			state &= ~DO_WORD;
		} else if (tp->type == ',') {
			right = group(tp, right, 0);
			state |= DO_WORD;
		} else {
			state |= DO_WORD;
		}
		tp = tp->prev;
	}
	group(head, right, 0);
}

/* internalize - the tokens of an address side by side, unquoted */
static void internalize(const struct tok *t, struct cfg_buf *out)
{
	for (; t; t = t->next) {
		switch (t->type) {
		case T_ADDR:
			internalize(t->head, out);
			break;
		case T_ATOM:
		case T_QSTRING:
			cfg_buf_adds(out, t->text);
			break;
		case T_DOMLIT:
			cfg_buf_printf(out, "[%s]", t->text);
			break;
		case T_STARTGRP:
			cfg_buf_addc(out, ':');
			break;
		default:
			cfg_buf_addc(out, t->type);
		}
	}
}

void addrlist_parse(const char *text, struct cfg_strvec *out)
{
	struct tok *tail, *head = scan(text, &tail);
	struct cfg_buf b;

	parse(head, tail);
	cfg_buf_init(&b);
	for (struct tok *t = head->next; t; t = t->next) {
		if (t->type != T_ADDR)
			continue;
		cfg_buf_reset(&b);
		internalize(t->head, &b);
		cfg_strvec_add(out, b.data);
	}
	cfg_buf_fini(&b);
	free_list(head);
}
