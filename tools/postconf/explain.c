/*
 * explain.c - postconf --explain NAME [--service name/type] and --diff [DIR2]
 *
 * --explain answers "what is this parameter's value and why": where the
 * value comes from (a master.cf -o override, postconf -o, a main.cf line or
 * the default), what the default is and, for defaults that depend on
 * compatibility_level, which level chose the result; then every $name the
 * value uses, recursively, each with its own source, and the final value.
 *
 * --diff lists the settings of a configuration that differ from the
 * defaults (or from a second configuration directory), each as written and
 * as expanded.  Exit status as diff(1): 0 no difference, 1 differences,
 * 2 trouble.
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "cfg/config/effective.h"
#include "cfg/doc/maincf.h"
#include "cfg/doc/mastercf.h"
#include "cfg/schema/registry.h"
#include "cfg/base/strvec.h"
#include "cfg/param/validate.h"
#include "cfg/base/xalloc.h"
#include "edit_priv.h"
#include "postconf_edit.h"

#define MAX_DEPTH 100 /* Postfix's macro nesting limit */

void pcf_ed_words(const char *value, struct cfg_buf *out)
{
	struct cfg_strvec sv;
	char *j;

	cfg_strvec_init(&sv);
	cfg_strvec_split(&sv, value, " \t\r\n");
	j = cfg_strvec_join(&sv, " ");
	cfg_buf_adds(out, j);
	free(j);
	cfg_strvec_fini(&sv);
}

/* distance - Levenshtein distance, capped at cap + 1 */
static size_t distance(const char *a, const char *b, size_t cap)
{
	size_t la = strlen(a), lb = strlen(b), i, j, *row, best;

	if ((la > lb ? la - lb : lb - la) > cap)
		return cap + 1;
	row = cfg_xcalloc(lb + 1, sizeof(*row));
	for (j = 0; j <= lb; j++)
		row[j] = j;
	for (i = 1; i <= la; i++) {
		size_t diag = row[0];

		row[0] = i;
		for (j = 1; j <= lb; j++) {
			size_t up = row[j], v = diag + (a[i - 1] != b[j - 1]);

			if (row[j] + 1 < v)
				v = row[j] + 1;
			if (row[j - 1] + 1 < v)
				v = row[j - 1] + 1;
			row[j] = v;
			diag = up;
		}
	}
	best = row[lb];
	free(row);
	return best;
}

const char *pcf_ed_suggest(const struct cfg_config *cfg, const char *name, struct cfg_strvec *tmp)
{
	size_t i, cap = strlen(name) / 3, best = (size_t)-1, d;
	const char *pick = NULL;

	if (cap < 2)
		cap = 2;
	cfg_strvec_clear(tmp);
	cfg_config_names(cfg, CFG_CLASS_ALL, tmp);
	for (i = 0; i < tmp->n; i++) {
		d = distance(name, tmp->v[i], cap);
		if (d <= cap && d < best && d > 0) {
			best = d;
			pick = tmp->v[i];
		}
	}
	return pick;
}

/* default_of - the default of a Postfix parameter; NULL for a user-defined one */
static const char *default_of(const struct cfg_config *cfg, const char *name)
{
	struct cfg_param_def tmp;

	if (cfg_validate_lookup_def(name, &tmp) == NULL
	    && cfg_config_class(cfg, name) != CFG_CLASS_SERVICE)
		return NULL;
	return cfg_config_default(cfg, name);
}

/* explain state */
struct ex {
	FILE *fp;
	const struct cfg_config *cfg;
	struct pcf_ed_lookup *lk;
	const struct cfg_service *svc;
	const char *svc_label;
	const struct cfg_strvec *over_names;
	const char *path[MAX_DEPTH + 1]; /* names on the current expansion path */
	size_t depth;
};

