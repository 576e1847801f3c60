/*
 * addr.h - mail addresses: SMTP paths, RFC 5322 quoting, domain names
 *
 * Postfix keeps addresses in "internal" form: the local part without RFC
 * 5322 quotes ("user@example.org"@example.com becomes
 * user@example.org@example.com).  The "external" form quotes a local part
 * that needs it.  Replies quote the internal form in <...>, logs the
 * external one, as Postfix does.
 */
#ifndef MTA_ADDR_H
#define MTA_ADDR_H

#include <stddef.h>

#include "cfg/base/buf.h"
#include "cfg/base/strvec.h"

struct addr_path {
	char *internal;           /* unquoted ("" for <>) */
	char *external;           /* quoted where needed */
	struct cfg_strvec params; /* ESMTP parameters after the path, "NAME=VALUE" or "NAME" */
};

/* addr_path_init / addr_path_fini - empty / release */
void addr_path_init(struct addr_path *p);
void addr_path_fini(struct addr_path *p);
/*
 * addr_parse_path - parse the text after "MAIL FROM:" / "RCPT TO:": an
 * address in <...> (or bare, unless strict), a source route in front
 * (@a,@b:) is dropped, then ESMTP parameters.  Returns 0, -1 for no
 * address at all (the "Syntax:" reply), -2 for a malformed address (the
 * "Bad ... address syntax" reply).
 */
int addr_parse_path(const char *text, int strict, struct addr_path *out);
/* addr_externalize - append the external form of an internal address */
void addr_externalize(const char *internal, struct cfg_buf *out);
/* addr_internalize - append the internal form of an external address */
void addr_internalize(const char *external, struct cfg_buf *out);
/* addr_domain - the domain after the last '@', or NULL (borrowed from addr) */
const char *addr_domain(const char *addr);
/* addr_localpart - append the local part (before the last '@') to out */
void addr_localpart(const char *addr, struct cfg_buf *out);
/* addr_lower - lower-case a string in place (ASCII) */
void addr_lower(char *s);
/* addr_valid_hostname - 1 when s is a syntactically valid host name (letters, digits, - and .) */
int addr_valid_hostname(const char *s);
/*
 * addr_valid_domain - 1 when s may be the domain of an address: an address
 * literal with a valid address, or a valid host name (with UTF-8 labels when
 * utf8), as Postfix's resolver checks it
 */
int addr_valid_domain(const char *s, int utf8);
/* addr_valid_ip_literal - 1 when s is "[1.2.3.4]" or "[ipv6:...]" with a valid address */
int addr_valid_ip_literal(const char *s);
/* addr_is_ip - 1 when s is a numeric IPv4/IPv6 address */
int addr_is_ip(const char *s);

#endif
