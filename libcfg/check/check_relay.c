/*
 * check_relay.c - the open-relay lint: who may send mail through the SMTP
 * server to any destination.  For every smtpd service of master.cf (or
 * main.cf alone when there is none) it evaluates the relay and recipient
 * restrictions in force (with -o overrides and restriction classes):
 *  - neither list holds a relay guard: smtpd refuses to start;
 *  - `permit` before the guard: any client relays;
 *  - spoofable OKs (HELO, sender tables), permit_mx_backup before the guard;
 *  - guards in client/helo/sender lists that a `permit` skips;
 * and the settings those restrictions trust: mynetworks (0.0.0.0/0, ::/0,
 * public ranges wider than /16), mynetworks_style, relay_domains,
 * permit_mx_backup_networks, and the legacy defaults that a missing or low
 * compatibility_level brings back.
 */
#include "config.h"

#include <arpa/inet.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "cfg/param/expand.h"
#include "cfg/param/list.h"
#include "cfg/base/net.h"
#include "cfg/base/xalloc.h"
#include "check_int.h"

#define REQUIRED_LIST                                                                              \
	"reject_unauth_destination, defer_unauth_destination, reject, defer, defer_if_permit "     \
	"or check_relay_domains"
#define CLASS_DEPTH 10

/* One restriction list as a service sees it. */
struct rlist {
	const char *param;
	const struct cfgp_setting *s; /* where its value is set, or NULL (the default) */
	const char *svc_label;        /* "smtp/inet: " when s is a -o override, else "" */
	struct cfg_strvec words;      /* tokens, restriction classes expanded in place */
	struct cfg_strvec origin;     /* for each token: the word of s's value it came from */
	int has_guard;                /* Postfix's start-up test (any guard, anywhere) */
	long first_guard;             /* index of the first guard, -1 */
	long hole;                    /* index of an unconditional permit before it, -1 */
	long mxbackup;                /* permit_mx_backup before the guard, -1 */
	long mynetworks;              /* permit_mynetworks before the guard, -1 */
};

/* add_words - tokens of value, with restriction classes expanded (origin: top-level word) */
static void add_words(const struct cfgp_check *ck, struct rlist *l, const char *value,
                      const char *origin, int depth)
{
	struct cfg_strvec w;

	cfg_strvec_init(&w);
	cfg_list_tokens(value, CFG_LIST_SEPARATORS, &w);
	for (size_t i = 0; i < w.n; i++) {
		const char *o = origin ? origin : w.v[i];
		const struct cfg_restriction_def *r = cfgp_restriction_find(w.v[i]);

		if (r == NULL && depth < CLASS_DEPTH && strchr(w.v[i], ':') == NULL
		    && cfgp_check_is_class(ck, w.v[i])) {
			struct cfg_buf b;

			cfg_buf_init(&b);
			if (cfgp_check_effective(ck, w.v[i], &b) == 0)
				add_words(ck, l, b.data, o, depth + 1);
			cfg_buf_fini(&b);
			continue;
		}
		cfg_strvec_add(&l->words, w.v[i]);
		cfg_strvec_add(&l->origin, o);
		if (r != NULL && r->arg != CFG_RA_NONE && i + 1 < w.n) {
			cfg_strvec_add(&l->words, w.v[++i]);
			cfg_strvec_add(&l->origin, origin ? origin : w.v[i]);
		}
	}
	cfg_strvec_fini(&w);
}

/* analyse - guards, holes and risky permits of a list */
static void analyse(struct rlist *l)
{
	l->first_guard = l->hole = l->mxbackup = l->mynetworks = -1;
	for (size_t i = 0; i < l->words.n; i++) {
		const struct cfg_restriction_def *r = cfgp_restriction_find(l->words.v[i]);

		if (r == NULL)
			continue;
		if (r->flags & CFG_RF_WARN) {
			i++;
			continue;
		}
		if (r->arg != CFG_RA_NONE)
			i++;
		if (r->flags & CFG_RF_GUARD) {
			l->has_guard = 1;
			if (l->first_guard < 0)
				l->first_guard = (long)i;
		}
		if (l->first_guard >= 0)
			continue;
		if ((r->flags & CFG_RF_PERMIT) && l->hole < 0)
			l->hole = (long)i;
		if ((r->flags & CFG_RF_MXBACKUP) && l->mxbackup < 0)
			l->mxbackup = (long)i;
		if (strcmp(r->name, "permit_mynetworks") == 0 && l->mynetworks < 0 && l->hole < 0)
			l->mynetworks = (long)i;
	}
}

