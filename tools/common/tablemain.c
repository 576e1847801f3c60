/* tablemain.c - the one program behind postmap and postalias (see tablemain.h) */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "cfg/base/buf.h"
#include "cfg/base/strvec.h"
#include "cfg/base/xalloc.h"
#include "cfg/map/map.h"
#include "mainconf.h"
#include "msg.h"
#include "opts.h"
#include "proxy.h" /* mta/common: the proxymap client */
#include "tablecmd.h"
#include "tablemain.h"

/* what the two programs do differently */
struct tool_table_prog {
	const char *name;     /* "postmap" */
	const char *synopsis; /* what follows the name in the usage line */
	const char *letters;  /* its short options ("bcdfF..."); long ones are common */
	const char *pair_sep; /* between key and value of -s and -q -: "\t" or ":\t" */
	int aliases;          /* postalias: aliases(5) sources, YP records, -I, newaliases */
};

static const struct tool_table_prog progs[] = {
    {
        .name = "postmap",
        .synopsis = "[-bfFhimnNoprsuUvw] [-c config_dir] [-d key] [-q key] [map_type:]file...",
        .letters = "bcdfFhijmnNopqrsuUvw",
        .pair_sep = "\t",
        .aliases = 0,
    },
    {
        .name = "postalias",
        .synopsis = "[-Nfinoprsuvw] [-c config_dir] [-d key] [-q key] [map_type:]file...",
        .letters = "cdfiIjnNopqrsuvw",
        .pair_sep = ":\t",
        .aliases = 1,
    },
};

/* every option of the two commands; a program takes those its letters name */
static const struct tool_opt all_opts[] = {
    {'b', NULL, NULL, "with -q -: look up the body lines of the message on stdin"},
    {'c', NULL, "config_dir", "read main.cf from config_dir"},
    {'d', NULL, "key", "delete key from the tables (- reads keys from stdin)"},
    {'f', NULL, NULL, "do not fold keys to lower case"},
    {'F', NULL, NULL, "base64-encoded file values (not supported by postkit)"},
    {'h', NULL, NULL, "with -q -: look up the header lines of the message on stdin"},
    {'i', NULL, NULL, "add the entries on stdin to the table"},
    {'I', NULL, NULL, "rebuild every table of alias_database (newaliases)"},
    {'j', NULL, NULL, "print -q and -s results as JSON Lines"},
    {'m', NULL, NULL, "with -b or -h: MIME-aware message parsing"},
    {'n', NULL, NULL, "keys and values without a trailing null byte"},
    {'N', NULL, NULL, "keys and values with a trailing null byte"},
    {'o', NULL, NULL, "do not build as the owner of the source file"},
    {'p', NULL, NULL, "do not copy the source file's permissions"},
    {'q', NULL, "key", "print the value of key (- reads keys from stdin)"},
    {'r', NULL, NULL, "replace duplicate entries silently"},
    {'s', NULL, NULL, "print every entry of the table"},
    {'u', NULL, NULL, "no UTF-8 checks and case folding"},
    {'U', NULL, NULL, "with -b or -h: keep the UTF-8 checks"},
    {'v', NULL, NULL, "verbose (accepted)"},
    {'w', NULL, NULL, "ignore duplicate entries silently"},
    {TOOL_OPT_LONG + 's', "strict", NULL,
     "any warning while building is fatal; nothing is written"},
    TOOL_OPT_STANDARD,
};
#define NOPTS (sizeof(all_opts) / sizeof(all_opts[0]))

/* program_opts - the rows of all_opts the program takes (its letters, and every long option) */
static void program_opts(const struct tool_table_prog *p, struct tool_opt *out)
{
	size_t n = 0;

	for (size_t i = 0; i < NOPTS; i++)
		if (all_opts[i].key >= TOOL_OPT_LONG || strchr(p->letters, all_opts[i].key) != NULL)
			out[n++] = all_opts[i];
	memset(&out[n], 0, sizeof(out[n]));
}

