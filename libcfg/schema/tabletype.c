/* tabletype.c - the table-type table built from schemas/tabletypes.def (see cfg/tabletype.h) */
#include "config.h"

#include <stddef.h>

#include <string.h>

#include "cfg/schema/tabletype.h"
#include "schema_int.h"

#define TF_NONE CFG_TF_NONE
#define TF_SOURCE CFG_TF_SOURCE
#define TF_INDEXED CFG_TF_INDEXED
#define TF_CLIENT CFG_TF_CLIENT
#define FIXED CFG_MAPT_FIXED
#define PATTERN CFG_MAPT_PATTERN
#define BUILD CFG_MAPT_BUILD
#define UPDATE CFG_MAPT_UPDATE
#define SEQ CFG_MAPT_SEQ
#define RDONLY CFG_MAPT_RDONLY
#define YES 1
#define NO 0

static const struct cfg_table_type_def rows[] = {
#define TABLE_TYPE(name, file, index, caps, impl, note) {name, TF_##file, index, caps, impl, note},
#include "../../schemas/tabletypes.def"
#undef TABLE_TYPE
};

static const char *const names[] = {
#define TABLE_TYPE(name, file, index, caps, impl, note) name,
#include "../../schemas/tabletypes.def"
#undef TABLE_TYPE
    NULL,
};

#define NROWS (sizeof(rows) / sizeof(rows[0]))

/* cfg_table_type_find - binary search (the file is in name order) */
const struct cfg_table_type_def *cfg_table_type_find(const char *name)
{
	return cfgp_rows_find(rows, NROWS, sizeof(rows[0]),
	                      offsetof(struct cfg_table_type_def, name), name, 0);
}

/* cfg_table_type_at - the i-th row */
const struct cfg_table_type_def *cfg_table_type_at(size_t i)
{
	return i < NROWS ? &rows[i] : NULL;
}

/* cfg_table_type_names - every type name, in name order */
const char *const *cfg_table_type_names(void)
{
	return names;
}
