/* test_base.c - check suite for libcfg/base: buffers, vectors, hash table, lines, files */
#include "config.h"

#include <check.h>
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cfg/base/buf.h"
#include "cfg/base/diag.h"
#include "cfg/base/dlib.h"
#include "cfg/base/fileio.h"
#include "cfg/base/net.h"
#include "cfg/base/htab.h"
#include "cfg/base/lines.h"
#include "cfg/base/strvec.h"
#include "cfg/base/xalloc.h"

START_TEST(test_buf_grows_and_terminates)
{
	struct cfg_buf b;

	cfg_buf_init(&b);
	for (int i = 0; i < 1000; i++)
		cfg_buf_printf(&b, "%d,", i);
	ck_assert_uint_eq(b.len, strlen(b.data));
	ck_assert(strncmp(b.data, "0,1,2,", 6) == 0);
	cfg_buf_truncate(&b, 2);
	ck_assert_str_eq(b.data, "0,");
	cfg_buf_addc(&b, 'x');
	ck_assert_str_eq(b.data, "0,x");
	char *s = cfg_buf_take(&b);
	ck_assert_str_eq(s, "0,x");
	free(s);
}
END_TEST

START_TEST(test_strvec_split_join)
{
	struct cfg_strvec sv;
	char *j;

	cfg_strvec_init(&sv);
	cfg_strvec_split(&sv, " a, b,,c  ", ", ");
	ck_assert_uint_eq(sv.n, 3);
	ck_assert_ptr_null(sv.v[3]);
	j = cfg_strvec_join(&sv, "|");
	ck_assert_str_eq(j, "a|b|c");
	free(j);
	cfg_strvec_fini(&sv);
}
END_TEST

START_TEST(test_htab_order_and_delete)
{
	struct cfg_htab *h = cfg_htab_new(0);
	char key[32];
	size_t pos = 0;
	const char *k;
	void *v;
	long want = 0;

	for (long i = 0; i < 5000; i++) {
		snprintf(key, sizeof(key), "k%ld", i);
		ck_assert_ptr_null(cfg_htab_put(h, key, (void *)(i + 1)));
	}
	for (long i = 0; i < 5000; i += 2) {
		snprintf(key, sizeof(key), "k%ld", i);
		ck_assert_ptr_eq(cfg_htab_del(h, key), (void *)(i + 1));
	}
	ck_assert_uint_eq(cfg_htab_count(h), 2500);
	ck_assert_ptr_null(cfg_htab_get(h, "k0"));
	ck_assert_ptr_eq(cfg_htab_get(h, "k1"), (void *)2);
	/* re-adding goes to the end */
	cfg_htab_put(h, "k0", (void *)99);
	want = 1;
	while (cfg_htab_next(h, &pos, &k, &v)) {
		if (strcmp(k, "k0") == 0) {
			ck_assert_int_eq(want, 5001);
			break;
		}
		snprintf(key, sizeof(key), "k%ld", want);
		ck_assert_str_eq(k, key);
		want += 2;
	}
	cfg_htab_free(h, NULL);
}
END_TEST

START_TEST(test_htab_borrowed_keys)
{
	/* the caller's strings are the keys: same pointers back, nothing copied or freed */
	static char keys[3000][16];
	struct cfg_htab *h = cfg_htab_new_borrowed(10);
	size_t pos = 0, n = 0;
	const char *k;

	for (int i = 0; i < 3000; i++) {
		snprintf(keys[i], sizeof(keys[i]), "key%d", i);
		ck_assert_ptr_null(cfg_htab_put(h, keys[i], keys[i]));
	}
	ck_assert_ptr_eq(cfg_htab_get(h, "key2999"), keys[2999]);
	ck_assert_ptr_eq(cfg_htab_del(h, "key7"), keys[7]);
	while (cfg_htab_next(h, &pos, &k, NULL)) {
		ck_assert_ptr_eq(k, cfg_htab_get(h, k));
		n++;
	}
	ck_assert_uint_eq(n, 2999);
	cfg_htab_free(h, NULL);
}
END_TEST

