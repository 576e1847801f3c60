/* test_registry.c - check suite for the parameter registry and host-derived defaults */
#include "config.h"

#include <check.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cfg/base/buf.h"
#include "cfg/base/diag.h"
#include "cfg/param/bouncexp.h"
#include "cfg/param/hostinfo.h"
#include "cfg/schema/daemon.h"
#include "cfg/schema/registry.h"

START_TEST(test_sorted_and_counted)
{
	size_t n = cfg_registry_count();

	size_t legacy = 0;

	/* Postfix 3.7.11 `postconf -d` with an empty master.cf lists 831, plus 13 legacy names */
	ck_assert_uint_eq(n, 844);
	for (size_t i = 0; i < n; i++)
		legacy += (cfg_registry_at(i)->flags & CFG_PF_LEGACY) != 0;
	ck_assert_uint_eq(legacy, 13);
	ck_assert(cfg_registry_find("smtpd_per_record_deadline")->flags & CFG_PF_LEGACY);
	ck_assert(cfg_registry_find("virtual_maps")->flags & CFG_PF_LEGACY);
	ck_assert_str_eq(cfg_registry_find("fallback_relay")->defval, "");
	for (size_t i = 1; i < n; i++) {
		const char *a = cfg_registry_at(i - 1)->name;
		const char *b = cfg_registry_at(i)->name;

		if (strcmp(a, b) >= 0)
			ck_abort_msg("not in strcmp order: %s before %s", a, b);
	}
	ck_assert_ptr_null(cfg_registry_at(n));
	/* strcmp order puts upper case first */
	ck_assert_str_eq(cfg_registry_at(0)->name, "2bounce_notice_recipient");
}
END_TEST

START_TEST(test_find_every_entry)
{
	for (size_t i = 0; i < cfg_registry_count(); i++) {
		const struct cfg_param_def *d = cfg_registry_at(i);

		ck_assert_ptr_eq(cfg_registry_find(d->name), d);
	}
	ck_assert_ptr_null(cfg_registry_find("myhostnmae"));
	ck_assert_ptr_null(cfg_registry_find(""));
	ck_assert_ptr_null(cfg_registry_find("zzzz"));
	ck_assert_ptr_null(cfg_registry_find("0"));
	ck_assert_ptr_null(cfg_registry_find(NULL));
	ck_assert_ptr_null(cfg_registry_find("smtp_tls_cafile")); /* case-sensitive */
	ck_assert_ptr_nonnull(cfg_registry_find("smtp_tls_CAfile"));
}
END_TEST

