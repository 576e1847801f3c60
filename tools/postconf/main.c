/*
 * main.c - postconf: the option table, option checks and dispatch
 *
 * The command line is parsed exactly as Postfix 3.7's postconf parses it
 * (same getopt string, stopping at the first non-option; the same
 * "specify one of ..." and "with option ..., do not specify ..." checks in
 * the same order; the same usage text).  postkit adds long options:
 * --shell, --explain NAME [--service NAME/TYPE], --diff [DIR2], --force;
 * -j (JSON Lines), --export=json|yaml [--all] [--expand] [--with-source]
 * [--output=FILE] (see postconf_export.h); --help, --version.  All of them
 * are in one table (tools/common/opts.h), which --help lists.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "cfg/base/buf.h"
#include "cfg/config/effective.h"
#include "cfg/base/diag.h"
#include "opts.h"
#include "postconf.h"
#include "postconf_edit.h"
#include "postconf_export.h"

/* The option letters in the order Postfix names them in messages. */
static const struct pcf_opt_name {
	const char *name;
	unsigned bit;
} pcf_opt_names[] = {
    {"-a", PCF_SHOW_SASL_SERV},
    {"-A", PCF_SHOW_SASL_CLNT},
    {"-b", PCF_EXP_DSN_TEMPL},
    {"-C", PCF_PARAM_CLASS},
    {"-d", PCF_SHOW_DEFS},
    {"-e", PCF_EDIT_CONF},
    {"-f", PCF_FOLD_LINE},
    {"-F", PCF_MASTER_FLD},
    {"-h", PCF_HIDE_NAME},
    {"-H", PCF_HIDE_VALUE},
    {"-j", PCF_SHOW_JSON}, /* Postfix 3.11 */
    {"-l", PCF_SHOW_LOCKS},
    {"-m", PCF_SHOW_MAPS},
    {"-M", PCF_MASTER_ENTRY},
    {"-n", PCF_SHOW_NONDEF},
    {"-o", PCF_MAIN_OVER},
    {"-p", PCF_MAIN_PARAM},
    {"-P", PCF_MASTER_PARAM},
    {"-t", PCF_DUMP_DSN_TEMPL},
    {"-T", PCF_SHOW_TLS},
    {"-x", PCF_SHOW_EVAL},
    {"-X", PCF_EDIT_EXCL},
    {"-#", PCF_COMMENT_OUT},
    {NULL, 0},
};

#define PCF_MAJOR_MODES                                                                            \
	(PCF_SHOW_SASL_SERV | PCF_SHOW_SASL_CLNT | PCF_EXP_DSN_TEMPL | PCF_SHOW_LOCKS              \
	 | PCF_SHOW_MAPS | PCF_DUMP_DSN_TEMPL | PCF_MAIN_PARAM | PCF_MASTER_ENTRY | PCF_MASTER_FLD \
	 | PCF_MASTER_PARAM | PCF_SHOW_TLS)
#define PCF_EDITS (PCF_EDIT_CONF | PCF_COMMENT_OUT | PCF_EDIT_EXCL)
#define PCF_MASTER (PCF_MASTER_ENTRY | PCF_MASTER_FLD | PCF_MASTER_PARAM)

/* Options that exclude each other: the major modes, then groups of modifiers. */
static const unsigned pcf_incompat[] = {
    PCF_MAJOR_MODES,
    PCF_SHOW_DEFS | PCF_SHOW_NONDEF | PCF_EDITS,
    PCF_FOLD_LINE | PCF_EDITS,
    PCF_SHOW_EVAL | PCF_EDITS,
    PCF_MAIN_OVER | PCF_SHOW_DEFS | PCF_EDITS,
    PCF_HIDE_NAME | PCF_HIDE_VALUE | PCF_EDITS,
    0,
};

