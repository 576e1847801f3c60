/* expand.c - $name expansion with the semantics of Postfix 3.7's main.cf macros */
#include "config.h"

#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "cfg/param/expand.h"

/*
 * How it works, in two layers that mirror how Postfix behaves:
 *
 *  - parse_text() walks a piece of text and cuts it into literal runs and
 *    macro references ($name, ${...}, $(...)).  "$$" is a literal "$".  A
 *    ${ or $( that is never closed is "truncated"; a "$" not followed by a
 *    name character or a bracket is an "empty macro name".  Both stop the
 *    walk of that text.
 *  - on_literal() / on_macro() handle one piece.  on_macro() knows the
 *    conditional forms and the relational operators, and recurses into
 *    parse_text() for looked-up values and for the chosen branch only (the
 *    other branch is not even syntax-checked, as in Postfix; scan mode walks
 *    every branch).
 *
 * Every piece handled, literal or macro, counts one nesting level while it
 * is being handled; entering a piece at depth > 100 is the "unreasonable
 * macro call nesting" error.  That is why a chain p1 = $p2 ... p100 = end
 * still expands but a chain of 101 fails on the literal "end".  Relational
 * operands are expanded in a fresh context whose depth starts again at 0,
 * exactly like Postfix.  After the first error, later pieces are skipped
 * (but parse_text() still reports its own syntax errors in text it walks).
 *
 * A parameter that refers to itself (myhostname = $myhostname.x) is just a
 * nesting loop here: the caller sees -1 and the nesting warning.  Postfix
 * then says "fatal: macro processing error", or "fatal: dictionary
 * mail_dict: macro processing error" for a parameter Postfix itself
 * evaluates while loading main.cf (observed for myhostname and mydomain, in
 * every postconf mode, not only -x); printing that
 * fatal line is the caller's business.
 *
 * Quoted contexts in messages copy Postfix: text after ">>>" is cut to 20
 * bytes, and the "expected" message lists the operators with its odd
 * doubled quotes.
 */

#define SPACE_CHARS " \t\r\n"
#define MAX_NESTING 100
/*
 * Relational operands start a fresh nesting count, so a loop through them
 * (a = ${{$a} == {x}}) is never caught by MAX_NESTING: Postfix 3.7 dies of a
 * stack overflow there.  We also bound the total depth of text being walked
 * and report the same nesting error instead.
 */
#define MAX_TOTAL_DEPTH 1000
/*
 * References that double at each level (p1 = $p2$p2, p2 = $p3$p3, ...) stay
 * under the nesting limit but need 2^depth steps; Postfix just runs until it
 * is killed.  We give up after this many pieces (well above anything real).
 */
#define MAX_PIECES 10000000L
#define AFTER_MAX 20 /* bytes of context Postfix shows after ">>>" */

/* the operator list of Postfix's "expected" message, odd quotes included */
#define OPS_EXPECTED "\"==\" or \"!=\"\" or \"<\"\" or \"<=\"\" or \">=\"\" or \">\""

enum relop { OP_NONE, OP_EQ, OP_NE, OP_LT, OP_LE, OP_GE, OP_GT };

static const struct {
	const char *text;
	enum relop op;
} relops[] = {
    {"==", OP_EQ}, {"!=", OP_NE}, {"<", OP_LT}, {"<=", OP_LE}, {">=", OP_GE}, {">", OP_GT},
};

/* what all contexts of one call share: the bounds Postfix does not have */
struct shared {
	int depth;   /* texts being walked */
	long pieces; /* pieces handled */
	int halted;  /* a bound was hit: stop, say nothing more */
};

/* the state of one expansion (relational operands get their own) */
struct xp {
	const struct cfg_expand *ex;         /* lookups; NULL in scan mode */
	void (*visit)(void *, const char *); /* scan mode: told each name */
	void *vctx;
	struct cfg_buf *out; /* NULL in scan mode */
	struct cfg_diags *diags;
	struct cfg_buf *name; /* scratch for NUL-terminated names */
	struct shared *sh;
	int level;
	int err;
	int fatal;
};

/* a piece of text: not NUL-terminated */
struct span {
	const char *p;
	size_t n;
};

static int parse_text(struct xp *x, struct span t);

