/*
 * smtpd_dnsaccess.c - smtpd restrictions that ask the DNS about a name, as
 * Postfix 3.7 does
 *
 * check_{client,reverse_client_hostname,helo,sender,recipient}_{mx,ns,a}_access
 * look up the MX hosts (a domain without MX is its own MX host, an address
 * literal its own address), the NS hosts (of the nearest parent domain
 * that has NS records) or the name itself, and run each host name (with
 * its parent domains) and then each of its addresses through the access
 * table; the first entry found decides, and an OK is refused (a DNS-derived
 * name could whitelist anyone).  reject_unknown_helo_hostname rejects a
 * HELO name without A, AAAA or MX records.  permit_mx_backup accepts mail
 * for a domain that lists this host as a backup MX host.
 * reject_unknown_{sender,recipient}_domain reject a domain without MX, A
 * or AAAA records (or with a null MX) unless it is ours.  Also the old
 * names: reject_maps_rbl, check_relay_domains, permit_naked_ip_address,
 * and permit_inet_interfaces.  Lookups go through mta/common/dns.c.
 */
#include "config.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>

#include "cfg/base/xalloc.h"
#include "dns.h"
#include "log.h"
#include "match.h"
#include "smtpd.h"
#include "smtpd_check.h"

/* the settings these restrictions read (smtpdp_dnsaccess_init) */
static struct {
	long unk_name_code;         /* unknown_hostname_reject_code */
	int name_tf_defer;          /* unknown_helo_hostname_tempfail_action = defer */
	int addr_tf_defer;          /* unknown_address_tempfail_action = defer */
	long unk_client_code;       /* unknown_client_reject_code */
	int want_a, want_aaaa;      /* inet_protocols */
	struct match_list *mx_nets; /* permit_mx_backup_networks, or NULL when empty */
	struct cfg_strvec maps_rbl; /* maps_rbl_domains */
} dc;

/* tempfail_defer - a *_tempfail_action: 1 defer, 0 defer_if_permit */
static int tempfail_defer(const char *param, const char *value)
{
	if (strcasecmp(value, "defer") == 0)
		return 1;
	if (strcasecmp(value, "defer_if_permit") != 0)
		mta_fatal("bad parameter value '%s' for %s", value, param);
	return 0;
}

/* smtpdp_dnsaccess_init - read the settings once per process */
void smtpdp_dnsaccess_init(struct mta_conf *conf)
{
	const char *tf = "", *atf = "";
	struct cfg_strvec nets, protos;
	const struct mta_setting tab[] = {
	    MTA_SET(CFG_P_unknown_hostname_reject_code, &dc.unk_name_code),
	    MTA_SET(CFG_P_unknown_helo_hostname_tempfail_action, &tf),
	    MTA_SET(CFG_P_unknown_address_tempfail_action, &atf),
	    MTA_SET(CFG_P_unknown_client_reject_code, &dc.unk_client_code),
	    MTA_SET(CFG_P_maps_rbl_domains, &dc.maps_rbl),
	    MTA_SET(CFG_P_permit_mx_backup_networks, &nets),
	    MTA_SETTINGS_END,
	};

	cfg_strvec_init(&dc.maps_rbl);
	cfg_strvec_init(&nets);
	cfg_strvec_init(&protos);
	mta_conf_get(conf, tab);
	mta_conf_list(conf, CFG_P_inet_protocols, &protos);
	dc.name_tf_defer = tempfail_defer("unknown_helo_hostname_tempfail_action", tf);
	dc.addr_tf_defer = tempfail_defer("unknown_address_tempfail_action", atf);
	for (size_t i = 0; i < protos.n; i++) {
		int all = strcasecmp(protos.v[i], "all") == 0;

		dc.want_a |= all || strcasecmp(protos.v[i], "ipv4") == 0;
		dc.want_aaaa |= all || strcasecmp(protos.v[i], "ipv6") == 0;
	}
	if (nets.n > 0)
		dc.mx_nets = match_list_new("permit_mx_backup_networks", &nets, MATCH_HOSTS);
	cfg_strvec_fini(&nets);
	cfg_strvec_fini(&protos);
}

