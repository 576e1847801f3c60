/*
 * ptest.c - `postfix test`: a file of questions about mail, with the answers expected
 *
 *   postfix [-c DIR] test FILE [--against OTHER_DIR] [--json]
 *
 * FILE (YAML or JSON; schemas/postfix-tests.schema.json) holds named cases,
 * each a simulate transaction or a route query with an expected outcome:
 *
 *   cases:
 *     - name: outsiders cannot relay
 *       simulate: {client: 203.0.113.5, helo: x.example.net, from: a@example.net,
 *                  to: [somebody@example.org]}
 *       expect: {reply: "454", text: Relay access denied}
 *     - name: postmaster is local
 *       route: postmaster@example.com
 *       expect: {transport: local}
 *
 * simulate keys: client (ADDR or ADDR,HOSTNAME; required), helo, from, to
 * (one or a list), sasl_user, message (relative to FILE's directory).
 * expect keys: stage (connect, helo, mail, rcpt, data, end-of-data; the
 * last RCPT by default), reply (the code or its first digits), text (a
 * piece of the reply), transport, nexthop, bounce (true/false).  Each case
 * runs this program's own simulate or route (--json) in a child.  The
 * report is TAP ("ok N - name" / "not ok N - name" with "#" details); exit
 * 0 when all pass, 1 on a mismatch, 2 when FILE is wrong (FILE:LINE:COL:
 * error: ...).  --against OTHER_DIR runs each case under both
 * configurations and reports only the cases whose outcome differs.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "aliassrc.h"
#include "cfg/base/fileio.h"
#include "cfg/base/xalloc.h"
#include "cfg/io/doctree.h"
#include "cfg/io/json.h"
#include "conf.h"
#include "explain.h"

/* one case of the file */
struct tcase {
	const char *name;
	int route;
	struct cfg_strvec args; /* the subcommand and its options */
	const char *stage, *reply, *text, *transport, *nexthop;
	int bounce; /* -1 not asked */
};

/* the file being read, for messages */
struct tfile {
	const char *path;
	struct cfg_doc *doc;
	char *dir; /* its directory, for relative message paths */
};

/* bad - "FILE:LINE:COL: error: MESSAGE"; returns 2 */
static int bad(const struct tfile *f, const struct cfg_doc_node *n, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static int bad(const struct tfile *f, const struct cfg_doc_node *n, const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "%s:%u:%u: error: ", f->path, n ? n->line : 1, n ? n->col : 1);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	return 2;
}

/* scalar - the text of a scalar member, NULL when absent; *rc = 2 when it is no scalar */
static const char *scalar(const struct tfile *f, const struct cfg_doc_node *m, const char *key,
                          int *rc)
{
	const struct cfg_doc_node *n = cfg_doc_get(m, key);

	if (n == NULL)
		return NULL;
	if (n->kind != CFG_DOC_SCALAR || cfg_doc_is_null(f->doc, n)) {
		*rc =
		    bad(f, n, "%s: expected a string, found %s", key, cfg_doc_describe(f->doc, n));
		return NULL;
	}
	return n->text;
}

/* known_keys - every key of mapping m is one of the names; else 2 */
static int known_keys(const struct tfile *f, const struct cfg_doc_node *m, const char *const *names)
{
	for (size_t i = 0; i < m->n; i++) {
		size_t k = 0;

		while (names[k] && strcmp(names[k], m->keys[i]->text) != 0)
			k++;
		if (names[k] == NULL)
			return bad(f, m->keys[i], "unknown key \"%s\"", m->keys[i]->text);
	}
	return 0;
}

/* read_simulate - the simulate mapping into simulate options */
static int read_simulate(const struct tfile *f, const struct cfg_doc_node *m, struct tcase *c)
{
	static const char *const keys[] = {"client",    "helo",    "from", "to",
	                                   "sasl_user", "message", NULL};
	static const char *const opts[] = {"--client", "--helo",      "--from",
	                                   "--to",     "--sasl-user", "--message"};
	int rc = 0;

	if (m->kind != CFG_DOC_MAP)
		return bad(f, m, "simulate: expected a mapping, found %s",
		           cfg_doc_describe(f->doc, m));
	if ((rc = known_keys(f, m, keys)) != 0)
		return rc;
	if (cfg_doc_get(m, "client") == NULL)
		return bad(f, m, "simulate: \"client\" is required");
	cfg_strvec_add(&c->args, "simulate");
	cfg_strvec_add(&c->args, "--json");
	for (size_t k = 0; keys[k]; k++) {
		const struct cfg_doc_node *n = cfg_doc_get(m, keys[k]);

		if (n && n->kind == CFG_DOC_SEQ && strcmp(keys[k], "to") == 0) {
			for (size_t i = 0; i < n->n; i++) {
				if (n->items[i]->kind != CFG_DOC_SCALAR)
					return bad(f, n->items[i],
					           "to: expected a string, found %s",
					           cfg_doc_describe(f->doc, n->items[i]));
				cfg_strvec_add(&c->args, "--to");
				cfg_strvec_add(&c->args, n->items[i]->text);
			}
			continue;
		}
		const char *v = scalar(f, m, keys[k], &rc);

		if (rc)
			return rc;
		if (v == NULL)
			continue;
		cfg_strvec_add(&c->args, opts[k]);
		if (strcmp(keys[k], "message") == 0 && v[0] != '/') {
			char *p = cfg_xasprintf("%s/%s", f->dir, v);

			cfg_strvec_add(&c->args, p);
			free(p);
		} else {
			cfg_strvec_add(&c->args, v);
		}
	}
	return 0;
}