/* pending_index - the shell's pending change of name: index + 1, or 0 */
static size_t pending_index(const struct pcf_ed_lookup *lk, const char *name)
{
	size_t i;

	for (i = lk->n; i-- > 0;)
		if (strcmp(lk->names[i], name) == 0)
			return i + 1;
	return 0;
}

/* source - where the effective value of name comes from, as words */
static void source(struct ex *x, const char *name, struct cfg_buf *out)
{
	const struct cfg_maincf *doc = cfg_config_maincf(x->cfg);
	const struct cfg_maincf_entry *e = cfg_maincf_get(doc, name);
	const struct cfg_param_def *def = cfg_registry_find(name);
	size_t i, p;

	if (x->svc != NULL)
		for (i = x->svc->novr; i-- > 0;)
			if (strcmp(x->svc->ovr[i].name, name) == 0) {
				cfg_buf_printf(out, "master.cf -o override of %s (%s:%u)",
				               x->svc_label, cfg_config_mastercf(x->cfg)->path,
				               x->svc->line);
				return;
			}
	if (x->svc != NULL && strcmp(name, "service_name") == 0) {
		cfg_buf_printf(out, "the master.cf service name of %s", x->svc_label);
		return;
	}
	if ((p = pending_index(x->lk, name)) != 0) {
		cfg_buf_adds(out, x->lk->values[p - 1] != NULL
		                      ? "pending change, not written yet"
		                      : "pending removal: the default applies");
		return;
	}
	if (x->over_names != NULL)
		for (i = 0; i < x->over_names->n; i++)
			if (strcmp(x->over_names->v[i], name) == 0) {
				cfg_buf_adds(out, "postconf -o override");
				return;
			}
	if (e != NULL) {
		cfg_buf_printf(out, "%s:%u", doc->path, e->line);
		return;
	}
	if (cfg_config_value(x->cfg, name) == NULL) {
		cfg_buf_adds(out, "undefined: expands to nothing");
		return;
	}
	if (def != NULL && (def->flags & (CFG_PF_HOSTDEP | CFG_PF_PROCDEP)))
		cfg_buf_adds(out, "default, computed on this host");
	else
		cfg_buf_adds(out, "default");
}

/* parse_level_default - split ${{$compatibility_level} <level {L} ? {A} : {B}} */
static int parse_level_default(const char *v, struct cfg_strvec *parts)
{
	const char *p = strstr(v, "{$compatibility_level}");
	size_t k;

	if (p == NULL || (p = strstr(p, "level")) == NULL)
		return -1;
	for (k = 0; k < 3; k++) {
		const char *open = strchr(p, '{'), *q;
		int level = 0;

		if (open == NULL)
			return -1;
		for (q = open; *q; q++) {
			if (*q == '{')
				level++;
			else if (*q == '}' && --level == 0)
				break;
		}
		if (*q != '}')
			return -1;
		cfg_strvec_addn(parts, open + 1, (size_t)(q - open - 1));
		p = q + 1;
	}
	return 0;
}

/* compat_note - for a compatibility-level dependent default: which level chose what */
static void compat_note(struct ex *x, const char *defval)
{
	struct cfg_strvec parts;
	struct cfg_buf src;
	const char *level = x->lk->ex.lookup(x->lk->ex.ctx, "compatibility_level");
	int err = 0, below;

	cfg_strvec_init(&parts);
	cfg_buf_init(&src);
	if (level == NULL)
		level = "0";
	if (parse_level_default(defval, &parts) == 0) {
		below = cfg_compat_level_cmp(level, parts.v[0], &err) < 0;
		source(x, "compatibility_level", &src);
		fprintf(x->fp, "  compat:    compatibility_level = %s (%s)", level, src.data);
		if (err) {
			fprintf(x->fp, " is not a valid level\n");
		} else {
			fprintf(x->fp, " is %s %s, so the default is \"%s\"\n",
			        below ? "below" : "not below", parts.v[0],
			        below ? parts.v[1] : parts.v[2]);
			fprintf(x->fp, "             (%s level %s it would be \"%s\")\n",
			        below ? "from" : "below", parts.v[0],
			        below ? parts.v[2] : parts.v[1]);
		}
	}
	cfg_buf_fini(&src);
	cfg_strvec_fini(&parts);
}

