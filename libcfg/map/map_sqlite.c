/*
 * map_sqlite.c - sqlite:/file.cf: SQLite lookups as sqlite_table(5) describes them
 *
 * The client file names dbpath and the query (or the legacy table,
 * select_field, where_field); map_client.c reads it and expands the query.
 * The database is opened read-only when the table opens and the query runs
 * with the key quoted as sqlite3_mprintf("%q") quotes it; the first column
 * of every row is a result.  Errors are fatal, in Postfix's words, and make
 * the lookup fail (-1): mail waits, it never bounces.  The only file that
 * includes <sqlite3.h>.
 */
#include "config.h"

#include <sqlite3.h>
#include <stdlib.h>
#include <string.h>

#include "cfg/base/dlib.h"
#include "cfg/base/xalloc.h"
#include "map_int.h"

/* the SQLite functions this file calls, loaded at the first open (cfg/base/dlib.h) */
#define SQ_FUNCS(X)                                                                                \
	X(sqlite3_close)                                                                           \
	X(sqlite3_column_text)                                                                     \
	X(sqlite3_errmsg)                                                                          \
	X(sqlite3_finalize)                                                                        \
	X(sqlite3_free)                                                                            \
	X(sqlite3_mprintf)                                                                         \
	X(sqlite3_open_v2)                                                                         \
	X(sqlite3_prepare_v2)                                                                      \
	X(sqlite3_step)
static struct {
	SQ_FUNCS(CFG_DLIB_SLOT)
} sq_fn;
static const char *const sq_names[] = {SQ_FUNCS(CFG_DLIB_NAME)};
static struct cfg_dlib sq_lib = {SQLITE_SONAME, sq_names, CFG_DLIB_COUNT(sq_names),
                                 &sq_fn,        0,        NULL};
#define sqlite3_close (sq_fn.sqlite3_close)
#define sqlite3_column_text (sq_fn.sqlite3_column_text)
#define sqlite3_errmsg (sq_fn.sqlite3_errmsg)
#define sqlite3_finalize (sq_fn.sqlite3_finalize)
#define sqlite3_free (sq_fn.sqlite3_free)
#define sqlite3_mprintf (sq_fn.sqlite3_mprintf)
#define sqlite3_open_v2 (sq_fn.sqlite3_open_v2)
#define sqlite3_prepare_v2 (sq_fn.sqlite3_prepare_v2)
#define sqlite3_step (sq_fn.sqlite3_step)

struct sq {
	struct cfgp_sql sql;
	sqlite3 *db;
};

/* quote - SQL-quote raw ('' for ') */
static void quote(void *ctx, const char *raw, struct cfg_buf *out)
{
	char *q = sqlite3_mprintf("%q", raw);

	(void)ctx;
	if (q == NULL)
		abort(); /* out of memory, as cfg_xmalloc would */
	cfg_buf_adds(out, q);
	sqlite3_free(q);
}

/* sqlite_open - read the client file, open dbpath read-only */
static int sqlite_open(struct cfg_map *m, struct cfg_diags *diags)
{
	struct sq *s = cfg_xcalloc(1, sizeof(*s));
	const char *dbpath;

	m->priv = s;
	if (cfgp_map_dlib(m, &sq_lib, diags) < 0 || cfgp_sql_open(&s->sql, m, diags) < 0
	    || cfgp_client_str(s->sql.c, "dbpath", "", 1, 0, &dbpath, diags) < 0)
		return -1;
	s->sql.q.quote = quote;
	if (sqlite3_open_v2(dbpath, &s->db, SQLITE_OPEN_READONLY, NULL) != SQLITE_OK) {
		cfg_diags_add(diags, CFG_SEV_FATAL, "sqlite-open", NULL, 0, 0,
		              "sqlite:%s: open database %s: %s", m->name, dbpath,
		              sqlite3_errmsg(s->db));
		return -1;
	}
	return 0;
}

/* sqlite_lookup - run the query; results joined with ',' */
static int sqlite_lookup(struct cfg_map *m, const char *key, const char **value,
                         struct cfg_diags *diags)
{
	struct sq *s = m->priv;
	sqlite3_stmt *st;
	const char *rest;
	int r, rc, ret = 0;

	if ((r = cfgp_sql_query(&s->sql, key, diags)) <= 0)
		return r;
	if (sqlite3_prepare_v2(s->db, s->sql.query.data, -1, &st, &rest) != SQLITE_OK) {
		/* Postfix ends this message with a newline, which it prints as '?' */
		cfg_diags_add(diags, CFG_SEV_FATAL, "sqlite-query", NULL, 0, 0,
		              "dict_sqlite_lookup: %s: SQL prepare failed: %s?", m->name,
		              sqlite3_errmsg(s->db));
		return -1;
	}
	while ((rc = sqlite3_step(st)) != SQLITE_DONE) {
		if (rc != SQLITE_ROW) {
			cfg_diags_add(diags, CFG_SEV_WARNING, "sqlite-query", NULL, 0, 0,
			              "dict_sqlite_lookup: %s: SQL step failed for query '%s': %s?",
			              m->name, s->sql.query.data, sqlite3_errmsg(s->db));
			ret = -1;
			break;
		}
		if (cfgp_sql_result(&s->sql, (const char *)sqlite3_column_text(st, 0), key, diags)
		    < 0) {
			cfg_diags_add(
			    diags, CFG_SEV_WARNING, "sql-limit", NULL, 0, 0,
			    "dict_sqlite_lookup: %s: Expansion limit exceeded for key '%s'",
			    m->name, key);
			ret = -1;
			break;
		}
	}
	sqlite3_finalize(st);
	if (ret < 0)
		return -1;
	return cfgp_sql_answer(&s->sql, value);
}

/* sqlite_close - the database and the settings */
static void sqlite_close(struct cfg_map *m)
{
	struct sq *s = m->priv;

	if (s == NULL)
		return;
	if (s->db != NULL) /* NULL too when libsqlite3 could not be loaded */
		sqlite3_close(s->db);
	cfgp_sql_fini(&s->sql);
	free(s);
}

const struct cfgp_map_ops cfgp_map_sqlite_ops = {
    .type = "sqlite",
    .open = sqlite_open,
    .lookup = sqlite_lookup,
    .close = sqlite_close,
};