/* smtpdp_no_whitelist - Postfix refuses an OK from a check that must not permit */
enum verdict smtpdp_no_whitelist(struct ck *c, const char *word, enum verdict v, const char *target)
{
	if (v != V_PERMIT)
		return v;
	mta_warn("restriction %s returns OK for %s", word, target);
	mta_warn("this is not allowed for security reasons");
	mta_warn("use DUNNO instead of OK if you want to make an exception");
	return smtpdp_config_error(c, c->list_subject, 0);
}

/*
 * host_addrs - the addresses of a host (A and/or AAAA per inet_protocols)
 * as text into out; the DNS status of the lookup (DNS_OK when any found)
 */
static enum dns_status host_addrs(const char *host, struct cfg_strvec *out)
{
	enum dns_status st = DNS_NOTFOUND, one;
	const unsigned types[] = {DNS_T_A, DNS_T_AAAA};

	for (size_t t = 0; t < 2; t++) {
		struct dns_list l;

		if (t == 0 ? !dc.want_a : !dc.want_aaaa)
			continue;
		dns_list_init(&l);
		one = dns_lookup(host, types[t], 0, &l, NULL);
		for (size_t i = 0; one == DNS_OK && i < l.n; i++) {
			char buf[INET6_ADDRSTRLEN];

			dns_addr_text(&l.rr[i], buf, sizeof(buf));
			cfg_strvec_add(out, buf);
		}
		dns_list_fini(&l);
		if (one == DNS_OK || st == DNS_NOTFOUND || st == DNS_NODATA)
			st = one == DNS_NODATA && st == DNS_NOTFOUND ? st : one;
	}
	return out->n > 0 ? DNS_OK : st;
}

/* gai_text - what getaddrinfo() would have said about a failed address lookup */
static const char *gai_text(enum dns_status st)
{
	switch (st) {
	case DNS_NOTFOUND:
		return "Name or service not known";
	case DNS_NODATA:
		return "No address associated with hostname";
	case DNS_RETRY:
		return "Temporary failure in name resolution";
	default:
		return "Non-recoverable failure in name resolution";
	}
}

/* dns_text - Postfix's text for a DNS status (dns_strerror of the resolver's error) */
static const char *dns_text(enum dns_status st)
{
	switch (st) {
	case DNS_NOTFOUND:
		return "Host not found";
	case DNS_NODATA:
		return "Host found but no data record of requested type";
	case DNS_RETRY:
		return "Host not found, try again";
	default:
		return "Non-recoverable error";
	}
}

/* class_name - "Client host", "Helo command", ... (the reply class without " rejected") */
static const char *class_name(enum subject sub)
{
	static char buf[64];
	const char *t = smtpdp_subject_class(sub);
	size_t n = strlen(t);

	if (n > 9 && strcmp(t + n - 9, " rejected") == 0)
		n -= 9;
	snprintf(buf, sizeof(buf), "%.*s", (int)n, t);
	return buf;
}

/* found_result - act on an access table entry for a server name or address */
static enum verdict found_result(struct ck *c, const char *value, enum subject sub)
{
	return smtpdp_access_result(c, value, sub, c->s->where);
}

/* server_list - the MX or NS host names of domain (or domain itself for A); -1 when unknown */
static int server_list(const char *name, const char *domain, unsigned type,
                       struct cfg_strvec *hosts)
{
	struct dns_list l;
	enum dns_status st;
	const char *d = domain;
	int fabricated = 0;

	if (type == DNS_T_A) {
		cfg_strvec_add(hosts, domain);
		return 0;
	}
	dns_list_init(&l);
	st = dns_lookup(d, type, 0, &l, NULL);
	if (st == DNS_NOTFOUND || st == DNS_NODATA) {
		if (type == DNS_T_MX) {
			/* a domain without MX records is its own mail exchanger */
			cfg_strvec_add(hosts, domain);
			st = DNS_OK;
			fabricated = 1;
		} else {
			/* the NS records of the nearest parent domain that has some */
			while ((d = strchr(d, '.')) != NULL && d[1]) {
				d++;
				dns_list_fini(&l);
				st = dns_lookup(d, type, 0, &l, NULL);
				if (st != DNS_NOTFOUND && st != DNS_NODATA)
					break;
			}
		}
	} else if (st == DNS_OK && type == DNS_T_MX && l.n == 1 && l.rr[0].name[0] == '\0') {
		dns_list_fini(&l);
		return -1; /* a null MX: no mail exchanger to judge */
	}
	if (st != DNS_OK) {
		mta_warn("Unable to look up %s host for %s: %s", dns_type_name(type),
		         d && d[0] && d[1] ? d : name, dns_text(st));
		dns_list_fini(&l);
		return -1;
	}
	for (size_t i = 0; !fabricated && i < l.n; i++)
		cfg_strvec_add(hosts, l.rr[i].name);
	dns_list_fini(&l);
	return 0;
}

