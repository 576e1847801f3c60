/* test_validate.c - check suite for libcfg/validate: type checks of one parameter value */
#include "config.h"

#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "cfg/base/diag.h"
#include "cfg/param/expand.h"
#include "cfg/schema/registry.h"
#include "cfg/schema/restriction.h"
#include "cfg/schema/tabletype.h"
#include "cfg/param/units.h"
#include "cfg/param/validate.h"

struct row {
	const char *name;
	const char *value;
	const char *msg; /* NULL: accepted; else the diagnostic, exactly */
};

static const struct row rows[] = {
    {"smtputf8_enable", "yes", NULL},
    {"smtputf8_enable", "NO", NULL},
    {"smtputf8_enable", "maybe",
     "parameter smtputf8_enable: invalid value \"maybe\": expected yes or no"},
    {"smtputf8_enable", "true",
     "parameter smtputf8_enable: invalid value \"true\": expected yes or no"},
    {"smtpd_timeout", "300", NULL},
    {"smtpd_timeout", "300s", NULL},
    {"smtpd_timeout", "5m", NULL},
    {"smtpd_timeout", "300q",
     "parameter smtpd_timeout: invalid value \"300q\": unit 'q' is not one of s, m, h, d, w; "
     "expected a time: a number with an optional unit s (seconds), m (minutes), h (hours), "
     "d (days) or w (weeks)"},
    {"smtpd_timeout", "1h30m",
     "parameter smtpd_timeout: invalid value \"1h30m\": \"h30m\" is not a time unit; "
     "expected a time: a number with an optional unit s (seconds), m (minutes), h (hours), "
     "d (days) or w (weeks)"},
    {"smtpd_timeout", "", NULL /* filled below: no number */},
    {"message_size_limit", "10240000", NULL},
    {"message_size_limit", "10M",
     "parameter message_size_limit: invalid value \"10M\": unit suffix 'M' is not allowed; "
     "expected a size in bytes: a whole number without a unit suffix"},
    {"message_size_limit", "1e6",
     "parameter message_size_limit: invalid value \"1e6\": not a whole number; "
     "expected a size in bytes: a whole number without a unit suffix"},
    {"default_process_limit", "0", NULL /* below the minimum 1: see test_bounds */},
    {"mynetworks", "127.0.0.0/8 [::1]/128 10.0.0.0/8, 192.168.1.1 !10.1.0.0/16", NULL},
    {"mynetworks", "hash:/etc/postfix/network_table /etc/postfix/networks", NULL},
    {"mynetworks", "10.1.2.3/33",
     "parameter mynetworks: invalid value \"10.1.2.3/33\": prefix length 33 is too long in "
     "\"10.1.2.3/33\"; expected a list of addresses, networks address/prefix "
     "([ipv6]/prefix), type:table or /file/name"},
    {"mynetworks", "300.1.1.1",
     "parameter mynetworks: invalid value \"300.1.1.1\": \"300.1.1.1\" is not a valid IPv4 "
     "address; expected a list of addresses, networks address/prefix ([ipv6]/prefix), "
     "type:table or /file/name"},
    {"mynetworks", "10.1.2.3/8",
     "parameter mynetworks: invalid value \"10.1.2.3/8\": \"10.1.2.3/8\" has host bits set "
     "beyond the /8 prefix; expected a list of addresses, networks address/prefix "
     "([ipv6]/prefix), type:table or /file/name"},
    {"mynetworks", "[fe80::1/10",
     "parameter mynetworks: invalid value \"[fe80::1/10\": unbalanced '[' in \"[fe80::1/10\"; "
     "expected a list of addresses, networks address/prefix ([ipv6]/prefix), type:table or "
     "/file/name"},
    {"mynetworks", "bogus:/x",
     "parameter mynetworks: invalid value \"bogus:/x\": \"bogus\" is not a lookup table type; "
     "expected a list of addresses, networks address/prefix ([ipv6]/prefix), type:table or "
     "/file/name"},
    {"alias_maps", "hash:/etc/aliases, nis:mail.aliases", NULL},
    {"proxy_read_maps", "$alias_maps localhost proxy:unix:passwd.byname", NULL},
    /* proxymap ignores the words that are not tables: its default names $mynetworks */
    {"proxy_read_maps", "$mynetworks 127.0.0.0/8 [::1]/128 bogus:/x", NULL},
    {"transport_maps", "bogus:/x",
     "parameter transport_maps: invalid value \"bogus:/x\": \"bogus\" is not a lookup table "
     "type; expected a list of lookup tables written type:name"},
    {"alias_maps", "/etc/aliases",
     "parameter alias_maps: invalid value \"/etc/aliases\": \"/etc/aliases\" is not written "
     "type:name; expected a list of lookup tables written type:name"},
    {"smtpd_recipient_restrictions",
     "permit_mynetworks, reject_unauth_destination, check_policy_service "
     "{ inet:127.0.0.1:10023, timeout=10s }, reject_rbl_client zen.spamhaus.org, "
     "hash:/etc/postfix/access",
     NULL},
    {"smtpd_recipient_restrictions", "permit_mynetworks, permit_bogus",
     "parameter smtpd_recipient_restrictions: invalid value \"permit_mynetworks, "
     "permit_bogus\": unknown restriction \"permit_bogus\"; expected a list of restrictions "
     "(or type:table, or a name from smtpd_restriction_classes)"},
    {"smtpd_recipient_restrictions", "permit_mynetworks reject_rbl_client",
     "parameter smtpd_recipient_restrictions: invalid value \"permit_mynetworks "
     "reject_rbl_client\": \"reject_rbl_client\" needs an argument; expected a list of "
     "restrictions (or type:table, or a name from smtpd_restriction_classes)"},
    {"inet_protocols", "ipv4, ipv6", NULL},
    {"inet_protocols", "all", NULL},
    {"inet_protocols", "ipv9",
     "parameter inet_protocols: invalid value \"ipv9\": \"ipv9\" is not one of: all, ipv4 or "
     "ipv6"},
    {"compatibility_level", "3.6", NULL},
    {"compatibility_level", "2", NULL},
    {"compatibility_level", "3.6.1", NULL},
    {"compatibility_level", "foo",
     "parameter compatibility_level: invalid value \"foo\": expected a compatibility level N, "
     "N.N or N.N.N"},
    {"myhostname", "mx.example.com", NULL},
    {"myhostname", "bad_host!name",
     "parameter myhostname: invalid value \"bad_host!name\": invalid character '!'; expected a "
     "host name"},
    {"myhostname", "-a.example",
     "parameter myhostname: invalid value \"-a.example\": misplaced hyphen; expected a host "
     "name"},
    {"mydomain", "localdomain", NULL},
    {"mail_owner", "postfix", NULL},
    {"mail_owner", "-x", "parameter mail_owner: invalid value \"-x\": expected a user name"},
    {"smtpd_banner", "$myhostname ESMTP anything goes", NULL},
    {"no_such_parameter_anywhere", "whatever", NULL},
    /* service-defined: relay_destination_concurrency_limit is an integer */
    {"relay_destination_concurrency_limit", "x",
     "parameter relay_destination_concurrency_limit: invalid value \"x\": not a whole number; "
     "expected a whole number without a unit suffix"},
    /* $name without an expander: cannot judge, accepted */
    {"smtpd_timeout", "$daemon_timeout", NULL},
};

