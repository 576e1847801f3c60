/* resolve.c - where an address goes (see resolve.h) */
#include "config.h"

#include <arpa/inet.h>
#include <ifaddrs.h>
#include <netdb.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>

#include "addr.h"
#include "cfg/base/xalloc.h"
#include "log.h"
#include "maps.h"
#include "resolve.h"

struct rslv {
	const char *myhostname;
	const char *myorigin;
	const char *delimiters; /* recipient_delimiter */
	const char *local_transport;
	const char *virtual_transport;
	const char *relay_transport;
	const char *default_transport;
	const char *relayhost;
	int percent_hack;
	int swap_bang;
	int smtputf8; /* smtputf8_enable: UTF-8 domains are well-formed */
	struct cfg_strvec parent_params;
	struct cfg_strvec transport_maps;
	struct cfg_strvec relocated_maps;
	struct cfg_strvec our_addrs; /* inet_interfaces + proxy_interfaces, numeric */
	int all_interfaces;
	struct match_list *mydest;
	struct match_list *relay;
	struct match_list *va_domains;
	struct match_list *vm_domains;
};

int rslv_parent_matches(const struct rslv *r, const char *param)
{
	for (size_t i = 0; i < r->parent_params.n; i++)
		if (strcmp(r->parent_params.v[i], param) == 0)
			return 1;
	return 0;
}

/* domains - compile a domain list parameter */
static struct match_list *domains(struct rslv *r, struct mta_conf *c, const char *param)
{
	struct cfg_strvec v;
	struct match_list *l;

	cfg_strvec_init(&v);
	mta_conf_named(c, param, &v);
	l = match_list_new(param, &v, rslv_parent_matches(r, param) ? MATCH_PARENT : 0);
	cfg_strvec_fini(&v);
	return l;
}

/* add_interfaces - numeric addresses for inet_interfaces/proxy_interfaces values */
static void add_interfaces(struct rslv *r, const struct cfg_strvec *v)
{
	for (size_t i = 0; i < v->n; i++) {
		struct addrinfo hints, *res = NULL;
		const char *s = v->v[i];

		if (strcasecmp(s, "all") == 0) {
			r->all_interfaces = 1;
			continue;
		}
		if (strcasecmp(s, "loopback-only") == 0) {
			cfg_strvec_add(&r->our_addrs, "127.0.0.1");
			cfg_strvec_add(&r->our_addrs, "::1");
			continue;
		}
		memset(&hints, 0, sizeof(hints));
		hints.ai_socktype = SOCK_STREAM;
		/* "[ipv6]" as main.cf may write an address */
		if (s[0] == '[' && s[strlen(s) - 1] == ']') {
			char bare[INET6_ADDRSTRLEN + 2];

			snprintf(bare, sizeof(bare), "%.*s", (int)strlen(s) - 2, s + 1);
			if (getaddrinfo(bare, NULL, &hints, &res) != 0)
				continue;
		} else if (getaddrinfo(s, NULL, &hints, &res) != 0) {
			continue;
		}
		for (struct addrinfo *a = res; a; a = a->ai_next) {
			char buf[INET6_ADDRSTRLEN];

			if (getnameinfo(a->ai_addr, a->ai_addrlen, buf, sizeof(buf), NULL, 0,
			                NI_NUMERICHOST)
			    == 0)
				cfg_strvec_add(&r->our_addrs, buf);
		}
		freeaddrinfo(res);
	}
}

