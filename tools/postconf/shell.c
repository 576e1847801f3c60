/*
 * shell.c - postconf --shell: browse and edit a configuration interactively
 *
 * One command per line.  On a terminal the line comes from GNU readline
 * (shell_input.c: completion, history in ~/.postkit_history, ^C cancels
 * the line, ^D leaves); otherwise lines are read from stdin with no prompt
 * and errors name the input line, so a script can drive the shell and its
 * exit status says whether every command worked.
 *
 * Changes are pending until "write", which locks main.cf, re-reads it,
 * applies them the way postconf -e / -X do, and replaces it atomically.
 */
#include "config.h"

#include <dirent.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "cfg/check/check.h"
#include "cfg/doc/edit.h"
#include "cfg/base/fileio.h"
#include "cfg/doc/maincf.h"
#include "cfg/map/map.h"
#include "cfg/doc/mastercf.h"
#include "cfg/schema/registry.h"
#include "cfg/schema/restriction.h"
#include "cfg/schema/tabletype.h"
#include "cfg/param/validate.h"
#include "cfg/base/xalloc.h"
#include "edit_priv.h"
#include "postconf_edit.h"
#include "shell.h"

/* pcf_shell_say - a message about the current line: "error: ..." (stdin:N: first when scripted) */
void pcf_shell_say(struct pcf_shell *sh, const char *sev, const char *fmt, ...)
{
	va_list ap;

	fflush(stdout);
	if (!sh->tty)
		fprintf(stderr, "stdin:%u: ", sh->lineno);
	fprintf(stderr, "%s: ", sev);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	fflush(stderr);
	if (strcmp(sev, "error") == 0)
		sh->failed = 1;
}

/* lookup_init - expansion through the pending changes */
static void lookup_init(struct pcf_shell *sh, struct pcf_ed_lookup *lk)
{
	pcf_ed_lookup_init(lk, sh->cfg, (const char *const *)sh->pnames,
	                   (const char *const *)sh->pvalues, sh->npend);
}

int pcf_shell_apply(struct pcf_shell *sh, const char *text, size_t len, struct cfg_buf *out,
                    struct cfg_diags *ds)
{
	struct cfg_buf cur;
	size_t i;
	int rc = 0;

	cfg_buf_init(&cur);
	cfg_buf_add(&cur, text, len);
	for (i = 0; i < sh->npend && rc == 0; i++) {
		struct cfg_edit *ed = NULL;
		struct cfg_buf next;
		char *arg = sh->pvalues[i] ? cfg_xasprintf("%s=%s", sh->pnames[i], sh->pvalues[i])
		                           : cfg_xstrdup(sh->pnames[i]);

		cfg_buf_init(&next);
		rc = cfg_edit_parse(CFG_EDIT_MAIN, sh->pvalues[i] ? CFG_EDIT_SET : CFG_EDIT_REMOVE,
		                    &arg, 1, &ed, ds);
		if (rc == 0)
			rc = cfg_edit_apply(ed, sh->main_path, cur.data, cur.len, &next, ds);
		cfg_edit_free(ed);
		free(arg);
		cfg_buf_fini(&cur);
		cur = next;
	}
	cfg_buf_add(out, cur.data, cur.len);
	cfg_buf_fini(&cur);
	return rc;
}

/* pending_doc - the pending main.cf as a document (never NULL) */
static struct cfg_maincf *pending_doc(struct pcf_shell *sh)
{
	struct cfg_buf t;
	struct cfg_diags ds;
	struct cfg_maincf *doc = NULL;

	cfg_buf_init(&t);
	cfg_diags_init(&ds);
	pcf_shell_apply(sh, sh->text.data, sh->text.len, &t, &ds);
	(void)cfg_maincf_parse(sh->main_path, t.data, t.len, &doc, &ds);
	if (doc == NULL)
		(void)cfg_maincf_parse(sh->main_path, "", 0, &doc, &ds);
	cfg_diags_fini(&ds);
	cfg_buf_fini(&t);
	return doc;
}

