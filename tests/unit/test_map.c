/*
 * test_map.c - check suite for the table API of cfg/map.h: types, folding,
 * duplicate policies, NUL handling, atomic GDBM builds, foreign files,
 * aliases(5) line parsing
 */
#include "config.h"

#include <check.h>
#include <dirent.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cfg/base/fileio.h"
#include "cfg/map/map.h"
#include "cfg/schema/tabletype.h"
#include "cfg/base/xalloc.h"

static const char tmpl[] = "/tmp/test_map.XXXXXX";
static char tmpdir[sizeof(tmpl)];

/* setup - a fresh temporary directory per test */
static void setup(void)
{
	memcpy(tmpdir, tmpl, sizeof(tmpl));
	ck_assert_ptr_nonnull(mkdtemp(tmpdir));
}

/* teardown - remove the directory and everything in it */
static void teardown(void)
{
	DIR *d = opendir(tmpdir);
	struct dirent *e;

	while (d && (e = readdir(d)) != NULL) {
		char *p;

		if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
			continue;
		p = cfg_xasprintf("%s/%s", tmpdir, e->d_name);
		unlink(p);
		free(p);
	}
	if (d)
		closedir(d);
	rmdir(tmpdir);
}

/* path - a file in the temporary directory (static storage, two at a time) */
static const char *path(const char *name)
{
	static char buf[2][512];
	static int i;

	i = !i;
	snprintf(buf[i], sizeof(buf[i]), "%s/%s", tmpdir, name);
	return buf[i];
}

/* write_file - create a file with the given text */
static void write_file(const char *p, const char *text)
{
	ck_assert_int_eq(cfg_file_replace(p, text, strlen(text), 0644, NULL), 0);
}

/* count_files - how many directory entries the temporary directory has */
static int count_files(void)
{
	DIR *d = opendir(tmpdir);
	struct dirent *e;
	int n = 0;

	while ((e = readdir(d)) != NULL)
		n += e->d_name[0] != '.';
	closedir(d);
	return n;
}

/* lookup - value of key in spec, or "(none)"; the map stays open only for the call */
static char *lookup(const char *spec, unsigned flags, const char *key)
{
	struct cfg_map *m;
	struct cfg_diags d;
	const char *v;
	char *res;

	cfg_diags_init(&d);
	ck_assert_msg(cfg_map_open(spec, CFG_MAP_READ, flags, &m, &d) == 0, "open %s: %s", spec,
	              d.n ? d.v[0].msg : "?");
	res = cfg_xstrdup(cfg_map_lookup(m, key, &v, &d) == 1 ? v : "(none)");
	cfg_map_free(m);
	cfg_diags_fini(&d);
	return res;
}

#define CHECK_LOOKUP(spec, flags, key, want)                                                       \
	do {                                                                                       \
		char *got_ = lookup(spec, flags, key);                                             \
		ck_assert_msg(strcmp(got_, want) == 0, "%s %s: got \"%s\", want \"%s\"", spec,     \
		              key, got_, want);                                                    \
		free(got_);                                                                        \
	} while (0)

/* the table-type table is sorted, and its implemented rows are exactly the backends */
START_TEST(test_types_sorted)
{
	const struct cfg_table_type_def *t, *prev = NULL;
	size_t n = 0;

	for (size_t i = 0; (t = cfg_table_type_at(i)) != NULL; prev = t, i++) {
		if (prev != NULL)
			ck_assert_int_lt(strcmp(prev->name, t->name), 0);
		/* proxy: is opened through the table it names */
		if (strcmp(t->name, "proxy") != 0)
			ck_assert_msg(cfg_map_has_backend(t->name) == t->impl,
			              "%s: implemented %d, backend %d", t->name, t->impl,
			              cfg_map_has_backend(t->name));
		n += (size_t)t->impl;
		ck_assert_uint_eq(cfg_map_type_caps(t->name), t->impl ? t->caps : 0);
	}
	ck_assert_uint_ge(n, 10);
	ck_assert_uint_ne(cfg_map_type_caps("hash") & CFG_MAPT_BUILD, 0);
	ck_assert_uint_ne(cfg_map_type_caps("regexp") & CFG_MAPT_PATTERN, 0);
	ck_assert_uint_eq(cfg_map_type_caps("cdb"), 0);
	ck_assert_int_eq(cfg_map_has_backend("nosuch"), 0);
}
END_TEST

