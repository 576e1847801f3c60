/* test_check.c - check suite for libcfg/check: `postfix check` findings, order, rendering */
#include "config.h"

#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cfg/base/buf.h"
#include "cfg/check/check.h"
#include "cfg/base/diag.h"
#include "cfg/io/json.h"
#include "cfg/base/xalloc.h"

/* ---- edit distance and suggestions ---------------------------------------------------- */

static const struct dist_row {
	const char *a, *b;
	size_t limit, want;
} dist_rows[] = {
    {"myhostname", "myhostname", 3, 0},
    {"myhostnmae", "myhostname", 3, 1}, /* a swap of neighbours is one edit */
    {"mydomain", "mydomian", 3, 1},
    {"relay_host", "relayhost", 3, 1},
    {"kitten", "sitting", 5, 3},
    {"", "abc", 5, 3},
    {"abc", "", 5, 3},
    {"ca", "abc", 5, 3}, /* optimal string alignment, not full Damerau */
    {"smtpd_timeout", "smtp_timeout", 3, 1},
    {"completely_different", "myhostname", 3, 4}, /* capped at limit + 1 */
};

START_TEST(test_distance)
{
	const struct dist_row *r = &dist_rows[_i];
	size_t got = cfg_check_edit_distance(r->a, r->b, r->limit);

	ck_assert_msg(got == r->want, "distance(%s, %s, %zu): got %zu, want %zu", r->a, r->b,
	              r->limit, got, r->want);
}
END_TEST

static const struct suggest_row {
	const char *word;
	const char *want; /* NULL: no suggestion */
} suggest_rows[] = {
    {"myhostnmae", "myhostname"},
    {"smtpd_recipient_restriction", "smtpd_recipient_restrictions"},
    {"smtpd_tls_securty_level", "smtpd_tls_security_level"},
    {"mail_nmae", "mail_name"},
    {"relay_host", "relayhost"},
    {"frobnicate_level", NULL},
    {"x", NULL},
};

START_TEST(test_suggest_param)
{
	const struct suggest_row *r = &suggest_rows[_i];
	const char *got = cfg_check_suggest_param(r->word);

	if (r->want == NULL)
		ck_assert_msg(got == NULL, "%s: got \"%s\", want none", r->word, got);
	else
		ck_assert_msg(got != NULL && strcmp(got, r->want) == 0,
		              "%s: got \"%s\", want \"%s\"", r->word, got ? got : "(none)",
		              r->want);
}
END_TEST

START_TEST(test_suggest_list)
{
	static const char *const words[] = {"smtpd", "smtp", "pickup", "cleanup", NULL};

	ck_assert_str_eq(cfg_check_suggest("smtpdd", words), "smtpd");
	ck_assert_str_eq(cfg_check_suggest("pikup", words), "pickup");
	/* the word itself is no suggestion: the nearest other one is */
	ck_assert_str_eq(cfg_check_suggest("smtpd", words), "smtp");
	ck_assert_ptr_null(cfg_check_suggest("qmgr", words));
	/* ties go to the earlier candidate */
	ck_assert_str_eq(cfg_check_suggest("smtq", words), "smtp");
}
END_TEST

/* ---- report order and rendering ----------------------------------------------------------- */

/* add - a diagnostic with a parameter */
static void add(struct cfg_diags *ds, enum cfg_severity sev, const char *code, const char *file,
                unsigned line, unsigned col, const char *param, const char *msg)
{
	struct cfg_diag *d = cfg_diags_add(ds, sev, code, file, line, col, "%s", msg);

	if (param != NULL)
		d->param = cfg_xstrdup(param);
}