/* pending_find - index + 1 of the pending operation on name, or 0 */
static size_t pending_find(const struct pcf_shell *sh, const char *name)
{
	size_t i;

	for (i = 0; i < sh->npend; i++)
		if (strcmp(sh->pnames[i], name) == 0)
			return i + 1;
	return 0;
}

/* pending_put - record an operation (value NULL: unset), replacing one on the same name */
static void pending_put(struct pcf_shell *sh, const char *name, const char *value)
{
	size_t k = pending_find(sh, name);

	if (k == 0) {
		sh->pnames = cfg_xreallocarray(sh->pnames, sh->npend + 1, sizeof(*sh->pnames));
		sh->pvalues = cfg_xreallocarray(sh->pvalues, sh->npend + 1, sizeof(*sh->pvalues));
		sh->pnames[sh->npend] = cfg_xstrdup(name);
		sh->pvalues[sh->npend] = NULL;
		k = ++sh->npend;
	}
	free(sh->pvalues[k - 1]);
	sh->pvalues[k - 1] = value ? cfg_xstrdup(value) : NULL;
}

/* pending_clear - forget every pending operation */
static void pending_clear(struct pcf_shell *sh)
{
	size_t i;

	for (i = 0; i < sh->npend; i++) {
		free(sh->pnames[i]);
		free(sh->pvalues[i]);
	}
	free(sh->pnames);
	free(sh->pvalues);
	sh->pnames = sh->pvalues = NULL;
	sh->npend = 0;
}

/* load - (re)load the configuration and main.cf's bytes; -1 after printing why */
static int load(struct pcf_shell *sh)
{
	struct cfg_config *cfg = pcf_ed_load(sh->dir);
	struct cfg_diags fatal;
	int rc = 0;

	if (cfg == NULL)
		return -1;
	cfg_diags_init(&fatal);
	cfg_buf_reset(&sh->text);
	if (cfg_file_read(sh->main_path, &sh->text, &fatal) < 0) {
		pcf_ed_print_diags(stderr, &fatal);
		cfg_config_free(cfg);
		rc = -1;
	} else {
		cfg_config_free(sh->cfg);
		sh->cfg = cfg;
	}
	cfg_diags_fini(&fatal);
	return rc;
}

/* known - 1 when name is a parameter the configuration knows, is set, or pending */
static int known(struct pcf_shell *sh, const char *name)
{
	return cfg_config_class(sh->cfg, name) != 0 || pending_find(sh, name)
	       || cfg_maincf_get(cfg_config_maincf(sh->cfg), name) != NULL;
}

/* unknown - complain about an unknown parameter, with a suggestion */
static void unknown(struct pcf_shell *sh, const char *cmd, const char *name)
{
	struct cfg_strvec tmp;
	const char *s;

	cfg_strvec_init(&tmp);
	s = pcf_ed_suggest(sh->cfg, name, &tmp);
	if (s != NULL)
		pcf_shell_say(sh, "error", "%s: unknown parameter \"%s\" (did you mean \"%s\"?)",
		              cmd, name, s);
	else
		pcf_shell_say(sh, "error", "%s: unknown parameter \"%s\"", cmd, name);
	cfg_strvec_fini(&tmp);
}

/* cmd_show - show NAME...: value, source, default, expansion, type, description */
static void cmd_show(struct pcf_shell *sh, struct cfg_strvec *av, const char *rest)
{
	struct pcf_ed_lookup lk;
	size_t i;

	(void)rest;
	if (av->n < 2) {
		pcf_shell_say(sh, "error", "usage: show NAME...");
		return;
	}
	lookup_init(sh, &lk);
	for (i = 1; i < av->n; i++) {
		if (!known(sh, av->v[i])) {
			unknown(sh, "show", av->v[i]);
			continue;
		}
		if (pcf_explain_print(stdout, sh->cfg, &lk, av->v[i], NULL, NULL, 1) < 0)
			sh->failed = 1;
	}
}

