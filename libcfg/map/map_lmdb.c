/*
 * map_lmdb.c - lmdb: tables (the one file that includes lmdb.h)
 *
 * The indexed file of table NAME is NAME.lmdb, one LMDB environment in one
 * file without a lock file (MDB_NOSUBDIR | MDB_NOLOCK), as Postfix makes
 * them, so that each reads what the other wrote.  Readers open it read-only:
 * writers never modify it in place.  As for hash: (map_gdbm.c) a build
 * writes a new file next to it, an update (postmap -d, -i) first copies the
 * current one, and cfg_map_commit() syncs the new file and renames it over
 * NAME.lmdb under an exclusive lock on NAME.lmdb.
 *
 * The map starts at Postfix's lmdb_map_size default (16 MiB) and doubles
 * when it is full: writes go in batches of BATCH records per transaction;
 * a batch that does not fit is aborted and replayed in the larger map.
 *
 * Keys and values carry a trailing NUL as Postfix stores them, unless
 * CFG_MAP_TRY0NULL alone is set (postmap -n); lookups try both forms.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <lmdb.h>

#include "cfg/base/fileio.h"
#include "cfg/base/dlib.h"
#include "cfg/base/xalloc.h"
#include "map_int.h"

/* the LMDB functions this file calls, loaded at the first open (cfg/base/dlib.h) */
#define LM_FUNCS(X)                                                                                \
	X(mdb_cursor_close)                                                                        \
	X(mdb_cursor_get)                                                                          \
	X(mdb_cursor_open)                                                                         \
	X(mdb_dbi_open)                                                                            \
	X(mdb_del)                                                                                 \
	X(mdb_env_close)                                                                           \
	X(mdb_env_create)                                                                          \
	X(mdb_env_info)                                                                            \
	X(mdb_env_open)                                                                            \
	X(mdb_env_set_mapsize)                                                                     \
	X(mdb_env_sync)                                                                            \
	X(mdb_get)                                                                                 \
	X(mdb_put)                                                                                 \
	X(mdb_strerror)                                                                            \
	X(mdb_txn_abort)                                                                           \
	X(mdb_txn_begin)                                                                           \
	X(mdb_txn_commit)                                                                          \
	X(mdb_txn_renew)                                                                           \
	X(mdb_txn_reset)
static struct {
	LM_FUNCS(CFG_DLIB_SLOT)
} lm_fn;
static const char *const lm_names[] = {LM_FUNCS(CFG_DLIB_NAME)};
static struct cfg_dlib lm_lib = {LMDB_SONAME, lm_names, CFG_DLIB_COUNT(lm_names), &lm_fn, 0, NULL};
#define mdb_cursor_close (lm_fn.mdb_cursor_close)
#define mdb_cursor_get (lm_fn.mdb_cursor_get)
#define mdb_cursor_open (lm_fn.mdb_cursor_open)
#define mdb_dbi_open (lm_fn.mdb_dbi_open)
#define mdb_del (lm_fn.mdb_del)
#define mdb_env_close (lm_fn.mdb_env_close)
#define mdb_env_create (lm_fn.mdb_env_create)
#define mdb_env_info (lm_fn.mdb_env_info)
#define mdb_env_open (lm_fn.mdb_env_open)
#define mdb_env_set_mapsize (lm_fn.mdb_env_set_mapsize)
#define mdb_env_sync (lm_fn.mdb_env_sync)
#define mdb_get (lm_fn.mdb_get)
#define mdb_put (lm_fn.mdb_put)
#define mdb_strerror (lm_fn.mdb_strerror)
#define mdb_txn_abort (lm_fn.mdb_txn_abort)
#define mdb_txn_begin (lm_fn.mdb_txn_begin)
#define mdb_txn_commit (lm_fn.mdb_txn_commit)
#define mdb_txn_renew (lm_fn.mdb_txn_renew)
#define mdb_txn_reset (lm_fn.mdb_txn_reset)

/* Postfix's lmdb_map_size default */
#define MAP_SIZE ((size_t)16 * 1024 * 1024)
/* records per write transaction */
#define BATCH 10000

/* one change of the current write transaction, kept to replay it */
struct op {
	char *key, *value; /* value NULL: a delete */
	size_t klen, vlen;
};