/* effective - the list stops strangers from relaying */
static int effective(const struct rlist *l)
{
	return l->has_guard && l->hole < 0;
}

/* find_override - the -o setting of name in svc */
static const struct cfgp_setting *find_override(const struct cfgp_check *ck,
                                                const struct cfg_service *svc, const char *name)
{
	for (size_t i = ck->nmain; i < ck->nsets; i++)
		if (ck->sets[i].svc == svc && strcmp(ck->sets[i].name, name) == 0)
			return &ck->sets[i];
	return NULL;
}

/* load_list - the list param as service svc (NULL: main.cf) sees it */
static void load_list(const struct cfgp_check *ck, const struct cfg_service *svc, const char *param,
                      struct rlist *l, char *label)
{
	const char *raw = NULL;
	struct cfg_buf b;

	memset(l, 0, sizeof(*l));
	l->param = param;
	l->svc_label = "";
	cfg_strvec_init(&l->words);
	cfg_strvec_init(&l->origin);
	if (svc != NULL && (l->s = find_override(ck, svc, param)) != NULL) {
		raw = l->s->value;
		l->svc_label = label;
	} else {
		l->s = cfgp_check_setting(ck, param);
		raw = cfgp_check_value(ck, param);
	}
	cfg_buf_init(&b);
	if (raw != NULL && cfgp_check_expand_in(ck, svc, raw, &b) == 0)
		add_words(ck, l, b.data, NULL, 0);
	cfg_buf_fini(&b);
	analyse(l);
}

/* free_list - release a loaded list */
static void free_list(struct rlist *l)
{
	cfg_strvec_fini(&l->words);
	cfg_strvec_fini(&l->origin);
}

/* origin_nth - locate token i of l in its setting: (origin word, its occurrence) */
static unsigned origin_nth(const struct rlist *l, long i)
{
	unsigned n = 0;
	const char *o = l->origin.v[i];

	/* count earlier top-level words equal to o (class expansions share their origin) */
	for (long k = 0; k < i; k++)
		if (strcmp(l->origin.v[k], o) == 0
		    && (k == 0 || strcmp(l->origin.v[k - 1], o) != 0))
			n++;
	return n;
}

/* add_on - a finding on token i of list l (or on the list's line when it is a default) */
static void add_on(struct cfgp_check *ck, enum cfg_severity sev, const char *code,
                   const struct rlist *l, long i, const char *fmt, ...)
    __attribute__((format(printf, 6, 7)));
static void add_on(struct cfgp_check *ck, enum cfg_severity sev, const char *code,
                   const struct rlist *l, long i, const char *fmt, ...)
{
	va_list ap;
	struct cfg_buf msg;

	cfg_buf_init(&msg);
	va_start(ap, fmt);
	cfg_buf_vprintf(&msg, fmt, ap);
	va_end(ap);
	if (l->s != NULL && i >= 0)
		cfgp_check_add_at(ck, sev, code, l->s, l->origin.v[i], origin_nth(l, i), 0, "%s%s",
		                  l->svc_label, msg.data);
	else if (l->s != NULL)
		cfgp_check_add(ck, sev, code, l->s, "%s%s", l->svc_label, msg.data);
	else {
		struct cfg_diag *d =
		    cfg_diags_add(ck->diags, sev, code, ck->main_path, 0, 0, "%s", msg.data);

		if (d != NULL)
			d->param = cfg_xstrdup(l->param);
	}
	cfg_buf_fini(&msg);
}

/* compat_below - the effective compatibility_level is below level (missing counts as 0) */
static int compat_below(const struct cfgp_check *ck, const char *level)
{
	struct cfg_buf b;
	int err = 0, below;

	cfg_buf_init(&b);
	if (cfgp_check_effective(ck, "compatibility_level", &b) < 0 || b.len == 0)
		cfg_buf_adds(&b, "0");
	below = cfg_compat_level_cmp(b.data, level, &err) < 0 && !err;
	cfg_buf_fini(&b);
	return below;
}

