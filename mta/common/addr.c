/* addr.c - mail addresses: SMTP paths, RFC 5322 quoting, domain names (see addr.h) */
#include "config.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include "addr.h"
#include "cfg/base/xalloc.h"

void addr_path_init(struct addr_path *p)
{
	p->internal = NULL;
	p->external = NULL;
	cfg_strvec_init(&p->params);
}

void addr_path_fini(struct addr_path *p)
{
	free(p->internal);
	free(p->external);
	cfg_strvec_fini(&p->params);
	p->internal = p->external = NULL;
}

/* specials outside quotes that make an address malformed */
static int bad_unquoted(int c)
{
	return c == ' ' || c == '\t' || c == '<' || c == '>' || c == '(' || c == ')' || c == ','
	       || c == ';' || c == '\\' || c == '[' || c == ']' || c == ':'
	       || (unsigned char)c < 0x20 || c == 0x7f;
}

/*
 * unquote - the internal form of an address as written (source route
 * already removed); -1 when malformed.  Quotes may appear in the local
 * part; a domain may be an [address literal].
 */
static int unquote(const char *s, struct cfg_buf *out)
{
	int inq = 0, in_lit = 0;
	const char *at = NULL;

	/* find the domain's '@': the last one outside quotes */
	for (const char *p = s; *p; p++) {
		if (*p == '\\' && inq && p[1]) {
			p++;
			continue;
		}
		if (*p == '"')
			inq = !inq;
		else if (*p == '@' && !inq)
			at = p;
	}
	if (inq)
		return -1;
	for (const char *p = s; *p; p++) {
		int c = (unsigned char)*p;

		if (inq) {
			if (c == '\\' && p[1]) {
				cfg_buf_addc(out, *++p);
			} else if (c == '"') {
				inq = 0;
			} else if (c == '\r' || c == '\n') {
				return -1;
			} else {
				cfg_buf_addc(out, c);
			}
			continue;
		}
		if (c == '"' && (at == NULL || p < at)) {
			inq = 1;
			continue;
		}
		if (at && p > at) {
			/* domain part: host name, or an address literal */
			if (c == '[' && p == at + 1)
				in_lit = 1;
			else if (c == ']' && in_lit && p[1] == '\0')
				in_lit = 2;
			else if (!(in_lit == 1 && (c == ':' || c == '.')) && bad_unquoted(c))
				return -1;
			cfg_buf_addc(out, c);
			continue;
		}
		if (bad_unquoted(c))
			return -1;
		cfg_buf_addc(out, c);
	}
	if (in_lit == 1)
		return -1;
	return 0;
}

int addr_parse_path(const char *text, int strict, struct addr_path *out)
{
	const char *p = text, *start, *end, *rest;
	struct cfg_buf raw, in, ext;
	int rc = 0;

	while (*p == ' ' || *p == '\t')
		p++;
	if (*p == '\0')
		return -1;
	if (*p == '<') {
		int inq = 0;

		start = ++p;
		for (; *p; p++) {
			if (inq && *p == '\\' && p[1]) {
				p++;
				continue;
			}
			if (*p == '"')
				inq = !inq;
			else if (*p == '>' && !inq)
				break;
		}
		if (*p != '>')
			return -2;
		end = p;
		rest = p + 1;
		if (*rest && *rest != ' ' && *rest != '\t')
			return -2;
	} else {
		if (strict)
			return -2;
		int inq = 0;

		/* up to a blank outside a quoted string */
		for (start = p; *p && (inq || (*p != ' ' && *p != '\t')); p++) {
			if (inq && *p == '\\' && p[1])
				p++;
			else if (*p == '"')
				inq = !inq;
		}
		end = p;
		rest = p;
	}
	/* trim blanks inside the brackets */
	while (start < end && (*start == ' ' || *start == '\t'))
		start++;
	while (end > start && (end[-1] == ' ' || end[-1] == '\t'))
		end--;
	cfg_buf_init(&raw);
	cfg_buf_add(&raw, start, (size_t)(end - start));
	/* a source route "@a,@b:" in front is ignored, as RFC 5321 allows */
	if (raw.data[0] == '@') {
		char *colon = strchr(raw.data, ':');

		if (colon == NULL) {
			cfg_buf_fini(&raw);
			return -2;
		}
		memmove(raw.data, colon + 1, strlen(colon + 1) + 1);
		raw.len = strlen(raw.data);
	}
	cfg_buf_init(&in);
	cfg_buf_init(&ext);
	if (unquote(raw.data, &in) < 0) {
		rc = -2;
	} else {
		addr_externalize(in.data, &ext);
		out->internal = cfg_buf_take(&in);
		out->external = cfg_buf_take(&ext);
		cfg_buf_init(&in);
		cfg_buf_init(&ext);
		cfg_strvec_split(&out->params, rest, " \t");
	}
	cfg_buf_fini(&in);
	cfg_buf_fini(&ext);
	cfg_buf_fini(&raw);
	return rc;
}

