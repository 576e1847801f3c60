/*
 * check_params.c - every explicit setting against its type: names Postfix
 * does not know, $name references to nothing, read-only names, values a
 * daemon would refuse (booleans, numbers and their bounds, times and units,
 * sizes, enumerations, host names, users and groups, compatibility level),
 * network lists, and the hand-off of tables and restriction lists to
 * check_tables.c and check_restrict.c
 */
#include "config.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <grp.h>
#include <limits.h>
#include <pwd.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "cfg/param/expand.h"
#include "cfg/param/list.h"
#include "cfg/param/units.h"
#include "cfg/param/validate.h"
#include "cfg/base/xalloc.h"
#include "check_int.h"

/* why_of - the validate table's reason for rejecting value (empty when it accepts it) */
static int why_of(const struct cfg_param_def *def, const char *value, struct cfg_buf *why)
{
	const struct cfg_type_check *tc = cfg_type_check_for(def->type);

	cfg_buf_reset(why);
	return tc->check(def, value, why);
}

/* check_duplicates - main.cf names defined twice, -o names given twice in one entry */
static void check_duplicates(struct cfgp_check *ck)
{
	const struct cfg_maincf *m = ck->main;

	for (size_t i = 0; i < m->nents; i++) {
		const struct cfg_maincf_entry *e = &m->ents[i], *p;
		struct cfgp_setting s = {0};

		if (e->prev == 0)
			continue;
		p = &m->ents[e->prev - 1];
		s.name = e->name;
		s.value = e->value;
		s.file = ck->main_path;
		s.line = e->line;
		s.ment = e;
		if (strcmp(p->value, e->value) != 0)
			cfgp_check_add(
			    ck, CFG_SEV_WARNING, "maincf-duplicate", &s,
			    "overriding earlier entry: %s=%s (line %u); the last value wins",
			    p->name, p->value, p->line);
		else
			cfgp_check_add(ck, CFG_SEV_NOTE, "maincf-duplicate", &s,
			               "%s is set again to the same value as on line %u", e->name,
			               p->line);
	}
	for (size_t i = 0; i < ck->master->nsvcs; i++) {
		const struct cfg_service *svc = &ck->master->svcs[i];

		for (size_t k = 0; k < svc->novr; k++) {
			struct cfgp_setting s = {0};

			if (cfg_service_override(svc, svc->ovr[k].name) == svc->ovr[k].value)
				continue;
			s.name = svc->ovr[k].name;
			s.value = svc->ovr[k].value;
			s.file = ck->master_path;
			s.line = svc->line;
			s.svc = svc;
			s.ovr = k;
			cfgp_check_add(
			    ck, CFG_SEV_WARNING, "mastercf-duplicate-override", &s,
			    "service %s/%s: -o %s is given more than once; the last value "
			    "\"%s\" wins",
			    svc->field[CFG_MF_SERVICE], svc->field[CFG_MF_TYPE], s.name,
			    cfg_service_override(svc, s.name));
		}
	}
}

/* is_defined - name has a value where s is evaluated */
static int is_defined(const struct cfgp_check *ck, const struct cfgp_setting *s, const char *name)
{
	if (s->svc != NULL && cfg_service_override(s->svc, name) != NULL)
		return 1;
	return cfgp_check_value(ck, name) != NULL;
}

struct refs {
	struct cfg_strvec names;
};

/* add_ref - cfg_expand_scan() callback: remember a referenced name once */
static void add_ref(void *ctx, const char *name)
{
	struct refs *r = ctx;

	for (size_t i = 0; i < r->names.n; i++)
		if (strcmp(r->names.v[i], name) == 0)
			return;
	cfg_strvec_add(&r->names, name);
}

