/*
 * map_pgsql.c - pgsql:/file.cf: PostgreSQL lookups as pgsql_table(5) describes them
 *
 * The client file (map_client.c) names the hosts (unix:/socket-directory,
 * inet:host:port, host:port or host; UNIX-domain sockets are tried first),
 * dbname, user, password and the query.  The connection is made at the
 * first lookup and kept for the next ones; a server that fails is skipped
 * for 60 seconds and the next one is tried.  The key is quoted with
 * PQescapeStringConn() on that connection; every column of every row is a
 * result.  As in Postfix 3.7 the client encoding is LATIN1.  A lookup that
 * reaches no server or fails returns -1 (mail is deferred, never bounced).
 * The only file that includes <libpq-fe.h>.
 */
#include "config.h"

#include <libpq-fe.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cfg/base/dlib.h"
#include "cfg/base/xalloc.h"
#include "map_int.h"

/* the libpq functions this file calls, loaded at the first open (cfg/base/dlib.h) */
#define PQ_FUNCS(X)                                                                                \
	X(PQclear)                                                                                 \
	X(PQerrorMessage)                                                                          \
	X(PQescapeStringConn)                                                                      \
	X(PQexec)                                                                                  \
	X(PQfinish)                                                                                \
	X(PQgetisnull)                                                                             \
	X(PQgetvalue)                                                                              \
	X(PQnfields)                                                                               \
	X(PQntuples)                                                                               \
	X(PQresultStatus)                                                                          \
	X(PQsetClientEncoding)                                                                     \
	X(PQsetdbLogin)                                                                            \
	X(PQstatus)
static struct {
	PQ_FUNCS(CFG_DLIB_SLOT)
} pq_fn;
static const char *const pq_names[] = {PQ_FUNCS(CFG_DLIB_NAME)};
static struct cfg_dlib pq_lib = {PQ_SONAME, pq_names, CFG_DLIB_COUNT(pq_names), &pq_fn, 0, NULL};
#define PQclear (pq_fn.PQclear)
#define PQerrorMessage (pq_fn.PQerrorMessage)
#define PQescapeStringConn (pq_fn.PQescapeStringConn)
#define PQexec (pq_fn.PQexec)
#define PQfinish (pq_fn.PQfinish)
#define PQgetisnull (pq_fn.PQgetisnull)
#define PQgetvalue (pq_fn.PQgetvalue)
#define PQnfields (pq_fn.PQnfields)
#define PQntuples (pq_fn.PQntuples)
#define PQresultStatus (pq_fn.PQresultStatus)
#define PQsetClientEncoding (pq_fn.PQsetClientEncoding)
#define PQsetdbLogin (pq_fn.PQsetdbLogin)
#define PQstatus (pq_fn.PQstatus)

struct pg {
	struct cfgp_sql sql;
	PGconn *conn;
};

/* quote - escape raw for a '...' literal on the active connection */
static void quote(void *ctx, const char *raw, struct cfg_buf *out)
{
	struct pg *p = ctx;
	size_t n = strlen(raw);
	int err = 0;

	cfg_buf_reserve(out, 2 * n + 1);
	out->len += PQescapeStringConn(p->conn, out->data + out->len, raw, n, &err);
	out->data[out->len] = 0;
}

/* warn_msg - a warning whose last part is a server message (newlines as '?') */
static void warn_msg(struct cfg_diags *diags, const char *code, const char *prefix, const char *msg)
{
	struct cfg_buf b;

	cfg_buf_init(&b);
	cfg_buf_adds(&b, prefix);
	cfgp_client_printable(&b, msg);
	cfg_diags_add(diags, CFG_SEV_WARNING, code, NULL, 0, 0, "%s", b.data);
	cfg_buf_fini(&b);
}

/* disconnect - drop the active connection; dead marks its server failed */
static void disconnect(void *ctx, int dead)
{
	struct pg *p = ctx;

	if (p->conn != NULL)
		PQfinish(p->conn);
	p->conn = NULL;
	cfgp_sqlsrv_drop(&p->sql.srv, dead);
}