/* cmd_explain - explain NAME [SERVICE]: show plus the expansion tree */
static void cmd_explain(struct pcf_shell *sh, struct cfg_strvec *av, const char *rest)
{
	struct pcf_ed_lookup lk;

	(void)rest;
	if (av->n < 2 || av->n > 3) {
		pcf_shell_say(sh, "error", "usage: explain NAME [SERVICE[/TYPE]]");
		return;
	}
	if (!known(sh, av->v[1])) {
		unknown(sh, "explain", av->v[1]);
		return;
	}
	lookup_init(sh, &lk);
	if (pcf_explain_print(stdout, sh->cfg, &lk, av->v[1], av->n > 2 ? av->v[2] : NULL, NULL, 0)
	    < 0)
		sh->failed = 1;
}

/* syntax_ok - name=value is something postconf -e accepts; else say why */
static int syntax_ok(struct pcf_shell *sh, const char *name, const char *value)
{
	struct cfg_diags ds;
	struct cfg_edit *ed = NULL;
	char *arg = cfg_xasprintf("%s=%s", name, value);
	int ok;

	cfg_diags_init(&ds);
	ok = cfg_edit_parse(CFG_EDIT_MAIN, CFG_EDIT_SET, &arg, 1, &ed, &ds) == 0;
	if (!ok)
		pcf_shell_say(sh, "error", "set: %s", ds.n ? ds.v[ds.n - 1].msg : "bad setting");
	cfg_edit_free(ed);
	cfg_diags_fini(&ds);
	free(arg);
	return ok;
}

/* cmd_set - set NAME VALUE (or NAME = VALUE); "set!" skips the type check */
static void cmd_set(struct pcf_shell *sh, struct cfg_strvec *av, const char *rest)
{
	char *copy, *name, *value, *p;
	const struct cfg_param_def *def;
	int force = strcmp(av->v[0], "set!") == 0;

	copy = cfg_xstrdup(rest);
	for (p = copy; *p == ' ' || *p == '\t'; p++)
		;
	name = p;
	p += strcspn(p, " \t=");
	if (p == name) {
		pcf_shell_say(sh, "error", "usage: set NAME VALUE");
		free(copy);
		return;
	}
	if (*p != 0) {
		*p++ = 0;
		p += strspn(p, " \t");
		if (*p == '=')
			p += 1 + strspn(p + 1, " \t");
	}
	value = p;
	for (p = value + strlen(value); p > value && (p[-1] == ' ' || p[-1] == '\t'); p--)
		;
	*p = 0;
	def = cfg_registry_find(name);
	if (!syntax_ok(sh, name, value)) {
		/* said why */
	} else if (def != NULL && (def->flags & CFG_PF_READONLY)) {
		pcf_shell_say(sh, "error", "set: %s cannot be set in main.cf", name);
	} else {
		struct pcf_ed_lookup lk;
		struct cfg_diags ds;
		const char **names = cfg_xcalloc(sh->npend + 1, sizeof(*names));
		const char **values = cfg_xcalloc(sh->npend + 1, sizeof(*values));
		size_t i;

		/* check the value as if it were already set, so $name can refer to it */
		for (i = 0; i < sh->npend; i++) {
			names[i] = sh->pnames[i];
			values[i] = sh->pvalues[i];
		}
		names[i] = name;
		values[i] = value;
		pcf_ed_lookup_init(&lk, sh->cfg, names, values, sh->npend + 1);
		cfg_diags_init(&ds);
		if (!force && cfg_validate_param(name, value, &lk.ex, NULL, 0, &ds) < 0) {
			pcf_shell_say(sh, "error", "set: %s (not set; \"set!\" sets it anyway)",
			              ds.v[0].msg);
		} else {
			if (!known(sh, name)) {
				struct cfg_strvec tmp;
				const char *s;

				cfg_strvec_init(&tmp);
				s = pcf_ed_suggest(sh->cfg, name, &tmp);
				pcf_shell_say(
				    sh, "warning",
				    "set: %s is not a Postfix parameter; it becomes a user-defined "
				    "one%s%s%s",
				    name, s ? " (did you mean \"" : "", s ? s : "",
				    s ? "\"?)" : "");
				cfg_strvec_fini(&tmp);
			}
			pending_put(sh, name, value);
		}
		cfg_diags_fini(&ds);
		free(names);
		free(values);
	}
	free(copy);
}

