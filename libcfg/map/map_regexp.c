/*
 * map_regexp.c - regexp:FILE and regexp:{ {rule}, ... }: POSIX extended regular expressions,
 * and the rule language it shares with pcre: (map_pcre.c supplies only its engine)
 *
 * Rules, first match wins (Postfix 3.7 regexp_table(5)):
 *   [!]/pattern/flags [!/pattern2/flags] result
 *   if [!]/pattern/flags ... endif      (nestable; keywords in any case)
 * The delimiter is any non-alphanumeric byte; a backslash protects the next
 * byte from ending the pattern.  Flags toggle: i (case-insensitive, on by
 * default), x (extended syntax, on), m (multi-line, off).  In the result,
 * $n, ${n} and $(n) insert the n-th parenthesised match (nothing when it is
 * empty or did not take part) and $$ is a dollar.  Bad rules are skipped with
 * Postfix's warnings ("regexp map FILE, line N: ...").  pcre: tables parse
 * the same rules with the differences its struct cfgp_rx_engine names (no
 * second pattern, other flags and defaults, "pcre map" in messages).
 */
#include "config.h"

#include <regex.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "cfg/base/lines.h"
#include "cfg/base/xalloc.h"
#include "map_int.h"

enum rule_op { OP_MATCH, OP_IF, OP_ENDIF };

struct rule {
	enum rule_op op;
	void *first;     /* OP_MATCH, OP_IF: the engine's compiled expression */
	int first_match; /* 1, or 0 when negated */
	void *second;    /* optional "!/pattern2/" of OP_MATCH (regexp only) */
	int second_match;
	char *result;     /* OP_MATCH: replacement text ($$ already a $ when max_sub == 0) */
	size_t max_sub;   /* highest $n in result */
	size_t block_end; /* OP_IF: index of its ENDIF, or CFGP_NO_ENDIF */
	unsigned line;
};

struct rx {
	const struct cfgp_rx_engine *e;
	struct rule *v;
	size_t n, cap;
	size_t max_sub;
	struct cfgp_rx_span *spans;
	struct cfg_buf out, why;
};

struct pattern {
	char *text;
	unsigned opts;
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

/* warn - add "TYPE map NAME, line N: MSG" */
static void warn(struct cfg_map *m, unsigned line, struct cfg_diags *diags, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

static void warn(struct cfg_map *m, unsigned line, struct cfg_diags *diags, const char *fmt, ...)
{
	const struct rx *x = m->priv;
	struct cfg_buf b;
	va_list ap;

	cfg_buf_init(&b);
	cfg_buf_printf(&b, "%s map %s, line %u: ", x->e->type, m->name, line);
	va_start(ap, fmt);
	cfg_buf_vprintf(&b, fmt, ap);
	va_end(ap);
	cfg_diags_add(diags, CFG_SEV_WARNING, "regexp-rule", m->name, line, 0, "%s", b.data);
	cfg_buf_fini(&b);
}

/* get_pattern - parse [!]/re/flags at *pp; 1 ok (*pp advanced), 0 skipped with a warning */
static int get_pattern(struct cfg_map *m, unsigned line, char **pp, struct pattern *pat,
                       struct cfg_diags *diags)
{
	const struct cfgp_rx_engine *e = ((struct rx *)m->priv)->e;
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
		warn(m, line, diags, "no closing regexp delimiter \"%c\": %s", delim, e->no_delim);
		return 0;
	}
	*p++ = 0;
	pat->opts = e->default_opts;
	for (; *p && !is_space((unsigned char)*p) && (*p != '!' || !e->second_pattern); p++) {
		switch (e->flag(*p, &pat->opts)) {
		case 0:
			warn(m, line, diags, "unknown regexp option \"%c\": skipping this rule",
			     *p);
			return 0;
		case 2:
			warn(m, line, diags, "ignoring obsolete regexp option \"%c\"", *p);
			break;
		}
	}
	*pp = p;
	return 1;
}

/* compile - the engine's compiled pattern, or NULL after its warning */
static void *compile(struct cfg_map *m, unsigned line, const struct pattern *pat,
                     struct cfg_diags *diags)
{
	struct rx *x = m->priv;
	void *re;