/* Each major mode and the only modifiers that go with it. */
static const unsigned pcf_compat[][2] = {
    {PCF_SHOW_SASL_SERV, 0},
    {PCF_SHOW_SASL_CLNT, 0},
    {PCF_EXP_DSN_TEMPL, 0},
    {PCF_SHOW_LOCKS, 0},
    {PCF_SHOW_MAPS, 0},
    {PCF_SHOW_TLS, 0},
    {PCF_DUMP_DSN_TEMPL, 0},
    {PCF_MAIN_PARAM, PCF_EDITS | PCF_FOLD_LINE | PCF_HIDE_NAME | PCF_PARAM_CLASS | PCF_SHOW_EVAL
                         | PCF_SHOW_DEFS | PCF_SHOW_NONDEF | PCF_MAIN_OVER | PCF_HIDE_VALUE
                         | PCF_SHOW_JSON},
    {PCF_MASTER_ENTRY, PCF_EDITS | PCF_FOLD_LINE | PCF_MAIN_OVER | PCF_SHOW_EVAL | PCF_SHOW_JSON},
    {PCF_MASTER_FLD, PCF_EDIT_CONF | PCF_FOLD_LINE | PCF_HIDE_NAME | PCF_MAIN_OVER | PCF_SHOW_EVAL
                         | PCF_HIDE_VALUE | PCF_SHOW_JSON},
    {PCF_MASTER_PARAM, PCF_EDIT_CONF | PCF_EDIT_EXCL | PCF_FOLD_LINE | PCF_HIDE_NAME | PCF_MAIN_OVER
                           | PCF_SHOW_EVAL | PCF_HIDE_VALUE | PCF_SHOW_JSON},
    /* Postfix 3.11: -j goes with the four display modes and -d -n -o -x only */
    {PCF_SHOW_JSON,
     PCF_MAIN_PARAM | PCF_MASTER | PCF_MAIN_OVER | PCF_SHOW_EVAL | PCF_SHOW_NONDEF | PCF_SHOW_DEFS},
    {PCF_PARAM_CLASS, PCF_MAIN_PARAM | PCF_SHOW_DEFS | PCF_SHOW_NONDEF},
    {0, 0},
};

/* The -C classes. */
static const struct pcf_class_name {
	const char *name;
	unsigned mask;
} pcf_class_names[] = {
    {"builtin", CFG_CLASS_BUILTIN},
    {"service", CFG_CLASS_SERVICE},
    {"user", CFG_CLASS_USER},
    {"all", CFG_CLASS_ALL},
    {NULL, 0},
};

/* postkit's long options */
enum { OPT_SHELL = TOOL_OPT_LONG + 1, OPT_EXPLAIN, OPT_SERVICE, OPT_DIFF, OPT_FORCE };
/* issue 5: export/import options (tools/postconf/export.c) */
enum {
	OPT_EXPORT = TOOL_OPT_LONG + 0x40,
	OPT_OUTPUT,
	OPT_EXPAND,
	OPT_WITH_SOURCE,
	OPT_ALL,
	OPT_IMPORT,
	OPT_DRY_RUN,
	OPT_REPLACE
};

#define SYNOPSIS "[options] [name...]"