START_TEST(test_finish_order)
{
	struct cfg_diags ds;
	struct cfg_buf out;

	cfg_diags_init(&ds);
	cfg_buf_init(&out);
	add(&ds, CFG_SEV_WARNING, "w", "d/master.cf", 3, 0, NULL, "later file");
	add(&ds, CFG_SEV_WARNING, "w", "d/main.cf", 7, 12, "p", "column 12");
	add(&ds, CFG_SEV_FATAL, "f", "d/main.cf", 7, 0, NULL, "fatal becomes error");
	add(&ds, CFG_SEV_NOTE, "n", "d/main.cf", 7, 0, NULL, "a note");
	add(&ds, CFG_SEV_WARNING, "w", "d/main.cf", 7, 12, "p", "column 12"); /* a repeat */
	add(&ds, CFG_SEV_WARNING, "w", "d/main.cf", 2, 0, NULL, "first line");
	add(&ds, CFG_SEV_WARNING, "w", "d/main.cf", 0, 0, NULL, "whole file");
	add(&ds, CFG_SEV_ERROR, "e", NULL, 0, 0, NULL, "no file");
	cfg_check_finish(&ds);
	cfg_check_render_text(&ds, &out);
	ck_assert_str_eq(out.data, "postfix: error: no file\n"
	                           "d/main.cf: warning: whole file\n"
	                           "d/main.cf:2: warning: first line\n"
	                           "d/main.cf:7: error: fatal becomes error\n"
	                           "d/main.cf:7: note: a note\n"
	                           "d/main.cf:7:12: warning: column 12\n"
	                           "d/master.cf:3: warning: later file\n");
	ck_assert_uint_eq(cfg_diags_count(&ds, CFG_SEV_ERROR), 2);
	cfg_buf_fini(&out);
	cfg_diags_fini(&ds);
}
END_TEST

START_TEST(test_render_json)
{
	struct cfg_diags ds;
	struct cfg_buf a, b;
	struct cfg_json *j;
	const char *key;
	struct cfg_json *val;
	size_t pos = 0, k = 0;
	static const char *const keys[] = {"file", "line",      "column", "severity",
	                                   "code", "parameter", "message"};

	cfg_diags_init(&ds);
	cfg_buf_init(&a);
	cfg_buf_init(&b);
	cfg_check_render_json(&ds, &a);
	ck_assert_str_eq(a.data, "[]\n");
	cfg_buf_reset(&a);
	add(&ds, CFG_SEV_ERROR, "value-bool", "d/main.cf", 4, 0, "biff",
	    "bad boolean configuration: biff = \"maybe\"");
	add(&ds, CFG_SEV_WARNING, "w", "d/main.cf", 5, 9, NULL, "x");
	cfg_check_finish(&ds);
	cfg_check_render_json(&ds, &a);
	cfg_check_render_json(&ds, &b);
	ck_assert_str_eq(a.data, b.data); /* stable */
	j = cfg_json_parse(a.data, a.len, "test", NULL);
	ck_assert_ptr_nonnull(j);
	ck_assert_uint_eq(cfg_json_size(j), 2);
	while (cfg_json_object_next(cfg_json_array_get(j, 0), &pos, &key, &val))
		ck_assert_str_eq(key, keys[k++]);
	ck_assert_uint_eq(k, 7);
	val = cfg_json_array_get(j, 0);
	ck_assert_int_eq(cfg_json_typeof(cfg_json_object_get(val, "column")), CFG_JSON_NULL);
	ck_assert_str_eq(cfg_json_string_value(cfg_json_object_get(val, "parameter")), "biff");
	ck_assert_str_eq(cfg_json_string_value(cfg_json_object_get(val, "message")),
	                 "bad boolean configuration: biff = \"maybe\"");
	val = cfg_json_array_get(j, 1);
	ck_assert_int_eq(cfg_json_integer_value(cfg_json_object_get(val, "column")), 9);
	ck_assert_int_eq(cfg_json_typeof(cfg_json_object_get(val, "parameter")), CFG_JSON_NULL);
	cfg_json_free(j);
	cfg_buf_fini(&a);
	cfg_buf_fini(&b);
	cfg_diags_fini(&ds);
}
END_TEST

/* ---- whole configurations ------------------------------------------------------------ */

