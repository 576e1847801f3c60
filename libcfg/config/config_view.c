/*
 * config_view.c - effective settings of one master.cf service, with typed
 * getters that parse and check values the way Postfix's daemons do
 */
#include "config.h"

#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "cfg/config/effective.h"
#include "cfg/param/list.h"
#include "cfg/param/units.h"
#include "cfg/base/xalloc.h"
#include "config_int.h"

struct cfg_view {
	const struct cfg_config *cfg;
	const struct cfgp_scope *scope;
	struct cfg_htab *cache; /* name -> owned expanded value */
};

/* cfg_view_new - the view of master.cf entry service/type (NULL, NULL: main.cf) */
struct cfg_view *cfg_view_new(const struct cfg_config *cfg, const char *service, const char *type,
                              struct cfg_diags *diags)
{
	struct cfg_view *v;
	const struct cfgp_scope *scope = NULL;

	if (service != NULL || type != NULL) {
		const struct cfg_service *svc =
		    cfg_mastercf_find(cfg->master, service ? service : "", type ? type : "");

		if (svc == NULL) {
			cfg_diags_add(diags, CFG_SEV_ERROR, "view-no-service", cfg->master_path, 0,
			              0, "%s: no service entry \"%s/%s\"", cfg->master_path,
			              service ? service : "", type ? type : "");
			return NULL;
		}
		scope = cfgp_scope_of(cfg, svc);
	}
	v = cfg_xcalloc(1, sizeof(*v));
	v->cfg = cfg;
	v->scope = scope;
	v->cache = cfg_htab_new(32);
	return v;
}

/* cfg_view_free - release a view */
void cfg_view_free(struct cfg_view *v)
{
	if (v == NULL)
		return;
	cfg_htab_free(v->cache, free);
	free(v);
}

/* cfg_view_raw - the effective unexpanded value in the view */
const char *cfg_view_raw(const struct cfg_view *v, const char *name)
{
	return cfgp_lookup(v->cfg, v->scope, CFGP_LOOKUP_EFFECTIVE, name);
}

/* view_file - the file a setting comes from, for diagnostics */
static const char *view_file(const struct cfg_view *v, const char *name)
{
	if (v->scope != NULL && cfg_htab_has(v->scope->params, name))
		return v->cfg->master_path;
	return v->cfg->main_path;
}

/* cfg_view_str - the expanded value of name */
int cfg_view_str(struct cfg_view *v, const char *name, const char **out, struct cfg_diags *diags)
{
	const struct cfg_param_def *d = cfgp_builtin(v->cfg, name);
	const char *raw, *hit;
	struct cfg_buf b;

	if ((hit = cfg_htab_get(v->cache, name)) != NULL) {
		*out = hit;
		return 0;
	}
	if ((raw = cfg_view_raw(v, name)) == NULL) {
		cfg_diags_add(diags, CFG_SEV_ERROR, "view-unknown", NULL, 0, 0,
		              "%s: unknown parameter", name);
		return -1;
	}
	cfg_buf_init(&b);
	if (d != NULL && d->type == CFG_T_RAW) {
		cfg_buf_adds(&b, raw);
	} else if (cfgp_expand(v->cfg, v->scope, CFGP_LOOKUP_EFFECTIVE, raw, &b, diags) < 0) {
		struct cfg_diag *dg =
		    cfg_diags_add(diags, CFG_SEV_FATAL, "config-macro-error", view_file(v, name), 0,
		                  0, "macro processing error");

		if (dg != NULL)
			dg->param = cfg_xstrdup(name);
		cfg_buf_fini(&b);
		return -1;
	}
	if (d != NULL && d->min != CFG_NOMIN && d->min > 0
	    && (d->type == CFG_T_STRING || d->type == CFG_T_HOSTNAME || d->type == CFG_T_DOMAIN
	        || d->type == CFG_T_PATH || d->type == CFG_T_USER || d->type == CFG_T_GROUP)
	    && (long)b.len < d->min) {
		cfg_diags_add(diags, CFG_SEV_FATAL, "view-string-length", view_file(v, name), 0, 0,
		              "bad string length %zu < %ld: %s = %s", b.len, d->min, name, b.data);
		cfg_buf_fini(&b);
		return -1;
	}
	cfg_htab_put(v->cache, name, cfg_buf_take(&b));
	*out = cfg_htab_get(v->cache, name);
	return 0;
}

/* cfg_view_bool - yes or no, case-insensitive */
int cfg_view_bool(struct cfg_view *v, const char *name, int *out, struct cfg_diags *diags)
{
	const char *s;

	if (cfg_view_str(v, name, &s, diags) < 0)
		return -1;
	if (strcasecmp(s, "yes") == 0) {
		*out = 1;
		return 0;
	}
	if (strcasecmp(s, "no") == 0) {
		*out = 0;
		return 0;
	}
	cfg_diags_add(diags, CFG_SEV_FATAL, "view-bad-boolean", view_file(v, name), 0, 0,
	              "bad boolean configuration: %s = %s", name, s);
	return -1;
}

