/*
 * map_cidr.c - cidr:FILE and cidr:{ {rule}, ... }: ordered network/prefix rules
 *
 * Rules, first match wins (Postfix 3.7 cidr_table(5)):
 *   [!]network_address[/prefix] result     (IPv4 or IPv6, optionally in [])
 *   if [!]pattern ... endif                (nestable; "IF"/"ENDIF" any case)
 * Keys and patterns are compared in binary (inet_pton), so IPv6 spelling does
 * not matter and IPv4 octets with leading zeros are not addresses.  A bad
 * rule is skipped with Postfix's warning:
 *   cidr map FILE, line N: bad mask value in "1.2.3.4/x": skipping this rule
 */
#include "config.h"

#include <arpa/inet.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>

#include "cfg/base/lines.h"
#include "cfg/base/net.h"
#include "cfg/base/xalloc.h"
#include "map_int.h"

enum rule_op { OP_MATCH, OP_IF, OP_ENDIF };

struct rule {
	enum rule_op op;
	int match;          /* 1, or 0 for a negated pattern */
	struct cfg_net net; /* the pattern's network (its text parts are not kept) */
	char *value;
	size_t block_end; /* OP_IF: index of its ENDIF, or CFGP_NO_ENDIF */
};

struct cidr {
	struct rule *v;
	size_t n, cap;
};

/* is_space - C-locale whitespace */
static int is_space(int c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' || c == '\f';
}

/*
 * parse_pattern - parse [!...]address[/len] (pattern is modified).  Returns 0,
 * or -1 with the reason (Postfix's words) in why.
 */
static int parse_pattern(char *pattern, struct rule *r, struct cfg_buf *why)
{
	char *p = pattern, buf[INET6_ADDRSTRLEN];
	struct cfg_net n;
	enum cfg_net_status st;
	int alen, llen;

	r->match = 1;
	while (*p == '!') {
		r->match = !r->match;
		p++;
		while (is_space((unsigned char)*p))
			p++;
	}
	if (*p == 0) {
		cfg_buf_adds(why, "no address pattern");
		return -1;
	}
	st = cfg_net_parse(p, &n);
	alen = (int)n.addr_len;
	llen = (int)n.len_len;
	if (st == CFG_NET_OK) {
		r->net = n;
		return 0;
	}
	if (st == CFG_NET_NO_CLOSE)
		cfg_buf_printf(why, "missing ']' character after \"[%.*s\"", alen, n.addr_text);
	else if (st == CFG_NET_GARBAGE)
		cfg_buf_printf(why, "garbage after \"[%.*s]\"", alen, n.addr_text);
	else if (n.len_text == NULL)
		cfg_buf_printf(why, "bad address pattern: \"%.*s\"", alen, n.addr_text);
	else if (st == CFG_NET_LEN_SYNTAX)
		cfg_buf_printf(why, "bad mask value in \"%.*s/%.*s\"", alen, n.addr_text, llen,
		               n.len_text);
	else if (st == CFG_NET_LEN_RANGE)
		cfg_buf_printf(why, "bad mask length in \"%.*s/%.*s\"", alen, n.addr_text, llen,
		               n.len_text);
	else if (st == CFG_NET_BAD_ADDR)
		cfg_buf_printf(why, "bad network value in \"%.*s/%.*s\"", alen, n.addr_text, llen,
		               n.len_text);
	else
		cfg_buf_printf(
		    why,
		    "non-null host address bits in \"%.*s/%.*s\", perhaps you should use "
		    "\"%s/%u\" instead",
		    alen, n.addr_text, llen, n.len_text,
		    inet_ntop(n.family, n.addr, buf, sizeof(buf)) ? buf : "?", n.bits);
	return -1;
}

/* add_rule - append a copy of r */
static struct rule *add_rule(struct cidr *c, const struct rule *r)
{
	if (c->n == c->cap) {
		c->cap = c->cap ? c->cap * 2 : 16;
		c->v = cfg_xreallocarray(c->v, c->cap, sizeof(*c->v));
	}
	c->v[c->n] = *r;
	return &c->v[c->n++];
}

