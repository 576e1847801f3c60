/*
 * validate.c - type checks of one parameter value (see cfg/validate.h)
 *
 * One check function per registry type, in a table.  Each looks at an
 * already expanded value and either accepts it or says in a few words what
 * is wrong; cfg_validate_def() turns that into a diagnostic that names the
 * parameter, quotes the value and says what was expected.
 */
#include "config.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "cfg/schema/restriction.h"
#include "cfg/base/strvec.h"
#include "cfg/schema/tabletype.h"
#include "cfg/param/units.h"
#include "cfg/param/validate.h"
#include "cfg/base/net.h"
#include "cfg/base/xalloc.h"

int cfg_restriction_takes_arg(const char *name)
{
	const struct cfg_restriction_def *r = cfg_restriction_find(name);

	return r != NULL && r->arg != CFG_RA_NONE;
}

/*
 * split_list - words of a Postfix list: separated by commas and whitespace,
 * text inside balanced { } kept together (as Postfix's mystrtokq does).
 */
static void split_list(const char *s, struct cfg_strvec *out)
{
	const char *seps = ", \t\r\n";

	for (;;) {
		const char *start;
		int level = 0;

		s += strspn(s, seps);
		if (*s == 0)
			return;
		for (start = s; *s; s++) {
			if (*s == '{')
				level++;
			else if (level > 0 && *s == '}')
				level--;
			else if (level == 0 && strchr(seps, *s) != NULL)
				break;
		}
		cfg_strvec_addn(out, start, (size_t)(s - start));
	}
}

/* check_bounds - def's inclusive bounds (open ends and min > max mean none) */
static int check_bounds(const struct cfg_param_def *def, long v, const char *unit,
                        struct cfg_buf *why)
{
	int bounded = def->min <= def->max;

	if (bounded && def->min != CFG_NOMIN && v < def->min) {
		cfg_buf_printf(why, "%ld%s is below the minimum %ld%s", v, unit, def->min, unit);
		return -1;
	}
	if (bounded && def->max != CFG_NOMAX && v > def->max) {
		cfg_buf_printf(why, "%ld%s is above the maximum %ld%s", v, unit, def->max, unit);
		return -1;
	}
	return 0;
}

/* check_any - free text: anything goes */
static int check_any(const struct cfg_param_def *def, const char *value, struct cfg_buf *why)
{
	(void)def;
	(void)value;
	(void)why;
	return 0;
}

/* check_bool - yes or no, any case */
static int check_bool(const struct cfg_param_def *def, const char *value, struct cfg_buf *why)
{
	(void)why;
	(void)def;
	if (strcasecmp(value, "yes") == 0 || strcasecmp(value, "no") == 0)
		return 0;
	return -1;
}

/* check_number - INT, LONG and SIZE: a plain decimal number within bounds */
static int check_number(const struct cfg_param_def *def, const char *value, struct cfg_buf *why)
{
	long v;

	if (cfg_size_parse(value, &v) < 0) {
		const char *p = value + strspn(value, "-0123456789");

		if (p > value && *p && strchr("kKmMgGtT", *p) && p[1] == 0)
			cfg_buf_printf(why, "unit suffix '%c' is not allowed", *p);
		else
			cfg_buf_adds(why, "not a whole number");
		return -1;
	}
	if (def->type == CFG_T_INT && (v < INT_MIN || v > INT_MAX)) {
		cfg_buf_adds(why, "out of range");
		return -1;
	}
	return check_bounds(def, v, "", why);
}

/* check_time - number with at most one unit letter, as Postfix's conv_time() reads it */
static int check_time(const struct cfg_param_def *def, const char *value, struct cfg_buf *why)
{
	const char *p = value;
	char unit = def->time_unit ? def->time_unit : 's';
	long v, mult;
	char *num;
	size_t n;

	while (isspace((unsigned char)*p))
		p++;
	n = strspn(p + (*p == '-' || *p == '+'), "0123456789") + (*p == '-' || *p == '+');
	num = cfg_xstrndup(p, n);
	if (cfg_size_parse(num, &v) < 0) {
		free(num);
		cfg_buf_adds(why, "no number");
		return -1;
	}
	free(num);
	p += n;
	if (*p != 0) {
		if (p[1] != 0) {
			cfg_buf_printf(why, "\"%s\" is not a time unit", p);
			return -1;
		}
		unit = *p;
	}
	if ((mult = cfg_time_unit_seconds(unit)) == 0) {
		cfg_buf_printf(why, "unit '%c' is not one of s, m, h, d, w", unit);
		return -1;
	}
	if (v < 0) {
		cfg_buf_adds(why, "a time cannot be negative");
		return -1;
	}
	if (v > LONG_MAX / mult) {
		cfg_buf_adds(why, "too large");
		return -1;
	}
	return check_bounds(def, v * mult, "s", why);
}

