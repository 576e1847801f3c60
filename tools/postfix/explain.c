/*
 * explain.c - where a parameter is set, and the bad-input exit, for the
 * route, simulate and test subcommands of postfix(1) (see explain.h)
 */
#include "config.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "cfg/base/buf.h"
#include "cfg/config/effective.h"
#include "cfg/doc/maincf.h"
#include "cfg/doc/mastercf.h"
#include "explain.h"

/* pfx_origin - a master.cf -o of the view's service first, then main.cf, else the default */
struct pfx_origin pfx_origin(struct mta_conf *c, const char *name)
{
	static struct cfg_buf path;
	struct pfx_origin o = {NULL, 0};
	const struct cfg_maincf_entry *e;

	if (path.data == NULL)
		cfg_buf_init(&path);
	if (c->service && c->type) {
		const struct cfg_service *svc =
		    cfg_mastercf_find(cfg_config_mastercf(c->cfg), c->service, c->type);

		for (size_t i = 0; svc && i < svc->novr; i++)
			if (strcmp(svc->ovr[i].name, name) == 0) {
				cfg_buf_reset(&path);
				cfg_buf_printf(&path, "%s/master.cf", mta_conf_dir(c));
				o.file = path.data;
				o.line = svc->line;
			}
		if (o.file)
			return o;
	}
	e = cfg_maincf_get(cfg_config_maincf(c->cfg), name);
	if (e != NULL) {
		cfg_buf_reset(&path);
		cfg_buf_printf(&path, "%s/main.cf", mta_conf_dir(c));
		o.file = path.data;
		o.line = e->line;
	}
	return o;
}

/* pfx_origin_text - "NAME (FILE:LINE)" or "NAME (default)" */
const char *pfx_origin_text(struct mta_conf *c, const char *name)
{
	static struct cfg_buf out;
	struct pfx_origin o = pfx_origin(c, name);

	if (out.data == NULL)
		cfg_buf_init(&out);
	cfg_buf_reset(&out);
	if (o.file)
		cfg_buf_printf(&out, "%s (%s:%u)", name, o.file, o.line);
	else
		cfg_buf_printf(&out, "%s (default)", name);
	return out.data;
}

/* pfx_origin_json - the parameter and where it is set, as members of obj */
void pfx_origin_json(struct mta_conf *c, const char *name, struct cfg_json *obj)
{
	struct pfx_origin o = pfx_origin(c, name);

	cfg_json_object_set(obj, "parameter", cfg_json_string(name));
	cfg_json_object_set(obj, "file", o.file ? cfg_json_string(o.file) : cfg_json_null());
	cfg_json_object_set(obj, "line", o.file ? cfg_json_integer(o.line) : cfg_json_null());
}

/* pfx_bad_input - the fatal message of bad input; exit status 2 */
int pfx_bad_input(const char *cmd, const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "postfix: fatal: %s: ", cmd);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	return 2;
}

/* pfx_print_json - pretty JSON on stdout */
void pfx_print_json(struct cfg_json *j)
{
	struct cfg_buf out;

	cfg_buf_init(&out);
	cfg_json_dump(j, CFG_JSON_PRETTY, &out);
	cfg_buf_addc(&out, '\n');
	fwrite(out.data, 1, out.len, stdout);
	cfg_buf_fini(&out);
	cfg_json_free(j);
}