/* keyword - p starts with kw (any case) not followed by a letter or digit, as in Postfix */
static int keyword(const char *p, const char *kw)
{
	size_t n = strlen(kw);
	unsigned char c = (unsigned char)p[n];

	return strncasecmp(p, kw, n) == 0
	       && !((c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'));
}

/* load - parse the rules of text; name is used in warnings */
static int load(struct cfg_map *m, const char *text, size_t len, struct cfg_diags *diags)
{
	struct cidr *c = cfg_xcalloc(1, sizeof(*c));
	struct cfg_lines lr;
	struct cfg_lline ll;
	struct cfg_buf why;
	struct cfgp_ifs ifs = {0};
	size_t open_if;
	unsigned line;

	m->priv = c;
	cfg_lines_init(&lr, text, len);
	cfg_lline_init(&ll);
	cfg_buf_init(&why);
	while (cfgp_mapsrc_next(&lr, &ll, m->name, diags)) {
		char *p = cfgp_trim_right(ll.text.data);
		struct rule r;

		memset(&r, 0, sizeof(r));
		cfg_buf_reset(&why);
		if (keyword(p, "if")) {
			p += 2;
			while (is_space((unsigned char)*p))
				p++;
			if (parse_pattern(p, &r, &why) == 0) {
				r.op = OP_IF;
				r.block_end = CFGP_NO_ENDIF;
				add_rule(c, &r);
				cfgp_ifs_push(&ifs, c->n - 1, ll.first);
			}
		} else if (keyword(p, "endif")) {
			p += 5;
			while (is_space((unsigned char)*p))
				p++;
			if (*p) {
				cfg_buf_adds(&why, "garbage after ENDIF");
			} else if ((open_if = cfgp_ifs_pop(&ifs, NULL)) == CFGP_NO_ENDIF) {
				cfg_buf_adds(&why, "ENDIF without IF");
			} else {
				r.op = OP_ENDIF;
				add_rule(c, &r);
				c->v[open_if].block_end = c->n - 1;
			}
		} else {
			char *pat = p, *value;

			/* negation may be followed by whitespace: "! 1.2.3.4 result" */
			while (*p == '!' || (p > pat && is_space((unsigned char)*p)))
				p++;
			while (*p && !is_space((unsigned char)*p))
				p++;
			value = p;
			if (*value)
				*value++ = 0;
			while (is_space((unsigned char)*value))
				value++;
			if (parse_pattern(pat, &r, &why) == 0) {
				if (*value == 0) {
					cfg_buf_adds(&why, "no lookup result");
				} else {
					r.op = OP_MATCH;
					r.value = cfg_xstrdup(value);
					add_rule(c, &r);
				}
			}
		}
		if (why.len)
			cfg_diags_add(diags, CFG_SEV_WARNING, "cidr-rule", m->name, ll.first, 0,
			              "cidr map %s, line %u: %s: skipping this rule", m->name,
			              ll.first, why.data);
	}
	while (cfgp_ifs_pop(&ifs, &line) != CFGP_NO_ENDIF)
		cfg_diags_add(diags, CFG_SEV_WARNING, "cidr-if", m->name, line, 0,
		              "cidr map %s, line %u: IF has no matching ENDIF", m->name, line);
	cfgp_ifs_fini(&ifs);
	cfg_lline_fini(&ll);
	cfg_buf_fini(&why);
	return 0;
}

/* cidr_lookup - first matching rule, honouring if/endif blocks */
static int cidr_lookup(struct cfg_map *m, const char *key, const char **value,
                       struct cfg_diags *diags)
{
	struct cidr *c = m->priv;
	unsigned char a[16];
	int family;

	(void)diags;
	if (cfg_net_addr(key, &family, a) < 0)
		return 0;
	for (size_t i = 0; i < c->n; i++) {
		const struct rule *r = &c->v[i];

		switch (r->op) {
		case OP_MATCH:
			if (r->net.family == family
			    && cfg_net_match(&r->net, family, a) == r->match) {
				*value = r->value;
				return 1;
			}
			break;
		case OP_IF:
			if (r->net.family != family
			    || cfg_net_match(&r->net, family, a) != r->match)
				i = cfgp_if_next(r->block_end, c->n);
			break;
		case OP_ENDIF:
			break;
		}
	}
	return 0;
}

/* cidr_close - free the rules */
static void cidr_close(struct cfg_map *m)
{
	struct cidr *c = m->priv;

	if (c == NULL)
		return;
	for (size_t i = 0; i < c->n; i++)
		free(c->v[i].value);
	free(c->v);
	free(c);
}

/* cidr_open - read FILE, or the inline {rule} list */
static int cidr_open(struct cfg_map *m, struct cfg_diags *diags)
{
	struct cfg_buf src;
	int r, ret;

	cfg_buf_init(&src);
	if ((r = cfgp_inline_rules("cidr", m->name, &src, diags)) < 0
	    || (r == 0 && cfgp_read_source(m->name, "cidr", &src, diags) < 0)) {
		cfg_buf_fini(&src);
		return -1;
	}
	ret = load(m, src.data, src.len, diags);
	cfg_buf_fini(&src);
	return ret;
}

const struct cfgp_map_ops cfgp_map_cidr_ops = {
    .type = "cidr",
    .open = cidr_open,
    .open_text = load,
    .lookup = cidr_lookup,
    .close = cidr_close,
};
