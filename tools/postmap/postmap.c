/*
 * postmap - Postfix-compatible lookup table manager
 *
 * postmap [-bfFhijmnNoprsuUvw] [--strict] [-c config_dir] [-d key] [-q key]
 *         [type:]file ...
 *
 * Options, messages and exit statuses are Postfix 3.7's.  Additions: -j
 * prints -q and -s results as JSON Lines ({"key": "value"}, as Postfix 3.11
 * does); --strict makes any warning while building fatal, so nothing is
 * written.  The work is done by libcfg's table engine (cfg/map.h); this file
 * parses options, reads main.cf and prints.
 */
#include "config.h"

#include <errno.h>
#include <getopt.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cfg/base/buf.h"
#include "cfg/config/effective.h"
#include "cfg/base/diag.h"
#include "cfg/map/map.h"
#include "cfg/base/strvec.h"
#include "cfg/base/xalloc.h"

#define USAGE "[-bfFhimnNoprsuUvw] [-c config_dir] [-d key] [-q key] [map_type:]file..."

static const char *progname = "postmap";
static int msg_utf8;   /* print valid UTF-8 in messages as is (smtputf8_enable) */
static int json_lines; /* -j */

/* printable - msg with bytes that are not printable replaced by '?', as Postfix logs them */
static void printable(struct cfg_buf *out, const char *msg)
{
	const unsigned char *p = (const unsigned char *)msg;

	while (*p) {
		if (*p >= 0x20 && *p < 0x7f) {
			cfg_buf_addc(out, *p++);
			continue;
		}
		if (msg_utf8 && *p >= 0xc2) {
			size_t n = *p >= 0xf0 ? 4 : *p >= 0xe0 ? 3 : 2;
			size_t have = strnlen((const char *)p, n);

			if (have == n && cfg_map_utf8_valid((const char *)p, n)) {
				cfg_buf_add(out, p, n);
				p += n;
				continue;
			}
		}
		cfg_buf_addc(out, '?');
		p++;
	}
}

/* say - print "postmap: SEVERITY: MESSAGE" */
static void say(const char *sev, const char *msg)
{
	struct cfg_buf b;

	cfg_buf_init(&b);
	printable(&b, msg);
	fflush(stdout);
	fprintf(stderr, "%s: %s: %s\n", progname, sev, b.data);
	cfg_buf_fini(&b);
}

/* fatal - print a fatal message and exit 1 */
static void fatal(const char *fmt, ...) __attribute__((format(printf, 1, 2), noreturn));

static void fatal(const char *fmt, ...)
{
	struct cfg_buf b;
	va_list ap;

	cfg_buf_init(&b);
	va_start(ap, fmt);
	cfg_buf_vprintf(&b, fmt, ap);
	va_end(ap);
	say("fatal", b.data);
	cfg_buf_fini(&b);
	exit(1);
}

/*
 * oom - out of memory, in Postfix's words ("fatal: mymalloc: insufficient
 * memory for N bytes: Cannot allocate memory"), status 1; allocates nothing
 */
static void oom(const char *what, size_t size)
{
	fflush(stdout);
	fprintf(stderr, "%s: fatal: %s: insufficient memory for %zu bytes: %s\n", progname, what,
	        size, strerror(ENOMEM));
	exit(1);
}

/* report - print and clear diagnostics; exit 1 after a fatal one */
static void report(void *ctx, struct cfg_diags *diags)
{
	int die = 0;

	(void)ctx;
	for (size_t i = 0; i < diags->n; i++) {
		const struct cfg_diag *d = &diags->v[i];

		switch (d->sev) {
		case CFG_SEV_NOTE:
			say("info", d->msg);
			break;
		case CFG_SEV_WARNING:
			say("warning", d->msg);
			break;
		case CFG_SEV_ERROR:
		case CFG_SEV_FATAL:
			say("fatal", d->msg);
			die = 1;
			break;
		}
		if (die)
			break;
	}
	cfg_diags_clear(diags);
	if (die) {
		fflush(stdout);
		exit(1);
	}
}

