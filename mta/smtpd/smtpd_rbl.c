/*
 * smtpd_rbl.c - DNS white- and blocklists in smtpd restrictions
 *
 * reject_rbl_client and permit_dnswl_client look up the client address,
 * reversed, under the list's domain; reject_rhsbl_client, _reverse_client,
 * _helo, _sender, _recipient and permit_rhswl_client look up a name under
 * it.  A list written domain=PATTERN counts only A records that match the
 * pattern (octets as numbers, [a..b] ranges or [a;b;c] sets).  A listed
 * client is rejected with the reply template from rbl_reply_maps (indexed
 * by the list as written) or default_rbl_reply, $rbl_* and the client's
 * macros expanded; a DNS error is logged and the list is skipped, except
 * that a whitelist that cannot be asked turns a later rejection into a 450.
 * A whitelisted client may not relay: at RCPT the permit counts only for a
 * recipient that reject_unauth_destination would accept.
 * Lookups go through mta/common/dns.c.
 */
#include "config.h"

#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cfg/base/xalloc.h"
#include "cfg/param/expand.h"
#include "dns.h"
#include "log.h"
#include "maps.h"
#include "smtpd_check.h"

static const char *default_reply = "";
static long rbl_code = 554;
static struct cfg_strvec reply_maps;

/* smtpdp_rbl_init - rbl_reply_maps, default_rbl_reply, maps_rbl_reject_code */
void smtpdp_rbl_init(struct mta_conf *conf)
{
	const struct mta_setting tab[] = {
	    MTA_SET(CFG_P_default_rbl_reply, &default_reply),
	    MTA_SET(CFG_P_maps_rbl_reject_code, &rbl_code),
	    MTA_SET(CFG_P_rbl_reply_maps, &reply_maps),
	    MTA_SETTINGS_END,
	};

	cfg_strvec_init(&reply_maps);
	mta_conf_get(conf, tab);
}

/* octet_match - one octet against a pattern octet: N, [N..M], [A;B;C] or mixes */
static int octet_match(const char *pat, size_t len, long v)
{
	char buf[64];
	char *item, *next;

	if (len == 0 || len >= sizeof(buf))
		return 0;
	snprintf(buf, sizeof(buf), "%.*s", (int)len, pat);
	if (buf[0] != '[')
		return strspn(buf, "0123456789") == len && strtol(buf, NULL, 10) == v;
	if (buf[len - 1] != ']')
		return 0;
	buf[len - 1] = '\0';
	for (item = buf + 1; item != NULL; item = next) {
		char *dots;
		long lo, hi;

		if ((next = strchr(item, ';')) != NULL)
			*next++ = '\0';
		dots = strstr(item, "..");
		lo = strtol(item, NULL, 10);
		hi = dots ? strtol(dots + 2, NULL, 10) : lo;
		if (*item && v >= lo && v <= hi)
			return 1;
	}
	return 0;
}

/* addr_match - an IPv4 reply address against domain=PATTERN's pattern */
static int addr_match(const char *pattern, const unsigned char *a)
{
	const char *p = pattern;

	for (int i = 0; i < 4; i++) {
		size_t n = strcspn(p, ".");

		/* a dot inside [a..b] is no octet separator */
		if (*p == '[')
			n = strcspn(p, "]") + 1;
		if (!octet_match(p, n, a[i]))
			return 0;
		p += n;
		if (i < 3 && *p++ != '.')
			return 0;
	}
	return *p == '\0';
}

/* reversed - the client address as a DNS list name: 4.3.2.1 or IPv6 nibbles */
static int reversed(const char *addr, char *out, size_t len)
{
	unsigned char a[16];

	if (inet_pton(AF_INET, addr, a) == 1) {
		snprintf(out, len, "%u.%u.%u.%u", a[3], a[2], a[1], a[0]);
		return 0;
	}
	if (inet_pton(AF_INET6, addr, a) == 1 && len > 64) {
		static const char hex[] = "0123456789abcdef";
		char *o = out;

		for (int i = 15; i >= 0; i--) {
			*o++ = hex[a[i] & 15];
			*o++ = '.';
			*o++ = hex[a[i] >> 4];
			*o++ = i ? '.' : '\0';
		}
		return 0;
	}
	return -1;
}

/* a DNS list answer */
struct rbl_hit {
	char domain[256]; /* the list's domain, without =PATTERN */
	char txt[1025];   /* its TXT text, or "" */
};

