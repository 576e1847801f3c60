/* test_list.c - check suite for Postfix list splitting; rows observed with Postfix 3.7 */
#include "config.h"

#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "cfg/base/buf.h"
#include "cfg/base/diag.h"
#include "cfg/param/list.h"
#include "cfg/base/strvec.h"

/*
 * cfg_list_split() rows.  Observed through import_environment, which
 * Postfix splits this way: postfix(1) with a stub postfix-script printing
 * its environment showed which NAME=VALUE elements came out, and postmap
 * printed the fatal messages.  want joins the elements with '|'.
 */
static const struct {
	const char *in;
	int status;
	const char *want;
	const char *err;
} split_rows[] = {
    {"A=1,,B=2", 0, "A=1|B=2", ""},
    {"A=1\tB=2", 0, "A=1|B=2", ""},
    {"\tA=1 ,\t", 0, "A=1", ""},
    {"", 0, "", ""},
    {" , ", 0, "", ""},
    {"{A=x, y}", 0, "A=x, y", ""},
    {"{ A = x y  }", 0, "A = x y", ""},
    {"{A=1} B=2,{C=3 , 4},D=4", 0, "A=1|B=2|C=3 , 4|D=4", ""},
    {"A={x y}", 0, "A={x y}", ""},
    {"A=a{b,c}d", 0, "A=a{b,c}d", ""},
    {"A={x, {y z}} B=2", 0, "A={x, {y z}}|B=2", ""},
    {"A=x}y", 0, "A=x}y", ""},
    {"A=1}, B=2", 0, "A=1}|B=2", ""},
    {"{ {A=1} }", 0, "{A=1}", ""},
    {"A=1 {} B=2", 0, "A=1||B=2", ""},
    {"{A=1}{B=2}", -1, "A=1", "import_environment: syntax error after '}' in \"{A=1}{B=2}\""},
    {"{A=1}} B=2", -1, "A=1|B=2", "import_environment: syntax error after '}' in \"{A=1}}\""},
    {"{A=1", -1, "A=1", "import_environment: missing '}' in \"{A=1\""},
    {"A=1 {B=2, C=3", -1, "A=1|B=2, C=3", "import_environment: missing '}' in \"{B=2, C=3\""},
    {"{A=1} {B=2", -1, "A=1|B=2", "import_environment: missing '}' in \"{B=2\""},
};

/* join - elements joined with '|' (caller frees) */
static char *join(const struct cfg_strvec *sv)
{
	return cfg_strvec_join(sv, "|");
}

START_TEST(test_list_split_table)
{
	for (int i = 0; i < (int)(sizeof(split_rows) / sizeof(split_rows[0])); i++) {
		struct cfg_strvec sv;
		struct cfg_diags ds;
		int status;
		char *got;
		const char *err;

		cfg_strvec_init(&sv);
		cfg_diags_init(&ds);
		status = cfg_list_split(split_rows[i].in, &sv, "import_environment", &ds);
		got = join(&sv);
		err = ds.n ? ds.v[0].msg : "";
		if (status != split_rows[i].status || strcmp(got, split_rows[i].want) != 0
		    || strcmp(err, split_rows[i].err) != 0 || ds.n > 1
		    || (ds.n == 1 && ds.v[0].sev != CFG_SEV_FATAL))
			ck_abort_msg("split \"%s\": got %d \"%s\" err \"%s\" (%zu), want %d \"%s\" "
			             "err \"%s\"",
			             split_rows[i].in, status, got, err, ds.n, split_rows[i].status,
			             split_rows[i].want, split_rows[i].err);
		free(got);
		cfg_diags_fini(&ds);
		cfg_strvec_fini(&sv);
	}
}
END_TEST

/*
 * cfg_list_tokens() rows: table lists keep braces (observed with postmap -q
 * x 'unionmap:{...}', whose members are split this way).
 */
START_TEST(test_list_tokens)
{
	static const struct {
		const char *in;
		const char *want;
	} rows[] = {
	    {"inline:{x=1, y=2}, inline:{x=3}", "inline:{x=1, y=2}|inline:{x=3}"},
	    {"inline:{x=1, y=2},inline:{x=3}\tinline:{x={4 5}}",
	     "inline:{x=1, y=2}|inline:{x=3}|inline:{x={4 5}}"},
	    {" inline:{x=1} ", "inline:{x=1}"},
	    {"inline:{x=1}x, inline:{x=2}", "inline:{x=1}x|inline:{x=2}"},
	    {"{ a b }, c", "{ a b }|c"},
	    {"a{b", "a{b"},
	    {"x}, y", "x}|y"},
	};

	for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		struct cfg_strvec sv;
		char *got;

		cfg_strvec_init(&sv);
		cfg_list_tokens(rows[i].in, CFG_LIST_SEPARATORS, &sv);
		got = join(&sv);
		if (strcmp(got, rows[i].want) != 0)
			ck_abort_msg("tokens \"%s\": got \"%s\", want \"%s\"", rows[i].in, got,
			             rows[i].want);
		free(got);
		cfg_strvec_fini(&sv);
	}
}
END_TEST

/* other separator sets, and no name prefix */
START_TEST(test_list_split_sep)
{
	struct cfg_strvec sv;
	struct cfg_diags ds;
	char *got;

	cfg_strvec_init(&sv);
	cfg_diags_init(&ds);
	ck_assert_int_eq(cfg_list_split_sep("a b,c;{d;e}", ";", &sv, NULL, &ds), 0);
	got = join(&sv);
	ck_assert_str_eq(got, "a b,c|d;e");
	free(got);
	ck_assert_int_eq(cfg_list_split_sep("{x", ";", &sv, NULL, &ds), -1);
	ck_assert_uint_eq(ds.n, 1);
	ck_assert_str_eq(ds.v[0].msg, "missing '}' in \"{x\"");
	ck_assert_str_eq(ds.v[0].code, "list-brace");
	cfg_diags_fini(&ds);
	cfg_strvec_fini(&sv);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("list");
	TCase *tc = tcase_create("core");
	SRunner *sr;
	int failed;

	tcase_add_test(tc, test_list_split_table);
	tcase_add_test(tc, test_list_tokens);
	tcase_add_test(tc, test_list_split_sep);
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