/* literal_access - an address literal as its own MX host ([addr] or [ipv6:addr]) */
static enum verdict literal_access(struct ck *c, const char *table, const char *domain,
                                   unsigned type, enum subject sub)
{
	char buf[300];
	const char *value, *a = buf;
	size_t n = strlen(domain);
	int rc;

	if (type == DNS_T_NS || n < 3 || domain[n - 1] != ']' || n - 2 >= sizeof(buf))
		return V_DUNNO;
	snprintf(buf, sizeof(buf), "%.*s", (int)(n - 2), domain + 1);
	if (strncasecmp(buf, "ipv6:", 5) == 0)
		a = buf + 5;
	if (!addr_is_ip(a))
		return V_DUNNO;
	rc = smtpdp_lookup_addr(table, a, &value);
	if (rc < 0)
		return smtpdp_config_error(c, sub, 1);
	return rc > 0 ? found_result(c, value, sub) : V_DUNNO;
}

/* host_access - one server: its name (and parents), then its addresses; 1 decided, 0 not */
static int host_access(struct ck *c, const char *table, const char *host, unsigned type,
                       enum subject sub, enum verdict *v)
{
	struct cfg_strvec addrs;
	const char *value;
	enum dns_status st;
	int rc = 0;

	if (addr_is_ip(host)) {
		rc = smtpdp_lookup_addr(table, host, &value);
	} else {
		if (type != DNS_T_A)
			rc = smtpdp_lookup_domain(c->s->cfg, table, host, &value);
		if (rc == 0) {
			cfg_strvec_init(&addrs);
			st = host_addrs(host, &addrs);
			if (st != DNS_OK && type != DNS_T_A)
				mta_warn("Unable to look up %s host %s for %s %s: %s",
				         dns_type_name(type), host, class_name(sub),
				         smtpdp_subject_name(c, sub), gai_text(st));
			for (size_t i = 0; i < addrs.n && rc == 0; i++)
				rc = smtpdp_lookup_addr(table, addrs.v[i], &value);
			cfg_strvec_fini(&addrs);
		}
	}
	if (rc < 0)
		*v = smtpdp_config_error(c, sub, 1);
	else if (rc > 0)
		*v = found_result(c, value, sub);
	return rc != 0;
}

/* server_access - check_*_{mx,ns,a}_access for one name or address */
static enum verdict server_access(struct ck *c, const char *table, const char *name, unsigned type,
                                  enum subject sub)
{
	const char *domain = strrchr(name, '@');
	struct cfg_strvec hosts;
	enum verdict v = V_DUNNO;

	domain = domain ? domain + 1 : name;
	if (*domain == '[')
		return literal_access(c, table, domain, type, sub);
	cfg_strvec_init(&hosts);
	if (server_list(name, domain, type, &hosts) == 0)
		for (size_t i = 0; i < hosts.n; i++)
			if (host_access(c, table, hosts.v[i], type, sub, &v))
				break;
	cfg_strvec_fini(&hosts);
	return v;
}

/* unknown_helo - reject_unknown_helo_hostname: no A, AAAA or MX record */
static enum verdict unknown_helo(struct ck *c)
{
	static const unsigned types[] = {DNS_T_A, DNS_T_AAAA, DNS_T_MX};
	const char *h = c->s->helo;
	int retry = 0;