struct rslv *rslv_new(struct mta_conf *c)
{
	struct rslv *r = cfg_xcalloc(1, sizeof(*r));
	struct cfg_strvec ifs, pifs;
	struct mta_setting tab[] = {
	    MTA_SET(CFG_P_myhostname, &r->myhostname),
	    MTA_SET(CFG_P_myorigin, &r->myorigin),
	    MTA_SET(CFG_P_recipient_delimiter, &r->delimiters),
	    MTA_SET(CFG_P_local_transport, &r->local_transport),
	    MTA_SET(CFG_P_virtual_transport, &r->virtual_transport),
	    MTA_SET(CFG_P_relay_transport, &r->relay_transport),
	    MTA_SET(CFG_P_default_transport, &r->default_transport),
	    MTA_SET(CFG_P_relayhost, &r->relayhost),
	    MTA_SET(CFG_P_allow_percent_hack, &r->percent_hack),
	    MTA_SET(CFG_P_swap_bangpath, &r->swap_bang),
	    MTA_SET(CFG_P_smtputf8_enable, &r->smtputf8),
	    MTA_SET(CFG_P_parent_domain_matches_subdomains, &r->parent_params),
	    MTA_SET(CFG_P_transport_maps, &r->transport_maps),
	    MTA_SET(CFG_P_relocated_maps, &r->relocated_maps),
	    MTA_SETTINGS_END,
	};

	cfg_strvec_init(&r->parent_params);
	cfg_strvec_init(&r->transport_maps);
	cfg_strvec_init(&r->relocated_maps);
	cfg_strvec_init(&r->our_addrs);
	mta_conf_get(c, tab);
	r->mydest = domains(r, c, "mydestination");
	r->relay = domains(r, c, "relay_domains");
	r->va_domains = domains(r, c, "virtual_alias_domains");
	r->vm_domains = domains(r, c, "virtual_mailbox_domains");
	cfg_strvec_init(&ifs);
	cfg_strvec_init(&pifs);
	mta_conf_list(c, CFG_P_inet_interfaces, &ifs);
	mta_conf_list(c, CFG_P_proxy_interfaces, &pifs);
	add_interfaces(r, &ifs);
	add_interfaces(r, &pifs);
	cfg_strvec_fini(&ifs);
	cfg_strvec_fini(&pifs);
	return r;
}

void rslv_free(struct rslv *r)
{
	if (r == NULL)
		return;
	cfg_strvec_fini(&r->parent_params);
	cfg_strvec_fini(&r->transport_maps);
	cfg_strvec_fini(&r->relocated_maps);
	cfg_strvec_fini(&r->our_addrs);
	match_list_free(r->mydest);
	match_list_free(r->relay);
	match_list_free(r->va_domains);
	match_list_free(r->vm_domains);
	free(r);
}

void rslv_result_init(struct rslv_result *res)
{
	res->cls = RSLV_DEFAULT;
	res->flags = 0;
	cfg_buf_init(&res->transport);
	cfg_buf_init(&res->nexthop);
	cfg_buf_init(&res->recipient);
}

void rslv_result_fini(struct rslv_result *res)
{
	cfg_buf_fini(&res->transport);
	cfg_buf_fini(&res->nexthop);
	cfg_buf_fini(&res->recipient);
}

const char *rslv_myhostname(const struct rslv *r)
{
	return r->myhostname;
}

struct match_list *rslv_relay_domains(struct rslv *r)
{
	return r->relay;
}

struct match_list *rslv_va_domains(struct rslv *r)
{
	return r->va_domains;
}

struct match_list *rslv_vm_domains(struct rslv *r)
{
	return r->vm_domains;
}

int rslv_is_our_addr(struct rslv *r, const char *a)
{
	for (size_t i = 0; i < r->our_addrs.n; i++)
		if (strcasecmp(r->our_addrs.v[i], a) == 0)
			return 1;
	if (r->all_interfaces) {
		struct ifaddrs *ifa = NULL;
		int found = 0;

		if (getifaddrs(&ifa) == 0) {
			for (struct ifaddrs *p = ifa; p && !found; p = p->ifa_next) {
				char h[INET6_ADDRSTRLEN];

				if (p->ifa_addr == NULL
				    || (p->ifa_addr->sa_family != AF_INET
				        && p->ifa_addr->sa_family != AF_INET6))
					continue;
				if (getnameinfo(p->ifa_addr,
				                p->ifa_addr->sa_family == AF_INET
				                    ? sizeof(struct sockaddr_in)
				                    : sizeof(struct sockaddr_in6),
				                h, sizeof(h), NULL, 0, NI_NUMERICHOST)
				        == 0
				    && strcasecmp(h, a) == 0)
					found = 1;
			}
			freeifaddrs(ifa);
		}
		return found;
	}
	return 0;
}

