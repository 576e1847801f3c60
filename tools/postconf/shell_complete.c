/*
 * shell_complete.c - what postconf --shell offers to complete: parameter
 * names, master.cf services and the words a parameter's value may hold
 * (shell_input.c asks; the lists come from schemas/ through libcfg)
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "cfg/doc/maincf.h"
#include "cfg/doc/mastercf.h"
#include "cfg/schema/registry.h"
#include "cfg/schema/restriction.h"
#include "cfg/schema/tabletype.h"
#include "cfg/param/validate.h"
#include "cfg/base/xalloc.h"
#include "shell.h"

void pcf_shell_param_names(const struct pcf_shell *sh, struct cfg_strvec *out)
{
	const struct cfg_maincf *doc = cfg_config_maincf(sh->cfg);
	struct cfg_strvec all;
	size_t i;

	cfg_strvec_init(&all);
	cfg_config_names(sh->cfg, CFG_CLASS_ALL, &all);
	for (i = 0; i < doc->nents; i++)
		cfg_strvec_add(&all, doc->ents[i].name);
	for (i = 0; i < sh->npend; i++)
		cfg_strvec_add(&all, sh->pnames[i]);
	cfg_strvec_sort(&all);
	for (i = 0; i < all.n; i++)
		if (i == 0 || strcmp(all.v[i], all.v[i - 1]) != 0)
			cfg_strvec_add(out, all.v[i]);
	cfg_strvec_fini(&all);
}

void pcf_shell_service_names(const struct pcf_shell *sh, int with_type, struct cfg_strvec *out)
{
	const struct cfg_mastercf *m = cfg_config_mastercf(sh->cfg);
	size_t i;

	for (i = 0; m != NULL && i < m->nsvcs; i++) {
		const struct cfg_service *s = &m->svcs[i];

		cfg_strvec_add(out, s->field[CFG_MF_SERVICE]);
		if (with_type)
			cfg_strvec_take(out, cfg_xasprintf("%s/%s", s->field[CFG_MF_SERVICE],
			                                   s->field[CFG_MF_TYPE]));
	}
}

/* add_table_types - "hash:" etc.: the types postkit implements, then Postfix's others */
static void add_table_types(struct cfg_strvec *out)
{
	const struct cfg_table_type_def *t;

	for (size_t i = 0; (t = cfg_table_type_at(i)) != NULL; i++)
		if (t->impl)
			cfg_strvec_take(out, cfg_xasprintf("%s:", t->name));
	for (size_t i = 0; (t = cfg_table_type_at(i)) != NULL; i++)
		if (!t->impl)
			cfg_strvec_take(out, cfg_xasprintf("%s:", t->name));
}

void pcf_shell_value_words(const struct pcf_shell *sh, const char *name, struct cfg_strvec *out)
{
	struct cfg_param_def tmp;
	const struct cfg_param_def *def = cfg_validate_lookup_def(name, &tmp);
	size_t len = strlen(name);

	if (def == NULL)
		return;
	switch (def->type) {
	case CFG_T_BOOL:
		cfg_strvec_add(out, "yes");
		cfg_strvec_add(out, "no");
		break;
	case CFG_T_ENUM:
		if (def->choices != NULL)
			cfg_strvec_split(out, def->choices, "|");
		break;
	case CFG_T_MAPS:
		add_table_types(out);
		break;
	case CFG_T_RESTRICTIONS:
		for (size_t i = 0; i < cfg_restriction_count(); i++) {
			const struct cfg_restriction_def *rd =
			    cfg_restriction_get((enum cfg_restriction_id)i);

			if (!(rd->flags & CFG_RF_NOTSMTPD))
				cfg_strvec_add(out, rd->name);
		}
		add_table_types(out);
		break;
	case CFG_T_NETWORKS:
		add_table_types(out);
		break;
	default:
		/* transports name master.cf services: default_transport = smtp */
		if (len > 10 && strcmp(name + len - 10, "_transport") == 0)
			pcf_shell_service_names(sh, 0, out);
		break;
	}
}
