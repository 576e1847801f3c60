/*
 * tabletype.h - the lookup table types, from schemas/tabletypes.def
 *
 * One const row per table type Postfix 3.7 knows (plus postkit's gdbm),
 * sorted by name: what the name after the colon is, the index suffix of
 * indexed types, what the type can do (CFG_MAPT_* of cfg/map.h) and whether
 * postkit implements it.  The map dispatcher, postconf -m, postfix check
 * and `postfix check --unsupported` read this table.
 */
#ifndef CFG_TABLETYPE_H
#define CFG_TABLETYPE_H

#include <stddef.h>

/* what a table type can do (the caps column; cfg_map_type_caps() in cfg/map/map.h) */
#define CFG_MAPT_FIXED 0x01u   /* exact-string keys (folding applies) */
#define CFG_MAPT_PATTERN 0x02u /* pattern table: full-key queries only */
#define CFG_MAPT_BUILD 0x04u   /* postmap can build it from a source file */
#define CFG_MAPT_UPDATE 0x08u  /* update/delete supported */
#define CFG_MAPT_SEQ 0x10u     /* sequence (postmap -s) supported */
#define CFG_MAPT_RDONLY 0x20u  /* cannot even be opened for update (postmap -d) */

/* what NAME in TYPE:NAME is */
enum cfg_table_file {
	CFG_TF_NONE = 0, /* no file: a value, an address, other tables */
	CFG_TF_SOURCE,   /* a text file read when the table opens */
	CFG_TF_INDEXED,  /* the source of an index NAME+index that postmap builds */
	CFG_TF_CLIENT,   /* a client configuration file when NAME starts with '/' */
};

struct cfg_table_type_def {
	const char *name;
	enum cfg_table_file file;
	const char *index; /* ".db" for INDEXED types, else "" */
	unsigned caps;     /* CFG_MAPT_* */
	int impl;          /* 1 when postkit implements it */
	const char *note;  /* what is missing (impl 0), or NULL */
};

/* cfg_table_type_find - the row of a type name (exact), or NULL */
const struct cfg_table_type_def *cfg_table_type_find(const char *name);
/* cfg_table_type_at - the i-th row in name order, NULL past the end */
const struct cfg_table_type_def *cfg_table_type_at(size_t i);

/* cfg_table_type_names - every type name ("btree", "cdb", ...), NULL-terminated */
const char *const *cfg_table_type_names(void);

#endif