/* known_table_type - 1 when t[0..n) is a table type */
static int known_table_type(const char *t, size_t n)
{
	char *type = cfg_xstrndup(t, n);
	int known = cfg_table_type_find(type) != NULL;

	free(type);
	return known;
}

/* check_table - "type:name" with a known type; -1 with a reason */
static int check_table(const char *w, struct cfg_buf *why)
{
	const char *colon = strchr(w, ':');

	if (colon == NULL || colon == w) {
		cfg_buf_printf(why, "\"%s\" is not written type:name", w);
		return -1;
	}
	if (!known_table_type(w, (size_t)(colon - w))) {
		cfg_buf_printf(why, "\"%.*s\" is not a lookup table type", (int)(colon - w), w);
		return -1;
	}
	if (colon[1] == 0) {
		cfg_buf_printf(why, "\"%s\" has no table name", w);
		return -1;
	}
	return 0;
}

/* each_element - fn on every element of the list value, up to the first that fails */
static int each_element(const char *value, int (*fn)(const char *, struct cfg_buf *),
                        struct cfg_buf *why)
{
	struct cfg_strvec sv;
	int ret = 0;

	cfg_strvec_init(&sv);
	split_list(value, &sv);
	for (size_t i = 0; i < sv.n && ret == 0; i++)
		ret = fn(sv.v[i], why);
	cfg_strvec_fini(&sv);
	return ret;
}

/* check_proxied - an element of a proxy_*_maps list: only its tables are checked */
static int check_proxied(const char *w, struct cfg_buf *why)
{
	return strchr(w, ':') != NULL ? check_table(w, why) : 0;
}

/* check_maps - every element a lookup table */
static int check_maps(const struct cfg_param_def *def, const char *value, struct cfg_buf *why)
{
	/* proxymap's lists collect other parameters' values; it uses only their tables */
	int tables_only = def->name != NULL && strncmp(def->name, "proxy_", 6) == 0;

	return each_element(value, tables_only ? check_proxied : check_table, why);
}

/* check_restrictions - known restriction names, their arguments, tables */
static int check_restrictions(const struct cfg_param_def *def, const char *value,
                              struct cfg_buf *why)
{
	struct cfg_strvec sv;
	size_t i;
	int ret = 0;

	(void)def;
	cfg_strvec_init(&sv);
	split_list(value, &sv);
	for (i = 0; i < sv.n && ret == 0; i++) {
		const char *w = sv.v[i];
		const struct cfg_restriction_def *r = cfg_restriction_find(w);

		if (r != NULL) {
			if (r->arg != CFG_RA_NONE && ++i >= sv.n) {
				cfg_buf_printf(why, "\"%s\" needs an argument", w);
				ret = -1;
			}
		} else if (strchr(w, ':') != NULL) {
			ret = check_table(w, why);
		} else if (w[0] == '{' || strchr(w, '.') || strchr(w, '/')) {
			cfg_buf_printf(why, "\"%s\" is not a restriction", w);
			ret = -1;
		} else {
			/* maybe a smtpd_restriction_classes name: the caller decides */
			cfg_buf_printf(why, "unknown restriction \"%s\"", w);
			ret = -1;
		}
	}
	cfg_strvec_fini(&sv);
	return ret;
}

/* all_of - 1 when every byte of s is in set */
static int all_of(const char *s, const char *set)
{
	return *s && s[strspn(s, set)] == 0;
}

