/*
 * map_memcache.c - memcache: tables (memcache_table(5)) over memcached's text protocol
 *
 * NAME is a client file (map_client.c): memcache = inet:host:port or
 * unix:/path (default inet:localhost:11211), backup = type:name, key_format
 * (%s %u %d %1-%9 as the SQL tables), domain, flags, ttl, data_size_limit,
 * line_size_limit, max_try, retry_pause, timeout.  A lookup asks memcached
 * ("get KEY"); on a miss it asks the backup table and stores its answer
 * ("set KEY FLAGS TTL LEN").  Updates and deletes go to both; sequences
 * walk the backup.  A key that key_format or domain rules out, or that
 * holds white space or control characters, is not looked up.
 *
 * The plain text protocol is spoken directly (not libmemcached): Postfix
 * speaks it too, it is a few lines, and its replies and errors map one to
 * one onto Postfix's messages.  One connection is kept for the table's life
 * (Nagle off, each command in one write, replies read through a buffer) and
 * reopened after any failed try; a command is tried max_try times,
 * retry_pause seconds apart, with a warning about each failed try after the
 * first, except when no connection can be made.  A reply that is not what
 * the protocol says is a failed try, never a hang beyond the timeout.
 * Postfix's messages are matched, including the reason it appends to
 * "query error" (its errno: "Connection timed out" after a timeout, else
 * "Operation now in progress" after an inet connection, "Application
 * error" after a UNIX-domain one).
 */
#include "config.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cfg/base/xalloc.h"
#include "map_int.h"

struct mc {
	struct cfgp_client *c;
	struct cfgp_dbq q;
	struct cfgp_endpoint ep;
	struct cfg_map *backup; /* or NULL */
	const char *key_format;
	long flags, ttl, data_limit, line_limit, max_try, retry_pause, timeout_ms;
	struct cfgp_sock sock;
	struct cfg_buf req;   /* a command and its data, sent in one write */
	struct cfg_buf key;   /* the memcache key */
	struct cfg_buf line;  /* a reply line */
	struct cfg_buf value; /* the value found */
	struct cfg_buf fail;  /* the warning about a failed try */
	const char *why;      /* the reason of a failed try, for cfg_map_error() */
};

/* mc_close - release everything */
static void mc_close(struct cfg_map *m)
{
	struct mc *x = m->priv;

	if (x == NULL)
		return;
	cfgp_sock_close(&x->sock);
	cfg_map_free(x->backup);
	cfgp_dbq_fini(&x->q);
	cfgp_endpoint_fini(&x->ep);
	cfgp_client_free(x->c);
	cfg_buf_fini(&x->req);
	cfg_buf_fini(&x->key);
	cfg_buf_fini(&x->line);
	cfg_buf_fini(&x->value);
	cfg_buf_fini(&x->fail);
	free(x);
	m->priv = NULL;
}

/* read_numbers - the numerical settings with Postfix's defaults and minimums */
static int read_numbers(struct mc *x, struct cfg_diags *diags)
{
	long timeout;

	if (cfgp_client_int(x->c, "flags", 0, 0, 0, &x->flags, diags) < 0
	    || cfgp_client_int(x->c, "ttl", 3600, 0, 0, &x->ttl, diags) < 0
	    || cfgp_client_int(x->c, "data_size_limit", 10240, 1, 0, &x->data_limit, diags) < 0
	    || cfgp_client_int(x->c, "line_size_limit", 1024, 1, 0, &x->line_limit, diags) < 0
	    || cfgp_client_int(x->c, "max_try", 2, 1, 0, &x->max_try, diags) < 0
	    || cfgp_client_int(x->c, "retry_pause", 1, 1, 0, &x->retry_pause, diags) < 0
	    || cfgp_client_int(x->c, "timeout", 2, 1, 0, &timeout, diags) < 0)
		return -1;
	x->timeout_ms = timeout * 1000;
	return 0;
}