/* expected facts about well-known parameters, from Postfix 3.7 */
static const struct {
	const char *name;
	enum cfg_ptype type;
	const char *defval;
	char unit;
	unsigned flags; /* flags that must be set */
} facts[] = {
    {"myhostname", CFG_T_HOSTNAME, NULL, 0, CFG_PF_HOSTDEP},
    {"mydomain", CFG_T_DOMAIN, NULL, 0, CFG_PF_HOSTDEP},
    {"mynetworks", CFG_T_NETWORKS, NULL, 0, CFG_PF_HOSTDEP},
    {"process_id", CFG_T_INT, NULL, 0, CFG_PF_PROCDEP | CFG_PF_READONLY},
    {"process_name", CFG_T_STRING, NULL, 0, CFG_PF_PROCDEP | CFG_PF_READONLY},
    {"service_name", CFG_T_STRING, "", 0, CFG_PF_READONLY},
    {"myorigin", CFG_T_STRING, "$myhostname", 0, 0},
    {"mydestination", CFG_T_LIST, "$myhostname, localhost.$mydomain, localhost", 0, 0},
    {"mynetworks_style", CFG_T_ENUM, "${{$compatibility_level} <level {2} ? {subnet} : {host}}", 0,
     CFG_PF_COMPAT},
    {"inet_protocols", CFG_T_ENUM, "all", 0, CFG_PF_MULTI},
    {"inet_interfaces", CFG_T_LIST, "all", 0, 0},
    {"relay_domains", CFG_T_LIST, "${{$compatibility_level} <level {2} ? {$mydestination} : {}}", 0,
     CFG_PF_COMPAT},
    {"relayhost", CFG_T_STRING, "", 0, 0},
    {"smtpd_banner", CFG_T_STRING, "$myhostname ESMTP $mail_name", 0, 0},
    {"smtpd_recipient_restrictions", CFG_T_RESTRICTIONS, "", 0, 0},
    {"smtpd_relay_restrictions", CFG_T_RESTRICTIONS,
     "${{$compatibility_level} <level {1} ? {} : {permit_mynetworks, permit_sasl_authenticated, "
     "defer_unauth_destination}}",
     0, CFG_PF_COMPAT},
    {"smtpd_relay_before_recipient_restrictions", CFG_T_BOOL,
     "${{$compatibility_level} <level {3.6} ? {no} : {yes}}", 0, CFG_PF_COMPAT},
    {"message_size_limit", CFG_T_SIZE, "10240000", 0, 0},
    {"mailbox_size_limit", CFG_T_SIZE, "51200000", 0, 0},
    {"alias_maps", CFG_T_MAPS, "hash:/etc/aliases, nis:mail.aliases", 0, 0},
    {"alias_database", CFG_T_MAPS, "hash:/etc/aliases", 0, 0},
    {"virtual_alias_maps", CFG_T_MAPS, "$virtual_maps", 0, 0},
    {"header_checks", CFG_T_MAPS, "", 0, 0},
    {"queue_directory", CFG_T_PATH, "/var/spool/postfix", 0, 0},
    {"compatibility_level", CFG_T_COMPAT, "0", 0, 0},
    {"mail_owner", CFG_T_USER, "postfix", 0, 0},
    {"setgid_group", CFG_T_GROUP, "postdrop", 0, 0},
    {"smtpd_timeout", CFG_T_TIME, "${stress?{10}:{300}}s", 's', 0},
    {"maximal_queue_lifetime", CFG_T_TIME, "5d", 'd', 0},
    {"delay_warning_time", CFG_T_TIME, "0h", 'h', 0},
    {"command_time_limit", CFG_T_TIME, "1000s", 's', 0},
    {"smtpd_helo_required", CFG_T_BOOL, "no", 0, 0},
    {"append_dot_mydomain", CFG_T_BOOL, "${{$compatibility_level} <level {1} ? {yes} : {no}}", 0,
     CFG_PF_COMPAT},
    {"smtputf8_enable", CFG_T_BOOL, "${{$compatibility_level} <level {1} ? {no} : {yes}}", 0,
     CFG_PF_COMPAT},
    {"default_process_limit", CFG_T_INT, "100", 0, 0},
    {"smtpd_hard_error_limit", CFG_T_INT, "${stress?{1}:{20}}", 0, 0},
    {"mailbox_command", CFG_T_RAW, "", 0, 0},
    {"forward_path", CFG_T_RAW, "$home/.forward${recipient_delimiter}${extension}, $home/.forward",
     0, 0},
    {"recipient_delimiter", CFG_T_STRING, "", 0, 0},
    {"mail_version", CFG_T_STRING, "3.7.11", 0, 0},
    {"smtpd_expansion_filter", CFG_T_RAW,
     "\\t\\40!\"#$%&'()*+,-./0123456789:;<=>?@ABCDEFGHIJKLMNOPQRSTUVWXYZ[\\\\]^_`"
     "abcdefghijklmnopqrstuvwxyz{|}~",
     0, 0},
    {"local_destination_concurrency_limit", CFG_T_INT, "2", 0, 0},
    {"default_destination_concurrency_negative_feedback", CFG_T_STRING, "1", 0, 0},
};

START_TEST(test_known_facts)
{
	for (size_t i = 0; i < sizeof(facts) / sizeof(facts[0]); i++) {
		const struct cfg_param_def *d = cfg_registry_find(facts[i].name);

		if (d == NULL)
			ck_abort_msg("%s: missing", facts[i].name);
		if (d->type != facts[i].type)
			ck_abort_msg("%s: got type %s, want %s", facts[i].name,
			             cfg_ptype_name(d->type), cfg_ptype_name(facts[i].type));
		if (facts[i].defval == NULL)
			ck_assert_ptr_null(d->defval);
		else if (d->defval == NULL || strcmp(d->defval, facts[i].defval) != 0)
			ck_abort_msg("%s: got default \"%s\", want \"%s\"", facts[i].name,
			             d->defval ? d->defval : "(null)", facts[i].defval);
		if (d->time_unit != facts[i].unit)
			ck_abort_msg("%s: got unit '%c', want '%c'", facts[i].name, d->time_unit,
			             facts[i].unit);
		if ((d->flags & facts[i].flags) != facts[i].flags)
			ck_abort_msg("%s: flags 0x%x lack 0x%x", facts[i].name, d->flags,
			             facts[i].flags);
	}
}
END_TEST

