/*
 * support.c - what postkit implements, asked of the tables of schemas/ (see cfg/support.h)
 */
#include "config.h"

#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "cfg/schema/daemon.h"
#include "cfg/io/json.h"
#include "cfg/param/list.h"
#include "cfg/param/units.h"
#include "cfg/schema/masterdef.h"
#include "cfg/schema/restriction.h"
#include "cfg/base/strvec.h"
#include "cfg/check/support.h"
#include "cfg/schema/tabletype.h"

/* values postkit behaves as for parameters it does not implement */
static const struct {
	const char *name;
	const char *value;
} behaves_as[] = {
#define PARAM_VALUE(name, value) {name, value},
#define PARAM_GUARD(name, guard)
#include "../../schemas/params_values.def"
#undef PARAM_GUARD
#undef PARAM_VALUE
};

/* parameters whose default postkit does not honour while a guard parameter is on */
static const struct cfg_param_guard guards[] = {
#define PARAM_VALUE(name, value)
#define PARAM_GUARD(name, guard) {name, guard},
#include "../../schemas/params_values.def"
#undef PARAM_GUARD
#undef PARAM_VALUE
};

const struct cfg_param_guard *cfg_param_guard_at(size_t i)
{
	return i < sizeof(guards) / sizeof(guards[0]) ? &guards[i] : NULL;
}

const char *cfg_param_behaves_as(const struct cfg_param_def *def)
{
	for (size_t i = 0; def != NULL && i < sizeof(behaves_as) / sizeof(behaves_as[0]); i++)
		if (strcmp(behaves_as[i].name, def->name) == 0)
			return behaves_as[i].value;
	return NULL;
}

enum cfg_support cfg_param_support(const struct cfg_param_def *def)
{
	if (def == NULL)
		return CFG_SUPPORT_NO;
	if (def->flags & CFG_PF_IMPL)
		return CFG_SUPPORT_IMPL;
	if (def->flags & CFG_PF_INERT)
		return CFG_SUPPORT_INERT;
	if (def->flags & CFG_PF_TUNING)
		return CFG_SUPPORT_TUNING;
	return CFG_SUPPORT_NO;
}

/* normalize - value in a form that compares equal for equal meanings of def's type */
static void normalize(const struct cfg_param_def *def, const char *value, struct cfg_buf *out)
{
	struct cfg_strvec w;
	long n;
	char *end;

	cfg_buf_reset(out);
	switch (def->type) {
	case CFG_T_BOOL:
		if (strcasecmp(value, "yes") == 0 || strcasecmp(value, "true") == 0)
			cfg_buf_adds(out, "yes");
		else if (strcasecmp(value, "no") == 0 || strcasecmp(value, "false") == 0)
			cfg_buf_adds(out, "no");
		else
			cfg_buf_adds(out, value);
		return;
	case CFG_T_INT:
	case CFG_T_LONG:
	case CFG_T_SIZE:
		errno = 0;
		n = strtol(value, &end, 10);
		if (errno == 0 && end != value && *end == '\0')
			cfg_buf_printf(out, "%ld", n);
		else
			cfg_buf_adds(out, value);
		return;
	case CFG_T_TIME:
		if (cfg_time_parse(value, def->time_unit ? def->time_unit : 's', &n) == 0)
			cfg_buf_printf(out, "%lds", n);
		else
			cfg_buf_adds(out, value);
		return;
	default:
		break;
	}
	/* text and lists: the words, one space apart (case too for case-blind choices) */
	cfg_strvec_init(&w);
	cfg_list_tokens(value,
	                def->type == CFG_T_STRING || def->type == CFG_T_RAW ? " \t\r\n"
	                                                                    : CFG_LIST_SEPARATORS,
	                &w);
	for (size_t i = 0; i < w.n; i++) {
		if (i)
			cfg_buf_addc(out, ' ');
		cfg_buf_adds(out, w.v[i]);
	}
	if (def->flags & CFG_PF_NOCASE)
		for (size_t i = 0; i < out->len; i++)
			out->data[i] = (char)tolower((unsigned char)out->data[i]);
	cfg_strvec_fini(&w);
}

/* same_value - a and b mean the same for def */
static int same_value(const struct cfg_param_def *def, const char *a, const char *b)
{
	struct cfg_buf na, nb;
	int same;

	cfg_buf_init(&na);
	cfg_buf_init(&nb);
	normalize(def, a, &na);
	normalize(def, b, &nb);
	same = strcmp(na.data, nb.data) == 0;
	cfg_buf_fini(&na);
	cfg_buf_fini(&nb);
	return same;
}

int cfg_param_value_honoured(const struct cfg_param_def *def, const char *value, const char *dflt,
                             struct cfg_buf *accepted)
{
	int ok = dflt != NULL && same_value(def, value, dflt);