/* needs_quote - 1 when a local part must be quoted in external form */
static int needs_quote(const char *lp, size_t n)
{
	if (n == 0)
		return 0;
	if (lp[0] == '.' || lp[n - 1] == '.')
		return 1;
	for (size_t i = 0; i < n; i++) {
		int c = (unsigned char)lp[i];

		if (c == '.' && i + 1 < n && lp[i + 1] == '.')
			return 1;
		if (c <= ' ' || c == 0x7f || strchr("()<>@,;:\\\"[]", c))
			return 1;
	}
	return 0;
}

void addr_externalize(const char *internal, struct cfg_buf *out)
{
	const char *at = strrchr(internal, '@');
	size_t n = at ? (size_t)(at - internal) : strlen(internal);

	if (needs_quote(internal, n)) {
		cfg_buf_addc(out, '"');
		for (size_t i = 0; i < n; i++) {
			if (internal[i] == '"' || internal[i] == '\\')
				cfg_buf_addc(out, '\\');
			cfg_buf_addc(out, internal[i]);
		}
		cfg_buf_addc(out, '"');
	} else {
		cfg_buf_add(out, internal, n);
	}
	if (at)
		cfg_buf_adds(out, at);
}

void addr_internalize(const char *external, struct cfg_buf *out)
{
	size_t before = out->len;

	if (unquote(external, out) < 0) {
		cfg_buf_truncate(out, before);
		cfg_buf_adds(out, external);
	}
}

const char *addr_domain(const char *addr)
{
	const char *at = strrchr(addr, '@');

	return at ? at + 1 : NULL;
}

void addr_localpart(const char *addr, struct cfg_buf *out)
{
	const char *at = strrchr(addr, '@');

	cfg_buf_add(out, addr, at ? (size_t)(at - addr) : strlen(addr));
}

void addr_lower(char *s)
{
	for (; *s; s++)
		*s = (char)tolower((unsigned char)*s);
}

/* valid_name - a host name; utf8: bytes above 127 count as letters (an SMTPUTF8 domain) */
static int valid_name(const char *s, int utf8)
{
	size_t label = 0, n = strlen(s);
	int all_num = 1;

	if (n == 0 || n > 255)
		return 0;
	for (const char *p = s; *p; p++) {
		int c = (unsigned char)*p;

		if (c == '.') {
			if (label == 0 || p[-1] == '-')
				return 0;
			label = 0;
			continue;
		}
		if (c == '-' && label == 0)
			return 0; /* a label starts with a letter or digit */
		if (!isalnum(c) && c != '-' && c != '_' && !(utf8 && c > 127))
			return 0;
		if (!isdigit(c))
			all_num = 0;
		if (++label > 63)
			return 0;
	}
	if (s[n - 1] == '-' || s[n - 1] == '.')
		return 0;
	/* a name of only digits and dots is an address, not a host name */
	return !all_num;
}

int addr_valid_hostname(const char *s)
{
	return valid_name(s, 0);
}

int addr_valid_domain(const char *s, int utf8)
{
	return *s == '[' ? addr_valid_ip_literal(s) : valid_name(s, utf8);
}

int addr_is_ip(const char *s)
{
	unsigned char buf[16];

	return inet_pton(AF_INET, s, buf) == 1 || inet_pton(AF_INET6, s, buf) == 1;
}

int addr_valid_ip_literal(const char *s)
{
	size_t n = strlen(s);
	char tmp[64];
	unsigned char buf[16];

	if (n < 3 || s[0] != '[' || s[n - 1] != ']' || n - 2 >= sizeof(tmp))
		return 0;
	memcpy(tmp, s + 1, n - 2);
	tmp[n - 2] = '\0';
	if (strncasecmp(tmp, "ipv6:", 5) == 0)
		return inet_pton(AF_INET6, tmp + 5, buf) == 1;
	return inet_pton(AF_INET, tmp, buf) == 1;
}
