/*
 * import_read.c - an export document read into settings, by the schema's rules
 *
 * The checks here are the published JSON Schema's (schemas/gen_schema.c),
 * made with positions and in words a person can act on; the registry's type
 * checks of the resulting values come later (import.c).  Every problem is
 * reported, so one run shows everything that needs fixing.
 */
#include "config.h"

#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "cfg/base/buf.h"
#include "cfg/io/doctree.h"
#include "cfg/io/export.h"
#include "cfg/schema/masterdef.h"
#include "cfg/schema/registry.h"
#include "cfg/base/strvec.h"
#include "cfg/base/xalloc.h"
#include "../doc/edit_int.h"
#include "import_int.h"

/* the master.cf fields of a service, in entry order: their export keys (schemas/master.def) */
#define NFIELDS ((size_t)CFG_MF_COUNT)
#define field_key(f) cfg_master_field_export_key((enum cfg_master_field)(f))

/* cfgp_imp_error - an error at node n */
void cfgp_imp_error(const struct cfgp_imp_model *m, const struct cfg_doc_node *n, const char *code,
                    const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	cfg_diags_vadd(m->diags, CFG_SEV_ERROR, code, m->source, n ? n->line : 0, n ? n->col : 0,
	               fmt, ap);
	va_end(ap);
}

