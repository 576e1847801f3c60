/* conf.c - a daemon's settings, read through libcfg (see conf.h) */
#include "config.h"

#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include "cfg/base/xalloc.h"
#include "cfg/schema/registry.h"
#include "conf.h"
#include "log.h"

/* report - log diagnostics; returns 1 when one of them is an error or worse */
static int report(struct cfg_diags *ds, struct cfg_buf *why)
{
	int bad = 0;

	for (size_t i = 0; i < ds->n; i++) {
		const struct cfg_diag *d = &ds->v[i];

		if (d->sev >= CFG_SEV_ERROR) {
			if (why && !bad)
				cfg_buf_adds(why, d->msg);
			else if (why == NULL)
				mta_error("%s", d->msg);
			bad = 1;
		} else if (d->sev == CFG_SEV_WARNING) {
			mta_warn("%s", d->msg);
		}
	}
	cfg_diags_clear(ds);
	return bad;
}

int mta_conf_try(struct mta_conf *c, const char *config_dir, const char *service, const char *type,
                 struct cfg_buf *why)
{
	struct cfg_diags ds;
	char abs[PATH_MAX];
	int rc = 0;

	memset(c, 0, sizeof(*c));
	cfg_diags_init(&ds);
	/*
	 * Daemons work from queue_directory: a relative "-c examples" must mean
	 * the same directory there, and in every $config_directory expansion.
	 */
	if (config_dir && config_dir[0] != '/' && realpath(config_dir, abs) != NULL)
		config_dir = abs;
	if (cfg_config_load(config_dir, 0, &c->cfg, &ds) < 0) {
		if (cfg_diags_count(&ds, CFG_SEV_ERROR) == 0)
			cfg_buf_adds(why, "cannot load configuration");
		report(&ds, why);
		cfg_config_free(c->cfg);
		c->cfg = NULL;
		rc = -1;
		goto out;
	}
	/* the loader's warnings are the daemons' business only once: the master logs them */
	cfg_diags_clear(&ds);
	c->view = cfg_view_new(c->cfg, service, type, &ds);
	if (c->view == NULL) {
		if (!report(&ds, why))
			cfg_buf_printf(why, "no master.cf entry for %s/%s", service ? service : "-",
			               type ? type : "-");
		cfg_config_free(c->cfg);
		c->cfg = NULL;
		rc = -1;
		goto out;
	}
	c->service = service ? cfg_xstrdup(service) : NULL;
	c->type = type ? cfg_xstrdup(type) : NULL;
out:
	cfg_diags_fini(&ds);
	return rc;
}

void mta_conf_open(struct mta_conf *c, const char *config_dir, const char *service,
                   const char *type)
{
	struct cfg_buf why;

	cfg_buf_init(&why);
	if (mta_conf_try(c, config_dir, service, type, &why) < 0)
		mta_fatal("%s", why.data);
	cfg_buf_fini(&why);
}

void mta_conf_close(struct mta_conf *c)
{
	cfg_view_free(c->view);
	cfg_config_free(c->cfg);
	free(c->service);
	free(c->type);
	memset(c, 0, sizeof(*c));
}

/* check - fatal with the library's message when a getter failed */
static void check(int rc, struct cfg_diags *ds, const char *name)
{
	if (rc == 0) {
		cfg_diags_clear(ds);
		return;
	}
	for (size_t i = 0; i < ds->n; i++)
		if (ds->v[i].sev >= CFG_SEV_ERROR)
			mta_fatal("%s", ds->v[i].msg);
	if (ds->n)
		mta_fatal("%s", ds->v[0].msg);
	mta_fatal("bad configuration: %s", name);
}

enum mta_kind mta_conf_kind(enum cfg_param_id id)
{
	const struct cfg_param_def *def = cfg_registry_at((size_t)id);

	if (def == NULL)
		mta_fatal("no parameter with id %d", (int)id);
	switch (def->type) {
	case CFG_T_BOOL:
		return MTA_KIND_BOOL;
	case CFG_T_INT:
	case CFG_T_LONG:
	case CFG_T_SIZE:
		return MTA_KIND_LONG;
	case CFG_T_TIME:
		return MTA_KIND_TIME;
	case CFG_T_LIST:
	case CFG_T_MAPS:
	case CFG_T_RESTRICTIONS:
	case CFG_T_NETWORKS:
		return MTA_KIND_LIST;
	case CFG_T_ENUM:
		return (def->flags & CFG_PF_MULTI) ? MTA_KIND_LIST : MTA_KIND_STR;
	default:
		return MTA_KIND_STR;
	}
}

/* read_one - one parameter into out, the way its registry type says */
static void read_one(struct mta_conf *c, enum cfg_param_id id, void *out, enum mta_kind ctype,
                     struct cfg_diags *ds)
{
	const struct cfg_param_def *def = cfg_registry_at((size_t)id);
	enum mta_kind kind = mta_conf_kind(id);
	int rc = 0;

