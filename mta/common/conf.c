/* conf.c - a daemon's settings, read through libcfg (see conf.h) */
#include "config.h"

#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include "cfg/base/xalloc.h"
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

void mta_conf_get(struct mta_conf *c, const struct mta_param *tab)
{
	struct cfg_diags ds;

	cfg_diags_init(&ds);
	for (; tab->name; tab++) {
		int rc = 0;

		switch (tab->type) {
		case MTA_STR:
			rc = cfg_view_str(c->view, tab->name, (const char **)tab->out, &ds);
			break;
		case MTA_BOOL:
			rc = cfg_view_bool(c->view, tab->name, (int *)tab->out, &ds);
			break;
		case MTA_INT:
			rc = cfg_view_int(c->view, tab->name, (long *)tab->out, &ds);
			break;
		case MTA_TIME:
			rc = cfg_view_time(c->view, tab->name, (long *)tab->out, &ds);
			break;
		case MTA_SIZE:
			rc = cfg_view_size(c->view, tab->name, (long *)tab->out, &ds);
			break;
		case MTA_LIST:
			cfg_strvec_clear((struct cfg_strvec *)tab->out);
			rc = cfg_view_list(c->view, tab->name, (struct cfg_strvec *)tab->out, &ds);
			break;
		}
		check(rc, &ds, tab->name);
	}
	cfg_diags_fini(&ds);
}

const char *mta_conf_str(struct mta_conf *c, const char *name)
{
	const char *v = "";
	struct mta_param t[] = {{name, MTA_STR, &v}, {NULL, MTA_STR, NULL}};

	mta_conf_get(c, t);
	return v;
}

int mta_conf_bool(struct mta_conf *c, const char *name)
{
	int v = 0;
	struct mta_param t[] = {{name, MTA_BOOL, &v}, {NULL, MTA_STR, NULL}};

	mta_conf_get(c, t);
	return v;
}

long mta_conf_long(struct mta_conf *c, const char *name)
{
	long v = 0;
	struct mta_param t[] = {{name, MTA_INT, &v}, {NULL, MTA_STR, NULL}};

	mta_conf_get(c, t);
	return v;
}

long mta_conf_time(struct mta_conf *c, const char *name)
{
	long v = 0;
	struct mta_param t[] = {{name, MTA_TIME, &v}, {NULL, MTA_STR, NULL}};

	mta_conf_get(c, t);
	return v;
}

void mta_conf_list(struct mta_conf *c, const char *name, struct cfg_strvec *out)
{
	struct mta_param t[] = {{name, MTA_LIST, out}, {NULL, MTA_STR, NULL}};

	mta_conf_get(c, t);
}

void mta_conf_log(struct mta_conf *c)
{
	const char *syslog_name = "postfix", *maillog_file = "", *host = "", *fac = "mail";
	struct mta_param t[] = {
	    {"syslog_name", MTA_STR, &syslog_name},
	    {"maillog_file", MTA_STR, &maillog_file},
	    {"myhostname", MTA_STR, &host},
	    {"syslog_facility", MTA_STR, &fac},
	    {NULL, MTA_STR, NULL},
	};

	mta_conf_get(c, t);
	if (mta_log_config(syslog_name, maillog_file, host, fac) < 0)
		mta_warn("open maillog_file %s: %m", maillog_file);
}

const char *mta_conf_dir(const struct mta_conf *c)
{
	return cfg_config_dir(c->cfg);
}