START_TEST(test_open_errors)
{
	struct cfg_map *m;
	struct cfg_diags d;

	cfg_diags_init(&d);
	ck_assert_int_eq(cfg_map_open("cdb:/x", CFG_MAP_READ, 0, &m, &d), -1);
	ck_assert_str_eq(d.v[0].msg, "unsupported dictionary type: cdb");
	ck_assert_int_eq(cfg_map_open("hash:", CFG_MAP_READ, 0, &m, &d), -1);
	ck_assert_str_eq(d.v[1].msg,
	                 "open dictionary: expecting \"type:name\" form instead of \"hash:\"");
	ck_assert_int_eq(cfg_map_open("hash:/nonexistent/x", CFG_MAP_READ, 0, &m, &d), -1);
	ck_assert_str_eq(d.v[2].msg, "open database /nonexistent/x.db: No such file or directory");
	ck_assert_int_eq(cfg_map_open("cidr:/x", CFG_MAP_UPDATE, 0, &m, &d), -1);
	ck_assert_str_eq(d.v[3].msg, "cidr:/x map requires O_RDONLY access mode");
	ck_assert_int_eq(cfg_map_open("regexp:/x", CFG_MAP_BUILD, 0, &m, &d), -1);
	ck_assert_str_eq(
	    d.v[4].msg, "unsupported dictionary type: regexp does not support bulk-mode creation.");
	ck_assert_ptr_null(m);
	cfg_diags_fini(&d);
}
END_TEST

START_TEST(test_fold_rules)
{
	/* fixed-string tables fold with CFG_MAP_FOLD; Unicode folding needs CFG_MAP_UTF8 */
	CHECK_LOOKUP("inline:{ {Key=v} }", CFG_MAP_FOLD, "KEY", "v");
	CHECK_LOOKUP("inline:{ {Key=v} }", 0, "KEY", "(none)");
	CHECK_LOOKUP("inline:{ {Key=v} }", 0, "Key", "v");
	CHECK_LOOKUP("inline:{ {Straße=v} }", CFG_MAP_FOLD | CFG_MAP_UTF8, "STRASSE", "v");
	CHECK_LOOKUP("inline:{ {Straße=v} }", CFG_MAP_FOLD, "STRASSE", "(none)");
	CHECK_LOOKUP("inline:{ {Straße=v} }", CFG_MAP_FOLD, "straße", "v");
	/* pattern tables see the key as given */
	CHECK_LOOKUP("regexp:{ {/^A$/i exact-case} }", CFG_MAP_FOLD, "a", "(none)");
	CHECK_LOOKUP("regexp:{ {/^A$/i exact-case} }", CFG_MAP_FOLD, "A", "exact-case");
	CHECK_LOOKUP("regexp:{ {/^(.*)@(.*)$/ $2!$1} }", CFG_MAP_FOLD, "Joe@Example",
	             "Example!Joe");

	struct cfg_buf b;
	cfg_buf_init(&b);
	ck_assert_int_eq(cfg_map_fold("ΣΑΣ İ ﬃ", CFG_MAP_UTF8, &b), 0);
	ck_assert_str_eq(b.data, "σασ i̇ ffi");
	cfg_buf_reset(&b);
	ck_assert_int_eq(cfg_map_fold("bad\xff", CFG_MAP_UTF8, &b), -1);
	cfg_buf_fini(&b);
	ck_assert_int_eq(cfg_map_utf8_valid("\xc0\x80", 2), 0);         /* overlong */
	ck_assert_int_eq(cfg_map_utf8_valid("\xed\xa0\x80", 3), 0);     /* surrogate */
	ck_assert_int_eq(cfg_map_utf8_valid("\xf4\x90\x80\x80", 4), 0); /* > U+10FFFF */
	ck_assert_int_eq(cfg_map_utf8_valid("\xe2\x82\xac", 3), 1);
}
END_TEST