struct ldb {
	MDB_env *env;
	MDB_dbi dbi;
	MDB_txn *txn;    /* the write transaction, or the reader's (reset between lookups) */
	MDB_txn *seqtxn; /* sequence */
	MDB_cursor *cur;
	char *dbpath;  /* NAME.lmdb */
	char *tmppath; /* new file being written, or NULL */
	int lockfd;
	size_t mapsize;
	struct op *ops; /* the current batch */
	size_t nops, opcap;
	struct cfg_buf kbuf, vbuf;
};

/* env_error - "open database PATH: ERR" */
static void env_error(const char *path, int rc, struct cfg_diags *diags)
{
	cfg_diags_add(diags, CFG_SEV_FATAL, "map-open", path, 0, 0, "open database %s: %s", path,
	              mdb_strerror(rc));
}

/* env_open - open the environment in path: read-only, or for writing (no sync until commit) */
static int env_open(struct ldb *l, const char *path, int rdonly, struct cfg_diags *diags)
{
	unsigned flags = MDB_NOSUBDIR | MDB_NOLOCK | MDB_NOTLS;
	MDB_envinfo info;
	MDB_txn *txn;
	int rc;

	flags |= rdonly ? MDB_RDONLY : MDB_NOSYNC | MDB_NOMETASYNC;
	if ((rc = mdb_env_create(&l->env)) != 0
	    || (rc = mdb_env_set_mapsize(l->env, l->mapsize)) != 0
	    || (rc = mdb_env_open(l->env, path, flags, 0644)) != 0
	    || (rc = mdb_txn_begin(l->env, NULL, rdonly ? MDB_RDONLY : 0, &txn)) != 0) {
		env_error(l->dbpath, rc, diags);
		return -1;
	}
	if ((rc = mdb_dbi_open(txn, NULL, 0, &l->dbi)) != 0) {
		mdb_txn_abort(txn);
		env_error(l->dbpath, rc, diags);
		return -1;
	}
	l->txn = txn;
	/* an existing file keeps its (maybe larger) map size */
	if (mdb_env_info(l->env, &info) == 0 && info.me_mapsize > l->mapsize)
		l->mapsize = info.me_mapsize;
	if (rdonly)
		mdb_txn_reset(txn);
	return 0;
}

/* open_reader - NAME.lmdb read-only; a FIFO or device is refused, not waited on */
static int open_reader(struct ldb *l, struct cfg_diags *diags)
{
	struct stat st;

	if (stat(l->dbpath, &st) < 0) {
		env_error(l->dbpath, errno, diags);
		return -1;
	}
	if (!S_ISREG(st.st_mode)) {
		cfg_diags_add(diags, CFG_SEV_FATAL, "map-not-regular", l->dbpath, 0, 0,
		              "open database %s: not a regular file", l->dbpath);
		return -1;
	}
	return env_open(l, l->dbpath, 1, diags);
}

/* env_close - end the transactions and close the environment */
static void env_close(struct ldb *l)
{
	if (l->cur)
		mdb_cursor_close(l->cur);
	if (l->seqtxn)
		mdb_txn_abort(l->seqtxn);
	if (l->txn)
		mdb_txn_abort(l->txn);
	if (l->env)
		mdb_env_close(l->env);
	l->cur = NULL;
	l->seqtxn = l->txn = NULL;
	l->env = NULL;
}

/* copy_current - UPDATE/CREATE: lock NAME.lmdb, check it, copy it to the temp file fd */
static int copy_current(struct ldb *l, int fd, struct cfg_diags *diags)
{
	int src, bad, err;

	if ((l->lockfd = cfg_file_lock(l->dbpath, diags)) < 0)
		return -1;
	/* refuse a foreign file (or a FIFO) before copying it */
	if (open_reader(l, diags) < 0)
		return -1;
	env_close(l);
	if ((src = open(l->dbpath, O_RDONLY | O_CLOEXEC)) < 0) {
		env_error(l->dbpath, errno, diags);
		return -1;
	}
	bad = cfgp_mapfile_copy(src, fd);
	err = errno;
	close(src);
	if (bad) {
		cfg_diags_add(diags, CFG_SEV_FATAL, "map-open", l->dbpath, 0, 0, "copy %s: %s",
		              l->dbpath, strerror(err));
		return -1;
	}
	return 0;
}