/* mc_open - read the client file, open the backup table; connect at the first command */
static int mc_open(struct cfg_map *m, struct cfg_diags *diags)
{
	struct mc *x = cfg_xcalloc(1, sizeof(*x));
	const char *server, *backup;

	m->priv = x;
	cfgp_sock_init(&x->sock);
	cfgp_dbq_init(&x->q, m);
	cfg_buf_init(&x->req);
	cfg_buf_init(&x->key);
	cfg_buf_init(&x->line);
	cfg_buf_init(&x->value);
	cfg_buf_init(&x->fail);
	if ((x->c = cfgp_client_open(m, diags)) == NULL)
		return -1;
	if (read_numbers(x, diags) < 0
	    || cfgp_client_str(x->c, "memcache", "inet:localhost:11211", 0, 0, &server, diags) < 0
	    || cfgp_client_str(x->c, "key_format", "%s", 1, 0, &x->key_format, diags) < 0
	    || cfgp_client_str(x->c, "backup", "", 0, 0, &backup, diags) < 0
	    || cfgp_dbq_parse(&x->q, x->key_format, 1, diags) < 0
	    || cfgp_dbq_domain(&x->q, x->c, diags) < 0)
		return -1;
	/* postfix check: settings it does not know are postconf's scan ("unused parameter") */
	if ((m->flags & CFG_MAP_CHECK) && !cfgp_client_has(x->c, "memcache"))
		cfg_diags_add(
		    diags, CFG_SEV_WARNING, "client-memcache", m->name, 0, 0,
		    "%s: no \"memcache\" server setting: Postfix uses inet:localhost:11211",
		    m->name);
	if (cfgp_endpoint_parse(&x->ep, server, diags) < 0) {
		/* postfix check: at the line of the client file that names the server */
		if ((m->flags & CFG_MAP_CHECK) && diags && diags->n && !diags->v[diags->n - 1].file
		    && cfgp_client_has(x->c, "memcache")) {
			diags->v[diags->n - 1].file = cfg_xstrdup(m->name);
			diags->v[diags->n - 1].line = cfgp_client_line(x->c, "memcache");
		}
		return -1;
	}
	if (*backup
	    && cfg_map_open(backup, m->mode, m->flags & ~CFG_MAP_CHECK, &x->backup, diags) < 0)
		return -1;
	return 0;
}

/* valid_key - expand key_format into x->key: 1, or 0 when the key is not looked up */
static int valid_key(struct cfg_map *m, struct mc *x, const char *key, struct cfg_diags *diags)
{
	int r;

	if (*key == 0 || (r = cfgp_dbq_check_domain(&x->q, key, diags)) == 0)
		return 0;
	if (r < 0)
		return -1;
	cfg_buf_reset(&x->key);
	if (cfgp_dbq_expand(&x->q, x->key_format, key, NULL, &x->key, diags) != 1)
		return 0;
	for (const char *p = x->key.data; *p; p++)
		if ((unsigned char)*p <= ' ' || *p == 0x7f)
			return 0;
	(void)m;
	return x->key.len > 0;
}

/* drop - close the connection */
static void drop(struct mc *x)
{
	cfgp_sock_close(&x->sock);
}

/*
 * io_failed - a try failed on I/O (r is what the socket send or read
 * returned): Postfix's reason is its errno then, ETIMEDOUT after a timeout.
 * Always 0 (a failed try).
 */
static int io_failed(struct cfg_map *m, struct mc *x, int r)
{
	if (r == -2)
		x->why = strerror(ETIMEDOUT);
	cfg_buf_reset(&x->fail);
	cfg_buf_printf(&x->fail, "database %s: I/O error: %s", m->label, x->why);
	return 0;
}

/* reply_failed - the server said something else: Postfix's warning with at most 30 bytes of it */
static int reply_failed(struct cfg_map *m, struct mc *x, int db, const char *what)
{
	cfg_buf_reset(&x->fail);
	cfg_buf_printf(&x->fail, "%s%s: %s: %.30s", db ? "database " : "", db ? m->label : m->name,
	               what, x->line.data);
	return 0;
}

/* read_line - the next reply line without CRLF into x->line: 0, or <0 as cfgp_sock_line() */
static int read_line(struct mc *x)
{
	int r = cfgp_sock_line(&x->sock, &x->line, (size_t)x->line_limit, (int)x->timeout_ms);

	if (r == 0 && x->line.len > 0 && x->line.data[x->line.len - 1] == '\r')
		cfg_buf_truncate(&x->line, x->line.len - 1);
	return r;
}

/* send_read - send x->req, read the first reply line into x->line: 1, or 0 (io_failed) */
static int send_read(struct cfg_map *m, struct mc *x)
{
	int r = cfgp_sock_send(&x->sock, x->req.data, x->req.len, (int)x->timeout_ms);

	if (r == 0)
		r = read_line(x);
	return r < 0 ? io_failed(m, x, r) : 1;
}