START_TEST(test_cidr_and_static)
{
	CHECK_LOOKUP("cidr:{ {10.0.0.0/8 ten}, {!10.0.0.0/8 other} }", 0, "10.1.2.3", "ten");
	CHECK_LOOKUP("cidr:{ {10.0.0.0/8 ten}, {!10.0.0.0/8 other} }", 0, "192.0.2.1", "other");
	CHECK_LOOKUP("cidr:{ {2001:db8::/32 v6} }", 0, "2001:DB8:0::1", "v6");
	CHECK_LOOKUP("cidr:{ {10.0.0.0/8 ten} }", 0, "010.0.0.1", "(none)");
	CHECK_LOOKUP("static:{ two words }", 0, "anything", "two words");
	CHECK_LOOKUP("unionmap:{ inline:{a=1}, static:2 }", CFG_MAP_FOLD, "A", "1,2");
	CHECK_LOOKUP("pipemap:{ inline:{a=b}, inline:{b=c} }", CFG_MAP_FOLD, "a", "c");
}
END_TEST

/* build - a hash:NAME table from text with the given flags; returns 0 or -1 */
static int build(const char *type, const char *name, const char *text, unsigned flags,
                 struct cfg_diags *d)
{
	struct cfg_map_build b;

	write_file(path(name), text);
	memset(&b, 0, sizeof(b));
	b.type = type;
	b.path = path(name);
	b.flags = flags;
	b.mode = 0644;
	return cfg_map_build(&b, d);
}

START_TEST(test_build_and_duplicates)
{
	struct cfg_diags d;
	char *spec = cfg_xasprintf("hash:%s", path("t"));

	cfg_diags_init(&d);
	ck_assert_int_eq(build("hash", "t", "a 1\nA 2\nbad\n", CFG_MAP_FOLD | CFG_MAP_DUP_WARN, &d),
	                 0);
	ck_assert_uint_eq(d.n, 2);
	ck_assert(strstr(d.v[0].msg, "t.db: duplicate entry: \"a\"") != NULL);
	ck_assert(strstr(d.v[1].msg, "t, line 3: expected format: key whitespace value") != NULL);
	CHECK_LOOKUP(spec, CFG_MAP_FOLD, "a", "1");
	cfg_diags_clear(&d);
	ck_assert_int_eq(build("hash", "t", "a 1\na 2\n", CFG_MAP_FOLD | CFG_MAP_DUP_REPLACE, &d),
	                 0);
	CHECK_LOOKUP(spec, CFG_MAP_FOLD, "a", "2");
	ck_assert_int_eq(build("hash", "t", "a 1\na 2\n", CFG_MAP_FOLD | CFG_MAP_DUP_IGNORE, &d),
	                 0);
	CHECK_LOOKUP(spec, CFG_MAP_FOLD, "a", "1");
	ck_assert_uint_eq(d.n, 0);
	/* no duplicate policy: a duplicate is fatal and nothing is replaced */
	ck_assert_int_eq(build("hash", "t", "a 3\na 4\n", CFG_MAP_FOLD, &d), -1);
	CHECK_LOOKUP(spec, CFG_MAP_FOLD, "a", "1");
	ck_assert_int_eq(count_files(), 2); /* t, t.db: no temporary file left */
	cfg_diags_fini(&d);
	free(spec);
}
END_TEST

