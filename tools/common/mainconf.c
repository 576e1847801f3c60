/* mainconf.c - main.cf for the table commands (see mainconf.h) */
#include "config.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "cfg/base/strvec.h"
#include "cfg/base/xalloc.h"
#include "mainconf.h"
#include "msg.h"

/* report_maincf - print main.cf syntax diagnostics (and fatal ones), drop the rest */
static void report_maincf(struct cfg_diags *diags)
{
	struct cfg_diags keep;

	cfg_diags_init(&keep);
	for (size_t i = 0; i < diags->n; i++) {
		const struct cfg_diag *d = &diags->v[i];

		if (d->sev >= CFG_SEV_ERROR || strncmp(d->code, "maincf-", 7) == 0)
			cfg_diags_add(&keep, d->sev, d->code, d->file, d->line, d->col, "%s",
			              d->msg);
	}
	cfg_diags_clear(diags);
	tool_report(NULL, &keep);
	cfg_diags_fini(&keep);
}

void tool_mainconf_load(struct tool_mainconf *c)
{
	struct cfg_diags diags;

	memset(c, 0, sizeof(*c));
	cfg_diags_init(&diags);
	/*
	 * postconf's unused-parameter analysis is not the table tools' business, and
	 * mynetworks (the interface list) is computed only if something uses it
	 */
	if (cfg_config_load(NULL, CFG_LOAD_NO_MASTER | CFG_LOAD_NO_SCAN | CFG_LOAD_LAZY_NETS,
	                    &c->cfg, &diags)
	    < 0) {
		report_maincf(&diags);
		tool_fatal("cannot load the configuration");
	}
	report_maincf(&diags);
	if ((c->view = cfg_view_new(c->cfg, NULL, NULL, &diags)) == NULL)
		tool_report(NULL, &diags);
	cfg_diags_fini(&diags);
}

char *tool_mainconf_get(struct tool_mainconf *c, const char *name)
{
	struct cfg_diags diags;
	const char *v = NULL;

	cfg_diags_init(&diags);
	cfg_view_str(c->view, name, &v, &diags);
	tool_report(NULL, &diags);
	cfg_diags_fini(&diags);
	return cfg_xstrdup(v ? v : "");
}

int tool_mainconf_bool(struct tool_mainconf *c, const char *name)
{
	struct cfg_diags diags;
	int yes = 0;

	cfg_diags_init(&diags);
	cfg_view_bool(c->view, name, &yes, &diags);
	tool_report(NULL, &diags);
	cfg_diags_fini(&diags);
	return yes;
}

void tool_mainconf_import_env(struct tool_mainconf *c)
{
	char *v = tool_mainconf_get(c, "import_environment");
	struct cfg_strvec words;

	cfg_strvec_init(&words);
	cfg_strvec_split(&words, v, " \t\r\n,");
	for (size_t i = 0; i < words.n; i++) {
		char *eq = strchr(words.v[i], '=');

		if (eq == NULL)
			continue;
		*eq = 0;
		if (setenv(words.v[i], eq + 1, 1) < 0)
			tool_fatal("setenv: %s", strerror(errno));
	}
	cfg_strvec_fini(&words);
	free(v);
}

void tool_mainconf_free(struct tool_mainconf *c)
{
	cfg_view_free(c->view);
	cfg_config_free(c->cfg);
	memset(c, 0, sizeof(*c));
}
