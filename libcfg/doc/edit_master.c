/*
 * edit_master.c - master.cf edits (postconf -Me/-MX/-M#, -Fe, -Pe/-PX)
 *
 * An entry is handled as postconf handles it: split into words on blanks
 * with { } groups kept together, checked field by field, its daemon
 * options normalised ("-oname=value" becomes "-o" "name=value", "-vo x=1"
 * becomes "-v" "-o" "x=1", "-o { a = b }" becomes "-o" "a=b"), and written
 * back in the folded -Mf layout.  Lines of entries that no request names are
 * copied unchanged.
 *
 * Two Postfix habits are kept on purpose because they decide where bytes
 * land: for -Fe/-Pe/-PX the comment lines that follow a matched entry are
 * copied before the rewritten entry (Postfix reads ahead over them to find
 * continuation lines), and line numbers in messages do not count the lines
 * read ahead that way.
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "cfg/doc/edit.h"
#include "cfg/schema/masterdef.h"
#include "cfg/base/strvec.h"
#include "cfg/base/xalloc.h"
#include "edit_int.h"

#define MIN_FIELDS 8  /* service .. command */
#define LINE_LIMIT 80 /* postconf folds before this column */
#define INDENT_LEN 4
#define OPTS_WITH_VALUE "o" /* daemon options that take a value */

/* the columns (schemas/master.def) */
enum {
	F_SERVICE = CFG_MF_SERVICE,
	F_TYPE = CFG_MF_TYPE,
	F_PRIVATE = CFG_MF_PRIVATE,
	F_UNPRIV = CFG_MF_UNPRIV,
	F_CHROOT = CFG_MF_CHROOT,
	F_WAKEUP = CFG_MF_WAKEUP,
	F_MAXPROC = CFG_MF_MAXPROC,
	F_COMMAND = CFG_MF_COMMAND
};
#define field_names(f) cfg_master_field_name((enum cfg_master_field)(f))
static const int column_goal[MIN_FIELDS] = {0, 11, 17, 25, 33, 41, 49, 57};

/* cfgp_master_takes_value - Postfix's strchr(OPTS_WITH_VALUE, arg[1]), which is also true for "-" alone */
int cfgp_master_takes_value(const char *arg)
{
	return arg[1] == 0 || strchr(OPTS_WITH_VALUE, arg[1]) != NULL;
}

/* cfgp_master_is_option - a daemon option word: starts with '-' and is not "--" */
int cfgp_master_is_option(const char *arg)
{
	return arg[0] == '-' && strcmp(arg, "--") != 0;
}

/* has_blank - the word contains a blank */
static int has_blank(const char *s)
{
	return s[strcspn(s, CFGP_BLANKS)] != 0;
}

/* sv_insert - insert a copy of s at index i */
static void sv_insert(struct cfg_strvec *sv, size_t i, const char *s)
{
	char *copy;

	cfg_strvec_add(sv, s);
	copy = sv->v[sv->n - 1];
	memmove(sv->v + i + 1, sv->v + i, (sv->n - 1 - i) * sizeof(*sv->v));
	sv->v[i] = copy;
}

/* sv_delete - remove n elements at index i */
static void sv_delete(struct cfg_strvec *sv, size_t i, size_t n)
{
	size_t k;

	for (k = 0; k < n; k++)
		free(sv->v[i + k]);
	memmove(sv->v + i, sv->v + i + n, (sv->n - i - n + 1) * sizeof(*sv->v));
	sv->n -= n;
}

/* sv_replace - replace element i by a copy of s */
static void sv_replace(struct cfg_strvec *sv, size_t i, const char *s)
{
	char *copy = cfg_xstrdup(s);

	free(sv->v[i]);
	sv->v[i] = copy;
}

/* sv_truncate - keep the first n elements */
static void sv_truncate(struct cfg_strvec *sv, size_t n)
{
	while (sv->n > n) {
		free(sv->v[--sv->n]);
		sv->v[sv->n] = NULL;
	}
}

void cfgp_master_split(const char *text, struct cfg_strvec *argv)
{
	const char *cp = text;

	for (;;) {
		const char *start;
		int level = 0;

		cp += strspn(cp, CFGP_BLANKS);
		if (*cp == 0)
			return;
		for (start = cp; *cp; cp++) {
			if (*cp == '{')
				level++;
			else if (level > 0 && *cp == '}')
				level--;
			else if (level == 0 && strchr(CFGP_BLANKS, *cp) != NULL)
				break;
		}
		cfg_strvec_addn(argv, start, (size_t)(cp - start));
	}
}