START_TEST(test_strict_builds_nothing)
{
	struct cfg_map_build b;
	struct cfg_diags d;
	char *spec = cfg_xasprintf("hash:%s", path("t"));

	cfg_diags_init(&d);
	ck_assert_int_eq(build("hash", "t", "a 1\n", CFG_MAP_DUP_WARN, &d), 0);
	write_file(path("t"), "a 2\nbad\n");
	memset(&b, 0, sizeof(b));
	b.type = "hash";
	b.path = path("t");
	b.flags = CFG_MAP_DUP_WARN;
	b.opts = CFG_MAPB_STRICT;
	b.mode = 0644;
	ck_assert_int_eq(cfg_map_build(&b, &d), -1);
	ck_assert_int_eq(d.v[d.n - 1].sev, CFG_SEV_FATAL);
	CHECK_LOOKUP(spec, 0, "a", "1");
	cfg_diags_fini(&d);
	free(spec);
}
END_TEST

/* the indexed types whose files these tests build, and their index suffixes */
static const struct {
	const char *type, *suffix;
} indexed[] = {{"hash", ".db"}, {"lmdb", ".lmdb"}};
#define NINDEXED ((int)(sizeof(indexed) / sizeof(indexed[0])))

START_TEST(test_build_is_atomic)
{
	const char *type = indexed[_i].type;
	struct cfg_map *reader, *writer;
	struct cfg_diags d;
	const char *v;
	char *spec = cfg_xasprintf("%s:%s", type, path("t"));

	cfg_diags_init(&d);
	ck_assert_int_eq(build(type, "t", "k old\n", CFG_MAP_DUP_WARN, &d), 0);
	ck_assert_int_eq(cfg_map_open(spec, CFG_MAP_READ, 0, &reader, &d), 0);
	ck_assert_int_eq(cfg_map_open(spec, CFG_MAP_BUILD, CFG_MAP_DUP_WARN, &writer, &d), 0);
	ck_assert_int_eq(cfg_map_update(writer, "k", "new", &d), 0);
	/* a new reader still sees the old table until the commit */
	CHECK_LOOKUP(spec, 0, "k", "old");
	ck_assert_int_eq(cfg_map_commit(writer, 0644, &d), 0);
	CHECK_LOOKUP(spec, 0, "k", "new");
	/* a reader that was open keeps its consistent (old) view */
	ck_assert_int_eq(cfg_map_lookup(reader, "k", &v, &d), 1);
	ck_assert_str_eq(v, "old");
	cfg_map_free(reader);
	cfg_map_free(writer);
	/* an abandoned build leaves the table and no temporary file */
	ck_assert_int_eq(cfg_map_open(spec, CFG_MAP_BUILD, CFG_MAP_DUP_WARN, &writer, &d), 0);
	ck_assert_int_eq(cfg_map_update(writer, "k", "lost", &d), 0);
	cfg_map_free(writer);
	CHECK_LOOKUP(spec, 0, "k", "new");
	ck_assert_int_eq(count_files(), 2);
	ck_assert_uint_eq(d.n, 0);
	cfg_diags_fini(&d);
	free(spec);
}
END_TEST

