/* test_expand.c - check suite for $name expansion; every row was observed with Postfix 3.7 */
#include "config.h"

#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cfg/base/buf.h"
#include "cfg/base/diag.h"
#include "cfg/param/expand.h"
#include "cfg/base/htab.h"
#include "cfg/base/xalloc.h"

/*
 * A table of definitions for one row: "name=value" lines separated by '\n'
 * (the value is taken exactly, spaces included).  Undefined names that the
 * expansion asked for are collected in undef, separated by spaces.
 */
struct defs {
	struct cfg_htab *h;
	struct cfg_buf undef;
};

/* defs_lookup - cfg_expand lookup over a struct defs */
static const char *defs_lookup(void *ctx, const char *name)
{
	return cfg_htab_get(((struct defs *)ctx)->h, name);
}

/* defs_undef - remember an undefined name */
static void defs_undef(void *ctx, const char *name)
{
	struct defs *d = ctx;

	cfg_buf_printf(&d->undef, "%s%s", d->undef.len ? " " : "", name);
}

/* defs_init - load "n=v\n..." */
static void defs_init(struct defs *d, const char *text)
{
	d->h = cfg_htab_new(0);
	cfg_buf_init(&d->undef);
	while (text != NULL && *text) {
		const char *nl = strchr(text, '\n'), *eq = strchr(text, '=');
		size_t len = nl ? (size_t)(nl - text) : strlen(text);
		char *name = cfg_xstrndup(text, (size_t)(eq - text));

		free(cfg_htab_put(d->h, name, cfg_xstrndup(eq + 1, len - (size_t)(eq - text) - 1)));
		free(name);
		text += len + (nl != NULL);
	}
}

/* defs_fini - free a struct defs */
static void defs_fini(struct defs *d)
{
	cfg_htab_free(d->h, free);
	cfg_buf_fini(&d->undef);
}

/* join_diags - the messages of ds joined with '\n', "" when none (caller frees) */
static char *join_diags(const struct cfg_diags *ds)
{
	struct cfg_buf b;

	cfg_buf_init(&b);
	for (size_t i = 0; i < ds->n; i++)
		cfg_buf_printf(&b, "%s%s", i ? "\n" : "", ds->v[i].msg);
	return cfg_buf_take(&b);
}

/*
 * One expansion case.  want is the result when status is 0; warn is the
 * warning text Postfix printed (several joined with '\n'), "" for none.
 * undef lists names reported undefined during expansion (NULL: don't care).
 */
struct xcase {
	const char *defs;
	const char *in;
	int status;
	const char *want;
	const char *warn;
	const char *undef;
};

/* the quoted operator list of Postfix's relational-operator message */
#define OPS "\"==\" or \"!=\"\" or \"<\"\" or \"<=\"\" or \">=\"\" or \">\" expected at: "

static const struct xcase xcases[] = {
#include "expand_cases.h"
};

/* check_row - run one table row; appends a "got X, want Y" line to fails when it differs */
static void check_row(int i, struct cfg_buf *fails)
{
	const struct xcase *c = &xcases[i];
	struct defs d;
	struct cfg_expand ex = {.lookup = defs_lookup, .undefined = defs_undef, .ctx = &d};
	struct cfg_buf out;
	struct cfg_diags ds;
	int status;
	char *warn;

	defs_init(&d, c->defs);
	cfg_buf_init(&out);
	cfg_diags_init(&ds);
	status = cfg_expand_value(&ex, c->in, &out, &ds);
	warn = join_diags(&ds);
	if (status != c->status || (status == 0 && strcmp(out.data, c->want) != 0)
	    || strcmp(warn, c->warn) != 0 || (c->undef && strcmp(d.undef.data, c->undef) != 0))
		cfg_buf_printf(fails,
		               "row %d: %s: got status %d \"%s\" warn \"%s\" undef \"%s\", want "
		               "status %d \"%s\" warn \"%s\" undef \"%s\"\n",
		               i, c->in, status, out.data, warn, d.undef.data, c->status, c->want,
		               c->warn, c->undef ? c->undef : "*");
	free(warn);
	cfg_diags_fini(&ds);
	cfg_buf_fini(&out);
	defs_fini(&d);
}

