/*
 * map_regexp.c - regexp:FILE and regexp:{ {rule}, ... }: POSIX extended regular expressions
 *
 * Rules, first match wins (Postfix 3.7 regexp_table(5)):
 *   [!]/pattern/flags [!/pattern2/flags] result
 *   if [!]/pattern/flags ... endif      (nestable; keywords in any case)
 * The delimiter is any non-alphanumeric byte; a backslash protects the next
 * byte from ending the pattern.  Flags toggle: i (case-insensitive, on by
 * default), x (extended syntax, on), m (multi-line, off).  In the result,
 * $n, ${n} and $(n) insert the n-th parenthesised match (nothing when it is
 * empty or did not take part) and $$ is a dollar.  Bad rules are skipped with
 * Postfix's warnings ("regexp map FILE, line N: ...").
 */
#include "config.h"

#include <regex.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "cfg/lines.h"
#include "cfg/xalloc.h"
#include "map_int.h"

enum rule_op { OP_MATCH, OP_IF, OP_ENDIF };

struct rule {
	enum rule_op op;
	regex_t *first;  /* OP_MATCH, OP_IF */
	int first_match; /* 1, or 0 when negated */
	regex_t *second; /* optional "!/pattern2/" of OP_MATCH */
	int second_match;
	char *result;     /* OP_MATCH: replacement text ($$ already a $ when max_sub == 0) */
	size_t max_sub;   /* highest $n in result */
	size_t block_end; /* OP_IF: index of its ENDIF, or (size_t)-1 */
	unsigned line;
};

struct rx {
	struct rule *v;
	size_t n, cap;
	size_t max_sub;
	regmatch_t *pmatch;
	struct cfg_buf out;
};

struct pattern {
	char *text;
	int cflags;
	int match;
};

/* is_space - C-locale whitespace */
static int is_space(int c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' || c == '\f';
}

