/* test_mastercf.c - check suite for the master.cf document (expected values from Postfix 3.7 postconf) */
#include "config.h"

#include <check.h>
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cfg/base/buf.h"
#include "cfg/base/diag.h"
#include "cfg/base/fileio.h"
#include "cfg/doc/mastercf.h"
#include "cfg/base/xalloc.h"

/*
 * describe - per service "f0 f1 .. f6 [argv0][argv1].. {name=value}..@line-last;" then
 * the diagnostics "S code line: msg|"
 */
static char *describe(const char *in, size_t len, int *rc)
{
	struct cfg_mastercf *doc;
	struct cfg_diags ds;
	struct cfg_buf out;

	cfg_diags_init(&ds);
	cfg_buf_init(&out);
	*rc = cfg_mastercf_parse("DIR/master.cf", in, len, &doc, &ds);
	for (size_t i = 0; i < doc->nsvcs; i++) {
		const struct cfg_service *s = &doc->svcs[i];

		for (int f = 0; f < CFG_MF_COMMAND; f++)
			cfg_buf_printf(&out, "%s ", s->field[f]);
		for (size_t a = 0; a < s->argv.n; a++)
			cfg_buf_printf(&out, "[%s]", s->argv.v[a]);
		ck_assert_ptr_null(s->argv.v[s->argv.n]);
		for (size_t o = 0; o < s->novr; o++) {
			cfg_buf_printf(&out, " {%s=%s}", s->ovr[o].name, s->ovr[o].value);
			ck_assert(s->ovr[o].arg < s->argv.n);
		}
		cfg_buf_printf(&out, "@%u-%u;", s->line, s->last);
	}
	for (size_t i = 0; i < ds.n; i++)
		cfg_buf_printf(&out, "%c %s %u: %s|", toupper(cfg_severity_name(ds.v[i].sev)[0]),
		               ds.v[i].code, ds.v[i].line, ds.v[i].msg);
	cfg_mastercf_free(doc);
	cfg_diags_fini(&ds);
	return cfg_buf_take(&out);
}

#define E7 "a inet n - n - - "

