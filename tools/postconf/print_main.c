/*
 * print_main.c - postconf's main.cf parameter listing: all parameters,
 * defaults (-d), explicit settings (-n), named ones, with -x expansion
 */
#include "config.h"

#include <string.h>

#include "cfg/base/buf.h"
#include "cfg/config/effective.h"
#include "cfg/schema/registry.h"
#include "cfg/base/strvec.h"
#include "postconf.h"

/* print_parameter - one parameter, when it has a value in this mode */
static void print_parameter(struct pcf_sink *sink, const struct cfg_config *cfg, unsigned mode,
                            const char *name)
{
	const struct cfg_param_def *d;
	const char *value;
	struct cfg_buf exp;
	struct cfg_diags ds;

	if (mode & PCF_SHOW_DEFS) {
		value = cfg_config_default(cfg, name);
	} else if ((value = cfg_config_explicit(cfg, name)) == NULL && !(mode & PCF_SHOW_NONDEF)) {
		value = cfg_config_default(cfg, name);
	}
	if (value == NULL)
		return;
	if ((mode & PCF_SHOW_EVAL) == 0
	    || ((d = cfg_registry_find(name)) != NULL && d->type == CFG_T_RAW)) {
		sink->pair(sink, name, value, 0);
		return;
	}
	cfg_buf_init(&exp);
	cfg_diags_init(&ds);
	if (cfg_config_expand(cfg, value, &exp, &ds) < 0) {
		pcf_diags(&ds);
		pcf_fatal("macro processing error");
	}
	pcf_diags(&ds);
	sink->pair(sink, name, exp.data, 0);
	cfg_diags_fini(&ds);
	cfg_buf_fini(&exp);
}

/* pcf_show_parameters - every parameter of the classes, or the named ones in order */
void pcf_show_parameters(struct pcf_sink *sink, const struct cfg_config *cfg, unsigned mode,
                         unsigned classes, char **names, int nnames)
{
	if (nnames == 0) {
		struct cfg_strvec list;

		cfg_strvec_init(&list);
		if (mode & PCF_SHOW_NONDEF)
			cfg_config_explicit_names(cfg, classes, &list);
		else
			cfg_config_names(cfg, classes, &list);
		for (size_t i = 0; i < list.n; i++)
			print_parameter(sink, cfg, mode, list.v[i]);
		cfg_strvec_fini(&list);
		return;
	}
	for (int i = 0; i < nnames; i++) {
		if (cfg_config_class(cfg, names[i]) == 0)
			pcf_warn("%s: unknown parameter", names[i]);
		else
			print_parameter(sink, cfg, mode, names[i]);
	}
}
