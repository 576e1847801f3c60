/*
 * test_mapquery.c - check suite for the search orders of cfg/mapquery.h
 *
 * Each table below answers every key of one search order with the key's own
 * name, so a lookup tells which key matched first; removing keys one by one
 * walks the whole order (Postfix's access(5), virtual(5), canonical(5),
 * transport(5), aliases(5)).
 */
#include "config.h"

#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cfg/map/mapquery.h"
#include "cfg/base/xalloc.h"

/* open_list - a list of tables, failing the test on error */
static struct cfg_maplist *open_list(const char *spec)
{
	struct cfg_maplist *ml;
	struct cfg_diags d;

	cfg_diags_init(&d);
	ck_assert_msg(cfg_maplist_open(spec, CFG_MAP_FOLD, &ml, &d) == 0, "open %s: %s", spec,
	              d.n ? d.v[0].msg : "?");
	cfg_diags_fini(&d);
	return ml;
}

/* inline_of - "inline:{ {k=k}, ... }" for the keys in keys[0..n) */
static char *inline_of(const char *const *keys, size_t n)
{
	struct cfg_buf b;

	cfg_buf_init(&b);
	cfg_buf_adds(&b, "inline:{");
	for (size_t i = 0; i < n; i++)
		cfg_buf_printf(&b, " {%s=%s},", keys[i], keys[i]);
	cfg_buf_adds(&b, " }");
	return cfg_buf_take(&b);
}

enum kind { ACCESS_ADDR, ACCESS_HOST, ACCESS_IP, TRANSPORT, ALIAS, VIRTUAL };

/* run - query with one table holding keys[from..n); return the matched key, "" for none */
static char *run(enum kind k, const char *const *keys, size_t from, size_t n, const char *q,
                 const struct cfg_mapq_opts *o)
{
	char *spec = inline_of(keys + from, n - from);
	struct cfg_maplist *ml = open_list(spec);
	struct cfg_diags d;
	struct cfg_buf matched;
	struct cfg_strvec out;
	const char *value = NULL;
	int r = 0, stripped;
	char *got;

	cfg_diags_init(&d);
	cfg_buf_init(&matched);
	cfg_strvec_init(&out);
	switch (k) {
	case ACCESS_ADDR:
		r = cfg_mapq_access_addr(ml, q, o, &value, &matched, &d);
		break;
	case ACCESS_HOST:
		r = cfg_mapq_access_host(ml, q, o, &value, &matched, &d);
		break;
	case ACCESS_IP:
		r = cfg_mapq_access_ip(ml, q, &value, &matched, &d);
		break;
	case TRANSPORT:
		r = cfg_mapq_transport(ml, q, o, &value, &matched, &d);
		break;
	case ALIAS:
		r = cfg_mapq_alias(ml, q, o, &value, &stripped, &d);
		if (r == 1)
			cfg_buf_adds(&matched, value);
		break;
	case VIRTUAL:
		r = cfg_mapq_virtual(ml, q, o, &out, &matched, &d);
		break;
	}
	ck_assert_int_ge(r, 0);
	/* the table maps each key to itself: the value names the (folded) key that matched */
	if (r != 1)
		got = cfg_xstrdup("");
	else if (k == VIRTUAL)
		got = cfg_xstrdup(matched.data);
	else
		got = cfg_xstrdup(value);
	cfg_strvec_fini(&out);
	cfg_buf_fini(&matched);
	cfg_diags_fini(&d);
	cfg_maplist_free(ml);
	free(spec);
	return got;
}

/* walk - keys[] is the expected order: with keys[i..] present, keys[i] must match */
static void walk(enum kind k, const char *const *keys, size_t n, const char *q,
                 const struct cfg_mapq_opts *o)
{
	for (size_t i = 0; i < n; i++) {
		char *got = run(k, keys, i, n, q, o);

		ck_assert_msg(strcmp(got, keys[i]) == 0, "%s: step %zu: got \"%s\", want \"%s\"", q,
		              i, got, keys[i]);
		free(got);
	}
}

START_TEST(test_access_address_order)
{
	static const char *const keys[] = {
	    "user+foo@a.example.com",
	    "user@a.example.com",
	    "a.example.com",
	    ".example.com",
	    ".com",
	    "user+foo@",
	    "user@",
	};
	struct cfg_mapq_opts o = {"+", 0, 0, 0};

	walk(ACCESS_ADDR, keys, sizeof(keys) / sizeof(keys[0]), "user+foo@a.example.com", &o);
}
END_TEST

