/* match.c - Postfix match lists: domains and hosts/addresses (see match.h) */
#include "config.h"

#include <arpa/inet.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "cfg/base/fileio.h"
#include "cfg/base/htab.h"
#include "cfg/base/net.h"
#include "cfg/param/list.h"
#include "cfg/base/xalloc.h"
#include "log.h"
#include "maps.h"
#include "match.h"

enum elem_kind { E_NAME, E_SUBDOMAINS, E_TABLE, E_NET };

struct elem {
	enum elem_kind kind;
	int negate;
	char *text;         /* lower-cased name, or table spec */
	struct cfg_net net; /* E_NET (its text parts are not kept) */
};

struct match_list {
	char *param;
	unsigned flags;
	struct elem *v;
	size_t n, cap;
};

static struct cfg_htab *kept; /* "/file" elements read before a chroot: path -> text */

int match_file_text(const char *path, struct cfg_buf *data)
{
	const char *text = kept ? cfg_htab_get(kept, path) : NULL;

	if (text) {
		cfg_buf_adds(data, text);
		return 0;
	}
	return cfg_file_read(path, data, NULL);
}

void match_keep_file(const char *path, int depth)
{
	struct cfg_buf data;
	struct cfg_strvec words;

	if (path[0] != '/' || depth >= 8 || (kept && cfg_htab_get(kept, path)))
		return;
	cfg_buf_init(&data);
	cfg_strvec_init(&words);
	if (cfg_file_read(path, &data, NULL) == 0) {
		if (kept == NULL)
			kept = cfg_htab_new(8);
		cfg_htab_put(kept, path, cfg_xstrdup(data.data ? data.data : ""));
		/* the files it names, for the elements they hold */
		cfg_list_tokens(data.data ? data.data : "", CFG_LIST_SEPARATORS, &words);
		for (size_t i = 0; i < words.n; i++)
			match_keep_file(words.v[i] + strspn(words.v[i], "!"), depth + 1);
	}
	cfg_strvec_fini(&words);
	cfg_buf_fini(&data);
}

/* add_elem - compile one element (files expand recursively, depth-limited) */
static void add_elem(struct match_list *l, const char *text, int depth)
{
	struct elem e;
	const char *s = text;
	enum cfg_net_status st;

	memset(&e, 0, sizeof(e));
	while (*s == '!') {
		e.negate = !e.negate;
		s++;
	}
	if (*s == '\0')
		return;
	if (*s == '/' && depth < 8) {
		struct cfg_buf data;
		struct cfg_strvec words;

		cfg_buf_init(&data);
		cfg_strvec_init(&words);
		if (match_file_text(s, &data) < 0) {
			mta_warn("%s: open %s: %m", l->param, s);
		} else {
			/* one or more elements per line; # comments */
			char *line = data.data, *nl;

			for (; line && *line; line = nl ? nl + 1 : NULL) {
				nl = strchr(line, '\n');
				if (nl)
					*nl = '\0';
				if (*line == '#')
					continue;
				cfg_list_tokens(line, CFG_LIST_SEPARATORS, &words);
			}
			for (size_t i = 0; i < words.n; i++)
				add_elem(l, words.v[i], depth + 1);
		}
		cfg_strvec_fini(&words);
		cfg_buf_fini(&data);
		return;
	}
	st = (l->flags & MATCH_HOSTS) ? cfg_net_parse(s, &e.net) : CFG_NET_BAD_ADDR;
	if (st == CFG_NET_OK || st == CFG_NET_HOST_BITS) {
		e.kind = E_NET;
		/* host bits set: Postfix warns and uses the network */
		if (st == CFG_NET_HOST_BITS)
			mta_warn("%s: non-null host address bits in \"%s\"", l->param, s);
	} else if (strchr(s, ':')) {
		e.kind = E_TABLE;
		e.text = cfg_xstrdup(s);
	} else if ((l->flags & MATCH_HOSTS) && (s[0] == '[' || strchr(s, '/'))) {
		mta_warn("%s: bad address pattern: \"%s\"", l->param, s);
		return;
	} else if (s[0] == '.') {
		e.kind = E_SUBDOMAINS;
		e.text = cfg_xstrdup(s);
	} else {
		e.kind = E_NAME;
		e.text = cfg_xstrdup(s);
	}
	if (e.text)
		for (char *p = e.text; *p && e.kind != E_TABLE; p++)
			*p = (char)(*p >= 'A' && *p <= 'Z' ? *p + 32 : *p);
	if (l->n == l->cap) {
		l->cap = l->cap ? l->cap * 2 : 8;
		l->v = cfg_xreallocarray(l->v, l->cap, sizeof(*l->v));
	}
	l->v[l->n++] = e;
}