/* check_network - one element of a network list */
static int check_network(const char *w, struct cfg_buf *why)
{
	const char *slash;
	struct cfg_net n;
	enum cfg_net_status st;
	char *addr;
	int v6, ret = -1;

	if (*w == '!')
		w++;
	if (strchr(w, ':') != NULL && w[0] != '[' && !all_of(w, "0123456789abcdefABCDEF:./"))
		return check_table(w, why);
	if (w[0] == '/')
		return 0; /* a file of patterns */
	if ((slash = strchr(w, '/')) != NULL
	    && (slash[1] == 0 || !all_of(slash + 1, "0123456789"))) {
		cfg_buf_printf(why, "bad prefix length in \"%s\"", w);
		return -1;
	}
	st = cfg_net_parse(w, &n);
	if (st == CFG_NET_NO_CLOSE || st == CFG_NET_GARBAGE) {
		cfg_buf_printf(why, "unbalanced '[' in \"%s\"", w);
		return -1;
	}
	addr = cfg_xstrndup(n.addr_text, n.addr_len);
	v6 = n.bracketed || strchr(addr, ':') != NULL;
	if (!v6 && !all_of(addr, "0123456789.")) {
		/* a host or domain name pattern; not an address to check */
		if (slash != NULL)
			cfg_buf_printf(why, "\"%s\" is not an address/prefix", w);
		ret = slash != NULL ? -1 : 0;
	} else if (st == CFG_NET_BAD_ADDR || (v6 && n.family != AF_INET6)
	           || (st == CFG_NET_LEN_RANGE && cfg_net_addr(addr, &n.family, n.addr) < 0)) {
		cfg_buf_printf(why, "\"%s\" is not a valid IPv%c address", addr, v6 ? '6' : '4');
	} else if (st == CFG_NET_LEN_RANGE) {
		cfg_buf_printf(why, "prefix length %ld is too long in \"%s\"",
		               strtol(n.len_text, NULL, 10), w);
	} else if (st == CFG_NET_HOST_BITS) {
		cfg_buf_printf(why, "\"%s\" has host bits set beyond the /%u prefix", w, n.bits);
	} else {
		ret = 0;
	}
	free(addr);
	return ret;
}

/* check_networks - every element an address, network, table or file */
static int check_networks(const struct cfg_param_def *def, const char *value, struct cfg_buf *why)
{
	(void)def;
	return each_element(value, check_network, why);
}

/* check_hostname - Postfix's valid_hostname() rules */
static int check_hostname(const struct cfg_param_def *def, const char *value, struct cfg_buf *why)
{
	size_t len = strlen(value), label = 0;
	const char *p;
	int non_numeric = 0;

	(void)def;
	if (len == 0) {
		cfg_buf_adds(why, "empty");
		return -1;
	}
	if (len > 255) {
		cfg_buf_adds(why, "longer than 255 characters");
		return -1;
	}
	for (p = value; *p; p++) {
		unsigned char c = (unsigned char)*p;

		if (isalnum(c) || c == '_' || c == '-') {
			if (c == '-' && (label == 0 || p[1] == '.' || p[1] == 0)) {
				cfg_buf_adds(why, "misplaced hyphen");
				return -1;
			}
			if (!isdigit(c))
				non_numeric = 1;
			if (++label > 63) {
				cfg_buf_adds(why, "a label is longer than 63 characters");
				return -1;
			}
		} else if (c == '.') {
			if (label == 0 || p[1] == 0) {
				cfg_buf_adds(why, "misplaced dot");
				return -1;
			}
			label = 0;
		} else {
			cfg_buf_printf(why, "invalid character '%c'", isprint(c) ? c : '?');
			return -1;
		}
	}
	if (!non_numeric) {
		cfg_buf_adds(why, "all numeric");
		return -1;
	}
	return 0;
}

/* has_choice - word is one of def's '|'-separated choices, any case */
static int has_choice(const struct cfg_param_def *def, const char *word)
{
	const char *p = def->choices;
	size_t n = strlen(word);

	while (p != NULL) {
		const char *bar = strchr(p, '|');
		size_t len = bar ? (size_t)(bar - p) : strlen(p);

		if (len == n && strncasecmp(p, word, n) == 0)
			return 1;
		p = bar ? bar + 1 : NULL;
	}
	return 0;
}

/* choices_text - "a, b or c" from "a|b|c" (the empty alternative shown as "empty") */
static void choices_text(const struct cfg_param_def *def, struct cfg_buf *why)
{
	struct cfg_strvec sv;
	size_t i;
	const char *p = def->choices ? def->choices : "";

	cfg_strvec_init(&sv);
	while (p != NULL) {
		const char *bar = strchr(p, '|');
		size_t len = bar ? (size_t)(bar - p) : strlen(p);

		cfg_strvec_addn(&sv, len ? p : "(empty)", len ? len : 7);
		p = bar ? bar + 1 : NULL;
	}
	for (i = 0; i < sv.n; i++)
		cfg_buf_printf(why, "%s%s", i == 0 ? "" : i + 1 == sv.n ? " or " : ", ", sv.v[i]);
	cfg_strvec_fini(&sv);
}