/* check_refs - macro syntax and $name references to undefined parameters */
static int check_refs(struct cfgp_check *ck, const struct cfgp_setting *s)
{
	struct refs r;
	struct cfg_diags tmp;
	int rc = 0;

	if (strchr(s->value, '$') == NULL)
		return 0;
	cfg_strvec_init(&r.names);
	cfg_diags_init(&tmp);
	if (cfg_expand_scan(s->value, add_ref, &r, &tmp) < 0) {
		for (size_t i = 0; i < tmp.n; i++)
			cfgp_check_add(ck, CFG_SEV_ERROR, "expand-syntax", s,
			               "parameter %s: macro processing error: %s", s->name,
			               tmp.v[i].msg);
		rc = -1;
	}
	for (size_t i = 0; ck->cfg != NULL && i < r.names.n; i++) {
		const char *n = r.names.v[i], *hint;
		char *pat;

		if (is_defined(ck, s, n))
			continue;
		hint = cfg_check_suggest_param(n);
		pat = cfg_xasprintf("$%s", n);
		if (strstr(s->value, pat) == NULL) {
			free(pat);
			pat = cfg_xasprintf("{%s", n);
		}
		cfgp_check_add_at(ck, CFG_SEV_WARNING, "param-undefined", s, pat, 0, 1,
		                  "undefined parameter: %s%s%s%s", n,
		                  hint ? " (did you mean \"" : "", hint ? hint : "",
		                  hint ? "\"?)" : "; it expands to nothing");
		free(pat);
	}
	cfg_strvec_fini(&r.names);
	cfg_diags_fini(&tmp);
	return rc;
}

/* check_known - names Postfix does not know and nothing uses: its "unused parameter" warning */
static int check_known(struct cfgp_check *ck, const struct cfgp_setting *s)
{
	const char *hint;
	int unused;

	if (ck->cfg == NULL)
		return 0;
	if (s->svc != NULL) {
		unused = cfg_htab_has(ck->unused_master, s->name);
	} else {
		unsigned cls = cfg_config_class(ck->cfg, s->name);

		unused =
		    cls == 0 || (cls == CFG_CLASS_USER && !cfg_config_is_used(ck->cfg, s->name));
	}
	if (!unused)
		return 0;
	hint = cfg_check_suggest_param(s->name);
	if (hint != NULL)
		cfgp_check_add(ck, CFG_SEV_WARNING, "param-unused", s,
		               "unused parameter: %s=%s (did you mean \"%s\"?)", s->name, s->value,
		               hint);
	else
		cfgp_check_add(ck, CFG_SEV_WARNING, "param-unused", s,
		               "unused parameter: %s=%s (not a Postfix parameter, and no setting "
		               "refers to $%s)",
		               s->name, s->value, s->name);
	return 1;
}

/* bounded - def's bounds are meant (open ends and min > max mean none) */
static int bounded(const struct cfg_param_def *def)
{
	return def->min <= def->max;
}

/* expanded_note - " (expanded from \"RAW\")" when expansion changed the value */
static const char *expanded_note(const char *raw, const char *exp, struct cfg_buf *b)
{
	cfg_buf_reset(b);
	if (strcmp(raw, exp) != 0)
		cfg_buf_printf(b, " (expanded from \"%s\")", raw);
	return b->data;
}

/* check_number - INT, LONG, SIZE with Postfix's messages */
static void check_number(struct cfgp_check *ck, const struct cfgp_setting *s,
                         const struct cfg_param_def *def, const char *v, struct cfg_buf *why)
{
	long n;
	struct cfg_buf note;

	cfg_buf_init(&note);
	expanded_note(s->value, v, &note);
	if (cfg_number_parse(v, &n) < 0
	    || (def->type == CFG_T_INT && (n < INT_MIN || n > INT_MAX))) {
		why_of(def, v, why);
		cfgp_check_add(ck, CFG_SEV_ERROR, "value-number", s,
		               "bad numerical configuration: %s = %s%s (%s)", s->name, v, note.data,
		               why->len ? why->data : "out of range");
	} else if (bounded(def) && def->min != CFG_NOMIN && n < def->min) {
		cfgp_check_add(ck, CFG_SEV_ERROR, "value-range", s,
		               "invalid %s parameter value %ld < %ld%s", s->name, n, def->min,
		               note.data);
	} else if (bounded(def) && def->max != CFG_NOMAX && n > def->max) {
		cfgp_check_add(ck, CFG_SEV_ERROR, "value-range", s,
		               "invalid %s parameter value %ld > %ld%s", s->name, n, def->max,
		               note.data);
	}
	cfg_buf_fini(&note);
}

