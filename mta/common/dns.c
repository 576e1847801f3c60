/* dns.c - the resolver adapter (see dns.h); the only file that includes <resolv.h> */
#include "config.h"

#include <arpa/inet.h>
#include <arpa/nameser.h>
#include <netdb.h>
#include <resolv.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "cfg/base/xalloc.h"
#include "dns.h"

static struct __res_state res;
static int res_ready;

void dns_list_init(struct dns_list *l)
{
	l->rr = NULL;
	l->n = 0;
}

void dns_list_fini(struct dns_list *l)
{
	free(l->rr);
	dns_list_init(l);
}

const char *dns_type_name(unsigned type)
{
	switch (type) {
	case DNS_T_A:
		return "A";
	case DNS_T_MX:
		return "MX";
	case DNS_T_NS:
		return "NS";
	case DNS_T_AAAA:
		return "AAAA";
	case DNS_T_TXT:
		return "TXT";
	case DNS_T_TLSA:
		return "TLSA";
	default:
		return "unknown";
	}
}

void dns_addr_text(const struct dns_rr *rr, char *buf, size_t len)
{
	if (inet_ntop(rr->family, rr->addr, buf, (socklen_t)len) == NULL)
		snprintf(buf, len, "?");
}

/* use_test_server - POSTKIT_DNS_SERVER=ADDR:PORT replaces the resolv.conf name servers */
static void use_test_server(struct __res_state *st)
{
	const char *env = getenv("POSTKIT_DNS_SERVER");
	struct sockaddr_in sin;
	const char *colon;
	char host[64];
	long port;

	if (env == NULL || *env == '\0' || (colon = strrchr(env, ':')) == NULL)
		return;
	if ((size_t)(colon - env) >= sizeof(host))
		return;
	memcpy(host, env, (size_t)(colon - env));
	host[colon - env] = '\0';
	port = strtol(colon + 1, NULL, 10);
#ifdef RES_TRUSTAD
	if (strstr(colon, " trust-ad") != NULL)
		st->options |= RES_TRUSTAD;
#endif
	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	sin.sin_port = htons((unsigned short)port);
	if (port <= 0 || port > 65535 || inet_pton(AF_INET, host, &sin.sin_addr) != 1)
		return;
	st->nscount = 1;
	st->nsaddr_list[0] = sin;
#ifdef __GLIBC__
	/* glibc keeps IPv6 servers aside and prefers them: make that slot ours too */
	if (st->_u._ext.nsaddrs[0] != NULL)
		memcpy(st->_u._ext.nsaddrs[0], &sin, sizeof(sin));
#endif
}

/* ready - initialise the resolver once per process; 0 or -1 */
static int ready(void)
{
	if (res_ready)
		return 0;
	memset(&res, 0, sizeof(res));
	if (res_ninit(&res) < 0)
		return -1;
	use_test_server(&res);
	res_ready = 1;
	return 0;
}

/* status_of - the outcome and Postfix's text for the resolver's h_errno */
static enum dns_status status_of(int herr, const char **text)
{
	switch (herr) {
	case HOST_NOT_FOUND:
		*text = "Host not found";
		return DNS_NOTFOUND;
	case NO_DATA:
		*text = "Host found but no data record of requested type";
		return DNS_NODATA;
	case NO_RECOVERY:
		*text = "Non-recoverable error";
		return DNS_FAIL;
	default:
		*text = "Host not found, try again";
		return DNS_RETRY;
	}
}

