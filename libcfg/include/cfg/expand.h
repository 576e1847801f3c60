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

#include "cfg/buf.h"
#include "cfg/diag.h"

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
 * nesting loop.
 */
int cfg_expand_value(const struct cfg_expand *ex, const char *value, struct cfg_buf *out,
		     struct cfg_diags *diags);
/*
 * cfg_expand_names - visit every $name referenced by value (not recursively),
 * calling fn(ctx, name) for each; used to find which user-defined parameters
 * are "used".  Syntax errors are ignored.
 */
void cfg_expand_names(const char *value, void (*fn)(void *ctx, const char *name), void *ctx);
/*
 * cfg_compat_level_cmp - compare compatibility levels "3.6", "2", "3.10.1"
 * as Postfix's <level operators do; returns <0, 0, >0, or sets *err and
 * returns 0 when either is malformed.
 */
int cfg_compat_level_cmp(const char *a, const char *b, int *err);

#endif