	if (h == NULL)
		return V_DUNNO;
	if (h[0] == '[')
		return addr_valid_ip_literal(h)
		           ? V_DUNNO
		           : smtpdp_reject(c, c->s->cfg->invalid_hostname_code, "5.5.2", SUBJ_HELO,
		                           "invalid ip address");
	for (size_t i = 0; i < sizeof(types) / sizeof(types[0]); i++) {
		struct dns_list l;
		enum dns_status st;

		dns_list_init(&l);
		st = dns_lookup(h, types[i], 0, &l, NULL);
		dns_list_fini(&l);
		if (st == DNS_OK)
			return V_DUNNO;
		retry |= st == DNS_RETRY;
	}
	if (!retry)
		return smtpdp_reject(c, dc.unk_name_code, "4.7.1", SUBJ_HELO, "Host not found");
	if (dc.name_tf_defer)
		return smtpdp_reject(c, 450, "4.7.1", SUBJ_HELO, "Host not found");
	smtpdp_defer_if_permit(c, "4.7.1", SUBJ_HELO, "Host not found");
	return V_DUNNO;
}

/* defer_mx - a DNS problem of permit_mx_backup: a later rejection becomes "450 4.4.4 ..." */
static void defer_mx(struct ck *c, const char *head, const char *host, const char *tail,
                     const char *why)
{
	struct cfg_buf text;

	cfg_buf_init(&text);
	cfg_buf_printf(&text, "%s%s%s: %s", head, host, tail, why);
	smtpdp_defer_if_reject(c, "4.4.4", c->rcpt_int, SUBJ_RCPT, text.data);
	cfg_buf_fini(&text);
}

/*
 * mailhost - reject_unknown_{sender,recipient}_domain's DNS question: MX,
 * then A and AAAA.  DNS_OK, DNS_NOTFOUND, DNS_RETRY, or DNS_FAIL for a null MX.
 */
static enum dns_status mailhost(const char *domain)
{
	static const unsigned types[] = {DNS_T_MX, DNS_T_A, DNS_T_AAAA};
	enum dns_status res = DNS_NOTFOUND;

	if (!addr_valid_hostname(domain))
		return DNS_NOTFOUND;
	for (size_t i = 0; i < sizeof(types) / sizeof(types[0]); i++) {
		struct dns_list l;
		enum dns_status st;
		int nullmx;

		dns_list_init(&l);
		st = dns_lookup(domain, types[i], 0, &l, NULL);
		nullmx =
		    st == DNS_OK && types[i] == DNS_T_MX && l.n == 1 && l.rr[0].name[0] == '\0';
		dns_list_fini(&l);
		if (st == DNS_OK)
			return nullmx ? DNS_FAIL : DNS_OK;
		if (st == DNS_RETRY)
			res = DNS_RETRY;
	}
	return res;
}

/* unknown_domain - reject_unknown_sender_domain / reject_unknown_recipient_domain */
static enum verdict unknown_domain(struct ck *c, int is_sender)
{
	const char *a = is_sender ? c->s->sender : c->rcpt_int;
	enum subject sub = is_sender ? SUBJ_SENDER : SUBJ_RCPT;
	const char *dsn = is_sender ? "4.1.8" : "4.1.2";
	struct rslv_result res;
	const char *d;
	int final;
	enum dns_status st;

	if (a == NULL || *a == '\0' || (d = strrchr(a, '@')) == NULL || *++d == '\0')
		return V_DUNNO;
	/* our own domains (final delivery here) need no DNS records */
	rslv_result_init(&res);
	final = rslv_resolve(c->s->cfg->rslv, a, &res) == 0
	        && (res.cls == RSLV_LOCAL || res.cls == RSLV_ALIAS || res.cls == RSLV_VIRTUAL);
	rslv_result_fini(&res);
	if (final || (d[0] == '[' && d[strlen(d) - 1] == ']'))
		return V_DUNNO;
	st = mailhost(d);
	if (st == DNS_OK)
		return V_DUNNO;
	if (st == DNS_FAIL)
		return smtpdp_reject(c, is_sender ? 550 : 556, is_sender ? "4.7.27" : "4.1.10", sub,
		                     "Domain %s does not accept mail (nullMX)", d);
	if (st == DNS_NOTFOUND)
		return smtpdp_reject(c, c->s->cfg->unknown_address_code, dsn, sub,
		                     "Domain not found");
	if (dc.addr_tf_defer)
		return smtpdp_reject(c, 450, dsn, sub, "Domain not found");
	smtpdp_defer_if_permit(c, dsn, sub, "Domain not found");
	return V_DUNNO;
}