/* add_rr - append one answer record of the wanted type */
static int add_rr(ns_msg *msg, ns_rr *rr, unsigned type, int ad, struct dns_list *out)
{
	const unsigned char *rd = ns_rr_rdata(*rr);
	size_t rdlen = ns_rr_rdlen(*rr);
	struct dns_rr r;

	memset(&r, 0, sizeof(r));
	r.type = type;
	r.ad = ad;
	snprintf(r.name, sizeof(r.name), "%s", ns_rr_name(*rr));
	if (type == DNS_T_A) {
		if (rdlen != 4)
			return -1;
		r.family = AF_INET;
		memcpy(r.addr, rd, 4);
	} else if (type == DNS_T_AAAA) {
		if (rdlen != 16)
			return -1;
		r.family = AF_INET6;
		memcpy(r.addr, rd, 16);
	} else if (type == DNS_T_TLSA) {
		/*
		 * usage, selector, matching type, then the data (a digest or a
		 * whole object); data too big to keep stays as a record without
		 * data, which the TLS layer finds unusable: DANE then fails
		 * closed instead of seeing no records
		 */
		if (rdlen < 3)
			return -1;
		memcpy(r.tlsa, rd, 3);
		r.len = rdlen - 3 <= sizeof(r.data) ? rdlen - 3 : 0;
		memcpy(r.data, rd + 3, r.len);
	} else if (type == DNS_T_TXT) {
		/* the character-strings of the record, joined */
		size_t o = 0, w = 0;

		while (o < rdlen) {
			size_t n = rd[o++];

			if (n > rdlen - o)
				return -1;
			if (n > sizeof(r.name) - 1 - w)
				n = sizeof(r.name) - 1 - w;
			memcpy(r.name + w, rd + o, n);
			w += n;
			o += rd[o - 1];
		}
		r.name[w] = '\0';
	} else if (type == DNS_T_NS) {
		if (dn_expand(ns_msg_base(*msg), ns_msg_end(*msg), rd, r.name, sizeof(r.name)) < 0)
			return -1;
	} else {
		if (rdlen < 3)
			return -1;
		r.pref = ns_get16(rd);
		if (dn_expand(ns_msg_base(*msg), ns_msg_end(*msg), rd + 2, r.name, sizeof(r.name))
		    < 0)
			return -1;
	}
	out->rr = cfg_xreallocarray(out->rr, out->n + 1, sizeof(*out->rr));
	out->rr[out->n++] = r;
	return 0;
}

enum dns_status dns_lookup(const char *name, unsigned type, int dnssec, struct dns_list *out,
                           struct cfg_buf *why)
{
	int ad;

	return dns_lookup_ad(name, type, dnssec, out, why, &ad);
}

enum dns_status dns_lookup_ad(const char *name, unsigned type, int dnssec, struct dns_list *out,
                              struct cfg_buf *why, int *secure)
{
	static unsigned char answer[65536];
	const char *text = "Host not found, try again";
	enum dns_status st = DNS_RETRY;
	ns_msg msg;
	int len, ad, found = 0;

	if (ready() < 0)
		goto fail;
	if (dnssec)
		res.options |= RES_USE_DNSSEC | RES_USE_EDNS0;
	else
		res.options &= ~(unsigned long)RES_USE_DNSSEC;
	*secure = 0;
	answer[3] = 0;
	len = res_nquery(&res, name, ns_c_in, (int)type, answer, sizeof(answer));
	if (len < 0) {
		st = status_of(res.res_h_errno, &text);
		/* NXDOMAIN and NODATA leave the reply in answer: its header has the AD bit */
		if (st == DNS_NOTFOUND || st == DNS_NODATA)
			*secure = (answer[3] & 0x20) != 0;
		goto fail;
	}
	if (ns_initparse(answer, len, &msg) < 0) {
		text = "Non-recoverable error";
		st = DNS_FAIL;
		goto fail;
	}
	*secure = ad = ns_msg_getflag(msg, ns_f_ad);
	for (int i = 0; i < ns_msg_count(msg, ns_s_an); i++) {
		ns_rr rr;

		if (ns_parserr(&msg, ns_s_an, i, &rr) < 0)
			break;
		if (ns_rr_class(rr) != ns_c_in || (unsigned)ns_rr_type(rr) != type)
			continue; /* CNAMEs on the way to the records */
		if (add_rr(&msg, &rr, type, ad, out) == 0)
			found++;
	}
	if (found)
		return DNS_OK;
	text = "Host found but no data record of requested type";
	st = DNS_NODATA;
fail:
	if (why) {
		cfg_buf_reset(why);
		cfg_buf_printf(why, "Name service error for name=%s type=%s: %s", name,
		               dns_type_name(type), text);
	}
	return st;
}