/* check_lists - one service's relay and recipient restrictions */
static void check_lists(struct cfgp_check *ck, const struct cfg_service *svc, int *mynet_used)
{
	static const char *const others[] = {
	    "smtpd_client_restrictions",
	    "smtpd_helo_restrictions",
	    "smtpd_sender_restrictions",
	};
	struct rlist rl, rc, o;
	char *label = svc ? cfg_xasprintf("service %s/%s: ", svc->field[CFG_MF_SERVICE],
	                                  svc->field[CFG_MF_TYPE])
	                  : cfg_xstrdup("");
	struct rlist *lists[2] = {&rl, &rc};

	load_list(ck, svc, "smtpd_relay_restrictions", &rl, label);
	load_list(ck, svc, "smtpd_recipient_restrictions", &rc, label);
	if (!rl.has_guard && !rc.has_guard) {
		const struct rlist *at = rl.s ? &rl : rc.s ? &rc : &rl;
		int legacy = rl.s == NULL && compat_below(ck, "1");

		add_on(ck, CFG_SEV_ERROR, "relay-no-guard", at, -1,
		       "in parameter smtpd_relay_restrictions or smtpd_recipient_restrictions, "
		       "specify at least one working instance of: " REQUIRED_LIST
		       " (smtpd refuses to start%s)",
		       legacy ? "; with compatibility_level below 1 smtpd_relay_restrictions "
		                "defaults to empty"
		              : "");
	}
	for (int k = 0; k < 2; k++) {
		struct rlist *l = lists[k], *other = lists[1 - k];

		if (l->hole >= 0 && l->has_guard) {
			const char *guard = l->words.v[l->first_guard];

			if (!effective(other))
				add_on(
				    ck, CFG_SEV_ERROR, "relay-open", l, l->hole,
				    "open relay: `%s' comes before `%s' in %s, so any client may "
				    "send mail through this server to any domain",
				    l->words.v[l->hole], guard, l->param);
			else
				add_on(
				    ck, CFG_SEV_WARNING, "relay-skipped", l, l->hole,
				    "`%s' comes before `%s' in %s, so the relay check there never "
				    "runs (%s still refuses relaying)",
				    l->words.v[l->hole], guard, l->param, other->param);
		}
		if (l->first_guard < 0 || effective(other))
			continue;
		for (long i = 0; i < l->first_guard; i++) {
			const struct cfg_restriction_def *r = cfgp_restriction_find(l->words.v[i]);

			if (r != NULL && (r->flags & CFG_RF_SPOOFABLE) && i + 1 < l->first_guard)
				add_on(ck, CFG_SEV_WARNING, "relay-spoofable", l, i,
				       "%s %s comes before %s in %s: an OK result there lets any "
				       "client that claims that %s relay mail to any domain",
				       r->name, l->words.v[i + 1], l->words.v[l->first_guard],
				       l->param,
				       strstr(r->name, "helo") ? "HELO name" : "sender address");
		}
		if (l->mxbackup >= 0 && l->hole < 0) {
			struct cfg_buf nets;

			cfg_buf_init(&nets);
			if (cfgp_check_effective(ck, "permit_mx_backup_networks", &nets) < 0
			    || nets.len == 0)
				add_on(
				    ck, CFG_SEV_WARNING, "relay-mx-backup", l, l->mxbackup,
				    "permit_mx_backup in %s accepts mail for any domain whose MX "
				    "records list this host, and anyone can publish such records; "
				    "set permit_mx_backup_networks or list the domains in "
				    "relay_domains",
				    l->param);
			cfg_buf_fini(&nets);
		}
		if (l->mynetworks >= 0)
			*mynet_used = 1;
	}
	for (size_t k = 0; k < sizeof(others) / sizeof(others[0]); k++) {
		load_list(ck, svc, others[k], &o, label);
		if (o.hole >= 0 && o.first_guard >= 0
		    && (cfgp_restriction_find(o.words.v[o.first_guard])->flags & CFG_RF_RELAY))
			add_on(ck, CFG_SEV_WARNING, "relay-skipped", &o, o.hole,
			       "`%s' comes before `%s' in %s: the relay check there never runs",
			       o.words.v[o.hole], o.words.v[o.first_guard], o.param);
		free_list(&o);
	}
	free_list(&rl);
	free_list(&rc);
	free(label);
}

