/*
 * registry.c - the const parameter table built from schemas/params.def,
 * binary-search lookup, and the service-defined parameter templates
 */
#include "config.h"

#include <stddef.h>

#include <string.h>
#include <strings.h>

#include "cfg/base/xalloc.h"
#include "cfg/schema/registry.h"
#include "schema_int.h"

/*
 * The table: one row per PARAM() line of params.def, in the file's order,
 * which is strcmp() order (the unit tests verify that).  The include path
 * is relative to this file so VPATH and distcheck builds find it.
 *
 * A table of pointers would need a run-time relocation per string in a
 * position-independent executable (some 2,000, fifteen pages written by the
 * dynamic loader at every start of every program).  So the strings live in
 * one pool, a struct of char arrays named after the params.def line of their
 * row, and the rows hold offsets into it: both stay read-only and shared.
 * The struct cfg_param_def a caller gets is filled from its row on first
 * use.  A NULL string
 * (defval, choices, desc) is stored as NO_STRING.
 */
#define NO_STRING "\001"
#define CAT2(a, b) a##b
#define CAT(a, b) CAT2(a, b)
#pragma push_macro("NULL")
#undef NULL
#define NULL NO_STRING

struct pool {
#define PARAM(name, type, defval, min, max, unit, choices, flags, desc)                            \
	char CAT(n_, __LINE__)[sizeof(name)];                                                      \
	char CAT(d_, __LINE__)[sizeof(defval)];                                                    \
	char CAT(c_, __LINE__)[sizeof(choices)];                                                   \
	char CAT(s_, __LINE__)[sizeof(desc)];
#include "../../schemas/params.def"
#undef PARAM
};

static const struct pool pool = {
#define PARAM(name, type, defval, min, max, unit, choices, flags, desc) name, defval, choices, desc,
#include "../../schemas/params.def"
#undef PARAM
};

/* One parameter with its strings as offsets into the pool. */
struct row {
	unsigned name, defval, choices, desc;
	enum cfg_ptype type;
	unsigned flags;
	long min;
	long max;
	char time_unit;
};

static const struct row rows[] = {
#define PARAM(name, type, defval, min, max, unit, choices, flags, desc)                            \
	{offsetof(struct pool, CAT(n_, __LINE__)),                                                 \
	 offsetof(struct pool, CAT(d_, __LINE__)),                                                 \
	 offsetof(struct pool, CAT(c_, __LINE__)),                                                 \
	 offsetof(struct pool, CAT(s_, __LINE__)),                                                 \
	 CFG_T_##type,                                                                             \
	 flags,                                                                                    \
	 min,                                                                                      \
	 max,                                                                                      \
	 unit},
#include "../../schemas/params.def"
#undef PARAM
};

#undef NULL
#pragma pop_macro("NULL")

#define NPARAMS (sizeof(rows) / sizeof(rows[0]))

/*
 * The rows as callers see them, filled on first use into blocks of
 * FILL_BLOCK in the order they are asked for, so that the few a table
 * command asks for share one block (a page written) instead of the pages
 * of a whole array.  slot[i] is 1 + the place of row i in that order, 0
 * while it is not filled.
 */
#define FILL_BLOCK 32
static unsigned short *slot;
static struct cfg_param_def **blocks;
static size_t nfilled;

/* pool_str - the string at offset off of the pool, NULL for NO_STRING */
static const char *pool_str(unsigned off)
{
	const char *s = (const char *)&pool + off;

	return strcmp(s, NO_STRING) == 0 ? NULL : s;
}

