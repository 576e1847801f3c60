/* test_check.c - check suite for libcfg/check: placeholder, filled in below */
#include "config.h"

#include <check.h>
#include <stdlib.h>

#include "cfg/check.h"

START_TEST(test_distance)
{
	ck_assert_uint_eq(cfg_check_edit_distance("myhostnmae", "myhostname", 3), 1);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("check");
	TCase *tc = tcase_create("core");
	SRunner *sr;
	int failed;

	tcase_add_test(tc, test_distance);
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