/* lookup - is name listed in list (domain[=PATTERN])?  1, 0, or -1 on a DNS error */
static int lookup(const char *name, const char *list, struct rbl_hit *hit)
{
	const char *eq = strchr(list, '=');
	char query[1100];
	struct dns_list l, t;
	struct cfg_buf why;
	enum dns_status st;
	int listed = 0;

	snprintf(hit->domain, sizeof(hit->domain), "%.*s",
	         (int)(eq ? (size_t)(eq - list) : strlen(list)), list);
	hit->txt[0] = '\0';
	snprintf(query, sizeof(query), "%s.%s", name, hit->domain);
	dns_list_init(&l);
	cfg_buf_init(&why);
	st = dns_lookup(query, DNS_T_A, 0, &l, &why);
	if (st == DNS_RETRY || st == DNS_FAIL) {
		mta_warn("%s: RBL lookup error: Host or domain name not found. %s", query,
		         why.data);
		listed = -1;
	}
	for (size_t i = 0; st == DNS_OK && i < l.n && !listed; i++)
		listed = eq == NULL || addr_match(eq + 1, l.rr[i].addr);
	if (listed > 0) {
		dns_list_init(&t);
		if (dns_lookup(query, DNS_T_TXT, 0, &t, NULL) == DNS_OK)
			snprintf(hit->txt, sizeof(hit->txt), "%s", t.rr[0].name);
		dns_list_fini(&t);
	}
	cfg_buf_fini(&why);
	dns_list_fini(&l);
	return listed;
}

/* the macros of a reply template */
struct rbl_ctx {
	struct ck *c;
	const struct rbl_hit *hit;
	const char *class, *what;
	char code[8];
	struct cfg_buf val;     /* a value, with $ doubled so it is taken literally */
	struct cfg_strvec vals; /* every value handed out, alive until the expansion ends */
};

/* macro - the value of a reply template macro, or NULL */
static const char *macro(void *ctx, const char *name)
{
	struct rbl_ctx *x = ctx;
	struct smtpd *s = x->c->s;
	const char *rcpt = x->c->rcpt_int, *v = NULL, *d;
	int dom = 0, local = 0;

	if (strcmp(name, "rbl_code") == 0)
		v = x->code;
	else if (strcmp(name, "rbl_domain") == 0)
		v = x->hit->domain;
	else if (strcmp(name, "rbl_reason") == 0 || strcmp(name, "rbl_txt") == 0)
		v = x->hit->txt[0] ? x->hit->txt : NULL;
	else if (strcmp(name, "rbl_class") == 0)
		v = x->class;
	else if (strcmp(name, "rbl_what") == 0)
		v = x->what;
	else if (strcmp(name, "client_address") == 0)
		v = s->addr;
	else if (strcmp(name, "client_name") == 0)
		v = s->name;
	else if (strcmp(name, "reverse_client_name") == 0)
		v = s->rev_name;
	else if (strcmp(name, "client_port") == 0)
		v = s->port;
	else if (strcmp(name, "helo_name") == 0)
		v = s->helo;
	else if (strncmp(name, "sender", 6) == 0 || strncmp(name, "recipient", 9) == 0) {
		int snd = name[0] == 's';
		const char *rest = name + (snd ? 6 : 9);

		v = snd ? s->sender : rcpt;
		dom = strcmp(rest, "_domain") == 0;
		local = strcmp(rest, "_name") == 0;
		if (!dom && !local && *rest)
			return NULL;
	}
	if (v == NULL)
		return NULL;
	cfg_buf_reset(&x->val);
	d = strrchr(v, '@');
	if (dom)
		v = d ? d + 1 : "";
	for (const char *p = v; *p && !(local && p == d); p++) {
		if (*p == '$')
			cfg_buf_addc(&x->val, '$');
		cfg_buf_addc(&x->val, *p);
	}
	cfg_strvec_add(&x->vals, x->val.data);
	return x->vals.v[x->vals.n - 1];
}