/* warn - append a warning (or fatal) diagnostic and mark the expansion failed */
static void __attribute__((format(printf, 3, 4)))
warn(struct xp *x, const char *code, const char *fmt, ...)
{
	va_list ap;
	struct cfg_buf msg;

	cfg_buf_init(&msg);
	va_start(ap, fmt);
	cfg_buf_vprintf(&msg, fmt, ap);
	va_end(ap);
	cfg_diags_add(x->diags, x->fatal ? CFG_SEV_FATAL : CFG_SEV_WARNING, code, NULL, 0, 0, "%s",
	              msg.data);
	cfg_buf_fini(&msg);
	x->err = 1;
}

/* cut - how many bytes of the text at p..end Postfix's "%.20s" shows */
static int cut(const char *p, const char *end)
{
	size_t n = (size_t)(end - p);

	return (int)(n > AFTER_MAX ? AFTER_MAX : n);
}

/* skip_space - advance over whitespace, never past end */
static const char *skip_space(const char *p, const char *end)
{
	while (p < end && strchr(SPACE_CHARS, *p) != NULL)
		p++;
	return p;
}

/* undollar - the text of a literal run with "$$" made "$" (for messages) */
static void undollar(struct cfg_buf *b, struct span t)
{
	for (size_t i = 0; i < t.n; i++) {
		cfg_buf_addc(b, t.p[i]);
		if (t.p[i] == '$' && i + 1 < t.n && t.p[i + 1] == '$')
			i++;
	}
}

/* enter - count one nesting level; returns 0 to go on, -1 to skip the piece */
static int enter(struct xp *x, struct span what, int literal)
{
	if (x->sh->halted) {
		x->err = 1;
		return -1;
	}
	if (++x->sh->pieces > MAX_PIECES) {
		warn(x, "expand-too-large",
		     "macro expansion too large: more than %ld references and text pieces",
		     MAX_PIECES);
		x->sh->halted = 1;
		return -1;
	}
	if (x->level++ > MAX_NESTING) {
		struct cfg_buf b;

		cfg_buf_init(&b);
		if (literal)
			undollar(&b, what);
		else
			cfg_buf_add(&b, what.p, what.n);
		warn(x, "expand-nesting", "unreasonable macro call nesting: \"%s\"", b.data);
		cfg_buf_fini(&b);
	}
	/* like Postfix, a skipped piece does not give its level back */
	return x->err ? -1 : 0;
}

/* on_literal - handle a run of literal text ("$$" still doubled in t) */
static void on_literal(struct xp *x, struct span t)
{
	if (enter(x, t, 1) < 0)
		return;
	if (x->out != NULL)
		undollar(x->out, t);
	x->level--;
}

/*
 * curly - at p (which is '{'), find the balancing '}' before end.  Sets
 * *payload to what is between them and returns the position after the
 * '}' and any whitespace following it, or NULL after a warning.
 */
static const char *curly(struct xp *x, const char *p, const char *end, struct span *payload)
{
	int depth = 1;
	const char *q;

	for (q = p + 1; q < end; q++) {
		if (*q == '{')
			depth++;
		else if (*q == '}' && --depth == 0)
			break;
	}
	if (q >= end) {
		warn(x, "expand-unbalanced", "unbalanced {} in attribute expression: \"%.*s\"",
		     (int)(end - p), p);
		return NULL;
	}
	payload->p = p + 1;
	payload->n = (size_t)(q - (p + 1));
	return skip_space(q + 1, end);
}

/* find_curly - after optional whitespace, is there a '{'?  Returns it or NULL */
static const char *find_curly(const char *p, const char *end)
{
	p = skip_space(p, end);
	return p < end && *p == '{' ? p : NULL;
}

/* all_digits - non-empty and only decimal digits */
static int all_digits(const char *s)
{
	if (*s == 0)
		return 0;
	for (; *s; s++)
		if (!isdigit((unsigned char)*s))
			return 0;
	return 1;
}

/* compat_level_value - major[.minor[.patch]] as one comparable number, or -1 */
static long long compat_level_value(const char *s)
{
	/* Postfix packs major.minor.patch into bits: minor and patch are 0..1023 */
	static const long long limits[3] = {LONG_MAX >> 20, 1023, 1023};
	long long res = 0;
	const char *p = s;

	for (int i = 0; i < 3; i++) {
		char *end;
		long v;

		errno = 0;
		v = strtol(p, &end, 10);
		if (end == p || errno == ERANGE || v < 0 || v > limits[i])
			return -1;
		res = (res << 10) | v;
		if (*end == 0) {
			for (int j = i + 1; j < 3; j++)
				res <<= 10;
			return res;
		}
		if (*end != '.' || i == 2)
			return -1;
		p = end + 1;
	}
	return -1;
}