static const struct mcase {
	const char *in;
	const char *want;
	int rc;
} cases[] = {
    {"smtp      inet  n       -       y       -       -       smtpd\n",
     "smtp inet n - y - - [smtpd]@1-1;", 0},
    {"# c\n\nrelay unix - - y - - smtp\n  -o syslog_name=postfix/$service_name\n",
     "relay unix - - y - - [smtp][-o][syslog_name=postfix/$service_name]"
     " {syslog_name=postfix/$service_name}@3-4;",
     0},
    /* option normalisation, observed with postconf -M and -P */
    {E7 "smtpd -o { x = 1 y } -o{z=2} -vo w=3 -Do u=4 -verbose arg { a  b } c{d e}f {} -o t=5\n",
     "a inet n - n - - [smtpd][-o][x=1 y][-o][z=2][-v][-o][w=3][-D][-o][u=4][-verb][-o][se]"
     "[arg][a  b][c{d e}f][][-o][t=5] {x=1 y} {z=2} {w=3} {u=4}@1-1;",
     0},
    {E7 "smtpd - { a b } c\n", "a inet n - n - - [smtpd][-][a b][c]@1-1;", 0},
    {E7 "smtpd - -o a=b -o c=d\n", "a inet n - n - - [smtpd][-][-o][a=b][-o][c=d]@1-1;", 0},
    {E7 "smtpd -- -o { a = b } c\n", "a inet n - n - - [smtpd][--][-o][a = b][c]@1-1;", 0},
    {E7 "smtpd -o\n", "a inet n - n - - [smtpd][-o]@1-1;", 0},
    {E7 "smtpd -o a=b=c -o =x -o novalue\n",
     "a inet n - n - - [smtpd][-o][a=b=c][-o][=x][-o][novalue] {a=b=c}@1-1;", 0},
    {E7 "smtpd -o a=1 -o a=2\n", "a inet n - n - - [smtpd][-o][a=1][-o][a=2] {a=1} {a=2}@1-1;", 0},
    {E7 "smtpd -ooa -o -vo\n", "a inet n - n - - [smtpd][-o][-oa][-o][-vo]@1-1;", 0},
    {E7 "smtpd -oxo y\n", "a inet n - n - - [smtpd][-o][x][-o][y]@1-1;", 0},
    {"{a b} inet n - n - - {smtpd x} -o a=b\n",
     "{a b} inet n - n - - [{smtpd x}][-o][a=b] {a=b}@1-1;", 0},
    {E7 "smtpd -o \" a = b \"\n", "a inet n - n - - [smtpd][-o][\"][a][=][b][\"]@1-1;", 0},
    /* brace problems: warnings with the literal "master.cf" */
    {E7 "smtpd -o {x}\n",
     "a inet n - n - - [smtpd][-o][x]@1-1;W mastercf-override-syntax 1: master.cf: missing "
     "'=' after attribute name: \"x\"|",
     0},
    {E7 "smtpd -o { = y } -o {}\n",
     "a inet n - n - - [smtpd][-o][= y][-o][]@1-1;W mastercf-override-syntax 1: master.cf: "
     "missing attribute name: \"= y\"|W mastercf-override-syntax 1: master.cf: missing "
     "attribute name: \"\"|",
     0},
    {E7 "smtpd -o {x=1\n",
     "a inet n - n - - [smtpd][-o][x=1] {x=1}@1-1;W mastercf-braces 1: master.cf: missing '}' "
     "in \"{x=1\"|",
     0},
    {E7 "smtpd -o { a = b \n",
     "a inet n - n - - [smtpd][-o][a=b] {a=b}@1-1;W mastercf-braces 1: master.cf: missing '}' "
     "in \"{ a = b \"|",
     0},
    {E7 "smtpd {x=1\n",
     "a inet n - n - - [smtpd][x=1]@1-1;W mastercf-braces 1: master.cf: "
     "missing '}' in \"{x=1\"|",
     0},
    {E7 "smtpd {x} y}\n", "a inet n - n - - [smtpd][x][y}]@1-1;", 0},
    {E7 "smtpd -o {x=1}y\n",
     "a inet n - n - - [smtpd][-o][x=1] {x=1}@1-1;W mastercf-braces 1: master.cf: syntax error "
     "after '}' in \"{x=1}y\"|",
     0},
    /* a comment inside a continuation does not end it */
    {E7 "smtpd -o {a=b}\n#x\n  -o {c=d}x\n\nb inet n - n - - smtpd -o a=1\n",
     "a inet n - n - - [smtpd][-o][a=b][-o][c=d] {a=b} {c=d}@1-3;"
     "b inet n - n - - [smtpd][-o][a=1] {a=1}@5-5;W mastercf-braces 1: master.cf: syntax error "
     "after '}' in \"{c=d}x\"|",
     0},
    /* duplicates are kept */
    {"b inet n - n - - smtpd -o a=1\nb inet n - n - - smtpd -o c=1\n",
     "b inet n - n - - [smtpd][-o][a=1] {a=1}@1-1;b inet n - n - - [smtpd][-o][c=1] {c=1}@2-2;", 0},
    /* the types Postfix 3.7 accepts, and the field checks */
    {"a unix-dgram n - n - - x\nb pass - - - - - x\nc fifo - - - - - x\nd unix y y y 0 0 x\n",
     "a unix-dgram n - n - - [x]@1-1;b pass - - - - - [x]@2-2;c fifo - - - - - [x]@3-3;"
     "d unix y y y 0 0 [x]@4-4;",
     0},
    {"a inet n - n 10? - x\nb inet n - n ? - x\nc inet n - n -? 7 x\n",
     "a inet n - n 10? - [x]@1-1;b inet n - n ? - [x]@2-2;c inet n - n -? 7 [x]@3-3;", 0},
    {"# c\n\na inet n - n - -\n",
     "F mastercf-field-count 3: file DIR/master.cf: line 3: bad field count|", -1},
    {"a inet n - n - -\n  - smtpd\nb   tcp  n - n - - smtpd\n  -o x=1\n",
     "a inet n - n - - [-][smtpd]@1-2;F mastercf-invalid-type 3: invalid type field \"tcp\" in "
     "\"b   tcp  n - n - - smtpd  -o x=1\"|",
     -1},
    {"a\vinet n - n - - smtpd\n",
     "F mastercf-field-count 1: file DIR/master.cf: line 1: bad field count|", -1},
    {"a inet x - n - - smtpd\n",
     "F mastercf-invalid-field 1: invalid private field \"x\" in "
     "\"a inet x - n - - smtpd\"|",
     -1},
    {"a inet n yy n - - smtpd\n",
     "F mastercf-invalid-field 1: invalid unprivileged field "
     "\"yy\" in \"a inet n yy n - - smtpd\"|",
     -1},
    {"a inet n - Y - - smtpd\n",
     "F mastercf-invalid-field 1: invalid chroot field \"Y\" in "
     "\"a inet n - Y - - smtpd\"|",
     -1},
    {"a inet n - n 10x - smtpd\n",
     "F mastercf-invalid-field 1: invalid wakeup field \"10x\" in "
     "\"a inet n - n 10x - smtpd\"|",
     -1},
    {"c inet n - n - 1x smtpd\n",
     "F mastercf-invalid-field 1: invalid process_limit field "
     "\"1x\" in \"c inet n - n - 1x smtpd\"|",
     -1},
    {"a tcp n - n - - smtpd\r\n",
     "F mastercf-invalid-type 1: invalid type field \"tcp\" in "
     "\"a tcp n - n - - smtpd?\"|",
     -1},
    /* orphan at the top */
    {"  a inet n - n - - smtpd -o a=1 -o a=2\n#\n  x\n b inet n - n - - smtpd -o a=1\n",
     "W mastercf-leading-whitespace 1: DIR/master.cf: logical line must not start with "
     "whitespace: \"  a inet n - n - - smtpd -o a=...\"|",
     0},
};