START_TEST(test_update_delete_seq)
{
	const char *type = _i ? indexed[_i].type : "btree";
	struct cfg_map *m;
	struct cfg_diags d;
	const char *k, *v;
	char *spec = cfg_xasprintf("%s:%s", type, path("t"));
	struct cfg_buf all;
	char *newidx = cfg_xasprintf("new%s", indexed[_i].suffix);

	cfg_diags_init(&d);
	cfg_buf_init(&all);
	ck_assert_int_eq(build(type, "t", "m 1\nz 2\na 3\n", CFG_MAP_DUP_WARN, &d), 0);
	ck_assert_int_eq(cfg_map_open(spec, CFG_MAP_UPDATE, CFG_MAP_DUP_REPLACE, &m, &d), 0);
	ck_assert_int_eq(cfg_map_delete(m, "z", &d), 1);
	ck_assert_int_eq(cfg_map_delete(m, "nothere", &d), 0);
	ck_assert_int_eq(cfg_map_update(m, "b", "4", &d), 0);
	ck_assert_int_eq(cfg_map_commit(m, 0644, &d), 0);
	cfg_map_free(m);
	/* btree and lmdb sequence in key order */
	ck_assert_int_eq(cfg_map_open(spec, CFG_MAP_READ, 0, &m, &d), 0);
	for (int first = 1; cfg_map_seq(m, first, &k, &v, &d) == 1; first = 0)
		cfg_buf_printf(&all, "%s=%s ", k, v);
	ck_assert_str_eq(all.data, "a=3 b=4 m=1 ");
	cfg_map_free(m);
	/* an UPDATE of a missing table fails; CREATE makes it */
	free(spec);
	spec = cfg_xasprintf("%s:%s", indexed[_i].type, path("new"));
	ck_assert_int_eq(cfg_map_open(spec, CFG_MAP_UPDATE, 0, &m, &d), -1);
	ck_assert_int_eq(cfg_map_open(spec, CFG_MAP_CREATE, CFG_MAP_DUP_WARN, &m, &d), 0);
	ck_assert_int_eq(cfg_map_update(m, "x", "y", &d), 0);
	ck_assert_int_eq(cfg_map_commit(m, 0640, &d), 0);
	cfg_map_free(m);
	CHECK_LOOKUP(spec, 0, "x", "y");
	struct stat st;
	ck_assert_int_eq(stat(path(newidx), &st), 0);
	ck_assert_int_eq(st.st_mode & 0777, 0640);
	cfg_buf_fini(&all);
	cfg_diags_fini(&d);
	free(spec);
	free(newidx);
}
END_TEST

START_TEST(test_nul_handling)
{
	const char *type = indexed[_i].type;
	struct cfg_diags d;
	char *spec = cfg_xasprintf("%s:%s", type, path("t"));

	cfg_diags_init(&d);
	/* -n: stored without NUL, found by default (either form) and with -n, not with -N */
	ck_assert_int_eq(build(type, "t", "k v\n", CFG_MAP_DUP_WARN | CFG_MAP_TRY0NULL, &d), 0);
	CHECK_LOOKUP(spec, 0, "k", "v");
	CHECK_LOOKUP(spec, CFG_MAP_TRY0NULL, "k", "v");
	CHECK_LOOKUP(spec, CFG_MAP_TRY1NULL, "k", "(none)");
	/* default: stored with NUL (Postfix on Linux) */
	ck_assert_int_eq(build(type, "t", "k v\n", CFG_MAP_DUP_WARN, &d), 0);
	CHECK_LOOKUP(spec, CFG_MAP_TRY1NULL, "k", "v");
	CHECK_LOOKUP(spec, CFG_MAP_TRY0NULL, "k", "(none)");
	cfg_diags_fini(&d);
	free(spec);
}
END_TEST

START_TEST(test_foreign_file_refused)
{
	/* the first page of a Berkeley DB hash file, as written by Postfix's postmap */
	static const unsigned char bdb[64] = {0,    0,    0,    0, 1, 0, 0, 0, 0, 0,    0, 0,
	                                      0x61, 0x15, 0x06, 0, 9, 0, 0, 0, 0, 0x10, 0, 0};
	struct cfg_map *m;
	struct cfg_diags d;
	char *spec = cfg_xasprintf("hash:%s", path("t"));

	cfg_diags_init(&d);
	ck_assert_int_eq(cfg_file_replace(path("t.db"), bdb, sizeof(bdb), 0644, NULL), 0);
	ck_assert_int_eq(cfg_map_open(spec, CFG_MAP_READ, 0, &m, &d), -1);
	ck_assert_str_eq(d.v[0].code, "map-foreign");
	ck_assert(strstr(d.v[0].msg, "Rebuild it") != NULL);
	ck_assert_int_eq(cfg_map_open(spec, CFG_MAP_UPDATE, 0, &m, &d), -1);
	ck_assert_str_eq(d.v[1].code, "map-foreign");
	/* rebuilding from source replaces it */
	ck_assert_int_eq(build("hash", "t", "k v\n", CFG_MAP_DUP_WARN, &d), 0);
	CHECK_LOOKUP(spec, 0, "k", "v");
	cfg_diags_fini(&d);
	free(spec);
}
END_TEST

