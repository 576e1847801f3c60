/*
 * hostinfo.c - host- and process-derived parameter defaults
 *
 * myhostname, mydomain, mynetworks, process_id and process_name, computed as
 * Postfix 3.7 computes them (see cfg/hostinfo.h for the rules and the exact
 * error wording).
 */
#include "config.h"

#include <arpa/inet.h>
#include <errno.h>
#include <ifaddrs.h>
#include <net/if.h>
#include <netdb.h>
#include <netinet/in.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/types.h>
#include <unistd.h>

#include "cfg/param/hostinfo.h"
#include "cfg/base/strvec.h"
#include "cfg/base/xalloc.h"

#define DEF_MYDOMAIN "localdomain"

/* mynetworks_style bits */
#define STYLE_CLASS 1u
#define STYLE_SUBNET 2u
#define STYLE_HOST 4u

/* inet_protocols bits */
#define PROTO_V4 1u
#define PROTO_V6 2u

/* One interface address and its netmask, both as raw bytes. */
struct own_addr {
	int family;             /* AF_INET or AF_INET6 */
	unsigned char addr[16]; /* network byte order; 4 or 16 bytes used */
	unsigned char mask[16];
};

struct own_addr_list {
	struct own_addr *v;
	size_t n;
	size_t cap;
};

/* list_add - append one address */
static void list_add(struct own_addr_list *l, const struct own_addr *a)
{
	if (l->n == l->cap) {
		l->cap = l->cap ? 2 * l->cap : 8;
		l->v = cfg_xrealloc(l->v, l->cap * sizeof(*l->v));
	}
	l->v[l->n++] = *a;
}

/* addr_len - bytes of an address of family */
static size_t addr_len(int family)
{
	return family == AF_INET ? 4 : 16;
}

/* fatal - append a fatal diagnostic about param and return -1 */
static int fatal(struct cfg_diags *diags, const char *code, const char *param, const char *msg)
{
	struct cfg_diag *d = cfg_diags_add(diags, CFG_SEV_FATAL, code, NULL, 0, 0, "%s", msg);

	if (d)
		d->param = cfg_xstrdup(param);
	return -1;
}

/* cfg_hostinfo_hostname - machine name from POSTKIT_HOSTNAME or gethostname() */
int cfg_hostinfo_hostname(struct cfg_buf *out, struct cfg_diags *diags)
{
	const char *env = getenv("POSTKIT_HOSTNAME");
	char name[256];

	if (env != NULL && *env != '\0') {
		cfg_buf_adds(out, env);
		return 0;
	}
	if (gethostname(name, sizeof(name)) < 0) {
		cfg_diags_add(diags, CFG_SEV_FATAL, "hostinfo-gethostname", NULL, 0, 0,
		              "gethostname: %s", strerror(errno));
		return -1;
	}
	name[sizeof(name) - 1] = '\0';
	cfg_buf_adds(out, name);
	return 0;
}

/* compute_myhostname - host name, with ".$mydomain" appended when it has no dot */
static int compute_myhostname(const struct cfg_hostinfo_in *in, struct cfg_buf *out,
                              struct cfg_diags *diags)
{
	struct cfg_buf name;

	cfg_buf_init(&name);
	if (cfg_hostinfo_hostname(&name, diags) < 0) {
		cfg_buf_fini(&name);
		return -1;
	}
	if (strchr(name.data, '.') == NULL) {
		cfg_buf_addc(&name, '.');
		cfg_buf_adds(&name, in->mydomain ? in->mydomain : DEF_MYDOMAIN);
	}
	cfg_buf_add(out, name.data, name.len);
	cfg_buf_fini(&name);
	return 0;
}

/* compute_mydomain - myhostname minus its first label, "localdomain" without a dot */
static int compute_mydomain(const struct cfg_hostinfo_in *in, struct cfg_buf *out,
                            struct cfg_diags *diags)
{
	struct cfg_buf host;
	const char *dot;

	cfg_buf_init(&host);
	if (in->myhostname != NULL) {
		cfg_buf_adds(&host, in->myhostname);
	} else if (compute_myhostname(in, &host, diags) < 0) {
		cfg_buf_fini(&host);
		return -1;
	}
	dot = strchr(host.data, '.');
	cfg_buf_adds(out, dot ? dot + 1 : DEF_MYDOMAIN);
	cfg_buf_fini(&host);
	return 0;
}

