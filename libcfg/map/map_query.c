/* map_query.c - lists of tables and Postfix's search orders (see cfg/mapquery.h) */
#include "config.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "cfg/map/mapquery.h"
#include "cfg/base/xalloc.h"
#include "map_int.h"

struct cfg_maplist {
	struct cfg_map **maps;
	size_t n;
	struct cfg_buf key;   /* scratch key */
	struct cfg_buf value; /* rewritten result */
};

int cfg_maplist_open(const char *list, unsigned flags, struct cfg_maplist **out,
                     struct cfg_diags *diags)
{
	struct cfg_maplist *ml = cfg_xcalloc(1, sizeof(*ml));
	struct cfg_strvec specs;

	*out = NULL;
	cfg_buf_init(&ml->key);
	cfg_buf_init(&ml->value);
	cfg_strvec_init(&specs);
	if (cfgp_brace_words(list, &specs) < 0) {
		cfg_diags_add(diags, CFG_SEV_FATAL, "maplist-syntax", NULL, 0, 0,
		              "missing '}' in \"%s\"", list);
		goto fail;
	}
	ml->maps = cfg_xcalloc(specs.n ? specs.n : 1, sizeof(*ml->maps));
	for (size_t i = 0; i < specs.n; i++) {
		if (cfg_map_open(specs.v[i], CFG_MAP_READ, flags, &ml->maps[i], diags) < 0)
			goto fail;
		ml->n++;
	}
	cfg_strvec_fini(&specs);
	*out = ml;
	return 0;
fail:
	cfg_strvec_fini(&specs);
	cfg_maplist_free(ml);
	return -1;
}

void cfg_maplist_free(struct cfg_maplist *ml)
{
	if (ml == NULL)
		return;
	for (size_t i = 0; i < ml->n; i++)
		cfg_map_free(ml->maps[i]);
	free(ml->maps);
	cfg_buf_fini(&ml->key);
	cfg_buf_fini(&ml->value);
	free(ml);
}

size_t cfg_maplist_count(const struct cfg_maplist *ml)
{
	return ml->n;
}

int cfg_maplist_find(struct cfg_maplist *ml, const char *key, int partial, const char **value,
                     struct cfg_diags *diags)
{
	*value = NULL;
	for (size_t i = 0; i < ml->n; i++) {
		int r;

		if (partial && (cfg_map_caps(ml->maps[i]) & CFG_MAPT_PATTERN))
			continue;
		r = cfg_map_lookup(ml->maps[i], key, value, diags);
		if (r != 0) {
			if (r < 0 && cfg_diags_count(diags, CFG_SEV_ERROR) == 0)
				cfg_diags_add(diags, CFG_SEV_ERROR, "map-error", NULL, 0, 0,
				              "table %s: lookup error%s%s",
				              cfg_map_label(ml->maps[i]),
				              *cfg_map_error(ml->maps[i]) ? ": " : "",
				              cfg_map_error(ml->maps[i]));
			return r;
		}
	}
	return 0;
}

const char *cfg_mapq_split_ext(const char *localpart, const char *delimiters, struct cfg_buf *base)
{
	size_t len = strlen(localpart), n;

	cfg_buf_reset(base);
	cfg_buf_adds(base, localpart);
	if (delimiters == NULL || *delimiters == 0)
		return NULL;
	if (strcasecmp(localpart, "postmaster") == 0 || strcasecmp(localpart, "MAILER-DAEMON") == 0
	    || strcasecmp(localpart, "double-bounce") == 0)
		return NULL;
	if (strchr(delimiters, '-') != NULL) {
		if (strncasecmp(localpart, "owner-", 6) == 0)
			return NULL;
		if (len > 8 && strcasecmp(localpart + len - 8, "-request") == 0)
			return NULL;
	}
	n = strcspn(localpart, delimiters);
	if (n == 0 || n == len)
		return NULL;
	cfg_buf_truncate(base, n);
	return localpart + n;
}

int cfg_mapq_listed(const char *list, const char *name)
{
	struct cfg_strvec words;
	int found = 0;

	if (list == NULL)
		return 0;
	cfg_strvec_init(&words);
	cfg_strvec_split(&words, list, " \t\r\n,");
	for (size_t i = 0; i < words.n && !found; i++)
		found = strcmp(words.v[i], name) == 0;
	cfg_strvec_fini(&words);
	return found;
}

/* try - one key; on a hit remember it in matched */
static int try(struct cfg_maplist *ml, const char *key, int partial, const char **value,
               struct cfg_buf *matched, struct cfg_diags *diags)
{
	int r = cfg_maplist_find(ml, key, partial, value, diags);

	if (r == 1 && matched) {
		cfg_buf_reset(matched);
		cfg_buf_adds(matched, key);
	}
	return r;
}