/* what the options asked for */
struct run {
	const struct tool_table_prog *prog;
	const struct tool_opt *optab; /* the program's options */
	unsigned flags;               /* CFG_MAP_* */
	unsigned opts;                /* CFG_MAPB_* */
	int as_owner;                 /* drop to the source file's owner when root (no -o) */
	int save_perm;                /* derive the new table's mode from the source (no -p) */
	int incremental;
	int json_lines; /* -j */
	int sequence, utf8_request, force_utf8, mime, rebuild_all;
	unsigned keys; /* TOOL_TABLECMD_HEADERS / _BODY from -h / -b */
	const char *query, *delkey;
	const char *default_type;
	const char *myhostname; /* postalias: YP_MASTER_NAME */
	char *proxy_read_maps, *proxy_write_maps;
};

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

/* print_pair - one result: "key<SEP>value", "value" alone, or a JSON line */
static void print_pair(const struct run *r, const char *key, const char *value, int with_key)
{
	if (r->json_lines) {
		struct cfg_buf b;

		cfg_buf_init(&b);
		cfg_buf_addc(&b, '{');
		json_string(&b, key);
		cfg_buf_adds(&b, ": ");
		json_string(&b, value);
		cfg_buf_adds(&b, "}\n");
		fwrite(b.data, 1, b.len, stdout);
		cfg_buf_fini(&b);
		return;
	}
	if (with_key) {
		fputs(key, stdout);
		fputs(r->prog->pair_sep, stdout);
	}
	fputs(value, stdout);
	putc('\n', stdout);
}

/* found_value - -q KEY prints the value only */
static void found_value(void *ctx, const char *key, const char *value)
{
	print_pair(ctx, key, value, 0);
}

