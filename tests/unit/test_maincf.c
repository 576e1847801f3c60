/* test_maincf.c - check suite for the main.cf document (expected values from Postfix 3.7 postconf) */
#include "config.h"

#include <check.h>
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cfg/base/buf.h"
#include "cfg/base/diag.h"
#include "cfg/base/fileio.h"
#include "cfg/doc/maincf.h"
#include "cfg/base/xalloc.h"

/* describe - "name=value@line-last|..." then the diagnostics "S code line: msg|" */
static char *describe(const char *in, size_t len, int *rc)
{
	struct cfg_maincf *doc;
	struct cfg_diags ds;
	struct cfg_buf out;

	cfg_diags_init(&ds);
	cfg_buf_init(&out);
	*rc = cfg_maincf_parse("DIR/main.cf", in, len, &doc, &ds);
	for (size_t i = 0; i < doc->nents; i++)
		cfg_buf_printf(&out, "%s=%s@%u-%u|", doc->ents[i].name, doc->ents[i].value,
		               doc->ents[i].line, doc->ents[i].last);
	for (size_t i = 0; i < ds.n; i++)
		cfg_buf_printf(&out, "%c %s %u: %s|", toupper(cfg_severity_name(ds.v[i].sev)[0]),
		               ds.v[i].code, ds.v[i].line, ds.v[i].msg);
	cfg_maincf_free(doc);
	cfg_diags_fini(&ds);
	return cfg_buf_take(&out);
}

