/*
 * net.h - one IP network: an IPv4 or IPv6 address with a prefix length
 *
 * The one parser and matcher of "address[/len]" for everything that reads
 * networks: parameter validation (mynetworks...), the relay lint, cidr:
 * tables and the daemons' address lists, as Postfix shares one CIDR matcher.
 * Accepted forms: 192.0.2.1, 192.0.2.0/24, 2001:db8::1, 2001:db8::/32,
 * [2001:db8::1], [2001:db8::]/32 and [2001:db8::/32].  The caller strips
 * what its syntax puts around a network ('!' negation, table names).
 */
#ifndef CFG_NET_H
#define CFG_NET_H

#include <stddef.h>

enum cfg_net_status {
	CFG_NET_OK = 0,
	CFG_NET_NO_CLOSE,   /* "[" without "]" */
	CFG_NET_GARBAGE,    /* text after "]" other than "/len" */
	CFG_NET_LEN_SYNTAX, /* "/len" that is empty or not all digits */
	CFG_NET_LEN_RANGE,  /* a length longer than the address (or than 4 digits) */
	CFG_NET_BAD_ADDR,   /* not an IPv4 or IPv6 address */
	CFG_NET_HOST_BITS,  /* address bits set beyond the prefix */
};

struct cfg_net {
	int family;             /* AF_INET or AF_INET6 */
	unsigned bits;          /* prefix length (32 or 128 without "/len") */
	unsigned char addr[16]; /* network bytes (4 used for IPv4) */
	int bracketed;          /* written in [] */
	/* where the parts are in the parsed text, for messages (len NULL without "/len") */
	const char *addr_text, *len_text;
	size_t addr_len, len_len;
};

/*
 * cfg_net_parse - one network.  Returns CFG_NET_OK or what is wrong; the
 * text parts are set as far as parsing got.  With CFG_NET_HOST_BITS n->addr
 * holds the network with the host bits cleared (what the text probably meant).
 */
enum cfg_net_status cfg_net_parse(const char *text, struct cfg_net *n);
/* cfg_net_addr - a bare IPv4 or IPv6 address (a lookup key); 0, or -1 when it is none */
int cfg_net_addr(const char *text, int *family, unsigned char addr[16]);
/* cfg_net_match - 1 when an address of family lies in n */
int cfg_net_match(const struct cfg_net *n, int family, const unsigned char *addr);
/* cfg_net_match_text - 1 when the address text lies in n (0 for what is no address) */
int cfg_net_match_text(const struct cfg_net *n, const char *addr);

#endif