START_TEST(test_alias_parse)
{
	static const struct {
		const char *line, *key, *value;
	} ok[] = {
	    {"root: bob,\n\tcarol", "root", "bob, carol"},
	    {"\"quoted name\": alice", "quoted name", "alice"},
	    {"a: x@Example.COM, \"a b\"@c", "a", "x@Example.COM, \"a b\"@c"},
	    {"p: |\"/usr/bin/prog arg\", /var/mail/f, :include:/etc/l", "p",
	     "|\"/usr/bin/prog arg\", /var/mail/f, :include:/etc/l"},
	    {"c: a (comment) b, c<d@e>", "c", "a (comment) b, c <d@e>"},
	    {"sp :  v1 ,v2,,v3", "sp", "v1, v2, , v3"},
	    {"w: a.b . c, d;e", "w", "a.b.c, d;e"},
	    {"e: \"\"", "e", "\"\""},
	    {"a\\,b: c\\,d, a\\ b", "a,b", "\"c,d\", \"a b\""},
	    {"k (c): v", "k (c)", "v"},
	};
	static const struct {
		const char *line, *why;
	} bad[] = {
	    {"bad line", "need name:value pair"}, {"empty:", "need name:value pair"},
	    {"a, b: c", "need name:value pair"},  {"x@y: z", "name must be local"},
	    {"p%q: z", "name must be local"},     {": z", "need name:value pair"},
	};
	struct cfg_buf k, v, why;

	cfg_buf_init(&k);
	cfg_buf_init(&v);
	cfg_buf_init(&why);
	for (size_t i = 0; i < sizeof(ok) / sizeof(ok[0]); i++) {
		cfg_buf_reset(&k);
		cfg_buf_reset(&v);
		ck_assert_int_eq(cfg_alias_parse(ok[i].line, &k, &v, &why), 1);
		ck_assert_msg(strcmp(k.data, ok[i].key) == 0, "%s: key got \"%s\", want \"%s\"",
		              ok[i].line, k.data, ok[i].key);
		ck_assert_msg(strcmp(v.data, ok[i].value) == 0, "%s: value got \"%s\", want \"%s\"",
		              ok[i].line, v.data, ok[i].value);
	}
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		cfg_buf_reset(&why);
		ck_assert_int_eq(cfg_alias_parse(bad[i].line, &k, &v, &why), 0);
		ck_assert_msg(strcmp(why.data, bad[i].why) == 0, "%s: got \"%s\", want \"%s\"",
		              bad[i].line, why.data, bad[i].why);
	}
	cfg_buf_fini(&k);
	cfg_buf_fini(&v);
	cfg_buf_fini(&why);
}
END_TEST

START_TEST(test_alias_build_signatures)
{
	struct cfg_map_build b;
	struct cfg_diags d;
	char *spec = cfg_xasprintf("hash:%s", path("aliases"));

	cfg_diags_init(&d);
	write_file(path("aliases"), "Root: admin\n");
	memset(&b, 0, sizeof(b));
	b.type = "hash";
	b.path = path("aliases");
	b.flags = CFG_MAP_FOLD | CFG_MAP_DUP_WARN;
	b.opts = CFG_MAPB_ALIASES;
	b.mode = 0644;
	b.yp_master = "mx.example.com";
	b.yp_time = 42;
	ck_assert_int_eq(cfg_map_build(&b, &d), 0);
	CHECK_LOOKUP(spec, CFG_MAP_FOLD, "root", "admin");
	CHECK_LOOKUP(spec, CFG_MAP_FOLD, "@", "@");
	/* YP records: not folded, stored without NUL */
	CHECK_LOOKUP(spec, 0, "YP_LAST_MODIFIED", "0000000042");
	CHECK_LOOKUP(spec, CFG_MAP_TRY0NULL, "YP_MASTER_NAME", "mx.example.com");
	CHECK_LOOKUP(spec, CFG_MAP_FOLD, "YP_MASTER_NAME", "(none)");
	cfg_diags_fini(&d);
	free(spec);
}
END_TEST