static const struct mcase {
	const char *in;
	const char *want;
	int rc;
} cases[] = {
    /* basic forms and whitespace */
    {"a = b\n", "a=b@1-1|", 0},
    {"a=b", "a=b@1-1|", 0},
    {"a\t=\t b  c \t\r\n", "a=b  c@1-1|", 0},
    {"mydomain=    \n", "mydomain=@1-1|", 0},
    {"name=\n", "name=@1-1|", 0},
    {"x-y = foo\n", "x-y=foo@1-1|", 0},
    {"a == b\n", "a== b@1-1|", 0},
    {"a = b = c\n", "a=b = c@1-1|", 0},
    /* '#' is a comment only at the start of a line */
    {"smtpd_banner = $myhostname ESMTP # not a comment\n",
     "smtpd_banner=$myhostname ESMTP # not a comment@1-1|", 0},
    {"# a = 1\n  # b = 2\n\n \t\nc = 3\n", "c=3@5-5|", 0},
    /* continuation joined without the newline; comments and blanks inside do not end it */
    {"mydestination = $myhostname,\n    localhost.$mydomain,\n\tlocalhost\n",
     "mydestination=$myhostname,    localhost.$mydomain,\tlocalhost@1-3|", 0},
    {"a = b\n# c\n\n  d\ne = f\n", "a=b  d@1-4|e=f@5-5|", 0},
    {"a = b\n = novalue\n", "a=b = novalue@1-2|", 0},
    {"a = b\r\n  c\r\n", "a=b\r  c@1-2|", 0},
    {"a =\n  b\n", "a=b@1-2|", 0},
    {"a = b\n# trailing comment\n", "a=b@1-1|", 0},
    /* missing '=' and missing name: fatal, whole logical line quoted */
    {"justtext more words\n",
     "F maincf-missing-equals 1: DIR/main.cf, line 1: missing '=' after attribute name: "
     "\"justtext more words\"|",
     -1},
    {"name value = x\n",
     "F maincf-missing-equals 1: DIR/main.cf, line 1: missing '=' after attribute name: "
     "\"name value = x\"|",
     -1},
    {"a b=c\n",
     "F maincf-missing-equals 1: DIR/main.cf, line 1: missing '=' after attribute "
     "name: \"a b=c\"|",
     -1},
    {"x = 1\n\ny\n  more\n",
     "x=1@1-1|F maincf-missing-equals 3: DIR/main.cf, line 3: missing "
     "'=' after attribute name: \"y  more\"|",
     -1},
    {"=value\n",
     "F maincf-missing-name 1: DIR/main.cf, line 1: missing attribute name: "
     "\"=value\"|",
     -1},
    /* non-printable bytes shown as '?' (Postfix's logger), UTF-8 included */
    {"a\tb\n",
     "F maincf-missing-equals 1: DIR/main.cf, line 1: missing '=' after attribute "
     "name: \"a?b\"|",
     -1},
    {"name value\r\n",
     "F maincf-missing-equals 1: DIR/main.cf, line 1: missing '=' after "
     "attribute name: \"name value?\"|",
     -1},
    {"na\xc3\xa9me value\n",
     "F maincf-missing-equals 1: DIR/main.cf, line 1: missing '=' "
     "after attribute name: \"na??me value\"|",
     -1},
    /* orphan continuation at the top: one warning, text cut at 30 bytes */
    {" = x\n",
     "W maincf-leading-whitespace 1: DIR/main.cf: logical line must not start with "
     "whitespace: \" = x\"|",
     0},
    {"  leading = ws\nb = 1\n",
     "b=1@2-2|W maincf-leading-whitespace 1: DIR/main.cf: logical "
     "line must not start with whitespace: \"  leading = ws\"|",
     0},
    {"  orphan = abcdefghijklmnopqrstuvwxyz0123456789\n  second\nmydomain=x\n",
     "mydomain=x@3-3|W maincf-leading-whitespace 1: DIR/main.cf: logical line must not start "
     "with whitespace: \"  orphan = abcdefghijklmnopqrs...\"|",
     0},
    {"  orphan\n\n  second\n#c\n  third\nmydomain=x\n",
     "mydomain=x@6-6|W maincf-leading-whitespace 1: DIR/main.cf: logical line must not start "
     "with whitespace: \"  orphan  second  third\"|",
     0},
    /* duplicates: warnings as Postfix's two reads print them, each once */
    {"mydomain = a.org\nb = 2\nmydomain = b.org\n",
     "mydomain=a.org@1-1|b=2@2-2|mydomain=b.org@3-3|"
     "W maincf-duplicate 3: DIR/main.cf, line 3: overriding earlier entry: mydomain=a.org|"
     "W maincf-duplicate 1: DIR/main.cf, line 1: overriding earlier entry: mydomain=b.org|",
     0},
    {"mydomain = a.org\nb = 2\nmydomain = b.org\nmydomain = c.org\n",
     "mydomain=a.org@1-1|b=2@2-2|mydomain=b.org@3-3|mydomain=c.org@4-4|"
     "W maincf-duplicate 3: DIR/main.cf, line 3: overriding earlier entry: mydomain=a.org|"
     "W maincf-duplicate 4: DIR/main.cf, line 4: overriding earlier entry: mydomain=b.org|"
     "W maincf-duplicate 1: DIR/main.cf, line 1: overriding earlier entry: mydomain=c.org|",
     0},
    {"mydomain = 1\nmyhostname = 1.x\nmydomain=2\nmyhostname = 2.x\n",
     "mydomain=1@1-1|myhostname=1.x@2-2|mydomain=2@3-3|myhostname=2.x@4-4|"
     "W maincf-duplicate 3: DIR/main.cf, line 3: overriding earlier entry: mydomain=1|"
     "W maincf-duplicate 4: DIR/main.cf, line 4: overriding earlier entry: myhostname=1.x|"
     "W maincf-duplicate 1: DIR/main.cf, line 1: overriding earlier entry: mydomain=2|"
     "W maincf-duplicate 2: DIR/main.cf, line 2: overriding earlier entry: myhostname=2.x|",
     0},
    {"mydomain = 1\nmydomain=2\nmydomain=1\n",
     "mydomain=1@1-1|mydomain=2@2-2|mydomain=1@3-3|"
     "W maincf-duplicate 2: DIR/main.cf, line 2: overriding earlier entry: mydomain=1|"
     "W maincf-duplicate 3: DIR/main.cf, line 3: overriding earlier entry: mydomain=2|",
     0},
    {"mydomain = a.org\nmydomain = a.org\n", "mydomain=a.org@1-1|mydomain=a.org@2-2|", 0},
    /* a fatal stops Postfix before its second read: no re-read duplicates */
    {"a = 1\na = 2\njunk\n",
     "a=1@1-1|a=2@2-2|W maincf-duplicate 2: DIR/main.cf, line 2: overriding earlier entry: "
     "a=1|F maincf-missing-equals 3: DIR/main.cf, line 3: missing '=' after attribute name: "
     "\"junk\"|",
     -1},
};