/* parse_words - split s on Postfix's list separators */
static void parse_words(struct cfg_strvec *sv, const char *s)
{
	cfg_strvec_split(sv, s, ", \t\r\n");
}

/* parse_protocols - inet_protocols to PROTO_* bits, or -1 with a diagnostic */
static int parse_protocols(const char *value, unsigned *bits, struct cfg_diags *diags)
{
	struct cfg_strvec sv;
	int rc = 0;

	*bits = 0;
	cfg_strvec_init(&sv);
	parse_words(&sv, value);
	for (size_t i = 0; i < sv.n; i++) {
		if (strcmp(sv.v[i], "all") == 0) {
			*bits |= PROTO_V4 | PROTO_V6;
		} else if (strcmp(sv.v[i], "ipv4") == 0) {
			*bits |= PROTO_V4;
		} else if (strcmp(sv.v[i], "ipv6") == 0) {
			*bits |= PROTO_V6;
		} else {
			struct cfg_diag *d = cfg_diags_add(
			    diags, CFG_SEV_FATAL, "hostinfo-bad-inet-protocols", NULL, 0, 0,
			    "unknown inet_protocols value \"%s\" in \"%s\"", sv.v[i], value);
			if (d)
				d->param = cfg_xstrdup("inet_protocols");
			rc = -1;
			break;
		}
	}
	cfg_strvec_fini(&sv);
	return rc;
}

/* parse_style - mynetworks_style to exactly one STYLE_* bit, or -1 */
static int parse_style(const char *value, unsigned *style, struct cfg_diags *diags)
{
	struct cfg_strvec sv;
	unsigned bits = 0;
	int rc = 0;

	cfg_strvec_init(&sv);
	parse_words(&sv, value);
	for (size_t i = 0; i < sv.n && rc == 0; i++) {
		if (strcmp(sv.v[i], "class") == 0) {
			bits |= STYLE_CLASS;
		} else if (strcmp(sv.v[i], "subnet") == 0) {
			bits |= STYLE_SUBNET;
		} else if (strcmp(sv.v[i], "host") == 0) {
			bits |= STYLE_HOST;
		} else {
			struct cfg_diag *d = cfg_diags_add(
			    diags, CFG_SEV_FATAL, "hostinfo-bad-mynetworks-style", NULL, 0, 0,
			    "unknown mynetworks mask style value \"%s\" in \"%s\"", sv.v[i], value);
			if (d)
				d->param = cfg_xstrdup("mynetworks_style");
			rc = -1;
		}
	}
	cfg_strvec_fini(&sv);
	if (rc == 0 && bits != STYLE_CLASS && bits != STYLE_SUBNET && bits != STYLE_HOST) {
		struct cfg_diag *d = cfg_diags_add(
		    diags, CFG_SEV_FATAL, "hostinfo-bad-mynetworks-style", NULL, 0, 0,
		    "bad mynetworks_style value: %s; specify exactly one value", value);
		if (d)
			d->param = cfg_xstrdup("mynetworks_style");
		rc = -1;
	}
	*style = bits;
	return rc;
}

/* local_addrs - every address of an up interface, family by family (IPv4 first) */
static int local_addrs(unsigned protos, struct own_addr_list *out, struct cfg_diags *diags)
{
	static const int families[] = {AF_INET, AF_INET6};
	struct ifaddrs *ifap;

	if (getifaddrs(&ifap) < 0) {
		cfg_diags_add(diags, CFG_SEV_FATAL, "hostinfo-getifaddrs", NULL, 0, 0,
		              "inet_addr_local[getifaddrs]: getifaddrs: %s", strerror(errno));
		return -1;
	}
	for (size_t f = 0; f < 2; f++) {
		int family = families[f];

		if (!(protos & (family == AF_INET ? PROTO_V4 : PROTO_V6)))
			continue;
		for (struct ifaddrs *ifa = ifap; ifa; ifa = ifa->ifa_next) {
			struct own_addr a;

			if (!(ifa->ifa_flags & IFF_UP) || ifa->ifa_addr == NULL)
				continue;
			if (ifa->ifa_addr->sa_family != family)
				continue;
			memset(&a, 0, sizeof(a));
			a.family = family;
			if (family == AF_INET) {
				const struct sockaddr_in *sin = (const void *)ifa->ifa_addr;

				if (sin->sin_addr.s_addr == htonl(INADDR_ANY))
					continue;
				memcpy(a.addr, &sin->sin_addr, 4);
				if (ifa->ifa_netmask)
					memcpy(a.mask,
					       &((const struct sockaddr_in *)(const void *)
					             ifa->ifa_netmask)
					            ->sin_addr,
					       4);
			} else {
				const struct sockaddr_in6 *sin6 = (const void *)ifa->ifa_addr;

				if (IN6_IS_ADDR_UNSPECIFIED(&sin6->sin6_addr))
					continue;
				memcpy(a.addr, &sin6->sin6_addr, 16);
				if (ifa->ifa_netmask)
					memcpy(a.mask,
					       &((const struct sockaddr_in6 *)(const void *)
					             ifa->ifa_netmask)
					            ->sin6_addr,
					       16);
			}
			list_add(out, &a);
		}
	}
	freeifaddrs(ifap);
	return 0;
}