/* cmd_unset - unset NAME...: remove the settings from main.cf (postconf -X) */
static void cmd_unset(struct pcf_shell *sh, struct cfg_strvec *av, const char *rest)
{
	struct cfg_maincf *doc = pending_doc(sh);
	size_t i;

	(void)rest;
	if (av->n < 2)
		pcf_shell_say(sh, "error", "usage: unset NAME...");
	for (i = 1; i < av->n; i++) {
		if (cfg_maincf_get(doc, av->v[i]) == NULL) {
			pcf_shell_say(sh, "error", "unset: %s is not set in %s", av->v[i],
			              sh->main_path);
			continue;
		}
		pending_put(sh, av->v[i], NULL);
	}
	cfg_maincf_free(doc);
}

/* matches - no filter, or word occurs in s (any case) */
static int matches(const char *s, const char *word)
{
	return word == NULL || (s != NULL && strcasestr(s, word) != NULL);
}

/* print_setting - "LEADname = value", the words of value joined by single spaces */
static void print_setting(const char *lead, const char *name, const char *value)
{
	struct cfg_buf w;

	cfg_buf_init(&w);
	pcf_ed_words(value, &w);
	printf("%s%s = %s\n", lead, name, w.data);
	cfg_buf_fini(&w);
}

/* cmd_changed - changed [WORD]: settings in main.cf, pending ones marked */
static void cmd_changed(struct pcf_shell *sh, struct cfg_strvec *av, const char *rest)
{
	struct cfg_maincf *doc = pending_doc(sh);
	const struct cfg_maincf *old = cfg_config_maincf(sh->cfg);
	struct cfg_strvec names;
	const char *word = av->n > 1 ? av->v[1] : NULL;
	size_t i;

	(void)rest;
	cfg_strvec_init(&names);
	for (i = 0; i < doc->nents; i++)
		if (cfg_maincf_get(doc, doc->ents[i].name) == &doc->ents[i])
			cfg_strvec_add(&names, doc->ents[i].name);
	for (i = 0; i < sh->npend; i++)
		if (sh->pvalues[i] == NULL && cfg_maincf_get(old, sh->pnames[i]) != NULL)
			cfg_strvec_add(&names, sh->pnames[i]);
	cfg_strvec_sort(&names);
	for (i = 0; i < names.n; i++) {
		const char *n = names.v[i];
		const struct cfg_maincf_entry *e = cfg_maincf_get(doc, n);
		size_t k = pending_find(sh, n);

		if (!matches(n, word))
			continue;
		if (e == NULL)
			print_setting("- ", n, cfg_maincf_get(old, n)->value);
		else
			print_setting(k ? "* " : "  ", n, e->value);
	}
	cfg_strvec_fini(&names);
	cfg_maincf_free(doc);
}

/* cmd_defaults - defaults [WORD]: parameters left at their default value */
static void cmd_defaults(struct pcf_shell *sh, struct cfg_strvec *av, const char *rest)
{
	struct cfg_maincf *doc = pending_doc(sh);
	struct cfg_strvec names;
	const char *word = av->n > 1 ? av->v[1] : NULL;
	size_t i;

	(void)rest;
	cfg_strvec_init(&names);
	cfg_config_names(sh->cfg, CFG_CLASS_BUILTIN | CFG_CLASS_SERVICE, &names);
	for (i = 0; i < names.n; i++) {
		const char *d;

		if (cfg_maincf_get(doc, names.v[i]) != NULL || !matches(names.v[i], word))
			continue;
		d = cfg_config_default(sh->cfg, names.v[i]);
		print_setting("", names.v[i], d ? d : "");
	}
	cfg_strvec_fini(&names);
	cfg_maincf_free(doc);
}

