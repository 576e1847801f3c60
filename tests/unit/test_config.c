/* test_config.c - check suite for libcfg/config*.c: universe, used names, values, views */
#include "config.h"

#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cfg/base/buf.h"
#include "cfg/config/effective.h"
#include "cfg/base/diag.h"
#include "cfg/base/fileio.h"
#include "cfg/base/strvec.h"
#include "cfg/base/xalloc.h"

static char tmpdir[] = "/tmp/test_config.XXXXXX";
static char *dir;

/* put - write dir/name */
static void put(const char *name, const char *text)
{
	char *path = cfg_xasprintf("%s/%s", dir, name);
	FILE *fp = fopen(path, "w");

	ck_assert_ptr_nonnull(fp);
	fputs(text, fp);
	fclose(fp);
	free(path);
}

static void setup(void)
{
	memcpy(tmpdir, "/tmp/test_config.XXXXXX", sizeof(tmpdir));
	dir = mkdtemp(tmpdir);
	ck_assert_ptr_nonnull(dir);
	setenv("POSTKIT_HOSTNAME", "mail.example.com", 1);
	unsetenv("MAIL_CONFIG");
}

static void teardown(void)
{
	char *cmd_main = cfg_xasprintf("%s/main.cf", dir);
	char *cmd_master = cfg_xasprintf("%s/master.cf", dir);

	unlink(cmd_main);
	unlink(cmd_master);
	rmdir(dir);
	free(cmd_main);
	free(cmd_master);
}

/* open_cfg - load dir with flags and overrides, expecting success */
static struct cfg_config *open_cfg(unsigned flags, const char *const *over, size_t nover,
                                   struct cfg_diags *ds)
{
	struct cfg_load_opts o = {0};
	struct cfg_config *cfg = NULL;

	o.flags = flags;
	o.overrides = over;
	o.noverrides = nover;
	cfg_diags_init(ds);
	ck_assert_int_eq(cfg_config_open(dir, &o, &cfg, ds), 0);
	ck_assert_ptr_nonnull(cfg);
	return cfg;
}

/* has_msg - 1 when some diagnostic's message is exactly msg */
static int has_msg(const struct cfg_diags *ds, const char *msg)
{
	for (size_t i = 0; i < ds->n; i++)
		if (strcmp(ds->v[i].msg, msg) == 0)
			return 1;
	return 0;
}

/* dmsg - "DIR/FILE: WHAT: REST" */
static char *dmsg(const char *file, const char *what, const char *rest)
{
	return cfg_xasprintf("%s/%s: %s: %s", dir, file, what, rest);
}

START_TEST(test_classes_and_used)
{
	struct cfg_diags ds;
	struct cfg_config *cfg;
	char *m;

	put("main.cf", "myhostname = mx.example.org\n"
	               "mydestination = $myhostname, $extra\n"
	               "extra = other.example\n"
	               "lonely = 1\n"
	               "ref = $nothing\n");
	put("master.cf", "relay unix - - n - - smtp -o mine=$lonely2\n"
	                 "pipeline unix - n n - - pipe flags=R\n"
	                 "smtp inet n - n - - smtpd -o typo_override=1\n");
	cfg = open_cfg(0, NULL, 0, &ds);
	ck_assert_uint_eq(cfg_config_class(cfg, "mydestination"), CFG_CLASS_BUILTIN);
	ck_assert_uint_eq(cfg_config_class(cfg, "relay_destination_concurrency_limit"),
	                  CFG_CLASS_SERVICE);
	ck_assert_uint_eq(cfg_config_class(cfg, "pipeline_time_limit"), CFG_CLASS_SERVICE);
	ck_assert_uint_eq(cfg_config_class(cfg, "relay_time_limit"), 0);
	ck_assert_uint_eq(cfg_config_class(cfg, "extra"), CFG_CLASS_USER);
	ck_assert_uint_eq(cfg_config_class(cfg, "lonely"), 0);
	ck_assert_str_eq(cfg_config_default(cfg, "relay_destination_concurrency_limit"),
	                 "$default_destination_concurrency_limit");
	m = dmsg("main.cf", "undefined parameter", "nothing");
	ck_assert(has_msg(&ds, m));
	free(m);
	m = dmsg("master.cf", "undefined parameter", "lonely2");
	ck_assert(has_msg(&ds, m));
	free(m);
	cfg_diags_clear(&ds);
	cfg_config_unused(cfg, &ds);
	m = dmsg("main.cf", "unused parameter", "lonely=1");
	ck_assert(has_msg(&ds, m));
	free(m);
	m = dmsg("master.cf", "unused parameter", "typo_override=1");
	ck_assert(has_msg(&ds, m));
	free(m);
	m = dmsg("master.cf", "unused parameter", "mine=$lonely2");
	ck_assert(has_msg(&ds, m));
	free(m);
	cfg_config_free(cfg);
	cfg_diags_fini(&ds);
}
END_TEST

