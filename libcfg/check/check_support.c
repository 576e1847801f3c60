/*
 * check_support.c - fail closed: every explicit setting of a parameter that
 * postkit does not implement must keep a value postkit honours (its default,
 * or what postkit behaves as); performance tuning postkit ignores is a
 * warning.  The tables of schemas/ say which is which (cfg/support.h).
 */
#include "config.h"

#include <string.h>
#include <strings.h>

#include "cfg/check/support.h"
#include "cfg/param/validate.h"
#include "check_int.h"

/* check_one - one setting of a parameter (main.cf entry or -o override) */
static void check_one(struct cfgp_check *ck, const struct cfgp_setting *s)
{
	struct cfg_param_def tmp;
	const struct cfg_param_def *def = cfg_validate_lookup_def(s->name, &tmp);
	struct cfg_buf val, dflt, accepted, why;
	enum cfg_support sup;

	if (def == NULL)
		return; /* a user-defined parameter: what uses it is checked */
	sup = def == &tmp ? CFG_SUPPORT_TUNING : cfg_param_support(def);
	if (sup == CFG_SUPPORT_IMPL || sup == CFG_SUPPORT_INERT)
		return;
	if (sup == CFG_SUPPORT_TUNING) {
		cfgp_check_add(ck, CFG_SEV_WARNING, "ignored-parameter", s,
		               "parameter %s is ignored by postkit (performance tuning only)",
		               s->name);
		return;
	}
	if (def->defval != NULL && strcmp(s->value, def->defval) == 0)
		return;
	cfg_buf_init(&val);
	cfg_buf_init(&dflt);
	cfg_buf_init(&accepted);
	cfg_buf_init(&why);
	if (cfgp_check_expand(ck, s, s->value, &val) < 0) {
		cfg_buf_reset(&val);
		cfg_buf_adds(&val, s->value);
	}
	if (def->defval != NULL && cfgp_check_expand_in(ck, s->svc, def->defval, &dflt) < 0) {
		cfg_buf_reset(&dflt);
		cfg_buf_adds(&dflt, def->defval);
	}
	/* a value of the wrong type is reported by check_params.c */
	if (cfg_type_check_for(def->type)->check(def, val.data, &why) < 0)
		goto out;
	if (!cfg_param_value_honoured(def, val.data, def->defval ? dflt.data : NULL, &accepted))
		cfgp_check_add(ck, CFG_SEV_ERROR, "unsupported-parameter", s,
		               "parameter %s is not implemented by postkit: a value other than "
		               "%s is refused (see postfix check --unsupported)",
		               s->name, accepted.data);
out:
	cfg_buf_fini(&why);
	cfg_buf_fini(&accepted);
	cfg_buf_fini(&dflt);
	cfg_buf_fini(&val);
}

/*
 * check_guard - a setting that turns guard on (s): the effective value of
 * g->name where s applies must be one postkit honours; its default is not
 */
static void check_guard(struct cfgp_check *ck, const struct cfgp_setting *s,
                        const struct cfg_param_guard *g)
{
	struct cfg_param_def tmp;
	const struct cfg_param_def *def = cfg_validate_lookup_def(g->name, &tmp);
	struct cfg_buf on, val, ref;

	if (def == NULL || def == &tmp)
		return;
	cfg_buf_init(&on);
	cfg_buf_init(&val);
	cfg_buf_init(&ref);
	cfg_buf_printf(&ref, "$%s", g->name);
	if (cfgp_check_expand(ck, s, s->value, &on) == 0 && strcasecmp(on.data, "yes") == 0
	    && cfgp_check_expand_in(ck, s->svc, ref.data, &val) == 0
	    && !cfg_param_value_honoured(def, val.data, NULL, NULL))
		cfgp_check_add(
		    ck, CFG_SEV_ERROR, "unsupported-parameter", s,
		    "parameter %s = %s is not implemented by postkit: with %s = yes, set %s "
		    "to \"%s\" (see postfix check --unsupported)",
		    g->name, val.data, g->guard, g->name, cfg_param_behaves_as(def));
	cfg_buf_fini(&ref);
	cfg_buf_fini(&val);
	cfg_buf_fini(&on);
}

void cfgp_check_support(struct cfgp_check *ck)
{
	const struct cfg_param_guard *g;

	for (size_t i = 0; i < ck->nsets; i++) {
		check_one(ck, &ck->sets[i]);
		for (size_t k = 0; (g = cfg_param_guard_at(k)) != NULL; k++)
			if (strcmp(ck->sets[i].name, g->guard) == 0)
				check_guard(ck, &ck->sets[i], g);
	}
}