/* Postfix's option letters, then postkit's long options; --help is made from this table */
static const struct tool_opt pcf_options[] = {
    {'a', NULL, NULL, "the SASL server plug-in types"},
    {'A', NULL, NULL, "the SASL client plug-in types"},
    {'b', NULL, NULL, "the bounce templates with $name expanded (-b [template_file])"},
    {'c', NULL, "config_dir", "use the main.cf and master.cf files in config_dir"},
    {'C', NULL, "class", "with -p -d -n: builtin, service, user or all parameters"},
    {'d', NULL, NULL, "the default values of the parameters"},
    {'e', NULL, NULL, "edit main.cf: name=value... (implied by a name=value argument)"},
    {'E', NULL, NULL, NULL}, /* known to Postfix's getopt, but not an option */
    {'f', NULL, NULL, "fold long lines"},
    {'F', NULL, NULL, "master.cf fields: service/type/field..."},
    {'h', NULL, NULL, "values only, no names"},
    {'H', NULL, NULL, "names only, no values"},
    {'j', NULL, NULL, "JSON Lines output (as Postfix 3.11)"},
    {'l', NULL, NULL, "the mailbox locking methods"},
    {'m', NULL, NULL, "the lookup table types"},
    {'M', NULL, NULL, "master.cf entries: service[/type]..."},
    {'n', NULL, NULL, "only the parameters set in main.cf"},
    {'o', NULL, "name=value", "override a main.cf parameter for this command"},
    {'p', NULL, NULL, "main.cf parameters (the default)"},
    {'P', NULL, NULL, "master.cf parameter overrides: service/type/name..."},
    {'t', NULL, NULL, "the bounce templates (-t [template_file])"},
    {'T', NULL, "mode", "TLS: compile-version, run-version or public-key-algorithms"},
    {'v', NULL, NULL, "more verbose logging"},
    {'x', NULL, NULL, "expand $name in the values"},
    {'X', NULL, NULL, "with -e, -M, -P: remove the parameters or entries"},
    {'#', NULL, NULL, "with -e, -M: comment out the parameters or entries"},
    {OPT_SHELL, "shell", NULL, "an interactive shell to read and edit the configuration"},
    {OPT_EXPLAIN, "explain", "name", "where a parameter's value comes from, and what it means"},
    {OPT_SERVICE, "service", "name/type", "with --explain: as that master.cf service sees it"},
    {OPT_DIFF, "diff", NULL, "main.cf against the defaults (or against config_dir2)"},
    {OPT_FORCE, "force", NULL, "with -e, --import: write even when there are errors"},
    {OPT_EXPORT, "export", "json|yaml", "the configuration as JSON or YAML"},
    {OPT_OUTPUT, "output", "file", "with --export: write to file"},
    {OPT_EXPAND, "expand", NULL, "with --export: expanded values"},
    {OPT_WITH_SOURCE, "with-source", NULL, "with --export: where each value comes from"},
    {OPT_ALL, "all", NULL, "with --export: every parameter, defaults included"},
    {OPT_IMPORT, "import", "file", "set main.cf and master.cf from a JSON or YAML file"},
    {OPT_DRY_RUN, "dry-run", NULL, "with --import: show the changes, write nothing"},
    {OPT_REPLACE, "replace", NULL, "with --import: parameters not in the file are removed"},
    TOOL_OPT_STANDARD,
    {0, NULL, NULL, NULL},
};

/* usage - Postfix's one-line usage (its "-c param_class" typo included) */
static _Noreturn void usage(const char *prog)
{
	pcf_fatal("usage: %s"
	          " [-a (server SASL types)]"
	          " [-A (client SASL types)]"
	          " [-b (bounce templates)]"
	          " [-c config_dir]"
	          " [-c param_class]"
	          " [-d (parameter defaults)]"
	          " [-e (edit configuration)]"
	          " [-f (fold lines)]"
	          " [-F (master.cf fields)]"
	          " [-h (no names)]"
	          " [-H (no values)]"
	          " [-l (lock types)]"
	          " [-m (map types)]"
	          " [-M (master.cf)]"
	          " [-n (non-default parameters)]"
	          " [-o name=value (override parameter value)]"
	          " [-p (main.cf, default)]"
	          " [-P (master.cf parameters)]"
	          " [-t (bounce templates)]"
	          " [-T compile-version|run-version|public-key-algorithms]"
	          " [-v (verbose)]"
	          " [-x (expand parameter values)]"
	          " [-X (exclude)]"
	          " [-# (comment-out)]"
	          " [name...]",
	          prog);
}

/* mask_names - "-d -n" for the options in mask, in Postfix's order */
static void mask_names(unsigned mask, struct cfg_buf *out)
{
	for (const struct pcf_opt_name *o = pcf_opt_names; o->name; o++) {
		if (mask & o->bit) {
			if (out->len)
				cfg_buf_addc(out, ' ');
			cfg_buf_adds(out, o->name);
		}
	}
}

/* check_exclusive - "specify one of ..." */
static void check_exclusive(unsigned mode)
{
	for (const unsigned *row = pcf_incompat; *row; row++) {
		unsigned hit = *row & mode;

		if (hit & (hit - 1)) {
			struct cfg_buf b;

			cfg_buf_init(&b);
			mask_names(hit, &b);
			pcf_fatal("specify one of %s", b.data);
		}
	}
}

/* check_compat - "with option X, do not specify Y" */
static void check_compat(unsigned mode)
{
	for (size_t i = 0; pcf_compat[i][0]; i++) {
		unsigned excess;

		if ((mode & pcf_compat[i][0]) == 0)
			continue;
		excess = mode & ~(pcf_compat[i][0] | pcf_compat[i][1]);
		if (excess) {
			struct cfg_buf a, b;

			cfg_buf_init(&a);
			cfg_buf_init(&b);
			mask_names(pcf_compat[i][0], &a);
			mask_names(excess, &b);
			pcf_fatal("with option %s, do not specify %s", a.data, b.data);
		}
	}
}