START_TEST(test_mastercf_table)
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

/* the Debian master.cf: every entry parses, render is the input */
START_TEST(test_mastercf_find_render)
{
	static const char in[] =
	    "# head\nsmtp inet n - y - - smtpd\n"
	    "submission inet n - y - - smtpd\n  -o syslog_name=postfix/submission\n"
	    "  -o smtpd_tls_security_level=encrypt\n#tail\n";
	struct cfg_mastercf *doc;
	struct cfg_diags ds;
	struct cfg_buf b;
	const struct cfg_service *s;

	cfg_diags_init(&ds);
	ck_assert_int_eq(cfg_mastercf_parse("m", in, strlen(in), &doc, &ds), 0);
	ck_assert_uint_eq(ds.n, 0);
	s = cfg_mastercf_find(doc, "submission", "inet");
	ck_assert_ptr_eq(s, &doc->svcs[1]);
	ck_assert_str_eq(cfg_service_override(s, "syslog_name"), "postfix/submission");
	ck_assert_ptr_null(cfg_service_override(s, "nosuch"));
	ck_assert_ptr_null(cfg_mastercf_find(doc, "submission", "unix"));
	ck_assert_uint_eq(s->start, 33);
	ck_assert_uint_eq(s->end, strlen(in) - 6);
	ck_assert_str_eq(cfg_master_field_name(CFG_MF_MAXPROC), "process_limit");
	ck_assert_str_eq(cfg_master_field_name(CFG_MF_UNPRIV), "unprivileged");
	cfg_buf_init(&b);
	cfg_mastercf_render(doc, &b);
	ck_assert_str_eq(b.data, in);
	cfg_buf_fini(&b);
	cfg_mastercf_free(doc);
	cfg_mastercf_free(NULL);
	cfg_diags_fini(&ds);
}
END_TEST

START_TEST(test_mastercf_load)
{
	struct cfg_mastercf *doc;
	struct cfg_diags ds;

	cfg_diags_init(&ds);
	ck_assert_int_eq(cfg_mastercf_load("/nonexistent/master.cf", &doc, &ds), -1);
	ck_assert_ptr_null(doc);
	ck_assert_str_eq(ds.v[0].msg, "open /nonexistent/master.cf: No such file or directory");
	cfg_diags_fini(&ds);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("mastercf");
	TCase *tc = tcase_create("core");
	SRunner *sr;
	int failed;

	tcase_add_loop_test(tc, test_mastercf_table, 0, (int)(sizeof(cases) / sizeof(cases[0])));
	tcase_add_test(tc, test_mastercf_find_render);
	tcase_add_test(tc, test_mastercf_load);
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