/* read_case - one item of cases */
static int read_case(const struct tfile *f, const struct cfg_doc_node *m, struct tcase *c)
{
	static const char *const keys[] = {"name", "simulate", "route", "expect", NULL};
	static const char *const ekeys[] = {"stage",   "reply",  "text", "transport",
	                                    "nexthop", "bounce", NULL};
	const struct cfg_doc_node *e, *sim, *route;
	int rc = 0;

	c->bounce = -1;
	cfg_strvec_init(&c->args);
	if (m->kind != CFG_DOC_MAP)
		return bad(f, m, "case: expected a mapping, found %s", cfg_doc_describe(f->doc, m));
	if ((rc = known_keys(f, m, keys)) != 0)
		return rc;
	if ((c->name = scalar(f, m, "name", &rc)) == NULL)
		return rc ? rc : bad(f, m, "case: \"name\" is required");
	sim = cfg_doc_get(m, "simulate");
	route = cfg_doc_get(m, "route");
	if ((sim == NULL) == (route == NULL))
		return bad(f, m, "case \"%s\": give exactly one of \"simulate\" and \"route\"",
		           c->name);
	if (sim && (rc = read_simulate(f, sim, c)) != 0)
		return rc;
	if (route) {
		const char *a = scalar(f, m, "route", &rc);

		if (rc)
			return rc;
		c->route = 1;
		cfg_strvec_add(&c->args, "route");
		cfg_strvec_add(&c->args, "--json");
		cfg_strvec_add(&c->args, a);
	}
	if ((e = cfg_doc_get(m, "expect")) == NULL || e->kind != CFG_DOC_MAP)
		return bad(f, e ? e : m, "case \"%s\": \"expect\" must be a mapping", c->name);
	if ((rc = known_keys(f, e, ekeys)) != 0)
		return rc;
	c->stage = scalar(f, e, "stage", &rc);
	c->reply = scalar(f, e, "reply", &rc);
	c->text = scalar(f, e, "text", &rc);
	c->transport = scalar(f, e, "transport", &rc);
	c->nexthop = scalar(f, e, "nexthop", &rc);
	if (rc)
		return rc;
	if (cfg_doc_get(e, "bounce")
	    && (c->bounce = cfg_doc_bool(f->doc, cfg_doc_get(e, "bounce"))) < 0)
		return bad(f, cfg_doc_get(e, "bounce"), "bounce: expected true or false, found %s",
		           cfg_doc_describe(f->doc, cfg_doc_get(e, "bounce")));
	if (c->reply && c->reply[strspn(c->reply, "0123456789")] != '\0')
		return bad(f, cfg_doc_get(e, "reply"), "reply: expected a reply code, found \"%s\"",
		           c->reply);
	return 0;
}

/* run - this program's subcommand under config_dir; its stdout parsed, or NULL */
static struct cfg_json *run(const char *config_dir, const struct tcase *c)
{
	struct cfg_strvec argv;
	struct cfg_buf out;
	struct cfg_diags ds;
	struct cfg_json *j = NULL;
	int p[2], status;
	char buf[4096];
	ssize_t n;
	pid_t pid;

	if (pipe(p) < 0)
		return NULL;
	cfg_strvec_init(&argv);
	cfg_strvec_add(&argv, "postfix");
	if (config_dir) {
		cfg_strvec_add(&argv, "-c");
		cfg_strvec_add(&argv, config_dir);
	}
	for (size_t i = 0; i < c->args.n; i++)
		cfg_strvec_add(&argv, c->args.v[i]);
	fflush(NULL);
	if ((pid = fork()) == 0) {
		int null = open("/dev/null", O_WRONLY);

		dup2(p[1], STDOUT_FILENO);
		if (null >= 0)
			dup2(null, STDERR_FILENO);
		close(p[0]);
		execv("/proc/self/exe", argv.v);
		_exit(127);
	}
	close(p[1]);
	cfg_buf_init(&out);
	while (pid > 0 && (n = read(p[0], buf, sizeof(buf))) > 0)
		cfg_buf_add(&out, buf, (size_t)n);
	close(p[0]);
	while (pid > 0 && waitpid(pid, &status, 0) < 0 && errno == EINTR)
		continue;
	cfg_diags_init(&ds);
	if (pid > 0 && WIFEXITED(status) && WEXITSTATUS(status) == 0 && out.len)
		j = cfg_json_parse(out.data, out.len, "output", &ds);
	cfg_diags_fini(&ds);
	cfg_buf_fini(&out);
	cfg_strvec_fini(&argv);
	return j;
}