/* read every logical line of text into "first-last:text|" form */
static char *all_lines(const char *text)
{
	struct cfg_lines lr;
	struct cfg_lline ll;
	struct cfg_buf out;

	cfg_buf_init(&out);
	cfg_lines_init(&lr, text, strlen(text));
	cfg_lline_init(&ll);
	while (cfg_lines_next(&lr, &ll)) {
		if (ll.orphan_line)
			cfg_buf_printf(&out, "orphan@%u:%s|", ll.orphan_line, ll.orphan.data);
		cfg_buf_printf(&out, "%u-%u:%s|", ll.first, ll.last, ll.text.data);
	}
	if (ll.orphan_line)
		cfg_buf_printf(&out, "orphan@%u:%s|", ll.orphan_line, ll.orphan.data);
	cfg_lline_fini(&ll);
	return cfg_buf_take(&out);
}

START_TEST(test_lines_rules)
{
	static const struct {
		const char *in, *want;
	} cases[] = {
	    {"a = b\n", "1-1:a = b|"},
	    {"a = b", "1-1:a = b|"},
	    {"a = b\n  c\n", "1-2:a = b  c|"},
	    {"a = b\n# x\n\n  c\nd = e\n", "1-4:a = b  c|5-5:d = e|"},
	    {"a = b\n# x\nd\n", "1-1:a = b|3-3:d|"},
	    {"  lead\na\n", "orphan@1:  lead|2-2:a|"},
	    /* one orphan: its continuation lines join it across comments and blanks */
	    {"#c\n  lead\n\n  more\n# c\n\tend\r\na\n", "orphan@2:  lead  more\tend\r|7-7:a|"},
	    /* a file holding only an orphan reports it on the final call */
	    {"  only\n  this\n", "orphan@1:  only  this|"},
	    {"a = b # not comment\n", "1-1:a = b # not comment|"},
	    {"a = b\r\n", "1-1:a = b\r|"},
	    {"   # indented comment\na\n", "2-2:a|"},
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char *got = all_lines(cases[i].in);
		ck_assert_msg(strcmp(got, cases[i].want) == 0, "case %zu: got \"%s\", want \"%s\"",
		              i, got, cases[i].want);
		free(got);
	}
}
END_TEST

START_TEST(test_file_replace_keeps_mode)
{
	char dir[] = "/tmp/postkit-test-XXXXXX";
	struct cfg_diags ds;
	struct cfg_buf b;
	struct stat st;
	char *path;

	ck_assert_ptr_nonnull(mkdtemp(dir));
	path = cfg_xasprintf("%s/main.cf", dir);
	cfg_diags_init(&ds);
	ck_assert_int_eq(cfg_file_replace(path, "a = 1\n", 6, 0640, &ds), 0);
	ck_assert_int_eq(stat(path, &st), 0);
	ck_assert_int_eq(st.st_mode & 0777, 0640);
	ck_assert_int_eq(chmod(path, 0600), 0);
	ck_assert_int_eq(cfg_file_replace(path, "a = 2\n", 6, 0644, &ds), 0);
	ck_assert_int_eq(stat(path, &st), 0);
	ck_assert_int_eq(st.st_mode & 0777, 0600);
	cfg_buf_init(&b);
	ck_assert_int_eq(cfg_file_read(path, &b, &ds), 0);
	ck_assert_str_eq(b.data, "a = 2\n");
	int fd = cfg_file_lock(path, &ds);
	ck_assert_int_ge(fd, 0);
	cfg_file_unlock(fd);
	ck_assert_int_eq(cfg_file_read("/nonexistent/x", &b, &ds), -1);
	ck_assert_uint_eq(ds.n, 1);
	ck_assert_str_eq(ds.v[0].msg, "open /nonexistent/x: No such file or directory");
	cfg_buf_fini(&b);
	cfg_diags_fini(&ds);
	unlink(path);
	rmdir(dir);
	free(path);
}
END_TEST