/* json_string - append s as a JSON string; invalid UTF-8 bytes become U+FFFD */
static void json_string(struct cfg_buf *b, const char *s)
{
	const unsigned char *p = (const unsigned char *)s;

	cfg_buf_addc(b, '"');
	while (*p) {
		if (*p >= 0x80) {
			size_t n = *p >= 0xf0 ? 4 : *p >= 0xe0 ? 3 : 2;

			if (strnlen((const char *)p, n) == n
			    && cfg_map_utf8_valid((const char *)p, n)) {
				cfg_buf_add(b, p, n);
				p += n;
			} else {
				cfg_buf_adds(b, "\\ufffd");
				p++;
			}
			continue;
		}
		switch (*p) {
		case '"':
			cfg_buf_adds(b, "\\\"");
			break;
		case '\\':
			cfg_buf_adds(b, "\\\\");
			break;
		case '\n':
			cfg_buf_adds(b, "\\n");
			break;
		case '\r':
			cfg_buf_adds(b, "\\r");
			break;
		case '\t':
			cfg_buf_adds(b, "\\t");
			break;
		default:
			if (*p < 0x20)
				cfg_buf_printf(b, "\\u%04x", *p);
			else
				cfg_buf_addc(b, *p);
		}
		p++;
	}
	cfg_buf_addc(b, '"');
}

/* print_pair - one result: "key<TAB>value", "value" alone, or a JSON line */
static void print_pair(const char *key, const char *value, int with_key)
{
	if (json_lines) {
		struct cfg_buf b;

		cfg_buf_init(&b);
		cfg_buf_addc(&b, '{');
		json_string(&b, key);
		cfg_buf_adds(&b, ": ");
		json_string(&b, value);
		cfg_buf_adds(&b, "}\n");
		fwrite(b.data, 1, b.len, stdout);
		cfg_buf_fini(&b);
	} else if (with_key) {
		fputs(key, stdout);
		putc('\t', stdout);
		fputs(value, stdout);
		putc('\n', stdout);
	} else {
		fputs(value, stdout);
		putc('\n', stdout);
	}
}

/* found_value - -q KEY prints the value only */
static void found_value(void *ctx, const char *key, const char *value)
{
	(void)ctx;
	print_pair(key, value, 0);
}

/* found_pair - -q - and -s print key and value */
static void found_pair(void *ctx, const char *key, const char *value)
{
	(void)ctx;
	print_pair(key, value, 1);
}

/*
 * Settings from main.cf, through the configuration API.  Like Postfix's
 * postmap, only main.cf's own syntax diagnostics are shown, not postconf's
 * analysis of the whole configuration ("unused parameter" and the like).
 */
struct conf {
	struct cfg_config *cfg;
	struct cfg_view *view;
};

/* report_maincf - print main.cf syntax diagnostics (and fatal ones), drop the rest */
static void report_maincf(struct cfg_diags *diags)
{
	struct cfg_diags keep;

	cfg_diags_init(&keep);
	for (size_t i = 0; i < diags->n; i++) {
		const struct cfg_diag *d = &diags->v[i];

		if (d->sev >= CFG_SEV_ERROR || strncmp(d->code, "maincf-", 7) == 0)
			cfg_diags_add(&keep, d->sev, d->code, d->file, d->line, d->col, "%s",
			              d->msg);
	}
	cfg_diags_clear(diags);
	report(NULL, &keep);
	cfg_diags_fini(&keep);
}

/* conf_load - read $MAIL_CONFIG/main.cf (-c sets MAIL_CONFIG, as in Postfix) */
static void conf_load(struct conf *c)
{
	struct cfg_diags diags;

	cfg_diags_init(&diags);
	if (cfg_config_load(NULL, CFG_LOAD_NO_MASTER, &c->cfg, &diags) < 0) {
		report_maincf(&diags);
		fatal("cannot load the configuration");
	}
	report_maincf(&diags);
	if ((c->view = cfg_view_new(c->cfg, NULL, NULL, &diags)) == NULL)
		report(NULL, &diags);
	cfg_diags_fini(&diags);
}

/* conf_get - the expanded value of name (new string); exits on a macro error */
static char *conf_get(struct conf *c, const char *name)
{
	struct cfg_diags diags;
	const char *v = NULL;

	cfg_diags_init(&diags);
	if (cfg_view_str(c->view, name, &v, &diags) < 0)
		report(NULL, &diags);
	report(NULL, &diags);
	cfg_diags_fini(&diags);
	return cfg_xstrdup(v ? v : "");
}

/* conf_bool - a boolean parameter; "bad boolean configuration" is fatal */
static int conf_bool(struct conf *c, const char *name)
{
	struct cfg_diags diags;
	int yes = 0;

	cfg_diags_init(&diags);
	if (cfg_view_bool(c->view, name, &yes, &diags) < 0)
		report(NULL, &diags);
	report(NULL, &diags);
	cfg_diags_fini(&diags);
	return yes;
}