/* collect - expand_names callback: gather distinct names */
static void collect(void *ctx, const char *name)
{
	struct cfg_strvec *sv = ctx;
	size_t i;

	for (i = 0; i < sv->n; i++)
		if (strcmp(sv->v[i], name) == 0)
			return;
	cfg_strvec_add(sv, name);
}

/* tree - print every $name value refers to, with its raw value and source, recursively */
static void tree(struct ex *x, const char *value, int indent)
{
	struct cfg_strvec names;
	size_t i, k;

	cfg_strvec_init(&names);
	cfg_expand_names(value, collect, &names);
	for (i = 0; i < names.n; i++) {
		const char *n = names.v[i];
		const char *raw = x->lk->ex.lookup(x->lk->ex.ctx, n);
		struct cfg_buf src, w;
		int loop = 0;

		for (k = 0; k < x->depth; k++)
			loop |= strcmp(x->path[k], n) == 0;
		cfg_buf_init(&src);
		cfg_buf_init(&w);
		source(x, n, &src);
		if (raw != NULL)
			pcf_ed_words(raw, &w);
		fprintf(x->fp, "%*s$%s =%s%s  (%s)%s\n", indent, "", n, w.len ? " " : "", w.data,
		        raw != NULL ? src.data : "undefined: expands to nothing",
		        loop ? "  <- loop" : "");
		if (raw != NULL && !loop && x->depth < MAX_DEPTH) {
			x->path[x->depth++] = n;
			tree(x, raw, indent + 2);
			x->depth--;
		}
		cfg_buf_fini(&src);
		cfg_buf_fini(&w);
	}
	cfg_strvec_fini(&names);
}

/* type_text - "time (default unit s, 1s..)" and friends */
static void type_text(const struct cfg_config *cfg, const char *name, struct cfg_buf *out)
{
	struct cfg_param_def tmp;
	const struct cfg_param_def *def = cfg_validate_lookup_def(name, &tmp);
	unsigned cls = cfg_config_class(cfg, name);

	if (def == NULL) {
		cfg_buf_adds(out, "user-defined (any text)");
		return;
	}
	cfg_buf_adds(out, cfg_ptype_name(def->type));
	if (def->type == CFG_T_TIME && def->time_unit)
		cfg_buf_printf(out, ", default unit %c", def->time_unit);
	if (def->type == CFG_T_ENUM && def->choices != NULL) {
		const char *c;

		cfg_buf_adds(out, ": ");
		for (c = def->choices; *c; c++)
			cfg_buf_adds(out, *c == '|' ? ", " : (char[]){*c, 0});
		if (def->flags & CFG_PF_MULTI)
			cfg_buf_adds(out, " (one or more)");
	}
	if ((def->type == CFG_T_INT || def->type == CFG_T_LONG || def->type == CFG_T_SIZE
	     || def->type == CFG_T_TIME)
	    && def->min <= def->max) {
		const char *u = def->type == CFG_T_TIME ? "s" : "";

		if (def->min != CFG_NOMIN && def->max != CFG_NOMAX)
			cfg_buf_printf(out, ", %ld%s..%ld%s", def->min, u, def->max, u);
		else if (def->min != CFG_NOMIN)
			cfg_buf_printf(out, ", at least %ld%s", def->min, u);
		else if (def->max != CFG_NOMAX)
			cfg_buf_printf(out, ", at most %ld%s", def->max, u);
	}
	if (cls == CFG_CLASS_SERVICE)
		cfg_buf_adds(out, " (service-defined)");
}