/* cmd_search - search WORD: parameter names and descriptions that contain WORD */
static void cmd_search(struct pcf_shell *sh, struct cfg_strvec *av, const char *rest)
{
	struct cfg_strvec names;
	size_t i, hits = 0;

	(void)rest;
	if (av->n != 2) {
		pcf_shell_say(sh, "error", "usage: search WORD");
		return;
	}
	cfg_strvec_init(&names);
	pcf_shell_param_names(sh, &names);
	for (i = 0; i < names.n; i++) {
		const struct cfg_param_def *def = cfg_registry_find(names.v[i]);
		const char *desc = def ? def->desc : NULL;

		if (!matches(names.v[i], av->v[1]) && !matches(desc, av->v[1]))
			continue;
		hits++;
		if (desc != NULL)
			printf("%s - %s\n", names.v[i], desc);
		else
			printf("%s\n", names.v[i]);
	}
	if (hits == 0)
		pcf_shell_say(sh, "note", "search: nothing matches \"%s\"", av->v[1]);
	cfg_strvec_fini(&names);
}

/* cmd_services - services [NAME[/TYPE]]: master.cf entries as postconf -M shows them */
static void cmd_services(struct pcf_shell *sh, struct cfg_strvec *av, const char *rest)
{
	const struct cfg_mastercf *m = cfg_config_mastercf(sh->cfg);
	struct cfg_buf out;
	struct cfg_diags ds;
	size_t i, shown = 0;

	(void)rest;
	cfg_buf_init(&out);
	cfg_diags_init(&ds);
	for (i = 0; m != NULL && i < m->nsvcs; i++) {
		const struct cfg_service *s = &m->svcs[i];
		char *nt = cfg_xasprintf("%s/%s", s->field[CFG_MF_SERVICE], s->field[CFG_MF_TYPE]);
		char *entry;

		if (av->n > 1 && strcmp(av->v[1], nt) != 0
		    && strcmp(av->v[1], s->field[CFG_MF_SERVICE]) != 0) {
			free(nt);
			continue;
		}
		free(nt);
		entry = cfg_xstrndup(m->text.data + s->start, s->end - s->start);
		(void)cfg_edit_print_entry(entry, 0, &out, &ds);
		free(entry);
		shown++;
	}
	fputs(out.data, stdout);
	if (av->n > 1 && shown == 0)
		pcf_shell_say(sh, "error", "services: no master.cf entry \"%s\"", av->v[1]);
	cfg_diags_fini(&ds);
	cfg_buf_fini(&out);
}

/* cmd_write - apply the pending changes to main.cf: lock, re-read, edit, replace */
static void cmd_write(struct pcf_shell *sh, struct cfg_strvec *av, const char *rest)
{
	struct cfg_file_txn t;
	struct cfg_buf out;
	struct cfg_diags ds;
	size_t n = sh->npend;
	int ok;

	(void)av;
	(void)rest;
	if (n == 0) {
		printf("nothing to write\n");
		return;
	}
	cfg_buf_init(&out);
	cfg_diags_init(&ds);
	ok = cfg_file_begin(&t, sh->main_path, 0, &ds) == 0
	     && pcf_shell_apply(sh, t.text.data, t.text.len, &out, &ds) == 0
	     && cfg_file_commit(&t, out.data, out.len, 0644, &ds) == 0;
	cfg_file_end(&t);
	if (ok) {
		pcf_ed_print_diags(stderr, &ds);
		pending_clear(sh);
		if (load(sh) < 0)
			sh->failed = 1;
		printf("wrote %s: %zu change%s\n", sh->main_path, n, n == 1 ? "" : "s");
	} else {
		for (size_t i = 0; i < ds.n; i++)
			pcf_shell_say(sh, ds.v[i].sev >= CFG_SEV_ERROR ? "error" : "warning",
			              "write: %s", ds.v[i].msg);
		sh->failed = 1;
	}
	cfg_diags_fini(&ds);
	cfg_buf_fini(&out);
}

