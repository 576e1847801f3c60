/*
 * test_export.c - typed export values, YAML output, export document shape
 */
#include "config.h"

#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "cfg/base/buf.h"
#include "cfg/io/export.h"
#include "cfg/io/json.h"
#include "cfg/io/yaml.h"

/* dump - compact JSON of j, then free j */
static char *dump(struct cfg_json *j)
{
	struct cfg_buf b;

	cfg_buf_init(&b);
	cfg_json_dump(j, CFG_JSON_COMPACT, &b);
	cfg_json_free(j);
	return cfg_buf_take(&b);
}

static const struct {
	const char *name, *value, *want;
} value_cases[] = {
    {"biff", "yes", "true"},
    {"biff", "no", "false"},
    {"biff", "No", "\"No\""},
    {"biff", "$x", "\"$x\""},
    {"default_process_limit", "100", "100"},
    {"default_process_limit", "0100", "\"0100\""},
    {"default_process_limit", "012", "\"012\""},
    {"default_process_limit", "0", "\"0\""}, /* below its minimum 1: kept as text */
    {"default_process_limit", "1", "1"},
    {"smtpd_timeout", "300", "\"300\""}, /* a time: text with or without its unit */
    {"maximal_queue_lifetime", "1h", "\"1h\""},
    {"message_size_limit", "10240000", "\"10240000\""},
    {"mydestination", "a, b, c", "[\"a\", \"b\", \"c\"]"},
    {"mydestination", "a b", "\"a b\""},
    {"mydestination", "a, { b c }", "\"a, { b c }\""},
    {"alias_maps", "hash:/etc/aliases", "[\"hash:/etc/aliases\"]"},
    {"myhostname", "on", "\"on\""},
    {"unknown_thing", "yes", "\"yes\""},
    {"mynetworks", "", "\"\""},
};

START_TEST(test_values)
{
	for (size_t i = 0; i < sizeof value_cases / sizeof value_cases[0]; i++) {
		char *got = dump(cfg_export_value(value_cases[i].name, value_cases[i].value));

		ck_assert_msg(strcmp(got, value_cases[i].want) == 0, "%s = %s: got %s, want %s",
		              value_cases[i].name, value_cases[i].value, got, value_cases[i].want);
		free(got);
	}
}
END_TEST

START_TEST(test_yaml)
{
	struct cfg_json *o = cfg_json_object(), *m = cfg_json_object(), *a = cfg_json_array();
	struct cfg_json *svc = cfg_json_object();
	struct cfg_buf b;
	const char *want = "---\n"
	                   "\"main\":\n"
	                   "  \"biff\": false\n"
	                   "  \"n\": 7\n"
	                   "  \"s\": \"no\"\n"
	                   "\"master\":\n"
	                   "  - \"name\": \"smtp\"\n"
	                   "    \"args\": []\n"
	                   "    \"overrides\": {}\n";

	cfg_json_object_set(m, "biff", cfg_json_bool(0));
	cfg_json_object_set(m, "n", cfg_json_integer(7));
	cfg_json_object_set(m, "s", cfg_json_string("no"));
	cfg_json_object_set(o, "main", m);
	cfg_json_object_set(svc, "name", cfg_json_string("smtp"));
	cfg_json_object_set(svc, "args", cfg_json_array());
	cfg_json_object_set(svc, "overrides", cfg_json_object());
	cfg_json_array_append(a, svc);
	cfg_json_object_set(o, "master", a);
	cfg_buf_init(&b);
	cfg_yaml_emit(o, &b);
	ck_assert_str_eq(b.data, want);
	cfg_buf_fini(&b);
	cfg_json_free(o);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("export");
	TCase *tc = tcase_create("core");
	SRunner *sr;
	int failed;

	tcase_add_test(tc, test_values);
	tcase_add_test(tc, test_yaml);
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
