/*
 * restriction.c - the restriction table built from schemas/restrictions.def
 * (see cfg/restriction.h)
 */
#include "config.h"

#include <stddef.h>

#include <strings.h>

#include "cfg/schema/restriction.h"
#include "schema_int.h"

/* the column words of the .def file, as C values */
#define RA_NONE CFG_RA_NONE
#define RA_TABLE CFG_RA_TABLE
#define RA_POLICY CFG_RA_POLICY
#define RA_DOMAIN CFG_RA_DOMAIN
#define RA_NUMBER CFG_RA_NUMBER
#define RN_ANY CFG_RN_ANY
#define RN_HELO CFG_RN_HELO
#define RN_SENDER CFG_RN_SENDER
#define RN_RCPT CFG_RN_RCPT
#define RN_ETRN CFG_RN_ETRN
#define RN_DATA CFG_RN_DATA
#define RN_SASL CFG_RN_SASL
#define RN_TLS CFG_RN_TLS
#define FINAL CFG_RF_FINAL
#define PERMIT CFG_RF_PERMIT
#define GUARD CFG_RF_GUARD
#define RELAY CFG_RF_RELAY
#define SPOOFABLE CFG_RF_SPOOFABLE
#define MXBACKUP CFG_RF_MXBACKUP
#define WARN CFG_RF_WARN
#define LHRC CFG_RF_LHRC
#define PSCREEN CFG_RF_PSCREEN
#define NOTSMTPD CFG_RF_NOTSMTPD
#define YES 1
#define NO 0

static const struct cfg_restriction_def rows[] = {
#define RESTRICTION(id, name, arg, needs, flags, impl, deprecated)                                 \
	{CFG_R_##id, name, RA_##arg, RN_##needs, flags, impl, deprecated},
#define RESTRICTION_LIST(param, stage, default_access)
#include "../../schemas/restrictions.def"
#undef RESTRICTION
#undef RESTRICTION_LIST
};

static const struct cfg_restriction_list_def lists[] = {
#define RESTRICTION(id, name, arg, needs, flags, impl, deprecated)
#define RESTRICTION_LIST(param, stage, default_access)                                             \
	{param, CFG_STAGE_##stage, CFG_R_##default_access},
#include "../../schemas/restrictions.def"
#undef RESTRICTION
#undef RESTRICTION_LIST
};

static const char *const names[] = {
#define RESTRICTION(id, name, arg, needs, flags, impl, deprecated) name,
#define RESTRICTION_LIST(param, stage, default_access)
#include "../../schemas/restrictions.def"
#undef RESTRICTION
#undef RESTRICTION_LIST
    NULL,
};

#define NROWS (sizeof(rows) / sizeof(rows[0]))
#define NLISTS (sizeof(lists) / sizeof(lists[0]))

/* cfg_restriction_find - binary search ignoring case (the file is in name order) */
const struct cfg_restriction_def *cfg_restriction_find(const char *name)
{
	return cfgp_rows_find(rows, NROWS, sizeof(rows[0]),
	                      offsetof(struct cfg_restriction_def, name), name, 1);
}

/* cfg_restriction_get - the row of an id */
const struct cfg_restriction_def *cfg_restriction_get(enum cfg_restriction_id id)
{
	return (size_t)id < NROWS ? &rows[id] : NULL;
}

/* cfg_restriction_count - the number of rows */
size_t cfg_restriction_count(void)
{
	return NROWS;
}

/* cfg_restriction_list_find - the row of a restriction-list parameter */
const struct cfg_restriction_list_def *cfg_restriction_list_find(const char *param)
{
	for (size_t i = 0; param != NULL && i < NLISTS; i++)
		if (strcasecmp(lists[i].param, param) == 0)
			return &lists[i];
	return NULL;
}

/* cfg_restriction_list_at - the i-th restriction-list parameter */
const struct cfg_restriction_list_def *cfg_restriction_list_at(size_t i)
{
	return i < NLISTS ? &lists[i] : NULL;
}

/* cfg_restriction_names - every restriction name, in name order */
const char *const *cfg_restriction_names(void)
{
	return names;
}