/* cfg_compat_level_cmp - compare two compatibility levels */
int cfg_compat_level_cmp(const char *a, const char *b, int *err)
{
	long long va = compat_level_value(a), vb;

	if (va < 0 || (vb = compat_level_value(b)) < 0) {
		if (err != NULL)
			*err = 1;
		return 0;
	}
	return va < vb ? -1 : va > vb;
}

/*
 * compare - evaluate "left op right"; level selects compatibility-level
 * comparison.  Returns 1 true, 0 false, -1 after a diagnostic.
 */
static int compare(struct xp *x, const char *left, enum relop op, int level, const char *right)
{
	long long delta;

	if (level) {
		long long l = compat_level_value(left), r = -1;

		if (l < 0 || (r = compat_level_value(right)) < 0) {
			warn(x, "expand-compat-level",
			     "malformed compatibility level syntax: \"%s\"", l < 0 ? left : right);
			return -1;
		}
		delta = l < r ? -1 : l > r;
	} else if (all_digits(left) && all_digits(right)) {
		long long l, r;
		const char *bad = NULL;

		errno = 0;
		l = strtol(left, NULL, 10);
		if (errno == ERANGE)
			bad = left;
		errno = 0;
		r = strtol(right, NULL, 10);
		if (bad == NULL && errno == ERANGE)
			bad = right;
		if (bad != NULL) {
			/* Postfix stops here with "fatal: mac_exp_eval: bad conversion" */
			x->fatal = 1;
			warn(x, "expand-bad-number", "mac_exp_eval: bad conversion: %s", bad);
			x->fatal = 0;
			return -1;
		}
		delta = l < r ? -1 : l > r;
	} else {
		delta = strcmp(left, right);
	}
	switch (op) {
	case OP_EQ:
		return delta == 0;
	case OP_NE:
		return delta != 0;
	case OP_LT:
		return delta < 0;
	case OP_LE:
		return delta <= 0;
	case OP_GE:
		return delta >= 0;
	case OP_GT:
		return delta > 0;
	case OP_NONE:
		break;
	}
	return -1;
}

/* sub_expand - expand an operand in a fresh context (depth 0), as Postfix does */
static void sub_expand(struct xp *x, struct span t, struct cfg_buf *res)
{
	struct xp sub = *x;

	sub.level = 0;
	sub.err = 0;
	sub.out = x->out != NULL ? res : NULL;
	parse_text(&sub, t);
	if (sub.err)
		x->err = 1;
}

/*
 * relational - parse "{left} OP {right}" at p; sets *value to "true" or ""
 * (NULL in scan mode) and returns the position after it, or NULL after a
 * warning.
 */
static const char *relational(struct xp *x, const char *p, const char *end, const char **value)
{
	struct span left, right;
	const char *op_pos;
	size_t op_len;
	enum relop op = OP_NONE;
	int level = 0;

	if ((p = curly(x, p, end, &left)) == NULL)
		return NULL;
	op_pos = p;
	for (op_len = 0; p + op_len < end && strchr("<>!=?+-*/~&|%", p[op_len]) != NULL; op_len++)
		;
	for (size_t i = 0; i < sizeof(relops) / sizeof(relops[0]); i++)
		if (strlen(relops[i].text) == op_len && memcmp(relops[i].text, p, op_len) == 0)
			op = relops[i].op;
	if (op == OP_NONE) {
		warn(x, "expand-operator", "%s expected at: \"...%.*s}>>>%.*s\"", OPS_EXPECTED,
		     (int)left.n, left.p, cut(p, end), p);
		return NULL;
	}
	p += op_len;
	if (p < end && isalnum((unsigned char)*p)) {
		const char *suffix = p;

		while (p < end && isalnum((unsigned char)*p))
			p++;
		if ((size_t)(p - suffix) != 5 || memcmp(suffix, "level", 5) != 0) {
			warn(x, "expand-operator-suffix",
			     "bad operator suffix at: \"...%.*s>>>%.*s\"", (int)op_len, op_pos,
			     (int)(p - suffix), suffix);
			return NULL;
		}
		level = 1;
	}
	if (find_curly(p, end) == NULL) {
		warn(x, "expand-operand", "\"{expression}\" expected at: \"...{%.*s} %.*s>>>%.*s\"",
		     (int)left.n, left.p, (int)op_len, op_pos, cut(p, end), p);
		return NULL;
	}
	if ((p = curly(x, find_curly(p, end), end, &right)) == NULL)
		return NULL;

	struct cfg_buf lb, rb;
	int res = 0;

	cfg_buf_init(&lb);
	cfg_buf_init(&rb);
	sub_expand(x, left, &lb);
	sub_expand(x, right, &rb);
	if (x->out != NULL && !x->sh->halted) {
		int saved = x->err;

		/* Postfix compares even when an operand failed */
		res = compare(x, lb.data, op, level, rb.data);
		if (res < 0 || saved)
			x->err = 1;
	}
	cfg_buf_fini(&lb);
	cfg_buf_fini(&rb);
	if (x->err)
		return NULL;
	*value = x->out == NULL ? NULL : res ? "true" : "";
	return p;
}