/* the bounce daemon's set (CFG_PF_BOUNCE): 123 names in Postfix 3.7.11, smtpd_banner not one */
START_TEST(test_bounce_flag)
{
	size_t n = 0;

	for (size_t i = 0; i < cfg_registry_count(); i++)
		n += (cfg_registry_at(i)->flags & CFG_PF_BOUNCE) != 0;
	ck_assert_uint_eq(n, 123);
	ck_assert_int_eq(cfg_bounce_param("alias_database"), 1);
	ck_assert_int_eq(cfg_bounce_param("verp_delimiter_filter"), 1);
	ck_assert_int_eq(cfg_bounce_param("smtpd_banner"), 0);
	ck_assert_int_eq(cfg_bounce_param("alias_maps"), 0);
	ck_assert_int_eq(cfg_bounce_param("no_such_param"), 0);
}
END_TEST

START_TEST(test_table_invariants)
{
	size_t ndesc = 0;

	for (size_t i = 0; i < cfg_registry_count(); i++) {
		const struct cfg_param_def *d = cfg_registry_at(i);
		int derived = (d->flags & (CFG_PF_HOSTDEP | CFG_PF_PROCDEP)) != 0;

		if (derived != (d->defval == NULL))
			ck_abort_msg("%s: defval NULL iff HOSTDEP/PROCDEP", d->name);
		if ((d->type == CFG_T_TIME) != (d->time_unit != 0))
			ck_abort_msg("%s: time unit iff TIME", d->name);
		if (d->time_unit && strchr("smhdw", d->time_unit) == NULL)
			ck_abort_msg("%s: bad unit", d->name);
		if ((d->type == CFG_T_ENUM) != (d->choices != NULL))
			ck_abort_msg("%s: choices iff ENUM", d->name);
		if (d->min > d->max)
			ck_abort_msg("%s: min > max", d->name);
		if (d->defval && strstr(d->defval, "compatibility_level")
		    && !(d->flags & CFG_PF_COMPAT))
			ck_abort_msg("%s: default uses compatibility_level but no COMPAT flag",
			             d->name);
		if (strcmp(cfg_ptype_name(d->type), "unknown") == 0)
			ck_abort_msg("%s: bad type", d->name);
		if (d->desc) {
			ndesc++;
			ck_assert_uint_gt(strlen(d->desc), 10);
		}
	}
	ck_assert_uint_ge(ndesc, 80);
}
END_TEST

/* bounds that Postfix 3.7 enforces (from its daemons' parameter tables) */
static const struct {
	const char *name;
	long min;
	long max;
} bounds[] = {
    {"smtpd_timeout", 1, CFG_NOMAX},
    {"maximal_queue_lifetime", CFG_NOMIN, 8640000},
    {"bounce_queue_lifetime", CFG_NOMIN, 8640000},
    {"in_flow_delay", CFG_NOMIN, 10},
    {"line_length_limit", 512, INT_MAX},
    {"qmgr_fudge_factor", 10, 100},
    {"default_delivery_slot_discount", CFG_NOMIN, 100},
    {"unverified_sender_reject_code", 200, 599},
    {"smtpd_forbid_bare_newline_reject_code", 500, 599},
    {"default_process_limit", 1, CFG_NOMAX},
    {"message_size_limit", CFG_NOMIN, CFG_NOMAX},
    {"myhostname", 1, CFG_NOMAX},      /* string length */
    {"default_verp_delimiters", 2, 2}, /* string length */
    {"relayhost", CFG_NOMIN, CFG_NOMAX},
    {"smtpd_hard_error_limit", 1, CFG_NOMAX},
    {"postscreen_watchdog_timeout", 10, CFG_NOMAX},
};

START_TEST(test_bounds)
{
	for (size_t i = 0; i < sizeof(bounds) / sizeof(bounds[0]); i++) {
		const struct cfg_param_def *d = cfg_registry_find(bounds[i].name);

		ck_assert_ptr_nonnull(d);
		if (d->min != bounds[i].min || d->max != bounds[i].max)
			ck_abort_msg("%s: got [%ld, %ld], want [%ld, %ld]", d->name, d->min, d->max,
			             bounds[i].min, bounds[i].max);
	}
}
END_TEST