/* private_net - the network addr/prefix lies inside a private or local range */
static int private_net(int v6, const unsigned char *a, unsigned plen)
{
	if (!v6)
		return (a[0] == 10 && plen >= 8) || (a[0] == 127 && plen >= 8)
		       || (a[0] == 172 && (a[1] & 0xf0) == 16 && plen >= 12)
		       || (a[0] == 192 && a[1] == 168 && plen >= 16)
		       || (a[0] == 169 && a[1] == 254 && plen >= 16)
		       || (a[0] == 100 && (a[1] & 0xc0) == 64 && plen >= 10);
	return ((a[0] & 0xfe) == 0xfc && plen >= 7)
	       || (a[0] == 0xfe && (a[1] & 0xc0) == 0x80 && plen >= 10)
	       || (plen == 128 && memcmp(a, "\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\1", 16) == 0);
}

/* setting_words - the setting of param (NULL: unset) and the words of its expanded value in w */
static const struct cfgp_setting *setting_words(struct cfgp_check *ck, const char *param,
                                                struct cfg_strvec *w)
{
	const struct cfgp_setting *s = cfgp_check_setting(ck, param);
	struct cfg_buf b;

	cfg_strvec_init(w);
	if (s == NULL)
		return NULL;
	cfg_buf_init(&b);
	if (cfgp_check_expand(ck, s, s->value, &b) == 0)
		cfg_list_tokens(b.data, CFG_LIST_SEPARATORS, w);
	cfg_buf_fini(&b);
	return s;
}

/* check_trusted_nets - mynetworks-style lists: everyone, or a public range wider than /16 */
static void check_trusted_nets(struct cfgp_check *ck, const char *param, int used)
{
	struct cfg_strvec w;
	const struct cfgp_setting *s = setting_words(ck, param, &w);

	if (s == NULL)
		return;
	for (size_t i = 0; i < w.n; i++) {
		char *e = w.v[i];
		struct cfg_net n;
		enum cfg_net_status st;

		if (e[0] == '!' || strchr(e, '/') == NULL)
			continue;
		st = cfg_net_parse(e, &n);
		if (st != CFG_NET_OK && st != CFG_NET_HOST_BITS)
			continue;
		if (n.bits == 0)
			cfgp_check_add_at(
			    ck, used ? CFG_SEV_ERROR : CFG_SEV_WARNING, "relay-mynetworks", s, e,
			    cfgp_check_word_nth(w.v, i), 0,
			    "%s%s contains %s: every client on the Internet is trusted%s",
			    used ? "open relay: " : "", param, e,
			    strcmp(param, "mynetworks") == 0
			        ? " and may relay through permit_mynetworks"
			        : "");
		else if (n.bits < 16 && !private_net(n.family == AF_INET6, n.addr, n.bits))
			cfgp_check_add_at(
			    ck, CFG_SEV_WARNING, "relay-mynetworks", s, e,
			    cfgp_check_word_nth(w.v, i), 0,
			    "%s contains %s, a public range wider than /16: every client "
			    "in it is trusted%s",
			    param, e,
			    strcmp(param, "mynetworks") == 0
			        ? " and may relay through permit_mynetworks"
			        : "");
	}
	cfg_strvec_fini(&w);
}

/* check_relay_domains - entries that match every domain, or whole top-level domains */
static void check_relay_domains(struct cfgp_check *ck)
{
	struct cfg_strvec w;
	const struct cfgp_setting *s = setting_words(ck, "relay_domains", &w);

	if (s == NULL)
		return;
	for (size_t i = 0; i < w.n; i++) {
		const char *e = w.v[i], *d = e + (e[0] == '.');
		struct cfgp_at at = {w.v, i};

		if (e[0] == '!')
			continue;
		if (strncmp(e, "static:", 7) == 0)
			cfgp_check_add_at(
			    ck, CFG_SEV_ERROR, "relay-domains", s, e, cfgp_at_nth(&at), 0,
			    "open relay: relay_domains contains %s, which matches every "
			    "domain, so reject_unauth_destination lets anyone relay to any "
			    "destination",
			    e);
		else if (strchr(e, ':') == NULL && strchr(e, '/') == NULL && strchr(d, '.') == NULL
		         && *d != 0)
			cfgp_check_add_at(
			    ck, CFG_SEV_ERROR, "relay-domains", s, e, cfgp_at_nth(&at), 0,
			    "relay_domains contains the top-level domain \"%s\": this "
			    "server relays mail for every domain under .%s",
			    e, d);
	}
	cfg_strvec_fini(&w);
}

