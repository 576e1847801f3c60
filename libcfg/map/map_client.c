/*
 * map_client.c - client configuration files of the database tables, and their query templates
 *
 * pgsql:, mysql:, sqlite:, ldap: and memcache: name a file of "name = value"
 * lines (pgsql_table(5) ...): comments and blank lines are skipped, a line
 * that starts with white space continues the previous one, the last setting
 * of a name wins.  Values are taken as written (no $name expansion).  A
 * name that does not start with '/' or '.' is, in Postfix, a prefix of
 * main.cf parameters; postkit has no main.cf here and refuses it (fail
 * closed).
 *
 * The SQL and LDAP tables share Postfix's templates: in a query %s is the
 * key, %u its local part (the whole key when it has no '@'), %d its domain,
 * %1..%9 the domain's labels from the right, %% a percent; a key that lacks
 * a part the query needs is not looked up.  In result_format the lower-case
 * letters name parts of the result and the upper-case ones (%S %U %D) parts
 * of the key.  Several results are joined with ",".  "domain" limits the
 * keys to user@domain with a listed domain.
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "cfg/base/lines.h"
#include "cfg/param/list.h"
#include "cfg/base/xalloc.h"
#include "map_int.h"

struct entry {
	char *key;
	char *value;
	unsigned line;
};

struct cfgp_client {
	const char *file; /* borrowed: the table's name */
	struct entry *v;
	size_t n, cap;
	struct cfg_strvec used; /* names the backend asked for (postfix check: unknown names) */
};

/* is_space - C-locale whitespace */
static int is_space(int c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' || c == '\f';
}

/* trim - strip leading and trailing whitespace in place */
static char *trim(char *s)
{
	while (is_space((unsigned char)*s))
		s++;
	return cfgp_trim_right(s);
}

/* is_secret - key holds a password */
static int is_secret(const char *key)
{
	return strcmp(key, "password") == 0 || strcmp(key, "bind_pw") == 0;
}

/* find - the entry of key, or NULL */
static struct entry *find(const struct cfgp_client *c, const char *key)
{
	for (size_t i = 0; i < c->n; i++)
		if (strcmp(c->v[i].key, key) == 0)
			return &c->v[i];
	return NULL;
}

/* put - store key = value from line (the last setting wins, with Postfix's warning) */
static void put(struct cfgp_client *c, const char *key, const char *value, unsigned line,
                struct cfg_diags *diags)
{
	struct entry *e = find(c, key);

	if (e != NULL) {
		/* Postfix shows the old value; a password is never shown */
		cfg_diags_add(diags, CFG_SEV_WARNING, "client-duplicate", c->file, line, 0,
		              "%s, line %u: overriding earlier entry: %s=%s", c->file, line, key,
		              is_secret(key) ? "(hidden)" : e->value);
		free(e->value);
		e->value = cfg_xstrdup(value);
		e->line = line;
		return;
	}
	if (c->n == c->cap) {
		c->cap = c->cap ? 2 * c->cap : 16;
		c->v = cfg_xreallocarray(c->v, c->cap, sizeof(*c->v));
	}
	c->v[c->n].key = cfg_xstrdup(key);
	c->v[c->n].value = cfg_xstrdup(value);
	c->v[c->n].line = line;
	c->n++;
}

/* parse - the NAME = VALUE lines of text; -1 after the fatal "missing '='" */
static int parse(struct cfgp_client *c, const char *text, size_t len, struct cfg_diags *diags)
{
	struct cfg_lines lr;
	struct cfg_lline ll;
	int ret = 0;

	cfg_lines_init(&lr, text, len);
	cfg_lline_init(&ll);
	while (ret == 0 && cfg_lines_next(&lr, &ll)) {
		char *p = trim(ll.text.data), *eq;

		if (*p == 0 || *p == '#')
			continue;
		if ((eq = strchr(p, '=')) == NULL) {
			cfg_diags_add(diags, CFG_SEV_FATAL, "client-syntax", c->file, ll.first, 0,
			              "%s, line %u: missing '=' after attribute name: \"%s\"",
			              c->file, ll.first, p);
			ret = -1;
			break;
		}
		*eq = 0;
		put(c, trim(p), trim(eq + 1), ll.first, diags);
	}
	cfg_lline_fini(&ll);
	return ret;
}