/* is_alnum - C-locale alphanumeric */
static int is_alnum(int c)
{
	return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

/* warn - add "regexp map NAME, line N: MSG" */
static void warn(struct cfg_map *m, unsigned line, struct cfg_diags *diags, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

static void warn(struct cfg_map *m, unsigned line, struct cfg_diags *diags, const char *fmt, ...)
{
	struct cfg_buf b;
	va_list ap;

	cfg_buf_init(&b);
	va_start(ap, fmt);
	cfg_buf_vprintf(&b, fmt, ap);
	va_end(ap);
	cfg_diags_add(diags, CFG_SEV_WARNING, "regexp-rule", m->name, line, 0,
	              "regexp map %s, line %u: %s", m->name, line, b.data);
	cfg_buf_fini(&b);
}

/* get_pattern - parse [!]/re/flags at *pp; 1 ok (*pp advanced), 0 skipped with a warning */
static int get_pattern(struct cfg_map *m, unsigned line, char **pp, struct pattern *pat,
                       struct cfg_diags *diags)
{
	char *p = *pp;
	char delim;

	pat->match = 1;
	for (;; p++) {
		if (*p == '!')
			pat->match = !pat->match;
		else if (!is_space((unsigned char)*p))
			break;
	}
	if (*p == 0) {
		warn(m, line, diags, "no regexp: skipping this rule");
		return 0;
	}
	delim = *p++;
	pat->text = p;
	for (; *p; p++) {
		if (*p == '\\') {
			if (p[1] == 0)
				break;
			p++;
		} else if (*p == delim) {
			break;
		}
	}
	if (*p == 0) {
		warn(m, line, diags, "no closing regexp delimiter \"%c\": skipping this rule",
		     delim);
		return 0;
	}
	*p++ = 0;
	pat->cflags = REG_EXTENDED | REG_ICASE;
	for (; *p && !is_space((unsigned char)*p) && *p != '!'; p++) {
		switch (*p) {
		case 'i':
			pat->cflags ^= REG_ICASE;
			break;
		case 'm':
			pat->cflags ^= REG_NEWLINE;
			break;
		case 'x':
			pat->cflags ^= REG_EXTENDED;
			break;
		default:
			warn(m, line, diags, "unknown regexp option \"%c\": skipping this rule",
			     *p);
			return 0;
		}
	}
	*pp = p;
	return 1;
}

/* compile - regcomp() or a warning with regerror()'s text */
static regex_t *compile(struct cfg_map *m, unsigned line, const struct pattern *pat,
                        struct cfg_diags *diags)
{
	regex_t *re = cfg_xmalloc(sizeof(*re));
	int err = regcomp(re, pat->text, pat->cflags);

	if (err != 0) {
		char buf[256];

		regerror(err, re, buf, sizeof(buf));
		warn(m, line, diags, "%s", buf);
		free(re);
		return NULL;
	}
	return re;
}

/* free_re - regfree() and free() */
static void free_re(regex_t *re)
{
	if (re) {
		regfree(re);
		free(re);
	}
}

/*
 * Replacement text: a small $-parser shared by the pre-scan at load time
 * and the expansion at lookup time.  Names are [A-Za-z0-9_]+, or anything
 * inside ${...} / $(...).
 */
struct repl_part {
	int is_name;
	const char *s;
	size_t n;
};

/*
 * repl_next - the next literal run or $name of *pp.  Returns 1 with part
 * set, 0 at the end, -1 on a syntax error (a Postfix-worded warning without
 * position is added).
 */
static int repl_next(const char *text, const char **pp, struct repl_part *part,
                     struct cfg_diags *diags)
{
	const char *p = *pp;

	if (*p == 0)
		return 0;
	if (*p != '$') {
		const char *d = strchr(p, '$');

		part->is_name = 0;
		part->s = p;
		part->n = d ? (size_t)(d - p) : strlen(p);
		*pp = p + part->n;
		return 1;
	}
	p++;
	if (*p == '$') {
		part->is_name = 0;
		part->s = p;
		part->n = 1;
		*pp = p + 1;
		return 1;
	}
	if (*p == '{' || *p == '(') {
		char open = *p, close = open == '{' ? '}' : ')';
		int level = 1;
		const char *q = ++p;

		for (; *q; q++) {
			if (*q == open)
				level++;
			else if (*q == close && --level == 0)
				break;
		}
		if (*q == 0) {
			cfg_diags_add(diags, CFG_SEV_WARNING, "macro-truncated", NULL, 0, 0,
			              "truncated macro reference: \"%s\"", text);
			return -1;
		}
		part->s = p;
		part->n = (size_t)(q - p);
		*pp = q + 1;
	} else {
		const char *q = p;

		while (is_alnum((unsigned char)*q) || *q == '_')
			q++;
		part->s = p;
		part->n = (size_t)(q - p);
		*pp = q;
	}
	if (part->n == 0) {
		cfg_diags_add(diags, CFG_SEV_WARNING, "macro-empty", NULL, 0, 0,
		              "empty macro name: \"%s\"", text);
		return -1;
	}
	part->is_name = 1;
	return 1;
}

/* prescan - validate the replacement; sets *max_sub; literal gets the text with $$ -> $ */
static int prescan(struct cfg_map *m, unsigned line, const char *text, size_t *max_sub,
                   struct cfg_buf *literal, struct cfg_diags *diags)
{
	const char *p = text;
	struct repl_part part;
	int r;

	*max_sub = 0;
	while ((r = repl_next(text, &p, &part, diags)) > 0) {
		unsigned long n = 0;

		if (!part.is_name) {
			cfg_buf_add(literal, part.s, part.n);
			continue;
		}
		for (size_t i = 0; i < part.n; i++) {
			if (part.s[i] < '0' || part.s[i] > '9') {
				warn(m, line, diags, "non-numeric replacement index \"%.*s\"",
				     (int)part.n, part.s);
				return -1;
			}
			if (n < 100000)
				n = n * 10 + (unsigned long)(part.s[i] - '0');
		}
		if (n < 1) {
			warn(m, line, diags, "out-of-range replacement index \"%.*s\"", (int)part.n,
			     part.s);
			return -1;
		}
		if (n > *max_sub)
			*max_sub = n;
	}
	return r;
}

/* add_rule - append r */
static void add_rule(struct rx *x, const struct rule *r)
{
	if (x->n == x->cap) {
		x->cap = x->cap ? x->cap * 2 : 16;
		x->v = cfg_xreallocarray(x->v, x->cap, sizeof(*x->v));
	}
	x->v[x->n++] = *r;
}

/* keyword - p starts with kw (any case) not followed by an alphanumeric */
static int keyword(const char *p, const char *kw)
{
	size_t n = strlen(kw);

	return strncasecmp(p, kw, n) == 0 && !is_alnum((unsigned char)p[n]);
}

/* parse_match - an ordinary rule; 0 added, -1 skipped */
static int parse_match(struct cfg_map *m, struct rx *x, unsigned line, char *p,
                       struct cfg_diags *diags)
{
	struct pattern first, second;
	struct cfg_buf literal;
	struct rule r;
	int have_second = 0;

	memset(&r, 0, sizeof(r));
	if (!get_pattern(m, line, &p, &first, diags))
		return -1;
	if (*p == '!') {
		if (!get_pattern(m, line, &p, &second, diags))
			return -1;
		have_second = 1;
	}
	while (is_space((unsigned char)*p))
		p++;
	if (*p == 0)
		warn(m, line, diags, "no replacement text: using empty string");
	cfg_buf_init(&literal);
	if (prescan(m, line, p, &r.max_sub, &literal, diags) < 0) {
		warn(m, line, diags, "bad replacement syntax: skipping this rule");
		goto fail;
	}
	if (r.max_sub > 0 && first.match == 0) {
		warn(m, line, diags,
		     "$number found in negative match replacement text: skipping this rule");
		goto fail;
	}
	if ((r.first = compile(m, line, &first, diags)) == NULL)
		goto fail;
	if (r.max_sub > r.first->re_nsub) {
		warn(m, line, diags, "out of range replacement index \"%zu\": skipping this rule",
		     r.max_sub);
		goto fail;
	}
	if (have_second) {
		if ((r.second = compile(m, line, &second, diags)) == NULL)
			goto fail;
		r.second_match = second.match;
	}
	r.op = OP_MATCH;
	r.first_match = first.match;
	r.line = line;
	r.result = r.max_sub == 0 ? cfg_buf_take(&literal) : cfg_xstrdup(p);
	if (r.max_sub == 0)
		cfg_buf_init(&literal);
	cfg_buf_fini(&literal);
	if (r.max_sub > x->max_sub)
		x->max_sub = r.max_sub;
	add_rule(x, &r);
	return 0;
fail:
	free_re(r.first);
	cfg_buf_fini(&literal);
	return -1;
}

/* load - parse the rules of text */
static int load(struct cfg_map *m, const char *text, size_t len, struct cfg_diags *diags)
{
	struct rx *x = cfg_xcalloc(1, sizeof(*x));
	struct cfg_lines lr;
	struct cfg_lline ll;
	size_t *stack = NULL, depth = 0, cap = 0;

	m->priv = x;
	cfg_buf_init(&x->out);
	cfg_lines_init(&lr, text, len);
	cfg_lline_init(&ll);
	while (cfgp_mapsrc_next(&lr, &ll, m->name, diags)) {
		char *p = cfgp_trim_right(ll.text.data);
		unsigned line = ll.first;
		struct rule r;

		if (*p == 0)
			continue;
		memset(&r, 0, sizeof(r));
		r.line = line;
		if (!is_alnum((unsigned char)*p)) {
			parse_match(m, x, line, p, diags);
		} else if (keyword(p, "if")) {
			struct pattern pat;

			p += 2;
			while (is_space((unsigned char)*p))
				p++;
			if (!get_pattern(m, line, &p, &pat, diags))
				continue;
			while (is_space((unsigned char)*p))
				p++;
			if (*p) {
				warn(m, line, diags,
				     "ignoring extra text after IF statement: \"%s\"", p);
				warn(
				    m, line, diags,
				    "do not prepend whitespace to statements between IF and ENDIF");
			}
			if ((r.first = compile(m, line, &pat, diags)) == NULL)
				continue;
			r.op = OP_IF;
			r.first_match = pat.match;
			r.block_end = (size_t)-1;
			add_rule(x, &r);
			if (depth == cap) {
				cap = cap ? cap * 2 : 8;
				stack = cfg_xreallocarray(stack, cap, sizeof(*stack));
			}
			stack[depth++] = x->n - 1;
		} else if (keyword(p, "endif")) {
			if (depth == 0) {
				warn(m, line, diags, "ignoring ENDIF without matching IF");
				continue;
			}
			p += 5;
			while (is_space((unsigned char)*p))
				p++;
			if (*p)
				warn(m, line, diags, "ignoring extra text after ENDIF");
			r.op = OP_ENDIF;
			add_rule(x, &r);
			x->v[stack[--depth]].block_end = x->n - 1;
		} else {
			warn(m, line, diags, "ignoring unrecognized request");
		}
	}
	while (depth > 0) {
		depth--;
		warn(m, x->v[stack[depth]].line, diags, "IF has no matching ENDIF");
	}
	free(stack);
	cfg_lline_fini(&ll);
	if (x->max_sub > 0)
		x->pmatch = cfg_xcalloc(x->max_sub + 1, sizeof(regmatch_t));
	return 0;
}

/* test - does key satisfy (re, match)? */
static int test(const regex_t *re, int match, const char *key, size_t nsub, regmatch_t *pm)
{
	int err = regexec(re, key, nsub, pm, 0);

	if (err == REG_NOMATCH)
		return !match;
	return err == 0 ? match : 0;
}

/* expand - the result of rule r for key, with $n substituted */
static const char *expand(struct rx *x, const struct rule *r, const char *key)
{
	const char *p = r->result;
	struct repl_part part;

	if (r->max_sub == 0)
		return r->result;
	cfg_buf_reset(&x->out);
	while (repl_next(r->result, &p, &part, NULL) > 0) {
		size_t n = 0;
		const regmatch_t *pm;

		if (!part.is_name) {
			cfg_buf_add(&x->out, part.s, part.n);
			continue;
		}
		for (size_t i = 0; i < part.n; i++)
			n = n * 10 + (size_t)(part.s[i] - '0');
		pm = &x->pmatch[n];
		if (pm->rm_so >= 0 && pm->rm_eo > pm->rm_so)
			cfg_buf_add(&x->out, key + pm->rm_so, (size_t)(pm->rm_eo - pm->rm_so));
	}
	return x->out.data;
}

/* regexp_lookup - first matching rule, honouring if/endif */
static int regexp_lookup(struct cfg_map *m, const char *key, const char **value,
                         struct cfg_diags *diags)
{
	struct rx *x = m->priv;

	(void)diags;
	for (size_t i = 0; i < x->n; i++) {
		const struct rule *r = &x->v[i];

		switch (r->op) {
		case OP_MATCH:
			if (!test(r->first, r->first_match, key, r->max_sub ? r->max_sub + 1 : 0,
			          x->pmatch))
				break;
			if (r->second && !test(r->second, r->second_match, key, 0, NULL))
				break;
			*value = expand(x, r, key);
			return 1;
		case OP_IF:
			if (test(r->first, r->first_match, key, 0, NULL))
				break;
			if (r->block_end == (size_t)-1)
				return 0;
			i = r->block_end;
			break;
		case OP_ENDIF:
			break;
		}
	}
	return 0;
}

/* regexp_close - free the rules */
static void regexp_close(struct cfg_map *m)
{
	struct rx *x = m->priv;

	if (x == NULL)
		return;
	for (size_t i = 0; i < x->n; i++) {
		free_re(x->v[i].first);
		free_re(x->v[i].second);
		free(x->v[i].result);
	}
	free(x->v);
	free(x->pmatch);
	cfg_buf_fini(&x->out);
	free(x);
}

/* regexp_open - read FILE, or the inline {rule} list */
static int regexp_open(struct cfg_map *m, struct cfg_diags *diags)
{
	struct cfg_buf src;
	int r, ret;

	cfg_buf_init(&src);
	if ((r = cfgp_inline_rules("regexp", m->name, &src, diags)) < 0
	    || (r == 0 && cfgp_read_source(m->name, &src, diags) < 0)) {
		cfg_buf_fini(&src);
		return -1;
	}
	ret = load(m, src.data, src.len, diags);
	cfg_buf_fini(&src);
	return ret;
}

const struct cfgp_map_ops cfgp_map_regexp_ops = {
    .type = "regexp",
    .open = regexp_open,
    .open_text = load,
    .lookup = regexp_lookup,
    .close = regexp_close,
};