/* str - a string member, or "" */
static const char *str(const struct cfg_json *o, const char *key)
{
	const struct cfg_json *v = o ? cfg_json_object_get(o, key) : NULL;

	return v && cfg_json_typeof(v) == CFG_JSON_STRING ? cfg_json_string_value(v) : "";
}

/* outcome - what a case's run came to, as one line; why gets the mismatch (or stays empty) */
static void outcome(const struct tcase *c, const struct cfg_json *j, struct cfg_buf *out,
                    struct cfg_buf *why)
{
	if (j == NULL) {
		cfg_buf_adds(out, c->route ? "route failed" : "simulate failed");
		cfg_buf_adds(why, "the command failed (run it by hand to see why)");
		return;
	}
	if (c->route) {
		const struct cfg_json *r = cfg_json_array_get(
		    cfg_json_object_get(cfg_json_array_get(j, 0), "recipients"), 0);
		const struct cfg_json *b = r ? cfg_json_object_get(r, "bounce") : NULL;
		const struct cfg_json *t = r ? cfg_json_object_get(r, "route") : NULL;

		cfg_buf_printf(out, "transport %s, next hop %s%s%s", str(t, "transport"),
		               str(t, "nexthop"), b ? ": bounce " : "", b ? str(b, "text") : "");
		if (c->transport && strcmp(c->transport, str(t, "transport")) != 0)
			cfg_buf_printf(why, "transport is %s, not %s; ", str(t, "transport"),
			               c->transport);
		if (c->nexthop && strcmp(c->nexthop, str(t, "nexthop")) != 0)
			cfg_buf_printf(why, "next hop is %s, not %s; ", str(t, "nexthop"),
			               c->nexthop);
		if (c->bounce >= 0 && c->bounce != (b != NULL))
			cfg_buf_printf(why, "%s; ", b ? "it bounces" : "it does not bounce");
		return;
	}
	const struct cfg_json *hit = NULL;
	const char *want = c->stage ? c->stage : "rcpt";

	for (size_t i = 0; i < cfg_json_size(j); i++) {
		const struct cfg_json *s = cfg_json_array_get(j, i);

		if (strcmp(str(s, "stage"), want) == 0)
			hit = s;
	}
	if (hit == NULL) {
		cfg_buf_printf(out, "no %s stage: the session ended before it", want);
		cfg_buf_printf(why, "no %s stage", want);
		return;
	}
	const struct cfg_json *lines =
	    cfg_json_object_get(cfg_json_object_get(hit, "reply"), "lines");
	const char *last =
	    cfg_json_string_value(cfg_json_array_get(lines, cfg_json_size(lines) - 1));

	cfg_buf_adds(out, last);
	/* queue IDs differ from run to run: not part of the outcome */
	if (strstr(out->data, " queued as ")) {
		cfg_buf_truncate(out, (size_t)(strstr(out->data, " queued as ") - out->data));
		cfg_buf_adds(out, " queued as (queue ID)");
	}
	if (c->reply && strncmp(last, c->reply, strlen(c->reply)) != 0)
		cfg_buf_printf(why, "reply is not %s; ", c->reply);
	if (c->text && strstr(last, c->text) == NULL)
		cfg_buf_printf(why, "reply does not contain \"%s\"; ", c->text);
}

/* load - read and check FILE into cases; 0 or 2 */
static int load(struct tfile *f, struct tcase **cases, size_t *n)
{
	struct cfg_buf text;
	struct cfg_diags ds;
	const struct cfg_doc_node *root, *list;
	int rc = 0;

	cfg_buf_init(&text);
	cfg_diags_init(&ds);
	if (cfg_file_read(f->path, &text, &ds) < 0
	    || cfg_doc_parse(text.data, text.len, f->path, &f->doc, &ds) < 0) {
		for (size_t i = 0; i < ds.n; i++)
			fprintf(stderr, "%s:%u:%u: error: %s\n", f->path, ds.v[i].line, ds.v[i].col,
			        ds.v[i].msg);
		rc = 2;
	}
	cfg_diags_fini(&ds);
	cfg_buf_fini(&text);
	if (rc)
		return rc;
	root = f->doc->root;
	if (root == NULL || root->kind != CFG_DOC_MAP || (list = cfg_doc_get(root, "cases")) == NULL
	    || list->kind != CFG_DOC_SEQ)
		return bad(f, root, "expected a mapping with a list \"cases\"");
	*cases = cfg_xcalloc(list->n ? list->n : 1, sizeof(**cases));
	*n = list->n;
	for (size_t i = 0; i < list->n && rc == 0; i++)
		rc = read_case(f, list->items[i], &(*cases)[i]);
	return rc;
}