struct match_list *match_list_new(const char *param, const struct cfg_strvec *elems, unsigned flags)
{
	struct match_list *l = cfg_xcalloc(1, sizeof(*l));

	l->param = cfg_xstrdup(param);
	l->flags = flags;
	for (size_t i = 0; i < elems->n; i++)
		add_elem(l, elems->v[i], 0);
	return l;
}

void match_list_free(struct match_list *l)
{
	if (l == NULL)
		return;
	for (size_t i = 0; i < l->n; i++)
		free(l->v[i].text);
	free(l->v);
	free(l->param);
	free(l);
}

int match_list_empty(const struct match_list *l)
{
	return l == NULL || l->n == 0;
}

/* name_matches - a domain against a name/subdomain pattern */
static int name_matches(const struct elem *e, const char *d, unsigned flags)
{
	size_t dl = strlen(d), pl = strlen(e->text);

	if (e->kind == E_NAME) {
		if (strcasecmp(d, e->text) == 0)
			return 1;
		if ((flags & MATCH_PARENT) && dl > pl && d[dl - pl - 1] == '.'
		    && strcasecmp(d + dl - pl, e->text) == 0)
			return 1;
		return 0;
	}
	/* ".example.com" */
	return dl > pl - 1 && pl > 1 && strcasecmp(d + dl - pl, e->text) == 0 && dl >= pl;
}

/* table_matches - the name, then its parent domains, as keys of a table */
static int table_matches(const struct elem *e, const char *name, unsigned flags)
{
	const char *value, *p;
	int rc = mta_map_get(e->text, name, &value);

	if (rc != 0)
		return rc;
	for (p = strchr(name, '.'); p; p = strchr(p + 1, '.')) {
		if (flags & MATCH_PARENT) {
			rc = mta_map_get(e->text, p + 1, &value);
		} else {
			rc = mta_map_get(e->text, p, &value);
		}
		if (rc != 0)
			return rc;
	}
	return 0;
}

/* first_match - the first element that matches decides: 1 (0 when negated), 0 none, -1 error */
static int first_match(const struct match_list *l,
                       int (*elem_matches)(const struct match_list *, const struct elem *,
                                           const char *, const char *),
                       const char *name, const char *addr)
{
	for (size_t i = 0; i < l->n; i++) {
		const struct elem *e = &l->v[i];
		int rc = elem_matches(l, e, name, addr);

		if (rc < 0)
			return -1;
		if (rc > 0)
			return e->negate ? 0 : 1;
	}
	return 0;
}

/* domain_elem - does e match the domain name (addr unused): 1, 0, -1 */
static int domain_elem(const struct match_list *l, const struct elem *e, const char *domain,
                       const char *addr)
{
	(void)addr;
	switch (e->kind) {
	case E_NAME:
	case E_SUBDOMAINS:
		return name_matches(e, domain, l->flags);
	case E_TABLE:
		return table_matches(e, domain, l->flags);
	case E_NET:
		break;
	}
	return 0;
}

int match_domain(struct match_list *l, const char *domain)
{
	char buf[256];
	size_t n;

	if (l == NULL || domain == NULL)
		return 0;
	/* a trailing dot does not change the name */
	n = strlen(domain);
	if (n > 0 && n < sizeof(buf) && domain[n - 1] == '.') {
		memcpy(buf, domain, n - 1);
		buf[n - 1] = '\0';
		domain = buf;
	}
	return first_match(l, domain_elem, domain, NULL);
}

/* host_elem - does e match the client name (NULL or "unknown": none) or address: 1, 0, -1 */
static int host_elem(const struct match_list *l, const struct elem *e, const char *name,
                     const char *addr)
{
	const char *value;
	int rc = 0;

	switch (e->kind) {
	case E_NAME:
	case E_SUBDOMAINS:
		rc = name && strcmp(name, "unknown") != 0 ? name_matches(e, name, l->flags) : 0;
		break;
	case E_TABLE:
		rc = name && strcmp(name, "unknown") != 0 ? table_matches(e, name, l->flags) : 0;
		if (rc == 0 && addr)
			rc = mta_map_get(e->text, addr, &value);
		break;
	case E_NET:
		rc = cfg_net_match_text(&e->net, addr);
		break;
	}
	return rc;
}

int match_host(struct match_list *l, const char *name, const char *addr)
{
	if (l == NULL)
		return 0;
	return first_match(l, host_elem, name, addr);
}