/* every row in one test (forking per row is slow under the sanitizers) */
START_TEST(test_expand_table)
{
	struct cfg_buf fails;

	cfg_buf_init(&fails);
	for (int i = 0; i < (int)(sizeof(xcases) / sizeof(xcases[0])); i++)
		check_row(i, &fails);
	if (fails.len)
		ck_abort_msg("%s", fails.data);
	cfg_buf_fini(&fails);
}
END_TEST

/* chain_defs - p1 = $p2 ... p{n-1} = $p{n}, pn = end */
static void chain_defs(struct defs *d, int n, const char *sep)
{
	char name[32], val[64];

	d->h = cfg_htab_new((size_t)n);
	cfg_buf_init(&d->undef);
	for (int i = 1; i <= n; i++) {
		snprintf(name, sizeof(name), "p%d", i);
		if (i < n)
			snprintf(val, sizeof(val), "$p%d%s", i + 1, sep);
		else
			snprintf(val, sizeof(val), "end");
		cfg_htab_put(d->h, name, cfg_xstrdup(val));
	}
}

/* Postfix: a chain of 100 references expands, 101 fails on the literal "end", 102 on "p102" */
START_TEST(test_expand_nesting_boundary)
{
	static const struct {
		int n;
		int status;
		const char *warn;
	} rows[] = {
	    {99, 0, ""},
	    {100, 0, ""},
	    {101, -1, "unreasonable macro call nesting: \"end\""},
	    {102, -1, "unreasonable macro call nesting: \"p102\""},
	};

	for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		struct defs d;
		struct cfg_expand ex = {.lookup = defs_lookup, .ctx = &d};
		struct cfg_buf out;
		struct cfg_diags ds;
		int status;
		char *warn;

		chain_defs(&d, rows[i].n, "");
		cfg_buf_init(&out);
		cfg_diags_init(&ds);
		status = cfg_expand_value(&ex, "$p1", &out, &ds);
		warn = join_diags(&ds);
		if (status != rows[i].status || strcmp(warn, rows[i].warn) != 0
		    || (status == 0 && strcmp(out.data, "end") != 0))
			ck_abort_msg("chain %d: got %d \"%s\" \"%s\", want %d \"%s\"", rows[i].n,
			             status, out.data, warn, rows[i].status, rows[i].warn);
		free(warn);
		cfg_diags_fini(&ds);
		cfg_buf_fini(&out);
		defs_fini(&d);
	}
}
END_TEST

/*
 * A loop through a relational operand is never caught by Postfix's nesting
 * count (each operand starts a fresh count): Postfix 3.7 crashes with a
 * stack overflow (postconf -x exits 139).  We stop at a total depth instead.
 */
START_TEST(test_expand_operand_loop)
{
	struct defs d;
	struct cfg_expand ex = {.lookup = defs_lookup, .ctx = &d};
	struct cfg_buf out;
	struct cfg_diags ds;

	defs_init(&d, "la=${{$la}=={x}}\nlb=${{x}=={${la?{$lb}}}}\nlc=${{$lc} <level {3}}");
	cfg_buf_init(&out);
	cfg_diags_init(&ds);
	ck_assert_int_eq(cfg_expand_value(&ex, "$la", &out, &ds), -1);
	ck_assert_uint_ge(ds.n, 1);
	ck_assert_str_eq(ds.v[0].msg, "unreasonable macro call nesting: \"$la\"");
	ck_assert_uint_eq(out.len, 0);
	cfg_diags_clear(&ds);
	ck_assert_int_eq(cfg_expand_value(&ex, "$lb", &out, &ds), -1);
	ck_assert_str_eq(ds.v[0].code, "expand-nesting");
	cfg_diags_clear(&ds);
	/* one warning, not one "malformed compatibility level" per level unwound */
	ck_assert_int_eq(cfg_expand_value(&ex, "$lc", &out, &ds), -1);
	ck_assert_uint_eq(ds.n, 1);
	cfg_diags_fini(&ds);
	cfg_buf_fini(&out);
	defs_fini(&d);
}
END_TEST