/*
 * source_notes - the notes of the cases' simulate and route runs about
 * alias databases they read from the source (their stderr is not shown)
 */
static void source_notes(const char *config_dir)
{
	struct mta_conf conf;
	struct cfg_buf why;

	memset(&conf, 0, sizeof(conf));
	cfg_buf_init(&why);
	if (mta_conf_try(&conf, config_dir, NULL, NULL, &why) == 0) {
		pfx_alias_sources(&conf, 1);
		mta_conf_close(&conf);
	}
	cfg_buf_fini(&why);
}

/* pfx_test - the test subcommand */
int pfx_test(const char *config_dir, int argc, char **argv)
{
	struct tfile f = {NULL, NULL, NULL};
	const char *against = NULL;
	struct tcase *cases = NULL;
	struct cfg_json *report = cfg_json_array();
	size_t n = 0, failed = 0;
	int json = 0, rc;

	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--json") == 0)
			json = 1;
		else if (strcmp(argv[i], "--against") == 0 && i + 1 < argc)
			against = argv[++i];
		else if (argv[i][0] != '-' && f.path == NULL)
			f.path = argv[i];
		else
			return pfx_bad_input("test",
			                     "unknown argument '%s'. Usage: postfix test FILE "
			                     "[--against OTHER_DIR] [--json]",
			                     argv[i]);
	}
	if (f.path == NULL)
		return pfx_bad_input("test",
		                     "usage: postfix test FILE [--against OTHER_DIR] [--json]");
	if (strrchr(f.path, '/'))
		f.dir = cfg_xstrndup(f.path, (size_t)(strrchr(f.path, '/') - f.path));
	else
		f.dir = cfg_xstrdup(".");
	if ((rc = load(&f, &cases, &n)) == 0) {
		source_notes(config_dir);
		if (against)
			source_notes(against);
	}
	if (rc == 0 && !json)
		printf("1..%zu\n", n);
	for (size_t i = 0; i < n && rc == 0; i++) {
		struct tcase *c = &cases[i];
		struct cfg_json *a = run(config_dir, c), *b = against ? run(against, c) : NULL;
		struct cfg_buf got, why, got2, why2;
		int ok;

		cfg_buf_init(&got);
		cfg_buf_init(&why);
		cfg_buf_init(&got2);
		cfg_buf_init(&why2);
		outcome(c, a, &got, &why);
		if (against)
			outcome(c, b, &got2, &why2);
		ok = against ? strcmp(got.data, got2.data) == 0 : why.len == 0;
		failed += !ok;
		if (json && (!against || !ok)) {
			struct cfg_json *o = cfg_json_object();

			cfg_json_object_set(o, "name", cfg_json_string(c->name));
			cfg_json_object_set(o, "ok", cfg_json_bool(ok));
			cfg_json_object_set(o, "outcome", cfg_json_string(got.data));
			if (against)
				cfg_json_object_set(o, "against", cfg_json_string(got2.data));
			else if (!ok)
				cfg_json_object_set(o, "mismatch", cfg_json_string(why.data));
			cfg_json_array_append(report, o);
		} else if (!json && against && !ok) {
			printf("not ok %zu - %s\n#   %s: %s\n#   %s: %s\n", i + 1, c->name,
			       config_dir ? config_dir : "(default)", got.data, against, got2.data);
		} else if (!json && !against) {
			printf("%s %zu - %s\n", ok ? "ok" : "not ok", i + 1, c->name);
			if (!ok)
				printf("#   got: %s\n#   %s\n", got.data, why.data);
		}
		cfg_json_free(a);
		cfg_json_free(b);
		cfg_buf_fini(&got);
		cfg_buf_fini(&why);
		cfg_buf_fini(&got2);
		cfg_buf_fini(&why2);
	}
	if (rc == 0 && json)
		pfx_print_json(report);
	else
		cfg_json_free(report);
	for (size_t i = 0; i < n; i++)
		cfg_strvec_fini(&cases[i].args);
	free(cases);
	cfg_doc_free(f.doc);
	free(f.dir);
	return rc ? rc : failed ? 1 : 0;
}