/* open_writer - BUILD: a fresh temp table; UPDATE/CREATE: a temp copy of the current one */
static int open_writer(struct cfg_map *m, struct ldb *l, struct cfg_diags *diags)
{
	int exists = access(l->dbpath, F_OK) == 0, fd;

	if (m->mode == CFG_MAP_UPDATE && !exists) {
		env_error(l->dbpath, ENOENT, diags);
		return -1;
	}
	if ((fd = cfgp_mapfile_temp(l->dbpath, &l->tmppath, diags)) < 0)
		return -1;
	if (m->mode != CFG_MAP_BUILD && exists && copy_current(l, fd, diags) < 0) {
		close(fd);
		return -1;
	}
	close(fd);
	return env_open(l, l->tmppath, 0, diags);
}

/* ldb_close - release everything; an uncommitted temp file is removed */
static void ldb_close(struct cfg_map *m)
{
	struct ldb *l = m->priv;

	if (l == NULL)
		return;
	env_close(l);
	if (l->tmppath) {
		unlink(l->tmppath);
		free(l->tmppath);
	}
	cfg_file_unlock(l->lockfd);
	for (size_t i = 0; i < l->nops; i++) {
		free(l->ops[i].key);
		free(l->ops[i].value);
	}
	free(l->ops);
	free(l->dbpath);
	cfg_buf_fini(&l->kbuf);
	cfg_buf_fini(&l->vbuf);
	free(l);
	m->priv = NULL;
}

/* ldb_open - open NAME.lmdb in the map's mode */
static int ldb_open(struct cfg_map *m, struct cfg_diags *diags)
{
	struct ldb *l = cfg_xcalloc(1, sizeof(*l));

	m->priv = l;
	l->lockfd = -1;
	l->mapsize = MAP_SIZE;
	l->dbpath = cfg_xasprintf("%s.lmdb", m->name);
	cfg_buf_init(&l->kbuf);
	cfg_buf_init(&l->vbuf);
	if (!(m->flags & (CFG_MAP_TRY0NULL | CFG_MAP_TRY1NULL)))
		m->flags |= CFG_MAP_TRY0NULL | CFG_MAP_TRY1NULL;
	if (cfgp_map_dlib(m, &lm_lib, diags) < 0
	    || (m->mode == CFG_MAP_READ ? open_reader(l, diags) : open_writer(m, l, diags)) < 0)
		return -1;
	return 0;
}

/* set_error - the error text of an LMDB status */
static int set_error(struct cfg_map *m, int rc)
{
	cfgp_map_set_error(m, mdb_strerror(rc));
	return -1;
}

/* read_txn - the transaction lookups use: the write one, or the renewed reader's */
static int read_txn(struct cfg_map *m, struct ldb *l)
{
	int rc;

	if (m->mode != CFG_MAP_READ)
		return 0;
	if ((rc = mdb_txn_renew(l->txn)) != 0)
		return set_error(m, rc);
	return 0;
}

/* a key of a lookup or delete, for cfgp_map_try_nul(); rc is LMDB's last status */
struct ldb_key {
	struct ldb *l;
	const char *key;
	int rc;
};

/* fetch_op - look up one form of the key; 1 found (value in vbuf), 0 absent, -1 error */
static int fetch_op(void *ctx, int with_nul)
{
	struct ldb_key *k = ctx;
	MDB_val kv, v;

	kv.mv_data = (void *)k->key;
	kv.mv_size = strlen(k->key) + (size_t)with_nul;
	if (kv.mv_size == 0)
		return 0;
	k->rc = mdb_get(k->l->txn, k->l->dbi, &kv, &v);
	/* a key longer than LMDB allows cannot be in the table */
	if (k->rc == MDB_NOTFOUND || k->rc == MDB_BAD_VALSIZE)
		return 0;
	if (k->rc != 0)
		return -1;
	cfg_buf_reset(&k->l->vbuf);
	cfg_buf_add(&k->l->vbuf, v.mv_data, v.mv_size);
	return 1;
}

