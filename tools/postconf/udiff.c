/*
 * udiff.c - unified diff of two texts, line by line (the shell's "diff")
 *
 * Common leading and trailing lines are set aside first, so an edit of a
 * few settings in a long main.cf costs little; the rest is a longest
 * common subsequence table.  Hunks carry three lines of context, as diff -u.
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "cfg/base/xalloc.h"
#include "edit_priv.h"

#define CONTEXT 3
#define MAX_CELLS (4u * 1000u * 1000u) /* beyond this the middle is shown as replaced */

struct line {
	const char *p;
	size_t n;  /* without the newline */
	int no_nl; /* the last line of a text that does not end with a newline */
};

/* split - the lines of text */
static struct line *split(const char *text, size_t len, size_t *count)
{
	struct line *v = NULL;
	size_t n = 0, cap = 0, pos = 0;

	while (pos < len) {
		const char *nl = memchr(text + pos, '\n', len - pos);
		size_t end = nl ? (size_t)(nl - text) : len;

		if (n == cap) {
			cap = cap ? cap * 2 : 64;
			v = cfg_xreallocarray(v, cap, sizeof(*v));
		}
		v[n].p = text + pos;
		v[n].n = end - pos;
		v[n].no_nl = nl == NULL;
		n++;
		pos = nl ? end + 1 : len;
	}
	*count = n;
	return v;
}

/* same - two lines are equal */
static int same(const struct line *a, const struct line *b)
{
	return a->n == b->n && a->no_nl == b->no_nl && memcmp(a->p, b->p, a->n) == 0;
}

/* One edit script step. */
enum op { KEEP, DEL, ADD };

/* script - the edit script turning a[0..na) into b[0..nb) */
static enum op *script(const struct line *a, size_t na, const struct line *b, size_t nb,
                       size_t *nops)
{
	size_t pre = 0, suf = 0, i, j, k = 0, ma, mb;
	enum op *ops = cfg_xcalloc(na + nb + 1, sizeof(*ops));

	while (pre < na && pre < nb && same(&a[pre], &b[pre]))
		pre++;
	while (suf < na - pre && suf < nb - pre && same(&a[na - 1 - suf], &b[nb - 1 - suf]))
		suf++;
	ma = na - pre - suf;
	mb = nb - pre - suf;
	for (i = 0; i < pre; i++)
		ops[k++] = KEEP;
	if ((ma + 1) * (mb + 1) > MAX_CELLS) {
		for (i = 0; i < ma; i++)
			ops[k++] = DEL;
		for (j = 0; j < mb; j++)
			ops[k++] = ADD;
	} else {
		/* lcs[i][j]: longest common subsequence of a-middle[i..] and b-middle[j..] */
		unsigned *lcs = cfg_xcalloc((ma + 1) * (mb + 1), sizeof(*lcs));
		const struct line *am = a + pre, *bm = b + pre;

#define L(x, y) lcs[(x) * (mb + 1) + (y)]
		for (i = ma; i-- > 0;)
			for (j = mb; j-- > 0;)
				L(i, j) = same(&am[i], &bm[j])         ? L(i + 1, j + 1) + 1
				          : L(i + 1, j) >= L(i, j + 1) ? L(i + 1, j)
				                                       : L(i, j + 1);
		i = j = 0;
		while (i < ma || j < mb) {
			if (i < ma && j < mb && same(&am[i], &bm[j])) {
				ops[k++] = KEEP;
				i++, j++;
			} else if (j == mb || (i < ma && L(i + 1, j) >= L(i, j + 1))) {
				ops[k++] = DEL;
				i++;
			} else {
				ops[k++] = ADD;
				j++;
			}
		}
#undef L
		free(lcs);
	}
	for (i = 0; i < suf; i++)
		ops[k++] = KEEP;
	*nops = k;
	return ops;
}

/* hunk_range - "l,s" as diff -u writes it (start 0 for an empty side) */
static void hunk_range(struct cfg_buf *out, size_t start, size_t count)
{
	if (count == 0)
		cfg_buf_printf(out, "%zu,0", start);
	else if (count == 1)
		cfg_buf_printf(out, "%zu", start + 1);
	else
		cfg_buf_printf(out, "%zu,%zu", start + 1, count);
}

int pcf_ed_udiff(const char *a, size_t alen, const char *b, size_t blen, const char *label_a,
                 const char *label_b, struct cfg_buf *out)
{
	size_t na, nb, nops, k = 0;
	struct line *la = split(a, alen, &na), *lb = split(b, blen, &nb);
	enum op *ops = script(la, na, lb, nb, &nops);
	int changed = 0;

	while (k < nops) {
		size_t start, end, ia = 0, ib = 0, x, ca = 0, cb = 0;

		if (ops[k] == KEEP) {
			k++;
			continue;
		}
		/* a hunk: from CONTEXT lines before this change to CONTEXT lines after the last
		 * change that is no more than 2*CONTEXT kept lines away */
		start = k > CONTEXT ? k - CONTEXT : 0;
		end = k;
		for (x = k; x < nops; x++) {
			if (ops[x] != KEEP) {
				end = x + 1;
			} else if (x - end >= 2 * CONTEXT) {
				break;
			}
		}
		end = end + CONTEXT < nops ? end + CONTEXT : nops;
		for (x = 0; x < start; x++) {
			ia += ops[x] != ADD;
			ib += ops[x] != DEL;
		}
		for (x = start; x < end; x++) {
			ca += ops[x] != ADD;
			cb += ops[x] != DEL;
		}
		if (!changed)
			cfg_buf_printf(out, "--- %s\n+++ %s\n", label_a, label_b);
		changed = 1;
		cfg_buf_adds(out, "@@ -");
		hunk_range(out, ia, ca);
		cfg_buf_adds(out, " +");
		hunk_range(out, ib, cb);
		cfg_buf_adds(out, " @@\n");
		for (x = start; x < end; x++) {
			const struct line *l = ops[x] == ADD ? &lb[ib] : &la[ia];

			cfg_buf_addc(out, ops[x] == KEEP ? ' ' : ops[x] == DEL ? '-' : '+');
			cfg_buf_add(out, l->p, l->n);
			cfg_buf_addc(out, '\n');
			if (l->no_nl)
				cfg_buf_adds(out, "\\ No newline at end of file\n");
			ia += ops[x] != ADD;
			ib += ops[x] != DEL;
		}
		k = end;
	}
	free(ops);
	free(la);
	free(lb);
	return changed;
}