/* is_our_literal - "[1.2.3.4]" naming one of our interfaces */
static int is_our_literal(struct rslv *r, const char *domain)
{
	char buf[80];
	size_t n = strlen(domain);

	if (!addr_valid_ip_literal(domain) || n - 2 >= sizeof(buf))
		return 0;
	memcpy(buf, domain + 1, n - 2);
	buf[n - 2] = '\0';
	return rslv_is_our_addr(r, strncasecmp(buf, "ipv6:", 5) == 0 ? buf + 5 : buf);
}

int rslv_is_local_domain(struct rslv *r, const char *domain)
{
	if (is_our_literal(r, domain))
		return 1;
	if (strcasecmp(domain, r->myhostname) == 0 && match_list_empty(r->mydest))
		return 0;
	return match_domain(r->mydest, domain);
}

/* set_transport - split "transport:nexthop" into the result (empty nexthop: dflt) */
static void set_transport(struct rslv_result *res, const char *spec, const char *dflt)
{
	const char *colon = strchr(spec, ':');

	cfg_buf_reset(&res->transport);
	cfg_buf_reset(&res->nexthop);
	if (colon) {
		cfg_buf_add(&res->transport, spec, (size_t)(colon - spec));
		cfg_buf_adds(&res->nexthop, *(colon + 1) ? colon + 1 : dflt);
	} else {
		cfg_buf_adds(&res->transport, spec);
		cfg_buf_adds(&res->nexthop, dflt);
	}
}

/* transport_lookup - transport_maps in Postfix's search order; 1 found (res updated), 0, -1 */
static int transport_lookup(struct rslv *r, const char *addr, const char *domain,
                            struct rslv_result *res)
{
	struct cfg_maplist *ml;
	struct cfg_mapq_opts o;
	struct cfg_diags ds;
	const char *value = NULL;
	int rc;

	(void)domain;
	if (r->transport_maps.n == 0)
		return 0;
	if ((ml = mta_maplist(&r->transport_maps)) == NULL)
		return -1;
	memset(&o, 0, sizeof(o));
	o.parent_style = rslv_parent_matches(r, "transport_maps");
	cfg_diags_init(&ds);
	rc = mta_mapq_done(cfg_mapq_transport(ml, addr, &o, &value, NULL, &ds), &ds);
	cfg_diags_fini(&ds);
	if (rc <= 0)
		return rc;
	if (*value && strcmp(value, ":") != 0) {
		struct cfg_buf keep;
		const char *colon = strchr(value, ':');
		size_t n = colon ? (size_t)(colon - value) : strlen(value);

		/*
		 * "transport:" keeps the next hop, ":nexthop" keeps the
		 * transport; error: and retry: without a text get Postfix's
		 */
		cfg_buf_init(&keep);
		if (colon == value) {
			cfg_buf_reset(&res->nexthop);
			cfg_buf_adds(&res->nexthop, value + 1);
		} else {
			if (n == 5
			    && (strncmp(value, "error", 5) == 0 || strncmp(value, "retry", 5) == 0))
				cfg_buf_adds(&keep, "Address is undeliverable");
			else
				cfg_buf_adds(&keep, res->nexthop.data);
			set_transport(res, value, keep.data);
		}
		cfg_buf_fini(&keep);
	}
	return 1;
}