START_TEST(test_choices)
{
	const struct cfg_param_def *d = cfg_registry_find("mynetworks_style");

	ck_assert(cfg_param_has_choice(d, "host"));
	ck_assert(cfg_param_has_choice(d, "subnet"));
	ck_assert(cfg_param_has_choice(d, "class"));
	ck_assert(!cfg_param_has_choice(d, "HOST"));
	ck_assert(!cfg_param_has_choice(d, ""));
	ck_assert(!cfg_param_has_choice(d, "hos"));
	d = cfg_registry_find("smtpd_tls_security_level");
	ck_assert(cfg_param_has_choice(d, ""));
	ck_assert(cfg_param_has_choice(d, "encrypt"));
	ck_assert(cfg_param_has_choice(d, "Encrypt")); /* Postfix's name_code ignores case */
	ck_assert(!cfg_param_has_choice(cfg_registry_find("myorigin"), "x"));
	ck_assert(!cfg_param_has_choice(cfg_registry_find("inet_protocols"), "IPv4"));
	ck_assert_str_eq(cfg_ptype_name(CFG_T_BOOL), "boolean");
	ck_assert_str_eq(cfg_ptype_name(CFG_T_TIME), "time");
	ck_assert_str_eq(cfg_ptype_name((enum cfg_ptype)999), "unknown");
}
END_TEST

START_TEST(test_service_templates)
{
	size_t n = 0;
	const struct cfg_service_param_template *t = cfg_service_param_templates(&n);
	size_t delivery = 0;
	size_t pipe = 0;
	size_t spawn = 0;

	ck_assert_uint_eq(n, 17);
	for (size_t i = 0; i < n; i++) {
		const struct cfg_param_def *ref;

		/* every default is "$<built-in>" of the same type */
		ck_assert(t[i].defval[0] == '$');
		ref = cfg_registry_find(t[i].defval + 1);
		if (ref == NULL)
			ck_abort_msg("%s: default %s is not a built-in", t[i].suffix, t[i].defval);
		if (ref->type != t[i].type)
			ck_abort_msg("%s: type %s, built-in %s", t[i].suffix,
			             cfg_ptype_name(t[i].type), cfg_ptype_name(ref->type));
		delivery += (size_t)cfg_service_template_applies(&t[i], "smtp");
		pipe += (size_t)cfg_service_template_applies(&t[i], "pipe");
		spawn += (size_t)cfg_service_template_applies(&t[i], "spawn");
		ck_assert(!cfg_service_template_applies(&t[i], "qmgr"));
		ck_assert(!cfg_service_template_applies(&t[i], "/usr/lib/postfix/sbin/smtp"));
	}
	/* counts seen with the oracle: 16 for smtp, 17 for pipe, 1 for spawn */
	ck_assert_uint_eq(delivery, 16);
	ck_assert_uint_eq(pipe, 17);
	ck_assert_uint_eq(spawn, 1);
	ck_assert(cfg_is_delivery_agent("local"));
	ck_assert(cfg_is_delivery_agent("error"));
	ck_assert(cfg_is_delivery_agent("virtual"));
	ck_assert(cfg_is_delivery_agent("lmtp"));
	ck_assert(cfg_is_delivery_agent("pipe"));
	ck_assert(!cfg_is_delivery_agent("spawn"));
	ck_assert(!cfg_is_delivery_agent("discard"));
	ck_assert(!cfg_is_delivery_agent("retry"));
	ck_assert(!cfg_is_delivery_agent(""));
	ck_assert(!cfg_is_delivery_agent("smtpd"));
}
END_TEST

/* compute - run cfg_hostinfo_compute, returning the value (static buffer) or NULL */
static const char *compute(const char *name, const struct cfg_hostinfo_in *in, const char **diag)
{
	static char result[4096];
	struct cfg_buf b;
	struct cfg_diags ds;
	int rc;

	cfg_buf_init(&b);
	cfg_diags_init(&ds);
	rc = cfg_hostinfo_compute(name, in, &b, &ds);
	snprintf(result, sizeof(result), "%s", rc == 0 ? b.data : (ds.n ? ds.v[0].msg : "?"));
	if (diag)
		*diag = rc == 0 ? NULL : result;
	cfg_buf_fini(&b);
	cfg_diags_fini(&ds);
	return rc == 0 ? result : NULL;
}

