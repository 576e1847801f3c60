/*
 * gen_schema.c - print the JSON Schema (draft 2020-12) of postconf --export
 *
 * Run at build time; the parameter registry is the only list of names and
 * types, so the schema can never disagree with it.  Each built-in parameter
 * gets a property whose shape follows its type (see cfg/export.h); other
 * names (user-defined, service-defined) are free-form strings.
 */
#include "config.h"

#include <stdio.h>

#include "cfg/base/buf.h"
#include "cfg/io/export.h"
#include "cfg/io/json.h"
#include "cfg/schema/registry.h"

/* ref - {"$ref": "#/$defs/NAME"} */
static struct cfg_json *ref(const char *name)
{
	struct cfg_json *o = cfg_json_object();
	struct cfg_buf b;

	cfg_buf_init(&b);
	cfg_buf_printf(&b, "#/$defs/%s", name);
	cfg_json_object_set(o, "$ref", cfg_json_string(b.data));
	cfg_buf_fini(&b);
	return o;
}

/* typed - {"type": t} */
static struct cfg_json *typed(const char *t)
{
	struct cfg_json *o = cfg_json_object();

	cfg_json_object_set(o, "type", cfg_json_string(t));
	return o;
}

/* any_of - {"anyOf": [a, b]} (both taken) */
static struct cfg_json *any_of(struct cfg_json *a, struct cfg_json *b)
{
	struct cfg_json *o = cfg_json_object(), *arr = cfg_json_array();

	cfg_json_array_append(arr, a);
	cfg_json_array_append(arr, b);
	cfg_json_object_set(o, "anyOf", arr);
	return o;
}

/* param_schema - the schema of one built-in parameter's value */
static struct cfg_json *param_schema(const struct cfg_param_def *d)
{
	struct cfg_json *o;

	switch (d->type) {
	case CFG_T_BOOL:
		o = ref("boolean");
		break;
	case CFG_T_INT:
	case CFG_T_LONG: {
		struct cfg_json *n = typed("integer");

		if (d->min != CFG_NOMIN && d->min >= 0)
			cfg_json_object_set(n, "minimum", cfg_json_integer(d->min));
		if (d->max != CFG_NOMAX)
			cfg_json_object_set(n, "maximum", cfg_json_integer(d->max));
		o = any_of(n, ref("string"));
		break;
	}
	case CFG_T_TIME:
		o = ref("time");
		break;
	case CFG_T_SIZE:
		o = ref("size");
		break;
	default:
		o = ref(cfg_export_is_list_type(d) ? "list" : "string");
		break;
	}
	if (d->desc != NULL)
		cfg_json_object_set(o, "description", cfg_json_string(d->desc));
	return o;
}

/* defs - the shared value shapes */
static struct cfg_json *defs(void)
{
	struct cfg_json *o = cfg_json_object(), *t, *arr, *svc, *props, *req;
	static const char *const fields[] = {"name",   "type",   "private", "unpriv",
	                                     "chroot", "wakeup", "maxproc", "command"};

	cfg_json_object_set(o, "string", typed("string"));
	cfg_json_object_set(o, "boolean", any_of(typed("boolean"), typed("string")));
	t = typed("string");
	cfg_json_object_set(t, "description",
	                    cfg_json_string("a number with an optional unit s, m, h, d or w, "
	                                    "kept as written"));
	cfg_json_object_set(o, "time", t);
	t = typed("string");
	cfg_json_object_set(t, "description", cfg_json_string("a byte count, kept as written"));
	cfg_json_object_set(o, "size", t);
	arr = typed("array");
	cfg_json_object_set(arr, "items", typed("string"));
	cfg_json_object_set(o, "list", any_of(arr, typed("string")));

	svc = typed("object");
	props = cfg_json_object();
	req = cfg_json_array();
	for (size_t i = 0; i < sizeof fields / sizeof fields[0]; i++) {
		struct cfg_json *f = typed("string");

		if (i >= 2 && i <= 4) {
			cfg_json_object_set(f, "pattern", cfg_json_string("^[-yn]$"));
		} else if (i == 5) {
			cfg_json_object_set(f, "pattern",
			                    cfg_json_string("^(-|\\?|[0-9]+\\?"
			                                    "?)$"));
		} else if (i == 6) {
			cfg_json_object_set(f, "pattern", cfg_json_string("^(-|[0-9]+)$"));
		} else if (i == 1) {
			struct cfg_json *e = cfg_json_array();
			static const char *const types[] = {"inet", "unix", "unix-dgram", "fifo",
			                                    "pass"};

			for (size_t k = 0; k < sizeof types / sizeof types[0]; k++)
				cfg_json_array_append(e, cfg_json_string(types[k]));
			cfg_json_object_set(f, "enum", e);
		} else if (i == 0) {
			/* a service name: no leading '#', no blanks, no control characters */
			cfg_json_object_set(f, "pattern",
			                    cfg_json_string("^[^#\\u0000-\\u0020\\u007f]"
			                                    "[^\\u0000-\\u0020\\u007f]*$"));
		} else {
			/* one master.cf word: blanks only inside { }, no control characters */
			cfg_json_object_set(
			    f, "pattern",
			    cfg_json_string("^([^\\u0000-\\u0020\\u007f{}]|\\{[^{}\\u0000-"
			                    "\\u0008\\u000a-\\u001f\\u007f]*\\})+$"));
		}
		cfg_json_object_set(props, fields[i], f);
		cfg_json_array_append(req, cfg_json_string(fields[i]));
	}
	arr = typed("array");
	cfg_json_object_set(arr, "items", typed("string"));
	cfg_json_object_set(props, "args", arr);
	t = typed("object");
	cfg_json_object_set(t, "additionalProperties",
	                    any_of(typed("string"), any_of(typed("boolean"),
	                                                   any_of(typed("integer"), ref("list")))));
	cfg_json_object_set(props, "overrides", any_of(t, typed("null")));
	t = typed("string");
	cfg_json_object_set(t, "pattern", cfg_json_string("^master\\.cf:[0-9]+$"));
	cfg_json_object_set(props, "source", t);
	cfg_json_object_set(svc, "properties", props);
	cfg_json_object_set(svc, "required", req);
	cfg_json_object_set(svc, "additionalProperties", cfg_json_bool(0));
	cfg_json_object_set(o, "service", svc);
	return o;
}