/* find_key - one key in every table of maps in turn; partial keys skip pattern tables */
static int find_key(const struct cfg_strvec *maps, const char *key, int partial, const char **value)
{
	for (size_t i = 0; i < maps->n; i++) {
		struct cfg_buf why;
		struct cfg_map *m;
		int rc;

		if (partial) {
			cfg_buf_init(&why);
			m = mta_map(maps->v[i], &why);
			cfg_buf_fini(&why);
			/* a table that cannot be opened fails below, with Postfix's warnings */
			if (m && (cfg_map_caps(m) & CFG_MAPT_PATTERN))
				continue;
		}
		if ((rc = mta_map_get(maps->v[i], key, value)) != 0)
			return rc;
	}
	return 0;
}

/* is_our_domain - where a key without a domain applies: our domains and myorigin */
static int is_our_domain(struct rslv *r, const char *domain)
{
	return strcasecmp(domain, r->myorigin) == 0 || rslv_is_local_domain(r, domain) > 0;
}

int rslv_addr_find(struct rslv *r, const struct cfg_strvec *maps, const char *addr,
                   const char **value)
{
	const char *domain = addr_domain(addr), *ext;
	struct cfg_buf lp, user, key;
	int rc;

	*value = NULL;
	if (maps->n == 0)
		return 0;
	if ((rc = find_key(maps, addr, 0, value)) != 0)
		return rc;
	cfg_buf_init(&lp);
	cfg_buf_init(&user);
	cfg_buf_init(&key);
	addr_localpart(addr, &lp);
	ext = cfg_mapq_split_ext(lp.data, r->delimiters, &user);
	if (ext && domain) {
		cfg_buf_printf(&key, "%s@%s", user.data, domain);
		rc = find_key(maps, key.data, 1, value);
	}
	if (rc == 0 && (domain == NULL || is_our_domain(r, domain))) {
		if ((rc = find_key(maps, lp.data, 1, value)) == 0 && ext)
			rc = find_key(maps, user.data, 1, value);
	}
	if (rc == 0 && domain) {
		cfg_buf_reset(&key);
		cfg_buf_printf(&key, "@%s", domain);
		rc = find_key(maps, key.data, 1, value);
	}
	cfg_buf_fini(&key);
	cfg_buf_fini(&user);
	cfg_buf_fini(&lp);
	return rc;
}

/* dsn_len - the length of a valid DSN status at s ("5.7.1", "4.1.10"), or 0 */
static size_t dsn_len(const char *s)
{
	size_t n = 0, d;

	if (s[0] != '2' && s[0] != '4' && s[0] != '5')
		return 0;
	n = 1;
	for (int part = 0; part < 2; part++) {
		if (s[n] != '.')
			return 0;
		n++;
		for (d = 0; s[n] >= '0' && s[n] <= '9'; d++)
			n++;
		if (d < 1 || d > 3)
			return 0;
	}
	return s[n] == '\0' || s[n] == ' ' || s[n] == '\t' ? n : 0;
}

void rslv_split_dsn(const char *nexthop, const char *def, char dsn[16], const char **text)
{
	size_t n = dsn_len(nexthop);

	snprintf(dsn, 16, "%s", def);
	if (*nexthop == '\0') {
		*text = "Address is undeliverable";
		return;
	}
	*text = nexthop;
	if (n == 0)
		return;
	snprintf(dsn, 16, "%.*s", (int)n, nexthop);
	for (*text = nexthop + n; **text == ' ' || **text == '\t'; (*text)++)
		;
}

/* relocated - a recipient that has moved goes to the error transport; 0, or -1 table failure */
static int relocated(struct rslv *r, const char *addr, struct rslv_result *res)
{
	const char *value;
	int rc = rslv_addr_find(r, &r->relocated_maps, addr, &value);

	if (rc < 0) {
		mta_warn("relocated_maps lookup failure");
		return -1;
	}
	if (rc > 0) {
		cfg_buf_reset(&res->transport);
		cfg_buf_adds(&res->transport, "error");
		cfg_buf_reset(&res->nexthop);
		cfg_buf_printf(&res->nexthop, "5.1.6 User has moved to %s", value);
	}
	return 0;
}