/*
 * branch - parse the text after '?' or ':' at p: "{text}" followed by
 * optional whitespace, or (unbraced) all the rest.  Returns the position
 * after it, or NULL after a warning.
 */
static const char *branch(struct xp *x, const char *p, const char *end, struct span *text)
{
	const char *brace = find_curly(p, end);

	if (brace != NULL)
		return curly(x, brace, end, text);
	text->p = p;
	text->n = (size_t)(end - p);
	return end;
}

/* lookup - the value of a name (NULL: undefined, or scan mode) */
static const char *lookup(struct xp *x, const char *p, size_t n)
{
	const char *value;

	cfg_buf_reset(x->name);
	cfg_buf_add(x->name, p, n);
	if (x->out == NULL) {
		if (x->visit != NULL)
			x->visit(x->vctx, x->name->data);
		return NULL;
	}
	value = x->ex->lookup(x->ex->ctx, x->name->data);
	if (value == NULL && x->ex->undefined != NULL)
		x->ex->undefined(x->ex->ctx, x->name->data);
	return value;
}

/* on_macro - handle the text of one macro reference: "name" or what is inside ${...} */
static void on_macro(struct xp *x, struct span t)
{
	const char *p = t.p, *end = t.p + t.n;
	const char *value = NULL;
	struct span text;
	int ch;

	if (enter(x, t, 0) < 0)
		return;
	if (find_curly(p, end) != NULL) {
		/* relational expression, optionally followed by ? or : */
		if ((p = relational(x, find_curly(p, end), end, &value)) == NULL)
			return;
		ch = p < end ? *p : 0;
		if (ch != 0) {
			if (ch != '?' && ch != ':') {
				warn(x, "expand-garbage",
				     "\"?\" or \":\" expected at: \"...}>>>%.*s\"", cut(p, end), p);
				return;
			}
			p++;
		}
	} else {
		/* name, optionally surrounded by whitespace, then end, ? or : */
		const char *start = skip_space(p, end), *name_end;

		for (p = start;; p++) {
			const char *q = skip_space(p, end);

			ch = q < end ? *q : 0;
			if (ch == 0 || ch == '?' || ch == ':') {
				name_end = p;
				p = ch == 0 ? end : q + 1;
				break;
			}
			if (!isalnum((unsigned char)*p) && *p != '_') {
				warn(x, "expand-name-syntax",
				     "attribute name syntax error at: \"...%.*s>>>%.*s\"",
				     (int)(p - t.p), t.p, cut(p, end), p);
				return;
			}
		}
		value = lookup(x, start, (size_t)(name_end - start));
	}

	switch (ch) {
	case '?':
		if ((p = branch(x, p, end, &text)) == NULL)
			return;
		if ((value != NULL && *value != 0) || x->out == NULL)
			parse_text(x, text);
		if (p == end)
			break;
		if (*p != ':') {
			warn(x, "expand-garbage", "\":\" expected at: \"...%.*s}>>>%.*s\"",
			     (int)text.n, text.p, cut(p, end), p);
			return;
		}
		p++;
		/* parse the ':' part too, as Postfix does */
		__attribute__((fallthrough));
	case ':':
		if ((p = branch(x, p, end, &text)) == NULL)
			return;
		if (value == NULL || *value == 0 || x->out == NULL)
			parse_text(x, text);
		if (p != end) {
			warn(x, "expand-garbage", "unexpected input at: \"...%.*s}>>>%.*s\"",
			     (int)text.n, text.p, cut(p, end), p);
			return;
		}
		break;
	default:
		if (value != NULL && *value != 0 && x->out != NULL)
			parse_text(x, (struct span){value, strlen(value)});
		break;
	}
	x->level--;
}

