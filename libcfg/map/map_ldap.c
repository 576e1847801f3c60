/*
 * map_ldap.c - ldap:/file.cf: LDAP lookups as ldap_table(5) describes them
 *
 * The client file (map_client.c) names the servers (server_host: LDAP URLs
 * or host[:port] with server_port), search_base and query_filter (with the
 * %s %u %d %1-%9 templates of map_client.c; the key is quoted per RFC 4515
 * in the filter and per RFC 2253 in the base), the result attributes and
 * result_format.  Every value of every result attribute of every entry is a
 * result; results are joined with ",".  special_result_attribute values
 * are DNs that are searched in turn (up to recursion_limit levels);
 * terminal_result_attribute and leaf_result_attribute work as in Postfix.
 *
 * The connection is made at the first lookup and kept; a lookup that
 * reaches no server or fails returns -1 (mail is deferred, never bounced).
 * start_tls and ldaps:// servers use the tls_* settings (in a TLS context
 * of the table's own; tls_require_cert = no does not check the server's
 * certificate, as in Postfix).  postkit refuses, at open, what it does not
 * implement: bind = sasl, the sasl_* settings, debuglevel, and LDAP URLs as
 * special result attribute values (at lookup).  The only file that
 * includes <ldap.h>.
 */
#include "config.h"

#include <ldap.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "cfg/base/dlib.h"
#include "cfg/base/xalloc.h"
#include "cfg/param/list.h"
#include "map_int.h"

/* the OpenLDAP functions this file calls, loaded at the first open (cfg/base/dlib.h) */
#define LD_FUNCS(X)                                                                                \
	X(ber_free)                                                                                \
	X(ber_pvt_opt_on)                                                                          \
	X(ldap_err2string)                                                                         \
	X(ldap_first_attribute)                                                                    \
	X(ldap_first_entry)                                                                        \
	X(ldap_get_values_len)                                                                     \
	X(ldap_initialize)                                                                         \
	X(ldap_is_ldap_url)                                                                        \
	X(ldap_memfree)                                                                            \
	X(ldap_msgfree)                                                                            \
	X(ldap_next_attribute)                                                                     \
	X(ldap_next_entry)                                                                         \
	X(ldap_sasl_bind_s)                                                                        \
	X(ldap_search_ext_s)                                                                       \
	X(ldap_set_option)                                                                         \
	X(ldap_start_tls_s)                                                                        \
	X(ldap_unbind_ext_s)                                                                       \
	X(ldap_value_free_len)
static struct {
	LD_FUNCS(CFG_DLIB_SLOT)
} ld_fn;
static const char *const ld_names[] = {LD_FUNCS(CFG_DLIB_NAME)};
static struct cfg_dlib ld_lib = {LDAP_SONAME, ld_names, CFG_DLIB_COUNT(ld_names), &ld_fn, 0, NULL};
#define ber_free (ld_fn.ber_free)
#define ber_pvt_opt_on (*ld_fn.ber_pvt_opt_on) /* a variable: LDAP_OPT_ON is its address */
#define ldap_err2string (ld_fn.ldap_err2string)
#define ldap_first_attribute (ld_fn.ldap_first_attribute)
#define ldap_first_entry (ld_fn.ldap_first_entry)
#define ldap_get_values_len (ld_fn.ldap_get_values_len)
#define ldap_initialize (ld_fn.ldap_initialize)
#define ldap_is_ldap_url (ld_fn.ldap_is_ldap_url)
#define ldap_memfree (ld_fn.ldap_memfree)
#define ldap_msgfree (ld_fn.ldap_msgfree)
#define ldap_next_attribute (ld_fn.ldap_next_attribute)
#define ldap_next_entry (ld_fn.ldap_next_entry)
#define ldap_sasl_bind_s (ld_fn.ldap_sasl_bind_s)
#define ldap_search_ext_s (ld_fn.ldap_search_ext_s)
#define ldap_set_option (ld_fn.ldap_set_option)
#define ldap_start_tls_s (ld_fn.ldap_start_tls_s)
#define ldap_unbind_ext_s (ld_fn.ldap_unbind_ext_s)
#define ldap_value_free_len (ld_fn.ldap_value_free_len)