static const char master_cf[] =
    "smtp      inet  n       -       n       -       -       smtpd\n"
    "pickup    unix  n       -       n       60      1       pickup\n"
    "cleanup   unix  n       -       n       -       0       cleanup\n"
    "qmgr      unix  n       -       n       300     1       qmgr\n"
    "rewrite   unix  -       -       n       -       -       trivial-rewrite\n"
    "bounce    unix  -       -       n       -       0       bounce\n"
    "defer     unix  -       -       n       -       0       bounce\n"
    "trace     unix  -       -       n       -       0       bounce\n"
    "verify    unix  -       -       n       -       1       verify\n"
    "flush     unix  n       -       n       1000?   0       flush\n"
    "proxymap  unix  -       -       n       -       -       proxymap\n"
    "proxywrite unix -       -       n       -       1       proxymap\n"
    "smtp      unix  -       -       n       -       -       smtp\n"
    "relay     unix  -       -       n       -       -       smtp\n"
    "showq     unix  n       -       n       -       -       showq\n"
    "error     unix  -       -       n       -       -       error\n"
    "retry     unix  -       -       n       -       -       error\n"
    "discard   unix  -       -       n       -       -       discard\n"
    "local     unix  -       n       n       -       -       local\n"
    "virtual   unix  -       n       n       -       -       virtual\n"
    "anvil     unix  -       -       n       -       1       anvil\n"
    "scache    unix  -       -       n       -       1       scache\n";

/* lines 1-5 of every main.cf below; the row's text starts on line 6 */
static const char main_base[] = "compatibility_level = 3.6\n"
                                "myhostname = mail.example.com\n"
                                "mydomain = example.com\n";
static const char main_relay[] =
    "mynetworks = 127.0.0.0/8\n"
    "smtpd_relay_restrictions = permit_mynetworks, reject_unauth_destination\n";
static const char main_no_relay[] = "# the row sets mynetworks\n"
                                    "# and smtpd_relay_restrictions\n";

static const struct conf_row {
	const char *name;
	const char *main_add; /* appended to main_base and main_relay (see own_relay) */
	const char *master_add;
	enum cfg_severity sev; /* of the one expected finding */
	const char *code;      /* NULL: no finding at all */
	const char *file;      /* "main.cf" or "master.cf" */
	unsigned line, col;
	const char *msg; /* a part of the message */
	int own_relay;   /* main_add sets mynetworks/smtpd_relay_restrictions: no main_relay */
} conf_rows[] = {
    {"valid", "", "", 0, NULL, NULL, 0, 0, NULL, 0},
    {"bool", "disable_vrfy_command = maybe\n", "", CFG_SEV_ERROR, "value-bool", "main.cf", 6, 0,
     "bad boolean configuration: disable_vrfy_command = maybe", 0},
    {"time", "smtpd_timeout = 300q\n", "", CFG_SEV_ERROR, "value-time", "main.cf", 6, 0,
     "parameter smtpd_timeout: bad time value or unit: 300q", 0},
    {"int", "smtpd_recipient_limit = 1k\n", "", CFG_SEV_ERROR, "value-number", "main.cf", 6, 0,
     "bad numerical configuration: smtpd_recipient_limit = 1k", 0},
    {"range", "default_process_limit = 0\n", "", CFG_SEV_ERROR, "value-range", "main.cf", 6, 0,
     "invalid default_process_limit parameter value 0 < 1", 0},
    {"restriction on a continuation line",
     "smtpd_client_restrictions = permit_mynetworks,\n    permit_bogus\n", "", CFG_SEV_ERROR,
     "restriction-unknown", "main.cf", 7, 5, "unknown smtpd restriction: \"permit_bogus\"", 0},
    {"second occurrence", "smtpd_helo_restrictions = sleep 1, sleep x\n", "", CFG_SEV_ERROR,
     "restriction-argument", "main.cf", 6, 36, "restriction sleep must be followed by number", 0},
    {"unused", "myhostnmae = x.example.com\n", "", CFG_SEV_WARNING, "param-unused", "main.cf", 6, 0,
     "(did you mean \"myhostname\"?)", 0},
    {"undefined", "smtpd_banner = $myhostname $nosuch_thing\n", "", CFG_SEV_WARNING,
     "param-undefined", "main.cf", 6, 28, "undefined parameter: nosuch_thing", 0},
    {"override", "", "submission inet n - n - - smtpd\n  -o smtpd_tls_security_level=required\n",
     CFG_SEV_ERROR, "value-enum", "master.cf", 24, 31, "invalid value \"required\"", 0},
    {"command", "", "filter unix - n n - 1 nosuchdaemon\n", CFG_SEV_ERROR, "mastercf-command",
     "master.cf", 23, 0, "unknown command \"nosuchdaemon\"", 0},
    {"open relay",
     "mynetworks = 0.0.0.0/0\nsmtpd_relay_restrictions = permit_mynetworks, "
     "reject_unauth_destination\n",
     "", CFG_SEV_ERROR, "relay-mynetworks", "main.cf", 6, 14,
     "open relay: mynetworks contains 0.0.0.0/0", 1},
    {"no guard", "mynetworks = 127.0.0.0/8\nsmtpd_relay_restrictions = permit_mynetworks\n", "",
     CFG_SEV_ERROR, "relay-no-guard", "main.cf", 7, 0, "specify at least one working instance of",
     1},
};

