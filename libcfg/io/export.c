/*
 * export.c - a loaded configuration as a typed, ordered JSON tree
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "cfg/base/buf.h"
#include "cfg/config/effective.h"
#include "cfg/io/export.h"
#include "cfg/io/json.h"
#include "cfg/doc/maincf.h"
#include "cfg/doc/mastercf.h"
#include "cfg/schema/registry.h"
#include "cfg/base/strvec.h"

/* cfg_export_is_list_type - 1 when the registry type is exported as an array when it can be */
int cfg_export_is_list_type(const struct cfg_param_def *def)
{
	if (def == NULL)
		return 0;
	switch (def->type) {
	case CFG_T_LIST:
	case CFG_T_MAPS:
	case CFG_T_RESTRICTIONS:
	case CFG_T_NETWORKS:
		return 1;
	default:
		return 0;
	}
}

/* plain_integer - 1 when s is "0" or digits without a leading zero, short enough for a long long */
static int plain_integer(const char *s)
{
	size_t n = strlen(s);

	if (n == 0 || n > 15 || strspn(s, "0123456789") != n)
		return 0;
	return n == 1 || s[0] != '0';
}

/* list_value - an array when value is exactly words joined by ", " (no braces), else NULL */
static struct cfg_json *list_value(const char *value)
{
	struct cfg_strvec words;
	struct cfg_json *arr = NULL;
	char *joined;

	if (strchr(value, '{') || strchr(value, '}'))
		return NULL;
	cfg_strvec_init(&words);
	cfg_strvec_split(&words, value, ", \t\r\n");
	joined = cfg_strvec_join(&words, ", ");
	if (words.n > 0 && strcmp(joined, value) == 0) {
		arr = cfg_json_array();
		for (size_t i = 0; i < words.n; i++)
			cfg_json_array_append(arr, cfg_json_string(words.v[i]));
	}
	free(joined);
	cfg_strvec_fini(&words);
	return arr;
}

/* cfg_export_value - the typed JSON value of a setting of name */
struct cfg_json *cfg_export_value(const char *name, const char *value)
{
	const struct cfg_param_def *def = cfg_registry_find(name);
	struct cfg_json *j;

	if (def != NULL) {
		switch (def->type) {
		case CFG_T_BOOL:
			if (strcmp(value, "yes") == 0)
				return cfg_json_bool(1);
			if (strcmp(value, "no") == 0)
				return cfg_json_bool(0);
			break;
		case CFG_T_INT:
		case CFG_T_LONG:
			/* a number only inside the parameter's range, so that every export
			 * validates against the schema; an out-of-range value stays text */
			if (plain_integer(value)) {
				long long v = strtoll(value, NULL, 10);

				if ((def->min == CFG_NOMIN || v >= def->min)
				    && (def->max == CFG_NOMAX || v <= def->max))
					return cfg_json_integer(v);
			}
			break;
		default:
			if (cfg_export_is_list_type(def) && (j = list_value(value)) != NULL)
				return j;
			break;
		}
	}
	return cfg_json_string(value);
}