/* import_env - set the NAME=VALUE entries of import_environment, as Postfix's update_env() */
static void import_env(struct conf *c)
{
	char *v = conf_get(c, "import_environment");
	struct cfg_strvec words;

	cfg_strvec_init(&words);
	cfg_strvec_split(&words, v, " \t\r\n,");
	for (size_t i = 0; i < words.n; i++) {
		char *eq = strchr(words.v[i], '=');

		if (eq == NULL)
			continue;
		*eq = 0;
		if (setenv(words.v[i], eq + 1, 1) < 0)
			fatal("setenv: %s", strerror(errno));
	}
	cfg_strvec_fini(&words);
	free(v);
}

/* conf_free - release the settings */
static void conf_free(struct conf *c)
{
	cfg_view_free(c->view);
	cfg_config_free(c->cfg);
}

/* read_all - the whole of stdin */
static char *read_all(FILE *in, size_t *len)
{
	struct cfg_buf b;
	char chunk[65536];
	size_t n;

	cfg_buf_init(&b);
	while ((n = fread(chunk, 1, sizeof(chunk), in)) > 0)
		cfg_buf_add(&b, chunk, n);
	*len = b.len;
	return cfg_buf_take(&b);
}

struct build_opts {
	const char *default_type;
	unsigned flags;
	unsigned opts;
	int as_owner;  /* drop to the source file's owner when root (no -o) */
	int save_perm; /* derive the new table's mode from the source (no -p) */
	int incremental;
};

/* build_one - postmap [type:]file: build the table, or update it from stdin (-i) */
static void build_one(const struct build_opts *o, const char *arg)
{
	struct cfg_map_build b;
	struct cfg_diags diags;
	const char *colon = strchr(arg, ':');
	char *type =
	    colon ? cfg_xstrndup(arg, (size_t)(colon - arg)) : cfg_xstrdup(o->default_type);
	char *src = NULL;
	struct stat st;
	int have_st;
	uid_t euid = geteuid();
	gid_t egid = getegid();

	memset(&b, 0, sizeof(b));
	b.type = type;
	b.path = colon ? colon + 1 : arg;
	b.flags = o->flags;
	b.opts = o->opts;
	b.mode = 0644;
	have_st = o->incremental ? fstat(0, &st) == 0 : stat(b.path, &st) == 0;
	if (o->incremental) {
		src = read_all(stdin, &b.src_len);
		b.src = src;
		b.src_name = "stdin";
	}
	if (have_st && o->save_perm && S_ISREG(st.st_mode))
		b.mode = 0600 | (st.st_mode & 0044);
	if (have_st && o->as_owner && getuid() == 0 && (st.st_uid != euid || st.st_gid != egid)) {
		if (setegid(st.st_gid) < 0 || seteuid(st.st_uid) < 0)
			fatal("set_eugid(%ld, %ld): %s", (long)st.st_uid, (long)st.st_gid,
			      strerror(errno));
	}
	cfg_diags_init(&diags);
	cfg_map_build(&b, &diags);
	report(NULL, &diags);
	cfg_diags_fini(&diags);
	if (geteuid() != euid && (seteuid(euid) < 0 || setegid(egid) < 0))
		fatal("restore privileges: %s", strerror(errno));
	free(src);
	free(type);
}

/* usage - Postfix's usage message */
static void usage(void) __attribute__((noreturn));

static void usage(void)
{
	fatal("usage: %s " USAGE, progname);
}