/* check_bounds - "invalid NAME parameter value V < MIN" / "> MAX" */
static int check_bounds(struct cfg_view *v, const char *name, long val, struct cfg_diags *diags)
{
	const struct cfg_param_def *d = cfg_registry_find(name);

	if (d == NULL)
		return 0;
	if (d->min != CFG_NOMIN && val < d->min) {
		cfg_diags_add(diags, CFG_SEV_FATAL, "view-out-of-range", view_file(v, name), 0, 0,
		              "invalid %s parameter value %ld < %ld", name, val, d->min);
		return -1;
	}
	if (d->max != CFG_NOMAX && val > d->max) {
		cfg_diags_add(diags, CFG_SEV_FATAL, "view-out-of-range", view_file(v, name), 0, 0,
		              "invalid %s parameter value %ld > %ld", name, val, d->max);
		return -1;
	}
	return 0;
}

/* numeric - the common part of the integer and size getters */
static int numeric(struct cfg_view *v, const char *name, long *out, long lo, long hi,
                   struct cfg_diags *diags)
{
	const char *s;
	long val;

	if (cfg_view_str(v, name, &s, diags) < 0)
		return -1;
	if (cfg_number_parse(s, &val) < 0 || val < lo || val > hi) {
		cfg_diags_add(diags, CFG_SEV_FATAL, "view-bad-number", view_file(v, name), 0, 0,
		              "bad numerical configuration: %s = %s", name, s);
		return -1;
	}
	if (check_bounds(v, name, val, diags) < 0)
		return -1;
	*out = val;
	return 0;
}

/* cfg_view_int - a decimal integer within the parameter's bounds */
int cfg_view_int(struct cfg_view *v, const char *name, long *out, struct cfg_diags *diags)
{
	const struct cfg_param_def *d = cfg_registry_find(name);

	if (d != NULL && (d->type == CFG_T_LONG || d->type == CFG_T_SIZE))
		return numeric(v, name, out, LONG_MIN, LONG_MAX, diags);
	return numeric(v, name, out, INT_MIN, INT_MAX, diags);
}

/* cfg_view_size - a byte count (long range) */
int cfg_view_size(struct cfg_view *v, const char *name, long *bytes, struct cfg_diags *diags)
{
	return numeric(v, name, bytes, LONG_MIN, LONG_MAX, diags);
}

/* default_unit - the default time unit of name ('s' when unknown) */
static char default_unit(const char *name)
{
	const struct cfg_param_def *d = cfg_registry_find(name);
	size_t n;
	const struct cfg_service_param_template *t;

	if (d != NULL)
		return d->time_unit ? d->time_unit : 's';
	t = cfg_service_param_templates(&n);
	for (size_t i = 0; i < n; i++) {
		size_t sl = strlen(t[i].suffix), nl = strlen(name);

		if (t[i].type == CFG_T_TIME && nl > sl
		    && strcmp(name + nl - sl, t[i].suffix) == 0) {
			const struct cfg_param_def *base = cfg_registry_find(t[i].defval + 1);

			return base && base->time_unit ? base->time_unit : 's';
		}
	}
	return 's';
}

/* cfg_view_time - a time with optional unit s m h d w, in seconds */
int cfg_view_time(struct cfg_view *v, const char *name, long *seconds, struct cfg_diags *diags)
{
	const struct cfg_param_def *d = cfg_registry_find(name);
	const char *s;
	long val;

	if (cfg_view_str(v, name, &s, diags) < 0)
		return -1;
	if (cfg_time_conv(s, default_unit(name), &val, NULL) != CFG_TIME_OK)
		goto bad;
	if (d != NULL && d->min != CFG_NOMIN && val < d->min) {
		cfg_diags_add(diags, CFG_SEV_FATAL, "view-out-of-range", view_file(v, name), 0, 0,
		              "invalid %s: %ld (min %ld)", name, val, d->min);
		return -1;
	}
	if (d != NULL && d->max != CFG_NOMAX && val > d->max) {
		cfg_diags_add(diags, CFG_SEV_FATAL, "view-out-of-range", view_file(v, name), 0, 0,
		              "invalid %s: %ld (max %ld)", name, val, d->max);
		return -1;
	}
	*seconds = val;
	return 0;
bad:
	cfg_diags_add(diags, CFG_SEV_FATAL, "view-bad-time", view_file(v, name), 0, 0,
	              "parameter %s: bad time value or unit: %s", name, s);
	return -1;
}

/* cfg_view_list - the expanded value split into list elements */
int cfg_view_list(struct cfg_view *v, const char *name, struct cfg_strvec *out,
                  struct cfg_diags *diags)
{
	const char *s;

	if (cfg_view_str(v, name, &s, diags) < 0)
		return -1;
	return cfg_list_split(s, out, name, diags);
}
