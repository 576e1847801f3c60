/*
 * test_doctree.c - YAML/JSON documents read as positioned trees, and their limits
 */
#include "config.h"

#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "cfg/base/diag.h"
#include "cfg/io/doctree.h"

/* parse - parse text, expecting success */
static struct cfg_doc *parse(const char *text, size_t len)
{
	struct cfg_diags ds;
	struct cfg_doc *doc = NULL;

	cfg_diags_init(&ds);
	ck_assert_msg(cfg_doc_parse(text, len, "t", &doc, &ds) == 0, "%s",
	              ds.n ? ds.v[0].msg : "?");
	cfg_diags_fini(&ds);
	return doc;
}

/* refused - parse text, expecting failure with code at line:col; returns nothing */
static void refused(const char *text, size_t len, const char *code, unsigned line, unsigned col)
{
	struct cfg_diags ds;
	struct cfg_doc *doc = (void *)1;

	cfg_diags_init(&ds);
	ck_assert_int_eq(cfg_doc_parse(text, len, "t", &doc, &ds), -1);
	ck_assert_ptr_null(doc);
	ck_assert_uint_ge(ds.n, 1);
	ck_assert_str_eq(ds.v[0].code, code);
	ck_assert_str_eq(ds.v[0].file, "t");
	if (line) {
		ck_assert_uint_eq(ds.v[0].line, line);
		ck_assert_uint_eq(ds.v[0].col, col);
	}
	cfg_diags_fini(&ds);
}

/* REFUSED - refused() of a string literal */
#define REFUSED(lit, code, line, col) refused(lit, sizeof(lit) - 1, code, line, col)

START_TEST(yaml_scalars_untyped)
{
	static const char t[] = "a: no\nb: 0777\nc: '012'\nd: 1h\ne:\nf: \"on\"\n";
	struct cfg_doc *doc = parse(t, strlen(t));
	const struct cfg_doc_node *r = doc->root;

	ck_assert_int_eq(doc->json, 0);
	ck_assert_int_eq(r->kind, CFG_DOC_MAP);
	ck_assert_uint_eq(r->n, 6);
	ck_assert_str_eq(cfg_doc_get(r, "a")->text, "no");
	ck_assert_int_eq(cfg_doc_get(r, "a")->plain, 1);
	ck_assert_str_eq(cfg_doc_get(r, "b")->text, "0777");
	ck_assert_str_eq(cfg_doc_get(r, "c")->text, "012");
	ck_assert_int_eq(cfg_doc_get(r, "c")->plain, 0);
	ck_assert_str_eq(cfg_doc_get(r, "d")->text, "1h");
	ck_assert_str_eq(cfg_doc_get(r, "e")->text, "");
	ck_assert_int_eq(cfg_doc_bool(doc, cfg_doc_get(r, "a")), -1); /* "no" is text here */
	ck_assert_int_eq(cfg_doc_get(r, "f")->plain, 0);
	/* positions are 1-based */
	ck_assert_uint_eq(cfg_doc_get(r, "b")->line, 2);
	ck_assert_uint_eq(cfg_doc_get(r, "b")->col, 4);
	cfg_doc_free(doc);
}
END_TEST

START_TEST(json_literals)
{
	static const char t[] = "  {\"a\": true, \"b\": [1, \"x\"], \"c\": null, \"d\": \"true\"}";
	struct cfg_doc *doc = parse(t, strlen(t));
	const struct cfg_doc_node *r = doc->root;

	ck_assert_int_eq(doc->json, 1);
	ck_assert_int_eq(cfg_doc_bool(doc, cfg_doc_get(r, "a")), 1);
	ck_assert_int_eq(cfg_doc_bool(doc, cfg_doc_get(r, "d")), -1);
	ck_assert(cfg_doc_is_number(doc, cfg_doc_get(r, "b")->items[0]));
	ck_assert(!cfg_doc_is_number(doc, cfg_doc_get(r, "b")->items[1]));
	ck_assert(cfg_doc_is_null(doc, cfg_doc_get(r, "c")));
	ck_assert_str_eq(cfg_doc_describe(doc, cfg_doc_get(r, "b")), "a list");
	ck_assert_uint_eq(cfg_doc_get(r, "c")->line, 1);
	cfg_doc_free(doc);
}
END_TEST

START_TEST(nul_kept_in_quoted)
{
	static const char t[] = "a: \"x\\0y\"\n";
	struct cfg_doc *doc = parse(t, strlen(t));
	const struct cfg_doc_node *a = cfg_doc_get(doc->root, "a");

	ck_assert_uint_eq(a->len, 3);
	ck_assert_int_eq(a->text[1], 0);
	cfg_doc_free(doc);
}
END_TEST

START_TEST(refusals)
{
	REFUSED("a: &x 1\nb: *x\n", "doc-alias", 2, 4);
	REFUSED("b: {a: 1}\nc:\n  <<: {a: 2}\n", "doc-alias", 3, 3);
	REFUSED("a: 1\nb: 2\na: 3\n", "doc-key", 3, 1);
	REFUSED("a: !!int 1\n", "doc-tag", 1, 4);
	REFUSED("? [a]\n: 1\n", "doc-key", 1, 3);
	REFUSED("a: 1\n---\nb: 2\n", "doc-multi", 2, 1);
	REFUSED("a: [1\n", "doc-syntax", 0, 0);
	REFUSED("{\"a\": 1,}", "doc-syntax", 1, 9);
	REFUSED("a: caf\xe9\n", "doc-syntax", 0, 0);
}
END_TEST

START_TEST(limits)
{
	size_t big = CFG_DOC_MAX_BYTES + 1;
	char *t = malloc(big);
	char deep[200];
	size_t i;

	memset(t, 'a', big);
	refused(t, big, "doc-limit", 0, 0);
	free(t);
	for (i = 0; i < 40; i++)
		deep[i] = '[';
	for (; i < 80; i++)
		deep[i] = ']';
	refused(deep, 80, "doc-limit", 1, CFG_DOC_MAX_DEPTH + 1);
}
END_TEST

START_TEST(empty_and_markers)
{
	struct cfg_doc *doc = parse("", 0);

	ck_assert_ptr_null(doc->root);
	cfg_doc_free(doc);
	doc = parse("# only a comment\n", sizeof("# only a comment\n") - 1);
	ck_assert_ptr_null(doc->root);
	cfg_doc_free(doc);
	doc = parse("\xef\xbb\xbf---\na: 1\n...\n", sizeof("\xef\xbb\xbf---\na: 1\n...\n") - 1);
	ck_assert_str_eq(cfg_doc_get(doc->root, "a")->text, "1");
	cfg_doc_free(doc);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("doctree");
	TCase *tc = tcase_create("core");
	SRunner *sr;
	int failed;

	tcase_add_test(tc, yaml_scalars_untyped);
	tcase_add_test(tc, json_literals);
	tcase_add_test(tc, nul_kept_in_quoted);
	tcase_add_test(tc, refusals);
	tcase_add_test(tc, limits);
	tcase_add_test(tc, empty_and_markers);
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