/*
 * client_names - reject_unknown_client_hostname / _reverse_client_hostname:
 * unknown_client_reject_code, or 450 when the DNS failed temporarily
 */
static enum verdict client_names(struct ck *c, int reverse)
{
	struct smtpd *s = c->s;
	long code;

	if (strcmp(reverse ? s->rev_name : s->name, "unknown") != 0)
		return V_DUNNO;
	code = (reverse ? s->rev_name_temp : s->name_temp) ? 450 : dc.unk_client_code;
	/* Postfix names no <subject> here: the reason already holds the address */
	cfg_buf_reset(&c->reply);
	/* Postfix's enhanced status: X.7.25 for the verified name, X.7.1 for the reverse name */
	cfg_buf_printf(&c->reply,
	               "%ld %d.7.%s Client host rejected: cannot find your %shostname, [%s]", code,
	               (int)(code / 100), reverse ? "1" : "25", reverse ? "reverse " : "", s->addr);
	return V_REJECT;
}

/* has_my_addr - a mail exchanger host has one of our addresses */
static int has_my_addr(struct ck *c, const char *host)
{
	struct cfg_strvec addrs;
	enum dns_status st;
	int yes = 0;

	cfg_strvec_init(&addrs);
	st = host_addrs(host, &addrs);
	if (st != DNS_OK)
		defer_mx(c, "Unable to look up mail exchanger host ", host, "", gai_text(st));
	for (size_t i = 0; i < addrs.n && !yes; i++)
		yes = rslv_is_our_addr(c->s->cfg->rslv, addrs.v[i]);
	cfg_strvec_fini(&addrs);
	return yes;
}

/* i_am_mx - one of the hosts (from..to of l) is this machine: by name, then by address */
static int i_am_mx(struct ck *c, const struct dns_list *l, size_t from, size_t to)
{
	for (size_t i = from; i < to; i++)
		if (rslv_is_local_domain(c->s->cfg->rslv, l->rr[i].name) > 0)
			return 1;
	for (size_t i = from; i < to; i++)
		if (has_my_addr(c, l->rr[i].name))
			return 1;
	return 0;
}

/* mx_nets_ok - every address of a primary MX host is in permit_mx_backup_networks */
static int mx_nets_ok(struct ck *c, const char *host)
{
	struct cfg_strvec addrs;
	enum dns_status st;
	int ok = 1;

	cfg_strvec_init(&addrs);
	st = host_addrs(host, &addrs);
	if (st != DNS_OK) {
		defer_mx(c, "Unable to look up host ", host, " as mail exchanger", dns_text(st));
		ok = 0;
	}
	for (size_t i = 0; i < addrs.n && ok; i++)
		ok = match_host(dc.mx_nets, host, addrs.v[i]) > 0;
	cfg_strvec_fini(&addrs);
	return ok;
}

/* by_pref - qsort order of MX records */
static int by_pref(const void *a, const void *b)
{
	const struct dns_rr *x = a, *y = b;

	return x->pref < y->pref ? -1 : x->pref > y->pref;
}

/* mx_backup - permit_mx_backup: we are a backup (not a primary) MX host of the domain */
static enum verdict mx_backup(struct ck *c)
{
	const char *rcpt = c->rcpt_int, *domain;
	struct rslv_result res;
	struct dns_list l;
	enum dns_status st;
	enum verdict v = V_DUNNO;
	size_t mid = 1;
	int routed;

	if (rcpt == NULL)
		return V_DUNNO;
	rslv_result_init(&res);
	routed = rslv_resolve(c->s->cfg->rslv, rcpt, &res) == 0 && (res.flags & RSLV_F_ROUTED);
	rslv_result_fini(&res);
	if (routed)
		return V_DUNNO;
	if (smtpdp_auth_destination(c, rcpt))
		return V_PERMIT;
	domain = strrchr(rcpt, '@');
	if (domain == NULL || domain[1] == '[' || domain[1] == '\0')
		return V_DUNNO;
	domain++;
	dns_list_init(&l);
	st = dns_lookup(domain, DNS_T_MX, 0, &l, NULL);
	if (st != DNS_OK) {
		if (st == DNS_RETRY)
			defer_mx(c, "Unable to look up mail exchanger information", "", "",
			         dns_text(st));
		dns_list_fini(&l);
		return V_DUNNO;
	}
	qsort(l.rr, l.n, sizeof(*l.rr), by_pref);
	while (mid < l.n && l.rr[mid].pref == l.rr[0].pref)
		mid++;
	if (!i_am_mx(c, &l, 0, mid) && mid < l.n && i_am_mx(c, &l, mid, l.n)) {
		v = V_PERMIT;
		for (size_t i = 0; dc.mx_nets && i < mid && v == V_PERMIT; i++)
			if (!mx_nets_ok(c, l.rr[i].name))
				v = V_DUNNO;
	}
	dns_list_fini(&l);
	return v;
}