enum { BIND_NONE, BIND_SIMPLE };

struct ld {
	struct cfgp_client *c;
	struct cfgp_dbq q;  /* query_filter and result_format, "domain" */
	struct cfgp_dbq bq; /* search_base */
	const char *search_base, *query_filter, *result_format, *bind_dn, *bind_pw;
	struct cfg_strvec result_attr, special_attr, terminal_attr, leaf_attr;
	char **attrs; /* every attribute to ask for, NULL-terminated (borrowed strings) */
	char *uri;    /* the servers as a list of LDAP URLs */
	int scope, bind, chase_referrals;
	long version, timeout, expansion_limit, size_limit, dereference, recursion_limit;
	LDAP *ld;
	struct cfg_buf filter, base, result;
	long nresults;
	int dirty;        /* a lookup has run: its server may have closed the connection */
	int quiet_down;   /* this search may be retried: no warning when the server is gone */
	int trouble;      /* an LDAP error that a lookup skipped (a DN reference not found) */
	int dynamic_base; /* search_base has % templates */
	int start_tls, tls_require_cert;
	/* tls_ca_cert_file, tls_ca_cert_dir, tls_cert, tls_key, tls_random_file, tls_cipher_suite */
	const char *tls[6];
};

/* quote_filter - append raw quoted for a search filter (RFC 4515) */
static void quote_filter(void *ctx, const char *raw, struct cfg_buf *out)
{
	(void)ctx;
	for (const unsigned char *s = (const unsigned char *)raw; *s; s++) {
		if (*s == '*' || *s == '(' || *s == ')' || *s == '\\')
			cfg_buf_printf(out, "\\%02X", *s);
		else
			cfg_buf_addc(out, (char)*s);
	}
}

/* quote_dn - append raw quoted for a DN attribute value (RFC 2253) */
static void quote_dn(void *ctx, const char *raw, struct cfg_buf *out)
{
	(void)ctx;
	for (const unsigned char *s = (const unsigned char *)raw; *s; s++) {
		int first = s == (const unsigned char *)raw, last = s[1] == 0;

		if (strchr(",=+<>#;\\\"", *s) != NULL || (*s == ' ' && (first || last)))
			cfg_buf_printf(out, "\\%02X", *s);
		else
			cfg_buf_addc(out, (char)*s);
	}
}

/* attr_list - split the setting key (default def) into v */
static int attr_list(struct ld *p, const char *key, const char *def, struct cfg_strvec *v,
                     struct cfg_diags *diags)
{
	const char *s;

	if (cfgp_client_str(p->c, key, def, 0, 0, &s, diags) < 0)
		return -1;
	cfg_list_tokens(s, CFG_LIST_SEPARATORS, v);
	return 0;
}

/* in_list - 1 when attribute name a is in v (names are case-insensitive) */
static int in_list(const struct cfg_strvec *v, const char *a)
{
	for (size_t i = 0; i < v->n; i++)
		if (strcasecmp(v->v[i], a) == 0)
			return 1;
	return 0;
}

/* build_attrs - p->attrs: the result, special, terminal and leaf attributes */
static void build_attrs(struct ld *p)
{
	const struct cfg_strvec *lists[] = {&p->result_attr, &p->special_attr, &p->terminal_attr,
	                                    &p->leaf_attr};
	size_t n = 0;

	for (size_t i = 0; i < 4; i++)
		n += lists[i]->n;
	p->attrs = cfg_xcalloc(n + 1, sizeof(*p->attrs));
	n = 0;
	for (size_t i = 0; i < 4; i++)
		for (size_t j = 0; j < lists[i]->n; j++)
			p->attrs[n++] = lists[i]->v[j];
}