/* balpar - length of the balanced "{...}" at s, or 0 */
static size_t balpar(const char *s)
{
	const char *cp;
	int level = 1;

	if (*s != '{')
		return 0;
	for (cp = s + 1; *cp; cp++) {
		if (*cp == '}') {
			if (--level == 0)
				return (size_t)(cp - s + 1);
		} else if (*cp == '{') {
			level++;
		}
	}
	return 0;
}

/* extract_braces - word i is "{ text }": replace it by the text without braces and edge blanks */
static void extract_braces(struct cfg_strvec *argv, size_t i, struct cfg_diags *diags)
{
	const char *arg = argv->v[i];
	size_t len = balpar(arg), n;
	const char *start;

	if (len == 0) {
		cfg_diags_add(diags, CFG_SEV_WARNING, "master-braces", NULL, 0, 0,
		              "master.cf: missing '}' in \"%s\"", arg);
		start = arg + 1;
		n = strlen(start);
	} else {
		if (arg[len] != 0)
			cfg_diags_add(diags, CFG_SEV_WARNING, "master-braces", NULL, 0, 0,
			              "master.cf: syntax error after '}' in \"%s\"", arg);
		start = arg + 1;
		n = len - 2;
	}
	while (n > 0 && cfgp_edit_isspace((unsigned char)start[n - 1]))
		n--;
	while (n > 0 && cfgp_edit_isspace((unsigned char)*start)) {
		start++;
		n--;
	}
	{
		char *copy = cfg_xstrndup(start, n);

		free(argv->v[i]);
		argv->v[i] = copy;
	}
}

/* normalize_nameval - word i is "name = value" from inside braces: make it "name=value" */
static void normalize_nameval(struct cfg_strvec *argv, size_t i, struct cfg_diags *diags)
{
	char *copy = cfg_xstrdup(argv->v[i]), *name, *value;
	const char *err = cfgp_edit_split_nameval(copy, &name, &value);

	if (err != NULL) {
		cfg_diags_add(diags, CFG_SEV_WARNING, "master-braces", NULL, 0, 0,
		              "master.cf: %s: \"%s\"", err, argv->v[i]);
	} else {
		char *nv = cfg_xasprintf("%s=%s", name, value);

		free(argv->v[i]);
		argv->v[i] = nv;
	}
	free(copy);
}

void cfgp_master_normalize(struct cfg_strvec *argv, size_t from, struct cfg_diags *diags)
{
	size_t field;

	for (field = from; field < argv->n; field++) {
		char *arg = argv->v[field];
		int extract;
		size_t k;

		if (!cfgp_master_is_option(arg))
			break;
		/* "-vo..." becomes "-v" "-o...": an option with a value ends a cluster */
		for (k = 2; arg[1] != 0 && arg[k] != 0; k++) {
			if (strchr(OPTS_WITH_VALUE, arg[k]) != NULL) {
				char *rest = cfg_xasprintf("-%s", arg + k);

				sv_insert(argv, field + 1, rest);
				free(rest);
				arg = argv->v[field];
				arg[k] = 0;
				break;
			}
		}
		if (!cfgp_master_takes_value(arg))
			continue;
		if (arg[1] != 0 && arg[2] != 0) {
			/* "-oname=value" becomes "-o" "name=value" */
			sv_insert(argv, field + 1, arg + 2);
			argv->v[field][2] = 0;
			field += 1;
			extract = argv->v[field][0] == '{';
		} else if (field + 1 < argv->n) {
			field += 1;
			extract = argv->v[field][0] == '{';
		} else {
			extract = 0;
		}
		if (extract) {
			extract_braces(argv, field, diags);
			if (argv->v[field - 1][1] == 'o')
				normalize_nameval(argv, field, diags);
		}
	}
	for (; field < argv->n; field++)
		if (argv->v[field][0] == '{')
			extract_braces(argv, field, diags);
}

/* bad_field - Postfix's "invalid FIELD field ..." with newlines shown as spaces */
static int bad_field(struct cfg_diags *diags, const char *field, const char *value, const char *raw)
{
	char *r = cfg_xstrdup(raw), *p;

	for (p = r; *p; p++)
		if (*p == '\n')
			*p = ' ';
	cfg_diags_add(diags, CFG_SEV_FATAL, "master-field", NULL, 0, 0,
	              "invalid %s field \"%s\" in \"%s\"", field, value, r);
	free(r);
	return -1;
}