/* addr_cmp - order by family (IPv4 first), then address bytes */
static int addr_cmp(const void *pa, const void *pb)
{
	const struct own_addr *a = pa;
	const struct own_addr *b = pb;

	if (a->family != b->family)
		return a->family == AF_INET ? -1 : 1;
	return memcmp(a->addr, b->addr, addr_len(a->family));
}

/* format_addr - numeric form of an address, without brackets or scope */
static void format_addr(int family, const unsigned char *addr, char *buf, size_t len)
{
	if (inet_ntop(family, addr, buf, (socklen_t)len) == NULL)
		buf[0] = '\0';
}

/* host_addrs - resolve one inet_interfaces word ("1.2.3.4", "[::1]", "name") */
static int host_addrs(const char *word, unsigned protos, struct own_addr_list *out)
{
	struct addrinfo hints;
	struct addrinfo *res = NULL;
	char *host = cfg_xstrdup(word);
	size_t len = strlen(host);
	int found = 0;

	if (len >= 2 && host[0] == '[' && host[len - 1] == ']') {
		memmove(host, host + 1, len - 2);
		host[len - 2] = '\0';
	}
	memset(&hints, 0, sizeof(hints));
	hints.ai_family = protos == PROTO_V4 ? AF_INET : protos == PROTO_V6 ? AF_INET6 : AF_UNSPEC;
	hints.ai_socktype = SOCK_STREAM;
	if (*host != '\0' && getaddrinfo(host, NULL, &hints, &res) == 0) {
		for (struct addrinfo *ai = res; ai; ai = ai->ai_next) {
			struct own_addr a;

			memset(&a, 0, sizeof(a));
			if (ai->ai_family == AF_INET && (protos & PROTO_V4)) {
				a.family = AF_INET;
				memcpy(a.addr,
				       &((struct sockaddr_in *)(void *)ai->ai_addr)->sin_addr, 4);
			} else if (ai->ai_family == AF_INET6 && (protos & PROTO_V6)) {
				a.family = AF_INET6;
				memcpy(a.addr,
				       &((struct sockaddr_in6 *)(void *)ai->ai_addr)->sin6_addr,
				       16);
			} else {
				continue;
			}
			list_add(out, &a);
			found = 1;
		}
		freeaddrinfo(res);
	}
	free(host);
	return found;
}

/* own_addrs - the addresses (with masks) inet_interfaces selects */
static int own_addrs(const char *interfaces, unsigned protos, struct own_addr_list *out,
                     struct cfg_diags *diags)
{
	struct own_addr_list local = {0};
	struct cfg_strvec sv;
	int rc = 0;

	if (strcmp(interfaces, "all") == 0)
		return local_addrs(protos, out, diags);
	if (local_addrs(protos, &local, diags) < 0)
		return -1;
	if (strcmp(interfaces, "loopback-only") == 0) {
		for (size_t i = 0; i < local.n; i++) {
			const struct own_addr *a = &local.v[i];
			int loop = a->family == AF_INET
			               ? a->addr[0] == 127
			               : IN6_IS_ADDR_LOOPBACK(
			                   (const struct in6_addr *)(const void *)a->addr);

			if (loop)
				list_add(out, a);
		}
		free(local.v);
		return 0;
	}

	cfg_strvec_init(&sv);
	cfg_strvec_split(&sv, interfaces, " \t,");
	for (size_t i = 0; i < sv.n; i++) {
		if (!host_addrs(sv.v[i], protos, out)) {
			struct cfg_diag *d = cfg_diags_add(
			    diags, CFG_SEV_FATAL, "hostinfo-host-not-found", NULL, 0, 0,
			    "config variable inet_interfaces: host not found: %s", sv.v[i]);
			if (d)
				d->param = cfg_xstrdup("inet_interfaces");
			rc = -1;
			break;
		}
	}
	cfg_strvec_fini(&sv);

