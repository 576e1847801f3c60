/*
 * mapquery.h - lists of lookup tables and Postfix's search orders over them
 *
 * A parameter such as virtual_alias_maps names several tables; struct
 * cfg_maplist opens them in order and answers with the first table that has
 * a key.  The cfg_mapq_* functions then try the keys Postfix tries, in
 * Postfix's order, for each kind of table:
 *
 *   access(5), address  user+ext@domain, user@domain, domain and its parents,
 *                       user+ext@, user@
 *   access(5), host     host.domain and its parents
 *   access(5), address  1.2.3.4, 1.2.3, 1.2, 1   (IPv6: cut at each ':')
 *   virtual(5) /        user+ext@domain, user@domain, user+ext, user (only for
 *   canonical(5)        local domains), @domain; "@other" results keep the user
 *   transport(5)        user+ext@domain, user@domain, domain and its parents, *
 *   aliases(5)          user+ext, user
 *
 * "Parents" of a.b.example are .b.example and .example, or b.example and
 * example when the table's parameter is listed in
 * parent_domain_matches_subdomains.  Only the first key (the full address,
 * host or IP) is given to pattern tables (regexp:, cidr:); the shorter keys
 * are "partial" and go to fixed-string tables only, as in Postfix.
 *
 * All results are 1 (found), 0 (not found) or -1 (a table failed: the
 * caller must defer, as Postfix does); the diagnostic is appended.  Strings
 * returned through const char ** are borrowed from the list and stay valid
 * until the next query on it.
 */
#ifndef CFG_MAPQUERY_H
#define CFG_MAPQUERY_H

#include "cfg/base/buf.h"
#include "cfg/base/diag.h"
#include "cfg/map/map.h"
#include "cfg/base/strvec.h"

struct cfg_maplist;

/*
 * cfg_maplist_open - open every table of list ("hash:/a, regexp:/b" split on
 * commas and white space, {...} kept together), each with mode READ and
 * flags.  Returns 0, or -1 with the first table's open error.
 */
int cfg_maplist_open(const char *list, unsigned flags, struct cfg_maplist **out,
                     struct cfg_diags *diags);
/* cfg_maplist_free - close every table; NULL is a no-op */
void cfg_maplist_free(struct cfg_maplist *ml);
/* cfg_maplist_count - how many tables the list has */
size_t cfg_maplist_count(const struct cfg_maplist *ml);
/*
 * cfg_maplist_find - key in the first table that has it.  partial != 0: the
 * key is a partial key and pattern tables are skipped.
 */
int cfg_maplist_find(struct cfg_maplist *ml, const char *key, int partial, const char **value,
                     struct cfg_diags *diags);

/* How a search is done; zero-initialise and set what applies. */
struct cfg_mapq_opts {
	const char *delimiters; /* recipient_delimiter: extension separators, NULL or "" for none */
	int parent_style; /* 1: "example.com" matches subdomains (parent_domain_matches_subdomains) */
	int local_domain;  /* virtual/canonical: the domain is local, so try user+ext and user */
	int propagate_ext; /* virtual/canonical: add an unmatched extension to each result */
};

/*
 * cfg_mapq_split_ext - split localpart at the first recipient delimiter:
 * base gets "user", the return value is the extension with its delimiter
 * ("+foo", borrowed from localpart) or NULL.  As in Postfix, "owner-x" and
 * "x-request" are never split at '-', and an empty user part is not split.
 */
const char *cfg_mapq_split_ext(const char *localpart, const char *delimiters, struct cfg_buf *base);

/*
 * cfg_mapq_listed - 1 when name (a parameter name such as "smtpd_access_maps")
 * appears in list (the value of parent_domain_matches_subdomains).
 */
int cfg_mapq_listed(const char *list, const char *name);

/* cfg_mapq_access_addr - access(5) for an email address (sender or recipient) */
int cfg_mapq_access_addr(struct cfg_maplist *ml, const char *addr, const struct cfg_mapq_opts *o,
                         const char **value, struct cfg_buf *matched, struct cfg_diags *diags);
/* cfg_mapq_access_host - access(5) for a host or domain name */
int cfg_mapq_access_host(struct cfg_maplist *ml, const char *host, const struct cfg_mapq_opts *o,
                         const char **value, struct cfg_buf *matched, struct cfg_diags *diags);
/* cfg_mapq_access_ip - access(5) for a client IPv4 or IPv6 address */
int cfg_mapq_access_ip(struct cfg_maplist *ml, const char *ip, const char **value,
                       struct cfg_buf *matched, struct cfg_diags *diags);
/*
 * cfg_mapq_virtual - virtual(5) or canonical(5) rewriting of addr.  On 1,
 * out holds the result addresses (the lookup result split at commas and
 * white space; "@other" became "user@other"; with propagate_ext an
 * unmatched extension is inserted before each '@').
 */
int cfg_mapq_virtual(struct cfg_maplist *ml, const char *addr, const struct cfg_mapq_opts *o,
                     struct cfg_strvec *out, struct cfg_buf *matched, struct cfg_diags *diags);
/*
 * cfg_mapq_transport - transport(5) entry for a recipient addr
 * (user@domain), or for a bare domain.  value is "transport:nexthop" as
 * written in the table.
 */
int cfg_mapq_transport(struct cfg_maplist *ml, const char *addr, const struct cfg_mapq_opts *o,
                       const char **value, struct cfg_buf *matched, struct cfg_diags *diags);
/*
 * cfg_mapq_alias - aliases(5) lookup of a local part (user+ext, then user).
 * *ext_stripped is set to 1 when the match needed the extension removed.
 */
int cfg_mapq_alias(struct cfg_maplist *ml, const char *localpart, const struct cfg_mapq_opts *o,
                   const char **value, int *ext_stripped, struct cfg_diags *diags);

#endif