/* refuse - a fatal "not implemented by postkit" diagnostic */
static int refuse(struct cfg_map *m, const char *what, struct cfg_diags *diags)
{
	cfg_diags_add(diags, CFG_SEV_FATAL, "ldap-unsupported", NULL, 0, 0,
	              "ldap:%s: %s is not implemented by postkit", m->name, what);
	return -1;
}

/* refuse_unimplemented - settings postkit does not honour: fail closed */
static int refuse_unimplemented(struct cfg_map *m, struct ld *p, struct cfg_diags *diags)
{
	static const char *const keys[] = {"sasl_mechs",  "sasl_realm", "sasl_authz_id",
	                                   "sasl_minssf", "debuglevel", NULL};

	for (size_t i = 0; keys[i]; i++)
		if (cfgp_client_has(p->c, keys[i])) {
			char *what = cfg_xasprintf("the %s setting", keys[i]);
			int r = refuse(m, what, diags);

			free(what);
			return r;
		}
	return 0;
}

/* read_tls - start_tls and the tls_* settings (for STARTTLS and ldaps:// servers) */
static int read_tls(struct ld *p, struct cfg_diags *diags)
{
	if (cfgp_client_bool(p->c, "start_tls", 0, &p->start_tls, diags) < 0
	    || cfgp_client_bool(p->c, "tls_require_cert", 0, &p->tls_require_cert, diags) < 0
	    || cfgp_client_str(p->c, "tls_ca_cert_file", "", 0, 0, &p->tls[0], diags) < 0
	    || cfgp_client_str(p->c, "tls_ca_cert_dir", "", 0, 0, &p->tls[1], diags) < 0
	    || cfgp_client_str(p->c, "tls_cert", "", 0, 0, &p->tls[2], diags) < 0
	    || cfgp_client_str(p->c, "tls_key", "", 0, 0, &p->tls[3], diags) < 0
	    || cfgp_client_str(p->c, "tls_random_file", "", 0, 0, &p->tls[4], diags) < 0
	    || cfgp_client_str(p->c, "tls_cipher_suite", "", 0, 0, &p->tls[5], diags) < 0)
		return -1;
	return 0;
}

/* set_tls - the TLS options of a new handle, in a TLS context of its own */
static void set_tls(struct ld *p)
{
	static const int opts[] = {LDAP_OPT_X_TLS_CACERTFILE,  LDAP_OPT_X_TLS_CACERTDIR,
	                           LDAP_OPT_X_TLS_CERTFILE,    LDAP_OPT_X_TLS_KEYFILE,
	                           LDAP_OPT_X_TLS_RANDOM_FILE, LDAP_OPT_X_TLS_CIPHER_SUITE};
	int req = p->tls_require_cert ? LDAP_OPT_X_TLS_DEMAND : LDAP_OPT_X_TLS_NEVER, zero = 0;

	ldap_set_option(p->ld, LDAP_OPT_X_TLS_REQUIRE_CERT, &req);
	for (size_t i = 0; i < sizeof(opts) / sizeof(opts[0]); i++)
		if (*p->tls[i])
			ldap_set_option(p->ld, opts[i], p->tls[i]);
	ldap_set_option(p->ld, LDAP_OPT_X_TLS_NEWCTX, &zero);
}

/* read_bind - "bind": yes/simple, no/none; sasl is refused */
static int read_bind(struct cfg_map *m, struct ld *p, struct cfg_diags *diags)
{
	const char *b;

	if (cfgp_client_str(p->c, "bind", "yes", 0, 0, &b, diags) < 0
	    || cfgp_client_str(p->c, "bind_dn", "", 0, 0, &p->bind_dn, diags) < 0
	    || cfgp_client_str(p->c, "bind_pw", "", 0, 0, &p->bind_pw, diags) < 0)
		return -1;
	if (strcasecmp(b, "yes") == 0 || strcasecmp(b, "simple") == 0) {
		p->bind = BIND_SIMPLE;
	} else if (strcasecmp(b, "no") == 0 || strcasecmp(b, "none") == 0) {
		p->bind = BIND_NONE;
	} else if (strcasecmp(b, "sasl") == 0) {
		return refuse(m, "bind = sasl", diags);
	} else {
		cfg_diags_add(diags, CFG_SEV_FATAL, "client-value", m->name, 0, 0,
		              "%s: unsupported parameter value: bind = %s", m->name, b);
		return -1;
	}
	return 0;
}