struct cfgp_client *cfgp_client_open(const struct cfg_map *m, struct cfg_diags *diags)
{
	return cfgp_client_read(m->type, m->name, diags);
}

struct cfgp_client *cfgp_client_read(const char *type, const char *name, struct cfg_diags *diags)
{
	struct cfgp_client *c;
	struct cfg_buf src;

	if (name[0] != '/' && name[0] != '.') {
		cfg_diags_add(diags, CFG_SEV_FATAL, "client-main-cf", NULL, 0, 0,
		              "%s:%s: postkit reads %s client settings only from a configuration "
		              "file (a name that starts with '/' or '.'), not from main.cf "
		              "parameters %s_*",
		              type, name, type, name);
		return NULL;
	}
	cfg_buf_init(&src);
	if (cfgp_read_source(name, NULL, &src, diags) < 0) {
		cfg_buf_fini(&src);
		return NULL;
	}
	c = cfg_xcalloc(1, sizeof(*c));
	c->file = name;
	cfg_strvec_init(&c->used);
	if (parse(c, src.data, src.len, diags) < 0) {
		cfgp_client_free(c);
		c = NULL;
	}
	cfg_buf_fini(&src);
	return c;
}

void cfgp_client_free(struct cfgp_client *c)
{
	if (c == NULL)
		return;
	for (size_t i = 0; i < c->n; i++) {
		free(c->v[i].key);
		free(c->v[i].value);
	}
	free(c->v);
	cfg_strvec_fini(&c->used);
	free(c);
}

/* lookup - the value of key or NULL, remembering that the backend knows key */
static const char *lookup(struct cfgp_client *c, const char *key)
{
	const struct entry *e = find(c, key);

	cfg_strvec_add(&c->used, key);
	return e ? e->value : NULL;
}

int cfgp_client_str(struct cfgp_client *c, const char *key, const char *def, size_t min, size_t max,
                    const char **out, struct cfg_diags *diags)
{
	const char *v = lookup(c, key);
	size_t n;

	if (v == NULL)
		v = def ? def : "";
	n = strlen(v);
	*out = v;
	if (n < min) {
		cfg_diags_add(diags, CFG_SEV_FATAL, "client-value", c->file, 0, 0,
		              "%s: bad string length %zu < %zu: %s = %s", c->file, n, min, key,
		              is_secret(key) ? "(hidden)" : v);
		return -1;
	}
	if (max > 0 && n > max) {
		cfg_diags_add(diags, CFG_SEV_FATAL, "client-value", c->file, 0, 0,
		              "%s: bad string length %zu > %zu: %s = %s", c->file, n, max, key,
		              is_secret(key) ? "(hidden)" : v);
		return -1;
	}
	return 0;
}

int cfgp_client_has(struct cfgp_client *c, const char *key)
{
	return lookup(c, key) != NULL;
}

int cfgp_client_int(struct cfgp_client *c, const char *key, long def, long min, long max, long *out,
                    struct cfg_diags *diags)
{
	const char *v = lookup(c, key);
	char *end;
	long n;

	*out = def;
	if (v == NULL)
		return 0;
	n = strtol(v, &end, 10);
	if (end == v || *end != 0) {
		cfg_diags_add(diags, CFG_SEV_FATAL, "client-value", c->file, 0, 0,
		              "%s: bad numerical configuration: %s = %s", c->file, key, v);
		return -1;
	}
	if (n < min || (max > min && n > max)) {
		cfg_diags_add(diags, CFG_SEV_FATAL, "client-value", c->file, 0, 0,
		              "%s: invalid %s parameter value %ld %s %ld", c->file, key, n,
		              n < min ? "<" : ">", n < min ? min : max);
		return -1;
	}
	*out = n;
	return 0;
}

int cfgp_client_bool(struct cfgp_client *c, const char *key, int def, int *out,
                     struct cfg_diags *diags)
{
	const char *v = lookup(c, key);

