/*
 * registry.c - the const parameter table built from schemas/params.def,
 * binary-search lookup, and the service-defined parameter templates
 */
#include "config.h"

#include <stddef.h>

#include <string.h>
#include <strings.h>

#include "cfg/schema/registry.h"
#include "schema_int.h"

/*
 * The table: one row per PARAM() line of params.def, in the file's order,
 * which is strcmp() order (the unit tests verify that).  The include path
 * is relative to this file so VPATH and distcheck builds find it.
 */
#define PARAM(name, type, defval, min, max, unit, choices, flags, desc)                            \
	{name, CFG_T_##type, defval, min, max, unit, choices, flags, desc},
static const struct cfg_param_def params[] = {
#include "../../schemas/params.def"
};
#undef PARAM

#define NPARAMS (sizeof(params) / sizeof(params[0]))

/* cfg_registry_find - binary search by name */
const struct cfg_param_def *cfg_registry_find(const char *name)
{
	return cfgp_rows_find(params, NPARAMS, sizeof(params[0]),
	                      offsetof(struct cfg_param_def, name), name, 0);
}

/* cfg_registry_count - number of built-in parameters */
size_t cfg_registry_count(void)
{
	return NPARAMS;
}

/* cfg_registry_at - the i-th parameter in name order, NULL past the end */
const struct cfg_param_def *cfg_registry_at(size_t i)
{
	return i < NPARAMS ? &params[i] : NULL;
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