	if (rc == 0 && out->n > 1) {
		size_t n = 1;

		qsort(out->v, out->n, sizeof(out->v[0]), addr_cmp);
		for (size_t i = 1; i < out->n; i++)
			if (addr_cmp(&out->v[i], &out->v[n - 1]) != 0)
				out->v[n++] = out->v[i];
		out->n = n;
	}
	for (size_t i = 0; rc == 0 && i < out->n; i++) {
		struct own_addr *a = &out->v[i];
		size_t j;

		for (j = 0; j < local.n; j++)
			if (local.v[j].family == a->family
			    && memcmp(local.v[j].addr, a->addr, addr_len(a->family)) == 0)
				break;
		if (j == local.n) {
			char buf[INET6_ADDRSTRLEN];
			struct cfg_diag *d;

			format_addr(a->family, a->addr, buf, sizeof(buf));
			d = cfg_diags_add(
			    diags, CFG_SEV_FATAL, "hostinfo-no-local-interface", NULL, 0, 0,
			    "parameter inet_interfaces: no local interface found for %s", buf);
			if (d)
				d->param = cfg_xstrdup("inet_interfaces");
			rc = -1;
			break;
		}
		memcpy(a->mask, local.v[j].mask, sizeof(a->mask));
	}
	free(local.v);
	return rc;
}

/* mask_prefix - length of the leading run of one bits of a netmask */
static unsigned mask_prefix(const unsigned char *mask, size_t len)
{
	unsigned bits = 0;

	for (size_t i = 0; i < len; i++) {
		unsigned char ch = mask[i];

		if (ch == 0xff) {
			bits += 8;
			continue;
		}
		while (ch & 0x80) {
			bits++;
			ch = (unsigned char)(ch << 1);
		}
		break;
	}
	return bits;
}

/* apply_prefix - clear every address bit past prefix */
static void apply_prefix(unsigned char *addr, size_t len, unsigned prefix)
{
	for (size_t i = 0; i < len; i++) {
		if (prefix >= 8) {
			prefix -= 8;
			continue;
		}
		addr[i] &= (unsigned char)(0xff << (8 - prefix));
		prefix = 0;
	}
}

/* append_unique - add word to out (space separated) unless seen already */
static void append_unique(struct cfg_buf *out, struct cfg_strvec *seen, const char *word)
{
	for (size_t i = 0; i < seen->n; i++)
		if (strcmp(seen->v[i], word) == 0)
			return;
	cfg_strvec_add(seen, word);
	if (out->len)
		cfg_buf_addc(out, ' ');
	cfg_buf_adds(out, word);
}

/* compute_mynetworks - networks of the own interfaces per mynetworks_style */
static int compute_mynetworks(const struct cfg_hostinfo_in *in, struct cfg_buf *out,
                              struct cfg_diags *diags)
{
	const char *protocols = in->inet_protocols ? in->inet_protocols : "all";
	const char *style_text = in->mynetworks_style ? in->mynetworks_style : "subnet";
	const char *interfaces = in->inet_interfaces ? in->inet_interfaces : "all";
	struct own_addr_list own = {0};
	struct cfg_strvec seen;
	struct cfg_buf result;
	unsigned protos;
	unsigned style;
	int rc = 0;

	if (parse_protocols(protocols, &protos, diags) < 0)
		return -1;
	if (protos == 0)
		return 0; /* every protocol disabled: Postfix leaves mynetworks empty */
	if (parse_style(style_text, &style, diags) < 0)
		return -1;
	if (own_addrs(interfaces, protos, &own, diags) < 0) {
		free(own.v);
		return -1;
	}