/* found_pair - -q - and -s print key and value */
static void found_pair(void *ctx, const char *key, const char *value)
{
	print_pair(ctx, key, value, 1);
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

/* build_one - [type:]file: build the table, or update it from stdin (-i) */
static void build_one(const struct run *r, const char *arg)
{
	struct cfg_map_build b;
	struct cfg_diags diags;
	const char *colon = strchr(arg, ':');
	char *type =
	    colon ? cfg_xstrndup(arg, (size_t)(colon - arg)) : cfg_xstrdup(r->default_type);
	char *src = NULL;
	struct stat st;
	int have_st;
	uid_t euid = geteuid();
	gid_t egid = getegid();

	memset(&b, 0, sizeof(b));
	b.type = type;
	b.path = colon ? colon + 1 : arg;
	b.flags = r->flags;
	b.opts = r->opts | (r->prog->aliases ? CFG_MAPB_ALIASES : 0);
	b.mode = 0644;
	if (r->prog->aliases) {
		b.yp_master = r->myhostname;
		b.yp_time = (long)time(NULL);
	}
	have_st = r->incremental ? fstat(0, &st) == 0 : stat(b.path, &st) == 0;
	if (r->incremental) {
		src = read_all(stdin, &b.src_len);
		b.src = src;
		b.src_name = "stdin";
	}
	if (have_st && r->save_perm && S_ISREG(st.st_mode))
		b.mode = 0600 | (st.st_mode & 0044);
	if (have_st && r->as_owner && getuid() == 0 && (st.st_uid != euid || st.st_gid != egid)) {
		if (setegid(st.st_gid) < 0 || seteuid(st.st_uid) < 0)
			tool_fatal("set_eugid(%ld, %ld): %s", (long)st.st_uid, (long)st.st_gid,
			           strerror(errno));
	}
	cfg_diags_init(&diags);
	cfg_map_build(&b, &diags);
	tool_report(NULL, &diags);
	cfg_diags_fini(&diags);
	if (geteuid() != euid && (seteuid(euid) < 0 || setegid(egid) < 0))
		tool_fatal("restore privileges: %s", strerror(errno));
	free(src);
	free(type);
}

/*
 * newaliases_args - newaliases [-C config] [-v] [sendmail options]: -C names
 * the configuration file or its directory, as with Postfix's sendmail; other
 * sendmail options are ignored.
 */
static void newaliases_args(int argc, char **argv)
{
	for (int i = 1; i < argc; i++) {
		const char *dir = NULL;
		struct stat st;

		if (strcmp(argv[i], "-C") == 0 && i + 1 < argc)
			dir = argv[++i];
		else if (strncmp(argv[i], "-C", 2) == 0 && argv[i][2])
			dir = argv[i] + 2;
		if (dir == NULL)
			continue;
		if (stat(dir, &st) == 0 && !S_ISDIR(st.st_mode)) {
			char *copy = cfg_xstrdup(dir), *slash = strrchr(copy, '/');

			if (slash)
				*slash = 0;
			if (setenv("MAIL_CONFIG", slash ? (*copy ? copy : "/") : ".", 1) < 0)
				tool_fatal("out of memory");
			free(copy);
		} else if (setenv("MAIL_CONFIG", dir, 1) < 0) {
			tool_fatal("out of memory");
		}
	}
}

/* usage - Postfix's usage message */
static void usage(const struct tool_table_prog *p) __attribute__((noreturn));

static void usage(const struct tool_table_prog *p)
{
	tool_fatal("usage: %s %s", p->name, p->synopsis);
}

/* one_only - -s, -q and -d exclude each other, with Postfix's words for each */
static void one_only(const struct run *r, int ch)
{
	if (r->sequence || r->query || r->delkey)
		tool_fatal(ch == 's' ? "specify only one of -s or -q or -d"
		                     : "specify only one of -s -q or -d");
}

/* option - apply one option; returns 0, or 1 when the program should exit 0 (--help) */
static int option(struct run *r, int ch, const char *arg, const struct tool_opt_state *st)
{
	switch (ch) {
	case 'N':
		r->flags = (r->flags & ~CFG_MAP_TRY0NULL) | CFG_MAP_TRY1NULL;
		break;
	case 'b':
		r->keys |= TOOL_TABLECMD_BODY;
		break;
	case 'c':
		if (setenv("MAIL_CONFIG", arg, 1) < 0)
			tool_fatal("out of memory");
		break;
	case 'd':
		one_only(r, ch);
		r->delkey = arg;
		break;
	case 'f':
		r->flags &= ~CFG_MAP_FOLD;
		break;
	case 'F':
		tool_fatal("-F (base64-encoded file values) is not supported by postkit");
	case 'h':
		r->keys |= TOOL_TABLECMD_HEADERS;
		break;
	case 'i':
		r->incremental = 1;
		break;
	case 'I':
		r->rebuild_all = 1;
		break;
	case 'j':
		r->json_lines = 1;
		break;
	case 'm':
		r->mime = 1;
		break;
	case 'n':
		r->flags = (r->flags & ~CFG_MAP_TRY1NULL) | CFG_MAP_TRY0NULL;
		break;
	case 'o':
		r->as_owner = 0;
		break;
	case 'p':
		r->save_perm = 0;
		break;
	case 'q':
		one_only(r, ch);
		r->query = arg;
		break;
	case 'r':
		r->flags =
		    (r->flags & ~(CFG_MAP_DUP_WARN | CFG_MAP_DUP_IGNORE)) | CFG_MAP_DUP_REPLACE;
		break;
	case 's':
		if (r->query || r->delkey)
			tool_fatal("specify only one of -s or -q or -d");
		r->sequence = 1;
		break;
	case 'u':
		r->utf8_request = 0;
		break;
	case 'U':
		r->force_utf8 = 1;
		break;
	case 'v':
		break;
	case 'w':
		r->flags =
		    (r->flags & ~(CFG_MAP_DUP_WARN | CFG_MAP_DUP_REPLACE)) | CFG_MAP_DUP_IGNORE;
		break;
	case TOOL_OPT_LONG + 's':
		r->opts |= CFG_MAPB_STRICT;
		break;
	case TOOL_OPT_HELP:
		tool_opt_help(stdout, r->prog->name, r->prog->synopsis, r->optab);
		return 1;
	case TOOL_OPT_VERSION:
		tool_opt_version(stdout, r->prog->name);
		return 1;
	default:
		(void)st;
		usage(r->prog);
	}
	return 0;
}

/* names_proxy - 1 when a table the command works on (or alias_database, for newaliases) is proxy: */
static int names_proxy(const struct run *r, struct tool_mainconf *conf, int n, char **ops)
{
	int yes = 0;

	for (int i = 0; i < n && !yes; i++)
		yes = strstr(ops[i], "proxy:") != NULL;
	if (!yes && r->rebuild_all) {
		char *list = tool_mainconf_get(conf, "alias_database");

		yes = strstr(list, "proxy:") != NULL;
		free(list);
	}
	return yes;
}

/* lookups - -d, -q and -s; the exit status */
static int lookups(struct run *r, char **ops, size_t nops)
{
	struct tool_tablecmd mc;
	struct cfg_diags diags;
	int status = 1;

	memset(&mc, 0, sizeof(mc));
	mc.default_type = r->default_type;
	mc.flags = r->flags;
	mc.proxy_read_maps = r->proxy_read_maps;
	mc.proxy_write_maps = r->proxy_write_maps;
	mc.report = tool_report;
	mc.found = found_pair;
	mc.ctx = r;
	cfg_diags_init(&diags);
	if (r->delkey) {
		if (nops < 1)
			usage(r->prog);
		if (strcmp(r->delkey, "-") == 0)
			status = tool_tablecmd_delete_stream(&mc, ops, nops, stdin, &diags);
		else
			status = tool_tablecmd_delete(&mc, ops, nops, r->delkey, &diags);
		tool_report(NULL, &diags);
		status = status == 1 ? 0 : 1;
	} else if (r->query) {
		if (nops < 1)
			usage(r->prog);
		if (strcmp(r->query, "-") == 0 && r->keys)
			status =
			    tool_tablecmd_query_message(&mc, ops, nops, stdin, r->keys, &diags);
		else if (strcmp(r->query, "-") == 0)
			status = tool_tablecmd_query_stream(&mc, ops, nops, stdin, &diags);
		else {
			if (!r->json_lines)
				mc.found = found_value;
			status = tool_tablecmd_query(&mc, ops, nops, r->query, &diags);
		}
		tool_report(NULL, &diags);
		fflush(stdout);
		status = status == 1 ? 0 : 1;
	} else if (nops > 0) {
		tool_tablecmd_seq(&mc, ops[0], &diags);
		tool_report(NULL, &diags);
		fflush(stdout);
		status = 0;
	}
	cfg_diags_fini(&diags);
	return status;
}

/* rebuild_aliases - newaliases and postalias -I: every table of alias_database */
static void rebuild_aliases(struct run *r, struct tool_mainconf *conf)
{
	char *list = tool_mainconf_get(conf, "alias_database");
	struct cfg_strvec maps;

	cfg_strvec_init(&maps);
	cfg_strvec_split(&maps, list, " \t\r\n,");
	for (size_t i = 0; i < maps.n; i++)
		build_one(r, maps.v[i]);
	cfg_strvec_fini(&maps);
	free(list);
}

/*
 * register_proxy - proxy:TYPE:NAME goes through the mail system's proxymap
 * service (private/proxymap under queue_directory), as in Postfix: when the
 * mail system is not running, the lookup fails
 */
static void register_proxy(struct tool_mainconf *conf)
{
	char *qd = tool_mainconf_get(conf, "queue_directory");
	char *rd = tool_mainconf_get(conf, "proxymap_service_name");
	char *wr = tool_mainconf_get(conf, "proxywrite_service_name");
	char *to = tool_mainconf_get(conf, "ipc_timeout");
	long timeout = to ? strtol(to, NULL, 10) : 0;

	mta_proxy_register(qd, rd && *rd ? rd : "proxymap", wr && *wr ? wr : "proxywrite",
	                   timeout > 0 ? (int)timeout : 3600);
	free(qd);
	free(rd);
	free(wr);
	free(to);
}

/* find_prog - the row of the program called name */
static const struct tool_table_prog *find_prog(const char *name)
{
	for (size_t i = 0; i < sizeof(progs) / sizeof(progs[0]); i++)
		if (strcmp(progs[i].name, name) == 0)
			return &progs[i];
	abort(); /* each front end names a row of progs */
}

int tool_table_main(const char *name, int argc, char **argv)
{
	const struct tool_table_prog *prog = find_prog(name);
	struct run r = {.prog = prog,
	                .flags = CFG_MAP_DUP_WARN | CFG_MAP_FOLD,
	                .as_owner = 1,
	                .save_perm = 1,
	                .utf8_request = 1};
	struct tool_opt opts[NOPTS + 1];
	struct tool_opt_state st;
	struct tool_mainconf conf;
	char *db_type, *myhostname = NULL;
	int ch, status;

	umask(022);
	tool_msg_init(prog->name);
	if (prog->aliases) {
		/* newaliases by the name it was called with */
		const char *slash = strrchr(argv[0], '/');

		argv[0] = (char *)(slash && slash[1] ? slash + 1 : argv[0]);
	}
	if (prog->aliases && strcmp(argv[0], "newaliases") == 0) {
		newaliases_args(argc, argv);
		r.rebuild_all = 1;
		argc = 1;
	}
	program_opts(prog, opts);
	r.optab = opts;
	tool_opt_init(&st, argc, argv, prog->name);
	while ((ch = tool_opt_next(&st, opts)) != TOOL_OPT_END)
		if (option(&r, ch, st.arg, &st))
			return 0;
	tool_mainconf_load(&conf);
	tool_mainconf_import_env(&conf);
	db_type = tool_mainconf_get(&conf, "default_database_type");
	r.default_type = db_type;
	/* their defaults expand to some seventy tables: only when a proxy: table is named */
	r.proxy_read_maps = r.proxy_write_maps = NULL;
	if (names_proxy(&r, &conf, argc - st.ind, argv + st.ind)) {
		r.proxy_read_maps = tool_mainconf_get(&conf, "proxy_read_maps");
		r.proxy_write_maps = tool_mainconf_get(&conf, "proxy_write_maps");
	}
	register_proxy(&conf);
	if (prog->aliases)
		r.myhostname = myhostname = tool_mainconf_get(&conf, "myhostname");
	tool_msg_utf8(tool_mainconf_bool(&conf, "smtputf8_enable"));
	if (tool_mainconf_bool(&conf, "smtputf8_enable") && r.utf8_request)
		r.flags |= CFG_MAP_UTF8;
	if ((r.query == NULL || strcmp(r.query, "-") != 0) && (r.keys || r.mime))
		tool_fatal("specify -b -h or -m only with \"-q -\"");
	if (r.mime && !r.keys)
		tool_say("warning", "ignoring -m option without -b or -h");
	if (r.keys && !r.force_utf8)
		r.flags &= ~CFG_MAP_UTF8;
	if (r.rebuild_all) {
		rebuild_aliases(&r, &conf);
		status = 0;
	} else if (r.delkey || r.query || r.sequence) {
		status = lookups(&r, argv + st.ind, (size_t)(argc - st.ind));
	} else {
		if (st.ind >= argc)
			usage(prog);
		for (; st.ind < argc; st.ind++)
			build_one(&r, argv[st.ind]);
		status = 0;
	}
	free(db_type);
	free(myhostname);
	free(r.proxy_read_maps);
	free(r.proxy_write_maps);
	mta_proxy_unregister();
	tool_mainconf_free(&conf);
	return status;
}