/* references that double at each level: Postfix runs until killed, we stop */
START_TEST(test_expand_doubling)
{
	struct defs d;
	struct cfg_expand ex = {.lookup = defs_lookup, .ctx = &d};
	struct cfg_buf out;
	struct cfg_diags ds;
	char name[32], val[64];

	d.h = cfg_htab_new(64);
	cfg_buf_init(&d.undef);
	for (int i = 1; i <= 60; i++) {
		snprintf(name, sizeof(name), "p%d", i);
		snprintf(val, sizeof(val), i < 60 ? "$p%d$p%d" : "", i + 1, i + 1);
		cfg_htab_put(d.h, name, cfg_xstrdup(val));
	}
	cfg_buf_init(&out);
	cfg_diags_init(&ds);
	ck_assert_int_eq(cfg_expand_value(&ex, "$p1", &out, &ds), -1);
	ck_assert_uint_eq(ds.n, 1);
	ck_assert_str_eq(ds.v[0].code, "expand-too-large");
	cfg_diags_fini(&ds);
	cfg_buf_fini(&out);
	defs_fini(&d);
}
END_TEST

/* 10,000 parameters that reference each other: expanding each one stays cheap */
START_TEST(test_expand_big_chain)
{
	struct defs d;
	struct cfg_expand ex = {.lookup = defs_lookup, .ctx = &d};
	struct cfg_buf out;
	struct cfg_diags ds;
	char name[32];
	int fails = 0;

	chain_defs(&d, 10000, " x");
	cfg_buf_init(&out);
	cfg_diags_init(&ds);
	for (int i = 1; i <= 10000; i++) {
		snprintf(name, sizeof(name), "$p%d", i);
		cfg_buf_reset(&out);
		if (cfg_expand_value(&ex, name, &out, &ds) < 0)
			fails++;
	}
	/* only the last 100 are shallow enough (p9901 .. p10000) */
	ck_assert_int_eq(fails, 9900);
	cfg_buf_reset(&out);
	ck_assert_int_eq(cfg_expand_value(&ex, "$p9901", &out, &ds), 0);
	ck_assert_uint_eq(out.len, strlen("end") + 99 * 2);
	cfg_diags_fini(&ds);
	cfg_buf_fini(&out);
	defs_fini(&d);
}
END_TEST

/* collect - cfg_expand_scan visitor: names joined with spaces */
static void collect(void *ctx, const char *name)
{
	struct cfg_buf *b = ctx;

	cfg_buf_printf(b, "%s%s", b->len ? " " : "", name);
}

/*
 * Which names Postfix counts as "used": observed by defining foo = 1 (and
 * x = 1, e = empty) and referencing foo from mydestination; "unused
 * parameter: foo=1" went away for every form below except $$foo and names
 * after a syntax error.  The warning is what postconf printed for the scan.
 */