/* check_enum - one choice, or with CFG_PF_MULTI a list of choices */
static int check_enum(const struct cfg_param_def *def, const char *value, struct cfg_buf *why)
{
	struct cfg_strvec sv;
	size_t i;
	int ret = 0;

	if (def->choices == NULL)
		return 0;
	if (!(def->flags & CFG_PF_MULTI)) {
		if (has_choice(def, value))
			return 0;
		cfg_buf_adds(why, "not one of: ");
		choices_text(def, why);
		return -1;
	}
	cfg_strvec_init(&sv);
	split_list(value, &sv);
	for (i = 0; i < sv.n && ret == 0; i++) {
		if (!has_choice(def, sv.v[i])) {
			cfg_buf_printf(why, "\"%s\" is not one of: ", sv.v[i]);
			choices_text(def, why);
			ret = -1;
		}
	}
	if (sv.n == 0 && !has_choice(def, "")) {
		cfg_buf_adds(why, "empty");
		ret = -1;
	}
	cfg_strvec_fini(&sv);
	return ret;
}

/* check_login - a user or group name: letters, digits, '_', '-', '.', not starting with '-' */
static int check_login(const struct cfg_param_def *def, const char *value, struct cfg_buf *why)
{
	(void)why;
	(void)def;
	if (*value == 0 || *value == '-'
	    || !all_of(value,
	               "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_-.$")) {
		return -1;
	}
	return 0;
}

/* check_compat - N, N.N or N.N.N */
static int check_compat(const struct cfg_param_def *def, const char *value, struct cfg_buf *why)
{
	(void)why;
	const char *p = value;
	int parts = 0;

	(void)def;
	for (;;) {
		size_t n = strspn(p, "0123456789");

		if (n == 0)
			break;
		parts++;
		p += n;
		if (*p != '.')
			break;
		p++;
	}
	if (parts == 0 || parts > 3 || *p != 0) {
		return -1;
	}
	return 0;
}

static const struct cfg_type_check type_checks[CFG_T_COUNT] = {
    [CFG_T_STRING] = {CFG_T_STRING, "text", check_any},
    [CFG_T_RAW] = {CFG_T_RAW, "text", check_any},
    [CFG_T_BOOL] = {CFG_T_BOOL, "yes or no", check_bool},
    [CFG_T_INT] = {CFG_T_INT, "a whole number without a unit suffix", check_number},
    [CFG_T_LONG] = {CFG_T_LONG, "a whole number without a unit suffix", check_number},
    [CFG_T_SIZE] = {CFG_T_SIZE, "a size in bytes: a whole number without a unit suffix",
                    check_number},
    [CFG_T_TIME] = {CFG_T_TIME,
                    "a time: a number with an optional unit s (seconds), m (minutes), "
                    "h (hours), d (days) or w (weeks)",
                    check_time},
    [CFG_T_LIST] = {CFG_T_LIST, "a list", check_any},
    [CFG_T_MAPS] = {CFG_T_MAPS, "a list of lookup tables written type:name", check_maps},
    [CFG_T_RESTRICTIONS] = {CFG_T_RESTRICTIONS,
                            "a list of restrictions (or type:table, or a name from "
                            "smtpd_restriction_classes)",
                            check_restrictions},
    [CFG_T_NETWORKS] = {CFG_T_NETWORKS,
                        "a list of addresses, networks address/prefix ([ipv6]/prefix), "
                        "type:table or /file/name",
                        check_networks},
    [CFG_T_PATH] = {CFG_T_PATH, "a file name", check_any},
    [CFG_T_HOSTNAME] = {CFG_T_HOSTNAME, "a host name", check_hostname},
    [CFG_T_DOMAIN] = {CFG_T_DOMAIN, "a domain name", check_hostname},
    [CFG_T_ENUM] = {CFG_T_ENUM, NULL, check_enum}, /* the reason lists the choices */
    [CFG_T_USER] = {CFG_T_USER, "a user name", check_login},
    [CFG_T_GROUP] = {CFG_T_GROUP, "a group name", check_login},
    [CFG_T_COMPAT] = {CFG_T_COMPAT, "a compatibility level N, N.N or N.N.N", check_compat},
};

const struct cfg_type_check *cfg_type_check_for(enum cfg_ptype type)
{
	if ((int)type < 0 || (int)type >= CFG_T_COUNT || type_checks[type].check == NULL)
		return &type_checks[CFG_T_STRING];
	return &type_checks[type];
}

/* is_restriction_class - word is named in smtpd_restriction_classes (looked up through ex) */
static int is_restriction_class(const struct cfg_expand *ex, const char *word)
{
	struct cfg_buf exp;
	struct cfg_strvec sv;
	const char *classes;
	size_t i;
	int found = 0;

	if (ex == NULL || (classes = ex->lookup(ex->ctx, "smtpd_restriction_classes")) == NULL)
		return 0;
	cfg_buf_init(&exp);
	cfg_strvec_init(&sv);
	if (cfg_expand_value(ex, classes, &exp, NULL) == 0)
		split_list(exp.data, &sv);
	for (i = 0; i < sv.n && !found; i++)
		found = strcmp(sv.v[i], word) == 0;
	cfg_strvec_fini(&sv);
	cfg_buf_fini(&exp);
	return found;
}