/* cmd_revert - forget the pending changes */
static void cmd_revert(struct pcf_shell *sh, struct cfg_strvec *av, const char *rest)
{
	(void)av;
	(void)rest;
	printf("%zu pending change%s dropped\n", sh->npend, sh->npend == 1 ? "" : "s");
	pending_clear(sh);
}

/* cmd_quit - quit / exit; "quit!" discards pending changes without asking */
static void cmd_quit(struct pcf_shell *sh, struct cfg_strvec *av, const char *rest)
{
	(void)rest;
	if (sh->npend == 0 || strcmp(av->v[0], "quit!") == 0 || strcmp(av->v[0], "exit!") == 0) {
		sh->done = 1;
	} else if (sh->tty) {
		sh->confirm = 1;
	} else {
		pcf_shell_say(
		    sh, "error",
		    "%zu unwritten change%s: \"write\" saves them, \"quit!\" discards them",
		    sh->npend, sh->npend == 1 ? "" : "s");
	}
}

static void cmd_help(struct pcf_shell *sh, struct cfg_strvec *av, const char *rest);

/* The command table. */
static const struct command {
	const char *name;
	enum pcf_shell_arg arg;
	void (*fn)(struct pcf_shell *, struct cfg_strvec *, const char *);
	const char *usage;
	const char *help;
} commands[] = {
    {"show", PCF_ARG_PARAM, cmd_show, "show NAME...",
     "value, where it is set, default, expanded value, type and description"},
    {"explain", PCF_ARG_EXPLAIN, cmd_explain, "explain NAME [SERVICE[/TYPE]]",
     "like show, plus the expansion step by step (and a service's -o override)"},
    {"set", PCF_ARG_SET, cmd_set, "set NAME VALUE",
     "change a setting (pending until write); the value is type-checked"},
    {"set!", PCF_ARG_SET, cmd_set, "set! NAME VALUE", "set without the type check"},
    {"unset", PCF_ARG_PARAM, cmd_unset, "unset NAME...",
     "remove settings from main.cf (pending until write)"},
    {"changed", PCF_ARG_WORD, cmd_changed, "changed [WORD]",
     "settings in main.cf; '*' marks pending changes, '-' pending removals"},
    {"defaults", PCF_ARG_WORD, cmd_defaults, "defaults [WORD]",
     "parameters left at their default value"},
    {"search", PCF_ARG_WORD, cmd_search, "search WORD",
     "parameters whose name or description contains WORD"},
    {"services", PCF_ARG_SERVICE, cmd_services, "services [NAME[/TYPE]]",
     "master.cf entries, as postconf -M shows them"},
    {"check", PCF_ARG_NONE, pcf_shell_cmd_check, "check",
     "type-check every setting, pending ones too"},
    {"diff", PCF_ARG_NONE, pcf_shell_cmd_diff, "diff",
     "pending changes as a unified diff of main.cf"},
    {"write", PCF_ARG_NONE, cmd_write, "write", "save the pending changes to main.cf"},
    {"revert", PCF_ARG_NONE, cmd_revert, "revert", "drop the pending changes"},
    {"help", PCF_ARG_COMMAND, cmd_help, "help [COMMAND]", "this list, or one command's usage"},
    {"quit", PCF_ARG_NONE, cmd_quit, "quit",
     "leave (asks about unwritten changes; quit! discards them)"},
    {"quit!", PCF_ARG_NONE, cmd_quit, "quit!", "leave, discarding unwritten changes"},
    {"exit", PCF_ARG_NONE, cmd_quit, "exit", "same as quit"},
};
#define NCOMMANDS (sizeof(commands) / sizeof(commands[0]))

/* find_command - the table row of name, or NULL */
static const struct command *find_command(const char *name)
{
	size_t i;

	for (i = 0; i < NCOMMANDS; i++)
		if (strcmp(commands[i].name, name) == 0)
			return &commands[i];
	return NULL;
}