START_TEST(test_access_address_parent_style)
{
	static const char *const keys[] = {
	    "user@a.example.com", "a.example.com", "example.com", "com", "user@",
	};
	struct cfg_mapq_opts o = {"+", 1, 0, 0};

	walk(ACCESS_ADDR, keys, sizeof(keys) / sizeof(keys[0]), "User@A.Example.COM", &o);
}
END_TEST

START_TEST(test_access_host_order)
{
	static const char *const keys[] = {"mx.a.example.com", ".a.example.com", ".example.com",
	                                   ".com"};
	struct cfg_mapq_opts o = {NULL, 0, 0, 0};

	walk(ACCESS_HOST, keys, 4, "mx.a.example.com", &o);
}
END_TEST

START_TEST(test_access_ip_order)
{
	static const char *const v4[] = {"192.0.2.10", "192.0.2", "192.0", "192"};
	static const char *const v6[] = {"2001:db8:0:1::5", "2001:db8:0:1:", "2001:db8:0:1",
	                                 "2001:db8:0",      "2001:db8",      "2001"};

	walk(ACCESS_IP, v4, 4, "192.0.2.10", NULL);
	walk(ACCESS_IP, v6, 6, "2001:db8:0:1::5", NULL);
}
END_TEST

START_TEST(test_partial_keys_skip_pattern_tables)
{
	/* a regexp table sees only the full address, never the domain or user@ */
	struct cfg_maplist *ml = open_list("regexp:{ {/example/ regexp-hit} }, inline:{ {x=y} }");
	struct cfg_mapq_opts o = {"+", 0, 0, 0};
	struct cfg_diags d;
	struct cfg_buf matched;
	const char *value;

	cfg_diags_init(&d);
	cfg_buf_init(&matched);
	ck_assert_int_eq(cfg_mapq_access_addr(ml, "u@example.com", &o, &value, &matched, &d), 1);
	ck_assert_str_eq(matched.data, "u@example.com");
	ck_assert_int_eq(cfg_mapq_access_host(ml, "example.com", &o, &value, &matched, &d), 1);
	/* the host itself is a full key */
	ck_assert_str_eq(value, "regexp-hit");
	ck_assert_int_eq(cfg_mapq_access_host(ml, "mx.other.org", &o, &value, &matched, &d), 0);
	cfg_buf_fini(&matched);
	cfg_diags_fini(&d);
	cfg_maplist_free(ml);
}
END_TEST

START_TEST(test_transport_order)
{
	static const char *const keys[] = {
	    "user+ext@mail.example.com",
	    "user@mail.example.com",
	    "mail.example.com",
	    ".example.com",
	    ".com",
	    "*",
	};
	static const char *const parent[] = {"mail.example.com", "example.com", "com", "*"};
	struct cfg_mapq_opts o = {"+", 0, 0, 0};

	walk(TRANSPORT, keys, 6, "user+ext@mail.example.com", &o);
	o.parent_style = 1;
	walk(TRANSPORT, parent, 4, "user@mail.example.com", &o);
	/* a bare domain */
	walk(TRANSPORT, keys + 2, 4, "mail.example.com", &(struct cfg_mapq_opts){"+", 0, 0, 0});
}
END_TEST

START_TEST(test_alias_order)
{
	static const char *const keys[] = {"user+ext", "user"};
	struct cfg_mapq_opts o = {"+", 0, 0, 0};
	char *got;

	walk(ALIAS, keys, 2, "user+ext", &o);
	/* no delimiter configured: no stripping */
	o.delimiters = "";
	got = run(ALIAS, keys, 1, 2, "user+ext", &o);
	ck_assert_str_eq(got, "");
	free(got);
}
END_TEST

START_TEST(test_virtual_order_local_domain)
{
	static const char *const keys[] = {
	    "user+foo@example.com", "user@example.com", "user+foo", "user", "@example.com",
	};
	struct cfg_mapq_opts o = {"+", 0, 1, 0};

	walk(VIRTUAL, keys, 5, "user+foo@example.com", &o);
}
END_TEST

START_TEST(test_virtual_order_remote_domain)
{
	/* user+foo and user are not tried for a domain that is not local */
	static const char *const keys[] = {"user+foo@example.com", "user@example.com",
	                                   "@example.com"};
	struct cfg_mapq_opts o = {"+", 0, 0, 0};
	const char *const only_local[] = {"user+foo", "user"};
	char *got;

	walk(VIRTUAL, keys, 3, "user+foo@example.com", &o);
	got = run(VIRTUAL, only_local, 0, 2, "user+foo@example.com", &o);
	ck_assert_str_eq(got, "");
	free(got);
}
END_TEST

