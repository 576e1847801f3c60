/* bouncexp.c - $name expansion of bounce template text (see bouncexp.h) */
#include "config.h"

#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cfg/base/strvec.h"
#include "cfg/base/xalloc.h"
#include "cfg/param/bouncexp.h"
#include "cfg/schema/registry.h"

/*
 * cfg_bounce_param - is name one of the parameters the bounce daemon knows by default
 *
 * Those are Postfix's global parameters and the bounce daemon's own
 * (postconf -b runs it, so the same set there): the CFG_PF_BOUNCE rows of
 * schemas/params.def.  Seen from Postfix 3.7.11's postconf -b: a template
 * naming $alias_maps or $smtpd_banner (main.cf leaving them unset) stops
 * with "undefined $name".
 */
int cfg_bounce_param(const char *name)
{
	const struct cfg_param_def *def = cfg_registry_find(name);

	return def != NULL && (def->flags & CFG_PF_BOUNCE) != 0;
}

/* ctx - one expansion: the caller's names, the computed values kept until the end */
struct ctx {
	const struct cfg_expand *names;
	const struct cfg_bounce_times *times;
	const char *origin, *kind;
	struct cfg_strvec keep;
	struct cfg_diags *diags;
	int fatal;
};

static const struct {
	const char *name;
	size_t off;
} time_params[] = {
    {"delay_warning_time", offsetof(struct cfg_bounce_times, delay_warning_time)},
    {"maximal_queue_lifetime", offsetof(struct cfg_bounce_times, maximal_queue_lifetime)},
};

static const struct {
	const char *suffix;
	long seconds;
} units[] = {{"seconds", 1}, {"minutes", 60}, {"hours", 3600}, {"days", 86400}, {"weeks", 604800}};

/* time_param - the index of the time parameter name is NAME_suffix of, or -1 */
static int time_param(const char *name)
{
	for (size_t i = 0; i < sizeof(time_params) / sizeof(time_params[0]); i++) {
		size_t n = strlen(time_params[i].name);

		if (strncmp(name, time_params[i].name, n) == 0 && name[n] == '_')
			return (int)i;
	}
	return -1;
}

/* unit_warn - Postfix's three lines about a time shown in an unfit unit */
static void unit_warn(struct ctx *c, const char *first, const char *name, const char *suffix,
                      const char *change)
{
	cfg_diags_add(c->diags, CFG_SEV_WARNING, "bounce-tmpl-unit", NULL, 0, 0,
	              "%s: %s in %s template conversion of parameter \"%s\"", c->origin, first,
	              c->kind, name);
	cfg_diags_add(c->diags, CFG_SEV_WARNING, "bounce-tmpl-unit", NULL, 0, 0,
	              "please %s time unit \"%s\" of \"%s\" in %s template", change, suffix, name,
	              c->kind);
	cfg_diags_add(c->diags, CFG_SEV_WARNING, "bounce-tmpl-unit", NULL, 0, 0,
	              "for instructions see the bounce(5) manual");
}

/* time_value - the computed value of NAME_suffix (kept in c), or "" after a fatal diagnostic */
static const char *time_value(struct ctx *c, int p, const char *name)
{
	const char *suffix = name + strlen(time_params[p].name) + 1;
	long value = *(const long *)((const char *)c->times + time_params[p].off), result;

	for (size_t u = 0; u < sizeof(units) / sizeof(units[0]); u++) {
		if (strcmp(suffix, units[u].suffix) != 0)
			continue;
		result = value / units[u].seconds;
		if (result > 999 && units[u].seconds < 86400) {
			char first[64];

			snprintf(first, sizeof(first), "excessive result \"%ld\"", result);
			unit_warn(c, first, name, suffix, "increase");
		} else if (result == 0 && value != 0 && units[u].seconds > 1) {
			unit_warn(c, "zero result", name, suffix, "reduce");
		}
		cfg_strvec_take(&c->keep, cfg_xasprintf("%ld", result));
		return c->keep.v[c->keep.n - 1];
	}
	if (!c->fatal)
		cfg_diags_add(c->diags, CFG_SEV_FATAL, "bounce-tmpl-suffix", NULL, 0, 0,
		              "%s: unrecognized suffix \"%s\" in parameter \"%s\"", c->origin,
		              suffix, name);
	c->fatal = 1;
	return "";
}

