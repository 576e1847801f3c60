/* cleanup_addr.c - envelope address rewriting: myorigin, canonical maps, virtual aliases */
#include "config.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "addr.h"
#include "cfg/base/xalloc.h"
#include "cleanup_int.h"
#include "log.h"
#include "maps.h"

void cleanup_qualify(struct cleanup *c, struct cfg_buf *addr)
{
	const char *at;

	if (addr->len == 0)
		return;
	while (addr->len > 1 && addr->data[addr->len - 1] == '.' && strchr(addr->data, '@'))
		cfg_buf_truncate(addr, addr->len - 1);
	at = strrchr(addr->data, '@');
	if (at == NULL) {
		if (c->cfg->append_at_myorigin && *c->cfg->myorigin) {
			cfg_buf_addc(addr, '@');
			cfg_buf_adds(addr, c->cfg->myorigin);
		}
	} else if (c->cfg->append_dot_mydomain && at[1] != '[' && strchr(at + 1, '.') == NULL
	           && *c->cfg->mydomain) {
		cfg_buf_addc(addr, '.');
		cfg_buf_adds(addr, c->cfg->mydomain);
	}
}

/* is_our_domain - mydestination or myorigin: where a bare "user" key applies */
static int is_our_domain(struct cleanup *c, const char *domain)
{
	if (domain == NULL)
		return 1;
	if (strcasecmp(domain, c->cfg->myorigin) == 0)
		return 1;
	return rslv_is_local_domain(c->cfg->rslv, domain) > 0;
}

/* trace - tell postfix route about one rewriting step */
static void trace(struct cleanup *c, const char *step, long depth, const char *from, const char *to)
{
	if (c->trace)
		c->trace(c->trace_arg, step, depth, from, to);
}

/*
 * map_addr - virtual(5)/canonical(5) search order over maps (libcfg's
 * cfg_mapq_virtual: user+ext@domain, user@domain, user+ext and user for our
 * domains, @domain).  Returns 1 with the result addresses in out, 0 when
 * absent, -1 on a table error.
 */
static int map_addr(struct cleanup *c, const struct cfg_strvec *maps, const char *addr,
                    struct cfg_strvec *out)
{
	struct cfg_maplist *ml;
	struct cfg_mapq_opts o;
	struct cfg_diags ds;
	int rc;

	if (maps->n == 0 || *addr == '\0')
		return 0;
	if ((ml = mta_maplist(maps)) == NULL)
		return -1;
	memset(&o, 0, sizeof(o));
	o.delimiters = c->cfg->recipient_delimiter;
	o.local_domain = is_our_domain(c, addr_domain(addr));
	o.propagate_ext = 1;
	cfg_strvec_clear(out);
	cfg_diags_init(&ds);
	rc = mta_mapq_done(cfg_mapq_virtual(ml, addr, &o, out, NULL, &ds), &ds);
	cfg_diags_fini(&ds);
	return rc;
}

int cleanup_canonical(struct cleanup *c, struct cfg_buf *addr, int is_sender)
{
	const struct cfg_strvec *first =
	    is_sender ? &c->cfg->sender_canonical : &c->cfg->recipient_canonical;
	struct cfg_strvec out;
	int rc;

	cleanup_qualify(c, addr);
	/* receive_override_options = no_address_mappings */
	if (!(c->flags & CLEANUP_F_MAPS))
		return 0;
	cfg_strvec_init(&out);
	for (int pass = 0; pass < 2; pass++) {
		const struct cfg_strvec *maps = pass == 0 ? first : &c->cfg->canonical;

		rc = map_addr(c, maps, addr->data, &out);
		if (rc < 0) {
			cfg_strvec_fini(&out);
			return -1;
		}
		if (rc > 0 && out.n > 0) {
			struct cfg_buf in;

			/* the table holds external forms; canonical maps give one address */
			cfg_buf_init(&in);
			addr_internalize(out.v[0], &in);
			cleanup_qualify(c, &in);
			trace(c,
			      pass == 1   ? "canonical_maps"
			      : is_sender ? "sender_canonical_maps"
			                  : "recipient_canonical_maps",
			      0, addr->data, in.data);
			cfg_buf_reset(addr);
			cfg_buf_adds(addr, in.data);
			cfg_buf_fini(&in);
		}
	}
	cfg_strvec_fini(&out);
	return 0;
}