START_TEST(test_maincf_table)
{
	const struct mcase *c = &cases[_i];
	int rc;
	char *got = describe(c->in, strlen(c->in), &rc);

	ck_assert_msg(strcmp(got, c->want) == 0, "case %d %s: got \"%s\", want \"%s\"", _i, c->in,
	              got, c->want);
	ck_assert_msg(rc == c->rc, "case %d: got rc %d, want %d", _i, rc, c->rc);
	free(got);
}
END_TEST

/* embedded NUL bytes: Postfix reads each logical line as a C string */
START_TEST(test_maincf_nul)
{
	static const struct {
		const char *in;
		size_t len;
		const char *want;
		int rc;
	} nc[] = {
	    {"mydomain = x\0yz\n", 16, "mydomain=x@1-1|", 0},
	    {"a\0b = c\n", 8,
	     "F maincf-missing-equals 1: DIR/main.cf, line 1: missing '=' after "
	     "attribute name: \"a\"|",
	     -1},
	    {"\0abc\n", 5,
	     "F maincf-missing-name 1: DIR/main.cf, line 1: missing attribute "
	     "name: \"\"|",
	     -1},
	};

	for (size_t i = 0; i < sizeof(nc) / sizeof(nc[0]); i++) {
		int rc;
		char *got = describe(nc[i].in, nc[i].len, &rc);

		ck_assert_msg(strcmp(got, nc[i].want) == 0, "case %zu: got \"%s\", want \"%s\"", i,
		              got, nc[i].want);
		ck_assert_int_eq(rc, nc[i].rc);
		free(got);
	}
}
END_TEST

/* byte ranges, lookups and render */
START_TEST(test_maincf_ranges_and_get)
{
	static const char in[] = "# head\na = 1\n  more\n# mid\nb=2\na = 3\n# tail\n";
	struct cfg_maincf *doc;
	struct cfg_diags ds;
	struct cfg_buf b;
	const struct cfg_maincf_entry *e;

	cfg_diags_init(&ds);
	ck_assert_int_eq(cfg_maincf_parse("m", in, strlen(in), &doc, &ds), 0);
	ck_assert_uint_eq(doc->nents, 3);
	ck_assert_uint_eq(doc->ents[0].start, 7);
	ck_assert_uint_eq(doc->ents[0].end, 20);
	ck_assert_uint_eq(doc->ents[1].start, 26);
	ck_assert_uint_eq(doc->ents[1].end, 30);
	e = cfg_maincf_get(doc, "a");
	ck_assert_ptr_eq(e, &doc->ents[2]);
	ck_assert_uint_eq(e->prev, 1);
	ck_assert_uint_eq(doc->ents[0].prev, 0);
	ck_assert_str_eq(cfg_maincf_value(doc, "a"), "3");
	ck_assert_str_eq(cfg_maincf_value(doc, "b"), "2");
	ck_assert_ptr_null(cfg_maincf_get(doc, "c"));
	cfg_buf_init(&b);
	cfg_maincf_render(doc, &b);
	ck_assert_uint_eq(b.len, sizeof(in) - 1);
	ck_assert_mem_eq(b.data, in, b.len);
	cfg_buf_fini(&b);
	cfg_maincf_free(doc);
	cfg_maincf_free(NULL);
	cfg_diags_fini(&ds);
}
END_TEST