/* name_ok - a parameter name as the schema allows it: [A-Za-z0-9_.-]+ */
static int name_ok(const char *s, size_t len)
{
	if (len == 0 || strlen(s) != len)
		return 0;
	for (; *s; s++)
		if (!((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z')
		      || (*s >= '0' && *s <= '9') || *s == '_' || *s == '.' || *s == '-'))
			return 0;
	return 1;
}

/* is_list_def - the parameter's value may be written as a list */
static int is_list_def(const struct cfg_param_def *def)
{
	return cfg_export_is_list_type(def);
}

/* expected - what a value of def may be, for messages */
static const char *expected(const struct cfg_param_def *def)
{
	if (def == NULL)
		return "a string";
	if (def->type == CFG_T_BOOL)
		return "true or false (or the text yes or no)";
	if (def->type == CFG_T_INT || def->type == CFG_T_LONG)
		return "a whole number (or text such as \"$name\")";
	if (is_list_def(def))
		return "a list of strings or a string";
	return "a string";
}

/* has_control - text holds a control character other than TAB (ASCII C0 or DEL) */
static int has_control(const char *text)
{
	for (const unsigned char *p = (const unsigned char *)text; *p; p++)
		if ((*p < 0x20 && *p != '\t') || *p == 0x7f)
			return 1;
	return 0;
}

/*
 * value_control - like has_control, for a main.cf value: a CR before a
 * blank is what a main.cf with CRLF line ends leaves before each
 * continuation line (Postfix reads it as white space), so it may come back
 */
static int value_control(const char *text)
{
	for (const unsigned char *p = (const unsigned char *)text; *p; p++)
		if (((*p < 0x20 && *p != '\t') || *p == 0x7f)
		    && !(*p == '\r' && (p[1] == ' ' || p[1] == '\t')))
			return 1;
	return 0;
}

/* text_ok - main.cf can hold this text as a value: one line, no NUL, no edge whitespace */
static int text_ok(const struct cfgp_imp_model *m, const char *path, const struct cfg_doc_node *n,
                   const char *text, size_t len)
{
	if (strlen(text) != len) {
		cfgp_imp_error(m, n, "import-value", "%s: a value must not contain a NUL character",
		               path);
		return 0;
	}
	if (strchr(text, '\n') != NULL) {
		cfgp_imp_error(m, n, "import-value",
		               "%s: a value must be one line (main.cf and master.cf cannot keep a "
		               "line break inside a value)",
		               path);
		return 0;
	}
	if (value_control(text)) {
		/* Postfix would write it into main.cf (or master.cf) as is */
		cfgp_imp_error(m, n, "import-value",
		               "%s: a value must not contain control characters", path);
		return 0;
	}
	if (len > 0 && (strchr(" \t", text[0]) || strchr(" \t", text[len - 1]))) {
		cfgp_imp_error(
		    m, n, "import-value",
		    "%s: leading or trailing whitespace would be lost in main.cf; remove it", path);
		return 0;
	}
	return 1;
}

/* list_text - a list of strings joined with ", "; NULL after an error */
static char *list_text(const struct cfgp_imp_model *m, const char *path,
                       const struct cfg_doc_node *n)
{
	struct cfg_strvec items;
	char *joined;

	cfg_strvec_init(&items);
	for (size_t i = 0; i < n->n; i++) {
		const struct cfg_doc_node *it = n->items[i];
		int bad = it->kind != CFG_DOC_SCALAR || cfg_doc_is_null(m->doc, it)
		          || (m->doc->json && it->plain);

		if (bad) {
			cfgp_imp_error(m, it, "import-type", "%s[%zu]: expected a string, found %s",
			               path, i, cfg_doc_describe(m->doc, it));
			cfg_strvec_fini(&items);
			return NULL;
		}
		if (it->len == 0) {
			cfgp_imp_error(m, it, "import-value",
			               "%s[%zu]: a list item must not be empty", path, i);
			cfg_strvec_fini(&items);
			return NULL;
		}
		cfg_strvec_addn(&items, it->text, it->len);
	}
	joined = cfg_strvec_join(&items, ", ");
	cfg_strvec_fini(&items);
	return joined;
}

/*
 * value_text - the main.cf text of the document value n of parameter name
 * (path names it in messages); NULL after an error
 */
static char *value_text(const struct cfgp_imp_model *m, const char *path, const char *name,
                        const struct cfg_doc_node *n)
{
	const struct cfg_param_def *def = cfg_registry_find(name);
	char *text;
	int b;

	if (cfg_doc_is_null(m->doc, n)) {
		cfgp_imp_error(
		    m, n, "import-type",
		    "%s: null is not a value: write \"\" for an empty value, or leave the "
		    "setting out",
		    path);
		return NULL;
	}
	if (n->kind == CFG_DOC_MAP || (n->kind == CFG_DOC_SEQ && !is_list_def(def))) {
		cfgp_imp_error(m, n, "import-type", "%s: expected %s, found %s", path,
		               expected(def), cfg_doc_describe(m->doc, n));
		return NULL;
	}
	if (n->kind == CFG_DOC_SEQ) {
		if ((text = list_text(m, path, n)) == NULL)
			return NULL;
	} else if ((b = cfg_doc_bool(m->doc, n)) >= 0 && def != NULL && def->type == CFG_T_BOOL) {
		text = cfg_xstrdup(b ? "yes" : "no");
	} else if (m->doc->json && n->plain) {
		/* a JSON literal: only a whole number, and only where a number is allowed */
		int integer = def != NULL && (def->type == CFG_T_INT || def->type == CFG_T_LONG)
		              && cfg_doc_is_number(m->doc, n)
		              && strspn(n->text, "-0123456789") == n->len;

		if (!integer) {
			cfgp_imp_error(m, n, "import-type", "%s: expected %s, found %s", path,
			               expected(def), cfg_doc_describe(m->doc, n));
			return NULL;
		}
		text = cfg_xstrdup(n->text);
	} else {
		/* YAML plain or quoted text, JSON string: exactly as written */
		text = cfg_xstrdup(n->text);
	}
	/* text is the node's own bytes (which may hold a NUL) unless it was converted */
	if (!text_ok(m, path, n, text,
	             n->kind == CFG_DOC_SCALAR && strcmp(text, n->text) == 0 ? n->len
	                                                                     : strlen(text))) {
		free(text);
		return NULL;
	}
	return text;
}

/* scalar_text - a node that must be a string (JSON) or any text (YAML); NULL after an error */
static const char *scalar_text(const struct cfgp_imp_model *m, const char *path,
                               const struct cfg_doc_node *n)
{
	if (n->kind != CFG_DOC_SCALAR || cfg_doc_is_null(m->doc, n) || (m->doc->json && n->plain)) {
		cfgp_imp_error(m, n, "import-type", "%s: expected a string, found %s", path,
		               cfg_doc_describe(m->doc, n));
		return NULL;
	}
	if (strlen(n->text) != n->len || strpbrk(n->text, "\r\n") != NULL) {
		cfgp_imp_error(m, n, "import-value", "%s: must be one line without NUL characters",
		               path);
		return NULL;
	}
	return n->text;
}

/*
 * read_settings - a mapping of parameter names to values ("main", a
 * service's "overrides"); prefix names it in messages
 */
static int read_settings(struct cfgp_imp_model *m, const struct cfg_doc_node *mn,
                         const char *prefix, struct cfgp_imp_param **out, size_t *nout)
{
	int bad = 0;

	*out = cfg_xcalloc(mn->n ? mn->n : 1, sizeof(**out));
	*nout = 0;
	for (size_t i = 0; i < mn->n; i++) {
		const struct cfg_doc_node *k = mn->keys[i];
		struct cfg_buf path;
		char *v;

		cfg_buf_init(&path);
		cfg_buf_printf(&path, "%s.%s", prefix, k->text);
		if (!name_ok(k->text, k->len)) {
			cfgp_imp_error(
			    m, k, "import-name",
			    "%s: not a parameter name (letters, digits, '_', '.' and '-' "
			    "only)",
			    path.data);
			bad++;
		} else if ((v = value_text(m, path.data, k->text, mn->items[i])) == NULL) {
			bad++;
		} else {
			struct cfgp_imp_param *p = &(*out)[(*nout)++];

			p->name = cfg_xstrdup(k->text);
			p->value = v;
			p->node = mn->items[i];
		}
		cfg_buf_fini(&path);
	}
	return bad ? -1 : 0;
}

/*
 * name_problem - why v cannot be a master.cf service name, or NULL.  What
 * postconf -Me refuses (a leading '#', white space, an empty name), and
 * control characters, which it would write into master.cf as they are.
 */
static const char *name_problem(const char *v)
{
	if (*v == 0)
		return "a service name must not be empty";
	if (*v == '#')
		return "a service name must not start with '#' (master.cf would read a comment)";
	if (strpbrk(v, " \t\r\n\v\f") != NULL)
		return "a service name must not contain white space";
	if (has_control(v))
		return "a service name must not contain control characters";
	return NULL;
}

/* printable - v with control characters shown as '?', as Postfix prints them */
static char *printable(const char *v)
{
	char *out = cfg_xstrdup(v);

	for (unsigned char *p = (unsigned char *)out; *p; p++)
		if (*p < 0x20 || *p == 0x7f)
			*p = '?';
	return out;
}

/* word_ok - one master.cf word: blanks only inside { } groups (the schema's pattern) */
static int word_ok(const char *v)
{
	int depth = 0;

	if (*v == 0 || has_control(v))
		return 0;
	for (; *v; v++) {
		if (*v == '{' && depth++ > 0)
			return 0;
		if (*v == '}' && depth-- == 0)
			return 0;
		if (*v == '\n' || (depth == 0 && strchr(" \t\r", *v) != NULL))
			return 0;
	}
	return depth == 0;
}

/* field_ok - the schema's pattern for master.cf field f */
static int field_ok(size_t f, const char *v)
{
	size_t n = strlen(v);

	switch (f) {
	case 1:
		return cfg_service_type_find(v) != NULL;
	case 2:
	case 3:
	case 4:
		return strcmp(v, "y") == 0 || strcmp(v, "n") == 0 || strcmp(v, "-") == 0;
	case 5:
		if (strcmp(v, "-") == 0 || strcmp(v, "?") == 0)
			return 1;
		if (n > 1 && v[n - 1] == '?')
			n--;
		return n > 0 && strspn(v, "0123456789") == n;
	case 6:
		return strcmp(v, "-") == 0 || (n > 0 && strspn(v, "0123456789") == n);
	default:
		return word_ok(v);
	}
}

/* field_expect - what field f may be, for messages */
static const char *field_expect(size_t f)
{
	static const char *const what[] = {
	    "a service name", "inet, unix, unix-dgram, fifo or pass",
	    "y, n or -",      "y, n or -",
	    "y, n or -",      "a number of seconds, optionally followed by ?, or -",
	    "a number or -",  "a command name (whitespace only inside { })",
	};
	return what[f];
}

/* overrides_of - the -o settings in argv (from index 8): word index of each name=value */
static void overrides_of(const struct cfg_strvec *argv, struct cfg_strvec *names, size_t **idx,
                         size_t *n)
{
	*n = 0;
	*idx = cfg_xcalloc(argv->n ? argv->n : 1, sizeof(**idx));
	for (size_t i = NFIELDS; i < argv->n && cfgp_master_is_option(argv->v[i]); i++) {
		const char *eq;

		if (!cfgp_master_takes_value(argv->v[i]) || i + 1 >= argv->n)
			continue;
		i++;
		if (strcmp(argv->v[i - 1], "-o") != 0 || (eq = strchr(argv->v[i], '=')) == NULL)
			continue;
		cfg_strvec_addn(names, argv->v[i], (size_t)(eq - argv->v[i]));
		(*idx)[(*n)++] = i;
	}
}

/* options_end - index just past the daemon options (and their values) of argv */
static size_t options_end(const struct cfg_strvec *argv)
{
	size_t i = NFIELDS;

	while (i < argv->n && cfgp_master_is_option(argv->v[i]))
		i += cfgp_master_takes_value(argv->v[i]) && i + 1 < argv->n ? 2 : 1;
	return i;
}

/* sv_set - replace word i */
static void sv_set(struct cfg_strvec *sv, size_t i, char *s)
{
	free(sv->v[i]);
	sv->v[i] = s;
}

/* add_new - "-o" "name=value" onto out for each override whose name is not among names[0..n) */
static void add_new(const struct cfgp_imp_service *s, const struct cfg_strvec *names, size_t n,
                    struct cfg_strvec *out)
{
	for (size_t o = 0; o < s->novr; o++) {
		size_t k;

		for (k = 0; k < n && strcmp(names->v[k], s->ovr[o].name) != 0; k++)
			;
		if (k < n)
			continue;
		cfg_strvec_add(out, "-o");
		cfg_strvec_take(out, cfg_xasprintf("%s=%s", s->ovr[o].name, s->ovr[o].value));
	}
}

/*
 * reconcile - make the -o settings of argv say what "overrides" says:
 * changed values in place (at the last occurrence), names missing from
 * overrides removed, new ones added after the options
 */
static void reconcile(struct cfgp_imp_service *s)
{
	struct cfg_strvec names, out;
	size_t *idx, n, end;
	char *drop;

	cfg_strvec_init(&names);
	overrides_of(&s->argv, &names, &idx, &n);
	drop = cfg_xcalloc(s->argv.n ? s->argv.n : 1, 1);
	for (size_t k = 0; k < n; k++) {
		size_t o, last = k;

		for (o = 0; o < s->novr; o++)
			if (strcmp(s->ovr[o].name, names.v[k]) == 0)
				break;
		for (size_t l = k + 1; l < n; l++)
			if (strcmp(names.v[l], names.v[k]) == 0)
				last = l;
		if (o == s->novr) {
			drop[idx[k]] = drop[idx[k] - 1] =
			    1; /* not in overrides: remove "-o" "x=y" */
		} else if (strcmp(strchr(s->argv.v[idx[last]], '=') + 1, s->ovr[o].value) != 0) {
			/* changed: the last occurrence takes the value, earlier ones go */
			if (last == k)
				sv_set(&s->argv, idx[k],
				       cfg_xasprintf("%s=%s", names.v[k], s->ovr[o].value));
			else
				drop[idx[k]] = drop[idx[k] - 1] = 1;
		}
	}
	end = options_end(&s->argv);
	cfg_strvec_init(&out);
	for (size_t i = 0; i < s->argv.n; i++) {
		if (i == end)
			add_new(s, &names, n, &out);
		if (!drop[i])
			cfg_strvec_add(&out, s->argv.v[i]);
	}
	if (end >= s->argv.n)
		add_new(s, &names, n, &out);
	cfg_strvec_fini(&s->argv);
	s->argv = out;
	free(drop);
	free(idx);
	cfg_strvec_fini(&names);
}

/* read_service - one element of "master" */
static int read_service(struct cfgp_imp_model *m, size_t idx, const struct cfg_doc_node *sn)
{
	struct cfgp_imp_service *s = &m->svcs[m->nsvcs++];
	const struct cfg_doc_node *args, *ovr;
	struct cfg_buf path;
	int bad = 0;

	cfg_strvec_init(&s->argv);
	s->node = sn;
	cfg_buf_init(&path);
	cfg_buf_printf(&path, "master[%zu]", idx);
	s->label = cfg_xstrdup(path.data);
	if (sn->kind != CFG_DOC_MAP) {
		cfgp_imp_error(m, sn, "import-type", "%s: expected a service (a mapping), found %s",
		               path.data, cfg_doc_describe(m->doc, sn));
		cfg_buf_fini(&path);
		return -1;
	}
	for (size_t i = 0; i < sn->n; i++) {
		static const char *const extra[] = {"args", "overrides", "source"};
		const char *k = sn->keys[i]->text;
		int known = 0;

		for (size_t f = 0; f < NFIELDS; f++)
			known |= strcmp(k, field_key(f)) == 0;
		for (size_t f = 0; f < 3; f++)
			known |= strcmp(k, extra[f]) == 0;
		if (!known) {
			cfgp_imp_error(m, sn->keys[i], "import-key",
			               "%s: unknown key \"%s\" (a service has name, type, private, "
			               "unpriv, chroot, wakeup, maxproc, command, args, overrides)",
			               path.data, k);
			bad++;
		}
	}
	for (size_t f = 0; f < NFIELDS; f++) {
		const struct cfg_doc_node *v = cfg_doc_get(sn, field_key(f));
		const char *t;
		struct cfg_buf fp;

		cfg_buf_init(&fp);
		cfg_buf_printf(&fp, "%s.%s", path.data, field_key(f));
		if (v == NULL) {
			cfgp_imp_error(m, sn, "import-key", "%s: the service has no \"%s\"",
			               path.data, field_key(f));
			bad++;
			cfg_strvec_add(&s->argv, "-");
		} else if ((t = scalar_text(m, fp.data, v)) == NULL) {
			bad++;
			cfg_strvec_add(&s->argv, "-");
		} else if (f == 0 ? name_problem(t) != NULL : !field_ok(f, t)) {
			char *shown = printable(t);

			cfgp_imp_error(m, v, "import-value", "%s: \"%s\" is not valid: %s%s",
			               fp.data, shown, f == 0 ? "" : "expected ",
			               f == 0 ? name_problem(t) : field_expect(f));
			free(shown);
			bad++;
			cfg_strvec_add(&s->argv, "-");
		} else {
			cfg_strvec_add(&s->argv, t);
		}
		cfg_buf_fini(&fp);
	}
	if (bad == 0) {
		free(s->label);
		s->label = cfg_xasprintf("%s (%s/%s)", path.data, s->argv.v[0], s->argv.v[1]);
	}
	if ((args = cfg_doc_get(sn, "args")) != NULL) {
		if (args->kind != CFG_DOC_SEQ) {
			cfgp_imp_error(m, args, "import-type",
			               "%s.args: expected a list of strings, found %s", path.data,
			               cfg_doc_describe(m->doc, args));
			bad++;
		} else {
			for (size_t i = 0; i < args->n; i++) {
				struct cfg_buf ap;
				const char *t;

				cfg_buf_init(&ap);
				cfg_buf_printf(&ap, "%s.args[%zu]", path.data, i);
				if ((t = scalar_text(m, ap.data, args->items[i])) == NULL) {
					bad++;
				} else if (has_control(t)) {
					cfgp_imp_error(m, args->items[i], "import-value",
					               "%s: must not contain control characters",
					               ap.data);
					bad++;
				} else {
					cfg_strvec_add(&s->argv, t);
				}
				cfg_buf_fini(&ap);
			}
		}
	}
	ovr = cfg_doc_get(sn, "overrides");
	if (ovr != NULL && !cfg_doc_is_null(m->doc, ovr)) {
		struct cfg_buf op;

		cfg_buf_init(&op);
		cfg_buf_printf(&op, "%s.overrides", path.data);
		if (ovr->kind != CFG_DOC_MAP) {
			cfgp_imp_error(m, ovr, "import-type", "%s: expected a mapping, found %s",
			               op.data, cfg_doc_describe(m->doc, ovr));
			bad++;
		} else if (read_settings(m, ovr, op.data, &s->ovr, &s->novr) < 0) {
			bad++;
		} else if (bad == 0) {
			reconcile(s);
		}
		cfg_buf_fini(&op);
	}
	if ((ovr = cfg_doc_get(sn, "source")) != NULL && scalar_text(m, "source", ovr) == NULL)
		bad++;
	cfg_buf_fini(&path);
	return bad ? -1 : 0;
}

/* read_names - "user_defined": a list of parameter names */
static int read_names(struct cfgp_imp_model *m, const struct cfg_doc_node *n)
{
	int bad = 0;

	if (n->kind != CFG_DOC_SEQ) {
		cfgp_imp_error(m, n, "import-type",
		               "user_defined: expected a list of names, found %s",
		               cfg_doc_describe(m->doc, n));
		return -1;
	}
	for (size_t i = 0; i < n->n; i++) {
		const struct cfg_doc_node *it = n->items[i];

		if (it->kind != CFG_DOC_SCALAR || (m->doc->json && it->plain)
		    || !name_ok(it->text, it->len)) {
			cfgp_imp_error(m, it, "import-name",
			               "user_defined[%zu]: expected a parameter name", i);
			bad++;
			continue;
		}
		cfg_htab_put(m->user_defined, it->text, NULL);
	}
	return bad ? -1 : 0;
}

/* read_string_map - "expanded" / "sources": checked for shape, then ignored */
static int read_string_map(struct cfgp_imp_model *m, const char *key, const struct cfg_doc_node *n)
{
	int bad = 0;

	if (n->kind != CFG_DOC_MAP) {
		cfgp_imp_error(m, n, "import-type", "%s: expected a mapping, found %s", key,
		               cfg_doc_describe(m->doc, n));
		return -1;
	}
	for (size_t i = 0; i < n->n; i++) {
		struct cfg_buf p;

		cfg_buf_init(&p);
		cfg_buf_printf(&p, "%s.%s", key, n->keys[i]->text);
		if (n->items[i]->kind != CFG_DOC_SCALAR || cfg_doc_is_null(m->doc, n->items[i])
		    || (m->doc->json && n->items[i]->plain)) {
			cfgp_imp_error(m, n->items[i], "import-type",
			               "%s: expected a string, found %s", p.data,
			               cfg_doc_describe(m->doc, n->items[i]));
			bad++;
		}
		cfg_buf_fini(&p);
	}
	return bad ? -1 : 0;
}

/* read_header - "format" and "version", and no unknown top-level keys */
static int read_header(struct cfgp_imp_model *m, const struct cfg_doc_node *root)
{
	static const char *const keys[] = {"format",   "version", "main",        "master",
	                                   "expanded", "sources", "user_defined"};
	const struct cfg_doc_node *f = cfg_doc_get(root, "format");
	const struct cfg_doc_node *v = cfg_doc_get(root, "version");
	int bad = 0;

	for (size_t i = 0; i < root->n; i++) {
		int known = 0;

		for (size_t k = 0; k < sizeof keys / sizeof keys[0]; k++)
			known |= strcmp(root->keys[i]->text, keys[k]) == 0;
		if (!known) {
			cfgp_imp_error(
			    m, root->keys[i], "import-key",
			    "unknown key \"%s\" (the document has format, version, main, "
			    "master, user_defined, expanded and sources)",
			    root->keys[i]->text);
			bad++;
		}
	}
	if (f == NULL) {
		cfgp_imp_error(m, root, "import-key",
		               "the document has no \"format\": it must say format: %s",
		               CFG_EXPORT_FORMAT);
		bad++;
	} else if (f->kind != CFG_DOC_SCALAR || (m->doc->json && f->plain)
	           || strcmp(f->text, CFG_EXPORT_FORMAT) != 0) {
		cfgp_imp_error(m, f, "import-value", "format: expected \"%s\", found %s%s%s%s",
		               CFG_EXPORT_FORMAT, cfg_doc_describe(m->doc, f),
		               f->kind == CFG_DOC_SCALAR ? " \"" : "",
		               f->kind == CFG_DOC_SCALAR ? f->text : "",
		               f->kind == CFG_DOC_SCALAR ? "\"" : "");
		bad++;
	}
	if (v == NULL) {
		cfgp_imp_error(m, root, "import-key",
		               "the document has no \"version\": it must say version: %d",
		               CFG_EXPORT_VERSION);
		bad++;
	} else if (v->kind != CFG_DOC_SCALAR || !v->plain || strcmp(v->text, "1") != 0) {
		cfgp_imp_error(m, v, "import-value",
		               "version: expected the number %d; this postconf reads version %d "
		               "documents only",
		               CFG_EXPORT_VERSION, CFG_EXPORT_VERSION);
		bad++;
	}
	return bad ? -1 : 0;
}

/* cfgp_imp_read - parse and check a document */
int cfgp_imp_read(const char *text, size_t len, const char *source, struct cfgp_imp_model *m,
                  struct cfg_diags *diags)
{
	const struct cfg_doc_node *root, *n;
	int bad = 0;

	memset(m, 0, sizeof(*m));
	m->source = source;
	m->diags = diags;
	m->user_defined = cfg_htab_new(8);
	if (cfg_doc_parse(text, len, source, &m->doc, diags) < 0)
		return -1;
	root = m->doc->root;
	if (root == NULL || root->kind != CFG_DOC_MAP) {
		cfgp_imp_error(
		    m, root, "import-type",
		    "the document must be a mapping with format, version and main; found %s",
		    root ? cfg_doc_describe(m->doc, root) : "an empty document");
		return -1;
	}
	bad += read_header(m, root) < 0;
	if ((n = cfg_doc_get(root, "main")) == NULL) {
		cfgp_imp_error(m, root, "import-key",
		               "the document has no \"main\" (write main: {} to set nothing)");
		bad++;
	} else if (n->kind != CFG_DOC_MAP) {
		cfgp_imp_error(m, n, "import-type",
		               "main: expected a mapping of parameter names to "
		               "values, found %s",
		               cfg_doc_describe(m->doc, n));
		bad++;
	} else {
		bad += read_settings(m, n, "main", &m->params, &m->nparams) < 0;
	}
	if ((n = cfg_doc_get(root, "master")) != NULL) {
		m->has_master = 1;
		if (n->kind != CFG_DOC_SEQ) {
			cfgp_imp_error(m, n, "import-type",
			               "master: expected a list of services, found %s",
			               cfg_doc_describe(m->doc, n));
			bad++;
		} else {
			m->svcs = cfg_xcalloc(n->n ? n->n : 1, sizeof(*m->svcs));
			for (size_t i = 0; i < n->n; i++)
				bad += read_service(m, i, n->items[i]) < 0;
		}
	}
	if ((n = cfg_doc_get(root, "user_defined")) != NULL)
		bad += read_names(m, n) < 0;
	if ((n = cfg_doc_get(root, "expanded")) != NULL)
		bad += read_string_map(m, "expanded", n) < 0;
	if ((n = cfg_doc_get(root, "sources")) != NULL)
		bad += read_string_map(m, "sources", n) < 0;
	return bad ? -1 : 0;
}

/* cfgp_imp_model_fini - free what a model holds */
void cfgp_imp_model_fini(struct cfgp_imp_model *m)
{
	for (size_t i = 0; i < m->nparams; i++) {
		free(m->params[i].name);
		free(m->params[i].value);
	}
	free(m->params);
	for (size_t i = 0; i < m->nsvcs; i++) {
		struct cfgp_imp_service *s = &m->svcs[i];

		cfg_strvec_fini(&s->argv);
		for (size_t k = 0; k < s->novr; k++) {
			free(s->ovr[k].name);
			free(s->ovr[k].value);
		}
		free(s->ovr);
		free(s->label);
	}
	free(m->svcs);
	cfg_htab_free(m->user_defined, NULL);
	cfg_doc_free(m->doc);
	memset(m, 0, sizeof(*m));
}