/* check_restrictions_with_classes - restriction lists, class names resolved through ex */
static int check_restrictions_with_classes(const struct cfg_param_def *def, const char *value,
                                           const struct cfg_expand *ex, struct cfg_buf *why)
{
	struct cfg_strvec sv;
	struct cfg_buf rest;
	size_t i;
	int ret;

	/* drop class names, then check what is left */
	cfg_strvec_init(&sv);
	cfg_buf_init(&rest);
	split_list(value, &sv);
	for (i = 0; i < sv.n; i++) {
		if (is_restriction_class(ex, sv.v[i])
		    && (i == 0 || !cfg_restriction_takes_arg(sv.v[i - 1])))
			continue;
		cfg_buf_printf(&rest, "%s%s", rest.len ? " " : "", sv.v[i]);
	}
	ret = check_restrictions(def, rest.data, why);
	cfg_buf_fini(&rest);
	cfg_strvec_fini(&sv);
	return ret;
}

int cfg_validate_def(const struct cfg_param_def *def, const char *value,
                     const struct cfg_expand *ex, const char *file, unsigned line,
                     struct cfg_diags *diags)
{
	const struct cfg_type_check *tc = cfg_type_check_for(def->type);
	struct cfg_buf exp, why, note;
	const char *v = value;
	int ret = 0;

	if (tc->check == check_any)
		return 0;
	cfg_buf_init(&exp);
	cfg_buf_init(&why);
	if (strchr(value, '$') != NULL) {
		if (ex == NULL || cfg_expand_value(ex, value, &exp, NULL) < 0)
			goto out; /* cannot judge; expansion errors are reported elsewhere */
		v = exp.data;
	}
	if (def->type == CFG_T_RESTRICTIONS)
		ret = check_restrictions_with_classes(def, v, ex, &why);
	else
		ret = tc->check(def, v, &why);
	if (ret < 0) {
		struct cfg_diag *d;
		char code[32];

		/* "value-" + the type name, e.g. value-time */
		cfg_buf_init(&note);
		if (v != value)
			cfg_buf_printf(&note, " (expands to \"%s\")", v);
		if (why.len > 0)
			cfg_buf_printf(&note, ": %s", why.data);
		if (tc->expect != NULL)
			cfg_buf_printf(&note, "%s expected %s", why.len > 0 ? ";" : ":",
			               tc->expect);
		snprintf(code, sizeof(code), "value-%s", cfg_ptype_name(def->type));
		d = cfg_diags_add(diags, CFG_SEV_ERROR, code, file, line, 0,
		                  "parameter %s: invalid value \"%s\"%s", def->name, value,
		                  note.data);
		cfg_buf_fini(&note);
		if (d != NULL)
			d->param = cfg_xstrdup(def->name);
	}
out:
	cfg_buf_fini(&exp);
	cfg_buf_fini(&why);
	return ret;
}

const struct cfg_param_def *cfg_validate_lookup_def(const char *name, struct cfg_param_def *tmp)
{
	const struct cfg_param_def *def = cfg_registry_find(name);
	const struct cfg_service_param_template *t;
	size_t n, i, len = strlen(name);

	if (def != NULL)
		return def;
	t = cfg_service_param_templates(&n);
	for (i = 0; i < n; i++) {
		size_t sl = strlen(t[i].suffix);

		if (len > sl && strcmp(name + len - sl, t[i].suffix) == 0) {
			memset(tmp, 0, sizeof(*tmp));
			tmp->name = name;
			tmp->type = t[i].type;
			tmp->defval = t[i].defval;
			tmp->min = CFG_NOMIN;
			tmp->max = CFG_NOMAX;
			tmp->time_unit = t[i].type == CFG_T_TIME ? 's' : 0;
			return tmp;
		}
	}
	return NULL;
}

int cfg_validate_param(const char *name, const char *value, const struct cfg_expand *ex,
                       const char *file, unsigned line, struct cfg_diags *diags)
{
	struct cfg_param_def tmp;
	const struct cfg_param_def *def = cfg_validate_lookup_def(name, &tmp);

	if (def == NULL)
		return 0;
	return cfg_validate_def(def, value, ex, file, line, diags);
}