/*
 * get_try - one "get": 1 with *found (1, value in x->value; 0 absent), or
 * 0 after a failure described in x->fail.  A value whose END line is
 * missing is still an answer; the connection is closed.
 */
static int get_try(struct cfg_map *m, struct mc *x, int *found)
{
	long len;
	int r;

	if (send_read(m, x) == 0)
		return 0;
	if (strcmp(x->line.data, "END") == 0) {
		*found = 0;
		return 1;
	}
	if (sscanf(x->line.data, "VALUE %*s %*s %ld", &len) != 1 || len < 0 || len > x->data_limit)
		return reply_failed(m, x, 0, "unexpected memcache server reply");
	/* the data and its CRLF */
	cfg_buf_reset(&x->value);
	r = cfgp_sock_read(&x->sock, &x->value, (size_t)len + 2, (int)x->timeout_ms);
	if (r < 0 || memcmp(x->value.data + len, "\r\n", 2) != 0) {
		if (r < 0)
			(void)io_failed(m, x, r);
		cfg_buf_reset(&x->fail);
		cfg_buf_printf(&x->fail, "%s: EOF receiving memcache server reply", m->name);
		return 0;
	}
	cfg_buf_truncate(&x->value, (size_t)len);
	if (read_line(x) < 0 || strcmp(x->line.data, "END") != 0)
		drop(x);
	*found = 1;
	return 1;
}

/* set_try - one "set": 1 stored, or 0 after a failure described in x->fail */
static int set_try(struct cfg_map *m, struct mc *x, int *res)
{
	if (send_read(m, x) == 0)
		return 0;
	if (strcmp(x->line.data, "STORED") == 0)
		return *res = 1;
	return reply_failed(m, x, 1, "update failed");
}

/* del_try - one "delete": 1 with *res (1 deleted, 0 not found), or 0 after a failure */
static int del_try(struct cfg_map *m, struct mc *x, int *res)
{
	if (send_read(m, x) == 0)
		return 0;
	if ((*res = strcmp(x->line.data, "DELETED") == 0) || strcmp(x->line.data, "NOT_FOUND") == 0)
		return 1;
	return reply_failed(m, x, 1, "delete failed");
}

/*
 * command - send x->req and read the reply with try(), connecting and
 * retrying as configured.  0 with *res, or -1: *why is the reason for
 * cfg_map_error().  As Postfix, each failed try after the first is warned
 * about; a failed connection ends the tries at once.
 */
static int command(struct cfg_map *m, struct mc *x,
                   int (*try)(struct cfg_map *, struct mc *, int *), int *res, const char **why,
                   struct cfg_diags *diags)
{
	for (long count = 0; count < x->max_try; count++) {
		if (count > 0)
			sleep((unsigned)x->retry_pause);
		if (x->sock.fd < 0 && cfgp_sock_open(&x->sock, &x->ep, (int)x->timeout_ms) < 0) {
			*why = strerror(errno);
			cfg_diags_add(diags, CFG_SEV_WARNING, "map-memcache", NULL, 0, 0,
			              "connect to %s: %s", x->ep.endpoint, *why);
			return -1;
		}
		x->why = x->ep.is_unix ? "Application error" : strerror(EINPROGRESS);
		if (try(m, x, res))
			return 0;
		drop(x);
		if (count > 0)
			cfg_diags_add(diags, CFG_SEV_WARNING, "map-memcache", NULL, 0, 0, "%s",
			              x->fail.data);
	}
	*why = x->why;
	return -1;
}

/* get - "get KEY": 1 found (x->value), 0 not, -1 error (warned; *why set) */
static int get(struct cfg_map *m, struct mc *x, const char **why, struct cfg_diags *diags)
{
	int found = 0;

	cfg_buf_reset(&x->req);
	cfg_buf_printf(&x->req, "get %s\r\n", x->key.data);
	return command(m, x, get_try, &found, why, diags) < 0 ? -1 : found;
}