/* ldb_lookup - try the NUL-terminated form, then the bare one, as the flags allow */
static int ldb_lookup(struct cfg_map *m, const char *key, const char **value,
                      struct cfg_diags *diags)
{
	struct ldb_key k = {m->priv, key, 0};
	int ret;

	(void)diags;
	if (read_txn(m, k.l) < 0)
		return -1;
	ret = cfgp_map_try_nul(m, fetch_op, &k);
	if (m->mode == CFG_MAP_READ)
		mdb_txn_reset(k.l->txn);
	if (ret < 0)
		return set_error(m, k.rc);
	if (ret == 1)
		*value = k.l->vbuf.data;
	return ret;
}

/* apply - one change in the write transaction; MDB_KEYEXIST when noover and the key exists */
static int apply(struct ldb *l, const struct op *o, unsigned putflags)
{
	MDB_val k = {o->klen, o->key}, v = {o->vlen, o->value};

	if (o->value == NULL)
		return mdb_del(l->txn, l->dbi, &k, NULL);
	return mdb_put(l->txn, l->dbi, &k, &v, putflags);
}

/* grow - the map is full: abort the batch, double the map and replay the batch */
static int grow(struct ldb *l)
{
	int rc;

	mdb_txn_abort(l->txn);
	l->txn = NULL;
	for (;;) {
		size_t i;

		l->mapsize *= 2;
		if ((rc = mdb_env_set_mapsize(l->env, l->mapsize)) != 0
		    || (rc = mdb_txn_begin(l->env, NULL, 0, &l->txn)) != 0)
			return rc;
		for (i = 0, rc = 0; i < l->nops && rc == 0; i++)
			rc = apply(l, &l->ops[i], 0);
		if (rc != MDB_MAP_FULL)
			return rc;
		mdb_txn_abort(l->txn);
		l->txn = NULL;
	}
}

/* flush - commit the batch (growing the map as needed) and start the next transaction */
static int flush(struct ldb *l)
{
	int rc;

	while ((rc = mdb_txn_commit(l->txn)) == MDB_MAP_FULL) {
		/* a failed commit has freed the transaction */
		if ((rc = mdb_txn_begin(l->env, NULL, 0, &l->txn)) != 0 || (rc = grow(l)) != 0)
			break;
	}
	l->txn = NULL;
	for (size_t i = 0; i < l->nops; i++) {
		free(l->ops[i].key);
		free(l->ops[i].value);
	}
	l->nops = 0;
	if (rc != 0)
		return rc;
	return mdb_txn_begin(l->env, NULL, 0, &l->txn);
}

/* change - apply one change, growing the map when full; it joins the batch when it took effect */
static int change(struct ldb *l, const char *key, const char *value, int with_nul,
                  unsigned putflags)
{
	struct op o;
	int rc;

	o.key = (char *)key;
	o.klen = strlen(key) + (with_nul ? 1 : 0);
	o.value = (char *)value;
	o.vlen = value ? strlen(value) + (with_nul ? 1 : 0) : 0;
	while ((rc = apply(l, &o, putflags)) == MDB_MAP_FULL)
		if ((rc = grow(l)) != 0)
			return rc;
	if (rc != 0)
		return rc;
	if (l->nops == l->opcap) {
		l->opcap = l->opcap ? 2 * l->opcap : 64;
		l->ops = cfg_xrealloc(l->ops, l->opcap * sizeof(*l->ops));
	}
	o.key = cfg_xstrdup(key);
	o.value = value ? cfg_xstrdup(value) : NULL;
	l->ops[l->nops++] = o;
	return l->nops >= BATCH ? flush(l) : 0;
}

/* ldb_update - insert, applying the duplicate policy */
static int ldb_update(struct cfg_map *m, const char *key, const char *value,
                      struct cfg_diags *diags)
{
	struct ldb *l = m->priv;
	int rc;