	*out = def;
	if (v == NULL)
		return 0;
	if (strcasecmp(v, "yes") == 0 || strcasecmp(v, "true") == 0 || strcmp(v, "1") == 0) {
		*out = 1;
	} else if (strcasecmp(v, "no") == 0 || strcasecmp(v, "false") == 0 || strcmp(v, "0") == 0) {
		*out = 0;
	} else {
		cfg_diags_add(diags, CFG_SEV_FATAL, "client-value", c->file, 0, 0,
		              "%s: bad boolean configuration: %s = %s", c->file, key, v);
		return -1;
	}
	return 0;
}

unsigned cfgp_client_line(const struct cfgp_client *c, const char *key)
{
	const struct entry *e = find(c, key);

	return e ? e->line : 0;
}

const char *cfgp_client_file(const struct cfgp_client *c)
{
	return c->file;
}

/*
 * Query and result templates.
 */
#define KEY_DOMAIN 0x01u
#define KEY_USER 0x02u
#define VALUE_DOMAIN 0x04u
#define VALUE_USER 0x08u

void cfgp_dbq_init(struct cfgp_dbq *q, struct cfg_map *m)
{
	memset(q, 0, sizeof(*q));
	q->m = m;
	cfg_strvec_init(&q->domains);
}

void cfgp_dbq_fini(struct cfgp_dbq *q)
{
	cfg_strvec_fini(&q->domains);
	for (size_t i = 0; i < q->ndomain_maps; i++)
		cfg_map_free(q->domain_maps[i]);
	free(q->domain_maps);
}

int cfgp_dbq_parse(struct cfgp_dbq *q, const char *format, int query, struct cfg_diags *diags)
{
	for (const char *p = format; *p; p++) {
		if (*p != '%')
			continue;
		switch (*++p) {
		case '%':
		case 's':
		case 'S':
			break;
		case 'u':
			q->flags |= query ? KEY_USER : VALUE_USER;
			break;
		case 'd':
			q->flags |= query ? KEY_DOMAIN : VALUE_DOMAIN;
			break;
		case 'U':
			q->flags |= KEY_USER;
			break;
		case '1':
		case '2':
		case '3':
		case '4':
		case '5':
		case '6':
		case '7':
		case '8':
		case '9':
			if (q->nparts < *p - '0')
				q->nparts = *p - '0';
			q->flags |= KEY_DOMAIN;
			break;
		case 'D':
			q->flags |= KEY_DOMAIN;
			break;
		default:
			cfg_diags_add(diags, CFG_SEV_FATAL, "client-template", q->m->name, 0, 0,
			              "db_common_parse: %s: Invalid %s template: %s", q->m->name,
			              query ? "query" : "result", format);
			return -1;
		}
		if (*p == 0)
			break;
	}
	return 0;
}

int cfgp_dbq_domain(struct cfgp_dbq *q, struct cfgp_client *c, struct cfg_diags *diags)
{
	const char *list;
	struct cfg_strvec words;
	int ret = 0;

	if (cfgp_client_str(c, "domain", "", 0, 0, &list, diags) < 0)
		return -1;
	cfg_strvec_init(&words);
	cfg_list_tokens(list, CFG_LIST_SEPARATORS, &words);
	for (size_t i = 0; i < words.n && ret == 0; i++) {
		const char *w = words.v[i];
		struct cfg_map *dm;

		q->has_domain = 1;
		if (strchr(w, ':') == NULL) {
			cfg_strvec_add(&q->domains, w);
			continue;
		}
		/* a "type:table" of domains */
		if (cfg_map_open(w, CFG_MAP_READ, CFG_MAP_FOLD, &dm, diags) < 0) {
			ret = -1;
			break;
		}
		q->domain_maps =
		    cfg_xreallocarray(q->domain_maps, q->ndomain_maps + 1, sizeof(*q->domain_maps));
		q->domain_maps[q->ndomain_maps++] = dm;
	}
	cfg_strvec_fini(&words);
	return ret;
}