START_TEST(test_values_and_expansion)
{
	struct cfg_diags ds;
	struct cfg_config *cfg;
	struct cfg_buf b;
	const char *over[] = {"mydomain = over.example"};

	put("main.cf", "myhostname = mx.example.org\nmyorigin = $mydomain\n");
	put("master.cf", "");
	cfg = open_cfg(0, over, 1, &ds);
	cfg_buf_init(&b);
	ck_assert_str_eq(cfg_config_value(cfg, "myorigin"), "$mydomain");
	ck_assert_int_eq(cfg_config_expand(cfg, "$myorigin", &b, &ds), 0);
	ck_assert_str_eq(b.data, "over.example");
	ck_assert_str_eq(cfg_config_explicit(cfg, "config_directory"), dir);
	ck_assert_ptr_null(cfg_config_explicit(cfg, "relayhost"));
	cfg_buf_fini(&b);
	cfg_config_free(cfg);
	cfg_diags_fini(&ds);
}
END_TEST

START_TEST(test_host_defaults_follow_main_cf)
{
	struct cfg_diags ds;
	struct cfg_config *cfg;

	put("main.cf", "myhostname = a.b.$foo\nfoo = zz\n");
	put("master.cf", "");
	cfg = open_cfg(0, NULL, 0, &ds);
	ck_assert_str_eq(cfg_config_value(cfg, "mydomain"), "b.zz");
	cfg_config_free(cfg);
	cfg_diags_fini(&ds);

	put("main.cf", "mydomain = x.y\n");
	cfg = open_cfg(0, NULL, 0, &ds);
	ck_assert_str_eq(cfg_config_value(cfg, "myhostname"), "mail.example.com");
	cfg_config_free(cfg);
	cfg_diags_fini(&ds);
}
END_TEST

START_TEST(test_defaults_mode_ignores_main_cf)
{
	struct cfg_diags ds;
	struct cfg_config *cfg;
	struct cfg_strvec names;

	put("main.cf", "myhostname = mx.example.org\nextra = 1\nrelayhost = $extra\n");
	put("master.cf", "relay unix - - n - - smtp\n");
	cfg = open_cfg(CFG_LOAD_DEFAULTS, NULL, 0, &ds);
	ck_assert_str_eq(cfg_config_value(cfg, "myhostname"), "mail.example.com");
	ck_assert_str_eq(cfg_config_value(cfg, "config_directory"), "/etc/postfix");
	ck_assert_uint_eq(cfg_config_class(cfg, "extra"), 0);
	cfg_strvec_init(&names);
	cfg_config_names(cfg, CFG_CLASS_ALL, &names);
	ck_assert_uint_gt(names.n, 800);
	for (size_t i = 1; i < names.n; i++)
		ck_assert_int_lt(strcmp(names.v[i - 1], names.v[i]), 0);
	cfg_strvec_fini(&names);
	cfg_config_free(cfg);
	cfg_diags_fini(&ds);
}
END_TEST