int cfgp_master_check(const struct cfg_strvec *argv, const char *raw, struct cfg_diags *diags)
{
	const char *cp;
	size_t len;
	int f;

	if (argv->n < MIN_FIELDS)
		return bad_field(diags, field_names(F_COMMAND), "", raw);
	cp = argv->v[F_TYPE];
	if (cfg_service_type_find(cp) == NULL)
		return bad_field(diags, field_names(F_TYPE), cp, raw);
	for (f = F_PRIVATE; f <= F_CHROOT; f++) {
		cp = argv->v[f];
		if (cp[0] == 0 || cp[1] != 0 || strchr("yn-", cp[0]) == NULL)
			return bad_field(diags, field_names(f), cp, raw);
	}
	cp = argv->v[F_WAKEUP];
	len = strlen(cp);
	if (len > 0 && cp[len - 1] == '?')
		len--;
	if (!(cp[0] == '-' && len == 1) && strspn(cp, "0123456789") != len)
		return bad_field(diags, field_names(F_WAKEUP), cp, raw);
	cp = argv->v[F_MAXPROC];
	if (strcmp(cp, "-") != 0 && cp[strspn(cp, "0123456789")] != 0)
		return bad_field(diags, field_names(F_MAXPROC), cp, raw);
	return 0;
}

const char *cfgp_master_parse(const char *text, struct cfg_strvec *argv, struct cfg_diags *diags)
{
	cfgp_master_split(text, argv);
	if (argv->n < MIN_FIELDS)
		return "bad field count";
	if (cfgp_master_check(argv, text, diags) < 0)
		return "";
	cfgp_master_normalize(argv, MIN_FIELDS, diags);
	return NULL;
}

/* add_text - append s and count its length */
static void add_text(struct cfg_buf *out, int *line_len, const char *s)
{
	size_t n = strlen(s);

	cfg_buf_add(out, s, n);
	*line_len += (int)n;
}

void cfgp_master_print(const struct cfg_strvec *argv, int fold, struct cfg_buf *out)
{
	int line_len = 0, in_options = 1;
	size_t field;

	for (field = 0; field < MIN_FIELDS && field < argv->n; field++) {
		if (line_len > 0) {
			do
				add_text(out, &line_len, " ");
			while (line_len < column_goal[field]);
		}
		add_text(out, &line_len, argv->v[field]);
	}
	for (; field < argv->n; field++) {
		const char *arg = argv->v[field], *aval = NULL;
		int arg_len = (int)strlen(arg), parens = 0;

		if (in_options) {
			if (!cfgp_master_is_option(arg)) {
				/* Postfix decides braces for this first non-option word before
				 * it knows it is one, so it never gets any. */
				in_options = 0;
			} else if (cfgp_master_takes_value(arg) && field + 1 < argv->n) {
				aval = argv->v[field + 1];
				line_len = LINE_LIMIT; /* an option with a value starts a line */
				arg_len += (int)strlen(aval) + 3;
				if ((parens = has_blank(aval)) != 0)
					arg_len += 2;
			}
		} else {
			parens = has_blank(arg);
		}
		if (line_len > INDENT_LEN) {
			if (!fold || line_len + 1 + arg_len < LINE_LIMIT) {
				add_text(out, &line_len, " ");
			} else {
				cfg_buf_adds(out, "\n    ");
				line_len = INDENT_LEN;
			}
		}
		if (!in_options && parens)
			add_text(out, &line_len, "{");
		add_text(out, &line_len, arg);
		if (!in_options && parens)
			add_text(out, &line_len, "}");
		if (aval != NULL) {
			add_text(out, &line_len, " ");
			if (parens)
				add_text(out, &line_len, "{");
			add_text(out, &line_len, aval);
			if (parens)
				add_text(out, &line_len, "}");
			field += 1;
			line_len = LINE_LIMIT; /* and ends it */
		}
	}
	cfg_buf_addc(out, '\n');
}

