/* smtp_addr.c - next hops into the addresses to try (see smtp.h) */
#include "config.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <netdb.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/un.h>

#include "cfg/base/xalloc.h"
#include "dns.h"
#include "log.h"
#include "smtp.h"

/* one parsed next hop */
struct hop {
	char host[1025];
	char path[108]; /* LMTP unix:PATH */
	unsigned port;
	int bracket; /* no MX lookup */
	int unix_socket;
};

void smtp_addr_list_init(struct smtp_addr_list *l)
{
	l->a = NULL;
	l->n = 0;
}

void smtp_addr_list_fini(struct smtp_addr_list *l)
{
	free(l->a);
	smtp_addr_list_init(l);
}

void smtp_split_dests(const char *list, struct cfg_strvec *out)
{
	const char *p = list;

	while (*p) {
		size_t n;

		p += strspn(p, ", \t\r\n");
		n = strcspn(p, ", \t\r\n");
		if (n > 0)
			cfg_strvec_addn(out, p, n);
		p += n;
	}
}

/* port_of - a numeric port or a service name ("smtp"); 0 when unknown */
static unsigned port_of(const char *s)
{
	struct servent *se;
	char *end;
	long v;

	if (*s == '\0')
		return 0;
	v = strtol(s, &end, 10);
	if (*end == '\0')
		return v > 0 && v < 65536 ? (unsigned)v : 0;
	se = getservbyname(s, "tcp");
	if (se)
		return ntohs((unsigned short)se->s_port);
	/* a host without /etc/services still knows the two defaults */
	return strcmp(s, "smtp") == 0 ? 25 : strcmp(s, "lmtp") == 0 ? 24 : 0;
}

/* parse_hop - "[host]:port", "host:port", "host", "unix:/path", "inet:host:port"; 0 or -1 */
static int parse_hop(struct smtp_cfg *cfg, const char *dest, struct hop *h, struct cfg_buf *why)
{
	const char *p = dest, *port = NULL;
	size_t n;

	memset(h, 0, sizeof(*h));
	if (cfg->lmtp && strncmp(p, "unix:", 5) == 0) {
		if (strlen(p + 5) == 0 || strlen(p + 5) >= sizeof(h->path))
			goto bad;
		h->unix_socket = 1;
		snprintf(h->path, sizeof(h->path), "%s", p + 5);
		return 0;
	}
	if (cfg->lmtp && strncmp(p, "inet:", 5) == 0)
		p += 5;
	if (*p == '[') {
		const char *close = strchr(p, ']');

		if (close == NULL)
			goto bad;
		n = (size_t)(close - p - 1);
		if (n >= sizeof(h->host))
			goto bad;
		memcpy(h->host, p + 1, n);
		h->bracket = 1;
		if (close[1] == ':')
			port = close + 2;
		else if (close[1] != '\0')
			goto bad;
		if (strncasecmp(h->host, "ipv6:", 5) == 0)
			memmove(h->host, h->host + 5, strlen(h->host + 5) + 1);
	} else {
		const char *colon = strrchr(p, ':');

		n = colon && strchr(p, ':') == colon ? (size_t)(colon - p) : strlen(p);
		if (n == 0 || n >= sizeof(h->host))
			goto bad;
		memcpy(h->host, p, n);
		if (colon && strchr(p, ':') == colon)
			port = colon + 1;
	}
	if (cfg->lmtp)
		h->bracket = 1; /* LMTP never looks up MX records */
	h->port = port_of(port ? port : cfg->tcp_port);
	if (h->port == 0)
		goto bad;
	return 0;
bad:
	cfg_buf_printf(why, "bad destination syntax: \"%s\"", dest);
	return -1;
}

/* add_addr - append one numeric address for host */
static void add_addr(struct smtp_addr_list *l, const char *host, int family, const void *bytes,
                     unsigned port)
{
	struct smtp_addr *a;

	l->a = cfg_xreallocarray(l->a, l->n + 1, sizeof(*l->a));
	a = &l->a[l->n++];
	memset(a, 0, sizeof(*a));
	snprintf(a->host, sizeof(a->host), "%s", host);
	a->family = family;
	a->port = port;
	if (family == AF_INET) {
		struct sockaddr_in *sin = (struct sockaddr_in *)&a->sa;

		sin->sin_family = AF_INET;
		sin->sin_port = htons((unsigned short)port);
		memcpy(&sin->sin_addr, bytes, 4);
		a->salen = sizeof(*sin);
		inet_ntop(AF_INET, bytes, a->addr, sizeof(a->addr));
	} else {
		struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)&a->sa;

		sin6->sin6_family = AF_INET6;
		sin6->sin6_port = htons((unsigned short)port);
		memcpy(&sin6->sin6_addr, bytes, 16);
		a->salen = sizeof(*sin6);
		inet_ntop(AF_INET6, bytes, a->addr, sizeof(a->addr));
	}
}