int rslv_resolve(struct rslv *r, const char *addr, struct rslv_result *res)
{
	struct cfg_buf cur;
	int rc = 0;

	cfg_buf_init(&cur);
	cfg_buf_adds(&cur, addr);
	res->flags = 0;
	for (int round = 0; round < 20; round++) {
		char *at;

		/* trailing dots of the domain do not count */
		while (cur.len > 1 && cur.data[cur.len - 1] == '.' && strchr(cur.data, '@'))
			cfg_buf_truncate(&cur, cur.len - 1);
		at = strrchr(cur.data, '@');
		if (at) {
			const char *domain = at + 1;
			int local;

			if (*domain == '\0') {
				/* "user@": malformed, then resolved as if there were no domain */
				res->flags |= RSLV_F_ERROR;
				cfg_buf_truncate(&cur, (size_t)(at - cur.data));
				continue;
			}
			local = rslv_is_local_domain(r, domain);
			if (local < 0) {
				res->flags |= RSLV_F_FAIL;
				rc = -1;
				break;
			}
			if (local && strpbrk(cur.data, "@!%") < at) {
				/* routing inside our domain: strip it and look again */
				cfg_buf_truncate(&cur, (size_t)(at - cur.data));
				continue;
			}
			break;
		}
		/* no domain */
		{
			char *bang = r->swap_bang ? strchr(cur.data, '!') : NULL;
			char *pct = r->percent_hack ? strrchr(cur.data, '%') : NULL;

			if (bang && bang != cur.data && bang[1]) {
				struct cfg_buf sw;

				cfg_buf_init(&sw);
				cfg_buf_adds(&sw, bang + 1);
				cfg_buf_addc(&sw, '@');
				cfg_buf_add(&sw, cur.data, (size_t)(bang - cur.data));
				cfg_buf_fini(&cur);
				cur = sw;
				continue;
			}
			if (pct && pct != cur.data && pct[1]) {
				*pct = '@';
				continue;
			}
			/* a bare local name lives here */
			cfg_buf_addc(&cur, '@');
			cfg_buf_adds(&cur, r->myhostname);
			break;
		}
	}
	cfg_buf_reset(&res->recipient);
	cfg_buf_adds(&res->recipient, cur.data);
	if (rc == 0) {
		const char *at = strrchr(cur.data, '@');
		const char *domain = at ? at + 1 : r->myhostname;
		int m;

		if (at && strpbrk(cur.data, "@!%") < at)
			res->flags |= RSLV_F_ROUTED;
		if (at && !addr_valid_domain(domain, r->smtputf8))
			res->flags |= RSLV_F_ERROR;
		if ((m = rslv_is_local_domain(r, domain)) > 0) {
			res->cls = RSLV_LOCAL;
			res->flags &= ~RSLV_F_ROUTED;
			set_transport(res, r->local_transport, r->myhostname);
		} else if (m == 0 && (m = match_domain(r->va_domains, domain)) > 0) {
			res->cls = RSLV_ALIAS;
			set_transport(res, "error:5.1.1 User unknown in virtual alias table", "");
		} else if (m == 0 && (m = match_domain(r->vm_domains, domain)) > 0) {
			res->cls = RSLV_VIRTUAL;
			set_transport(res, r->virtual_transport, domain);
		} else if (m == 0 && (m = match_domain(r->relay, domain)) > 0) {
			res->cls = RSLV_RELAY;
			set_transport(res, r->relay_transport,
			              *r->relayhost ? r->relayhost : domain);
		} else if (m == 0) {
			res->cls = RSLV_DEFAULT;
			set_transport(res, r->default_transport,
			              *r->relayhost ? r->relayhost : domain);
		}
		if (m < 0) {
			res->flags |= RSLV_F_FAIL;
			rc = -1;
		} else if ((res->cls != RSLV_ALIAS
		            && transport_lookup(r, cur.data, domain, res) < 0)
		           || relocated(r, cur.data, res) < 0) {
			res->flags |= RSLV_F_FAIL;
			rc = -1;
		}
	}
	cfg_buf_fini(&cur);
	return rc;
}