/*
 * record - add a final recipient, dropping duplicates: the same address,
 * original address and DSN notification (a BCC copy, NOTIFY=NEVER, of an
 * address that is also a recipient is a recipient of its own, as in Postfix)
 */
static void record(struct cleanup *c, const char *orig, const char *addr, unsigned notify)
{
	for (size_t i = 0; i < c->nrcpt; i++)
		if (strcmp(c->rcpt[i].addr, addr) == 0 && strcmp(c->rcpt[i].orig, orig) == 0
		    && c->rcpt[i].notify == notify)
			return;
	if (c->nrcpt == c->cap) {
		c->cap = c->cap ? c->cap * 2 : 8;
		c->rcpt = cfg_xreallocarray(c->rcpt, c->cap, sizeof(*c->rcpt));
	}
	c->rcpt[c->nrcpt].orig = cfg_xstrdup(orig);
	c->rcpt[c->nrcpt].addr = cfg_xstrdup(addr);
	c->rcpt[c->nrcpt].dsn_orcpt = c->cur_orcpt ? cfg_xstrdup(c->cur_orcpt) : NULL;
	c->rcpt[c->nrcpt].notify = notify;
	c->nrcpt++;
}

/* expand - virtual alias expansion, depth first */
static int expand(struct cleanup *c, const char *orig, const char *addr, unsigned notify,
                  long depth, long *count)
{
	struct cfg_strvec results;
	int rc;

	/* past either limit the message is refused for now, as Postfix does */
	if (depth > c->cfg->recursion_limit || *count > c->cfg->expansion_limit) {
		mta_warn(
		    "%s: unreasonable virtual_alias_maps map %s for %s -- message not accepted, "
		    "try again later",
		    c->w.qid, depth > c->cfg->recursion_limit ? "nesting" : "expansion size", orig);
		return -1;
	}
	cfg_strvec_init(&results);
	rc = map_addr(c, &c->cfg->virtual_alias, addr, &results);
	if (rc <= 0) {
		if (rc == 0)
			record(c, orig, addr, notify);
		cfg_strvec_fini(&results);
		return rc;
	}
	for (size_t i = 0; i < results.n && rc >= 0; i++) {
		struct cfg_buf r;

		cfg_buf_init(&r);
		addr_internalize(results.v[i], &r);
		cleanup_qualify(c, &r);
		trace(c, "virtual_alias_maps", depth, addr, r.data);
		++*count;
		if (strcasecmp(r.data, addr) == 0)
			record(c, orig, r.data, notify); /* an alias to itself ends here */
		else
			rc = expand(c, orig, r.data, notify, depth + 1, count);
		cfg_buf_fini(&r);
	}
	cfg_strvec_fini(&results);
	return rc < 0 ? -1 : 0;
}

int cleanup_add_rcpt(struct cleanup *c, const char *orig, const char *addr, unsigned notify)
{
	struct cfg_buf a;
	long count = 0;
	int rc;

	cfg_buf_init(&a);
	cfg_buf_adds(&a, addr);
	rc = cleanup_canonical(c, &a, 0);
	if (rc == 0 && (c->flags & CLEANUP_F_MAPS)
	    && (c->cfg->masq_classes & CLEANUP_MASQ_ENV_RCPT)) {
		char *before = cfg_xstrdup(a.data);

		rc = cleanup_masquerade(c, &a);
		if (rc > 0)
			trace(c, "masquerade_domains", 0, before, a.data);
		free(before);
		rc = rc < 0 ? -1 : 0;
	}
	if (rc == 0 && !(c->flags & CLEANUP_F_MAPS))
		record(c, c->cfg->enable_orig ? orig : a.data, a.data, notify);
	else if (rc == 0)
		rc = expand(c, c->cfg->enable_orig ? orig : a.data, a.data, notify, 0, &count);
	cfg_buf_fini(&a);
	return rc;
}