/* shuffle - randomise n entries of size sz (equal preferences, several addresses) */
static void shuffle(void *base, size_t n, size_t sz)
{
	unsigned char *b = base, tmp[sizeof(struct smtp_addr)];

	if (sz > sizeof(tmp))
		return;
	for (size_t i = n; i > 1; i--) {
		size_t j = (size_t)random() % i;

		memcpy(tmp, b + (i - 1) * sz, sz);
		memcpy(b + (i - 1) * sz, b + j * sz, sz);
		memcpy(b + j * sz, tmp, sz);
	}
}

/* native_lookup - getaddrinfo(); 0, or -1 with *retry */
static int native_lookup(struct smtp_cfg *cfg, const char *host, unsigned port,
                         struct smtp_addr_list *out, int *retry, struct cfg_buf *why)
{
	struct addrinfo hints, *res = NULL;
	int rc;

	memset(&hints, 0, sizeof(hints));
	hints.ai_socktype = SOCK_STREAM;
	hints.ai_family = cfg->inet4 && cfg->inet6 ? AF_UNSPEC : cfg->inet6 ? AF_INET6 : AF_INET;
	rc = getaddrinfo(host, NULL, &hints, &res);
	if (rc != 0) {
		*retry = rc == EAI_AGAIN;
		cfg_buf_reset(why);
		cfg_buf_printf(why, "Name service error for name=%s type=%s: %s", host,
		               cfg->inet4 ? "A" : "AAAA",
		               *retry ? "Host not found, try again" : "Host not found");
		return -1;
	}
	for (struct addrinfo *a = res; a; a = a->ai_next) {
		if (a->ai_family == AF_INET)
			add_addr(out, host, AF_INET, &((struct sockaddr_in *)a->ai_addr)->sin_addr,
			         port);
		else if (a->ai_family == AF_INET6)
			add_addr(out, host, AF_INET6,
			         &((struct sockaddr_in6 *)a->ai_addr)->sin6_addr, port);
	}
	freeaddrinfo(res);
	return 0;
}

/* host_addrs - the addresses of one host name or literal; 0, or -1 with *retry and why */
static int host_addrs(struct smtp_cfg *cfg, const char *host, unsigned port,
                      struct smtp_addr_list *out, int *retry, struct cfg_buf *why)
{
	unsigned char bytes[16];
	size_t before = out->n;
	enum dns_status worst = DNS_NOTFOUND;

	*retry = 0;
	if (inet_pton(AF_INET, host, bytes) == 1) {
		add_addr(out, host, AF_INET, bytes, port);
		return 0;
	}
	if (inet_pton(AF_INET6, host, bytes) == 1) {
		add_addr(out, host, AF_INET6, bytes, port);
		return 0;
	}
	if (!cfg->dns || !cfg->lookup_dns)
		return native_lookup(cfg, host, port, out, retry, why);
	for (int fam = 0; fam < 2; fam++) {
		struct dns_list l;
		enum dns_status st;

		if ((fam == 0 && !cfg->inet4) || (fam == 1 && !cfg->inet6))
			continue;
		dns_list_init(&l);
		st = dns_lookup(host, fam == 0 ? DNS_T_A : DNS_T_AAAA, cfg->dnssec, &l, why);
		for (size_t i = 0; i < l.n; i++) {
			add_addr(out, host, l.rr[i].family, l.rr[i].addr, port);
			out->a[out->n - 1].secure = l.rr[i].ad; /* DNSSEC-validated (DANE) */
		}
		if (st == DNS_RETRY || st == DNS_FAIL)
			worst = DNS_RETRY;
		dns_list_fini(&l);
	}
	if (out->n > before) {
		if (cfg->randomize)
			shuffle(out->a + before, out->n - before, sizeof(*out->a));
		return 0;
	}
	/* "dns, native": the native service for hosts the DNS does not know */
	if (worst != DNS_RETRY && cfg->lookup_native) {
		struct cfg_buf nwhy;
		int rc;

		cfg_buf_init(&nwhy);
		rc = native_lookup(cfg, host, port, out, retry, &nwhy);
		cfg_buf_fini(&nwhy);
		if (rc == 0)
			return 0;
	}
	*retry = worst == DNS_RETRY;
	return -1;
}

/* by_pref - qsort order of MX records */
static int by_pref(const void *a, const void *b)
{
	const struct dns_rr *x = a, *y = b;

	return x->pref < y->pref ? -1 : x->pref > y->pref;
}

/* same_host - MX name equals ours (ignoring case and a trailing dot) */
static int same_host(const char *mx, const char *me)
{
	size_t n = strlen(mx);

	if (n > 0 && mx[n - 1] == '.')
		n--;
	return strlen(me) == n && strncasecmp(mx, me, n) == 0;
}