START_TEST(test_rows)
{
	const struct row *r = &rows[_i];
	struct cfg_diags ds;
	int rc;

	if (strcmp(r->value, "") == 0 || strcmp(r->value, "0") == 0)
		return; /* covered by test_edges */
	cfg_diags_init(&ds);
	rc = cfg_validate_param(r->name, r->value, NULL, NULL, 0, &ds);
	if (r->msg == NULL) {
		ck_assert_msg(rc == 0 && ds.n == 0, "%s = %s: refused: %s", r->name, r->value,
		              ds.n ? ds.v[0].msg : "?");
	} else {
		ck_assert_msg(rc == -1 && ds.n == 1, "%s = %s: accepted, want refused", r->name,
		              r->value);
		ck_assert_msg(strcmp(ds.v[0].msg, r->msg) == 0, "got  %s\nwant %s", ds.v[0].msg,
		              r->msg);
		ck_assert_int_eq(ds.v[0].sev, CFG_SEV_ERROR);
		ck_assert_str_eq(ds.v[0].param, r->name);
		ck_assert(strncmp(ds.v[0].code, "value-", 6) == 0);
	}
	cfg_diags_fini(&ds);
}
END_TEST

START_TEST(test_edges)
{
	struct cfg_diags ds;

	cfg_diags_init(&ds);
	ck_assert_int_eq(cfg_validate_param("smtpd_timeout", "", NULL, "main.cf", 7, &ds), -1);
	ck_assert_str_eq(ds.v[0].file, "main.cf");
	ck_assert_uint_eq(ds.v[0].line, 7);
	ck_assert_int_eq(cfg_validate_param("default_process_limit", "0", NULL, NULL, 0, &ds), -1);
	ck_assert_str_eq(ds.v[1].msg, "parameter default_process_limit: invalid value \"0\": 0 is "
	                              "below the minimum 1; expected a whole number without a unit "
	                              "suffix");
	cfg_diags_fini(&ds);
}
END_TEST