/* write_file - create dir/name with text */
static void write_file(const char *dir, const char *name, const char *text)
{
	char *path = cfg_xasprintf("%s/%s", dir, name);
	FILE *fp = fopen(path, "w");

	ck_assert_ptr_nonnull(fp);
	fputs(text, fp);
	ck_assert_int_eq(fclose(fp), 0);
	free(path);
}

/* remove_tree - remove the files this suite creates in dir, then dir */
static void remove_tree(const char *dir)
{
	static const char *const files[] = {"main.cf", "master.cf", "aliases", NULL};

	for (const char *const *f = files; *f; f++) {
		char *path = cfg_xasprintf("%s/%s", dir, *f);

		unlink(path);
		free(path);
	}
	rmdir(dir);
}

START_TEST(test_config)
{
	const struct conf_row *r = &conf_rows[_i];
	const char *tmp = getenv("TMPDIR");
	char *dir_tmpl = cfg_xasprintf("%s/test_check.XXXXXX", tmp && *tmp ? tmp : "/tmp");
	char *dir = mkdtemp(dir_tmpl);
	struct cfg_check_opts opts = {CFG_CHECK_NO_FS};
	struct cfg_diags ds;
	struct cfg_buf text, main_cf, master;
	char *want_file;
	size_t errors;

	ck_assert_ptr_nonnull(dir);
	cfg_buf_init(&main_cf);
	cfg_buf_init(&master);
	cfg_buf_init(&text);
	cfg_buf_printf(&main_cf, "%s%s%s", main_base, r->own_relay ? main_no_relay : main_relay,
	               r->main_add);
	cfg_buf_printf(&master, "%s%s", master_cf, r->master_add);
	write_file(dir, "main.cf", main_cf.data);
	write_file(dir, "master.cf", master.data);
	cfg_diags_init(&ds);
	errors = cfg_check_dir(dir, &opts, &ds);
	cfg_check_render_text(&ds, &text);
	if (r->code == NULL) {
		ck_assert_msg(ds.n == 0, "%s: got\n%s, want no finding", r->name, text.data);
	} else {
		const struct cfg_diag *d = ds.n ? &ds.v[0] : NULL;

		want_file = cfg_xasprintf("%s/%s", dir, r->file);
		ck_assert_msg(ds.n == 1, "%s: got\n%s, want one finding", r->name, text.data);
		ck_assert_msg(d->sev == r->sev && strcmp(d->code, r->code) == 0
		                  && strcmp(d->file, want_file) == 0 && d->line == r->line
		                  && d->col == r->col && strstr(d->msg, r->msg) != NULL,
		              "%s: got %s (code %s), want %s:%u:%u %s %s \"...%s...\"", r->name,
		              text.data, d->code, r->file, r->line, r->col,
		              cfg_severity_name(r->sev), r->code, r->msg);
		ck_assert_uint_eq(errors, r->sev >= CFG_SEV_ERROR ? 1 : 0);
		free(want_file);
	}
	cfg_diags_fini(&ds);
	cfg_buf_fini(&text);
	cfg_buf_fini(&main_cf);
	cfg_buf_fini(&master);
	remove_tree(dir);
	free(dir_tmpl);
}
END_TEST

