/*
 * export.c - postconf -j (JSON Lines) and --export=json|yaml
 */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cfg/base/buf.h"
#include "cfg/config/effective.h"
#include "cfg/base/diag.h"
#include "cfg/io/export.h"
#include "cfg/base/fileio.h"
#include "cfg/io/json.h"
#include "cfg/io/yaml.h"
#include "postconf.h"
#include "postconf_export.h"

/* normalise - text with leading/trailing whitespace dropped and inner runs made one space */
static void normalise(struct cfg_buf *out, const char *text)
{
	const char *p = text;

	for (;;) {
		size_t n;

		p += strspn(p, PCF_SEPARATORS);
		if (*p == 0)
			break;
		n = strcspn(p, PCF_SEPARATORS);
		if (out->len)
			cfg_buf_addc(out, ' ');
		cfg_buf_add(out, p, n);
		p += n;
	}
}

/* json_line - {"key": "value"} and a newline */
static void json_line(const char *key, const char *value)
{
	struct cfg_buf b;

	cfg_buf_init(&b);
	cfg_buf_addc(&b, '{');
	cfg_json_quote(key, &b);
	cfg_buf_adds(&b, ": ");
	cfg_json_quote(value, &b);
	cfg_buf_adds(&b, "}\n");
	pcf_out(b.data, b.len);
	cfg_buf_fini(&b);
}

/* json_pair - one parameter or master.cf field */
static void json_pair(struct pcf_sink *s, const char *key, const char *value, unsigned flags)
{
	struct cfg_buf v;

	(void)s;
	(void)flags;
	cfg_buf_init(&v);
	cfg_buf_adds(&v, "");
	normalise(&v, value);
	json_line(key, v.data);
	cfg_buf_fini(&v);
}

/* json_entry - one master.cf entry: the fields and the command, one space apart */
static void json_entry(struct pcf_sink *s, const struct cfg_config *cfg,
                       const struct cfg_service *svc)
{
	struct cfg_buf key, raw, v;

	cfg_buf_init(&key);
	cfg_buf_init(&raw);
	cfg_buf_init(&v);
	cfg_buf_printf(&key, "%s/%s", svc->field[CFG_MF_SERVICE], svc->field[CFG_MF_TYPE]);
	for (int f = 0; f < CFG_MF_COMMAND; f++) {
		cfg_buf_adds(&raw, svc->field[f]);
		cfg_buf_addc(&raw, ' ');
	}
	pcf_format_master_args(&raw, cfg, svc, s->mode & ~PCF_FOLD_LINE, (int)raw.len);
	cfg_buf_adds(&v, "");
	normalise(&v, raw.data);
	json_line(key.data, v.data);
	cfg_buf_fini(&key);
	cfg_buf_fini(&raw);
	cfg_buf_fini(&v);
}

/* pcf_json_sink - the sink that prints JSON Lines (-j) */
void pcf_json_sink(struct pcf_sink *s, unsigned mode)
{
	s->pair = json_pair;
	s->entry = json_entry;
	s->mode = mode & ~PCF_FOLD_LINE;
}

/* pcf_export - postconf --export */
int pcf_export(const char *config_dir, const struct pcf_export_opts *o, char **overrides,
               size_t noverrides)
{
	struct cfg_load_opts lo = {0};
	struct cfg_diags ds;
	struct cfg_config *cfg = NULL;
	struct cfg_json *doc;
	struct cfg_buf out;
	unsigned flags = 0;
	int status = 0;

	if (strcmp(o->format, "json") != 0 && strcmp(o->format, "yaml") != 0)
		pcf_fatal("--export: unknown format \"%s\" (use json or yaml)", o->format);
	lo.flags = o->defaults ? CFG_LOAD_DEFAULTS : 0;
	lo.process_name = "postconf";
	lo.overrides = (const char *const *)overrides;
	lo.noverrides = noverrides;
	cfg_diags_init(&ds);
	(void)cfg_config_open(config_dir, &lo, &cfg, &ds);
	pcf_diags(&ds); /* exits on a fatal diagnostic */
	cfg_diags_clear(&ds);
	if (o->defaults)
		flags |= CFG_EXPORT_DEFAULTS;
	else if (o->all)
		flags |= CFG_EXPORT_ALL;
	if (o->expand)
		flags |= CFG_EXPORT_EXPAND;
	if (o->with_source)
		flags |= CFG_EXPORT_SOURCE;
	doc = cfg_export_build(cfg, flags, &ds);
	pcf_diags(&ds);
	cfg_buf_init(&out);
	if (strcmp(o->format, "json") == 0) {
		cfg_json_dump(doc, CFG_JSON_PRETTY, &out);
		cfg_buf_addc(&out, '\n');
	} else {
		cfg_yaml_emit(doc, &out);
	}
	if (o->output != NULL) {
		cfg_diags_clear(&ds);
		if (cfg_file_replace(o->output, out.data, out.len, 0644, &ds) < 0) {
			pcf_diags(&ds);
			status = 1;
		}
	} else {
		pcf_out(out.data, out.len);
		pcf_out_flush();
	}
	cfg_buf_fini(&out);
	cfg_json_free(doc);
	cfg_diags_fini(&ds);
	cfg_config_free(cfg);
	return status;
}
