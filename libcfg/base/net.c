/* net.c - IP networks: parse "address[/len]" and match addresses (see cfg/base/net.h) */
#include "config.h"

#include <arpa/inet.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "cfg/base/net.h"

/* prefix_mask - the mask byte i of a prefix of bits */
static unsigned char prefix_mask(unsigned bits, size_t i)
{
	long keep = (long)bits - (long)i * 8;

	return keep >= 8 ? 0xff : keep <= 0 ? 0 : (unsigned char)(0xff << (8 - keep));
}

int cfg_net_addr(const char *text, int *family, unsigned char addr[16])
{
	if (inet_pton(AF_INET, text, addr) == 1) {
		*family = AF_INET;
		return 0;
	}
	if (inet_pton(AF_INET6, text, addr) == 1) {
		*family = AF_INET6;
		return 0;
	}
	return -1;
}

/* split - find the address and length parts of text in n */
static enum cfg_net_status split(const char *text, struct cfg_net *n)
{
	const char *slash;

	n->bracketed = text[0] == '[';
	if (n->bracketed) {
		const char *close = strchr(text + 1, ']');

		n->addr_text = text + 1;
		if (close == NULL) {
			n->addr_len = strlen(n->addr_text);
			return CFG_NET_NO_CLOSE;
		}
		n->addr_len = (size_t)(close - n->addr_text);
		if (close[1] != '/' && close[1] != 0)
			return CFG_NET_GARBAGE;
		/* "[net]/len", or "[net/len]" with the length inside */
		slash = close[1] == '/' ? close + 1 : memchr(n->addr_text, '/', n->addr_len);
		if (slash != NULL && slash < close)
			n->addr_len = (size_t)(slash - n->addr_text);
		if (slash != NULL)
			n->len_len =
			    slash < close ? (size_t)(close - slash - 1) : strlen(slash + 1);
	} else {
		n->addr_text = text;
		slash = strchr(text, '/');
		n->addr_len = slash ? (size_t)(slash - text) : strlen(text);
		if (slash != NULL)
			n->len_len = strlen(slash + 1);
	}
	n->len_text = slash ? slash + 1 : NULL;
	return CFG_NET_OK;
}

enum cfg_net_status cfg_net_parse(const char *text, struct cfg_net *n)
{
	char abuf[INET6_ADDRSTRLEN + 1];
	size_t alen;
	enum cfg_net_status st;

	memset(n, 0, sizeof(*n));
	if ((st = split(text, n)) != CFG_NET_OK)
		return st;
	n->family = memchr(n->addr_text, ':', n->addr_len) ? AF_INET6 : AF_INET;
	alen = n->family == AF_INET ? 4 : 16;
	n->bits = (unsigned)alen * 8;
	if (n->len_text != NULL) {
		unsigned long bits = 0;

		if (n->len_len == 0)
			return CFG_NET_LEN_SYNTAX;
		for (size_t i = 0; i < n->len_len; i++) {
			if (n->len_text[i] < '0' || n->len_text[i] > '9')
				return CFG_NET_LEN_SYNTAX;
			if (i < 8)
				bits = bits * 10 + (unsigned long)(n->len_text[i] - '0');
		}
		if (n->len_len > 4 || bits > alen * 8)
			return CFG_NET_LEN_RANGE;
		n->bits = (unsigned)bits;
	}
	if (n->addr_len >= sizeof(abuf))
		return CFG_NET_BAD_ADDR;
	memcpy(abuf, n->addr_text, n->addr_len);
	abuf[n->addr_len] = 0;
	if (inet_pton(n->family, abuf, n->addr) != 1)
		return CFG_NET_BAD_ADDR;
	st = CFG_NET_OK;
	for (size_t i = 0; i < alen; i++) {
		unsigned char m = prefix_mask(n->bits, i);

		if (n->addr[i] & ~m & 0xff) {
			n->addr[i] &= m;
			st = CFG_NET_HOST_BITS;
		}
	}
	return st;
}

int cfg_net_match(const struct cfg_net *n, int family, const unsigned char *addr)
{
	size_t alen = family == AF_INET ? 4 : 16;

	if (family != n->family)
		return 0;
	for (size_t i = 0; i < alen; i++) {
		unsigned char m = prefix_mask(n->bits, i);

		if ((addr[i] & m) != (n->addr[i] & m))
			return 0;
	}
	return 1;
}

int cfg_net_match_text(const struct cfg_net *n, const char *addr)
{
	unsigned char a[16];
	int family;

	if (addr == NULL || cfg_net_addr(addr, &family, a) < 0)
		return 0;
	return cfg_net_match(n, family, a);
}