/* one parser of networks: forms, errors in order, matching */
START_TEST(test_net)
{
	static const struct {
		const char *text;
		enum cfg_net_status st;
		unsigned bits;
	} cases[] = {
	    {"192.0.2.1", CFG_NET_OK, 32},           {"192.0.2.0/24", CFG_NET_OK, 24},
	    {"[2001:db8::]/32", CFG_NET_OK, 32},     {"[2001:db8::/32]", CFG_NET_OK, 32},
	    {"2001:db8::1", CFG_NET_OK, 128},        {"[2001:db8::1", CFG_NET_NO_CLOSE, 0},
	    {"[2001:db8::1]x", CFG_NET_GARBAGE, 0},  {"192.0.2.0/", CFG_NET_LEN_SYNTAX, 0},
	    {"192.0.2.0/2x", CFG_NET_LEN_SYNTAX, 0}, {"192.0.2.0/33", CFG_NET_LEN_RANGE, 0},
	    {"192.0.2/24", CFG_NET_BAD_ADDR, 0},     {"10.1.2.3/8", CFG_NET_HOST_BITS, 8},
	};
	struct cfg_net n;
	unsigned char a[16];
	int family;

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		enum cfg_net_status st = cfg_net_parse(cases[i].text, &n);

		ck_assert_msg(st == cases[i].st, "%s: status %d", cases[i].text, (int)st);
		if (st == CFG_NET_OK || st == CFG_NET_HOST_BITS)
			ck_assert_uint_eq(n.bits, cases[i].bits);
	}
	ck_assert_int_eq(cfg_net_parse("10.1.2.3/8", &n), CFG_NET_HOST_BITS);
	ck_assert_int_eq(n.addr[1], 0); /* the network it probably meant */
	ck_assert_int_eq(cfg_net_parse("[2001:db8::]/32", &n), CFG_NET_OK);
	ck_assert_int_eq(cfg_net_match_text(&n, "2001:db8:1::5"), 1);
	ck_assert_int_eq(cfg_net_match_text(&n, "2001:db9::5"), 0);
	ck_assert_int_eq(cfg_net_match_text(&n, "192.0.2.1"), 0);
	ck_assert_int_eq(cfg_net_match_text(&n, "not an address"), 0);
	ck_assert_int_eq(cfg_net_parse("192.0.2.0/24", &n), CFG_NET_OK);
	ck_assert_int_eq(cfg_net_addr("192.0.2.200", &family, a), 0);
	ck_assert_int_eq(cfg_net_match(&n, family, a), 1);
	ck_assert_int_eq(cfg_net_addr("192.0.3.1", &family, a), 0);
	ck_assert_int_eq(cfg_net_match(&n, family, a), 0);
	ck_assert_int_eq(cfg_net_parse("0.0.0.0/0", &n), CFG_NET_OK);
	ck_assert_int_eq(cfg_net_match_text(&n, "203.0.113.9"), 1);
}
END_TEST

/* one read-modify-write cycle: begin locks and reads, commit replaces, end unlocks */
START_TEST(test_file_txn)
{
	char dir[] = "/tmp/postkit-test-XXXXXX";
	struct cfg_file_txn t, u;
	struct cfg_diags ds;
	struct cfg_buf b;
	char *path;
	int fd;

	ck_assert_ptr_nonnull(mkdtemp(dir));
	path = cfg_xasprintf("%s/main.cf", dir);
	cfg_diags_init(&ds);
	/* missing: refused, unless the caller says it may be missing */
	ck_assert_int_eq(cfg_file_begin(&t, path, 0, &ds), -1);
	cfg_file_end(&t);
	ck_assert_uint_eq(ds.n, 1);
	ck_assert_int_eq(cfg_file_begin(&t, path, CFG_FILE_MAY_BE_MISSING, &ds), 0);
	ck_assert_int_eq(t.exists, 0);
	ck_assert_int_eq(cfg_file_commit(&t, "a = 1\n", 6, 0640, &ds), 0);
	cfg_file_end(&t);
	cfg_file_end(&t); /* twice is harmless */
	ck_assert_int_eq(cfg_file_begin(&u, path, 0, &ds), 0);
	ck_assert_int_eq(u.exists, 1);
	ck_assert_str_eq(u.text.data, "a = 1\n");
	ck_assert_int_eq(cfg_file_commit(&u, "a = 2\n", 6, 0644, &ds), 0);
	cfg_file_end(&u);
	cfg_buf_init(&b);
	ck_assert_int_eq(cfg_file_read(path, &b, &ds), 0);
	ck_assert_str_eq(b.data, "a = 2\n");
	/* the lock is free again */
	fd = cfg_file_lock(path, &ds);
	ck_assert_int_ge(fd, 0);
	cfg_file_unlock(fd);
	cfg_buf_fini(&b);
	cfg_diags_fini(&ds);
	unlink(path);
	rmdir(dir);
	free(path);
}
END_TEST