int main(void)
{
	struct cfg_json *s = cfg_json_object(), *props = cfg_json_object();
	struct cfg_json *mainp = cfg_json_object(), *mainobj = typed("object"), *t, *req;
	struct cfg_buf out;

	cfg_json_object_set(s, "$schema",
	                    cfg_json_string("https://json-schema.org/draft/2020-12/schema"));
	cfg_json_object_set(s, "$id", cfg_json_string("urn:postkit:schema:postkit-export:1"));
	cfg_json_object_set(s, "title", cfg_json_string("postkit configuration export"));
	cfg_json_object_set(s, "description",
	                    cfg_json_string("Postfix 3.7 main.cf and master.cf settings as written "
	                                    "by postconf --export; generated from the parameter "
	                                    "registry"));
	cfg_json_object_set(s, "type", cfg_json_string("object"));
	req = cfg_json_array();
	cfg_json_array_append(req, cfg_json_string("format"));
	cfg_json_array_append(req, cfg_json_string("version"));
	cfg_json_array_append(req, cfg_json_string("main"));
	cfg_json_object_set(s, "required", req);
	cfg_json_object_set(s, "additionalProperties", cfg_json_bool(0));

	t = cfg_json_object();
	cfg_json_object_set(t, "const", cfg_json_string(CFG_EXPORT_FORMAT));
	cfg_json_object_set(props, "format", t);
	t = cfg_json_object();
	cfg_json_object_set(t, "const", cfg_json_integer(CFG_EXPORT_VERSION));
	cfg_json_object_set(props, "version", t);

	for (size_t i = 0; i < cfg_registry_count(); i++) {
		const struct cfg_param_def *d = cfg_registry_at(i);

		cfg_json_object_set(mainp, d->name, param_schema(d));
	}
	cfg_json_object_set(mainobj, "properties", mainp);
	t = typed("string");
	cfg_json_object_set(t, "pattern", cfg_json_string("^[A-Za-z0-9_.-]+$"));
	cfg_json_object_set(mainobj, "propertyNames", t);
	cfg_json_object_set(mainobj, "additionalProperties", ref("string"));
	cfg_json_object_set(props, "main", mainobj);

	t = typed("object");
	cfg_json_object_set(t, "additionalProperties", typed("string"));
	cfg_json_object_set(props, "expanded", t);
	t = typed("object");
	{
		struct cfg_json *p = typed("string");

		cfg_json_object_set(p, "pattern", cfg_json_string("^main\\.cf:[0-9]+$"));
		cfg_json_object_set(t, "additionalProperties", p);
	}
	cfg_json_object_set(props, "sources", t);
	t = typed("array");
	cfg_json_object_set(t, "items", ref("service"));
	cfg_json_object_set(props, "master", t);
	t = typed("array");
	{
		struct cfg_json *p = typed("string");

		cfg_json_object_set(p, "pattern", cfg_json_string("^[A-Za-z0-9_.-]+$"));
		cfg_json_object_set(t, "items", p);
	}
	cfg_json_object_set(t, "uniqueItems", cfg_json_bool(1));
	cfg_json_object_set(t, "description",
	                    cfg_json_string("settings that are not Postfix parameters and that "
	                                    "nothing refers to, kept on purpose"));
	cfg_json_object_set(props, "user_defined", t);
	cfg_json_object_set(s, "properties", props);
	cfg_json_object_set(s, "$defs", defs());

	cfg_buf_init(&out);
	cfg_json_dump(s, CFG_JSON_PRETTY, &out);
	cfg_buf_addc(&out, '\n');
	fwrite(out.data, 1, out.len, stdout);
	cfg_buf_fini(&out);
	cfg_json_free(s);
	return fflush(stdout) == 0 && !ferror(stdout) ? 0 : 1;
}
