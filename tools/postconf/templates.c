/*
 * templates.c - postconf -t [FILE] (the bounce templates as they are) and
 * postconf -b [FILE] (their text with $names expanded), as Postfix 3.7
 * prints them.  Postfix runs the bounce daemon's template code here, so the
 * messages say "postfix/bounce:", and a fatal one leaves stdout unwritten.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cfg/base/buf.h"
#include "cfg/config/effective.h"
#include "cfg/param/bouncexp.h"
#include "cfg/param/units.h"
#include "cfg/schema/bouncetmpl.h"
#include "postconf.h"

/* say - "postfix/bounce: LEVEL: TEXT" on stderr */
static void say(const char *level, const char *text)
{
	fprintf(stderr, "postfix/bounce: %s: %s\n", level, text);
}

/* say_all - every diagnostic of ds; 1 when one was fatal (printed last) */
static int say_all(const struct cfg_diags *ds)
{
	for (size_t i = 0; i < ds->n; i++) {
		say(ds->v[i].sev == CFG_SEV_FATAL ? "fatal" : "warning", ds->v[i].msg);
		if (ds->v[i].sev == CFG_SEV_FATAL)
			return 1;
	}
	return 0;
}

/* header - one "Name: value" line of a template */
static void header(struct cfg_buf *out, const char *name, const char *value)
{
	cfg_buf_printf(out, "%s: %s\n", name, value);
}

/* dump - the four templates in postconf -t's form */
static void dump(const struct cfg_bounce_set *set, struct cfg_buf *out)
{
	for (int k = 0; k < CFG_BOUNCE_NKINDS; k++) {
		const struct cfg_bounce_template *t = &set->t[k];

		if (k > 0)
			cfg_buf_addc(out, '\n');
		cfg_buf_printf(out, "%s = <<EOF\n", t->name);
		header(out, "Charset", t->charset);
		header(out, "From", t->from);
		header(out, "Subject", t->subject);
		if (t->pm_subject != NULL)
			header(out, "Postmaster-Subject", t->pm_subject);
		cfg_buf_addc(out, '\n');
		cfg_buf_adds(out, t->text);
		cfg_buf_adds(out, "EOF\n");
	}
}

/* the configuration and the template file, for the $names of the text */
struct names {
	const struct cfg_config *cfg;
	const char *file;
};

/*
 * lookup - a parameter's unexpanded value, when main.cf sets it or the
 * bounce daemon knows it.  Postfix's postconf -b runs the bounce daemon as
 * "bounce -SVnexpand_templates -o bounce_template_file=FILE -o
 * queue_directory=.", and its text sees those values.
 */
static const char *lookup(void *ctx, const char *name)
{
	const struct names *n = ctx;
	static const struct {
		const char *name, *value;
	} run_as[] = {{"service_name", "expand_templates"},
	              {"process_name", "bounce"},
	              {"queue_directory", "."}};
	const char *v;

	if (n->file != NULL && strcmp(name, "bounce_template_file") == 0)
		return n->file;
	for (size_t i = 0; i < sizeof(run_as) / sizeof(run_as[0]); i++)
		if (strcmp(name, run_as[i].name) == 0)
			return run_as[i].value;
	if ((v = cfg_config_explicit(n->cfg, name)) != NULL)
		return v;
	return cfg_bounce_param(name) ? cfg_config_value(n->cfg, name) : NULL;
}

/* seconds - a time parameter's value in seconds (0 when it does not parse) */
static long seconds(const struct cfg_config *cfg, const char *name, char unit)
{
	struct cfg_buf v;
	long s = 0;

	cfg_buf_init(&v);
	if (cfg_config_expand(cfg, cfg_config_value(cfg, name), &v, NULL) < 0
	    || cfg_time_parse(v.data ? v.data : "", unit, &s) < 0)
		s = 0;
	cfg_buf_fini(&v);
	return s;
}

/* expand - the four texts in postconf -b's form; -1 after a fatal diagnostic */
static int expand(const struct cfg_bounce_set *set, const struct cfg_config *cfg,
                  struct cfg_buf *out)
{
	struct names ctx = {cfg, set->file};
	struct cfg_expand names = {lookup, NULL, &ctx};
	struct cfg_bounce_times times = {seconds(cfg, "delay_warning_time", 'h'),
	                                 seconds(cfg, "maximal_queue_lifetime", 'd')};
	struct cfg_diags ds;
	int fatal = 0;

	cfg_diags_init(&ds);
	for (int k = 0; k < CFG_BOUNCE_NKINDS && !fatal; k++) {
		if (k > 0)
			cfg_buf_addc(out, '\n');
		cfg_buf_printf(out, "expanded_%s_text = <<EOF\n", cfg_bounce_kind_name(k));
		(void)cfg_bounce_expand(set, k, &names, &times, out, &ds);
		cfg_buf_adds(out, "EOF\n");
		fatal = say_all(&ds);
		cfg_diags_clear(&ds);
	}
	cfg_diags_fini(&ds);
	return fatal ? -1 : 0;
}

/* pcf_templates - postconf -t or -b (expanded) with the template file or the defaults */
int pcf_templates(const struct cfg_config *cfg, const char *file, int expanded)
{
	struct cfg_bounce_set set;
	struct cfg_diags fds, tds;
	struct cfg_buf out, configured;
	int rc = 0;

	cfg_bounce_set_init(&set);
	cfg_diags_init(&fds);
	cfg_diags_init(&tds);
	cfg_buf_init(&out);
	cfg_buf_init(&configured);
	/* without a file argument, main.cf's bounce_template_file, as the bounce daemon reads */
	if (file == NULL
	    && cfg_config_expand(cfg, cfg_config_value(cfg, "bounce_template_file"), &configured,
	                         NULL)
	           == 0
	    && configured.len > 0)
		file = configured.data;
	if (file != NULL && cfg_bounce_set_load(&set, file, &fds, &tds) < 0)
		rc = -1;
	(void)say_all(&fds);
	if (rc == 0) {
		(void)say_all(&tds);
		if (expanded)
			rc = expand(&set, cfg, &out);
		else
			dump(&set, &out);
	}
	if (rc == 0)
		pcf_out(out.data, out.len);
	cfg_buf_fini(&out);
	cfg_buf_fini(&configured);
	cfg_diags_fini(&tds);
	cfg_diags_fini(&fds);
	cfg_bounce_set_fini(&set);
	return rc < 0 ? 1 : 0;
}