/* check_time - TIME values with Postfix's messages */
static void check_time(struct cfgp_check *ck, const struct cfgp_setting *s,
                       const struct cfg_param_def *def, const char *v, struct cfg_buf *why)
{
	long secs;
	struct cfg_buf note;

	cfg_buf_init(&note);
	expanded_note(s->value, v, &note);
	if (cfg_time_conv(v, def->time_unit ? def->time_unit : 's', &secs, NULL) != CFG_TIME_OK) {
		why_of(def, v, why);
		cfgp_check_add(ck, CFG_SEV_ERROR, "value-time", s,
		               "parameter %s: bad time value or unit: %s%s (%s; a time is a number "
		               "with an optional unit s, m, h, d or w)",
		               s->name, v, note.data, why->len ? why->data : "out of range");
	} else if (bounded(def) && def->min != CFG_NOMIN && secs < def->min) {
		cfgp_check_add(ck, CFG_SEV_ERROR, "value-range", s, "invalid %s: %ld (min %ld)%s",
		               s->name, secs, def->min, note.data);
	} else if (bounded(def) && def->max != CFG_NOMAX && secs > def->max) {
		cfgp_check_add(ck, CFG_SEV_ERROR, "value-range", s, "invalid %s: %ld (max %ld)%s",
		               s->name, secs, def->max, note.data);
	}
	cfg_buf_fini(&note);
}

/* check_length - the string length bounds Postfix enforces ("bad string length 0 < 1") */
static int check_length(struct cfgp_check *ck, const struct cfgp_setting *s,
                        const struct cfg_param_def *def, const char *v)
{
	long len = (long)strlen(v);

	if (!bounded(def))
		return 0;
	if (def->min != CFG_NOMIN && def->min > 0 && len < def->min) {
		cfgp_check_add(ck, CFG_SEV_ERROR, "value-length", s,
		               "bad string length %ld < %ld: %s = %s", len, def->min, s->name, v);
		return -1;
	}
	if (def->max != CFG_NOMAX && len > def->max) {
		cfgp_check_add(ck, CFG_SEV_ERROR, "value-length", s,
		               "bad string length %ld > %ld: %s = %s", len, def->max, s->name, v);
		return -1;
	}
	return 0;
}

/* check_enum - one choice (or a list of them); Postfix's wording for the two it names */
static void check_enum(struct cfgp_check *ck, const struct cfgp_setting *s,
                       const struct cfg_param_def *def, const char *v, struct cfg_buf *why)
{
	struct cfg_strvec words;

	if (why_of(def, v, why) == 0)
		return;
	cfg_strvec_init(&words);
	cfg_list_tokens(v, CFG_LIST_SEPARATORS, &words);
	for (size_t i = 0; i < words.n; i++) {
		const char *w = words.v[i];

		if (cfg_param_has_choice(def, w) && (def->flags & CFG_PF_MULTI))
			continue;
		if (strcmp(s->name, "inet_protocols") == 0)
			cfgp_check_add_at(ck, CFG_SEV_ERROR, "value-enum", s, w,
			                  cfgp_check_word_nth(words.v, i), 0,
			                  "unknown inet_protocols value \"%s\" in \"%s\" (%s)", w,
			                  v, why->data);
		else if (strcmp(s->name, "mynetworks_style") == 0)
			cfgp_check_add_at(
			    ck, CFG_SEV_ERROR, "value-enum", s, w, 0, 0,
			    "unknown mynetworks mask style value \"%s\" in \"%s\" (%s)", w, v,
			    why->data);
		else
			cfgp_check_add_at(
			    ck, CFG_SEV_ERROR, "value-enum", s, w, cfgp_check_word_nth(words.v, i),
			    0, "parameter %s: invalid value \"%s\": %s", s->name, v, why->data);
		break;
	}
	if (words.n == 0)
		cfgp_check_add(ck, CFG_SEV_ERROR, "value-enum", s,
		               "parameter %s: invalid value \"%s\": %s", s->name, v, why->data);
	cfg_strvec_fini(&words);
}