/* read_scope - "scope": sub, base or one (else Postfix's warning and sub) */
static int read_scope(struct cfg_map *m, struct ld *p, struct cfg_diags *diags)
{
	const char *s;

	if (cfgp_client_str(p->c, "scope", "sub", 0, 0, &s, diags) < 0)
		return -1;
	if (strcasecmp(s, "one") == 0) {
		p->scope = LDAP_SCOPE_ONELEVEL;
	} else if (strcasecmp(s, "base") == 0) {
		p->scope = LDAP_SCOPE_BASE;
	} else {
		if (strcasecmp(s, "sub") != 0)
			cfg_diags_add(diags, CFG_SEV_WARNING, "ldap-scope", NULL, 0, 0,
			              "dict_ldap_open: %s: Unrecognized value %s specified for "
			              "scope; using sub",
			              m->name, s);
		p->scope = LDAP_SCOPE_SUBTREE;
	}
	return 0;
}

/* read_servers - p->uri from server_host and server_port */
static int read_servers(struct ld *p, struct cfg_diags *diags)
{
	struct cfg_strvec words;
	struct cfg_buf uri;
	const char *hosts;
	long port;

	if (cfgp_client_str(p->c, "server_host", "localhost", 0, 0, &hosts, diags) < 0
	    || cfgp_client_int(p->c, "server_port", LDAP_PORT, 0, 65535, &port, diags) < 0)
		return -1;
	cfg_strvec_init(&words);
	cfg_buf_init(&uri);
	cfg_list_tokens(hosts, CFG_LIST_SEPARATORS, &words);
	for (size_t i = 0; i < words.n; i++) {
		const char *w = words.v[i];

		if (uri.len)
			cfg_buf_addc(&uri, ' ');
		if (strstr(w, "://") != NULL)
			cfg_buf_adds(&uri, w);
		else if (strchr(w, ':') != NULL)
			cfg_buf_printf(&uri, "ldap://%s", w);
		else
			cfg_buf_printf(&uri, "ldap://%s:%ld", w, port);
	}
	p->uri = cfg_xstrdup(uri.data ? uri.data : "");
	cfg_buf_fini(&uri);
	cfg_strvec_fini(&words);
	return 0;
}

/* read_limits - the numbers of ldap_table(5) */
static int read_limits(struct cfg_map *m, struct ld *p, struct cfg_diags *diags)
{
	if (cfgp_client_int(p->c, "version", 3, 0, 0, &p->version, diags) < 0
	    || cfgp_client_int(p->c, "timeout", 10, 0, 0, &p->timeout, diags) < 0
	    || cfgp_client_int(p->c, "expansion_limit", 0, 0, 0, &p->expansion_limit, diags) < 0
	    || cfgp_client_int(p->c, "size_limit", p->expansion_limit, 0, 0, &p->size_limit, diags)
	           < 0
	    || cfgp_client_int(p->c, "dereference", 0, 0, 3, &p->dereference, diags) < 0
	    || cfgp_client_int(p->c, "recursion_limit", 1000, 1, 0, &p->recursion_limit, diags) < 0
	    || cfgp_client_bool(p->c, "chase_referrals", 0, &p->chase_referrals, diags) < 0)
		return -1;
	if (p->version != 2 && p->version != 3) {
		cfg_diags_add(diags, CFG_SEV_WARNING, "ldap-version", NULL, 0, 0,
		              "dict_ldap_open: %s Unknown version %ld, using 3.", m->name,
		              p->version);
		p->version = 3;
	}
	return 0;
}