	cfg_buf_init(&result);
	cfg_strvec_init(&seen);
	for (size_t i = 0; i < own.n; i++) {
		struct own_addr *a = &own.v[i];
		char addr[INET6_ADDRSTRLEN];
		char word[INET6_ADDRSTRLEN + 8];
		unsigned prefix;

		if (a->family == AF_INET) {
			uint32_t ip = ((uint32_t)a->addr[0] << 24) | ((uint32_t)a->addr[1] << 16)
			              | ((uint32_t)a->addr[2] << 8) | a->addr[3];

			if (style == STYLE_CLASS) {
				if ((ip & 0x80000000u) == 0) {
					prefix = 8;
				} else if ((ip & 0xc0000000u) == 0x80000000u) {
					prefix = 16;
				} else if ((ip & 0xe0000000u) == 0xc0000000u) {
					prefix = 24;
				} else if ((ip & 0xf0000000u) == 0xe0000000u) {
					prefix = 4;
				} else {
					format_addr(AF_INET, a->addr, addr, sizeof(addr));
					cfg_diags_add(
					    diags, CFG_SEV_FATAL, "hostinfo-address-class", NULL, 0,
					    0, "mynetworks_core: unknown address class: %s", addr);
					rc = -1;
					break;
				}
			} else if (style == STYLE_SUBNET) {
				prefix = mask_prefix(a->mask, 4);
			} else {
				prefix = 32;
			}
			apply_prefix(a->addr, 4, prefix);
			format_addr(AF_INET, a->addr, addr, sizeof(addr));
			snprintf(word, sizeof(word), "%s/%u", addr, prefix);
		} else {
			prefix = style == STYLE_HOST ? 128 : mask_prefix(a->mask, 16);
			apply_prefix(a->addr, 16, prefix);
			format_addr(AF_INET6, a->addr, addr, sizeof(addr));
			snprintf(word, sizeof(word), "[%s]/%u", addr, prefix);
		}
		append_unique(&result, &seen, word);
	}
	if (rc == 0)
		cfg_buf_add(out, result.data, result.len);
	cfg_buf_fini(&result);
	cfg_strvec_fini(&seen);
	free(own.v);
	return rc;
}

/* cfg_hostinfo_mynetworks_later - 1 when mynetworks may be computed on first use (hostinfo.h) */
int cfg_hostinfo_mynetworks_later(const struct cfg_hostinfo_in *in, struct cfg_diags *diags)
{
	const char *interfaces = in->inet_interfaces ? in->inet_interfaces : "all";
	unsigned protos, style;

	if (parse_protocols(in->inet_protocols ? in->inet_protocols : "all", &protos, diags) < 0)
		return -1;
	if (protos == 0)
		return 0;
	if (parse_style(in->mynetworks_style ? in->mynetworks_style : "subnet", &style, diags) < 0)
		return -1;
	/* class style can fail on an interface's address; names must resolve now */
	if (style == STYLE_CLASS)
		return 0;
	return strcmp(interfaces, "all") == 0 || strcmp(interfaces, "loopback-only") == 0;
}

/* cfg_hostinfo_compute - dispatch on the parameter name */
int cfg_hostinfo_compute(const char *name, const struct cfg_hostinfo_in *in, struct cfg_buf *out,
                         struct cfg_diags *diags)
{
	static const struct cfg_hostinfo_in none;

	if (in == NULL)
		in = &none;
	if (name == NULL)
		return fatal(diags, "hostinfo-not-derived", "", "no parameter name");
	if (strcmp(name, "myhostname") == 0)
		return compute_myhostname(in, out, diags);
	if (strcmp(name, "mydomain") == 0)
		return compute_mydomain(in, out, diags);
	if (strcmp(name, "mynetworks") == 0)
		return compute_mynetworks(in, out, diags);
	if (strcmp(name, "process_id") == 0) {
		cfg_buf_printf(out, "%ld", (long)getpid());
		return 0;
	}
	if (strcmp(name, "process_name") == 0) {
		cfg_buf_adds(out,
		             in->process_name ? in->process_name : program_invocation_short_name);
		return 0;
	}
	return fatal(diags, "hostinfo-not-derived", name,
	             "parameter default is not derived from the host");
}

/* cfg_hostinfo_param_default - defval, or the computed value of a derived parameter */
int cfg_hostinfo_param_default(const struct cfg_param_def *def, const struct cfg_hostinfo_in *in,
                               struct cfg_buf *out, struct cfg_diags *diags)
{
	if (def == NULL)
		return fatal(diags, "hostinfo-not-derived", "", "no parameter definition");
	if (def->defval != NULL) {
		cfg_buf_adds(out, def->defval);
		return 0;
	}
	return cfg_hostinfo_compute(def->name, in, out, diags);
}

/* cfg_hostinfo_default - the `postconf -d` form */
int cfg_hostinfo_default(const char *name, const char *style, struct cfg_buf *out)
{
	struct cfg_hostinfo_in in = {.mynetworks_style = style};

	return cfg_hostinfo_compute(name, &in, out, NULL);
}