/* lookup - a tiny configuration for expansion */
static const char *lookup(void *ctx, const char *name)
{
	(void)ctx;
	if (strcmp(name, "t") == 0)
		return "5x";
	if (strcmp(name, "good") == 0)
		return "5m";
	if (strcmp(name, "smtpd_restriction_classes") == 0)
		return "my_class";
	return NULL;
}

START_TEST(test_expanded_values)
{
	struct cfg_expand ex = {lookup, NULL, NULL};
	struct cfg_diags ds;

	cfg_diags_init(&ds);
	ck_assert_int_eq(cfg_validate_param("smtpd_timeout", "$good", &ex, NULL, 0, &ds), 0);
	ck_assert_int_eq(cfg_validate_param("smtpd_timeout", "${t}", &ex, NULL, 0, &ds), -1);
	ck_assert_str_eq(
	    ds.v[0].msg,
	    "parameter smtpd_timeout: invalid value \"${t}\" (expands to \"5x\"): unit "
	    "'x' is not one of s, m, h, d, w; expected a time: a number with an optional "
	    "unit s (seconds), m (minutes), h (hours), d (days) or w (weeks)");
	/* a restriction class name is accepted once smtpd_restriction_classes names it */
	ck_assert_int_eq(cfg_validate_param("smtpd_recipient_restrictions",
	                                    "permit_mynetworks my_class", &ex, NULL, 0, &ds),
	                 0);
	ck_assert_uint_eq(ds.n, 1);
	cfg_diags_fini(&ds);
}
END_TEST

/* registry_lookup - built-in defaults only (host-derived ones are undefined here) */
static const char *registry_lookup(void *ctx, const char *name)
{
	const struct cfg_param_def *def = cfg_registry_find(name);

	(void)ctx;
	return def ? def->defval : NULL;
}

/* Every built-in default must pass its own type check: the registry and the checks agree. */
START_TEST(test_registry_defaults_pass)
{
	struct cfg_expand ex = {registry_lookup, NULL, NULL};
	struct cfg_diags ds;
	size_t i, n = cfg_registry_count();

	cfg_diags_init(&ds);
	for (i = 0; i < n; i++) {
		const struct cfg_param_def *def = cfg_registry_at(i);

		if (def->defval == NULL)
			continue;
		ck_assert_msg(cfg_validate_def(def, def->defval, &ex, NULL, 0, &ds) == 0, "%s",
		              ds.n ? ds.v[ds.n - 1].msg : def->name);
	}
	cfg_diags_fini(&ds);
}
END_TEST

/* the one number parser: validation takes a blank first, the getters and check do not */
START_TEST(test_number_parsers)
{
	long v = 0;

	ck_assert_int_eq(cfg_size_parse(" 42", &v), 0);
	ck_assert_int_eq(v, 42);
	ck_assert_int_eq(cfg_number_parse(" 42", &v), -1);
	ck_assert_int_eq(cfg_number_parse("-7", &v), 0);
	ck_assert_int_eq(v, -7);
	ck_assert_int_eq(cfg_number_parse("+7", &v), 0);
	ck_assert_int_eq(cfg_number_parse("", &v), -1);
	ck_assert_int_eq(cfg_number_parse("+", &v), -1);
	ck_assert_int_eq(cfg_number_parse("10k", &v), -1);
	ck_assert_int_eq(cfg_number_parse("42 ", &v), -1);
	ck_assert_int_eq(cfg_number_parse("99999999999999999999", &v), -1);
	ck_assert_int_eq(cfg_size_parse("99999999999999999999", &v), -1);
}
END_TEST

START_TEST(test_every_type_has_a_row)
{
	for (int t = 0; t < CFG_T_COUNT; t++) {
		const struct cfg_type_check *tc = cfg_type_check_for((enum cfg_ptype)t);

		ck_assert_ptr_nonnull(tc);
		ck_assert_int_eq(tc->type, t);
		ck_assert_ptr_nonnull(tc->check);
	}
	ck_assert_int_eq(cfg_restriction_takes_arg("check_client_access"), 1);
	ck_assert_int_eq(cfg_restriction_takes_arg("permit_mynetworks"), 0);
	ck_assert_str_eq(cfg_restriction_names()[0], "check_address_map");
	ck_assert_str_eq(cfg_table_type_names()[0], "btree");
}
END_TEST

int main(void)
{
	Suite *s = suite_create("validate");
	TCase *tc = tcase_create("validate");
	SRunner *sr;
	int failed;

	tcase_add_loop_test(tc, test_rows, 0, (int)(sizeof(rows) / sizeof(rows[0])));
	tcase_add_test(tc, test_edges);
	tcase_add_test(tc, test_expanded_values);
	tcase_add_test(tc, test_registry_defaults_pass);
	tcase_add_test(tc, test_every_type_has_a_row);
	tcase_add_test(tc, test_number_parsers);
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