/* parse_classes - the -C argument: a list of class names, any case */
static unsigned parse_classes(const char *arg)
{
	unsigned mask = 0;
	const char *p = arg;

	for (;;) {
		size_t n;
		const struct pcf_class_name *c;

		p += strspn(p, ", \t\r\n");
		if (*p == 0)
			break;
		n = strcspn(p, ", \t\r\n");
		for (c = pcf_class_names; c->name; c++)
			if (strlen(c->name) == n && strncasecmp(c->name, p, n) == 0)
				break;
		if (c->name == NULL)
			pcf_fatal("unknown -C option value \"%.*s\" in \"%s\"", (int)n, p, arg);
		mask |= c->mask;
		p += n;
	}
	return mask;
}

/* load - cfg_config_open() that prints the diagnostics and dies on a fatal one */
static struct cfg_config *load(const char *config_dir, unsigned flags, char **overrides,
                               size_t noverrides)
{
	struct cfg_load_opts o = {0};
	struct cfg_diags ds;
	struct cfg_config *cfg = NULL;
	const char *prog = pcf_progname(), *slash = strrchr(prog, '/');

	o.flags = flags;
	o.process_name = slash ? slash + 1 : prog;
	o.overrides = (const char *const *)overrides;
	o.noverrides = noverrides;
	cfg_diags_init(&ds);
	(void)cfg_config_open(config_dir, &o, &cfg, &ds);
	pcf_diags(&ds); /* exits on a fatal diagnostic */
	cfg_diags_fini(&ds);
	return cfg;
}

/* unused_one - one main.cf "unused parameter" warning, printed as it comes */
static void unused_one(void *ctx, const struct cfg_diag *d)
{
	(void)ctx;
	pcf_warn_unique(d->msg);
}

/* unused - the "unused parameter" warnings after the output */
static void unused(const struct cfg_config *cfg, int master_only)
{
	struct cfg_diags ds;

	pcf_out_flush();
	if (!master_only)
		cfg_config_unused_main_each(cfg, unused_one, NULL);
	cfg_diags_init(&ds);
	cfg_config_unused_master(cfg, &ds);
	pcf_diags(&ds);
	cfg_diags_fini(&ds);
}