/* check_account - a user or group that must exist and must not be privileged */
static void check_account(struct cfgp_check *ck, const struct cfgp_setting *s,
                          const struct cfg_param_def *def, const char *v)
{
	if (strchr(v, '$') != NULL || *v == 0)
		return;
	if (def->type == CFG_T_USER) {
		struct passwd *pw = getpwnam(v);

		if (pw == NULL)
			cfgp_check_add(ck, CFG_SEV_ERROR, "value-user", s,
			               "parameter %s: unknown user name value: %s", s->name, v);
		else if (pw->pw_uid == 0)
			cfgp_check_add(ck, CFG_SEV_ERROR, "value-user", s,
			               "parameter %s: user %s has privileged user ID", s->name, v);
		else if (pw->pw_gid == 0)
			cfgp_check_add(ck, CFG_SEV_ERROR, "value-user", s,
			               "parameter %s: user %s has privileged group ID", s->name, v);
	} else {
		struct group *gr = getgrnam(v);

		if (gr == NULL)
			cfgp_check_add(ck, CFG_SEV_ERROR, "value-group", s,
			               "parameter %s: unknown group name: %s", s->name, v);
		else if (gr->gr_gid == 0)
			cfgp_check_add(ck, CFG_SEV_ERROR, "value-group", s,
			               "parameter %s: group %s has privileged group ID", s->name,
			               v);
	}
}

/* looks_like_address - a word of a network list that is an address, not a table */
static int looks_like_address(const char *w)
{
	if (*w == '!')
		w++;
	return *w == '[' || w[strspn(w, "0123456789abcdefABCDEF:./")] == 0;
}

/* check_networks - each element: address, network, table, file or host name */
static void check_networks(struct cfgp_check *ck, const struct cfgp_setting *s,
                           const struct cfg_param_def *def, const char *v, struct cfg_buf *why)
{
	struct cfg_strvec words;

	cfg_strvec_init(&words);
	cfg_list_tokens(v, CFG_LIST_SEPARATORS, &words);
	for (size_t i = 0; i < words.n; i++) {
		const char *w = words.v[i];
		struct cfgp_at at = {words.v, i};

		if (strchr(w, ':') != NULL && !looks_like_address(w)) {
			cfgp_check_table(ck, s, w[0] == '!' ? w + 1 : w, &at);
			continue;
		}
		if (w[0] == '/') {
			if (access(w, R_OK) != 0)
				cfgp_check_add_at(ck, CFG_SEV_ERROR, "table-open", s, w,
				                  cfgp_at_nth(&at), 0, "open %s: %s", w,
				                  strerror(errno));
			continue;
		}
		if (w[w[0] == '!'] != '[' && strchr(w, ':') != NULL) {
			const char *a = w + (w[0] == '!');
			size_t alen = strcspn(a, "/");

			/* Postfix's match lists take "::1/128" for a type:table */
			cfgp_check_add_at(
			    ck, CFG_SEV_ERROR, "value-networks", s, w, cfgp_at_nth(&at), 0,
			    "parameter %s: the IPv6 address \"%s\" must be written in "
			    "brackets, as in %s[%.*s]%s (unbracketed, Postfix's daemons "
			    "take it for a lookup table type:name and fail)",
			    s->name, w, a == w ? "" : "!", (int)alen, a, a + alen);
			continue;
		}
		if (why_of(def, w, why) < 0)
			cfgp_check_add_at(ck, CFG_SEV_ERROR, "value-networks", s, w,
			                  cfgp_at_nth(&at), 0,
			                  "parameter %s: bad address pattern: \"%s\" (%s)", s->name,
			                  w, why->data);
	}
	cfg_strvec_fini(&words);
}

/* check_host - Postfix's valid_hostname() rules for myhostname / mydomain */
static void check_host(struct cfgp_check *ck, const struct cfgp_setting *s,
                       const struct cfg_param_def *def, const char *v, struct cfg_buf *why)
{
	if (why_of(def, v, why) < 0) {
		cfgp_check_add(ck, CFG_SEV_ERROR, "value-hostname", s,
		               "parameter %s: bad parameter value: %s (%s)", s->name, v, why->data);
		return;
	}
	if (def->type == CFG_T_HOSTNAME && strchr(v, '.') == NULL)
		cfgp_check_add(ck, CFG_SEV_WARNING, "value-hostname", s,
		               "parameter %s: \"%s\" is not a fully-qualified domain name: mail "
		               "servers may refuse its HELO, and local addresses get no domain",
		               s->name, v);
}