START_TEST(test_hostname_rules)
{
	struct cfg_hostinfo_in in = {0};
	const char *err;

	setenv("POSTKIT_HOSTNAME", "a.b.example", 1);
	ck_assert_str_eq(compute("myhostname", &in, NULL), "a.b.example");
	ck_assert_str_eq(compute("mydomain", &in, NULL), "b.example");

	setenv("POSTKIT_HOSTNAME", "nodots", 1);
	ck_assert_str_eq(compute("myhostname", &in, NULL), "nodots.localdomain");
	ck_assert_str_eq(compute("mydomain", &in, NULL), "localdomain");
	in.mydomain = "foo.example"; /* main.cf mydomain completes a dotless name */
	ck_assert_str_eq(compute("myhostname", &in, NULL), "nodots.foo.example");
	in.mydomain = NULL;

	setenv("POSTKIT_HOSTNAME", "Mixed.EXAMPLE", 1);
	ck_assert_str_eq(compute("myhostname", &in, NULL), "Mixed.EXAMPLE");
	ck_assert_str_eq(compute("mydomain", &in, NULL), "EXAMPLE");

	/* mydomain follows a main.cf myhostname */
	in.myhostname = "x.y.z.example";
	ck_assert_str_eq(compute("mydomain", &in, NULL), "y.z.example");
	in.myhostname = "nodot";
	ck_assert_str_eq(compute("mydomain", &in, NULL), "localdomain");
	in.myhostname = "x.";
	ck_assert_str_eq(compute("mydomain", &in, NULL), "");
	in.myhostname = NULL;

	ck_assert_ptr_null(compute("relayhost", &in, &err));
	{
		struct cfg_buf b;

		cfg_buf_init(&b);
		setenv("POSTKIT_HOSTNAME", "h.example.org", 1);
		ck_assert_int_eq(
		    cfg_hostinfo_param_default(cfg_registry_find("myorigin"), NULL, &b, NULL), 0);
		cfg_buf_addc(&b, '|');
		ck_assert_int_eq(
		    cfg_hostinfo_param_default(cfg_registry_find("mydomain"), NULL, &b, NULL), 0);
		ck_assert_str_eq(b.data, "$myhostname|example.org");
		ck_assert_int_eq(cfg_hostinfo_default("myhostname", NULL, &b), 0);
		ck_assert_str_eq(b.data, "$myhostname|example.orgh.example.org");
		ck_assert_int_eq(cfg_hostinfo_default("relayhost", NULL, &b), -1);
		cfg_buf_fini(&b);
	}
	ck_assert_str_eq(
	    compute("process_name", &(struct cfg_hostinfo_in){.process_name = "postconf"}, NULL),
	    "postconf");
	ck_assert_ptr_nonnull(compute("process_id", NULL, NULL));
	unsetenv("POSTKIT_HOSTNAME");
	ck_assert_ptr_nonnull(compute("myhostname", NULL, NULL));
}
END_TEST

START_TEST(test_mynetworks_rules)
{
	struct cfg_hostinfo_in in = {0};
	const char *err;
	const char *v;

	/* loopback is always there: IPv4 first */
	in.inet_interfaces = "127.0.0.1";
	ck_assert_str_eq(compute("mynetworks", &in, NULL), "127.0.0.0/8");
	in.mynetworks_style = "host";
	ck_assert_str_eq(compute("mynetworks", &in, NULL), "127.0.0.1/32");
	in.mynetworks_style = "class";
	ck_assert_str_eq(compute("mynetworks", &in, NULL), "127.0.0.0/8");
	in.mynetworks_style = "host host"; /* one distinct value is fine */
	ck_assert_str_eq(compute("mynetworks", &in, NULL), "127.0.0.1/32");

	in.mynetworks_style = "HOST";
	ck_assert_ptr_null(compute("mynetworks", &in, &err));
	ck_assert_str_eq(err, "unknown mynetworks mask style value \"HOST\" in \"HOST\"");
	in.mynetworks_style = "host,subnet";
	ck_assert_ptr_null(compute("mynetworks", &in, &err));
	ck_assert_str_eq(err, "bad mynetworks_style value: host,subnet; specify exactly one value");
	in.mynetworks_style = "";
	ck_assert_ptr_null(compute("mynetworks", &in, &err));
	ck_assert_str_eq(err, "bad mynetworks_style value: ; specify exactly one value");
	in.mynetworks_style = NULL;

	in.inet_protocols = "ipv9";
	ck_assert_ptr_null(compute("mynetworks", &in, &err));
	ck_assert_str_eq(err, "unknown inet_protocols value \"ipv9\" in \"ipv9\"");
	in.inet_protocols = "";
	in.mynetworks_style = "bogus"; /* no protocol: empty, the style is not even checked */
	ck_assert_str_eq(compute("mynetworks", &in, NULL), "");
	in.mynetworks_style = NULL;

	in.inet_protocols = "ipv4";
	in.inet_interfaces = "all, 127.0.0.1";
	ck_assert_ptr_null(compute("mynetworks", &in, &err));
	ck_assert_str_eq(err, "config variable inet_interfaces: host not found: all");
	in.inet_interfaces = "192.0.2.254";
	ck_assert_ptr_null(compute("mynetworks", &in, &err));
	ck_assert_str_eq(err,
	                 "parameter inet_interfaces: no local interface found for 192.0.2.254");
	in.inet_interfaces = "";
	ck_assert_str_eq(compute("mynetworks", &in, NULL), "");

	/* loopback-only, and duplicates collapse */
	in.inet_interfaces = "loopback-only";
	v = compute("mynetworks", &in, NULL);
	ck_assert_ptr_nonnull(v);
	ck_assert_str_eq(v, "127.0.0.0/8");
	in.inet_interfaces = "127.0.0.1 127.0.0.1,[127.0.0.1]";
	ck_assert_str_eq(compute("mynetworks", &in, NULL), "127.0.0.0/8");

	/* the -d form: every interface; starts with loopback in practice */
	in = (struct cfg_hostinfo_in){0};
	v = compute("mynetworks", &in, NULL);
	ck_assert_ptr_nonnull(v);
	ck_assert(strstr(v, "127.0.0.0/8") != NULL);
	ck_assert(v[strlen(v) - 1] != ' ');
}
END_TEST

