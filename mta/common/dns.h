/*
 * dns.h - the resolver adapter: MX, A and AAAA lookups through libresolv
 *
 * The only file of postkit that includes <resolv.h>.  It asks the system
 * resolver the way Postfix does (res_ninit, res_nquery: no search list,
 * the resolv.conf name servers, TCP when an answer is truncated) and turns
 * the answers into a list of records.  Failures come back with Postfix's
 * wording, e.g. "Name service error for name=example.org type=MX: Host not
 * found, try again", so the smtp client can log them as Postfix does.
 *
 * Tests never reach the host's resolver or the network: the environment
 * variable
 *     POSTKIT_DNS_SERVER=ADDR:PORT     (an IPv4 address, e.g. 127.0.0.1:5353)
 * replaces the resolv.conf name servers with that one server.  master
 * passes its environment to the daemons, so setting it for `postfix
 * start` is enough.  "ADDR:PORT trust-ad" also trusts that server's AD bit,
 * as resolv.conf's "options trust-ad" does for its servers.
 *
 * Each record carries the AD (authenticated data) bit of the answer it came
 * from, for DANE.  glibc clears that bit unless the resolver trusts the
 * server (trust-ad), so an AD bit seen here is one Postfix would believe.
 */
#ifndef MTA_DNS_H
#define MTA_DNS_H

#include <netinet/in.h>
#include <stddef.h>

#include "cfg/base/buf.h"

/* record types (the DNS numbers) */
#define DNS_T_A 1
#define DNS_T_NS 2
#define DNS_T_MX 15
#define DNS_T_TXT 16
#define DNS_T_AAAA 28
#define DNS_T_TLSA 52

/* lookup outcomes */
enum dns_status {
	DNS_OK = 0,   /* at least one record of the type */
	DNS_NOTFOUND, /* the name does not exist (NXDOMAIN): "Host not found" */
	DNS_NODATA,   /* the name exists, no record of the type */
	DNS_RETRY,    /* temporary failure: "Host not found, try again" */
	DNS_FAIL,     /* permanent failure: "Non-recoverable error" */
};

struct dns_rr {
	unsigned type;   /* DNS_T_* */
	unsigned pref;   /* MX preference */
	char name[1025]; /* MX: the exchange; NS: the server; A/AAAA: the owner; TXT: the text */
	int family;      /* A: AF_INET, AAAA: AF_INET6 */
	unsigned char addr[16];
	int ad; /* the answer had the AD bit */
	/* TLSA: usage, selector, matching type, and the association data */
	unsigned char tlsa[3];
	unsigned char data[2048];
	size_t len;
};

struct dns_list {
	struct dns_rr *rr;
	size_t n;
};

/* dns_list_init / dns_list_fini - an empty list / release one */
void dns_list_init(struct dns_list *l);
void dns_list_fini(struct dns_list *l);

/*
 * dns_lookup - records of type (A, AAAA, MX, NS or TXT) for name, appended to out.  On anything but
 * DNS_OK, why gets "Name service error for name=NAME type=TYPE: TEXT".
 * dnssec asks for validation (DO bit); each record reports the AD bit.
 */
enum dns_status dns_lookup(const char *name, unsigned type, int dnssec, struct dns_list *out,
                           struct cfg_buf *why);
/*
 * dns_lookup_ad - dns_lookup that also says whether the answer, records or
 * not (NXDOMAIN, NODATA), had the AD bit: *ad 1 for a validated answer
 */
enum dns_status dns_lookup_ad(const char *name, unsigned type, int dnssec, struct dns_list *out,
                              struct cfg_buf *why, int *ad);
/* dns_type_name - "MX", "A", "AAAA" */
const char *dns_type_name(unsigned type);
/* dns_addr_text - the numeric text of a record's address into buf */
void dns_addr_text(const struct dns_rr *rr, char *buf, size_t len);

#endif