/* find_service - the master.cf entry named "name/type" (or "name": the first of that name) */
static const struct cfg_service *find_service(const struct cfg_config *cfg, const char *spec)
{
	const struct cfg_mastercf *m = cfg_config_mastercf(cfg);
	const char *slash = strchr(spec, '/');
	size_t i, nlen = slash ? (size_t)(slash - spec) : strlen(spec);

	for (i = 0; m != NULL && i < m->nsvcs; i++) {
		const struct cfg_service *s = &m->svcs[i];

		if (strlen(s->field[CFG_MF_SERVICE]) == nlen
		    && strncmp(s->field[CFG_MF_SERVICE], spec, nlen) == 0
		    && (slash == NULL || strcmp(s->field[CFG_MF_TYPE], slash + 1) == 0))
			return s;
	}
	return NULL;
}

int pcf_explain_print(FILE *fp, const struct cfg_config *cfg, struct pcf_ed_lookup *lk,
                      const char *name, const char *service, const struct cfg_strvec *over_names,
                      int brief)
{
	struct ex x;
	struct cfg_buf w, src, expd, t;
	struct cfg_diags ds;
	struct cfg_strvec tmp;
	const struct cfg_param_def *def = cfg_registry_find(name);
	const struct cfg_maincf *doc = cfg_config_maincf(cfg);
	const char *value, *defval;
	char *label = NULL;

	memset(&x, 0, sizeof(x));
	x.fp = fp;
	x.cfg = cfg;
	x.lk = lk;
	x.over_names = over_names;
	if (service != NULL) {
		if ((x.svc = find_service(cfg, service)) == NULL) {
			fprintf(stderr, "%s: fatal: --service %s: no such master.cf entry\n",
			        pcf_ed_progname(), service);
			return -1;
		}
		label =
		    cfg_xasprintf("%s/%s", x.svc->field[CFG_MF_SERVICE], x.svc->field[CFG_MF_TYPE]);
		x.svc_label = label;
	}
	lk->svc = x.svc;
	value = lk->ex.lookup(lk->ex.ctx, name);
	if (value == NULL && cfg_maincf_get(doc, name) == NULL && !pending_index(lk, name)) {
		const char *sug;

		cfg_strvec_init(&tmp);
		sug = pcf_ed_suggest(cfg, name, &tmp);
		fflush(fp);
		fprintf(stderr, "%s: fatal: unknown parameter \"%s\"", pcf_ed_progname(), name);
		if (sug != NULL)
			fprintf(stderr, " (did you mean \"%s\"?)", sug);
		fputc('\n', stderr);
		cfg_strvec_fini(&tmp);
		lk->svc = NULL;
		free(label);
		return -1;
	}
	cfg_buf_init(&w);
	cfg_buf_init(&src);
	cfg_buf_init(&expd);
	cfg_buf_init(&t);
	cfg_diags_init(&ds);
	if (value != NULL)
		pcf_ed_words(value, &w);
	fprintf(fp, "%s =%s%s\n", name, w.len ? " " : "", w.data);
	source(&x, name, &src);
	fprintf(fp, "  source:    %s\n", src.data);
	if (x.svc != NULL && src.data[0] == 'm') {
		/* overridden: say what main.cf (or the default) would have given */
		const struct cfg_maincf_entry *e = cfg_maincf_get(doc, name);
		const char *under = cfg_config_value(cfg, name);

		cfg_buf_reset(&w);
		if (under != NULL)
			pcf_ed_words(under, &w);
		if (e != NULL)
			fprintf(fp, "  overrides: %s (%s:%u)\n", w.data, doc->path, e->line);
		else
			fprintf(fp, "  overrides: %s (default)\n", w.data);
	}
	defval = default_of(cfg, name);
	cfg_buf_reset(&w);
	if (defval != NULL) {
		pcf_ed_words(defval, &w);
		fprintf(fp, "  default:   %s\n", w.len ? w.data : "(empty)");
	} else {
		fprintf(fp, "  default:   none (user-defined)\n");
	}
	type_text(cfg, name, &t);
	fprintf(fp, "  type:      %s\n", t.data);
	if (def != NULL && def->desc != NULL)
		fprintf(fp, "  about:     %s\n", def->desc);
	if (def != NULL && (def->flags & CFG_PF_COMPAT) && defval != NULL)
		compat_note(&x, defval);
	if (!brief && value != NULL && strchr(value, '$') != NULL) {
		fprintf(fp, "  expansion:\n");
		x.path[x.depth++] = name;
		tree(&x, value, 4);
		x.depth = 0;
	}
	if (value != NULL && cfg_expand_value(&lk->ex, value, &expd, &ds) == 0) {
		cfg_buf_reset(&w);
		pcf_ed_words(expd.data, &w);
		fprintf(fp, "  expanded:  %s\n", w.len ? w.data : "(empty)");
	} else if (value != NULL) {
		size_t i;

		fprintf(fp, "  expanded:  (macro processing error)\n");
		for (i = 0; i < ds.n; i++)
			fprintf(fp, "             %s\n", ds.v[i].msg);
	}
	lk->svc = NULL;
	cfg_diags_fini(&ds);
	cfg_buf_fini(&w);
	cfg_buf_fini(&src);
	cfg_buf_fini(&expd);
	cfg_buf_fini(&t);
	free(label);
	return 0;
}