/* trim_eol - drop a trailing newline */
static void trim_eol(char *s)
{
	size_t n = strlen(s);

	if (n && s[n - 1] == '\n')
		s[n - 1] = '\0';
}

START_TEST(test_golden_postconf_d)
{
	const char *srcdir = getenv("top_srcdir");
	char path[4096];
	char line[8192];
	char want[8192];
	FILE *fp;
	size_t i = 0;
	size_t lineno = 0;

	if (srcdir == NULL)
		srcdir = ".";
	snprintf(path, sizeof(path), "%s/tests/data/registry/postconf-d.txt", srcdir);
	fp = fopen(path, "r");
	if (fp == NULL)
		ck_abort_msg("cannot open %s", path);
	while (fgets(line, sizeof(line), fp) != NULL) {
		const struct cfg_param_def *d = NULL;

		lineno++;
		trim_eol(line);
		/* skip host/process-derived entries (left out of the file) and legacy ones */
		while (i < cfg_registry_count()) {
			d = cfg_registry_at(i++);
			if (d->defval != NULL && !(d->flags & CFG_PF_LEGACY))
				break;
			d = NULL;
		}
		if (d == NULL)
			ck_abort_msg("%s:%zu: registry ended, want \"%s\"", path, lineno, line);
		/* postconf prints "name =" (no trailing blank) for an empty value */
		snprintf(want, sizeof(want), "%s =%s%s", d->name, *d->defval ? " " : "", d->defval);
		if (strcmp(want, line) != 0)
			ck_abort_msg("%s:%zu: got \"%s\", want \"%s\"", path, lineno, want, line);
	}
	fclose(fp);
	while (i < cfg_registry_count()) {
		if (cfg_registry_at(i)->defval != NULL
		    && !(cfg_registry_at(i)->flags & CFG_PF_LEGACY))
			ck_abort_msg("registry has extra entry %s", cfg_registry_at(i)->name);
		i++;
	}
	ck_assert_uint_eq(lineno, 826);
}
END_TEST

/* registry_suite - every registry test case */
static Suite *registry_suite(void)
{
	Suite *s = suite_create("registry");
	TCase *tc = tcase_create("core");

	tcase_add_test(tc, test_sorted_and_counted);
	tcase_add_test(tc, test_find_every_entry);
	tcase_add_test(tc, test_known_facts);
	tcase_add_test(tc, test_bounce_flag);
	tcase_add_test(tc, test_table_invariants);
	tcase_add_test(tc, test_bounds);
	tcase_add_test(tc, test_choices);
	tcase_add_test(tc, test_service_templates);
	tcase_add_test(tc, test_hostname_rules);
	tcase_add_test(tc, test_mynetworks_rules);
	tcase_add_test(tc, test_golden_postconf_d);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(registry_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