START_TEST(test_missing_files)
{
	struct cfg_diags ds;
	struct cfg_config *cfg = NULL;
	char *m;

	cfg_diags_init(&ds);
	ck_assert_int_eq(cfg_config_load(dir, 0, &cfg, &ds), -1);
	ck_assert_ptr_null(cfg);
	m = cfg_xasprintf("open %s/main.cf: No such file or directory", dir);
	ck_assert(has_msg(&ds, m));
	free(m);
	cfg_diags_clear(&ds);
	put("main.cf", "");
	ck_assert_int_eq(cfg_config_load(dir, 0, &cfg, &ds), 0);
	m = cfg_xasprintf("open %s/master.cf: No such file or directory", dir);
	ck_assert(has_msg(&ds, m));
	ck_assert_uint_eq(ds.v[ds.n - 1].sev, CFG_SEV_WARNING);
	cfg_config_free(cfg);
	cfg_diags_clear(&ds);
	ck_assert_int_eq(cfg_config_load(dir, CFG_LOAD_NEED_MASTER, &cfg, &ds), -1);
	ck_assert(has_msg(&ds, m));
	free(m);
	cfg_diags_fini(&ds);
}
END_TEST

START_TEST(test_bad_override)
{
	struct cfg_diags ds;
	struct cfg_config *cfg = NULL;
	struct cfg_load_opts o = {0};
	const char *over[] = {"novalue"};

	put("main.cf", "");
	put("master.cf", "");
	o.overrides = over;
	o.noverrides = 1;
	cfg_diags_init(&ds);
	ck_assert_int_eq(cfg_config_open(dir, &o, &cfg, &ds), -1);
	ck_assert(
	    has_msg(&ds, "invalid parameter override: novalue: missing '=' after attribute name"));
	cfg_diags_fini(&ds);
}
END_TEST

START_TEST(test_known_param_macro_error_is_fatal)
{
	struct cfg_diags ds;
	struct cfg_config *cfg = NULL;

	put("main.cf", "smtpd_banner = ${bad\nuser_thing = ${bad\n");
	put("master.cf", "");
	cfg_diags_init(&ds);
	ck_assert_int_eq(cfg_config_load(dir, 0, &cfg, &ds), -1);
	ck_assert(has_msg(&ds, "macro processing error"));
	cfg_diags_fini(&ds);
}
END_TEST

START_TEST(test_restriction_classes_and_dbms)
{
	struct cfg_diags ds;
	struct cfg_config *cfg;

	put("main.cf", "smtpd_restriction_classes = cls1\ncls1 = permit\n"
	               "alias_maps = proxy:ldap:foo\nfoo_server_host = x\nfoo_bogus = 1\n");
	put("master.cf", "smtp inet n - n - - smtpd -o cls1=reject\n");
	cfg = open_cfg(0, NULL, 0, &ds);
	ck_assert(cfg_config_is_used(cfg, "cls1"));
	ck_assert(cfg_config_is_used(cfg, "foo_server_host"));
	ck_assert(!cfg_config_is_used(cfg, "foo_bogus"));
	cfg_diags_clear(&ds);
	cfg_config_unused(cfg, &ds);
	ck_assert_uint_eq(ds.n, 1);
	cfg_config_free(cfg);
	cfg_diags_fini(&ds);
}
END_TEST