int pcf_explain(const char *config_dir, const char *name, const char *service, char **overrides,
                int noverrides)
{
	struct cfg_config *cfg = pcf_ed_load(config_dir);
	struct pcf_ed_lookup lk;
	struct cfg_strvec over;
	int i, rc;

	if (cfg == NULL)
		return 1;
	cfg_strvec_init(&over);
	for (i = 0; i < noverrides; i++) {
		char *copy = cfg_xstrdup(overrides[i]), *eq = strchr(copy, '=');

		if (eq != NULL) {
			*eq = 0;
			cfg_config_override(cfg, copy, eq + 1);
			cfg_strvec_add(&over, copy);
		}
		free(copy);
	}
	pcf_ed_lookup_init(&lk, cfg, NULL, NULL, 0);
	rc = pcf_explain_print(stdout, cfg, &lk, name, service, &over, 0);
	fflush(stdout);
	cfg_strvec_fini(&over);
	cfg_config_free(cfg);
	return rc < 0 ? 1 : 0;
}

/* One side of a --diff comparison. */
struct side {
	const struct cfg_config *cfg; /* NULL: the defaults of other */
	const char *label;
	struct pcf_ed_lookup lk;
};

/* side_value - written value of name on a side (NULL when unset there) and where */
static const char *side_value(struct side *s, const struct cfg_config *ref, const char *name,
                              struct cfg_buf *where)
{
	const struct cfg_maincf_entry *e;

	if (s->cfg == NULL) {
		cfg_buf_adds(where, "default");
		return default_of(ref, name);
	}
	e = cfg_maincf_get(cfg_config_maincf(s->cfg), name);
	if (e != NULL) {
		cfg_buf_printf(where, "%s:%u", cfg_config_maincf(s->cfg)->path, e->line);
		return e->value;
	}
	cfg_buf_adds(where, "default");
	return default_of(s->cfg, name);
}

/* side_expand - the expansion of value in a side's configuration */
static void side_expand(struct side *s, const struct cfg_config *ref, const char *value,
                        struct cfg_buf *out)
{
	struct cfg_buf raw;
	struct pcf_ed_lookup lk;

	cfg_buf_init(&raw);
	pcf_ed_lookup_init(&lk, s->cfg != NULL ? s->cfg : ref, NULL, NULL, 0);
	if (value == NULL || cfg_expand_value(&lk.ex, value, &raw, NULL) < 0)
		cfg_buf_adds(&raw, value == NULL ? "" : "(macro processing error)");
	pcf_ed_words(raw.data, out);
	cfg_buf_fini(&raw);
}