/* addr_parts - split user@domain: localpart into lp, *domain borrowed (NULL without '@') */
static void addr_parts(const char *addr, struct cfg_buf *lp, const char **domain)
{
	const char *at = strrchr(addr, '@');

	cfg_buf_reset(lp);
	if (at == NULL) {
		cfg_buf_adds(lp, addr);
		*domain = NULL;
	} else {
		cfg_buf_add(lp, addr, (size_t)(at - addr));
		*domain = at + 1;
	}
}

/*
 * domain_walk - domain, then its parents (".b.c" or "b.c" per parent_style);
 * the first key is partial as the caller says, the others always are
 */
static int domain_walk(struct cfg_maplist *ml, const char *domain, int first_partial,
                       int parent_style, const char **value, struct cfg_buf *matched,
                       struct cfg_diags *diags)
{
	const char *name = domain;
	int partial = first_partial;

	while (*name) {
		const char *next;
		int r = try(ml, name, partial, value, matched, diags);

		if (r != 0)
			return r;
		if ((next = strchr(name + 1, '.')) == NULL)
			break;
		name = parent_style ? next + 1 : next;
		partial = 1;
	}
	return 0;
}

/* akeys - an address taken apart for the keys Postfix derives from it */
struct akeys {
	struct cfg_buf lp;   /* the localpart */
	struct cfg_buf base; /* the localpart without its extension */
	struct cfg_buf key;  /* scratch space for a derived key */
	const char *domain;  /* borrowed from the address; NULL without '@' */
	const char *ext;     /* the extension, or NULL */
};

/* akeys_init - addr taken apart at its last '@' and its first recipient delimiter */
static void akeys_init(struct akeys *k, const char *addr, const struct cfg_mapq_opts *o)
{
	cfg_buf_init(&k->lp);
	cfg_buf_init(&k->base);
	cfg_buf_init(&k->key);
	addr_parts(addr, &k->lp, &k->domain);
	k->ext = cfg_mapq_split_ext(k->lp.data, o->delimiters, &k->base);
}

/* akeys_fini - the buffers of k */
static void akeys_fini(struct akeys *k)
{
	cfg_buf_fini(&k->lp);
	cfg_buf_fini(&k->base);
	cfg_buf_fini(&k->key);
}

/* try_full - user+ext@domain as given, then user@domain (partial): 1, 0 or -1 as try() */
static int try_full(struct cfg_maplist *ml, const char *addr, struct akeys *k, const char **value,
                    struct cfg_buf *matched, struct cfg_diags *diags)
{
	int r = try(ml, addr, 0, value, matched, diags);

	if (r == 0 && k->ext && k->domain) {
		cfg_buf_reset(&k->key);
		cfg_buf_printf(&k->key, "%s@%s", k->base.data, k->domain);
		r = try(ml, k->key.data, 1, value, matched, diags);
	}
	return r;
}

int cfg_mapq_access_addr(struct cfg_maplist *ml, const char *addr, const struct cfg_mapq_opts *o,
                         const char **value, struct cfg_buf *matched, struct cfg_diags *diags)
{
	struct akeys k;
	int r;

	akeys_init(&k, addr, o);
	/* user+ext@domain (all tables), user@domain */
	if ((r = try_full(ml, addr, &k, value, matched, diags)) != 0)
		goto out;
	/* domain and its parents */
	if (k.domain && *k.domain
	    && (r = domain_walk(ml, k.domain, 1, o->parent_style, value, matched, diags)) != 0)
		goto out;
	/* user+ext@, user@ */
	if (k.domain) {
		cfg_buf_reset(&k.key);
		cfg_buf_printf(&k.key, "%s@", k.lp.data);
		if ((r = try(ml, k.key.data, 1, value, matched, diags)) != 0)
			goto out;
		if (k.ext) {
			cfg_buf_reset(&k.key);
			cfg_buf_printf(&k.key, "%s@", k.base.data);
			r = try(ml, k.key.data, 1, value, matched, diags);
		}
	}
out:
	akeys_fini(&k);
	return r;
}

int cfg_mapq_access_host(struct cfg_maplist *ml, const char *host, const struct cfg_mapq_opts *o,
                         const char **value, struct cfg_buf *matched, struct cfg_diags *diags)
{
	return domain_walk(ml, host, 0, o->parent_style, value, matched, diags);
}

int cfg_mapq_access_ip(struct cfg_maplist *ml, const char *ip, const char **value,
                       struct cfg_buf *matched, struct cfg_diags *diags)
{
	char delim = strchr(ip, ':') ? ':' : '.';
	char *copy = cfg_xstrdup(ip);
	int partial = 0, r;

