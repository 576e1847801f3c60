/*
 * check_report.c - putting findings in report order and rendering them as
 * text or JSON; edit-distance suggestions ("did you mean ...") for the passes
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "cfg/check/check.h"
#include "cfg/io/json.h"
#include "cfg/schema/registry.h"
#include "cfg/base/xalloc.h"
#include "check_int.h"

struct ranked {
	struct cfg_diag d;
	size_t seq;
};

/* cmp_str - strcmp() with NULL first */
static int cmp_str(const char *a, const char *b)
{
	if (a == NULL || b == NULL)
		return (a != NULL) - (b != NULL);
	return strcmp(a, b);
}

/* cmp_diag - report order: file, line, column, severity (worst first), message, code */
static int cmp_diag(const void *pa, const void *pb)
{
	const struct ranked *a = pa, *b = pb;
	int c;

	if ((c = cmp_str(a->d.file, b->d.file)) != 0)
		return c;
	if (a->d.line != b->d.line)
		return a->d.line < b->d.line ? -1 : 1;
	if (a->d.col != b->d.col)
		return a->d.col < b->d.col ? -1 : 1;
	if (a->d.sev != b->d.sev)
		return a->d.sev > b->d.sev ? -1 : 1;
	if ((c = strcmp(a->d.msg, b->d.msg)) != 0)
		return c;
	if ((c = strcmp(a->d.code, b->d.code)) != 0)
		return c;
	if ((c = cmp_str(a->d.param, b->d.param)) != 0)
		return c;
	return a->seq < b->seq ? -1 : a->seq > b->seq;
}

/* free_diag - release the strings of one diagnostic */
static void free_diag(struct cfg_diag *d)
{
	free(d->code);
	free(d->file);
	free(d->param);
	free(d->msg);
}

void cfg_check_finish(struct cfg_diags *diags)
{
	struct ranked *r;
	size_t n = diags->n, out = 0;

	if (n == 0)
		return;
	r = cfg_xcalloc(n, sizeof(*r));
	for (size_t i = 0; i < n; i++) {
		r[i].d = diags->v[i];
		r[i].seq = i;
		if (r[i].d.sev == CFG_SEV_FATAL)
			r[i].d.sev = CFG_SEV_ERROR;
	}
	qsort(r, n, sizeof(*r), cmp_diag);
	for (size_t i = 0; i < n; i++) {
		if (out > 0) {
			const struct cfg_diag *p = &diags->v[out - 1], *d = &r[i].d;

			if (cmp_str(p->file, d->file) == 0 && p->line == d->line && p->col == d->col
			    && p->sev == d->sev && strcmp(p->msg, d->msg) == 0
			    && strcmp(p->code, d->code) == 0) {
				free_diag(&r[i].d);
				continue;
			}
		}
		diags->v[out++] = r[i].d;
	}
	diags->n = out;
	free(r);
}

/* sev_word - the severity as printed */
static const char *sev_word(enum cfg_severity sev)
{
	return sev == CFG_SEV_FATAL ? "error" : cfg_severity_name(sev);
}

void cfg_check_render_text(const struct cfg_diags *diags, struct cfg_buf *out)
{
	for (size_t i = 0; i < diags->n; i++) {
		const struct cfg_diag *d = &diags->v[i];

		cfg_buf_adds(out, d->file ? d->file : "postfix");
		if (d->line > 0)
			cfg_buf_printf(out, ":%u", d->line);
		if (d->line > 0 && d->col > 0)
			cfg_buf_printf(out, ":%u", d->col);
		cfg_buf_printf(out, ": %s: %s\n", sev_word(d->sev), d->msg);
	}
}