START_TEST(test_view_getters)
{
	struct cfg_diags ds;
	struct cfg_config *cfg;
	struct cfg_view *v;
	const char *s;
	long n;
	int b;
	struct cfg_strvec list;

	put("main.cf", "smtpd_timeout = 2m\ndisable_vrfy_command = YES\n"
	               "message_size_limit = 10M\nbiff = maybe\nsmtpd_recipient_limit = 0\n"
	               "daemon_timeout = 4q\nmydestination = a, b  c,{d e}\n");
	put("master.cf",
	    "sub inet n - n - - smtpd -o smtpd_timeout=30 -o syslog_name=x/$service_name\n");
	cfg = open_cfg(0, NULL, 0, &ds);
	cfg_diags_clear(&ds);

	v = cfg_view_new(cfg, NULL, NULL, &ds);
	ck_assert_int_eq(cfg_view_time(v, "smtpd_timeout", &n, &ds), 0);
	ck_assert_int_eq(n, 120);
	ck_assert_int_eq(cfg_view_bool(v, "disable_vrfy_command", &b, &ds), 0);
	ck_assert_int_eq(b, 1);
	ck_assert_int_eq(cfg_view_size(v, "message_size_limit", &n, &ds), -1);
	ck_assert(has_msg(&ds, "bad numerical configuration: message_size_limit = 10M"));
	ck_assert_int_eq(cfg_view_bool(v, "biff", &b, &ds), -1);
	ck_assert(has_msg(&ds, "bad boolean configuration: biff = maybe"));
	ck_assert_int_eq(cfg_view_time(v, "daemon_timeout", &n, &ds), -1);
	ck_assert(has_msg(&ds, "parameter daemon_timeout: bad time value or unit: 4q"));
	ck_assert_int_eq(cfg_view_int(v, "smtpd_recipient_limit", &n, &ds), -1);
	ck_assert(has_msg(&ds, "invalid smtpd_recipient_limit parameter value 0 < 1"));
	cfg_strvec_init(&list);
	ck_assert_int_eq(cfg_view_list(v, "mydestination", &list, &ds), 0);
	ck_assert_uint_eq(list.n, 4);
	ck_assert_str_eq(list.v[3], "d e");
	cfg_strvec_fini(&list);
	cfg_view_free(v);

	v = cfg_view_new(cfg, "sub", "inet", &ds);
	ck_assert_ptr_nonnull(v);
	ck_assert_int_eq(cfg_view_time(v, "smtpd_timeout", &n, &ds), 0);
	ck_assert_int_eq(n, 30);
	ck_assert_int_eq(cfg_view_str(v, "syslog_name", &s, &ds), 0);
	ck_assert_str_eq(s, "x/sub");
	cfg_view_free(v);
	ck_assert_ptr_null(cfg_view_new(cfg, "nosuch", "inet", &ds));
	cfg_config_free(cfg);
	cfg_diags_fini(&ds);
}
END_TEST

START_TEST(test_view_time_units_and_bounds)
{
	struct cfg_diags ds;
	struct cfg_config *cfg;
	struct cfg_view *v;
	long n;
	const char *s;

	put("main.cf", "address_verify_negative_expire_time = 2\n"
	               "daemon_timeout = 0\nipc_timeout = 1w\nmyhostname =\n"
	               "relay_destination_rate_delay = 3m\n");
	put("master.cf", "relay unix - - n - - smtp\n");
	cfg = open_cfg(0, NULL, 0, &ds);
	v = cfg_view_new(cfg, NULL, NULL, &ds);
	/* a bare number takes the parameter's default unit (days here) */
	ck_assert_int_eq(cfg_view_time(v, "address_verify_negative_expire_time", &n, &ds), 0);
	ck_assert_int_eq(n, 2 * 86400);
	ck_assert_int_eq(cfg_view_time(v, "ipc_timeout", &n, &ds), 0);
	ck_assert_int_eq(n, 604800);
	ck_assert_int_eq(cfg_view_time(v, "daemon_timeout", &n, &ds), -1);
	ck_assert(has_msg(&ds, "invalid daemon_timeout: 0 (min 1)"));
	/* service-defined parameters: type and default from their template */
	ck_assert_int_eq(cfg_view_time(v, "relay_destination_rate_delay", &n, &ds), 0);
	ck_assert_int_eq(n, 180);
	ck_assert_int_eq(cfg_view_int(v, "relay_destination_concurrency_limit", &n, &ds), 0);
	ck_assert_int_eq(n, 20);
	ck_assert_int_eq(cfg_view_str(v, "myhostname", &s, &ds), -1);
	ck_assert(has_msg(&ds, "bad string length 0 < 1: myhostname = "));
	ck_assert_int_eq(cfg_view_str(v, "no_such_thing", &s, &ds), -1);
	cfg_view_free(v);
	cfg_config_free(cfg);
	cfg_diags_fini(&ds);
}
END_TEST