/* a proxy service that answers every key with "seen:KEY" and remembers what it was asked */
static char proxy_seen[256];

/* fake_open - refuse "fail:*", serve the rest */
static void *fake_open(void *ctx, const char *inner, enum cfg_map_mode mode, unsigned flags,
                       struct cfg_diags *diags)
{
	(void)ctx, (void)mode, (void)flags;
	if (strncmp(inner, "fail:", 5) == 0) {
		cfg_diags_add(diags, CFG_SEV_FATAL, "map-proxy", NULL, 0, 0, "refused");
		return NULL;
	}
	return cfg_xstrdup(inner);
}

/* fake_lookup - record the key the service got */
static int fake_lookup(void *h, const char *key, struct cfg_buf *value, struct cfg_buf *why)
{
	(void)h, (void)why;
	snprintf(proxy_seen, sizeof(proxy_seen), "%s", key);
	cfg_buf_printf(value, "seen:%s", key);
	return 1;
}

static const struct cfg_map_proxy fake_proxy = {
    .open = fake_open, .lookup = fake_lookup, .close = free};

/* proxy: tables go to the registered service, keys folded as the named type folds them */
START_TEST(test_proxy_hook)
{
	struct cfg_diags ds;
	struct cfg_map *m;
	const char *v;

	cfg_diags_init(&ds);
	cfg_map_set_proxy(&fake_proxy);
	ck_assert_int_eq(cfg_map_open("proxy:hash:/x", CFG_MAP_READ, CFG_MAP_FOLD, &m, &ds), 0);
	ck_assert_int_eq(cfg_map_lookup(m, "ABC", &v, &ds), 1);
	ck_assert_str_eq(proxy_seen, "abc");
	ck_assert_str_eq(v, "seen:abc");
	ck_assert(cfg_map_caps(m) & CFG_MAPT_FIXED);
	cfg_map_free(m);
	ck_assert_int_eq(cfg_map_open("proxy:pcre:/x", CFG_MAP_READ, CFG_MAP_FOLD, &m, &ds), 0);
	ck_assert_int_eq(cfg_map_lookup(m, "ABC", &v, &ds), 1);
	ck_assert_str_eq(proxy_seen, "ABC");
	ck_assert(cfg_map_caps(m) & CFG_MAPT_PATTERN);
	cfg_map_free(m);
	ck_assert_int_eq(cfg_map_open("proxy:fail:x", CFG_MAP_READ, 0, &m, &ds), -1);
	ck_assert_ptr_null(m);
	/* without a service, the process opens the table itself */
	cfg_map_set_proxy(NULL);
	ck_assert_int_eq(cfg_map_open("proxy:inline:{a=b}", CFG_MAP_READ, 0, &m, &ds), 0);
	ck_assert_int_eq(cfg_map_lookup(m, "a", &v, &ds), 1);
	ck_assert_str_eq(v, "b");
	cfg_map_free(m);
	cfg_diags_fini(&ds);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("map");
	TCase *tc = tcase_create("core");
	SRunner *sr;
	int failed;

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_types_sorted);
	tcase_add_test(tc, test_open_errors);
	tcase_add_test(tc, test_fold_rules);
	tcase_add_test(tc, test_cidr_and_static);
	tcase_add_test(tc, test_build_and_duplicates);
	tcase_add_test(tc, test_strict_builds_nothing);
	tcase_add_loop_test(tc, test_build_is_atomic, 0, NINDEXED);
	tcase_add_loop_test(tc, test_update_delete_seq, 0, NINDEXED);
	tcase_add_loop_test(tc, test_nul_handling, 0, NINDEXED);
	tcase_add_test(tc, test_foreign_file_refused);
	tcase_add_test(tc, test_alias_parse);
	tcase_add_test(tc, test_alias_build_signatures);
	tcase_add_test(tc, test_proxy_hook);
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