/* listed_reply - the reply for a listed client: the template expanded, DSN added */
static enum verdict listed_reply(struct ck *c, const char *list, const struct rbl_hit *hit,
                                 const char *class, const char *what)
{
	struct rbl_ctx x = {.c = c, .hit = hit, .class = class, .what = what};
	struct cfg_expand ex = {.lookup = macro, .ctx = &x};
	const char *tmpl = NULL, *text;
	struct cfg_diags ds;
	struct cfg_buf out;
	int rc = 0;

	snprintf(x.code, sizeof(x.code), "%ld", rbl_code);
	cfg_buf_init(&x.val);
	cfg_strvec_init(&x.vals);
	cfg_buf_init(&out);
	cfg_diags_init(&ds);
	if (reply_maps.n > 0)
		rc = mta_maps_get(&reply_maps, list, &tmpl);
	if (rc < 0) {
		cfg_diags_fini(&ds);
		cfg_buf_fini(&out);
		cfg_buf_fini(&x.val);
		cfg_strvec_fini(&x.vals);
		return smtpdp_config_error(c, c->list_subject, 0);
	}
	if (rc == 0 || tmpl == NULL)
		tmpl = default_reply;
	if (cfg_expand_value(&ex, tmpl, &out, &ds) < 0) {
		mta_warn("%s: macro processing error", tmpl);
		cfg_buf_reset(&out);
		cfg_buf_printf(&out, "%ld Service unavailable", rbl_code);
	}
	/* CODE [D.S.N] text: Postfix supplies D.7.1 when the template has no DSN */
	text = out.data + strspn(out.data, "0123456789");
	cfg_buf_reset(&c->reply);
	if (text - out.data == 3 && (out.data[0] == '4' || out.data[0] == '5')) {
		while (*text == ' ')
			text++;
		if (text[0] == out.data[0] && text[1] == '.')
			cfg_buf_printf(&c->reply, "%.3s %s", out.data, text);
		else
			cfg_buf_printf(&c->reply, "%.3s %c.7.1 %s", out.data, out.data[0], text);
	} else {
		cfg_buf_printf(&c->reply, "%ld 5.7.1 %s", rbl_code, out.data);
	}
	cfg_diags_fini(&ds);
	cfg_buf_fini(&out);
	cfg_buf_fini(&x.val);
	cfg_strvec_fini(&x.vals);
	return V_REJECT;
}

/* name_of - what a restriction looks up, its class and what the reply shows; NULL: skip */
static const char *name_of(struct ck *c, const struct relem *e, const char **class,
                           const char **what, char *buf, size_t len)
{
	struct smtpd *s = c->s;
	const char *a, *d;

	*class = "Client host";
	switch (e->id) {
	case CFG_R_REJECT_RBL_CLIENT:
	case CFG_R_PERMIT_DNSWL_CLIENT:
		*what = s->addr;
		return reversed(s->addr, buf, len) == 0 ? buf : NULL;
	case CFG_R_REJECT_RHSBL_CLIENT:
	case CFG_R_PERMIT_RHSWL_CLIENT:
		*what = s->name;
		return strcmp(s->name, "unknown") != 0 ? s->name : NULL;
	case CFG_R_REJECT_RHSBL_REVERSE_CLIENT:
		*class = "Unverified Client host";
		*what = s->rev_name;
		return strcmp(s->rev_name, "unknown") != 0 ? s->rev_name : NULL;
	case CFG_R_REJECT_RHSBL_HELO:
		*class = "Helo command";
		*what = s->helo;
		return s->helo && s->helo[0] != '[' && !addr_is_ip(s->helo) ? s->helo : NULL;
	case CFG_R_REJECT_RHSBL_SENDER:
	case CFG_R_REJECT_RHSBL_RECIPIENT:
		if (e->id == CFG_R_REJECT_RHSBL_SENDER) {
			*class = "Sender address";
			a = s->sender;
		} else {
			*class = "Recipient address";
			a = c->rcpt_int;
		}
		*what = a;
		d = a ? strrchr(a, '@') : NULL;
		return d && d[1] && d[1] != '[' ? d + 1 : NULL;
	default:
		return NULL;
	}
}

/* smtpdp_rbl - the DNS white- and blocklist restrictions */
enum verdict smtpdp_rbl(struct ck *c, const struct relem *e)
{
	const char *class, *what, *name;
	struct rbl_hit hit;
	char buf[80];
	int white = e->id == CFG_R_PERMIT_DNSWL_CLIENT || e->id == CFG_R_PERMIT_RHSWL_CLIENT;
	int rc;

	if (e->arg == NULL || *e->arg == '\0') {
		mta_warn("restriction %s requires a domain name argument", e->word);
		return smtpdp_config_error(c, c->list_subject, 0);
	}
	if (e->id == CFG_R_REJECT_RHSBL_RECIPIENT && c->rcpt_int == NULL)
		return V_DUNNO;
	if ((name = name_of(c, e, &class, &what, buf, sizeof(buf))) == NULL)
		return V_DUNNO;
	rc = lookup(name, e->arg, &hit);
	if (white) {
		/* a whitelist that cannot be asked: a later rejection becomes a 450 */
		if (rc < 0 && e->id == CFG_R_PERMIT_DNSWL_CLIENT)
			smtpdp_defer_if_reject(c, "4.7.1", c->s->addr, SUBJ_CLIENT,
			                       "Service unavailable");
		/* as in Postfix, a whitelist never overrides reject_unauth_destination */
		if (rc > 0 && c->rcpt_int && !smtpdp_auth_destination(c, c->rcpt_int))
			return V_DUNNO;
		return rc > 0 ? V_PERMIT : V_DUNNO;
	}
	return rc > 0 ? listed_reply(c, e->arg, &hit, class, what) : V_DUNNO;
}