/* mx_addrs - the addresses of a domain's mail exchangers; 0, 1 (no MX: use the domain), -1 */
static int mx_addrs(struct smtp_cfg *cfg, const struct hop *h, struct smtp_addr_list *out,
                    int *hard, char *dsn, size_t dsnlen, struct cfg_buf *why, int *loop)
{
	struct dns_list mx;
	enum dns_status st;
	size_t n;
	int soft = 0, rc = 0;

	dns_list_init(&mx);
	st = dns_lookup(h->host, DNS_T_MX, cfg->dnssec, &mx, why);
	if (st == DNS_NOTFOUND || st == DNS_NODATA) {
		dns_list_fini(&mx);
		return 1;
	}
	if (st != DNS_OK) {
		*hard = 0;
		snprintf(dsn, dsnlen, "4.4.3");
		dns_list_fini(&mx);
		return -1;
	}
	qsort(mx.rr, mx.n, sizeof(*mx.rr), by_pref);
	/* equal preferences in random order */
	for (size_t i = 0; cfg->randomize && i < mx.n;) {
		size_t j = i;

		while (j < mx.n && mx.rr[j].pref == mx.rr[i].pref)
			j++;
		shuffle(mx.rr + i, j - i, sizeof(*mx.rr));
		i = j;
	}
	/* we are one of the exchangers: only better ones may take the mail */
	n = mx.n;
	for (size_t i = 0; i < mx.n; i++) {
		if (same_host(mx.rr[i].name, cfg->myhostname)) {
			*loop = 1;
			for (n = 0; n < mx.n && mx.rr[n].pref < mx.rr[i].pref; n++)
				;
			break;
		}
	}
	if (n == 0) {
		*hard = 1;
		snprintf(dsn, dsnlen, "5.4.6");
		cfg_buf_reset(why);
		cfg_buf_printf(why, "mail for %s loops back to myself", h->host);
		dns_list_fini(&mx);
		return -1;
	}
	for (size_t i = 0; i < n; i++) {
		int retry = 0;

		if (cfg->mx_address_limit > 0 && out->n >= (size_t)cfg->mx_address_limit)
			break;
		size_t first = out->n;

		if (host_addrs(cfg, mx.rr[i].name, h->port, out, &retry, why) < 0 && retry)
			soft = 1;
		/* smtp_tls_dane_insecure_mx_policy: the MX answer itself was not validated */
		for (size_t k = first; k < out->n; k++)
			out->a[k].insecure_mx = !mx.rr[i].ad;
	}
	if (cfg->mx_address_limit > 0 && out->n > (size_t)cfg->mx_address_limit)
		out->n = (size_t)cfg->mx_address_limit;
	if (out->n == 0) {
		mta_warn("no MX host for %s has a valid address record", h->host);
		*hard = !(soft || cfg->defer_no_mx_addr);
		snprintf(dsn, dsnlen, "%s", *hard ? "5.4.4" : "4.4.4");
		rc = -1;
	}
	dns_list_fini(&mx);
	return rc;
}

/* not_found - Postfix's prefix for a lookup failure */
static void not_found(struct cfg_buf *why)
{
	char *t = cfg_xasprintf("Host or domain name not found. %s", why->data);

	cfg_buf_reset(why);
	cfg_buf_adds(why, t);
	free(t);
}

/* unix_addr - the one address of "unix:/path" (LMTP) */
static void unix_addr(struct smtp_cfg *cfg, const struct hop *h, struct smtp_addr_list *out)
{
	struct sockaddr_un *sun;
	struct smtp_addr *a;

	out->a = cfg_xreallocarray(out->a, out->n + 1, sizeof(*out->a));
	a = &out->a[out->n++];
	memset(a, 0, sizeof(*a));
	/* Postfix names the peer of a UNIX socket after this host */
	snprintf(a->host, sizeof(a->host), "%s", cfg->myhostname);
	snprintf(a->addr, sizeof(a->addr), "%s", h->path);
	a->family = AF_UNIX;
	sun = (struct sockaddr_un *)&a->sa;
	sun->sun_family = AF_UNIX;
	snprintf(sun->sun_path, sizeof(sun->sun_path), "%s", h->path);
	a->salen = sizeof(*sun);
}

int smtp_resolve(struct smtp_cfg *cfg, const char *dest, struct smtp_addr_list *out, int *hard,
                 char *dsn, size_t dsnlen, struct cfg_buf *why, int *loop)
{
	struct hop h;
	int rc, retry = 0;

	*hard = 0;
	cfg_buf_reset(why);
	if (parse_hop(cfg, dest, &h, why) < 0) {
		*hard = 1;
		snprintf(dsn, dsnlen, "5.4.4");
		return -1;
	}
	if (h.unix_socket) {
		unix_addr(cfg, &h, out);
		return 0;
	}
	if (!h.bracket && cfg->dns) {
		rc = mx_addrs(cfg, &h, out, hard, dsn, dsnlen, why, loop);
		if (rc == 0)
			return 0;
		if (rc < 0) {
			if (strcmp(dsn, "5.4.6") != 0)
				not_found(why);
			return -1;
		}
	}
	if (host_addrs(cfg, h.host, h.port, out, &retry, why) == 0)
		return 0;
	*hard = !retry;
	snprintf(dsn, dsnlen, "%s", retry ? "4.4.3" : "5.4.4");
	not_found(why);
	return -1;
}