int cfg_edit_print_entry(const char *entry, int fold, struct cfg_buf *out, struct cfg_diags *diags)
{
	struct cfg_strvec argv;
	const char *err;

	cfg_strvec_init(&argv);
	if ((err = cfgp_master_parse(entry, &argv, diags)) != NULL) {
		if (*err)
			cfg_diags_add(diags, CFG_SEV_FATAL, "master-fields", NULL, 0, 0, "%s", err);
		cfg_strvec_fini(&argv);
		return -1;
	}
	cfgp_master_print(&argv, fold, out);
	cfg_strvec_fini(&argv);
	return 0;
}

void cfg_edit_entry_overrides(const char *entry, struct cfg_strvec *names_values)
{
	struct cfg_strvec argv;
	size_t i;

	cfg_strvec_init(&argv);
	cfgp_master_split(entry, &argv);
	if (argv.n >= MIN_FIELDS) {
		cfgp_master_normalize(&argv, MIN_FIELDS, NULL);
		for (i = MIN_FIELDS; i < argv.n && cfgp_master_is_option(argv.v[i]); i++) {
			const char *eq;

			if (!cfgp_master_takes_value(argv.v[i]) || i + 1 >= argv.n)
				continue;
			i++;
			if (strcmp(argv.v[i - 1], "-o") != 0
			    || (eq = strchr(argv.v[i], '=')) == NULL)
				continue;
			cfg_strvec_addn(names_values, argv.v[i], (size_t)(eq - argv.v[i]));
			cfg_strvec_add(names_values, eq + 1);
		}
	}
	cfg_strvec_fini(&argv);
}

/* edit_field - -Fe on a parsed entry; -1 after a fatal diagnostic */
static int edit_field(struct cfg_strvec *argv, int field, const char *value,
                      struct cfg_diags *diags)
{
	if (field == F_COMMAND) {
		sv_truncate(argv, F_COMMAND);
		cfgp_master_split(value, argv);
		cfgp_master_normalize(argv, MIN_FIELDS, diags);
	} else {
		sv_replace(argv, (size_t)field, value);
	}
	return cfgp_master_check(argv, value, diags);
}

/* edit_param - -Pe / -PX on a parsed entry */
static void edit_param(struct cfg_strvec *argv, enum cfg_edit_mode mode, const char *name,
                       const char *value)
{
	size_t field, name_len = strlen(name);
	int matched = 0;

	for (field = MIN_FIELDS; field < argv->n; field++) {
		const char *arg = argv->v[field], *aval;

		if (!cfgp_master_is_option(arg))
			break;
		if (!cfgp_master_takes_value(arg) || field + 1 >= argv->n)
			continue;
		aval = argv->v[field + 1];
		if (strcmp(arg, "-o") == 0 && strncmp(aval, name, name_len) == 0
		    && aval[name_len] == '=') {
			matched = 1;
			if (mode == CFG_EDIT_SET) {
				char *nv = cfg_xasprintf("%s=%s", name, value);

				sv_replace(argv, field + 1, nv);
				free(nv);
			} else {
				sv_delete(argv, field, 2);
				field -= 1; /* the loop's ++ lands on what followed */
				continue;
			}
		}
		field += 1;
	}
	if (mode == CFG_EDIT_SET && !matched) {
		char *nv = cfg_xasprintf("%s=%s", name, value);

		sv_insert(argv, field, "-o");
		sv_insert(argv, field + 1, nv);
		free(nv);
	}
}

/* pattern_match - Postfix's MATCH_SERVICE_PATTERN: "*" matches anything */
static int pattern_match(const char *pname, const char *ptype, const char *name, const char *type)
{
	return (strcmp(pname, "*") == 0 || strcmp(pname, name) == 0)
	       && (strcmp(ptype, "*") == 0 || strcmp(ptype, type) == 0);
}

/* A cursor over physical lines. */
struct lines {
	const char *text;
	size_t len, pos;
};

/* next_line - the next physical line (with its newline, if any); 0 at the end */
static int next_line(struct lines *ls, const char **line, size_t *n)
{
	const char *nl;

	if (ls->pos >= ls->len)
		return 0;
	*line = ls->text + ls->pos;
	nl = memchr(*line, '\n', ls->len - ls->pos);
	*n = nl ? (size_t)(nl - *line) + 1 : ls->len - ls->pos;
	ls->pos += *n;
	return 1;
}

/* content_offset - offset of the first non-space byte, or n for a blank/comment line */
static size_t content_offset(const char *line, size_t n)
{
	size_t k = 0;

	while (k < n && cfgp_edit_isspace((unsigned char)line[k]))
		k++;
	return k < n && line[k] != '#' ? k : n;
}

