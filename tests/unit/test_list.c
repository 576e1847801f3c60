/* test_list.c - check suite for Postfix list splitting */
#include "config.h"

#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "cfg/diag.h"
#include "cfg/list.h"
#include "cfg/strvec.h"

START_TEST(test_list_basic)
{
	struct cfg_strvec sv;

	cfg_strvec_init(&sv);
	ck_assert_int_eq(cfg_list_split(" a, b,,{ c d }", &sv, NULL, NULL), 0);
	ck_assert_uint_eq(sv.n, 3);
	ck_assert_str_eq(sv.v[2], "c d");
	cfg_strvec_fini(&sv);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("list");
	TCase *tc = tcase_create("core");
	SRunner *sr;
	int failed;

	tcase_add_test(tc, test_list_basic);
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