/* oom_exit - an out-of-memory handler that says what it got through the exit status */
static void oom_exit(const char *what, size_t size)
{
	_exit(strcmp(what, "myrealloc") == 0 && size == SIZE_MAX && errno == ENOMEM ? 42 : 1);
}

/* the program's handler runs instead of abort() (the test exits with its status) */
START_TEST(test_xalloc_oom_handler)
{
	cfg_xalloc_set_oom(oom_exit);
	(void)cfg_xreallocarray(NULL, SIZE_MAX / 2, 4);
}
END_TEST

/* a library is loaded at the first call and its functions resolved; a failure says what failed */
START_TEST(test_dlib_load)
{
	struct {
		char *(*mdb_version)(int *major, int *minor, int *patch);
	} fn = {NULL};
	struct {
		void (*a)(void), (*b)(void);
	} two = {NULL, NULL};
	static const char *const names[] = {"mdb_version"};
	static const char *const bad_names[] = {"mdb_version", "postkit_no_such_function"};
	struct cfg_dlib lib = {LMDB_SONAME, names, CFG_DLIB_COUNT(names), &fn, 0, NULL};
	struct cfg_dlib missing = {"libpostkit-missing.so.0", names, 1, &fn, 0, NULL};
	struct cfg_dlib undefined = {LMDB_SONAME, bad_names, 2, &two, 0, NULL};

	ck_assert_int_eq(cfg_dlib_load(&lib), 0);
	ck_assert_ptr_nonnull(fn.mdb_version);
	ck_assert_int_eq(strncmp(fn.mdb_version(NULL, NULL, NULL), "LMDB", 4), 0);
	ck_assert_int_eq(cfg_dlib_load(&lib), 0); /* once loaded, stays loaded */
	ck_assert_ptr_null(lib.error);

	ck_assert_int_eq(cfg_dlib_load(&missing), -1);
	ck_assert_ptr_nonnull(strstr(missing.error, "libpostkit-missing.so.0"));
	ck_assert_int_eq(cfg_dlib_load(&missing), -1); /* not tried again */
	free(missing.error);

	ck_assert_int_eq(cfg_dlib_load(&undefined), -1);
	ck_assert_str_eq(undefined.error,
	                 LMDB_SONAME ": undefined symbol: postkit_no_such_function");
	free(undefined.error);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("base");
	TCase *tc = tcase_create("core");
	SRunner *sr;
	int failed;

	tcase_add_test(tc, test_buf_grows_and_terminates);
	tcase_add_test(tc, test_strvec_split_join);
	tcase_add_test(tc, test_htab_order_and_delete);
	tcase_add_test(tc, test_htab_borrowed_keys);
	tcase_add_test(tc, test_lines_rules);
	tcase_add_test(tc, test_file_replace_keeps_mode);
	tcase_add_test(tc, test_file_txn);
	tcase_add_test(tc, test_net);
	tcase_add_test(tc, test_dlib_load);
	tcase_add_exit_test(tc, test_xalloc_oom_handler, 42);
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