int cfgp_dbq_check_domain(struct cfgp_dbq *q, const char *key, struct cfg_diags *diags)
{
	const char *at = strrchr(key, '@'), *dom;

	if (!q->has_domain)
		return 1;
	if (at == NULL || at == key)
		return 0;
	dom = at + 1;
	for (size_t i = 0; i < q->domains.n; i++) {
		const char *w = q->domains.v[i];
		int neg = w[0] == '!';

		if (strcasecmp(w + neg, dom) == 0)
			return !neg;
	}
	for (size_t i = 0; i < q->ndomain_maps; i++) {
		const char *v;
		int r = cfg_map_lookup(q->domain_maps[i], dom, &v, diags);

		if (r != 0)
			return r;
	}
	return 0;
}

/* add_quoted - append s, through the backend's quoting when there is one */
static void add_quoted(const struct cfgp_dbq *q, const char *s, size_t n, struct cfg_buf *out)
{
	char *t;

	if (q->quote == NULL) {
		cfg_buf_add(out, s, n);
		return;
	}
	t = cfg_xstrndup(s, n);
	q->quote(q->quote_ctx, t, out);
	free(t);
}

/*
 * label - the n-th label from the right of dom (1: the last), empty labels
 * not counted ("b..c" has two); 0 when there are fewer than n
 */
static int label(const char *dom, int n, const char **s, size_t *len)
{
	const char *p = dom ? dom + strlen(dom) : NULL;

	if (dom == NULL)
		return 0;
	while (n > 0) {
		const char *end;

		while (p > dom && p[-1] == '.')
			p--;
		if (p == dom)
			return 0;
		end = p;
		while (p > dom && p[-1] != '.')
			p--;
		if (--n == 0) {
			*s = p;
			*len = (size_t)(end - p);
		}
	}
	return 1;
}

int cfgp_dbq_expand(struct cfgp_dbq *q, const char *format, const char *value, const char *key,
                    struct cfg_buf *out, struct cfg_diags *diags)
{
	const char *vat, *kat = NULL, *vdom = NULL, *kdom = NULL;

	if (value == NULL)
		return 0;
	if (*value == 0) {
		if (key)
			cfg_diags_add(diags, CFG_SEV_WARNING, "client-empty", NULL, 0, 0,
			              "table \"%s:%s\": empty lookup result for: \"%s\" -- ignored",
			              q->m->type, q->m->name, key);
		else
			cfg_diags_add(diags, CFG_SEV_WARNING, "client-empty", NULL, 0, 0,
			              "table \"%s:%s\": empty query string -- ignored", q->m->type,
			              q->m->name);
		return 0;
	}
	if ((vat = strrchr(value, '@')) != NULL)
		vdom = vat + 1;
	if (key != NULL) {
		if (((vdom == NULL || *vdom == 0) && (q->flags & VALUE_DOMAIN))
		    || (vat == value && (q->flags & VALUE_USER)))
			return 0;
		if ((kat = strrchr(key, '@')) != NULL)
			kdom = kat + 1;
	} else if (((vdom == NULL || *vdom == 0) && (q->flags & KEY_DOMAIN))
	           || (vat == value && (q->flags & KEY_USER))) {
		return 0;
	}
	if (q->nparts > 0) {
		const char *s;
		size_t n;

		if (!label(key ? kdom : vdom, q->nparts, &s, &n))
			return 0;
	}
	if (out->len > 0)
		cfg_buf_addc(out, ',');
	for (const char *p = format; *p; p++) {
		const char *s;
		size_t n;

		if (*p != '%' || p[1] == 0) {
			cfg_buf_addc(out, *p);
			continue;
		}
		switch (*++p) {
		case '%':
			cfg_buf_addc(out, '%');
			break;
		case 's':
			add_quoted(q, value, strlen(value), out);
			break;
		case 'u':
			add_quoted(q, value, vat ? (size_t)(vat - value) : strlen(value), out);
			break;
		case 'd':
			add_quoted(q, vdom ? vdom : "", vdom ? strlen(vdom) : 0, out);
			break;
		case 'S':
			s = key ? key : value;
			add_quoted(q, s, strlen(s), out);
			break;
		case 'U':
			s = key ? key : value;
			n = key ? (kat ? (size_t)(kat - key) : strlen(key))
			        : (vat ? (size_t)(vat - value) : strlen(value));
			add_quoted(q, s, n, out);
			break;
		case 'D':
			s = key ? kdom : vdom;
			add_quoted(q, s ? s : "", s ? strlen(s) : 0, out);
			break;
		default:
			if (label(key ? kdom : vdom, *p - '0', &s, &n))
				add_quoted(q, s, n, out);
			break;
		}
	}
	return 1;
}