/* check_interfaces - inet_interfaces / proxy_interfaces: all, loopback-only, addresses, names */
static void check_interfaces(struct cfgp_check *ck, const struct cfgp_setting *s, const char *v)
{
	struct cfg_strvec words;
	struct cfg_param_def host = {0};
	struct cfg_buf why;

	host.type = CFG_T_HOSTNAME;
	cfg_buf_init(&why);
	cfg_strvec_init(&words);
	cfg_list_tokens(v, CFG_LIST_SEPARATORS, &words);
	for (size_t i = 0; i < words.n; i++) {
		char *w = words.v[i];
		unsigned char addr[16];
		size_t n = strlen(w);

		if (strcasecmp(w, "all") == 0 || strcasecmp(w, "loopback-only") == 0)
			continue;
		if (w[0] == '[' && n > 2 && w[n - 1] == ']') {
			char *in = cfg_xstrndup(w + 1, n - 2);
			int ok =
			    inet_pton(AF_INET6, in, addr) == 1 || inet_pton(AF_INET, in, addr) == 1;

			free(in);
			if (ok)
				continue;
		} else if (inet_pton(AF_INET, w, addr) == 1 || inet_pton(AF_INET6, w, addr) == 1) {
			continue;
		} else if (w[strspn(w, "0123456789.")] != 0 && why_of(&host, w, &why) == 0) {
			continue; /* a host name: resolved when Postfix starts */
		}
		cfgp_check_add_at(ck, CFG_SEV_ERROR, "value-interfaces", s, w,
		                  cfgp_check_word_nth(words.v, i), 0,
		                  "config variable %s: host not found: %s (not an IP address or a "
		                  "valid host name)",
		                  s->name, w);
	}
	cfg_strvec_fini(&words);
	cfg_buf_fini(&why);
}

/* is_port - a port number or a service name ("submission") */
static int is_port(const char *p)
{
	if (*p == 0)
		return 0;
	return p[strspn(p, "0123456789")] == 0 || p[strspn(p, "abcdefghijklmnopqrstuvwxyz-")] == 0;
}

/* is_port_n - the n bytes at p are a port number or service name */
static int is_port_n(const char *p, size_t n)
{
	char *copy = cfg_xstrndup(p, n);
	int ok = is_port(copy);

	free(copy);
	return ok;
}

/* check_relayhost - relayhost / *_relayhost: [host]:port, host:port, host */
static void check_relayhost(struct cfgp_check *ck, const struct cfgp_setting *s, const char *v)
{
	struct cfg_strvec words;

	cfg_strvec_init(&words);
	cfg_list_tokens(v, CFG_LIST_SEPARATORS, &words);
	for (size_t i = 0; i < words.n; i++) {
		const char *w = words.v[i], *port = NULL;
		const char *why = NULL;

		if (w[0] == '[') {
			const char *rb = strchr(w, ']');
			const char *colon = memchr(w, ':', rb ? (size_t)(rb - w) : strlen(w));

			if (rb == NULL)
				why = "missing ']'";
			else if (colon != NULL && strchr(colon + 1, ':') == NULL && colon + 1 < rb
			         && is_port_n(colon + 1, (size_t)(rb - colon - 1)))
				/* [host:25]: the port is taken for part of the host name */
				why = "the port goes after the brackets, as in [host]:port";
			else if (rb[1] == ':')
				port = rb + 2;
			else if (rb[1] != 0)
				why = "text after ']' is not \":port\"";
		} else if (strchr(w, ':') != NULL && strchr(w, ':') == strrchr(w, ':')) {
			port = strchr(w, ':') + 1;
		}
		if (why == NULL && port != NULL && !is_port(port))
			why = "the port is not a number or a service name";
		if (why != NULL)
			cfgp_check_add_at(ck, CFG_SEV_ERROR, "value-relayhost", s, w,
			                  cfgp_check_word_nth(words.v, i), 0,
			                  "parameter %s: malformed destination \"%s\": %s; write "
			                  "[host]:port, host:port or host",
			                  s->name, w, why);
	}
	cfg_strvec_fini(&words);
}

/* check_path - file and directory names are absolute (the daemons run in the queue directory) */
static void check_path(struct cfgp_check *ck, const struct cfgp_setting *s, const char *v)
{
	const struct cfg_param_def *def = cfg_registry_find(s->name);

	if (*v == 0 || *v == '/' || (def != NULL && (def->flags & (CFG_PF_RELPATH | CFG_PF_FSDIR))))
		return;
	cfgp_check_add(ck, CFG_SEV_WARNING, "value-path", s,
	               "parameter %s: \"%s\" is not an absolute path name; Postfix daemons "
	               "resolve it from the queue directory",
	               s->name, v);
}