/* connect_any - the active connection, or a new one to the first server that answers */
static int connect_any(void *ctx, struct cfg_diags *diags)
{
	struct pg *p = ctx;
	long now = (long)time(NULL);

	if (p->conn != NULL && PQstatus(p->conn) == CONNECTION_OK)
		return 0;
	disconnect(p, 1);
	for (size_t i = 0; i < p->sql.srv.nhosts; i++) {
		struct cfgp_host *h = &p->sql.srv.hosts[i];
		char *prefix;

		if (h->dead_until > now)
			continue;
		p->conn = PQsetdbLogin(h->host, h->port, NULL, NULL, p->sql.srv.dbname,
		                       p->sql.srv.user, p->sql.srv.password);
		if (p->conn != NULL && PQstatus(p->conn) == CONNECTION_OK) {
			PQsetClientEncoding(p->conn, "LATIN1");
			p->sql.srv.active = h;
			return 0;
		}
		prefix = cfg_xasprintf("connect to pgsql server %s: ", h->label);
		warn_msg(diags, "pgsql-connect", prefix, PQerrorMessage(p->conn));
		free(prefix);
		p->sql.srv.active = h;
		disconnect(p, 1);
	}
	return -1;
}

/* pgsql_open - read the client file; the connection waits for the first lookup */
static int pgsql_open(struct cfg_map *m, struct cfg_diags *diags)
{
	struct pg *p = cfg_xcalloc(1, sizeof(*p));

	m->priv = p;
	if (cfgp_map_dlib(m, &pq_lib, diags) < 0 || cfgp_sql_open(&p->sql, m, diags) < 0
	    || cfgp_sqlsrv_open(&p->sql.srv, p->sql.c, diags) < 0)
		return -1;
	cfgp_sql_server(&p->sql, quote, connect_any, disconnect, p);
	return 0;
}

/* results - the values of res; -1 past expansion_limit */
static int results(struct cfg_map *m, struct pg *p, PGresult *res, const char *key,
                   struct cfg_diags *diags)
{
	int rows = PQntuples(res), cols = PQnfields(res);

	for (int i = 0; i < rows; i++)
		for (int j = 0; j < cols; j++) {
			if (PQgetisnull(res, i, j))
				continue;
			if (cfgp_sql_result(&p->sql, PQgetvalue(res, i, j), key, diags) < 0) {
				cfg_diags_add(diags, CFG_SEV_WARNING, "sql-limit", NULL, 0, 0,
				              "dict_pgsql_lookup: %s: Expansion limit exceeded for "
				              "key: '%s'",
				              m->name, key);
				return -1;
			}
		}
	return 0;
}

/* pgsql_lookup - connect when needed, run the query, join the results */
static int pgsql_lookup(struct cfg_map *m, const char *key, const char **value,
                        struct cfg_diags *diags)
{
	struct pg *p = m->priv;
	PGresult *res;
	int r;

	if ((r = cfgp_sql_query(&p->sql, key, diags)) <= 0)
		return r;
	res = PQexec(p->conn, p->sql.query.data);
	r = res ? PQresultStatus(res) : PGRES_FATAL_ERROR;
	if (r != PGRES_TUPLES_OK && r != PGRES_COMMAND_OK) {
		char *prefix = cfg_xasprintf("pgsql query failed: fatal error from host %s: ",
		                             p->sql.srv.active->label);

		warn_msg(diags, "pgsql-query", prefix, PQerrorMessage(p->conn));
		free(prefix);
		if (PQstatus(p->conn) != CONNECTION_OK)
			disconnect(p, 1);
		PQclear(res);
		return -1;
	}
	r = results(m, p, res, key, diags);
	PQclear(res);
	if (r < 0)
		return -1;
	return cfgp_sql_answer(&p->sql, value);
}

/* pgsql_close - the connection and the settings */
static void pgsql_close(struct cfg_map *m)
{
	struct pg *p = m->priv;

	if (p == NULL)
		return;
	cfgp_sql_fini(&p->sql);
	free(p);
}

const struct cfgp_map_ops cfgp_map_pgsql_ops = {
    .type = "pgsql",
    .open = pgsql_open,
    .lookup = pgsql_lookup,
    .close = pgsql_close,
};
