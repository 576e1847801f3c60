/*
 * expand.h - $name expansion as Postfix's mac_expand() does it
 *
 * Forms: $name ${name} $(name) ${name?text} ${name:text} ${name?{a}:{b}}
 * ${name?{a}} ${name:{b}}, relational ${{x} OP {y}?{a}:{b}} and
 * ${{x} OP {y}} with OP in == != < <= >= > and <level <=level >level >=level,
 * and $$ for a literal dollar.  Values found through lookup are expanded
 * recursively (nesting limit 100); names are [A-Za-z0-9_]+.
 *
 * Errors use Postfix's wording (appended to diags as warnings, e.g.
 * "truncated macro reference: \"${foo\"", "unreasonable macro call
 * nesting: \"name\"") and make cfg_expand() return -1; the caller then says
 * "macro processing error" as Postfix does.
 */
#ifndef CFG_EXPAND_H
#define CFG_EXPAND_H

#include "cfg/base/buf.h"
#include "cfg/base/diag.h"

/* lookup - the unexpanded value of name, or NULL when undefined (borrowed) */
typedef const char *(*cfg_expand_lookup_fn)(void *ctx, const char *name);
/* undefined - told about each undefined name that was referenced (may be NULL) */
typedef void (*cfg_expand_undef_fn)(void *ctx, const char *name);

struct cfg_expand {
	cfg_expand_lookup_fn lookup;
	cfg_expand_undef_fn undefined;
	void *ctx;
};

/*
 * cfg_expand_value - append the expansion of value to out.  Returns 0, or -1
 * after appending warning diagnostics that describe the syntax error or the
 * nesting loop (out is then left as it was).  lookup() results must stay
 * valid until the call returns.  undefined() is called for every name
 * lookup() does not know, also in ${name?...} and ${name:...} tests (Postfix
 * itself warns "undefined parameter" from a separate scan, see
 * cfg_expand_scan()).  Only the chosen branch of a conditional is expanded,
 * so an error in the other branch goes unnoticed, as in Postfix.  One error
 * has severity CFG_SEV_FATAL: a numeric comparison of digits too large for a
 * long ("mac_exp_eval: bad conversion: DIGITS").  Diagnostic codes:
 * expand-empty-name, expand-truncated, expand-name-syntax, expand-operator,
 * expand-operator-suffix, expand-operand, expand-unbalanced, expand-garbage,
 * expand-compat-level, expand-bad-number, expand-nesting, and two bounds
 * Postfix lacks (it crashes or runs forever there): a loop through
 * relational operands gives expand-nesting at a total depth of 1000, and
 * more than 10 million pieces gives expand-too-large.
 */
int cfg_expand_value(const struct cfg_expand *ex, const char *value, struct cfg_buf *out,
                     struct cfg_diags *diags);
/*
 * cfg_expand_scan - visit every $name referenced by value without expanding
 * anything (not recursively), calling fn(ctx, name) for each, in order and
 * with repeats.  Like Postfix's scan for "used" parameters it walks both
 * branches of every conditional and both operands of every relational
 * expression.  Syntax errors append the same warnings as cfg_expand_value()
 * (diags may be NULL) and return -1; names after the error are not visited.
 */
int cfg_expand_scan(const char *value, void (*fn)(void *ctx, const char *name), void *ctx,
                    struct cfg_diags *diags);
/* cfg_expand_names - cfg_expand_scan() without diagnostics */
void cfg_expand_names(const char *value, void (*fn)(void *ctx, const char *name), void *ctx);
/*
 * cfg_compat_level_cmp - compare compatibility levels "3.6", "2", "3.10.1"
 * as Postfix's <level operators do; returns <0, 0, >0, or sets *err and
 * returns 0 when either is malformed.  Levels are major[.minor[.patch]] in
 * decimal; minor and patch are at most 1023.  err may be NULL.
 */
int cfg_compat_level_cmp(const char *a, const char *b, int *err);

#endif