/* check_compat - compatibility_level syntax */
static void check_compat(struct cfgp_check *ck, const struct cfgp_setting *s,
                         const struct cfg_param_def *def, const char *v, struct cfg_buf *why)
{
	if (why_of(def, v, why) < 0)
		cfgp_check_add(
		    ck, CFG_SEV_ERROR, "value-compat", s,
		    "parameter %s: malformed compatibility level syntax: \"%s\" (write N, "
		    "N.N or N.N.N, e.g. 3.6)",
		    s->name, v);
}

/* check_list - brace syntax of list values, then the lists that hold tables */
static void check_list(struct cfgp_check *ck, const struct cfgp_setting *s, const char *v)
{
	struct cfg_strvec words;
	struct cfg_diags tmp;

	cfg_strvec_init(&words);
	cfg_diags_init(&tmp);
	if (cfg_list_split(v, &words, s->name, &tmp) < 0) {
		for (size_t i = 0; i < tmp.n; i++)
			cfgp_check_add(ck, CFG_SEV_ERROR, "value-list", s, "%s", tmp.v[i].msg);
	} else if (cfg_registry_find(s->name) != NULL
	           && (cfg_registry_find(s->name)->flags & CFG_PF_DOMLIST)) {
		cfgp_check_table_list(ck, s, v, 0);
	} else if (strcmp(s->name, "smtpd_restriction_classes") == 0) {
		cfgp_check_restriction_classes(ck, s, v);
	} else if (strcmp(s->name, "inet_interfaces") == 0
	           || strcmp(s->name, "proxy_interfaces") == 0) {
		check_interfaces(ck, s, v);
	}
	cfg_strvec_fini(&words);
	cfg_diags_fini(&tmp);
}

/* check_value - the value of a known parameter against its type */
static void check_value(struct cfgp_check *ck, const struct cfgp_setting *s,
                        const struct cfg_param_def *def, const char *v)
{
	struct cfg_buf why;

	cfg_buf_init(&why);
	switch (def->type) {
	case CFG_T_BOOL:
		if (strcasecmp(v, "yes") != 0 && strcasecmp(v, "no") != 0) {
			struct cfg_buf note;

			cfg_buf_init(&note);
			cfgp_check_add(ck, CFG_SEV_ERROR, "value-bool", s,
			               "bad boolean configuration: %s = %s%s (expected yes or no)",
			               s->name, v, expanded_note(s->value, v, &note));
			cfg_buf_fini(&note);
		}
		break;
	case CFG_T_INT:
	case CFG_T_LONG:
	case CFG_T_SIZE:
		check_number(ck, s, def, v, &why);
		break;
	case CFG_T_TIME:
		check_time(ck, s, def, v, &why);
		break;
	case CFG_T_ENUM:
		check_enum(ck, s, def, v, &why);
		break;
	case CFG_T_COMPAT:
		check_compat(ck, s, def, v, &why);
		break;
	case CFG_T_HOSTNAME:
	case CFG_T_DOMAIN:
		if (check_length(ck, s, def, v) == 0)
			check_host(ck, s, def, v, &why);
		break;
	case CFG_T_USER:
	case CFG_T_GROUP:
		if (check_length(ck, s, def, v) == 0)
			check_account(ck, s, def, v);
		break;
	case CFG_T_NETWORKS:
		check_networks(ck, s, def, v, &why);
		break;
	case CFG_T_MAPS:
		cfgp_check_table_list(ck, s, v, strncmp(s->name, "proxy_", 6) != 0);
		break;
	case CFG_T_RESTRICTIONS:
		cfgp_check_restrictions(ck, s, v);
		break;
	case CFG_T_LIST:
		check_list(ck, s, v);
		break;
	case CFG_T_PATH:
		if (check_length(ck, s, def, v) == 0)
			check_path(ck, s, v);
		break;
	case CFG_T_STRING:
		if (check_length(ck, s, def, v) == 0
		    && (strcmp(s->name, "relayhost") == 0 || strstr(s->name, "_relayhost") != NULL))
			check_relayhost(ck, s, v);
		break;
	case CFG_T_RAW:
		break;
	}
	cfg_buf_fini(&why);
}

/*
 * used_by_bad_master - when master.cf did not load, its services and $name
 * references are unknown to the loader: do not call a main.cf name unused
 * when it is a service-defined name or master.cf refers to it
 */