/* read_templates - search_base, query_filter, result_format and "domain" */
static int read_templates(struct cfg_map *m, struct ld *p, struct cfg_diags *diags)
{
	const char *legacy;

	if (cfgp_client_str(p->c, "search_base", "", 0, 0, &p->search_base, diags) < 0
	    || cfgp_client_str(p->c, "query_filter", "mailacceptinggeneralid=%s", 0, 0,
	                       &p->query_filter, diags)
	           < 0
	    || cfgp_client_str(p->c, "result_filter", "%s", 0, 0, &legacy, diags) < 0
	    || cfgp_client_str(p->c, "result_format", legacy, 0, 0, &p->result_format, diags) < 0
	    || cfgp_dbq_parse(&p->bq, p->search_base, 1, diags) < 0
	    || cfgp_dbq_parse(&p->q, p->query_filter, 1, diags) < 0
	    || cfgp_dbq_parse(&p->q, p->result_format, 0, diags) < 0
	    || cfgp_dbq_domain(&p->q, p->c, diags) < 0)
		return -1;
	p->dynamic_base = strchr(p->search_base, '%') != NULL;
	if (strchr(p->query_filter, '%') == NULL)
		cfg_diags_add(diags, CFG_SEV_WARNING, "ldap-fixed-filter", NULL, 0, 0,
		              "dict_ldap_open: %s: Fixed query_filter %s is probably useless",
		              m->name, p->query_filter);
	return 0;
}

/*
 * check_search_base - postfix check: search_base has no default (Postfix
 * searches from the root DSE and fails); the settings the client ignores
 * are postconf's "unused parameter" warnings
 */
static void check_search_base(struct cfg_map *m, struct ld *p, struct cfg_diags *diags)
{
	if (*p->search_base == 0)
		cfg_diags_add(diags, CFG_SEV_ERROR, "ldap-search-base", NULL, 0, 0,
		              "ldap:%s: search_base is not set (ldap_table(5): no default; you "
		              "must configure this)",
		              m->name);
}

/* ldap_open - read the client file; the connection waits for the first lookup */
static int ldap_open(struct cfg_map *m, struct cfg_diags *diags)
{
	struct ld *p = cfg_xcalloc(1, sizeof(*p));

	m->priv = p;
	cfgp_dbq_init(&p->q, m);
	cfgp_dbq_init(&p->bq, m);
	cfg_strvec_init(&p->result_attr);
	cfg_strvec_init(&p->special_attr);
	cfg_strvec_init(&p->terminal_attr);
	cfg_strvec_init(&p->leaf_attr);
	cfg_buf_init(&p->filter);
	cfg_buf_init(&p->base);
	cfg_buf_init(&p->result);
	p->q.quote = quote_filter;
	p->bq.quote = quote_dn;
	if (cfgp_map_dlib(m, &ld_lib, diags) < 0 || (p->c = cfgp_client_open(m, diags)) == NULL
	    || read_servers(p, diags) < 0 || read_templates(m, p, diags) < 0
	    || read_bind(m, p, diags) < 0 || read_scope(m, p, diags) < 0
	    || read_limits(m, p, diags) < 0
	    || attr_list(p, "result_attribute", "maildrop", &p->result_attr, diags) < 0
	    || attr_list(p, "special_result_attribute", "", &p->special_attr, diags) < 0
	    || attr_list(p, "terminal_result_attribute", "", &p->terminal_attr, diags) < 0
	    || attr_list(p, "leaf_result_attribute", "", &p->leaf_attr, diags) < 0
	    || read_tls(p, diags) < 0 || refuse_unimplemented(m, p, diags) < 0)
		return -1;
	if (cfgp_client_has(p->c, "cache"))
		cfg_diags_add(diags, CFG_SEV_WARNING, "ldap-cache", NULL, 0, 0,
		              "dict_ldap_open: %s ignoring cache", m->name);
	if (m->flags & CFG_MAP_CHECK)
		check_search_base(m, p, diags);
	build_attrs(p);
	return 0;
}

/* disconnect - drop the connection */
static void disconnect(struct ld *p)
{
	if (p->ld != NULL)
		ldap_unbind_ext_s(p->ld, NULL, NULL);
	p->ld = NULL;
	p->dirty = 0;
}