	for (;;) {
		char *cut;

		if ((r = try(ml, copy, partial, value, matched, diags)) != 0)
			break;
		if ((cut = strrchr(copy, delim)) == NULL)
			break;
		*cut = 0;
		partial = 1;
	}
	free(copy);
	return r;
}

/* add_ext - insert ext before the '@' of address a (or append when there is none) */
static void add_ext(struct cfg_buf *out, const char *a, const char *ext)
{
	const char *at = strrchr(a, '@');

	if (at == NULL) {
		cfg_buf_adds(out, a);
		cfg_buf_adds(out, ext);
	} else {
		cfg_buf_add(out, a, (size_t)(at - a));
		cfg_buf_adds(out, ext);
		cfg_buf_adds(out, at);
	}
}

int cfg_mapq_virtual(struct cfg_maplist *ml, const char *addr, const struct cfg_mapq_opts *o,
                     struct cfg_strvec *out, struct cfg_buf *matched, struct cfg_diags *diags)
{
	struct cfg_buf lp, base, key, res;
	const char *domain, *ext, *value = NULL, *unmatched = NULL;
	int r;

	cfg_buf_init(&lp);
	cfg_buf_init(&base);
	cfg_buf_init(&key);
	cfg_buf_init(&res);
	addr_parts(addr, &lp, &domain);
	ext = cfg_mapq_split_ext(lp.data, o->delimiters, &base);
	/* user+ext@domain (all tables), then user@domain */
	if ((r = try(ml, addr, 0, &value, matched, diags)) != 0)
		goto found;
	if (ext && domain) {
		cfg_buf_printf(&key, "%s@%s", base.data, domain);
		if ((r = try(ml, key.data, 1, &value, matched, diags)) != 0) {
			unmatched = ext;
			goto found;
		}
	}
	/* user+ext, user: only for local domains (and bare local parts) */
	if (domain == NULL || o->local_domain) {
		if (domain != NULL && (r = try(ml, lp.data, 1, &value, matched, diags)) != 0)
			goto found;
		if (ext && (r = try(ml, base.data, 1, &value, matched, diags)) != 0) {
			unmatched = ext;
			goto found;
		}
	}
	/* @domain, the wildcard */
	if (domain) {
		cfg_buf_reset(&key);
		cfg_buf_printf(&key, "@%s", domain);
		if ((r = try(ml, key.data, 1, &value, matched, diags)) != 0) {
			unmatched = ext;
			goto found;
		}
	}
	r = 0;
found:
	if (r == 1) {
		struct cfg_strvec parts;

		/* "@otherdomain" keeps the user (without its extension) */
		if (value[0] == '@') {
			cfg_buf_adds(&res, unmatched ? base.data : lp.data);
			cfg_buf_adds(&res, value);
			value = res.data;
		}
		cfg_strvec_init(&parts);
		cfg_strvec_split(&parts, value, ", \t\r\n");
		for (size_t i = 0; i < parts.n; i++) {
			if (o->propagate_ext && unmatched) {
				cfg_buf_reset(&key);
				add_ext(&key, parts.v[i], unmatched);
				cfg_strvec_add(out, key.data);
			} else {
				cfg_strvec_add(out, parts.v[i]);
			}
		}
		cfg_strvec_fini(&parts);
	}
	cfg_buf_fini(&lp);
	cfg_buf_fini(&base);
	cfg_buf_fini(&key);
	cfg_buf_fini(&res);
	return r;
}

int cfg_mapq_transport(struct cfg_maplist *ml, const char *addr, const struct cfg_mapq_opts *o,
                       const char **value, struct cfg_buf *matched, struct cfg_diags *diags)
{
	struct akeys k;
	const char *domain;
	int r;

	akeys_init(&k, addr, o);
	/* a bare domain: its entry, its parents, then the wildcard */
	domain = k.domain ? k.domain : addr;
	if (k.domain && (r = try_full(ml, addr, &k, value, matched, diags)) != 0)
		goto out;
	if (*domain
	    && (r = domain_walk(ml, domain, 1, o->parent_style, value, matched, diags)) != 0)
		goto out;
	r = try(ml, "*", 1, value, matched, diags);
out:
	akeys_fini(&k);
	return r;
}

int cfg_mapq_alias(struct cfg_maplist *ml, const char *localpart, const struct cfg_mapq_opts *o,
                   const char **value, int *ext_stripped, struct cfg_diags *diags)
{
	struct cfg_buf base;
	const char *ext;
	int r;

	*ext_stripped = 0;
	cfg_buf_init(&base);
	ext = cfg_mapq_split_ext(localpart, o->delimiters, &base);
	r = try(ml, localpart, 0, value, NULL, diags);
	if (r == 0 && ext) {
		r = try(ml, base.data, 0, value, NULL, diags);
		*ext_stripped = r == 1;
	}
	cfg_buf_fini(&base);
	return r;
}