static void cmd_help(struct pcf_shell *sh, struct cfg_strvec *av, const char *rest)
{
	size_t i;

	(void)rest;
	if (av->n > 1) {
		const struct command *c = find_command(av->v[1]);

		if (c == NULL)
			pcf_shell_say(sh, "error", "help: unknown command \"%s\"", av->v[1]);
		else
			printf("%s\n    %s\n", c->usage, c->help);
		return;
	}
	for (i = 0; i < NCOMMANDS; i++)
		printf("%-30s %s\n", commands[i].usage, commands[i].help);
}

const char *const *pcf_shell_command_names(void)
{
	static const char *names[NCOMMANDS + 1];
	size_t i;

	for (i = 0; i < NCOMMANDS; i++)
		names[i] = commands[i].name;
	return names;
}

enum pcf_shell_arg pcf_shell_command_arg(const char *cmd)
{
	const struct command *c = find_command(cmd);

	return c ? c->arg : PCF_ARG_NONE;
}

void pcf_shell_exec(struct pcf_shell *sh, const char *line)
{
	struct cfg_strvec av;
	const struct command *c;
	const char *rest;

	if (sh->confirm) {
		sh->confirm = 0;
		if (line[strspn(line, " \t")] == 'y' || line[strspn(line, " \t")] == 'Y')
			sh->done = 1;
		return;
	}
	cfg_strvec_init(&av);
	cfg_strvec_split(&av, line, " \t\r\n");
	if (av.n == 0 || av.v[0][0] == '#') {
		cfg_strvec_fini(&av);
		return;
	}
	if ((c = find_command(av.v[0])) == NULL) {
		pcf_shell_say(sh, "error", "unknown command \"%s\" (\"help\" lists them)", av.v[0]);
	} else {
		rest = line + strspn(line, " \t");
		rest += strlen(av.v[0]);
		c->fn(sh, &av, rest);
	}
	fflush(stdout);
	cfg_strvec_fini(&av);
}

void pcf_shell_eof(struct pcf_shell *sh)
{
	if (sh->confirm || sh->npend == 0) {
		sh->done = 1;
		return;
	}
	if (sh->tty) {
		sh->confirm = 1;
		return;
	}
	pcf_shell_say(sh, "error", "end of input: %zu unwritten change%s discarded", sh->npend,
	              sh->npend == 1 ? "" : "s");
	sh->done = 1;
}

const char *pcf_shell_prompt(const struct pcf_shell *sh)
{
	static char buf[80];

	if (!sh->confirm)
		return "postconf> ";
	snprintf(buf, sizeof(buf), "%zu unwritten change%s: discard and quit? [y/N] ", sh->npend,
	         sh->npend == 1 ? "" : "s");
	return buf;
}

int pcf_shell(const char *config_dir)
{
	struct pcf_shell sh;
	int status;

	memset(&sh, 0, sizeof(sh));
	sh.dir = pcf_ed_config_dir(config_dir);
	sh.main_path = cfg_xasprintf("%s/main.cf", sh.dir);
	sh.tty = isatty(STDIN_FILENO);
	cfg_buf_init(&sh.text);
	if (load(&sh) < 0) {
		free(sh.main_path);
		cfg_buf_fini(&sh.text);
		return 1;
	}
	if (sh.tty) {
		pcf_shell_interactive(&sh);
	} else {
		char *line = NULL;
		size_t cap = 0;
		ssize_t n;

		while (!sh.done && (n = getline(&line, &cap, stdin)) >= 0) {
			sh.lineno++;
			if (n > 0 && line[n - 1] == '\n')
				line[n - 1] = 0;
			pcf_shell_exec(&sh, line);
		}
		if (!sh.done)
			pcf_shell_eof(&sh);
		free(line);
	}
	status = !sh.tty && sh.failed ? 1 : 0;
	pending_clear(&sh);
	cfg_config_free(sh.cfg);
	cfg_buf_fini(&sh.text);
	free(sh.main_path);
	return status;
}