	if (kind != ctype && !(kind == MTA_KIND_TIME && ctype == MTA_KIND_LONG))
		mta_fatal("parameter %s has type %s: read into a variable of another type",
		          def->name, cfg_ptype_name(def->type));
	switch (kind) {
	case MTA_KIND_STR:
		rc = cfg_view_str(c->view, def->name, (const char **)out, ds);
		break;
	case MTA_KIND_BOOL:
		rc = cfg_view_bool(c->view, def->name, (int *)out, ds);
		break;
	case MTA_KIND_LONG:
		if (def->type == CFG_T_SIZE)
			rc = cfg_view_size(c->view, def->name, (long *)out, ds);
		else
			rc = cfg_view_int(c->view, def->name, (long *)out, ds);
		break;
	case MTA_KIND_TIME:
		rc = cfg_view_time(c->view, def->name, (long *)out, ds);
		break;
	case MTA_KIND_LIST:
		cfg_strvec_clear((struct cfg_strvec *)out);
		rc = cfg_view_list(c->view, def->name, (struct cfg_strvec *)out, ds);
		break;
	}
	check(rc, ds, def->name);
}

void mta_conf_get(struct mta_conf *c, const struct mta_setting *tab)
{
	struct cfg_diags ds;

	cfg_diags_init(&ds);
	for (; tab->out; tab++)
		read_one(c, tab->id, tab->out, tab->ctype, &ds);
	cfg_diags_fini(&ds);
}

enum cfg_param_id mta_conf_id(const char *name)
{
	const struct cfg_param_def *def = cfg_registry_find(name);

	if (def == NULL)
		mta_fatal("%s: not a parameter postkit knows", name);
	return (enum cfg_param_id)cfg_registry_index(def);
}

void mta_conf_named_(struct mta_conf *c, const char *name, void *out, enum mta_kind ctype)
{
	struct cfg_diags ds;

	cfg_diags_init(&ds);
	read_one(c, mta_conf_id(name), out, ctype, &ds);
	cfg_diags_fini(&ds);
}

/* read_kind - one value of the expected kind (fatal when the registry disagrees) */
static void read_kind(struct mta_conf *c, enum cfg_param_id id, enum mta_kind kind, void *out)
{
	struct mta_setting t[] = {{id, out, kind}, MTA_SETTINGS_END};

	if (mta_conf_kind(id) != kind)
		mta_fatal("parameter %s has type %s: not read as this type",
		          cfg_registry_at((size_t)id)->name,
		          cfg_ptype_name(cfg_registry_at((size_t)id)->type));
	mta_conf_get(c, t);
}

const char *mta_conf_str(struct mta_conf *c, enum cfg_param_id id)
{
	const char *v = "";

	read_kind(c, id, MTA_KIND_STR, &v);
	return v;
}

int mta_conf_bool(struct mta_conf *c, enum cfg_param_id id)
{
	int v = 0;

	read_kind(c, id, MTA_KIND_BOOL, &v);
	return v;
}

long mta_conf_long(struct mta_conf *c, enum cfg_param_id id)
{
	long v = 0;

	read_kind(c, id, MTA_KIND_LONG, &v);
	return v;
}

long mta_conf_time(struct mta_conf *c, enum cfg_param_id id)
{
	long v = 0;

	read_kind(c, id, MTA_KIND_TIME, &v);
	return v;
}

void mta_conf_list(struct mta_conf *c, enum cfg_param_id id, struct cfg_strvec *out)
{
	read_kind(c, id, MTA_KIND_LIST, out);
}

const char *mta_conf_text(struct mta_conf *c, enum cfg_param_id id)
{
	const char *name = cfg_registry_at((size_t)id)->name, *v = "";
	struct cfg_diags ds;

	cfg_diags_init(&ds);
	check(cfg_view_str(c->view, name, &v, &ds), &ds, name);
	cfg_diags_fini(&ds);
	return v;
}

void mta_conf_log(struct mta_conf *c)
{
	const char *syslog_name = "postfix", *maillog_file = "", *host = "", *fac = "mail";
	struct mta_setting t[] = {
	    MTA_SET(CFG_P_syslog_name, &syslog_name),
	    MTA_SET(CFG_P_maillog_file, &maillog_file),
	    MTA_SET(CFG_P_myhostname, &host),
	    MTA_SET(CFG_P_syslog_facility, &fac),
	    MTA_SETTINGS_END,
	};

	mta_conf_get(c, t);
	mta_log_utf8(mta_conf_bool(c, CFG_P_smtputf8_enable));
	if (mta_log_config(syslog_name, maillog_file, host, fac) < 0)
		mta_warn("open maillog_file %s: %m", maillog_file);
}

const char *mta_conf_dir(const struct mta_conf *c)
{
	return cfg_config_dir(c->cfg);
}