int cfgp_dbq_sql_query(struct cfgp_client *c, struct cfg_buf *out, struct cfg_diags *diags)
{
	const char *table, *select, *where, *more;

	if (cfgp_client_str(c, "table", NULL, 1, 0, &table, diags) < 0
	    || cfgp_client_str(c, "select_field", NULL, 1, 0, &select, diags) < 0
	    || cfgp_client_str(c, "where_field", NULL, 1, 0, &where, diags) < 0
	    || cfgp_client_str(c, "additional_conditions", "", 0, 0, &more, diags) < 0)
		return -1;
	cfg_buf_printf(out, "SELECT %s FROM %s WHERE %s='%%s' %s", select, table, where, more);
	return 0;
}

/*
 * The settings pgsql:, mysql: and sqlite: share, and their lookup steps.
 */
int cfgp_sql_open(struct cfgp_sql *s, struct cfg_map *m, struct cfg_diags *diags)
{
	memset(s, 0, sizeof(*s));
	cfgp_dbq_init(&s->q, m);
	cfg_buf_init(&s->query);
	cfg_buf_init(&s->result);
	cfg_buf_init(&s->legacy);
	if ((s->c = cfgp_client_open(m, diags)) == NULL)
		return -1;
	if (cfgp_client_has(s->c, "query")) {
		if (cfgp_client_str(s->c, "query", NULL, 0, 0, &s->query_format, diags) < 0)
			return -1;
	} else {
		if (cfgp_dbq_sql_query(s->c, &s->legacy, diags) < 0)
			return -1;
		s->query_format = s->legacy.data;
	}
	if (cfgp_client_str(s->c, "result_format", "%s", 1, 0, &s->result_format, diags) < 0
	    || cfgp_client_int(s->c, "expansion_limit", 0, 0, 0, &s->expansion_limit, diags) < 0
	    || cfgp_dbq_parse(&s->q, s->query_format, 1, diags) < 0
	    || cfgp_dbq_parse(&s->q, s->result_format, 0, diags) < 0
	    || cfgp_dbq_domain(&s->q, s->c, diags) < 0)
		return -1;
	return 0;
}

void cfgp_sql_server(struct cfgp_sql *s, void (*quote)(void *, const char *, struct cfg_buf *),
                     int (*connect)(void *, struct cfg_diags *), void (*disconnect)(void *, int),
                     void *ctx)
{
	s->q.quote = quote;
	s->q.quote_ctx = ctx;
	s->connect = connect;
	s->disconnect = disconnect;
	s->conn_ctx = ctx;
}

void cfgp_sql_fini(struct cfgp_sql *s)
{
	if (s->disconnect != NULL)
		s->disconnect(s->conn_ctx, 0);
	cfgp_client_hosts_free(s->srv.hosts, s->srv.nhosts);
	cfgp_client_free(s->c);
	cfgp_dbq_fini(&s->q);
	cfg_buf_fini(&s->query);
	cfg_buf_fini(&s->result);
	cfg_buf_fini(&s->legacy);
}

/* cfgp_sql_answer - the joined results, if any */
int cfgp_sql_answer(const struct cfgp_sql *s, const char **value)
{
	if (s->result.len == 0)
		return 0;
	*value = s->result.data;
	return 1;
}

#define RETRY_SECONDS 60 /* a failed server is not tried again for this long */