/* lookup - a computed time name, else the caller's name */
static const char *lookup(void *ctx, const char *name)
{
	struct ctx *c = ctx;
	int p = time_param(name);

	if (p >= 0)
		return time_value(c, p, name);
	return c->names->lookup(c->names->ctx, name);
}

/* name_len - the length of the [A-Za-z0-9_] name at s */
static size_t name_len(const char *s, size_t n)
{
	size_t i = 0;

	while (i < n
	       && (s[i] == '_' || (s[i] >= 'a' && s[i] <= 'z') || (s[i] >= 'A' && s[i] <= 'Z')
	           || (s[i] >= '0' && s[i] <= '9')))
		i++;
	return i;
}

/* undefined - does line s[0..n) name an undefined parameter plainly ($x, ${x}, $(x)) */
static int undefined(struct ctx *c, const char *s, size_t n)
{
	for (size_t i = 0; i + 1 < n; i++) {
		size_t open, len;
		char *name;
		int undef;

		if (s[i] != '$')
			continue;
		if (s[i + 1] == '$') {
			i++;
			continue;
		}
		open = s[i + 1] == '{' || s[i + 1] == '(';
		len = name_len(s + i + 1 + open, n - i - 1 - open);
		if (len == 0
		    || (open
		        && (i + 1 + open + len >= n
		            || s[i + 1 + open + len] != (s[i + 1] == '{' ? '}' : ')'))))
			continue;
		name = cfg_xstrndup(s + i + 1 + open, len);
		undef = time_param(name) < 0 && c->names->lookup(c->names->ctx, name) == NULL;
		free(name);
		if (undef)
			return 1;
	}
	return 0;
}

/* expand_line - one line of text (without its newline) onto out; -1 after a fatal diagnostic */
static int expand_line(struct ctx *c, const struct cfg_expand *ex, const char *s, size_t n,
                       struct cfg_buf *out)
{
	char *line = cfg_xstrndup(s, n);
	int rc = 0;

	if (cfg_expand_value(ex, line, out, c->diags) < 0) {
		if (!c->fatal)
			cfg_diags_add(c->diags, CFG_SEV_FATAL, "bounce-tmpl-syntax", NULL, 0, 0,
			              "%s: bad $name syntax in %s template: %s", c->origin, c->kind,
			              line);
		rc = -1;
	} else if (c->fatal) {
		rc = -1;
	} else if (undefined(c, s, n)) {
		cfg_diags_add(c->diags, CFG_SEV_FATAL, "bounce-tmpl-undefined", NULL, 0, 0,
		              "%s: undefined $name in %s template: %s", c->origin, c->kind, line);
		rc = -1;
	}
	free(line);
	return rc;
}

/* cfg_bounce_expand - the expanded text of a template, line by line */
int cfg_bounce_expand(const struct cfg_bounce_set *set, enum cfg_bounce_kind k,
                      const struct cfg_expand *names, const struct cfg_bounce_times *times,
                      struct cfg_buf *out, struct cfg_diags *diags)
{
	struct ctx c = {names, times, set->origin[k], cfg_bounce_kind_name(k), {0}, diags, 0};
	struct cfg_expand ex = {lookup, NULL, &c};
	const char *p = set->t[k].text, *nl;
	int rc = 0;

	cfg_strvec_init(&c.keep);
	for (; *p && rc == 0; p = nl + 1) {
		size_t mark = out->len;

		nl = strchr(p, '\n');
		if (nl == NULL)
			nl = p + strlen(p);
		rc = expand_line(&c, &ex, p, (size_t)(nl - p), out);
		if (rc < 0)
			cfg_buf_truncate(out, mark);
		else
			cfg_buf_addc(out, '\n');
		if (*nl == '\0')
			break;
	}
	cfg_strvec_fini(&c.keep);
	return rc;
}