/*
 * gobble - read ahead over the lines that follow an entry's first line:
 * blank and comment lines are copied to out right away, continuation lines
 * are added to entry.  Stops before the next line that starts a new entry.
 */
static void gobble(struct lines *ls, struct cfg_buf *entry, struct cfg_buf *out)
{
	const char *line = NULL;
	size_t n = 0;

	while (ls->pos < ls->len) {
		int ch = (unsigned char)ls->text[ls->pos];

		if (ch != '#' && !cfgp_edit_isspace(ch))
			break;
		if (!next_line(ls, &line, &n))
			break;
		if (content_offset(line, n) < n)
			cfg_buf_add(entry, line, n);
		else
			cfgp_emit(out, line, n);
	}
}

/* first_words - the service name and type on an entry's first line (owned), or -1 */
static int first_words(const char *line, size_t n, char **name, char **type)
{
	struct cfg_strvec sv;
	char *copy = cfg_xstrndup(line, n);

	cfg_strvec_init(&sv);
	cfg_strvec_split(&sv, copy, CFGP_BLANKS);
	free(copy);
	if (sv.n < 2) {
		cfg_strvec_fini(&sv);
		return -1;
	}
	*name = cfg_xstrdup(sv.v[0]);
	*type = cfg_xstrdup(sv.v[1]);
	cfg_strvec_fini(&sv);
	return 0;
}

/* parse_new_entry - parse the value of a -Me request; -1 after a fatal diagnostic */
static int parse_new_entry(const struct cfg_edit_req *r, struct cfg_strvec *argv,
                           struct cfg_diags *diags)
{
	const char *err = cfgp_master_parse(r->value, argv, diags);

	if (err == NULL)
		return 0;
	if (*err)
		cfg_diags_add(diags, CFG_SEV_FATAL, "master-fields", NULL, 0, 0, "%s: \"%s\"", err,
		              r->raw);
	return -1;
}

#define EDIT_OPTS "-Me, -Fe, -Pe, -X, or -#"

/* struct state - one pass over master.cf */
struct state {
	struct cfg_edit *ed;
	const char *path;
	struct lines ls;
	struct cfg_buf *out;
	struct cfg_diags *diags;
	struct cfg_strvec entry; /* the replacement entry, when have_entry */
	int have_entry;
	int matched; /* the current logical line is named by a request */
	unsigned lineno;
};

/* set_entry - make argv (taken) the replacement entry */
static void set_entry(struct state *st, struct cfg_strvec *argv)
{
	cfg_strvec_fini(&st->entry);
	st->entry = *argv;
	st->have_entry = 1;
	argv->v = NULL; /* moved: cfg_strvec_fini() of it is now a no-op */
	argv->n = argv->cap = 0;
}