/* add_master - the master.cf services in file order */
static void add_master(struct cfg_json *doc, const struct cfg_config *cfg, unsigned flags)
{
	const struct cfg_mastercf *mf = cfg_config_mastercf(cfg);
	struct cfg_json *arr = cfg_json_array();

	for (size_t i = 0; mf != NULL && i < mf->nsvcs; i++) {
		const struct cfg_service *svc = &mf->svcs[i];
		struct cfg_json *o = cfg_json_object(), *args = cfg_json_array();
		struct cfg_json *ovr = cfg_json_object();

		for (int f = 0; f < CFG_MF_COMMAND; f++)
			cfg_json_object_set(o,
			                    cfg_master_field_export_key((enum cfg_master_field)f),
			                    cfg_json_string(svc->field[f]));
		cfg_json_object_set(o, "command",
		                    cfg_json_string(svc->argv.n > 0 ? svc->argv.v[0] : ""));
		for (size_t a = 1; a < svc->argv.n; a++)
			cfg_json_array_append(args, cfg_json_string(svc->argv.v[a]));
		cfg_json_object_set(o, "args", args);
		for (size_t k = 0; k < svc->novr; k++)
			cfg_json_object_set(ovr, svc->ovr[k].name,
			                    cfg_export_value(svc->ovr[k].name, svc->ovr[k].value));
		cfg_json_object_set(o, "overrides", ovr);
		if (flags & CFG_EXPORT_SOURCE) {
			struct cfg_buf b;

			cfg_buf_init(&b);
			cfg_buf_printf(&b, "master.cf:%u", svc->line);
			cfg_json_object_set(o, "source", cfg_json_string(b.data));
			cfg_buf_fini(&b);
		}
		cfg_json_array_append(arr, o);
	}
	cfg_json_object_set(doc, "master", arr);
}

/* add_user_defined - "user_defined": the set names that nothing uses, so import keeps them */
static void add_user_defined(struct cfg_json *doc, const struct cfg_config *cfg, unsigned flags)
{
	const struct cfg_maincf *mc = cfg_config_maincf(cfg);
	const struct cfg_mastercf *mf = cfg_config_mastercf(cfg);
	struct cfg_strvec names;
	struct cfg_json *arr;

	cfg_strvec_init(&names);
	for (size_t i = 0; mc != NULL && i < mc->nents; i++)
		if (!cfg_config_is_used(cfg, mc->ents[i].name))
			cfg_strvec_add(&names, mc->ents[i].name);
	for (size_t i = 0; (flags & CFG_EXPORT_NO_MASTER) == 0 && mf != NULL && i < mf->nsvcs; i++)
		for (size_t k = 0; k < mf->svcs[i].novr; k++)
			if (!cfg_config_is_used(cfg, mf->svcs[i].ovr[k].name))
				cfg_strvec_add(&names, mf->svcs[i].ovr[k].name);
	if (names.n > 0) {
		cfg_strvec_sort(&names);
		arr = cfg_json_array();
		for (size_t i = 0; i < names.n; i++)
			if (i == 0 || strcmp(names.v[i], names.v[i - 1]) != 0)
				cfg_json_array_append(arr, cfg_json_string(names.v[i]));
		cfg_json_object_set(doc, "user_defined", arr);
	}
	cfg_strvec_fini(&names);
}

/* main_names - the names to export, sorted */
static void main_names(const struct cfg_config *cfg, unsigned flags, struct cfg_strvec *out)
{
	const struct cfg_maincf *mc = cfg_config_maincf(cfg);

	if (flags & CFG_EXPORT_DEFAULTS) {
		/* what postconf -d lists: built-ins and the parameters master.cf services define */
		cfg_config_names(cfg, CFG_CLASS_BUILTIN | CFG_CLASS_SERVICE, out);
		return;
	}
	if (flags & CFG_EXPORT_ALL) {
		cfg_config_names(cfg, CFG_CLASS_ALL, out);
	} else {
		/* what postconf -n lists (-o overrides included), but config_directory only when
		 * main.cf sets it: -c DIR names where the files are, not a setting to carry */
		struct cfg_strvec expl;

		cfg_strvec_init(&expl);
		cfg_config_explicit_names(cfg, CFG_CLASS_ALL, &expl);
		for (size_t i = 0; i < expl.n; i++)
			if (strcmp(expl.v[i], "config_directory") != 0
			    || (mc != NULL && cfg_maincf_get(mc, expl.v[i]) != NULL))
				cfg_strvec_add(out, expl.v[i]);
		cfg_strvec_fini(&expl);
	}
	/* every main.cf setting, used or not, so that nothing is lost */
	for (size_t i = 0; mc != NULL && i < mc->nents; i++)
		if (cfg_maincf_get(mc, mc->ents[i].name) == &mc->ents[i])
			cfg_strvec_add(out, mc->ents[i].name);
	cfg_strvec_sort(out);
	/* drop duplicates */
	size_t w = 0;
	for (size_t r = 0; r < out->n; r++) {
		if (w > 0 && strcmp(out->v[w - 1], out->v[r]) == 0) {
			free(out->v[r]);
			continue;
		}
		out->v[w++] = out->v[r];
	}
	out->n = w;
}