START_TEST(test_expand_scan)
{
	static const struct {
		const char *in;
		const char *names;
		int status;
		const char *warn;
	} rows[] = {
	    {"$foo ${foo} $(foo) ${ foo }", "foo foo foo foo", 0, ""},
	    {"${foo?x}", "foo", 0, ""},
	    {"${foo:x}", "foo", 0, ""},
	    {"${x?$foo}", "x foo", 0, ""},
	    {"${e?$foo}", "e foo", 0, ""},
	    {"${e?{a}:{$foo}}", "e foo", 0, ""},
	    {"${x?{a}:{$foo}}", "x foo", 0, ""},
	    {"${{$foo}=={1}}", "foo", 0, ""},
	    {"${{a}=={b}?{$foo}}", "foo", 0, ""},
	    {"${{a}=={a}:{$foo}}", "foo", 0, ""},
	    {"${{$a} == {$b} ? {$c} : {$d}}", "a b c d", 0, ""},
	    {"${{$a} <level {3.6}}", "a", 0, ""},
	    {"$$foo", "", 0, ""},
	    {"${x?{ok}:{${bad!x}}} $foo", "x", -1,
	     "attribute name syntax error at: \"...bad>>>!x\""},
	    {"$foo ${x?{ok}:{${bad!x}}}", "foo x", -1,
	     "attribute name syntax error at: \"...bad>>>!x\""},
	    {"${x?{ok}:{${bad!x} $foo}}", "x", -1,
	     "attribute name syntax error at: \"...bad>>>!x\""},
	    {"${x?{ok}:{$foo ${bad!x}}} ${foo?x}", "x foo", -1,
	     "attribute name syntax error at: \"...bad>>>!x\""},
	    {"${x?{ok}:{${bad!x}}} ${{$foo}=={1}}", "x", -1,
	     "attribute name syntax error at: \"...bad>>>!x\""},
	};

	for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		struct cfg_buf b;
		struct cfg_diags ds;
		int status;
		char *warn;

		cfg_buf_init(&b);
		cfg_diags_init(&ds);
		status = cfg_expand_scan(rows[i].in, collect, &b, &ds);
		warn = join_diags(&ds);
		if (status != rows[i].status || strcmp(b.data, rows[i].names) != 0
		    || strcmp(warn, rows[i].warn) != 0)
			ck_abort_msg(
			    "scan %s: got %d \"%s\" warn \"%s\", want %d \"%s\" warn \"%s\"",
			    rows[i].in, status, b.data, warn, rows[i].status, rows[i].names,
			    rows[i].warn);
		free(warn);
		cfg_diags_fini(&ds);
		cfg_buf_fini(&b);
	}
}
END_TEST

/* observed with ${{A} ==level {0}}: the malformed ones got "malformed compatibility level syntax" */
START_TEST(test_compat_level_cmp)
{
	static const struct {
		const char *a, *b;
		int want, err;
	} rows[] = {
	    {"3", "3.0", 0, 0},
	    {"3.6", "3.10", -1, 0},
	    {"3.10.1", "3.10", 1, 0},
	    {"2", "3.6", -1, 0},
	    {"0", "0", 0, 0},
	    {"3.1023", "4", -1, 0},
	    {"3.6.1023", "3.6", 1, 0},
	    {" 3", "3", 0, 0},
	    {"+3", "3", 0, 0},
	    {"-0", "0", 0, 0},
	    {"03", "3", 0, 0},
	    {"3.+1", "3.1", 0, 0},
	    {"3. 6", "3.6", 0, 0},
	    {"8796093022207", "0", 1, 0},
	    {"3.1024", "3", 0, 1},
	    {"3.6.1024", "3", 0, 1},
	    {"8796093022208", "0", 0, 1},
	    {"99999999999999999999", "0", 0, 1},
	    {"foo", "3", 0, 1},
	    {"3", "3.x", 0, 1},
	    {"3 ", "3", 0, 1},
	    {"-1", "3", 0, 1},
	    {"3.-1", "3", 0, 1},
	    {"0x10", "3", 0, 1},
	    {"3.6.1.2", "3", 0, 1},
	    {"", "3", 0, 1},
	    {"3.", "3", 0, 1},
	    {".3", "3", 0, 1},
	    {"3..6", "3", 0, 1},
	    {"3.6.", "3", 0, 1},
	};

	for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		int err = 0, got = cfg_compat_level_cmp(rows[i].a, rows[i].b, &err);

		got = got < 0 ? -1 : got > 0;
		if (got != rows[i].want || err != rows[i].err)
			ck_abort_msg("%s vs %s: got %d err %d, want %d err %d", rows[i].a,
			             rows[i].b, got, err, rows[i].want, rows[i].err);
	}
}
END_TEST

/* expand_suite - the suite */
static Suite *expand_suite(void)
{
	Suite *s = suite_create("expand");
	TCase *tc = tcase_create("core");

	tcase_set_timeout(tc, 30);
	tcase_add_test(tc, test_expand_table);
	tcase_add_test(tc, test_expand_nesting_boundary);
	tcase_add_test(tc, test_expand_big_chain);
	tcase_add_test(tc, test_expand_operand_loop);
	tcase_add_test(tc, test_expand_doubling);
	tcase_add_test(tc, test_expand_scan);
	tcase_add_test(tc, test_compat_level_cmp);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(expand_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