/* maps_rbl - reject_maps_rbl: reject_rbl_client for each of maps_rbl_domains */
static enum verdict maps_rbl(struct ck *c)
{
	static int warned;
	enum verdict v = V_DUNNO;

	if (!warned++)
		mta_warn(
		    "support for restriction \"reject_maps_rbl\" will be removed from Postfix; "
		    "use \"reject_rbl_client domain-name\" instead");
	for (size_t i = 0; i < dc.maps_rbl.n && v == V_DUNNO; i++) {
		struct relem e = {CFG_R_REJECT_RBL_CLIENT, "reject_rbl_client", dc.maps_rbl.v[i]};

		v = smtpdp_rbl(c, &e);
	}
	return v;
}

/* relay_domains - check_relay_domains: a client or recipient in relay_domains, else reject */
static enum verdict relay_domains(struct ck *c)
{
	static int warned;
	const struct smtpd_cfg *cfg = c->s->cfg;

	if (!warned++)
		mta_warn("support for restriction \"check_relay_domains\" will be removed from "
		         "Postfix; use \"reject_unauth_destination\" instead");
	if (c->rcpt_int == NULL)
		return V_DUNNO;
	if (match_domain(rslv_relay_domains(cfg->rslv), c->s->name) > 0)
		return V_PERMIT;
	if (smtpdp_auth_destination(c, c->rcpt_int))
		return V_PERMIT;
	return smtpdp_reject(c, cfg->relay_reject_code, "5.7.1", SUBJ_RCPT, "Relay access denied");
}

/* naked_ip - permit_naked_ip_address: a HELO name that is a bare address */
static enum verdict naked_ip(struct ck *c)
{
	const char *h = c->s->helo;

	mta_warn("restriction permit_naked_ip_address is deprecated. Use permit_mynetworks or "
	         "permit_sasl_authenticated instead");
	if (h == NULL || h[strspn(h, "0123456789.:")] != '\0')
		return V_DUNNO;
	if (!addr_is_ip(h))
		return smtpdp_reject(c, c->s->cfg->invalid_hostname_code, "5.5.2", SUBJ_HELO,
		                     "invalid ip address");
	return V_PERMIT;
}

/*
 * inet_interfaces - permit_inet_interfaces: the connection comes from one of
 * our addresses (as in Postfix, the socket's peer: XCLIENT does not change it)
 */
static enum verdict inet_interfaces(struct ck *c)
{
	return rslv_is_our_addr(c->s->cfg->rslv, c->s->peer_addr) ? V_PERMIT : V_DUNNO;
}

/* checked - server_access for a name, when there is one, with OK refused */
static enum verdict checked(struct ck *c, const struct relem *e, const char *name, unsigned type,
                            enum subject sub)
{
	if (name == NULL || *name == '\0' || strcmp(name, "unknown") == 0)
		return V_DUNNO;
	if (e->arg == NULL || strchr(e->arg, ':') == NULL) {
		mta_warn("restriction %s: bad argument \"%s\": need maptype:mapname", e->word,
		         e->arg ? e->arg : "");
		return smtpdp_config_error(c, c->list_subject, 0);
	}
	return smtpdp_no_whitelist(c, e->word, server_access(c, e->arg, name, type, sub), name);
}

/* smtpdp_dnsaccess - dispatch the restrictions of this file */
enum verdict smtpdp_dnsaccess(struct ck *c, const struct relem *e)
{
	struct smtpd *s = c->s;