	if (m->mode == CFG_MAP_READ) {
		cfg_diags_add(diags, CFG_SEV_FATAL, "map-readonly", NULL, 0, 0,
		              "%s: table is open read-only", m->label);
		return -1;
	}
	rc = change(l, key, value, cfgp_map_store_nul(m),
	            m->flags & CFG_MAP_DUP_REPLACE ? 0 : MDB_NOOVERWRITE);
	if (rc == MDB_KEYEXIST)
		return cfgp_map_dup(m, m->label, key, diags) < 0 ? -1 : 1;
	if (rc != 0)
		return set_error(m, rc);
	return 0;
}

/* delete_op - delete one form of the key: 1, 0 absent, -1 error */
static int delete_op(void *ctx, int with_nul)
{
	struct ldb_key *k = ctx;

	if (strlen(k->key) + (size_t)with_nul == 0)
		return 0;
	if ((k->rc = change(k->l, k->key, NULL, with_nul, 0)) == 0)
		return 1;
	return k->rc == MDB_NOTFOUND || k->rc == MDB_BAD_VALSIZE ? 0 : -1;
}

/* ldb_delete - remove key in either NUL form */
static int ldb_delete(struct cfg_map *m, const char *key, struct cfg_diags *diags)
{
	struct ldb_key k = {m->priv, key, 0};
	int ret;

	(void)diags;
	if (m->mode == CFG_MAP_READ)
		return set_error(m, EACCES);
	if ((ret = cfgp_map_try_nul(m, delete_op, &k)) < 0)
		return set_error(m, k.rc);
	return ret;
}

/* ldb_seq - iterate over every record in key order */
static int ldb_seq(struct cfg_map *m, int first, const char **key, const char **value,
                   struct cfg_diags *diags)
{
	struct ldb *l = m->priv;
	MDB_val k, v;
	int rc;

	(void)diags;
	if (first) {
		if (l->cur)
			mdb_cursor_close(l->cur);
		l->cur = NULL;
		if (l->seqtxn)
			mdb_txn_abort(l->seqtxn);
		l->seqtxn = NULL;
		if (m->mode == CFG_MAP_READ
		    && (rc = mdb_txn_begin(l->env, NULL, MDB_RDONLY, &l->seqtxn)) != 0)
			return set_error(m, rc);
		rc = mdb_cursor_open(l->seqtxn ? l->seqtxn : l->txn, l->dbi, &l->cur);
		if (rc != 0)
			return set_error(m, rc);
	} else if (l->cur == NULL) {
		return 0;
	}
	rc = mdb_cursor_get(l->cur, &k, &v, first ? MDB_FIRST : MDB_NEXT);
	if (rc == MDB_NOTFOUND)
		return 0;
	if (rc != 0)
		return set_error(m, rc);
	cfg_buf_reset(&l->kbuf);
	cfg_buf_add(&l->kbuf, k.mv_data, k.mv_size);
	cfg_buf_reset(&l->vbuf);
	cfg_buf_add(&l->vbuf, v.mv_data, v.mv_size);
	*key = l->kbuf.data;
	*value = l->vbuf.data;
	return 1;
}

/* ldb_commit - commit the last batch, sync the new file and rename it over NAME.lmdb */
static int ldb_commit(struct cfg_map *m, mode_t mode, struct cfg_diags *diags)
{
	struct ldb *l = m->priv;
	int rc;

	if (l->tmppath == NULL)
		return 0;
	if (l->cur)
		mdb_cursor_close(l->cur);
	l->cur = NULL;
	if ((rc = flush(l)) != 0 || (rc = mdb_env_sync(l->env, 1)) != 0) {
		cfg_diags_add(diags, CFG_SEV_FATAL, "map-write", l->dbpath, 0, 0,
		              "table %s: write error: %s", m->label, mdb_strerror(rc));
		return -1;
	}
	env_close(l);
	if (cfgp_mapfile_install(l->tmppath, l->dbpath, mode, diags) < 0)
		return -1;
	free(l->tmppath);
	l->tmppath = NULL;
	cfg_file_unlock(l->lockfd);
	l->lockfd = -1;
	return open_reader(l, diags);
}

const struct cfgp_map_ops cfgp_map_lmdb_ops = {
    .type = "lmdb",
    .open = ldb_open,
    .lookup = ldb_lookup,
    .update = ldb_update,
    .del = ldb_delete,
    .seq = ldb_seq,
    .commit = ldb_commit,
    .close = ldb_close,
};