/* add_compat - a compatibility finding, on the compatibility_level line (or on main.cf) */
static void add_compat(struct cfgp_check *ck, const char *code, const char *param, const char *fmt,
                       ...) __attribute__((format(printf, 4, 5)));
static void add_compat(struct cfgp_check *ck, const char *code, const char *param, const char *fmt,
                       ...)
{
	const struct cfgp_setting *s = cfgp_check_setting(ck, "compatibility_level");
	struct cfg_diag *d;
	va_list ap;

	va_start(ap, fmt);
	d = cfgp_check_vadd(ck, CFG_SEV_WARNING, code, s, NULL, 0, 0, fmt, ap);
	va_end(ap);
	if (d != NULL) {
		free(d->param);
		d->param = cfg_xstrdup(param);
	}
}

/* check_compat - the legacy defaults a missing or low compatibility_level brings back */
static void check_compat(struct cfgp_check *ck)
{
	const struct cfgp_setting *lvl = cfgp_check_setting(ck, "compatibility_level");

	if (lvl == NULL)
		add_compat(ck, "compat-missing", "compatibility_level",
		           "compatibility_level is not set: Postfix is using backwards-compatible "
		           "default settings (set compatibility_level = 3.6 after reviewing "
		           "COMPATIBILITY_README)");
	if (!compat_below(ck, "2"))
		return;
	if (cfgp_check_setting(ck, "mynetworks") == NULL
	    && cfgp_check_setting(ck, "mynetworks_style") == NULL)
		add_compat(
		    ck, "compat-mynetworks", "mynetworks_style",
		    "compatibility_level is below 2, so mynetworks_style defaults to "
		    "subnet: every host on this server's IP subnets is trusted and may relay "
		    "through permit_mynetworks (set mynetworks explicitly)");
	if (cfgp_check_setting(ck, "relay_domains") == NULL)
		add_compat(ck, "compat-relay-domains", "relay_domains",
		           "compatibility_level is below 2, so relay_domains defaults to "
		           "$mydestination: this server also relays for the subdomains of its own "
		           "domains (set relay_domains explicitly)");
}

/* check_style - mynetworks_style when mynetworks is computed */
static void check_style(struct cfgp_check *ck)
{
	const struct cfgp_setting *s = cfgp_check_setting(ck, "mynetworks_style");
	struct cfg_buf b;

	if (s == NULL || cfgp_check_setting(ck, "mynetworks") != NULL)
		return;
	cfg_buf_init(&b);
	if (cfgp_check_expand(ck, s, s->value, &b) == 0 && strcasecmp(b.data, "class") == 0)
		cfgp_check_add(ck, CFG_SEV_WARNING, "relay-mynetworks-style", s,
		               "mynetworks_style = class trusts the whole class A/B/C network of "
		               "every interface address, often a large part of the Internet");
	else if (strcasecmp(b.data, "subnet") == 0)
		cfgp_check_add(ck, CFG_SEV_NOTE, "relay-mynetworks-style", s,
		               "mynetworks_style = subnet trusts every host on this server's IP "
		               "subnets; on shared hosting that includes other customers");
	cfg_buf_fini(&b);
}

void cfgp_check_relay(struct cfgp_check *ck)
{
	int mynet_used = 0, any = 0;

	for (size_t i = 0; i < ck->master->nsvcs; i++) {
		const struct cfg_service *svc = &ck->master->svcs[i];

		if (svc->argv.n == 0 || strcmp(svc->argv.v[0], "smtpd") != 0 || !ck->master_in_cfg)
			continue;
		check_lists(ck, svc, &mynet_used);
		any = 1;
	}
	if (!any)
		check_lists(ck, NULL, &mynet_used);
	check_trusted_nets(ck, "mynetworks", mynet_used);
	check_trusted_nets(ck, "permit_mx_backup_networks", 0);
	check_relay_domains(ck);
	check_style(ck);
	check_compat(ck);
}