/* cfgp_sqlsrv_open - the servers and the login of a mysql: or pgsql: client file */
int cfgp_sqlsrv_open(struct cfgp_sqlsrv *v, struct cfgp_client *c, struct cfg_diags *diags)
{
	if (cfgp_client_hosts(c, "localhost", &v->hosts, &v->nhosts, diags) < 0
	    || cfgp_client_str(c, "user", "", 0, 0, &v->user, diags) < 0
	    || cfgp_client_str(c, "password", "", 0, 0, &v->password, diags) < 0
	    || cfgp_client_str(c, "dbname", "", 1, 0, &v->dbname, diags) < 0)
		return -1;
	return 0;
}

/* cfgp_sqlsrv_drop - forget the active server, marking it failed when dead */
void cfgp_sqlsrv_drop(struct cfgp_sqlsrv *v, int dead)
{
	if (dead && v->active != NULL)
		v->active->dead_until = (long)time(NULL) + RETRY_SECONDS;
	v->active = NULL;
}

int cfgp_sql_eligible(struct cfgp_sql *s, const char *key, struct cfg_diags *diags)
{
	cfg_buf_reset(&s->query);
	cfg_buf_reset(&s->result);
	s->nresults = 0;
	/* keys that are not UTF-8 are never sent to the database */
	if (!cfg_map_utf8_valid(key, strlen(key)))
		return 0;
	return cfgp_dbq_check_domain(&s->q, key, diags);
}

int cfgp_sql_query(struct cfgp_sql *s, const char *key, struct cfg_diags *diags)
{
	int r;

	if ((r = cfgp_sql_eligible(s, key, diags)) <= 0)
		return r;
	/* mysql: and pgsql: quote the key on the connection */
	if (s->connect != NULL && s->connect(s->conn_ctx, diags) < 0)
		return -1;
	return cfgp_dbq_expand(&s->q, s->query_format, key, NULL, &s->query, diags);
}

int cfgp_sql_result(struct cfgp_sql *s, const char *value, const char *key, struct cfg_diags *diags)
{
	if (cfgp_dbq_expand(&s->q, s->result_format, value, key, &s->result, diags)
	    && s->expansion_limit > 0 && ++s->nresults > s->expansion_limit)
		return -1;
	return 0;
}

int cfgp_client_hosts(struct cfgp_client *c, const char *def, struct cfgp_host **out, size_t *n,
                      struct cfg_diags *diags)
{
	struct cfg_strvec words;
	const char *list;
	size_t k = 0;

	*out = NULL;
	*n = 0;
	if (cfgp_client_str(c, "hosts", def, 0, 0, &list, diags) < 0)
		return -1;
	cfg_strvec_init(&words);
	cfg_list_tokens(list, CFG_LIST_SEPARATORS, &words);
	*out = cfg_xcalloc(words.n ? words.n : 1, sizeof(**out));
	/* UNIX-domain sockets first, then TCP, each in the order written */
	for (int pass = 0; pass < 2; pass++) {
		for (size_t i = 0; i < words.n; i++) {
			const char *w = words.v[i];
			int is_unix = strncmp(w, "unix:", 5) == 0;
			struct cfgp_host *h = &(*out)[k];
			const char *colon;

			if (is_unix != (pass == 0))
				continue;
			h->label = cfg_xstrdup(w);
			h->is_unix = is_unix;
			if (is_unix) {
				h->host = cfg_xstrdup(w + 5);
			} else {
				if (strncmp(w, "inet:", 5) == 0)
					w += 5;
				if ((colon = strrchr(w, ':')) != NULL) {
					h->host = cfg_xstrndup(w, (size_t)(colon - w));
					h->port = cfg_xstrdup(colon + 1);
				} else {
					h->host = cfg_xstrdup(w);
				}
			}
			k++;
		}
	}
	*n = k;
	cfg_strvec_fini(&words);
	return 0;
}

void cfgp_client_hosts_free(struct cfgp_host *v, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		free(v[i].label);
		free(v[i].host);
		free(v[i].port);
	}
	free(v);
}

void cfgp_client_printable(struct cfg_buf *out, const char *s)
{
	for (; *s; s++)
		cfg_buf_addc(out, (unsigned char)*s < 0x20 ? '?' : *s);
}
