/*
 * map_mysql.c - mysql:/file.cf: MySQL/MariaDB lookups as mysql_table(5) describes them
 *
 * Through the MariaDB client library.  The client file (map_client.c)
 * names the hosts (unix:/socket, inet:host:port, host:port or host; UNIX
 * sockets are tried first), dbname, user, password, option_file and
 * option_group (default "client") and the query; require_result_set (yes)
 * makes a statement without a result set an error.  The connection is made
 * at the first lookup and kept; a server that fails is skipped for 60
 * seconds.  Keys are quoted with mysql_real_escape_string(); every field of
 * every row is a result.  The tls_* settings are refused (postkit has no
 * TLS for table clients yet).  A lookup that reaches no server or fails
 * returns -1 (mail is deferred, never bounced).  The only file that
 * includes <mysql.h>.
 */
#include "config.h"

#include <mysql.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cfg/base/dlib.h"
#include "cfg/base/xalloc.h"
#include "map_int.h"

/* the MariaDB client functions this file calls, loaded at the first open (cfg/base/dlib.h) */
#define MY_FUNCS(X)                                                                                \
	X(mysql_close)                                                                             \
	X(mysql_error)                                                                             \
	X(mysql_fetch_row)                                                                         \
	X(mysql_free_result)                                                                       \
	X(mysql_init)                                                                              \
	X(mysql_next_result)                                                                       \
	X(mysql_num_fields)                                                                        \
	X(mysql_options)                                                                           \
	X(mysql_query)                                                                             \
	X(mysql_real_connect)                                                                      \
	X(mysql_real_escape_string)                                                                \
	X(mysql_store_result)
static struct {
	MY_FUNCS(CFG_DLIB_SLOT)
} my_fn;
static const char *const my_names[] = {MY_FUNCS(CFG_DLIB_NAME)};
static struct cfg_dlib my_lib = {MARIADB_SONAME, my_names, CFG_DLIB_COUNT(my_names),
                                 &my_fn,         0,        NULL};
#define mysql_close (my_fn.mysql_close)
#define mysql_error (my_fn.mysql_error)
#define mysql_fetch_row (my_fn.mysql_fetch_row)
#define mysql_free_result (my_fn.mysql_free_result)
#define mysql_init (my_fn.mysql_init)
#define mysql_next_result (my_fn.mysql_next_result)
#define mysql_num_fields (my_fn.mysql_num_fields)
#define mysql_options (my_fn.mysql_options)
#define mysql_query (my_fn.mysql_query)
#define mysql_real_connect (my_fn.mysql_real_connect)
#define mysql_real_escape_string (my_fn.mysql_real_escape_string)
#define mysql_store_result (my_fn.mysql_store_result)

struct my {
	struct cfgp_sql sql;
	const char *option_file, *option_group;
	int require_result_set;
	MYSQL *conn;
};

/* quote - escape raw for a '...' literal on the active connection */
static void quote(void *ctx, const char *raw, struct cfg_buf *out)
{
	struct my *p = ctx;
	size_t n = strlen(raw);

	cfg_buf_reserve(out, 2 * n + 1);
	out->len += mysql_real_escape_string(p->conn, out->data + out->len, raw, n);
	out->data[out->len] = 0;
}

/* disconnect - drop the active connection; dead marks its server failed */
static void disconnect(void *ctx, int dead)
{
	struct my *p = ctx;

	if (p->conn != NULL)
		mysql_close(p->conn);
	p->conn = NULL;
	cfgp_sqlsrv_drop(&p->sql.srv, dead);
}

/* try_host - connect to h; 0, or -1 with Postfix's warning */
static int try_host(struct my *p, struct cfgp_host *h, struct cfg_diags *diags)
{
	unsigned timeout = 30;

	p->conn = mysql_init(NULL);
	if (p->conn == NULL)
		abort(); /* out of memory, as cfg_xmalloc would */
	mysql_options(p->conn, MYSQL_OPT_CONNECT_TIMEOUT, &timeout);
	mysql_options(p->conn, MYSQL_OPT_READ_TIMEOUT, &timeout);
	mysql_options(p->conn, MYSQL_OPT_WRITE_TIMEOUT, &timeout);
	if (*p->option_file)
		mysql_options(p->conn, MYSQL_READ_DEFAULT_FILE, p->option_file);
	if (*p->option_group)
		mysql_options(p->conn, MYSQL_READ_DEFAULT_GROUP, p->option_group);
	if (mysql_real_connect(p->conn, h->is_unix ? NULL : h->host,
	                       *p->sql.srv.user ? p->sql.srv.user : NULL,
	                       *p->sql.srv.password ? p->sql.srv.password : NULL, p->sql.srv.dbname,
	                       h->port ? (unsigned)strtoul(h->port, NULL, 10) : 0,
	                       h->is_unix ? h->host : NULL, CLIENT_MULTI_RESULTS)
	    != NULL) {
		p->sql.srv.active = h;
		return 0;
	}
	cfg_diags_add(diags, CFG_SEV_WARNING, "mysql-connect", NULL, 0, 0,
	              "connect to mysql server %s: %s", h->label, mysql_error(p->conn));
	p->sql.srv.active = h;
	disconnect(p, 1);
	return -1;
}

