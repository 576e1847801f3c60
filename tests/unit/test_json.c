/* test_json.c - check suite for the Jansson adapter (cfg/json.h) */
#include "config.h"

#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "cfg/io/json.h"

START_TEST(test_build_and_dump_in_order)
{
	struct cfg_json *o = cfg_json_object();
	struct cfg_json *a = cfg_json_array();
	struct cfg_buf b;

	cfg_json_object_set(o, "zeta", cfg_json_string("z\"q\n"));
	cfg_json_object_set(o, "alpha", cfg_json_integer(42));
	cfg_json_array_append(a, cfg_json_bool(1));
	cfg_json_array_append(a, cfg_json_null());
	cfg_json_object_set(o, "list", a);
	cfg_buf_init(&b);
	cfg_json_dump(o, CFG_JSON_COMPACT, &b);
	ck_assert_str_eq(b.data,
	                 "{\"zeta\": \"z\\\"q\\n\", \"alpha\": 42, \"list\": [true, null]}");
	cfg_buf_reset(&b);
	cfg_json_dump(o, CFG_JSON_SORT_KEYS | CFG_JSON_TIGHT, &b);
	ck_assert_str_eq(b.data, "{\"alpha\":42,\"list\":[true,null],\"zeta\":\"z\\\"q\\n\"}");
	cfg_buf_fini(&b);
	cfg_json_free(o);
}
END_TEST

START_TEST(test_parse_errors_have_positions)
{
	struct cfg_diags ds;
	struct cfg_json *j;
	size_t pos = 0;
	const char *key;
	struct cfg_json *val;
	static const char dup[] = "{\"a\": 1,\n \"a\": 2}";
	static const char bad[] = "{\"a\": 1,\n  \"b\" 2}";
	static const char good[] = "{\"b\": \"x\", \"a\": [1, 2]}";

	cfg_diags_init(&ds);
	ck_assert_ptr_null(cfg_json_parse(dup, strlen(dup), "in.json", &ds));
	ck_assert_uint_eq(ds.n, 1);
	ck_assert_uint_eq(ds.v[0].line, 2);
	ck_assert_ptr_null(cfg_json_parse(bad, strlen(bad), "in.json", &ds));
	ck_assert_uint_eq(ds.v[1].line, 2);
	ck_assert_uint_gt(ds.v[1].col, 0);
	j = cfg_json_parse(good, strlen(good), "in.json", &ds);
	ck_assert_ptr_nonnull(j);
	ck_assert_int_eq(cfg_json_object_next(j, &pos, &key, &val), 1);
	ck_assert_str_eq(key, "b");
	ck_assert_str_eq(cfg_json_string_value(val), "x");
	ck_assert_int_eq(cfg_json_object_next(j, &pos, &key, &val), 1);
	ck_assert_str_eq(key, "a");
	ck_assert_uint_eq(cfg_json_size(val), 2);
	ck_assert_int_eq(cfg_json_integer_value(cfg_json_array_get(val, 1)), 2);
	ck_assert_int_eq(cfg_json_object_next(j, &pos, &key, &val), 0);
	cfg_json_free(j);
	cfg_diags_fini(&ds);
}
END_TEST

START_TEST(test_invalid_utf8_is_kept_visible)
{
	struct cfg_json *s = cfg_json_string("a\xff"
	                                     "b");
	ck_assert_str_eq(cfg_json_string_value(s), "a\xef\xbf\xbd"
	                                           "b");
	cfg_json_free(s);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("json");
	TCase *tc = tcase_create("core");
	SRunner *sr;
	int failed;

	tcase_add_test(tc, test_build_and_dump_in_order);
	tcase_add_test(tc, test_parse_errors_have_positions);
	tcase_add_test(tc, test_invalid_utf8_is_kept_visible);
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
