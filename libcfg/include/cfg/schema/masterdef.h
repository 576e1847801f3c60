/*
 * masterdef.h - what master.cf may hold, from schemas/master.def
 *
 * The columns (their Postfix names and export keys), the service types,
 * the column values postkit does not honour, and the service-defined
 * parameter templates (declared in cfg/registry.h).  The master.cf parser,
 * the editors, export/import, postfix check and master read these tables.
 */
#ifndef CFG_MASTERDEF_H
#define CFG_MASTERDEF_H

#include <stddef.h>

#include "cfg/schema/ids.h"

/* cfg_master_field_name - the name Postfix gives a column ("process_limit"), NULL if out of range */
const char *cfg_master_field_name(enum cfg_master_field f);
/* cfg_master_field_export_key - the key of a column in export documents ("maxproc") */
const char *cfg_master_field_export_key(enum cfg_master_field f);
/* cfg_master_field_by_name - the column Postfix calls name, or CFG_MF_COUNT */
enum cfg_master_field cfg_master_field_by_name(const char *name);
/* cfg_master_field_by_export_key - the column of an export key, or CFG_MF_COUNT */
enum cfg_master_field cfg_master_field_by_export_key(const char *key);

struct cfg_service_type_def {
	const char *name; /* "inet" */
	int impl;         /* 1 when postkit's master serves it */
	const char *note; /* what is missing (impl 0), or NULL */
};

/* cfg_service_type_find - the row of a service type, or NULL when Postfix has no such type */
const struct cfg_service_type_def *cfg_service_type_find(const char *name);
/* cfg_service_type_at - the i-th row, NULL past the end */
const struct cfg_service_type_def *cfg_service_type_at(size_t i);

struct cfg_field_value_def {
	enum cfg_master_field field;
	const char *value; /* "y" */
	int impl;          /* 0: a service with this value is refused */
	const char *note;
};

/* cfg_field_value_find - the row for a column value (case-insensitive), or NULL (honoured) */
const struct cfg_field_value_def *cfg_field_value_find(enum cfg_master_field field,
                                                       const char *value);
/* cfg_field_value_at - the i-th row, NULL past the end */
const struct cfg_field_value_def *cfg_field_value_at(size_t i);

/* cfg_client_services - services Postfix programs connect to by name, NULL-terminated */
const char *const *cfg_client_services(void);

#endif