/* entry_start - handle the first line of a logical line; -1 on a fatal error */
static int entry_start(struct state *st, const char *line, size_t n)
{
	struct cfg_edit *ed = st->ed;
	char *name = NULL, *type = NULL;
	size_t i;
	int ret = -1;

	st->matched = 0;
	if (first_words(line, n, &name, &type) < 0) {
		cfg_diags_add(st->diags, CFG_SEV_FATAL, "master-edit", st->path, st->lineno, 0,
		              "file %s: line %u: specify service name and type on the same line",
		              st->path, st->lineno);
		goto out;
	}
	if (strchr(name, '=') != NULL) {
		cfg_diags_add(st->diags, CFG_SEV_FATAL, "master-edit", st->path, st->lineno, 0,
		              "file %s: line %u: service name syntax \"%s\" is unsupported with %s",
		              st->path, st->lineno, name, EDIT_OPTS);
		goto out;
	}
	if (type[strcspn(type, "=/")] != 0) {
		cfg_diags_add(st->diags, CFG_SEV_FATAL, "master-edit", st->path, st->lineno, 0,
		              "file %s: line %u: service type syntax \"%s\" is unsupported with %s",
		              st->path, st->lineno, type, EDIT_OPTS);
		goto out;
	}
	for (i = 0; i < ed->nreqs; i++) {
		struct cfg_edit_req *r = &ed->reqs[i];
		struct cfg_strvec tentative;
		int whole = ed->what == CFG_EDIT_ENTRY && ed->mode == CFG_EDIT_SET;
		int use = 0;

		cfg_strvec_init(&tentative);
		if (whole && parse_new_entry(r, &tentative, st->diags) < 0) {
			cfg_strvec_fini(&tentative);
			goto out;
		}
		if (pattern_match(r->name, r->type, name, type)) {
			st->matched = 1;
			r->found++;
			if (ed->what == CFG_EDIT_ENTRY) {
				use = whole && r->found == 1;
			} else if (ed->mode == CFG_EDIT_SET || ed->what == CFG_EDIT_PARAM) {
				if (!st->have_entry) {
					struct cfg_buf full;
					struct cfg_strvec argv;
					const char *err;

					cfg_buf_init(&full);
					cfg_buf_add(&full, line, n);
					gobble(&st->ls, &full, st->out);
					cfg_strvec_init(&argv);
					err = cfgp_master_parse(full.data, &argv, st->diags);
					cfg_buf_fini(&full);
					if (err != NULL) {
						if (*err)
							cfg_diags_add(st->diags, CFG_SEV_FATAL,
							              "master-fields", st->path,
							              st->lineno, 0,
							              "file %s: line %u: %s",
							              st->path, st->lineno, err);
						cfg_strvec_fini(&argv);
						cfg_strvec_fini(&tentative);
						goto out;
					}
					set_entry(st, &argv);
				}
				if (ed->what == CFG_EDIT_FIELD) {
					if (edit_field(&st->entry, r->field, r->value, st->diags)
					    < 0) {
						cfg_strvec_fini(&tentative);
						goto out;
					}
				} else {
					edit_param(&st->entry, ed->mode, r->sub, r->value);
				}
			}
		} else if (whole
		           && pattern_match(tentative.v[F_SERVICE], tentative.v[F_TYPE], name,
		                            type)) {
			st->matched = 1;
			r->found++;
			use = r->found == 1;
		}
		if (use)
			set_entry(st, &tentative);
		cfg_strvec_fini(&tentative);
	}
	if (st->have_entry) {
		cfgp_end_line(st->out);
		cfgp_master_print(&st->entry, 1, st->out);
		cfg_strvec_clear(&st->entry);
		st->have_entry = 0;
	} else if (!st->matched) {
		cfgp_emit(st->out, line, n);
	} else if (ed->mode == CFG_EDIT_COMMENT) {
		cfgp_emit(st->out, "#", 1);
		cfg_buf_add(st->out, line, n);
	}
	ret = 0;
out:
	free(name);
	free(type);
	return ret;
}

int cfgp_master_apply(struct cfg_edit *ed, const char *path, const char *text, size_t len,
                      struct cfg_buf *out, struct cfg_diags *diags)
{
	struct state st;
	const char *line;
	size_t n, i;
	int ret = -1;

	memset(&st, 0, sizeof(st));
	st.ed = ed;
	st.path = path;
	st.ls.text = text;
	st.ls.len = len;
	st.out = out;
	st.diags = diags;
	cfg_strvec_init(&st.entry);
	while (next_line(&st.ls, &line, &n)) {
		size_t k = content_offset(line, n);

		st.lineno++;
		if (k == n) {
			cfgp_emit(out, line, n);
		} else if (k > 0) {
			if (!st.matched) {
				cfgp_emit(out, line, n);
			} else if (ed->mode == CFG_EDIT_COMMENT) {
				cfgp_emit(out, "#", 1);
				cfg_buf_add(out, line, n);
			}
		} else if (entry_start(&st, line, n) < 0) {
			goto out;
		}
	}
	for (i = 0; i < ed->nreqs; i++) {
		struct cfg_edit_req *r = &ed->reqs[i];

		if (r->found)
			continue;
		if (ed->what == CFG_EDIT_ENTRY && ed->mode == CFG_EDIT_SET) {
			struct cfg_strvec argv;

			cfg_strvec_init(&argv);
			if (parse_new_entry(r, &argv, diags) < 0) {
				cfg_strvec_fini(&argv);
				goto out;
			}
			cfgp_end_line(out);
			cfgp_master_print(&argv, 1, out);
			cfg_strvec_fini(&argv);
		} else if (ed->what != CFG_EDIT_ENTRY) {
			cfg_diags_add(diags, CFG_SEV_WARNING, "master-unmatched", NULL, 0, 0,
			              "unmatched service_name/type: \"%s\"", r->raw);
		}
	}
	ret = 0;
out:
	cfg_strvec_fini(&st.entry);
	return ret;
}