/* connect_bind - the connection, or a new one (options set, bound when bind = yes) */
static int connect_bind(struct cfg_map *m, struct ld *p, struct cfg_diags *diags)
{
	struct timeval tv = {p->timeout, 0};
	int version = (int)p->version, deref = (int)p->dereference, rc;
	struct berval cred;

	if (p->ld != NULL)
		return 0;
	if ((rc = ldap_initialize(&p->ld, p->uri)) != LDAP_SUCCESS) {
		cfg_diags_add(diags, CFG_SEV_WARNING, "ldap-connect", NULL, 0, 0,
		              "dict_ldap_connect: Unable to initialize server %s: %d (%s)", p->uri,
		              rc, ldap_err2string(rc));
		p->ld = NULL;
		cfgp_map_set_error(m, "Application error");
		return -1;
	}
	ldap_set_option(p->ld, LDAP_OPT_PROTOCOL_VERSION, &version);
	ldap_set_option(p->ld, LDAP_OPT_NETWORK_TIMEOUT, &tv);
	ldap_set_option(p->ld, LDAP_OPT_DEREF, &deref);
	ldap_set_option(p->ld, LDAP_OPT_REFERRALS, p->chase_referrals ? LDAP_OPT_ON : LDAP_OPT_OFF);
	set_tls(p);
	if (p->start_tls && (rc = ldap_start_tls_s(p->ld, NULL, NULL)) != LDAP_SUCCESS) {
		/* Postfix says "error:" here; postkit's lookups warn, then fail */
		cfg_diags_add(diags, CFG_SEV_WARNING, "ldap-starttls", NULL, 0, 0,
		              "dict_ldap_connect: Unable to set STARTTLS: %d: %s", rc,
		              ldap_err2string(rc));
		cfgp_map_set_error(m, "Application error");
		disconnect(p);
		return -1;
	}
	if (p->bind == BIND_NONE)
		return 0;
	cred.bv_val = (char *)p->bind_pw;
	cred.bv_len = strlen(p->bind_pw);
	rc = ldap_sasl_bind_s(p->ld, *p->bind_dn ? p->bind_dn : NULL, LDAP_SASL_SIMPLE, &cred, NULL,
	                      NULL, NULL);
	if (rc != LDAP_SUCCESS) {
		cfg_diags_add(diags, CFG_SEV_WARNING, "ldap-bind", NULL, 0, 0,
		              "dict_ldap_connect: Unable to bind to server %s with dn %s: %d (%s)",
		              p->uri, *p->bind_dn ? p->bind_dn : "empty or implicit", rc,
		              ldap_err2string(rc));
		cfgp_map_set_error(m, rc == LDAP_SERVER_DOWN ? "Transport endpoint is not connected"
		                                             : "Application error");
		disconnect(p);
		return -1;
	}
	return 0;
}

/* add_value - one attribute value through result_format; -1 past expansion_limit */
static int add_value(struct cfg_map *m, struct ld *p, const char *key, const char *value, int level,
                     struct cfg_diags *diags)
{
	void (*quote)(void *, const char *, struct cfg_buf *) = p->q.quote;
	int r;

	/* results are not quoted: only the key is, in the filter */
	p->q.quote = NULL;
	r = cfgp_dbq_expand(&p->q, p->result_format, value, key, &p->result, diags);
	p->q.quote = quote;
	if (r && p->expansion_limit > 0 && ++p->nresults > p->expansion_limit) {
		cfg_diags_add(
		    diags, CFG_SEV_WARNING, "ldap-limit", NULL, 0, 0,
		    "dict_ldap_get_values[%d]: %s: Expansion limit exceeded for key: '%s'", level,
		    m->name, key);
		cfgp_map_set_error(m, "Application error");
		return -1;
	}
	return 0;
}

static int search(struct cfg_map *m, struct ld *p, const char *key, const char *base, int scope,
                  const char *filter, int level, struct cfg_diags *diags);