/* rewrite - the result addresses of a virtual lookup, joined with spaces */
static char *rewrite(const char *spec, const char *addr, const struct cfg_mapq_opts *o)
{
	struct cfg_maplist *ml = open_list(spec);
	struct cfg_strvec out;
	struct cfg_diags d;
	char *s;

	cfg_strvec_init(&out);
	cfg_diags_init(&d);
	ck_assert_int_eq(cfg_mapq_virtual(ml, addr, o, &out, NULL, &d), 1);
	s = cfg_strvec_join(&out, " ");
	cfg_strvec_fini(&out);
	cfg_diags_fini(&d);
	cfg_maplist_free(ml);
	return s;
}

START_TEST(test_virtual_results)
{
	struct cfg_mapq_opts o = {"+", 0, 0, 1};
	char *s;

	/* @otherdomain keeps the user; the unmatched extension is propagated */
	s = rewrite("inline:{ {@example.com=@other.org} }", "joe+x@example.com", &o);
	ck_assert_str_eq(s, "joe+x@other.org");
	free(s);
	/* a full-address match keeps the whole local part and propagates nothing */
	s = rewrite("inline:{ {joe+x@example.com=@other.org} }", "joe+x@example.com", &o);
	ck_assert_str_eq(s, "joe+x@other.org");
	free(s);
	/* several results, extension added to each */
	s = rewrite("inline:{ {joe@example.com=a@x.org, b@y.org} }", "joe+x@example.com", &o);
	ck_assert_str_eq(s, "a+x@x.org b+x@y.org");
	free(s);
	o.propagate_ext = 0;
	s = rewrite("inline:{ {joe@example.com=a@x.org, b@y.org} }", "joe+x@example.com", &o);
	ck_assert_str_eq(s, "a@x.org b@y.org");
	free(s);
}
END_TEST

START_TEST(test_split_ext)
{
	struct cfg_buf base;
	const char *ext;

	cfg_buf_init(&base);
	ext = cfg_mapq_split_ext("user+foo+bar", "+", &base);
	ck_assert_str_eq(base.data, "user");
	ck_assert_str_eq(ext, "+foo+bar");
	ck_assert_ptr_null(cfg_mapq_split_ext("+foo", "+", &base));
	ck_assert_ptr_null(cfg_mapq_split_ext("owner-list", "-", &base));
	ck_assert_ptr_null(cfg_mapq_split_ext("list-request", "-+", &base));
	ck_assert_ptr_null(cfg_mapq_split_ext("postmaster", "e", &base));
	ext = cfg_mapq_split_ext("a-b+c", "+-", &base);
	ck_assert_str_eq(base.data, "a");
	ck_assert_str_eq(ext, "-b+c");
	cfg_buf_fini(&base);
	ck_assert_int_eq(cfg_mapq_listed("debug_peer_list, smtpd_access_maps", "smtpd_access_maps"),
	                 1);
	ck_assert_int_eq(cfg_mapq_listed("debug_peer_list,relay_domains", "transport_maps"), 0);
}
END_TEST

START_TEST(test_error_propagates)
{
	struct cfg_maplist *ml = open_list("fail:broken, inline:{ {a@b=x} }");
	struct cfg_mapq_opts o = {NULL, 0, 0, 0};
	struct cfg_diags d;
	const char *value;

	cfg_diags_init(&d);
	ck_assert_int_eq(cfg_mapq_access_addr(ml, "a@b", &o, &value, NULL, &d), -1);
	ck_assert_uint_ge(d.n, 1);
	ck_assert_str_eq(d.v[d.n - 1].msg, "table fail:broken: lookup error: Application error");
	cfg_diags_fini(&d);
	cfg_maplist_free(ml);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("mapquery");
	TCase *tc = tcase_create("core");
	SRunner *sr;
	int failed;

	tcase_add_test(tc, test_access_address_order);
	tcase_add_test(tc, test_access_address_parent_style);
	tcase_add_test(tc, test_access_host_order);
	tcase_add_test(tc, test_access_ip_order);
	tcase_add_test(tc, test_partial_keys_skip_pattern_tables);
	tcase_add_test(tc, test_transport_order);
	tcase_add_test(tc, test_alias_order);
	tcase_add_test(tc, test_virtual_order_local_domain);
	tcase_add_test(tc, test_virtual_order_remote_domain);
	tcase_add_test(tc, test_virtual_results);
	tcase_add_test(tc, test_split_ext);
	tcase_add_test(tc, test_error_propagates);
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