/* param_at - the i-th definition (i < NPARAMS), filled from its row the first time */
static const struct cfg_param_def *param_at(size_t i)
{
	const struct row *r = &rows[i];
	struct cfg_param_def *d;
	size_t n;

	if (slot == NULL) {
		slot = cfg_xcalloc(NPARAMS, sizeof(*slot));
		blocks = cfg_xcalloc(NPARAMS / FILL_BLOCK + 1, sizeof(*blocks));
	}
	if (slot[i] != 0) {
		n = slot[i] - 1u;
		return &blocks[n / FILL_BLOCK][n % FILL_BLOCK];
	}
	n = nfilled++;
	if (n % FILL_BLOCK == 0)
		blocks[n / FILL_BLOCK] = cfg_xmalloc(FILL_BLOCK * sizeof(**blocks));
	d = &blocks[n / FILL_BLOCK][n % FILL_BLOCK];
	memset(d, 0, sizeof(*d));
	d->name = (const char *)&pool + r->name;
	d->type = r->type;
	d->defval = pool_str(r->defval);
	d->min = r->min;
	d->max = r->max;
	d->time_unit = r->time_unit;
	d->choices = pool_str(r->choices);
	d->flags = r->flags;
	d->desc = pool_str(r->desc);
	slot[i] = (unsigned short)(n + 1);
	return d;
}

/* row_index - the index of the row named name, or NPARAMS */
static size_t row_index(const char *name)
{
	size_t lo = 0, hi = NPARAMS;

	if (name == NULL)
		return NPARAMS;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		int c = strcmp(name, (const char *)&pool + rows[mid].name);

		if (c == 0)
			return mid;
		if (c < 0)
			hi = mid;
		else
			lo = mid + 1;
	}
	return NPARAMS;
}

/* cfg_registry_find - binary search by name */
const struct cfg_param_def *cfg_registry_find(const char *name)
{
	size_t i = row_index(name);

	return i < NPARAMS ? param_at(i) : NULL;
}

/* cfg_registry_index - the place of def in name order (its CFG_P_* id) */
size_t cfg_registry_index(const struct cfg_param_def *def)
{
	return row_index(def->name);
}

/* cfg_registry_count - number of built-in parameters */
size_t cfg_registry_count(void)
{
	return NPARAMS;
}

/* cfg_registry_at - the i-th parameter in name order, NULL past the end */
const struct cfg_param_def *cfg_registry_at(size_t i)
{
	return i < NPARAMS ? param_at(i) : NULL;
}

static const char *const type_names[CFG_T_COUNT] = {
    [CFG_T_STRING] = "string",     [CFG_T_RAW] = "raw",
    [CFG_T_BOOL] = "boolean",      [CFG_T_INT] = "integer",
    [CFG_T_LONG] = "long",         [CFG_T_SIZE] = "size",
    [CFG_T_TIME] = "time",         [CFG_T_LIST] = "list",
    [CFG_T_MAPS] = "maps",         [CFG_T_RESTRICTIONS] = "restrictions",
    [CFG_T_NETWORKS] = "networks", [CFG_T_PATH] = "path",
    [CFG_T_HOSTNAME] = "hostname", [CFG_T_DOMAIN] = "domain",
    [CFG_T_ENUM] = "enum",         [CFG_T_USER] = "user",
    [CFG_T_GROUP] = "group",       [CFG_T_COMPAT] = "compatibility-level",
};

/* cfg_ptype_name - type name for messages and export */
const char *cfg_ptype_name(enum cfg_ptype type)
{
	if ((unsigned)type >= CFG_T_COUNT || type_names[type] == NULL)
		return "unknown";
	return type_names[type];
}

/* word_in_bar_list - 1 when word is one of the '|'-separated alternatives */
static int word_in_bar_list(const char *list, const char *word, int nocase)
{
	size_t wlen = strlen(word);
	const char *p = list;

	for (;;) {
		const char *bar = strchr(p, '|');
		size_t len = bar ? (size_t)(bar - p) : strlen(p);

		if (len == wlen
		    && (nocase ? strncasecmp(p, word, len) : strncmp(p, word, len)) == 0)
			return 1;
		if (bar == NULL)
			return 0;
		p = bar + 1;
	}
}

/* cfg_param_has_choice - ENUM membership test */
int cfg_param_has_choice(const struct cfg_param_def *def, const char *word)
{
	if (def == NULL || def->choices == NULL || word == NULL)
		return 0;
	return word_in_bar_list(def->choices, word, (def->flags & CFG_PF_NOCASE) != 0);
}