/* cfg_export_build - the export document of cfg */
struct cfg_json *cfg_export_build(const struct cfg_config *cfg, unsigned flags,
                                  struct cfg_diags *diags)
{
	struct cfg_json *doc = cfg_json_object(), *main = cfg_json_object();
	struct cfg_json *exp = NULL, *src = NULL;
	const struct cfg_maincf *mc = cfg_config_maincf(cfg);
	struct cfg_strvec names;
	struct cfg_buf b;

	cfg_strvec_init(&names);
	cfg_buf_init(&b);
	main_names(cfg, flags, &names);
	if (flags & CFG_EXPORT_EXPAND)
		exp = cfg_json_object();
	if (flags & CFG_EXPORT_SOURCE)
		src = cfg_json_object();
	for (size_t i = 0; i < names.n; i++) {
		const char *name = names.v[i], *val;
		const struct cfg_param_def *def;

		if (flags & CFG_EXPORT_DEFAULTS)
			val = cfg_config_default(cfg, name);
		else if (flags & CFG_EXPORT_ALL)
			val = cfg_config_value(cfg, name);
		else if ((val = cfg_config_explicit(cfg, name)) == NULL)
			val = mc ? cfg_maincf_value(mc, name) : NULL;
		if (val == NULL)
			val = cfg_config_value(cfg, name);
		def = cfg_registry_find(name);
		if (val == NULL)
			continue;
		/* process_id, process_name and service_name are the running process's own: a
		 * listing of every parameter leaves them out (main.cf may still set them) */
		if (def != NULL && (def->flags & (CFG_PF_PROCDEP | CFG_PF_READONLY))
		    && (flags & (CFG_EXPORT_DEFAULTS | CFG_EXPORT_ALL)))
			continue;
		cfg_json_object_set(main, name, cfg_export_value(name, val));
		if (exp != NULL && def != NULL && def->type == CFG_T_RAW) {
			/* templates, filters, commands: Postfix never expands them (postconf -x) */
			cfg_json_object_set(exp, name, cfg_json_string(val));
		} else if (exp != NULL) {
			cfg_buf_reset(&b);
			(void)cfg_config_expand(cfg, val, &b, diags);
			cfg_json_object_set(exp, name,
			                    cfg_json_stringn(b.data ? b.data : "", b.len));
		}
		if (src != NULL && mc != NULL && (flags & CFG_EXPORT_DEFAULTS) == 0) {
			const struct cfg_maincf_entry *e = cfg_maincf_get(mc, name);

			if (e != NULL) {
				cfg_buf_reset(&b);
				cfg_buf_printf(&b, "main.cf:%u", e->line);
				cfg_json_object_set(src, name, cfg_json_string(b.data));
			}
		}
	}
	cfg_json_object_set(doc, "format", cfg_json_string(CFG_EXPORT_FORMAT));
	cfg_json_object_set(doc, "version", cfg_json_integer(CFG_EXPORT_VERSION));
	cfg_json_object_set(doc, "main", main);
	if (exp != NULL)
		cfg_json_object_set(doc, "expanded", exp);
	if (src != NULL)
		cfg_json_object_set(doc, "sources", src);
	if ((flags & CFG_EXPORT_NO_MASTER) == 0)
		add_master(doc, cfg, flags);
	if ((flags & CFG_EXPORT_DEFAULTS) == 0)
		add_user_defined(doc, cfg, flags);
	cfg_buf_fini(&b);
	cfg_strvec_fini(&names);
	return doc;
}