/* connect_any - the active connection, or a new one to the first server that answers */
static int connect_any(void *ctx, struct cfg_diags *diags)
{
	struct my *p = ctx;
	long now = (long)time(NULL);

	if (p->conn != NULL)
		return 0;
	for (size_t i = 0; i < p->sql.srv.nhosts; i++)
		if (p->sql.srv.hosts[i].dead_until <= now
		    && try_host(p, &p->sql.srv.hosts[i], diags) == 0)
			return 0;
	return -1;
}

/* refuse_tls - the tls_* settings are not implemented: fail closed */
static int refuse_tls(struct cfg_map *m, struct cfgp_client *c, struct cfg_diags *diags)
{
	static const char *const tls[] = {"tls_cert_file", "tls_key_file", "tls_CAfile",
	                                  "tls_CApath",    "tls_ciphers",  "tls_verify_cert"};

	for (size_t i = 0; i < sizeof(tls) / sizeof(tls[0]); i++)
		if (cfgp_client_has(c, tls[i])) {
			cfg_diags_add(diags, CFG_SEV_FATAL, "mysql-tls", NULL, 0, 0,
			              "mysql:%s: %s: TLS to the database is not implemented by "
			              "postkit",
			              m->name, tls[i]);
			return -1;
		}
	return 0;
}

/* mysql_open - read the client file; the connection waits for the first lookup */
static int mysql_open(struct cfg_map *m, struct cfg_diags *diags)
{
	struct my *p = cfg_xcalloc(1, sizeof(*p));
	struct cfgp_client *c;

	m->priv = p;
	if (cfgp_map_dlib(m, &my_lib, diags) < 0 || cfgp_sql_open(&p->sql, m, diags) < 0)
		return -1;
	c = p->sql.c;
	if (cfgp_sqlsrv_open(&p->sql.srv, c, diags) < 0
	    || cfgp_client_str(c, "option_file", "", 0, 0, &p->option_file, diags) < 0
	    || cfgp_client_str(c, "option_group", "client", 0, 0, &p->option_group, diags) < 0
	    || cfgp_client_bool(c, "require_result_set", 1, &p->require_result_set, diags) < 0
	    || refuse_tls(m, c, diags) < 0)
		return -1;
	cfgp_sql_server(&p->sql, quote, connect_any, disconnect, p);
	return 0;
}

/* results - the fields of every row of res; -1 past expansion_limit */
static int results(struct cfg_map *m, struct my *p, MYSQL_RES *res, const char *key,
                   struct cfg_diags *diags)
{
	unsigned cols = mysql_num_fields(res);
	MYSQL_ROW row;

	while ((row = mysql_fetch_row(res)) != NULL)
		for (unsigned j = 0; j < cols; j++)
			if (cfgp_sql_result(&p->sql, row[j], key, diags) < 0) {
				cfg_diags_add(diags, CFG_SEV_WARNING, "sql-limit", NULL, 0, 0,
				              "dict_mysql_lookup: %s: Expansion limit exceeded for "
				              "key: '%s'",
				              m->name, key);
				return -1;
			}
	return 0;
}

/* run - send the query and collect its results; 0 or -1 with a warning */
static int run(struct cfg_map *m, struct my *p, const char *key, struct cfg_diags *diags)
{
	MYSQL_RES *res;
	int r = 0;

	if (mysql_query(p->conn, p->sql.query.data) != 0) {
		cfg_diags_add(diags, CFG_SEV_WARNING, "mysql-query", NULL, 0, 0,
		              "mysql:%s: query failed: %s", m->name, mysql_error(p->conn));
		disconnect(p, 1);
		return -1;
	}
	res = mysql_store_result(p->conn);
	if (res == NULL && p->require_result_set) {
		cfg_diags_add(diags, CFG_SEV_WARNING, "mysql-query", NULL, 0, 0,
		              "mysql:%s: query failed: query returned no result "
		              "set(require_result_set = yes)",
		              m->name);
		r = -1;
	} else if (res != NULL) {
		r = results(m, p, res, key, diags);
		mysql_free_result(res);
	}
	/* drain the other result sets of a multi-statement query */
	while (mysql_next_result(p->conn) == 0)
		if ((res = mysql_store_result(p->conn)) != NULL)
			mysql_free_result(res);
	return r;
}

/* mysql_lookup - connect when needed, run the query, join the results */
static int mysql_lookup(struct cfg_map *m, const char *key, const char **value,
                        struct cfg_diags *diags)
{
	struct my *p = m->priv;
	int r;

	if ((r = cfgp_sql_query(&p->sql, key, diags)) <= 0)
		return r;
	if (run(m, p, key, diags) < 0)
		return -1;
	return cfgp_sql_answer(&p->sql, value);
}

/* mysql_close - the connection and the settings */
static void mysql_close_map(struct cfg_map *m)
{
	struct my *p = m->priv;

	if (p == NULL)
		return;
	cfgp_sql_fini(&p->sql);
	free(p);
}

const struct cfgp_map_ops cfgp_map_mysql_ops = {
    .type = "mysql",
    .open = mysql_open,
    .lookup = mysql_lookup,
    .close = mysql_close_map,
};