static int used_by_bad_master(const struct cfgp_check *ck, const struct cfgp_setting *s,
                              const struct cfg_param_def *def)
{
	char *ref;
	int used;

	if (!ck->master_bad || s->svc != NULL)
		return 0;
	if (def != NULL)
		return 1;
	ref = cfg_xasprintf("$%s", s->name);
	used = strstr(ck->master->text.data, ref) != NULL;
	free(ref);
	if (!used) {
		ref = cfg_xasprintf("{%s", s->name);
		used = strstr(ck->master->text.data, ref) != NULL;
		free(ref);
	}
	return used;
}

/* check_setting - one explicit setting */
static void check_setting(struct cfgp_check *ck, const struct cfgp_setting *s)
{
	struct cfg_param_def tmp;
	const struct cfg_param_def *def = cfg_validate_lookup_def(s->name, &tmp);
	struct cfg_buf exp;

	if (def != NULL && (def->flags & CFG_PF_READONLY)) {
		cfgp_check_add(ck, CFG_SEV_WARNING, "param-readonly", s,
		               "read-only parameter assignment: %s=%s (Postfix ignores it)",
		               s->name, s->value);
		return;
	}
	if ((def == NULL || !cfg_registry_find(s->name)) && !used_by_bad_master(ck, s, def))
		check_known(ck, s);
	if (def != NULL && def->type == CFG_T_RAW)
		return;
	if (check_refs(ck, s) < 0)
		return;
	cfg_buf_init(&exp);
	if (cfgp_check_expand(ck, s, s->value, &exp) < 0) {
		cfgp_check_add(ck, CFG_SEV_ERROR, "expand-syntax", s,
		               "parameter %s: macro processing error", s->name);
	} else if (def != NULL) {
		check_value(ck, s, def, exp.data);
	} else if (cfgp_check_is_class(ck, s->name)) {
		cfgp_check_restrictions(ck, s, exp.data);
	}
	cfg_buf_fini(&exp);
}

/* effective_long - the expanded main.cf value of name as a number; 0 when unset or not one */
static long effective_long(const struct cfgp_check *ck, const char *name)
{
	struct cfg_buf b;
	long v = 0;
	char *end;

	cfg_buf_init(&b);
	if (cfgp_check_effective(ck, name, &b) == 0 && b.len > 0) {
		v = strtol(b.data, &end, 10);
		if (*end != '\0')
			v = 0;
	}
	cfg_buf_fini(&b);
	return v;
}

/* has_value - the expanded main.cf value of name is not empty */
static int has_value(const struct cfgp_check *ck, const char *name)
{
	struct cfg_buf b;
	int yes;

	cfg_buf_init(&b);
	yes = cfgp_check_effective(ck, name, &b) == 0 && b.data[strspn(b.data, " \t,")] != '\0';
	cfg_buf_fini(&b);
	return yes;
}

/*
 * check_mailbox_limits - the delivery agents refuse to run ("configuration
 * error: mailbox_size_limit is smaller than message_size_limit") when a
 * mailbox could not hold one message
 */
static void check_mailbox_limits(struct cfgp_check *ck)
{
	static const char *const limits[] = {"mailbox_size_limit", "virtual_mailbox_limit"};
	long message = effective_long(ck, "message_size_limit");

	for (size_t i = 0; i < sizeof(limits) / sizeof(limits[0]); i++) {
		long box = effective_long(ck, limits[i]);
		const struct cfgp_setting *s = cfgp_check_setting(ck, limits[i]);

		if (box == 0 || message == 0 || box >= message)
			continue;
		if (i == 1 && !has_value(ck, "virtual_mailbox_domains"))
			continue; /* the virtual agent gets no mail: it never starts */
		if (s == NULL)
			s = cfgp_check_setting(ck, "message_size_limit");
		cfgp_check_add(ck, CFG_SEV_ERROR, "value-mailbox-limit", s,
		               "%s (%ld) is smaller than message_size_limit (%ld): the delivery "
		               "agent stops with \"configuration error: %s is smaller than "
		               "message_size_limit\"",
		               limits[i], box, message, limits[i]);
	}
}

void cfgp_check_params(struct cfgp_check *ck)
{
	check_duplicates(ck);
	for (size_t i = 0; i < ck->nsets; i++)
		check_setting(ck, &ck->sets[i]);
	check_mailbox_limits(ck);
}