START_TEST(test_names_by_class)
{
	struct cfg_diags ds;
	struct cfg_config *cfg;
	struct cfg_strvec names;

	put("main.cf", "mydestination = $extra\nextra = x\nvirtual_maps = hash:/v\n"
	               "relay_destination_concurrency_limit = 2\n");
	put("master.cf", "relay unix - - n - - smtp\n");
	cfg = open_cfg(0, NULL, 0, &ds);
	cfg_strvec_init(&names);
	cfg_config_explicit_names(cfg, CFG_CLASS_ALL, &names);
	ck_assert_uint_eq(names.n, 5);
	ck_assert_str_eq(names.v[0], "config_directory");
	ck_assert_str_eq(names.v[1], "extra");
	ck_assert_str_eq(names.v[2], "mydestination");
	ck_assert_str_eq(names.v[3], "relay_destination_concurrency_limit");
	ck_assert_str_eq(names.v[4], "virtual_maps");
	cfg_strvec_clear(&names);
	/* a legacy name that is set counts as user-defined */
	cfg_config_explicit_names(cfg, CFG_CLASS_USER, &names);
	ck_assert_uint_eq(names.n, 2);
	ck_assert_str_eq(names.v[0], "extra");
	ck_assert_str_eq(names.v[1], "virtual_maps");
	cfg_strvec_clear(&names);
	cfg_config_names(cfg, CFG_CLASS_SERVICE, &names);
	ck_assert_uint_eq(names.n, 16);
	cfg_strvec_fini(&names);
	ck_assert_uint_eq(cfg_config_class(cfg, "fallback_relay"), CFG_CLASS_BUILTIN);
	cfg_config_free(cfg);
	cfg_diags_fini(&ds);
}
END_TEST

/* CFG_LOAD_LAZY_NETS: the same mynetworks when first used, the same failures at load */
START_TEST(test_lazy_nets)
{
	static const char *const mains[] = {
	    "", "inet_interfaces = loopback-only\nmynetworks_style = host\n",
	    "mynetworks_style = class\n", "inet_protocols = ipv4\ninet_interfaces = 127.0.0.1\n"};
	struct cfg_diags ds;
	struct cfg_load_opts o = {0};
	struct cfg_config *cfg = NULL;

	for (size_t i = 0; i < sizeof(mains) / sizeof(mains[0]); i++) {
		struct cfg_config *now, *later;
		char *a, *b;

		put("main.cf", mains[i]);
		now = open_cfg(CFG_LOAD_NO_MASTER, NULL, 0, &ds);
		cfg_diags_fini(&ds);
		later = open_cfg(CFG_LOAD_NO_MASTER | CFG_LOAD_LAZY_NETS, NULL, 0, &ds);
		cfg_diags_fini(&ds);
		a = cfg_xstrdup(cfg_config_default(now, "mynetworks"));
		b = cfg_xstrdup(cfg_config_default(later, "mynetworks"));
		ck_assert_msg(strcmp(a, b) == 0, "main.cf \"%s\": \"%s\" vs \"%s\"", mains[i], a,
		              b);
		ck_assert_str_ne(b, "");
		free(a);
		free(b);
		cfg_config_free(now);
		cfg_config_free(later);
	}
	put("main.cf", "mynetworks_style = bogus\n");
	o.flags = CFG_LOAD_NO_MASTER | CFG_LOAD_LAZY_NETS;
	cfg_diags_init(&ds);
	ck_assert_int_eq(cfg_config_open(dir, &o, &cfg, &ds), -1);
	ck_assert(has_msg(&ds, "unknown mynetworks mask style value \"bogus\" in \"bogus\""));
	cfg_diags_fini(&ds);
}
END_TEST

static Suite *config_suite(void)
{
	Suite *s = suite_create("config");
	TCase *tc = tcase_create("core");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_classes_and_used);
	tcase_add_test(tc, test_values_and_expansion);
	tcase_add_test(tc, test_host_defaults_follow_main_cf);
	tcase_add_test(tc, test_defaults_mode_ignores_main_cf);
	tcase_add_test(tc, test_missing_files);
	tcase_add_test(tc, test_bad_override);
	tcase_add_test(tc, test_known_param_macro_error_is_fatal);
	tcase_add_test(tc, test_restriction_classes_and_dbms);
	tcase_add_test(tc, test_view_getters);
	tcase_add_test(tc, test_view_time_units_and_bounds);
	tcase_add_test(tc, test_names_by_class);
	tcase_add_test(tc, test_lazy_nets);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(config_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