/* set - "set KEY FLAGS TTL LEN" value; 0 stored or not storable (warned), -1 error */
static int set(struct cfg_map *m, struct mc *x, const char *value, struct cfg_diags *diags)
{
	const char *why = "";
	int stored = 0;

	if ((long)strlen(value) > x->data_limit) {
		cfg_diags_add(diags, CFG_SEV_WARNING, "map-memcache", NULL, 0, 0,
		              "database %s: data for key %s is too long (data_size_limit=%ld) -- "
		              "not stored",
		              m->label, x->key.data, x->data_limit);
		return 0;
	}
	cfg_buf_reset(&x->req);
	cfg_buf_printf(&x->req, "set %s %ld %ld %zu\r\n%s\r\n", x->key.data, x->flags, x->ttl,
	               strlen(value), value);
	if (command(m, x, set_try, &stored, &why, diags) == 0)
		return 0;
	cfgp_map_set_error(m, why);
	return -1;
}

/* mc_lookup - memcached first, then the backup table (whose answer is stored) */
static int mc_lookup(struct cfg_map *m, const char *key, const char **value,
                     struct cfg_diags *diags)
{
	struct mc *x = m->priv;
	const char *why = "", *v;
	int r;

	if ((r = valid_key(m, x, key, diags)) <= 0)
		return r;
	if ((r = get(m, x, &why, diags)) == 1) {
		*value = x->value.data;
		return 1;
	}
	if (x->backup == NULL) {
		if (r < 0)
			cfgp_map_set_error(m, why);
		return r;
	}
	if ((r = cfg_map_lookup(x->backup, key, &v, diags)) < 0) {
		cfgp_map_set_error(m, cfg_map_error(x->backup));
		return -1;
	}
	if (r == 0)
		return 0;
	cfg_buf_reset(&x->value);
	cfg_buf_adds(&x->value, v);
	(void)set(m, x, x->value.data, diags);
	*value = x->value.data;
	return 1;
}

/* mc_update - the backup table, then memcached */
static int mc_update(struct cfg_map *m, const char *key, const char *value, struct cfg_diags *diags)
{
	struct mc *x = m->priv;
	int r = 0;

	if (x->backup && (r = cfg_map_update(x->backup, key, value, diags)) < 0) {
		cfgp_map_set_error(m, cfg_map_error(x->backup));
		return -1;
	}
	if (valid_key(m, x, key, diags) == 1 && set(m, x, value, diags) < 0 && x->backup == NULL)
		return -1;
	return r;
}

/* mc_delete - from memcached and the backup table: 1 when either had it */
static int mc_delete(struct cfg_map *m, const char *key, struct cfg_diags *diags)
{
	struct mc *x = m->priv;
	const char *why = "";
	int found = 0, r;

	if (valid_key(m, x, key, diags) == 1) {
		cfg_buf_reset(&x->req);
		cfg_buf_printf(&x->req, "delete %s\r\n", x->key.data);
		if (command(m, x, del_try, &found, &why, diags) < 0 && x->backup == NULL) {
			cfgp_map_set_error(m, why);
			return -1;
		}
	}
	if (x->backup && (r = cfg_map_delete(x->backup, key, diags)) != 0) {
		if (r < 0) {
			cfgp_map_set_error(m, cfg_map_error(x->backup));
			return -1;
		}
		found = 1;
	}
	return found;
}

/* mc_seq - the backup table's entries */
static int mc_seq(struct cfg_map *m, int first, const char **key, const char **value,
                  struct cfg_diags *diags)
{
	struct mc *x = m->priv;
	int r;

	if (x->backup == NULL) {
		cfg_diags_add(diags, CFG_SEV_WARNING, "map-memcache", NULL, 0, 0,
		              "database %s: first/next support requires backup database", m->label);
		return 0;
	}
	if ((r = cfg_map_seq(x->backup, first, key, value, diags)) < 0)
		cfgp_map_set_error(m, cfg_map_error(x->backup));
	return r;
}

/* mc_commit - the backup table's changes */
static int mc_commit(struct cfg_map *m, mode_t mode, struct cfg_diags *diags)
{
	struct mc *x = m->priv;

	return x->backup ? cfg_map_commit(x->backup, mode, diags) : 0;
}

const struct cfgp_map_ops cfgp_map_memcache_ops = {
    .type = "memcache",
    .open = mc_open,
    .lookup = mc_lookup,
    .update = mc_update,
    .del = mc_delete,
    .seq = mc_seq,
    .commit = mc_commit,
    .close = mc_close,
};