START_TEST(test_missing_main_cf)
{
	const char *tmp = getenv("TMPDIR");
	char *dir_tmpl = cfg_xasprintf("%s/test_check.XXXXXX", tmp && *tmp ? tmp : "/tmp");
	char *dir = mkdtemp(dir_tmpl);
	struct cfg_check_opts opts = {CFG_CHECK_NO_FS};
	struct cfg_diags ds;

	ck_assert_ptr_nonnull(dir);
	cfg_diags_init(&ds);
	ck_assert_uint_eq(cfg_check_dir(dir, &opts, &ds), 1);
	ck_assert_uint_eq(ds.n, 1);
	ck_assert_ptr_nonnull(strstr(ds.v[0].msg, "main.cf: No such file or directory"));
	cfg_diags_fini(&ds);
	remove_tree(dir);
	free(dir_tmpl);
}
END_TEST

/*
 * test_alias_db - an alias database newaliases has not built yet (its source
 * exists): a note for postfix check, an error for start and reload
 * (CFG_CHECK_RUN); a table of alias_maps that alias_database does not list
 * stays an error
 */
START_TEST(test_alias_db)
{
	static const struct {
		unsigned flags;
		const char *database; /* alias_database */
		enum cfg_severity sev;
		const char *code, *msg;
	} rows[] = {
	    {0, "$alias_maps", CFG_SEV_NOTE, "alias-db-missing",
	     "/aliases.db does not exist yet: \"MAIL_CONFIG="},
	    {CFG_CHECK_RUN, "$alias_maps", CFG_SEV_ERROR, "table-open",
	     "/aliases.db: No such file or directory: \"MAIL_CONFIG="},
	    {0, "hash:/nonexistent/aliases", CFG_SEV_ERROR, "table-open",
	     "/aliases.db: No such file or directory"},
	};
	const char *tmp = getenv("TMPDIR");

	for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		char *dir_tmpl = cfg_xasprintf("%s/test_check.XXXXXX", tmp && *tmp ? tmp : "/tmp");
		char *dir = mkdtemp(dir_tmpl);
		struct cfg_check_opts opts = {CFG_CHECK_NO_FS | rows[i].flags};
		struct cfg_diags ds;
		struct cfg_buf main_cf;
		size_t errors;

		ck_assert_ptr_nonnull(dir);
		cfg_buf_init(&main_cf);
		cfg_buf_printf(
		    &main_cf,
		    "%s%salias_maps = hash:$config_directory/aliases\nalias_database = %s\n",
		    main_base, main_relay, rows[i].database);
		write_file(dir, "main.cf", main_cf.data);
		write_file(dir, "master.cf", master_cf);
		write_file(dir, "aliases", "postmaster: root\n");
		cfg_diags_init(&ds);
		errors = cfg_check_dir(dir, &opts, &ds);
		ck_assert_msg(ds.n >= 1, "row %zu: no finding", i);
		ck_assert_msg(ds.v[0].sev == rows[i].sev && strcmp(ds.v[0].code, rows[i].code) == 0
		                  && ds.v[0].line == 6 && strstr(ds.v[0].msg, rows[i].msg) != NULL,
		              "row %zu: got line %u %s %s", i, ds.v[0].line, ds.v[0].code,
		              ds.v[0].msg);
		ck_assert_uint_eq(errors, rows[i].sev >= CFG_SEV_ERROR ? 1 + (i == 2) : 0);
		cfg_diags_fini(&ds);
		cfg_buf_fini(&main_cf);
		remove_tree(dir);
		free(dir_tmpl);
	}
}
END_TEST

int main(void)
{
	Suite *s = suite_create("check");
	TCase *tc = tcase_create("core");
	SRunner *sr;
	int failed;

	tcase_add_loop_test(tc, test_distance, 0, sizeof(dist_rows) / sizeof(dist_rows[0]));
	tcase_add_loop_test(tc, test_suggest_param, 0,
	                    sizeof(suggest_rows) / sizeof(suggest_rows[0]));
	tcase_add_test(tc, test_suggest_list);
	tcase_add_test(tc, test_finish_order);
	tcase_add_test(tc, test_render_json);
	tcase_add_loop_test(tc, test_config, 0, sizeof(conf_rows) / sizeof(conf_rows[0]));
	tcase_add_test(tc, test_missing_main_cf);
	tcase_add_test(tc, test_alias_db);
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