	if (accepted)
		cfg_buf_printf(accepted, "its default \"%s\"", def->defval ? def->defval : "");
	for (size_t i = 0; i < sizeof(behaves_as) / sizeof(behaves_as[0]); i++) {
		if (strcmp(behaves_as[i].name, def->name) != 0)
			continue;
		if (same_value(def, value, behaves_as[i].value))
			ok = 1;
		if (accepted && !(dflt && same_value(def, behaves_as[i].value, dflt)))
			cfg_buf_printf(accepted, " or \"%s\"", behaves_as[i].value);
	}
	return ok;
}

/* the kinds of the unsupported list, in order */
enum kind { K_RESTRICTION, K_TABLE, K_DAEMON, K_TYPE, K_VALUE, K_PARAM, K_END };

/* row_of - the i-th row of kind k that postkit does not implement; 1 found, 0 past the end */
static int row_of(enum kind k, size_t i, struct cfg_unsupported *row)
{
	static const char refused[] = "refused", ignored[] = "ignored";
	size_t n = 0;

	for (size_t j = 0;; j++) {
		const struct cfg_restriction_def *r;
		const struct cfg_table_type_def *t;
		const struct cfg_daemon_def *d;
		const struct cfg_service_type_def *st;
		const struct cfg_field_value_def *fv;
		const struct cfg_param_def *p;

		row->action = refused;
		row->note = NULL;
		row->value = NULL;
		switch (k) {
		case K_RESTRICTION:
			if ((r = cfg_restriction_get((enum cfg_restriction_id)j)) == NULL)
				return 0;
			if (r->impl)
				continue;
			row->kind = "restriction";
			row->name = r->name;
			break;
		case K_TABLE:
			if ((t = cfg_table_type_at(j)) == NULL)
				return 0;
			if (t->impl)
				continue;
			row->kind = "table type";
			row->name = t->name;
			row->note = t->note;
			break;
		case K_DAEMON:
			if ((d = cfg_daemon_at(j)) == NULL)
				return 0;
			if (d->impl)
				continue;
			row->kind = "master.cf command";
			row->name = d->command;
			row->note = d->desc;
			break;
		case K_TYPE:
			if ((st = cfg_service_type_at(j)) == NULL)
				return 0;
			if (st->impl)
				continue;
			row->kind = "master.cf service type";
			row->name = st->name;
			row->note = st->note;
			break;
		case K_VALUE:
			if ((fv = cfg_field_value_at(j)) == NULL)
				return 0;
			if (fv->impl)
				continue;
			row->kind = "master.cf column";
			row->name = cfg_master_field_name(fv->field);
			row->value = fv->value;
			row->note = fv->note;
			break;
		case K_PARAM:
			if ((p = cfg_registry_at(j)) == NULL)
				return 0;
			if (p->flags & CFG_PF_LEGACY)
				continue;
			if (cfg_param_support(p) == CFG_SUPPORT_TUNING) {
				row->action = ignored;
				row->note = "performance tuning only";
			} else if (cfg_param_support(p) != CFG_SUPPORT_NO) {
				continue;
			}
			row->kind = "parameter";
			row->name = p->name;
			break;
		case K_END:
			return 0;
		}
		if (n++ == i)
			return 1;
	}
}

const struct cfg_unsupported *cfg_unsupported_at(size_t i, struct cfg_unsupported *row)
{
	for (enum kind k = K_RESTRICTION; k < K_END; k++) {
		size_t n = 0;

		while (row_of(k, n, row))
			n++;
		if (i < n)
			return row_of(k, i, row) ? row : NULL;
		i -= n;
	}
	return NULL;
}

void cfg_unsupported_render_text(struct cfg_buf *out)
{
	struct cfg_unsupported row;

	for (size_t i = 0; cfg_unsupported_at(i, &row) != NULL; i++) {
		const char *v = row.value;

		cfg_buf_printf(
		    out, "%s %s%s%s: %s%s%s%s\n", row.kind, row.name, v ? " = " : "", v ? v : "",
		    strcmp(row.action, "refused") == 0 ? "not implemented by postkit"
		                                       : "accepted and ignored by postkit",
		    row.note ? " (" : "", row.note ? row.note : "", row.note ? ")" : "");
	}
}

void cfg_unsupported_render_json(struct cfg_buf *out)
{
	struct cfg_json *arr = cfg_json_array();
	struct cfg_unsupported row;

	for (size_t i = 0; cfg_unsupported_at(i, &row) != NULL; i++) {
		struct cfg_json *o = cfg_json_object();
		const char *v = row.value;

		cfg_json_object_set(o, "kind", cfg_json_string(row.kind));
		cfg_json_object_set(o, "name", cfg_json_string(row.name));
		cfg_json_object_set(o, "value", v ? cfg_json_string(v) : cfg_json_null());
		cfg_json_object_set(o, "action", cfg_json_string(row.action));
		cfg_json_object_set(o, "note",
		                    row.note ? cfg_json_string(row.note) : cfg_json_null());
		cfg_json_array_append(arr, o);
	}
	cfg_json_dump(arr, CFG_JSON_PRETTY, out);
	cfg_buf_addc(out, '\n');
	cfg_json_free(arr);
}