	cfg_buf_reset(&x->why);
	if ((re = x->e->compile(pat->text, pat->opts, &x->why)) == NULL)
		warn(m, line, diags, "%s", x->why.data);
	return re;
}

/* free_re - the engine's free, NULL allowed */
static void free_re(const struct rx *x, void *re)
{
	if (re)
		x->e->free(re);
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
			warn(m, line, diags, "%s replacement index \"%.*s\"",
			     ((struct rx *)m->priv)->e->out_of_range, (int)part.n, part.s);
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
	if (*p == '!' && x->e->second_pattern) {
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
	if (r.max_sub > x->e->nsub(r.first)) {
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
	free_re(x, r.first);
	cfg_buf_fini(&literal);
	return -1;
}

/* parse_if - "if [!]/pattern/flags": 0 added (the caller opens its block), -1 skipped */
static int parse_if(struct cfg_map *m, struct rx *x, unsigned line, char *p,
                    struct cfg_diags *diags)
{
	struct pattern pat;
	struct rule r;

	memset(&r, 0, sizeof(r));
	p += 2;
	while (is_space((unsigned char)*p))
		p++;
	if (!get_pattern(m, line, &p, &pat, diags))
		return -1;
	while (is_space((unsigned char)*p))
		p++;
	if (*p) {
		warn(m, line, diags, "ignoring extra text after IF statement: \"%s\"", p);
		warn(m, line, diags,
		     "do not prepend whitespace to statements between IF and ENDIF");
	}
	if ((r.first = compile(m, line, &pat, diags)) == NULL)
		return -1;
	r.op = OP_IF;
	r.line = line;
	r.first_match = pat.match;
	r.block_end = CFGP_NO_ENDIF;
	add_rule(x, &r);
	return 0;
}

int cfgp_rx_load(struct cfg_map *m, const struct cfgp_rx_engine *e, const char *text, size_t len,
                 struct cfg_diags *diags)
{
	struct rx *x = cfg_xcalloc(1, sizeof(*x));
	struct cfg_lines lr;
	struct cfg_lline ll;
	struct cfgp_ifs ifs = {0};
	size_t open_if;
	unsigned if_line;

	x->e = e;
	m->priv = x;
	cfg_buf_init(&x->out);
	cfg_buf_init(&x->why);
	cfg_lines_init(&lr, text, len);
	cfg_lline_init(&ll);
	while (cfgp_mapsrc_next(&lr, &ll, m->name, diags)) {
		char *p = cfgp_trim_right(ll.text.data);
		unsigned line = ll.first;

		if (*p == 0)
			continue;
		if (!is_alnum((unsigned char)*p)) {
			parse_match(m, x, line, p, diags);
		} else if (keyword(p, "if")) {
			if (parse_if(m, x, line, p, diags) < 0)
				continue;
			cfgp_ifs_push(&ifs, x->n - 1, line);
		} else if (keyword(p, "endif")) {
			struct rule r;

			if ((open_if = cfgp_ifs_pop(&ifs, NULL)) == CFGP_NO_ENDIF) {
				warn(m, line, diags, "ignoring ENDIF without matching IF");
				continue;
			}
			p += 5;
			while (is_space((unsigned char)*p))
				p++;
			if (*p)
				warn(m, line, diags, "ignoring extra text after ENDIF");
			memset(&r, 0, sizeof(r));
			r.op = OP_ENDIF;
			r.line = line;
			add_rule(x, &r);
			x->v[open_if].block_end = x->n - 1;
		} else {
			warn(m, line, diags, "ignoring unrecognized request");
		}
	}
	while (cfgp_ifs_pop(&ifs, &if_line) != CFGP_NO_ENDIF)
		warn(m, if_line, diags, "IF has no matching ENDIF");
	cfgp_ifs_fini(&ifs);
	cfg_lline_fini(&ll);
	x->spans = cfg_xcalloc(x->max_sub + 1, sizeof(*x->spans));
	return 0;
}

/* test - does key satisfy (re, match)?  An engine error warns and counts as "no" */
static int test(struct cfg_map *m, const struct rule *r, void *re, int match, const char *key,
                size_t nsub, struct cfg_diags *diags)
{
	struct rx *x = m->priv;
	int rc;

	cfg_buf_reset(&x->why);
	rc = x->e->exec(re, key, x->spans, nsub, &x->why);
	if (rc < 0) {
		warn(m, r->line, diags, "%s", x->why.data);
		return 0;
	}
	return rc ? match : !match;
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
		const struct cfgp_rx_span *sp;

		if (!part.is_name) {
			cfg_buf_add(&x->out, part.s, part.n);
			continue;
		}
		for (size_t i = 0; i < part.n; i++)
			n = n * 10 + (size_t)(part.s[i] - '0');
		sp = &x->spans[n];
		if (sp->so >= 0 && sp->eo > sp->so)
			cfg_buf_add(&x->out, key + sp->so, (size_t)(sp->eo - sp->so));
	}
	return x->out.data;
}

int cfgp_rx_lookup(struct cfg_map *m, const char *key, const char **value, struct cfg_diags *diags)
{
	struct rx *x = m->priv;

	for (size_t i = 0; i < x->n; i++) {
		const struct rule *r = &x->v[i];

		switch (r->op) {
		case OP_MATCH:
			if (!test(m, r, r->first, r->first_match, key,
			          r->max_sub ? r->max_sub + 1 : 0, diags))
				break;
			if (r->second && !test(m, r, r->second, r->second_match, key, 0, diags))
				break;
			*value = expand(x, r, key);
			return 1;
		case OP_IF:
			if (!test(m, r, r->first, r->first_match, key, 0, diags))
				i = cfgp_if_next(r->block_end, x->n);
			break;
		case OP_ENDIF:
			break;
		}
	}
	return 0;
}

void cfgp_rx_close(struct cfg_map *m)
{
	struct rx *x = m->priv;

	if (x == NULL)
		return;
	for (size_t i = 0; i < x->n; i++) {
		free_re(x, x->v[i].first);
		free_re(x, x->v[i].second);
		free(x->v[i].result);
	}
	free(x->v);
	free(x->spans);
	cfg_buf_fini(&x->out);
	cfg_buf_fini(&x->why);
	free(x);
}

int cfgp_rx_open(struct cfg_map *m, const struct cfgp_rx_engine *e, struct cfg_diags *diags)
{
	struct cfg_buf src;
	int r, ret;

	cfg_buf_init(&src);
	if ((r = cfgp_inline_rules(e->type, m->name, &src, diags)) < 0
	    || (r == 0 && cfgp_read_source(m->name, e->type, &src, diags) < 0)) {
		cfg_buf_fini(&src);
		return -1;
	}
	ret = cfgp_rx_load(m, e, src.data, src.len, diags);
	cfg_buf_fini(&src);
	return ret;
}

/*
 * The POSIX engine of regexp: tables.  Flags toggle i (REG_ICASE, on),
 * x (REG_EXTENDED, on), m (REG_NEWLINE, off).
 */

/* posix_flag - toggle one regexp: flag */
static int posix_flag(char c, unsigned *opts)
{
	switch (c) {
	case 'i':
		*opts ^= REG_ICASE;
		return 1;
	case 'm':
		*opts ^= REG_NEWLINE;
		return 1;
	case 'x':
		*opts ^= REG_EXTENDED;
		return 1;
	}
	return 0;
}

/* posix_compile - regcomp(), or NULL with regerror()'s text */
static void *posix_compile(const char *text, unsigned opts, struct cfg_buf *why)
{
	regex_t *re = cfg_xmalloc(sizeof(*re));
	int err = regcomp(re, text, (int)opts);

	if (err != 0) {
		char buf[256];

		regerror(err, re, buf, sizeof(buf));
		cfg_buf_adds(why, buf);
		free(re);
		return NULL;
	}
	return re;
}

/* posix_nsub - number of parenthesised subexpressions */
static size_t posix_nsub(const void *re)
{
	return ((const regex_t *)re)->re_nsub;
}

/* posix_exec - regexec() with up to n spans */
static int posix_exec(void *re, const char *key, struct cfgp_rx_span *spans, size_t n,
                      struct cfg_buf *why)
{
	regmatch_t small[16], *pm = n <= 16 ? small : cfg_xreallocarray(NULL, n, sizeof(*pm));
	int err = regexec(re, key, n, n ? pm : NULL, 0);

	if (err == 0)
		for (size_t i = 0; i < n; i++) {
			spans[i].so = pm[i].rm_so;
			spans[i].eo = pm[i].rm_eo;
		}
	if (pm != small)
		free(pm);
	if (err == REG_NOMATCH)
		return 0;
	if (err != 0) {
		char buf[256];

		regerror(err, re, buf, sizeof(buf));
		cfg_buf_adds(why, buf);
		return -1;
	}
	return 1;
}

/* posix_free - regfree() and free() */
static void posix_free(void *re)
{
	regfree(re);
	free(re);
}

static const struct cfgp_rx_engine posix_engine = {
    .type = "regexp",
    .second_pattern = 1,
    .no_delim = "skipping this rule",
    .out_of_range = "out-of-range",
    .default_opts = REG_EXTENDED | REG_ICASE,
    .flag = posix_flag,
    .compile = posix_compile,
    .nsub = posix_nsub,
    .exec = posix_exec,
    .free = posix_free,
};

/* regexp_open - read FILE, or the inline {rule} list */
static int regexp_open(struct cfg_map *m, struct cfg_diags *diags)
{
	return cfgp_rx_open(m, &posix_engine, diags);
}

/* regexp_open_text - rules given in memory */
static int regexp_open_text(struct cfg_map *m, const char *text, size_t len,
                            struct cfg_diags *diags)
{
	return cfgp_rx_load(m, &posix_engine, text, len, diags);
}

const struct cfgp_map_ops cfgp_map_regexp_ops = {
    .type = "regexp",
    .open = regexp_open,
    .open_text = regexp_open_text,
    .lookup = cfgp_rx_lookup,
    .close = cfgp_rx_close,
};