int main(int argc, char **argv)
{
	struct build_opts bo = {NULL, CFG_MAP_DUP_WARN | CFG_MAP_FOLD, 0, 1, 1, 0};
	struct cfg_mapcmd mc;
	struct cfg_diags diags;
	struct conf conf;
	const char *query = NULL, *delkey = NULL, *slash;
	int sequence = 0, utf8_request = 1, force_utf8 = 0, ch, status;
	unsigned keys = 0; /* CFG_MAPCMD_HEADERS / _BODY from -h / -b */
	int mime = 0;
	char *db_type;

	umask(022);
	if ((slash = strrchr(argv[0], '/')) != NULL && slash[1])
		argv[0] = (char *)slash + 1;
	progname = argv[0];
	cfg_xalloc_set_oom(oom);
	/* long options of postkit's own, removed before getopt sees the Postfix ones */
	for (int i = 1, j; i < argc; i++) {
		if (strcmp(argv[i], "--") == 0)
			break;
		if (strcmp(argv[i], "--strict") == 0) {
			bo.opts |= CFG_MAPB_STRICT;
			for (j = i; j < argc; j++)
				argv[j] = argv[j + 1];
			argc--;
			i--;
		}
	}
	while ((ch = getopt(argc, argv, "+bc:d:fFhijmnNopq:rsuUvw")) > 0) {
		switch (ch) {
		default:
			usage();
		case 'N':
			bo.flags = (bo.flags & ~CFG_MAP_TRY0NULL) | CFG_MAP_TRY1NULL;
			break;
		case 'b':
			keys |= CFG_MAPCMD_BODY;
			break;
		case 'c':
			if (setenv("MAIL_CONFIG", optarg, 1) < 0)
				fatal("out of memory");
			break;
		case 'd':
			if (sequence || query || delkey)
				fatal("specify only one of -s -q or -d");
			delkey = optarg;
			break;
		case 'f':
			bo.flags &= ~CFG_MAP_FOLD;
			break;
		case 'F':
			fatal("-F (base64-encoded file values) is not supported by postkit");
		case 'h':
			keys |= CFG_MAPCMD_HEADERS;
			break;
		case 'i':
			bo.incremental = 1;
			break;
		case 'j':
			json_lines = 1;
			break;
		case 'm':
			mime = 1;
			break;
		case 'n':
			bo.flags = (bo.flags & ~CFG_MAP_TRY1NULL) | CFG_MAP_TRY0NULL;
			break;
		case 'o':
			bo.as_owner = 0;
			break;
		case 'p':
			bo.save_perm = 0;
			break;
		case 'q':
			if (sequence || query || delkey)
				fatal("specify only one of -s -q or -d");
			query = optarg;
			break;
		case 'r':
			bo.flags = (bo.flags & ~(CFG_MAP_DUP_WARN | CFG_MAP_DUP_IGNORE))
			           | CFG_MAP_DUP_REPLACE;
			break;
		case 's':
			if (query || delkey)
				fatal("specify only one of -s or -q or -d");
			sequence = 1;
			break;
		case 'u':
			utf8_request = 0;
			break;
		case 'U':
			force_utf8 = 1;
			break;
		case 'v':
			break;
		case 'w':
			bo.flags = (bo.flags & ~(CFG_MAP_DUP_WARN | CFG_MAP_DUP_REPLACE))
			           | CFG_MAP_DUP_IGNORE;
			break;
		}
	}
	memset(&conf, 0, sizeof(conf));
	conf_load(&conf);
	import_env(&conf);
	db_type = conf_get(&conf, "default_database_type");
	bo.default_type = db_type;
	msg_utf8 = conf_bool(&conf, "smtputf8_enable");
	if (msg_utf8 && utf8_request)
		bo.flags |= CFG_MAP_UTF8;
	if ((query == NULL || strcmp(query, "-") != 0) && (keys || mime))
		fatal("specify -b -h or -m only with \"-q -\"");
	if (mime && !keys)
		say("warning", "ignoring -m option without -b or -h");
	if (keys && !force_utf8)
		bo.flags &= ~CFG_MAP_UTF8;

	memset(&mc, 0, sizeof(mc));
	mc.default_type = db_type;
	mc.flags = bo.flags;
	mc.report = report;
	mc.found = found_pair;
	cfg_diags_init(&diags);
	if (delkey) {
		if (optind + 1 > argc)
			usage();
		if (strcmp(delkey, "-") == 0)
			status = cfg_mapcmd_delete_stream(&mc, argv + optind,
			                                  (size_t)(argc - optind), stdin, &diags);
		else
			status = cfg_mapcmd_delete(&mc, argv + optind, (size_t)(argc - optind),
			                           delkey, &diags);
		report(NULL, &diags);
		status = status == 1 ? 0 : 1;
		goto done;
	}
	if (query) {
		if (optind + 1 > argc)
			usage();
		if (strcmp(query, "-") == 0) {
			if (keys)
				status = cfg_mapcmd_query_message(&mc, argv + optind,
				                                  (size_t)(argc - optind), stdin,
				                                  keys, &diags);
			else
				status = cfg_mapcmd_query_stream(
				    &mc, argv + optind, (size_t)(argc - optind), stdin, &diags);
		} else {
			if (!json_lines)
				mc.found = found_value;
			status = cfg_mapcmd_query(&mc, argv + optind, (size_t)(argc - optind),
			                          query, &diags);
		}
		report(NULL, &diags);
		fflush(stdout);
		status = status == 1 ? 0 : 1;
		goto done;
	}
	if (sequence) {
		status = 1;
		if (optind < argc) {
			cfg_mapcmd_seq(&mc, argv[optind], &diags);
			report(NULL, &diags);
			fflush(stdout);
			status = 0;
		}
		goto done;
	}
	if (optind + 1 > argc)
		usage();
	for (; optind < argc; optind++)
		build_one(&bo, argv[optind]);
	status = 0;
done:
	cfg_diags_fini(&diags);
	free(db_type);
	conf_free(&conf);
	return status;
}