void cfg_check_render_json(const struct cfg_diags *diags, struct cfg_buf *out)
{
	struct cfg_json *arr = cfg_json_array();

	for (size_t i = 0; i < diags->n; i++) {
		const struct cfg_diag *d = &diags->v[i];
		struct cfg_json *o = cfg_json_object();

		cfg_json_object_set(o, "file",
		                    d->file ? cfg_json_string(d->file) : cfg_json_null());
		cfg_json_object_set(o, "line",
		                    d->line ? cfg_json_integer(d->line) : cfg_json_null());
		cfg_json_object_set(o, "column",
		                    d->col && d->line ? cfg_json_integer(d->col) : cfg_json_null());
		cfg_json_object_set(o, "severity", cfg_json_string(sev_word(d->sev)));
		cfg_json_object_set(o, "code", cfg_json_string(d->code));
		cfg_json_object_set(o, "parameter",
		                    d->param ? cfg_json_string(d->param) : cfg_json_null());
		cfg_json_object_set(o, "message", cfg_json_string(d->msg));
		cfg_json_array_append(arr, o);
	}
	cfg_json_dump(arr, CFG_JSON_PRETTY, out);
	cfg_buf_addc(out, '\n');
	cfg_json_free(arr);
}

size_t cfg_check_edit_distance(const char *a, const char *b, size_t limit)
{
	size_t la = strlen(a), lb = strlen(b);
	size_t *base, *prev2, *prev, *cur, result;

	if ((la > lb ? la - lb : lb - la) > limit)
		return limit + 1;
	base = prev2 = cfg_xcalloc(3 * (lb + 1), sizeof(size_t));
	prev = prev2 + lb + 1;
	cur = prev + lb + 1;
	for (size_t j = 0; j <= lb; j++)
		prev[j] = j;
	for (size_t i = 1; i <= la; i++) {
		size_t rowmin;
		size_t *t;

		cur[0] = rowmin = i;
		for (size_t j = 1; j <= lb; j++) {
			size_t cost = a[i - 1] != b[j - 1];
			size_t v = prev[j - 1] + cost;

			if (prev[j] + 1 < v)
				v = prev[j] + 1;
			if (cur[j - 1] + 1 < v)
				v = cur[j - 1] + 1;
			if (i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1]
			    && prev2[j - 2] + 1 < v)
				v = prev2[j - 2] + 1;
			cur[j] = v;
			if (v < rowmin)
				rowmin = v;
		}
		if (rowmin > limit) {
			free(base);
			return limit + 1;
		}
		t = prev2;
		prev2 = prev;
		prev = cur;
		cur = t;
	}
	result = prev[lb] > limit ? limit + 1 : prev[lb];
	free(base);
	return result;
}

/* suggest_limit - how many edits still look like a typo of a word this long */
static size_t suggest_limit(size_t len)
{
	return len <= 4 ? 1 : len <= 8 ? 2 : 3;
}

void cfgp_suggest_init(struct cfgp_suggest *sg, const char *word)
{
	sg->word = word;
	sg->limit = suggest_limit(strlen(word));
	sg->best_d = sg->limit + 1;
	sg->best = NULL;
}

void cfgp_suggest_try(struct cfgp_suggest *sg, const char *candidate)
{
	size_t d;

	if (sg->best_d <= 1)
		return; /* nothing can beat a single edit but the word itself */
	d = cfg_check_edit_distance(sg->word, candidate, sg->best_d - 1);
	if (d > 0 && d < sg->best_d) {
		sg->best_d = d;
		free(sg->best);
		sg->best = cfg_xstrdup(candidate);
	}
}

void cfgp_suggest_fini(struct cfgp_suggest *sg)
{
	free(sg->best);
	sg->best = NULL;
}

const char *cfg_check_suggest(const char *word, const char *const *candidates)
{
	struct cfgp_suggest sg;
	const char *best = NULL;

	cfgp_suggest_init(&sg, word);
	for (const char *const *c = candidates; *c; c++) {
		cfgp_suggest_try(&sg, *c);
		if (sg.best != NULL && strcmp(sg.best, *c) == 0)
			best = *c;
	}
	cfgp_suggest_fini(&sg);
	return best;
}

const char *cfg_check_suggest_param(const char *word)
{
	size_t n = cfg_registry_count();
	struct cfgp_suggest sg;
	const char *best = NULL;

	cfgp_suggest_init(&sg, word);
	for (size_t i = 0; i < n; i++) {
		const struct cfg_param_def *d = cfg_registry_at(i);

		if (d->flags & CFG_PF_LEGACY)
			continue;
		cfgp_suggest_try(&sg, d->name);
		if (sg.best != NULL && strcmp(sg.best, d->name) == 0)
			best = d->name;
	}
	cfgp_suggest_fini(&sg);
	return best;
}