/* render == input for random byte soups built from main.cf-ish pieces */
START_TEST(test_maincf_roundtrip_property)
{
	static const char *const pieces[] = {"a",    "=",  " ",  "\t",   "\n",    "\r\n",
	                                     "#",    "{",  "}",  "name", "value", "\0",
	                                     "\xff", "$x", "  ", "\n\n"};
	unsigned seed = 12345;

	for (int iter = 0; iter < 2000; iter++) {
		struct cfg_buf in, out;
		struct cfg_maincf *doc;
		struct cfg_diags ds;
		int n;

		cfg_buf_init(&in);
		cfg_buf_init(&out);
		cfg_diags_init(&ds);
		seed = seed * 1103515245u + 12345u;
		n = (int)((seed >> 16) % 60);
		for (int k = 0; k < n; k++) {
			const char *p;

			seed = seed * 1103515245u + 12345u;
			p = pieces[(seed >> 16) % (sizeof(pieces) / sizeof(pieces[0]))];
			cfg_buf_add(&in, p, *p ? strlen(p) : 1);
		}
		cfg_maincf_parse("p", in.data, in.len, &doc, &ds);
		ck_assert_ptr_nonnull(doc);
		cfg_maincf_render(doc, &out);
		ck_assert_uint_eq(out.len, in.len);
		ck_assert_mem_eq(out.data, in.data, in.len);
		for (size_t i = 0; i < doc->nents; i++) {
			ck_assert(doc->ents[i].start < doc->ents[i].end);
			ck_assert(doc->ents[i].end <= in.len);
			ck_assert(i == 0 || doc->ents[i - 1].end <= doc->ents[i].start);
		}
		cfg_maincf_free(doc);
		cfg_diags_fini(&ds);
		cfg_buf_fini(&in);
		cfg_buf_fini(&out);
	}
}
END_TEST

/* load: missing file and a real one */
START_TEST(test_maincf_load)
{
	char dir[] = "/tmp/postkit-maincf-XXXXXX";
	struct cfg_maincf *doc;
	struct cfg_diags ds;
	char *path;

	cfg_diags_init(&ds);
	ck_assert_int_eq(cfg_maincf_load("/nonexistent/main.cf", &doc, &ds), -1);
	ck_assert_ptr_null(doc);
	ck_assert_str_eq(ds.v[0].msg, "open /nonexistent/main.cf: No such file or directory");
	ck_assert_ptr_nonnull(mkdtemp(dir));
	path = cfg_xasprintf("%s/main.cf", dir);
	ck_assert_int_eq(cfg_file_replace(path, "a = 1\n", 6, 0644, &ds), 0);
	ck_assert_int_eq(cfg_maincf_load(path, &doc, &ds), 0);
	ck_assert_str_eq(cfg_maincf_value(doc, "a"), "1");
	ck_assert_str_eq(doc->path, path);
	cfg_maincf_free(doc);
	unlink(path);
	rmdir(dir);
	free(path);
	cfg_diags_fini(&ds);
}
END_TEST

/*
 * a large document (with duplicates and continuations) parses completely;
 * the time is printed for information only: speed is measured in bench/,
 * never asserted in a unit test (a busy machine would make it flaky)
 */
START_TEST(test_maincf_large)
{
	struct cfg_buf in;
	struct cfg_maincf *doc;
	struct cfg_diags ds;
	struct timespec t0, t1;
	double ms;

	cfg_buf_init(&in);
	for (int i = 0; i < 100000; i++) {
		if (i % 10 == 9)
			cfg_buf_printf(&in, "  continued_%d\n", i);
		else if (i % 10 == 5)
			cfg_buf_printf(&in, "# comment %d\n", i);
		else
			cfg_buf_printf(&in, "param_%d = $param_%d value %d\n", i % 99000, i + 1, i);
	}
	cfg_diags_init(&ds);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	cfg_maincf_parse("big", in.data, in.len, &doc, &ds);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	ms = (double)(t1.tv_sec - t0.tv_sec) * 1e3 + (double)(t1.tv_nsec - t0.tv_nsec) / 1e6;
	ck_assert_uint_eq(doc->nents, 80000);
	fprintf(stderr, "test_maincf_large: 100000 lines in %.1f ms\n", ms);
	ck_assert_str_eq(cfg_maincf_get(doc, "param_0")->value, "$param_99001 value 99000");
	cfg_maincf_free(doc);
	cfg_diags_fini(&ds);
	cfg_buf_fini(&in);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("maincf");
	TCase *tc = tcase_create("core");
	SRunner *sr;
	int failed;

	tcase_set_timeout(tc, 60);
	tcase_add_loop_test(tc, test_maincf_table, 0, (int)(sizeof(cases) / sizeof(cases[0])));
	tcase_add_test(tc, test_maincf_nul);
	tcase_add_test(tc, test_maincf_ranges_and_get);
	tcase_add_test(tc, test_maincf_roundtrip_property);
	tcase_add_test(tc, test_maincf_load);
	tcase_add_test(tc, test_maincf_large);
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
