/* masterdef.c - master.cf tables built from schemas/master.def (see cfg/masterdef.h) */
#include "config.h"

#include <string.h>
#include <strings.h>

#include "cfg/schema/daemon.h"
#include "cfg/schema/masterdef.h"
#include "cfg/schema/registry.h"

#define YES 1
#define NO 0
#define AGENT CFG_DF_AGENT
#define TIMELIMIT CFG_DF_TIMELIMIT

static const struct {
	const char *name;
	const char *export_key;
} fields[CFG_MF_COUNT] = {
#define MASTER_FIELD(id, name, export_key) [CFG_MF_##id] = {name, export_key},
#include "../../schemas/master.def"
};

static const struct cfg_service_type_def types[] = {
#define SERVICE_TYPE(name, impl, note) {name, impl, note},
#include "../../schemas/master.def"
};

static const struct cfg_field_value_def values[] = {
#define FIELD_VALUE(field, value, impl, note) {CFG_MF_##field, value, impl, note},
#include "../../schemas/master.def"
    {0, NULL, 0, NULL}, /* the end; master.def may have no rows (C has no empty arrays) */
};

static const char *const client_services[] = {
#define CLIENT_SERVICE(name) name,
#include "../../schemas/master.def"
    NULL,
};

static const struct cfg_service_param_template templates[] = {
#define SERVICE_PARAM(suffix, type, defval, who) {suffix, CFG_T_##type, defval, who},
#include "../../schemas/master.def"
};

#define NTYPES (sizeof(types) / sizeof(types[0]))

/* cfg_master_field_name - Postfix's name of a column */
const char *cfg_master_field_name(enum cfg_master_field f)
{
	return (unsigned)f < CFG_MF_COUNT ? fields[f].name : NULL;
}

/* cfg_master_field_export_key - the export key of a column */
const char *cfg_master_field_export_key(enum cfg_master_field f)
{
	return (unsigned)f < CFG_MF_COUNT ? fields[f].export_key : NULL;
}

/* cfg_master_field_by_name - a column by its Postfix name */
enum cfg_master_field cfg_master_field_by_name(const char *name)
{
	unsigned f;

	for (f = 0; name != NULL && f < CFG_MF_COUNT; f++)
		if (strcmp(fields[f].name, name) == 0)
			break;
	return name != NULL ? (enum cfg_master_field)f : CFG_MF_COUNT;
}

/* cfg_master_field_by_export_key - a column by its export key */
enum cfg_master_field cfg_master_field_by_export_key(const char *key)
{
	unsigned f;

	for (f = 0; key != NULL && f < CFG_MF_COUNT; f++)
		if (strcmp(fields[f].export_key, key) == 0)
			break;
	return key != NULL ? (enum cfg_master_field)f : CFG_MF_COUNT;
}

/* cfg_service_type_find - a service type's row */
const struct cfg_service_type_def *cfg_service_type_find(const char *name)
{
	for (size_t i = 0; name != NULL && i < NTYPES; i++)
		if (strcmp(types[i].name, name) == 0)
			return &types[i];
	return NULL;
}

/* cfg_service_type_at - the i-th service type */
const struct cfg_service_type_def *cfg_service_type_at(size_t i)
{
	return i < NTYPES ? &types[i] : NULL;
}

/* cfg_field_value_find - the row of a column value postkit singles out */
const struct cfg_field_value_def *cfg_field_value_find(enum cfg_master_field field,
                                                       const char *value)
{
	for (size_t i = 0; value != NULL && values[i].value != NULL; i++)
		if (values[i].field == field && strcasecmp(values[i].value, value) == 0)
			return &values[i];
	return NULL;
}

/* cfg_field_value_at - the i-th column value row */
const struct cfg_field_value_def *cfg_field_value_at(size_t i)
{
	for (size_t k = 0; k < i; k++)
		if (values[k].value == NULL)
			return NULL;
	return values[i].value ? &values[i] : NULL;
}

/* cfg_client_services - the CLIENT_SERVICE rows */
const char *const *cfg_client_services(void)
{
	return client_services;
}

/* cfg_service_param_templates - the SERVICE_PARAM rows */
const struct cfg_service_param_template *cfg_service_param_templates(size_t *n)
{
	if (n)
		*n = sizeof(templates) / sizeof(templates[0]);
	return templates;
}

/* cfg_service_template_applies - command's daemon has one of t's flags */
int cfg_service_template_applies(const struct cfg_service_param_template *t, const char *command)
{
	const struct cfg_daemon_def *d = cfg_daemon_find(command);

	return t != NULL && d != NULL && (d->flags & t->who) != 0;
}