/* entry_values - the results of one entry, following special attributes */
static int entry_values(struct cfg_map *m, struct ld *p, const char *key, LDAPMessage *e, int level,
                        struct cfg_diags *diags)
{
	int terminal = 0, special = 0, ret = 0;
	BerElement *ber;
	char *a;

	/* a terminal attribute hides the others; a special one hides the leaf ones */
	for (a = ldap_first_attribute(p->ld, e, &ber); a; a = ldap_next_attribute(p->ld, e, ber)) {
		terminal |= in_list(&p->terminal_attr, a);
		special |= in_list(&p->special_attr, a);
		ldap_memfree(a);
	}
	ber_free(ber, 0);
	for (a = ldap_first_attribute(p->ld, e, &ber); a && ret == 0;
	     a = ldap_next_attribute(p->ld, e, ber)) {
		int is_result = terminal ? in_list(&p->terminal_attr, a)
		                         : in_list(&p->result_attr, a)
		                               || (!special && in_list(&p->leaf_attr, a))
		                               || in_list(&p->terminal_attr, a);
		int is_special = !terminal && in_list(&p->special_attr, a);
		struct berval **vals = ldap_get_values_len(p->ld, e, a);

		for (size_t i = 0; vals && vals[i] && ret == 0; i++) {
			char *v = cfg_xstrndup(vals[i]->bv_val, vals[i]->bv_len);

			if (is_result)
				ret = add_value(m, p, key, v, level, diags);
			if (ret == 0 && is_special) {
				if (ldap_is_ldap_url(v)) {
					cfg_diags_add(
					    diags, CFG_SEV_WARNING, "ldap-url", NULL, 0, 0,
					    "ldap:%s: LDAP URL %s in special result attribute "
					    "%s is not implemented by postkit",
					    m->name, v, a);
					cfgp_map_set_error(m, "Application error");
					ret = -1;
				} else if (level >= p->recursion_limit) {
					cfg_diags_add(
					    diags, CFG_SEV_WARNING, "ldap-recursion", NULL, 0, 0,
					    "dict_ldap_get_values[%d]: %s: Recursion limit "
					    "exceeded for special attribute %s=%s",
					    level, m->name, a, v);
					cfgp_map_set_error(m, "Application error");
					ret = -1;
				} else {
					ret = search(m, p, key, v, LDAP_SCOPE_BASE,
					             "(objectclass=*)", level + 1, diags);
				}
			}
			free(v);
		}
		ldap_value_free_len(vals);
		ldap_memfree(a);
	}
	if (a != NULL)
		ldap_memfree(a);
	ber_free(ber, 0);
	return ret;
}

/* search - one search and the values of its entries */
static int search(struct cfg_map *m, struct ld *p, const char *key, const char *base, int scope,
                  const char *filter, int level, struct cfg_diags *diags)
{
	struct timeval tv = {p->timeout, 0};
	LDAPMessage *res = NULL;
	int rc, ret = 0;

	rc = ldap_search_ext_s(p->ld, base, scope, filter, p->attrs, 0, NULL, NULL, &tv,
	                       (int)p->size_limit, &res);
	if (rc == LDAP_NO_SUCH_OBJECT && level > 1) {
		/* a dangling DN reference adds nothing: Postfix skips it with a warning */
		cfg_diags_add(diags, CFG_SEV_WARNING, "ldap-dn", NULL, 0, 0,
		              "dict_ldap_get_values[%d]: DN %s not found, skipping ", level - 1,
		              base);
		p->trouble = rc;
		ldap_msgfree(res);
		return 0;
	}
	if (rc == LDAP_NO_SUCH_OBJECT && p->dynamic_base) {
		/* a base made from the key that does not exist: the key is not there */
		ldap_msgfree(res);
		return 0;
	}
	if (rc == LDAP_NO_SUCH_OBJECT) {
		cfg_diags_add(diags, CFG_SEV_WARNING, "ldap-search", NULL, 0, 0,
		              "dict_ldap_lookup: %s: Search base '%s' not found: %d: %s", m->name,
		              base, rc, ldap_err2string(rc));
		cfgp_map_set_error(m, "Application error");
		ldap_msgfree(res);
		return -1;
	}
	if (rc == LDAP_SERVER_DOWN && p->quiet_down) {
		ldap_msgfree(res);
		return -2;
	}
	if (rc != LDAP_SUCCESS) {
		cfg_diags_add(diags, CFG_SEV_WARNING, "ldap-search", NULL, 0, 0,
		              "dict_ldap_lookup: Search error %d: %s ", rc, ldap_err2string(rc));
		cfgp_map_set_error(m, rc == LDAP_SERVER_DOWN ? "Transport endpoint is not connected"
		                                             : "Application error");
		ldap_msgfree(res);
		return rc == LDAP_SERVER_DOWN ? -2 : -1;
	}
	for (LDAPMessage *e = ldap_first_entry(p->ld, res); e && ret == 0;
	     e = ldap_next_entry(p->ld, e))
		ret = entry_values(m, p, key, e, level, diags);
	ldap_msgfree(res);
	return ret;
}