/* add_names - the distinct names set in a configuration's main.cf */
static void add_names(const struct cfg_config *cfg, struct cfg_strvec *names)
{
	const struct cfg_maincf *doc = cfg_config_maincf(cfg);
	size_t i;

	for (i = 0; i < doc->nents; i++)
		collect(names, doc->ents[i].name);
}

int pcf_diff(const char *config_dir, const char *dir2)
{
	struct cfg_config *a = pcf_ed_load(config_dir), *b = NULL;
	struct side sa, sb;
	struct cfg_strvec names, same;
	size_t i, ndiff = 0;

	if (a == NULL)
		return 2;
	if (dir2 != NULL && (b = pcf_ed_load(dir2)) == NULL) {
		cfg_config_free(a);
		return 2;
	}
	cfg_strvec_init(&names);
	cfg_strvec_init(&same);
	add_names(a, &names);
	if (b != NULL)
		add_names(b, &names);
	cfg_strvec_sort(&names);
	/* '-' is the reference (defaults, or this configuration), '+' the other one */
	sa.cfg = b != NULL ? a : NULL;
	sb.cfg = b != NULL ? b : a;
	sa.label = b != NULL ? cfg_config_maincf(a)->path : "defaults";
	sb.label = b != NULL ? cfg_config_maincf(b)->path : cfg_config_maincf(a)->path;
	printf("--- %s\n+++ %s\n", sa.label, sb.label);
	for (i = 0; i < names.n; i++) {
		const char *n = names.v[i], *va, *vb;
		struct cfg_buf wa, wb, ea, eb, pa, pb;

		cfg_buf_init(&wa);
		cfg_buf_init(&wb);
		cfg_buf_init(&ea);
		cfg_buf_init(&eb);
		cfg_buf_init(&pa);
		cfg_buf_init(&pb);
		va = side_value(&sa, a, n, &pa);
		vb = side_value(&sb, a, n, &pb);
		if (va != NULL)
			pcf_ed_words(va, &wa);
		if (vb != NULL)
			pcf_ed_words(vb, &wb);
		side_expand(&sa, a, va, &ea);
		side_expand(&sb, a, vb, &eb);
		if (strcmp(wa.data, wb.data) == 0 && strcmp(ea.data, eb.data) == 0
		    && (va == NULL) == (vb == NULL)) {
			cfg_strvec_add(&same, n);
		} else {
			ndiff++;
			printf("@@ %s: %s -> %s @@\n", n, va ? pa.data : "not set",
			       vb ? pb.data : "not set");
			if (va != NULL)
				printf("-%s =%s%s\n", n, wa.len ? " " : "", wa.data);
			if (vb != NULL)
				printf("+%s =%s%s\n", n, wb.len ? " " : "", wb.data);
			if (strcmp(ea.data, eb.data) != 0) {
				if (strcmp(ea.data, wa.data) != 0
				    || strcmp(eb.data, wb.data) != 0) {
					printf("-  expanded: %s\n", ea.data);
					printf("+  expanded: %s\n", eb.data);
				}
			} else {
				printf("   expanded: %s (the same on both sides)\n", ea.data);
			}
		}
		cfg_buf_fini(&wa);
		cfg_buf_fini(&wb);
		cfg_buf_fini(&ea);
		cfg_buf_fini(&eb);
		cfg_buf_fini(&pa);
		cfg_buf_fini(&pb);
	}
	if (same.n > 0) {
		char *j = cfg_strvec_join(&same, " ");

		printf("# set but %s: %s\n",
		       b != NULL ? "the same on both sides" : "equal to the default", j);
		free(j);
	}
	fflush(stdout);
	cfg_strvec_fini(&names);
	cfg_strvec_fini(&same);
	cfg_config_free(a);
	cfg_config_free(b);
	return ndiff > 0 ? 1 : 0;
}