/* walk_text - the body of parse_text(): one pass over t */
static int walk_text(struct xp *x, struct span t)
{
	const char *p = t.p, *end = t.p + t.n, *lit = p;
	int failed = 0; /* a piece of this text failed: Postfix drops the trailing literal */

	while (p < end) {
		if (*p != '$') {
			p++;
			continue;
		}
		if (p + 1 < end && p[1] == '$') {
			p += 2;
			continue;
		}
		if (p > lit) {
			on_literal(x, (struct span){lit, (size_t)(p - lit)});
			failed |= x->err;
		}
		p++;
		struct span m = {p, 0};

		if (p < end && (*p == '{' || *p == '(')) {
			char open = *p, close = open == '{' ? '}' : ')';
			int depth = 1;
			const char *q;

			for (q = p + 1; q < end; q++) {
				if (*q == open)
					depth++;
				else if (*q == close && --depth == 0)
					break;
			}
			if (q >= end) {
				warn(x, "expand-truncated", "truncated macro reference: \"%.*s\"",
				     (int)t.n, t.p);
				return -1;
			}
			m.p = p + 1;
			m.n = (size_t)(q - m.p);
			p = q + 1;
		} else {
			while (p < end && (isalnum((unsigned char)*p) || *p == '_'))
				p++;
			m.n = (size_t)(p - m.p);
		}
		if (m.n == 0) {
			warn(x, "expand-empty-name", "empty macro name: \"%.*s\"", (int)t.n, t.p);
			return -1;
		}
		on_macro(x, m);
		failed |= x->err;
		lit = p;
	}
	if (p > lit && !failed)
		on_literal(x, (struct span){lit, (size_t)(p - lit)});
	return 0;
}

/*
 * parse_text - split t into literal runs and macro references and handle
 * each (walk_text), within the total depth bound.  Returns -1 when this
 * text had a syntax error of its own.
 */
static int parse_text(struct xp *x, struct span t)
{
	int ret;

	if (x->sh->halted) {
		x->err = 1;
		return -1;
	}
	if (x->sh->depth >= MAX_TOTAL_DEPTH) {
		warn(x, "expand-nesting", "unreasonable macro call nesting: \"%.*s\"", (int)t.n,
		     t.p);
		x->sh->halted = 1;
		return -1;
	}
	x->sh->depth++;
	ret = walk_text(x, t);
	x->sh->depth--;
	return ret;
}

/* cfg_expand_value - append the expansion of value to out */
int cfg_expand_value(const struct cfg_expand *ex, const char *value, struct cfg_buf *out,
                     struct cfg_diags *diags)
{
	struct cfg_buf name;
	struct shared sh = {0, 0, 0};
	struct xp x = {.ex = ex, .out = out, .diags = diags, .name = &name, .sh = &sh};
	size_t start = out->len;

	cfg_buf_init(&name);
	parse_text(&x, (struct span){value, strlen(value)});
	cfg_buf_fini(&name);
	if (x.err) {
		cfg_buf_truncate(out, start);
		return -1;
	}
	return 0;
}

/* cfg_expand_scan - visit every name value refers to, in every branch */
int cfg_expand_scan(const char *value, void (*fn)(void *ctx, const char *name), void *ctx,
                    struct cfg_diags *diags)
{
	struct cfg_buf name;
	struct shared sh = {0, 0, 0};
	struct xp x = {.visit = fn, .vctx = ctx, .diags = diags, .name = &name, .sh = &sh};

	cfg_buf_init(&name);
	parse_text(&x, (struct span){value, strlen(value)});
	cfg_buf_fini(&name);
	return x.err ? -1 : 0;
}

/* cfg_expand_names - cfg_expand_scan() without diagnostics */
void cfg_expand_names(const char *value, void (*fn)(void *ctx, const char *name), void *ctx)
{
	cfg_expand_scan(value, fn, ctx, NULL);
}