/* ldap_lookup - expand the base and filter, search, join the results */
static int ldap_lookup(struct cfg_map *m, const char *key, const char **value,
                       struct cfg_diags *diags)
{
	struct ld *p = m->priv;
	int r;

	cfg_buf_reset(&p->filter);
	cfg_buf_reset(&p->base);
	cfg_buf_reset(&p->result);
	p->nresults = 0;
	p->trouble = 0;
	/* keys that are not UTF-8 are never sent to the server */
	if (!cfg_map_utf8_valid(key, strlen(key)))
		return 0;
	if ((r = cfgp_dbq_check_domain(&p->q, key, diags)) <= 0)
		return r;
	if (cfgp_dbq_expand(&p->q, p->query_filter, key, NULL, &p->filter, diags) == 0)
		return 0;
	if (*p->search_base
	    && cfgp_dbq_expand(&p->bq, p->search_base, key, NULL, &p->base, diags) == 0)
		return 0;
	for (int attempt = 0; attempt < 2; attempt++) {
		if (connect_bind(m, p, diags) < 0)
			return -1;
		p->quiet_down = p->dirty && attempt == 0;
		r = search(m, p, key, p->base.data ? p->base.data : "", p->scope, p->filter.data, 1,
		           diags);
		/* a kept connection that the server closed: once more on a new one */
		if (r == -2 && p->quiet_down) {
			disconnect(p);
			cfg_buf_reset(&p->result);
			p->nresults = 0;
			continue;
		}
		p->dirty = 1;
		break;
	}
	if (r < 0) {
		if (r == -2)
			disconnect(p);
		return -1;
	}
	if (p->trouble)
		cfg_diags_add(
		    diags, CFG_SEV_WARNING, "ldap-trouble", NULL, 0, 0,
		    "dict_ldap_lookup: Had some trouble with entries returned by search: %s",
		    ldap_err2string(p->trouble));
	if (p->result.len == 0)
		return 0;
	*value = p->result.data;
	return 1;
}

/* ldap_close - the connection and the settings */
static void ldap_close(struct cfg_map *m)
{
	struct ld *p = m->priv;

	if (p == NULL)
		return;
	disconnect(p);
	cfgp_client_free(p->c);
	cfgp_dbq_fini(&p->q);
	cfgp_dbq_fini(&p->bq);
	cfg_strvec_fini(&p->result_attr);
	cfg_strvec_fini(&p->special_attr);
	cfg_strvec_fini(&p->terminal_attr);
	cfg_strvec_fini(&p->leaf_attr);
	cfg_buf_fini(&p->filter);
	cfg_buf_fini(&p->base);
	cfg_buf_fini(&p->result);
	free(p->attrs);
	free(p->uri);
	free(p);
}

const struct cfgp_map_ops cfgp_map_ldap_ops = {
    .type = "ldap",
    .open = ldap_open,
    .lookup = ldap_lookup,
    .close = ldap_close,
};