int main(int argc, char **argv)
{
	unsigned mode = 0, classes = CFG_CLASS_ALL;
	const char *config_dir = NULL, *tls_arg = NULL, *explain = NULL, *service = NULL;
	int have_templ = 0, shell = 0, diff = 0, force = 0, ch;
	struct pcf_export_opts exp = {0}; /* issue 5: --export */
	struct pcf_import_opts imp = {0}; /* issue 5: --import */
	struct cfg_strvec over;
	struct pcf_sink sink;
	struct tool_opt_state st;
	struct cfg_config *cfg;
	char **args;
	int nargs;

	pcf_msg_init(argv[0]);
	cfg_strvec_init(&over);
	tool_opt_init(&st, argc, argv, argv[0]);
	while ((ch = tool_opt_next(&st, pcf_options)) != TOOL_OPT_END) {
		switch (ch) {
		case 'a':
			mode |= PCF_SHOW_SASL_SERV;
			break;
		case 'A':
			mode |= PCF_SHOW_SASL_CLNT;
			break;
		case 'b':
		case 't':
			mode |= ch == 'b' ? PCF_EXP_DSN_TEMPL : PCF_DUMP_DSN_TEMPL;
			if (have_templ++)
				pcf_fatal("specify one of -b and -t");
			break;
		case 'c':
			config_dir = st.arg;
			break;
		case 'C':
			classes = parse_classes(st.arg);
			break;
		case 'd':
			mode |= PCF_SHOW_DEFS;
			break;
		case 'e':
			mode |= PCF_EDIT_CONF;
			break;
		case 'f':
			mode |= PCF_FOLD_LINE;
			break;
		case 'F':
			mode |= PCF_MASTER_FLD;
			break;
		case '#':
			mode |= PCF_COMMENT_OUT;
			break;
		case 'h':
			mode |= PCF_HIDE_NAME;
			break;
		case 'H':
			mode |= PCF_HIDE_VALUE;
			break;
		case 'l':
			mode |= PCF_SHOW_LOCKS;
			break;
		case 'm':
			mode |= PCF_SHOW_MAPS;
			break;
		case 'M':
			mode |= PCF_MASTER_ENTRY;
			break;
		case 'n':
			mode |= PCF_SHOW_NONDEF;
			break;
		case 'o':
			mode |= PCF_MAIN_OVER;
			cfg_strvec_add(&over, st.arg);
			break;
		case 'p':
			mode |= PCF_MAIN_PARAM;
			break;
		case 'P':
			mode |= PCF_MASTER_PARAM;
			break;
		case 'T':
			if (mode & PCF_SHOW_TLS)
				pcf_fatal("At most one -T <mode> option may be specified");
			mode |= PCF_SHOW_TLS;
			tls_arg = st.arg;
			break;
		case 'x':
			mode |= PCF_SHOW_EVAL;
			break;
		case 'X':
			mode |= PCF_EDIT_EXCL;
			break;
		case 'v':
			break; /* verbose logging: nothing more to say */
		case OPT_SHELL:
			shell = 1;
			break;
		case OPT_EXPLAIN:
			explain = st.arg;
			break;
		case OPT_SERVICE:
			service = st.arg;
			break;
		case OPT_DIFF:
			diff = 1;
			break;
		case OPT_FORCE:
			force = 1;
			break;
		case 'j': /* issue 5 */
			mode |= PCF_SHOW_JSON;
			break;
		case OPT_EXPORT:
			exp.format = st.arg;
			break;
		case OPT_OUTPUT:
			exp.output = st.arg;
			break;
		case OPT_EXPAND:
			exp.expand = 1;
			break;
		case OPT_WITH_SOURCE:
			exp.with_source = 1;
			break;
		case OPT_ALL:
			exp.all = 1;
			break;
		case OPT_IMPORT:
			imp.file = st.arg;
			break;
		case OPT_DRY_RUN:
			imp.dry_run = 1;
			break;
		case OPT_REPLACE:
			imp.replace = 1;
			break;
		case TOOL_OPT_HELP:
		case TOOL_OPT_VERSION:
			return tool_opt_standard(ch, "postconf", SYNOPSIS, pcf_options);
		default: /* TOOL_OPT_ERROR, and 'E': known to Postfix's getopt, but not an option */
			usage(argv[0]);
		}
	}
	args = argv + st.ind;
	nargs = argc - st.ind;

	/* postkit's own modes. */
	if (shell)
		return pcf_shell(config_dir);
	if (explain != NULL) {
		int rc = pcf_explain(config_dir, explain, service, over.v, (int)over.n);

		cfg_strvec_fini(&over);
		return rc;
	}
	if (diff)
		return pcf_diff(config_dir, nargs > 0 ? args[0] : NULL);
	if ((imp.dry_run || imp.replace) && imp.file == NULL)
		pcf_fatal("--dry-run and --replace go with --import FILE");
	if (imp.file != NULL) { /* issue 5 */
		if (exp.format != NULL || nargs > 0 || mode != 0)
			pcf_fatal(
			    "--import takes no other mode and no parameter names (only -c DIR)");
		imp.force = force;
		return pcf_import(config_dir, &imp);
	}
	if (exp.format != NULL) { /* issue 5 */
		exp.defaults = (mode & PCF_SHOW_DEFS) != 0;
		exp.all = (mode & (PCF_SHOW_DEFS | PCF_SHOW_NONDEF)) == 0 && exp.all;
		if (nargs > 0)
			pcf_fatal("--export takes no parameter names");
		{
			/* with --export, "-o FILE" (no '=') names the output; -o name=value stays
			 * an override */
			size_t w = 0;
			char *outfile = NULL;
			int rc;

			for (size_t i = 0; i < over.n; i++) {
				if (strchr(over.v[i], '=') != NULL) {
					over.v[w++] = over.v[i];
					continue;
				}
				if (exp.output != NULL)
					pcf_fatal("--export: give one output file (-o FILE or "
					          "--output=FILE)");
				exp.output = outfile = over.v[i];
			}
			over.n = w;
			rc = pcf_export(config_dir, &exp, over.v, over.n);
			free(outfile);

			cfg_strvec_fini(&over);
			return rc;
		}
	}

	/* Make the implicit options explicit, then check combinations. */
	if ((mode & PCF_MAJOR_MODES) == 0)
		mode |= PCF_MAIN_PARAM;
	if ((mode & (PCF_MAIN_PARAM | PCF_MASTER)) && nargs > 0 && strchr(args[0], '='))
		mode |= PCF_EDIT_CONF;
	check_exclusive(mode);
	check_compat(mode);
	if ((mode & PCF_EDIT_CONF) && nargs == 0)
		pcf_fatal("-e requires name=value argument");

	if (mode & (PCF_EXP_DSN_TEMPL | PCF_DUMP_DSN_TEMPL)) {
		int rc;

		if (nargs > 1)
			pcf_fatal("options -b and -t require at most one template file");
		cfg = load(config_dir, CFG_LOAD_NO_MASTER, NULL, 0);
		rc =
		    pcf_templates(cfg, nargs > 0 ? args[0] : NULL, (mode & PCF_EXP_DSN_TEMPL) != 0);
		cfg_config_free(cfg);
		if (rc == 0)
			pcf_out_flush();
		cfg_strvec_fini(&over);
		return rc;
	}
	if (mode & PCF_SHOW_MAPS) {
		cfg = load(config_dir, CFG_LOAD_NO_MASTER, NULL, 0);
		pcf_show_maps();
		cfg_config_free(cfg);
	} else if (mode & PCF_SHOW_LOCKS) {
		pcf_show_locks();
	} else if ((mode & PCF_MASTER) && !(mode & PCF_EDITS)) {
		cfg = load(config_dir, CFG_LOAD_NEED_MASTER, over.v, over.n);
		if (mode & PCF_SHOW_JSON)
			pcf_json_sink(&sink, mode);
		else
			pcf_text_sink(&sink, mode);
		if (mode & PCF_MASTER_FLD)
			pcf_show_master_fields(&sink, cfg, mode, args, nargs);
		else if (mode & PCF_MASTER_PARAM)
			pcf_show_master_params(&sink, cfg, mode, args, nargs);
		else
			pcf_show_master_entries(&sink, cfg, mode, args, nargs);
		unused(cfg, 1);
		cfg_config_free(cfg);
	} else if (mode & PCF_SHOW_SASL_SERV) {
		pcf_show_sasl(PCF_SHOW_SASL_SERV);
	} else if (mode & PCF_SHOW_SASL_CLNT) {
		pcf_show_sasl(PCF_SHOW_SASL_CLNT);
	} else if (mode & PCF_SHOW_TLS) {
		int rc = pcf_show_tls(tls_arg);

		pcf_out_flush();
		return rc;
	} else if (mode & PCF_EDITS) {
		int how = (mode & PCF_EDIT_CONF) ? 'e' : (mode & PCF_EDIT_EXCL) ? 'X' : '#';

		if (nargs == 0)
			pcf_fatal("missing service argument");
		pcf_out_flush();
		if (mode & PCF_MASTER) {
			int what = (mode & PCF_MASTER_ENTRY) ? 'M'
			           : (mode & PCF_MASTER_FLD) ? 'F'
			                                     : 'P';

			return pcf_edit_master(config_dir, how, what, args, nargs, force);
		}
		return pcf_edit_main(config_dir, how, args, nargs, force);
	} else {
		unsigned flags = (mode & PCF_SHOW_DEFS) ? CFG_LOAD_DEFAULTS : 0;

		cfg = load(config_dir, flags, over.v, over.n);
		if (mode & PCF_SHOW_JSON)
			pcf_json_sink(&sink, mode);
		else
			pcf_text_sink(&sink, mode);
		pcf_show_parameters(&sink, cfg, mode, classes, args, nargs);
		if ((mode & PCF_SHOW_DEFS) == 0)
			unused(cfg, 0);
		cfg_config_free(cfg);
	}
	pcf_out_flush();
	cfg_strvec_fini(&over);
	return 0;
}
