/* diag.c - diagnostics returned by library code (see cfg/diag.h) */
#include "config.h"

#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "cfg/base/buf.h"
#include "cfg/base/diag.h"
#include "cfg/base/xalloc.h"

void cfg_diags_init(struct cfg_diags *ds)
{
	ds->v = NULL;
	ds->n = ds->cap = 0;
}

static void diag_fini(struct cfg_diag *d)
{
	free(d->code);
	free(d->file);
	free(d->param);
	free(d->msg);
}

void cfg_diags_clear(struct cfg_diags *ds)
{
	for (size_t i = 0; i < ds->n; i++)
		diag_fini(&ds->v[i]);
	ds->n = 0;
}

void cfg_diags_fini(struct cfg_diags *ds)
{
	cfg_diags_clear(ds);
	free(ds->v);
	ds->v = NULL;
	ds->cap = 0;
}

struct cfg_diag *cfg_diags_add(struct cfg_diags *ds, enum cfg_severity sev, const char *code,
                               const char *file, unsigned line, unsigned col, const char *fmt, ...)
{
	struct cfg_diag *d;
	struct cfg_buf b;
	va_list ap;

	if (ds == NULL)
		return NULL;
	if (ds->n == ds->cap) {
		ds->cap = ds->cap ? ds->cap * 2 : 8;
		ds->v = cfg_xreallocarray(ds->v, ds->cap, sizeof(*ds->v));
	}
	d = &ds->v[ds->n++];
	d->sev = sev;
	d->code = cfg_xstrdup(code);
	d->file = file ? cfg_xstrdup(file) : NULL;
	d->line = line;
	d->col = col;
	d->param = NULL;
	cfg_buf_init(&b);
	va_start(ap, fmt);
	cfg_buf_vprintf(&b, fmt, ap);
	va_end(ap);
	d->msg = cfg_buf_take(&b);
	return d;
}

size_t cfg_diags_count(const struct cfg_diags *ds, enum cfg_severity sev)
{
	size_t n = 0;

	for (size_t i = 0; i < ds->n; i++)
		if (ds->v[i].sev >= sev)
			n++;
	return n;
}

static int cmp_pos(const struct cfg_diag *a, const struct cfg_diag *b)
{
	int c = strcmp(a->file ? a->file : "", b->file ? b->file : "");

	if (c)
		return c;
	if (a->line != b->line)
		return a->line < b->line ? -1 : 1;
	if (a->col != b->col)
		return a->col < b->col ? -1 : 1;
	return 0;
}

void cfg_diags_sort(struct cfg_diags *ds)
{
	/* insertion sort: stable, and diagnostic lists are short */
	for (size_t i = 1; i < ds->n; i++) {
		struct cfg_diag tmp = ds->v[i];
		size_t j = i;
		while (j > 0 && cmp_pos(&ds->v[j - 1], &tmp) > 0) {
			ds->v[j] = ds->v[j - 1];
			j--;
		}
		ds->v[j] = tmp;
	}
}

void cfg_diags_move(struct cfg_diags *dst, struct cfg_diags *src)
{
	for (size_t i = 0; i < src->n; i++) {
		if (dst->n == dst->cap) {
			dst->cap = dst->cap ? dst->cap * 2 : 8;
			dst->v = cfg_xreallocarray(dst->v, dst->cap, sizeof(*dst->v));
		}
		dst->v[dst->n++] = src->v[i];
	}
	src->n = 0;
}

const char *cfg_severity_name(enum cfg_severity sev)
{
	static const char *const names[] = {
	    [CFG_SEV_NOTE] = "note",
	    [CFG_SEV_WARNING] = "warning",
	    [CFG_SEV_ERROR] = "error",
	    [CFG_SEV_FATAL] = "fatal",
	};

	return sev <= CFG_SEV_FATAL ? names[sev] : "unknown";
}