	switch (e->id) {
	case CFG_R_CHECK_CLIENT_MX_ACCESS:
		return checked(c, e, s->name, DNS_T_MX, SUBJ_CLIENT);
	case CFG_R_CHECK_CLIENT_NS_ACCESS:
		return checked(c, e, s->name, DNS_T_NS, SUBJ_CLIENT);
	case CFG_R_CHECK_CLIENT_A_ACCESS:
		return checked(c, e, s->name, DNS_T_A, SUBJ_CLIENT);
	case CFG_R_CHECK_REVERSE_CLIENT_HOSTNAME_MX_ACCESS:
		return checked(c, e, s->rev_name, DNS_T_MX, SUBJ_REV_CLIENT);
	case CFG_R_CHECK_REVERSE_CLIENT_HOSTNAME_NS_ACCESS:
		return checked(c, e, s->rev_name, DNS_T_NS, SUBJ_REV_CLIENT);
	case CFG_R_CHECK_REVERSE_CLIENT_HOSTNAME_A_ACCESS:
		return checked(c, e, s->rev_name, DNS_T_A, SUBJ_REV_CLIENT);
	case CFG_R_CHECK_HELO_MX_ACCESS:
		return checked(c, e, s->helo, DNS_T_MX, SUBJ_HELO);
	case CFG_R_CHECK_HELO_NS_ACCESS:
		return checked(c, e, s->helo, DNS_T_NS, SUBJ_HELO);
	case CFG_R_CHECK_HELO_A_ACCESS:
		return checked(c, e, s->helo, DNS_T_A, SUBJ_HELO);
	case CFG_R_CHECK_SENDER_MX_ACCESS:
		return checked(c, e, s->sender, DNS_T_MX, SUBJ_SENDER);
	case CFG_R_CHECK_SENDER_NS_ACCESS:
		return checked(c, e, s->sender, DNS_T_NS, SUBJ_SENDER);
	case CFG_R_CHECK_SENDER_A_ACCESS:
		return checked(c, e, s->sender, DNS_T_A, SUBJ_SENDER);
	case CFG_R_CHECK_RECIPIENT_MX_ACCESS:
		return checked(c, e, c->rcpt_int, DNS_T_MX, SUBJ_RCPT);
	case CFG_R_CHECK_RECIPIENT_NS_ACCESS:
		return checked(c, e, c->rcpt_int, DNS_T_NS, SUBJ_RCPT);
	case CFG_R_CHECK_RECIPIENT_A_ACCESS:
		return checked(c, e, c->rcpt_int, DNS_T_A, SUBJ_RCPT);
	case CFG_R_REJECT_UNKNOWN_HELO_HOSTNAME:
	case CFG_R_REJECT_UNKNOWN_HOSTNAME:
		return unknown_helo(c);
	case CFG_R_PERMIT_MX_BACKUP:
		return mx_backup(c);
	case CFG_R_REJECT_UNKNOWN_CLIENT_HOSTNAME:
	case CFG_R_REJECT_UNKNOWN_CLIENT:
		return client_names(c, 0);
	case CFG_R_REJECT_UNKNOWN_REVERSE_CLIENT_HOSTNAME:
		return client_names(c, 1);
	case CFG_R_REJECT_UNKNOWN_SENDER_DOMAIN:
		return unknown_domain(c, 1);
	case CFG_R_REJECT_UNKNOWN_RECIPIENT_DOMAIN:
		return unknown_domain(c, 0);
	case CFG_R_REJECT_MAPS_RBL:
		return maps_rbl(c);
	case CFG_R_CHECK_RELAY_DOMAINS:
		return relay_domains(c);
	case CFG_R_PERMIT_NAKED_IP_ADDRESS:
		return naked_ip(c);
	case CFG_R_PERMIT_INET_INTERFACES:
		return inet_interfaces(c);
	case CFG_R_DEFER_IF_REJECT:
		smtpdp_defer_if_reject(c, "4.7.0", smtpdp_subject_name(c, c->list_subject),
		                       c->list_subject, "defer_if_reject requested");
		return V_DUNNO;
	default:
		break;
	}
	/* fail closed: postfix check refuses what postkit does not implement */
	mta_warn("restriction %s is not implemented by postkit", e->word);
	return smtpdp_config_error(c, c->list_subject, 0);
}
