/*
 * map_gdbm.c - hash:, btree: and gdbm: tables on GDBM (the one file that includes gdbm.h)
 *
 * The indexed file of table NAME is NAME.db.  Readers open it read-only
 * without locks: writers never modify it in place.  A build writes a new
 * GDBM file next to it (NAME.db.XXXXXX) and an update (postmap -d, -i) first
 * copies the current file there; cfg_map_commit() syncs the new file and
 * renames it over NAME.db, under an exclusive lock on NAME.db that
 * serialises writers.  A failed or abandoned write removes its temporary
 * file and leaves NAME.db untouched.
 *
 * Keys and values are stored the way Postfix stores them on Linux: with a
 * trailing NUL unless CFG_MAP_TRY0NULL alone is set (postmap -n); lookups
 * try both forms unless one was asked for, and remember which one worked.
 * btree: sequences in sorted key order (as a Berkeley DB btree does); hash:
 * and gdbm: in GDBM's hash order.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <gdbm.h>

#include "cfg/base/fileio.h"
#include "cfg/base/strvec.h"
#include "cfg/base/xalloc.h"
#include "map_int.h"

/* buckets GDBM keeps in memory while writing (GDBM_SETCACHESIZE) */
#define WRITE_CACHE_BUCKETS 1000

struct gdb {
	GDBM_FILE dbf;
	char *dbpath;           /* NAME.db */
	char *tmppath;          /* new file being written, or NULL */
	int lockfd;             /* exclusive lock on NAME.db while writing, or -1 */
	int sorted;             /* btree: sequence in key order */
	datum seqkey;           /* gdbm_nextkey() cursor */
	struct cfg_strvec keys; /* btree: sorted keys for sequence */
	size_t keypos;
	struct cfg_buf kbuf; /* last key returned */
	struct cfg_buf vbuf; /* last value returned */
};

/* gdbm_reason - text for the last GDBM error (system errors via strerror) */
static const char *gdbm_reason(int saved_errno)
{
	if (gdbm_syserr[gdbm_errno] && saved_errno)
		return strerror(saved_errno);
	return gdbm_strerror(gdbm_errno);
}

/* foreign - is this open failure a file that is not a GDBM database? */
static int foreign(void)
{
	switch (gdbm_errno) {
	case GDBM_BAD_MAGIC_NUMBER:
	case GDBM_EMPTY_DATABASE:
	case GDBM_BAD_FILE_OFFSET:
	case GDBM_BAD_HEADER:
	case GDBM_BAD_HASH_TABLE:
	case GDBM_BAD_DIR_ENTRY:
	case GDBM_BAD_BUCKET:
	case GDBM_BAD_AVAIL:
	case GDBM_FILE_EOF:
	case GDBM_BLOCK_SIZE_ERROR:
		return 1;
	default:
		return 0;
	}
}

/* open_error - the fatal diagnostic for a failed open of the .db file */
static void open_error(const char *dbpath, int saved_errno, struct cfg_diags *diags)
{
	if (foreign())
		cfg_diags_add(diags, CFG_SEV_FATAL, "map-foreign", dbpath, 0, 0,
		              "open database %s: not a postkit (GDBM) table; a Berkeley DB file "
		              "made by Postfix? Rebuild it from its source with postmap (postalias "
		              "for aliases)",
		              dbpath);
	else
		cfg_diags_add(diags, CFG_SEV_FATAL, "map-open", dbpath, 0, 0,
		              "open database %s: %s", dbpath, gdbm_reason(saved_errno));
}

/* not_regular - the diagnostic for a NAME.db that is a FIFO, device or directory */
static void not_regular(const char *path, struct cfg_diags *diags)
{
	cfg_diags_add(diags, CFG_SEV_FATAL, "map-not-regular", path, 0, 0,
	              "open database %s: not a regular file", path);
}

/*
 * open_reader - open path read-only; NULL with a diagnostic.  Never blocks:
 * a FIFO (or device) in place of the .db file is refused, not waited on.
 */
static GDBM_FILE open_reader(const char *path, struct cfg_diags *diags)
{
	int fd = open(path, O_RDONLY | O_NONBLOCK | O_NOCTTY | O_CLOEXEC);
	struct stat st;
	GDBM_FILE dbf;

	if (fd < 0) {
		cfg_diags_add(diags, CFG_SEV_FATAL, "map-open", path, 0, 0, "open database %s: %s",
		              path, strerror(errno));
		return NULL;
	}
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode)) {
		not_regular(path, diags);
		close(fd);
		return NULL;
	}
	(void)fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) & ~O_NONBLOCK);
	dbf = gdbm_fd_open(fd, path, 0, GDBM_READER | GDBM_NOLOCK | GDBM_CLOERROR, NULL);
	if (dbf == NULL)
		open_error(path, errno, diags);
	return dbf;
}

/* open_writer - BUILD: a fresh temp table; UPDATE/CREATE: a temp copy of the current one */
static int open_writer(struct cfg_map *m, struct gdb *g, struct cfg_diags *diags)
{
	int fd, src = -1, exists;
	int cache = WRITE_CACHE_BUCKETS;
	int gflags = GDBM_NOLOCK | GDBM_CLOERROR;

	exists = access(g->dbpath, F_OK) == 0;
	if (m->mode == CFG_MAP_UPDATE && !exists) {
		cfg_diags_add(diags, CFG_SEV_FATAL, "map-open", g->dbpath, 0, 0,
		              "open database %s: %s", g->dbpath, strerror(ENOENT));
		return -1;
	}
	if (m->mode != CFG_MAP_BUILD && exists) {
		GDBM_FILE probe;
		struct stat st;

		/* the lock and the copy below would block on a FIFO */
		if (stat(g->dbpath, &st) == 0 && !S_ISREG(st.st_mode)) {
			not_regular(g->dbpath, diags);
			return -1;
		}
		if ((g->lockfd = cfg_file_lock(g->dbpath, diags)) < 0)
			return -1;
		/* refuse a foreign file before copying it */
		if ((probe = open_reader(g->dbpath, diags)) == NULL)
			return -1;
		gdbm_close(probe);
		if ((src = open(g->dbpath, O_RDONLY | O_CLOEXEC)) < 0) {
			cfg_diags_add(diags, CFG_SEV_FATAL, "map-open", g->dbpath, 0, 0,
			              "open database %s: %s", g->dbpath, strerror(errno));
			return -1;
		}
	}
	if ((fd = cfgp_mapfile_temp(g->dbpath, &g->tmppath, diags)) < 0) {
		if (src >= 0)
			close(src);
		return -1;
	}
	if (src >= 0) {
		int bad = cfgp_mapfile_copy(src, fd);
		int err = errno;

		close(src);
		if (!bad && lseek(fd, 0, SEEK_SET) < 0) {
			bad = 1;
			err = errno;
		}
		if (bad) {
			cfg_diags_add(diags, CFG_SEV_FATAL, "map-open", g->dbpath, 0, 0,
			              "copy %s: %s", g->dbpath, strerror(err));
			close(fd);
			return -1;
		}
		gflags |= GDBM_WRITER;
	} else {
		gflags |= GDBM_NEWDB;
	}
	/*
	 * Writers do not mmap: GDBM remaps the whole file each time it grows,
	 * which makes a 100,000-entry build 3-4 times slower than plain writes.
	 */
	g->dbf = gdbm_fd_open(fd, g->tmppath, 0, gflags | GDBM_NOMMAP, NULL);
	if (g->dbf == NULL) {
		open_error(g->dbpath, errno, diags);
		return -1;
	}
	(void)gdbm_setopt(g->dbf, GDBM_SETCACHESIZE, &cache, sizeof(cache));
	return 0;
}

/* gdb_close - release everything; an uncommitted temp file is removed */
static void gdb_close(struct cfg_map *m)
{
	struct gdb *g = m->priv;

	if (g == NULL)
		return;
	if (g->dbf)
		gdbm_close(g->dbf);
	if (g->tmppath) {
		unlink(g->tmppath);
		free(g->tmppath);
	}
	cfg_file_unlock(g->lockfd);
	free(g->seqkey.dptr);
	free(g->dbpath);
	cfg_strvec_fini(&g->keys);
	cfg_buf_fini(&g->kbuf);
	cfg_buf_fini(&g->vbuf);
	free(g);
	m->priv = NULL;
}

/* gdb_open - open NAME.db in the map's mode */
static int gdb_open(struct cfg_map *m, struct cfg_diags *diags)
{
	struct gdb *g = cfg_xcalloc(1, sizeof(*g));

	m->priv = g;
	g->lockfd = -1;
	g->sorted = strcmp(m->type, "btree") == 0;
	g->dbpath = cfg_xasprintf("%s.db", m->name);
	cfg_strvec_init(&g->keys);
	cfg_buf_init(&g->kbuf);
	cfg_buf_init(&g->vbuf);
	cfgp_map_set_dname(m, g->dbpath);
	if (!(m->flags & (CFG_MAP_TRY0NULL | CFG_MAP_TRY1NULL)))
		m->flags |= CFG_MAP_TRY0NULL | CFG_MAP_TRY1NULL;
	if (m->mode == CFG_MAP_READ)
		g->dbf = open_reader(g->dbpath, diags);
	else if (open_writer(m, g, diags) < 0)
		g->dbf = NULL;
	if (g->dbf == NULL) {
		gdb_close(m);
		return -1;
	}
	return 0;
}

/* fetch - look up key with or without its NUL; 1 found (value in vbuf), 0 absent, -1 error */
static int fetch(struct gdb *g, const char *key, int with_nul)
{
	datum k, v;

	k.dptr = (char *)key;
	k.dsize = (int)strlen(key) + (with_nul ? 1 : 0);
	v = gdbm_fetch(g->dbf, k);
	if (v.dptr == NULL)
		return gdbm_errno == GDBM_ITEM_NOT_FOUND ? 0 : -1;
	cfg_buf_reset(&g->vbuf);
	cfg_buf_add(&g->vbuf, v.dptr, (size_t)v.dsize);
	free(v.dptr);
	return 1;
}

/* a key of a lookup or delete, for cfgp_map_try_nul() */
struct gdb_key {
	struct gdb *g;
	const char *key;
};

/* fetch_op - fetch() for cfgp_map_try_nul() */
static int fetch_op(void *ctx, int with_nul)
{
	struct gdb_key *k = ctx;

	return fetch(k->g, k->key, with_nul);
}

/* gdb_lookup - try the NUL-terminated form, then the bare one, as the flags allow */
static int gdb_lookup(struct cfg_map *m, const char *key, const char **value,
                      struct cfg_diags *diags)
{
	struct gdb_key k = {m->priv, key};
	int ret;

	(void)diags;
	if ((ret = cfgp_map_try_nul(m, fetch_op, &k)) < 0) {
		cfgp_map_set_error(m, gdbm_strerror(gdbm_errno));
		return -1;
	}
	if (ret == 1)
		*value = k.g->vbuf.data;
	return ret;
}

/* store - gdbm_store with the key/value sizes the NUL flags say */
static int store(struct gdb *g, const char *key, const char *value, int with_nul, int how)
{
	datum k, v;

	k.dptr = (char *)key;
	k.dsize = (int)strlen(key) + (with_nul ? 1 : 0);
	v.dptr = (char *)value;
	v.dsize = (int)strlen(value) + (with_nul ? 1 : 0);
	return gdbm_store(g->dbf, k, v, how);
}

/* gdb_update - insert, applying the duplicate policy */
static int gdb_update(struct cfg_map *m, const char *key, const char *value,
                      struct cfg_diags *diags)
{
	struct gdb *g = m->priv;
	int with_nul, ret;

	if (m->mode == CFG_MAP_READ) {
		cfg_diags_add(diags, CFG_SEV_FATAL, "map-readonly", NULL, 0, 0,
		              "%s: table is open read-only", m->label);
		return -1;
	}
	with_nul = cfgp_map_store_nul(m);
	if (m->flags & CFG_MAP_DUP_REPLACE) {
		ret = store(g, key, value, with_nul, GDBM_REPLACE);
	} else {
		ret = store(g, key, value, with_nul, GDBM_INSERT);
		if (ret == 1)
			return cfgp_map_dup(m, NULL, key, diags) < 0 ? -1 : 1;
	}
	if (ret < 0) {
		cfgp_map_set_error(m, gdbm_reason(errno));
		return -1;
	}
	return 0;
}

/* delete_op - delete one form of the key for cfgp_map_try_nul(): 1, 0 absent, -1 */
static int delete_op(void *ctx, int with_nul)
{
	struct gdb_key *k = ctx;
	datum d;

	d.dptr = (char *)k->key;
	d.dsize = (int)strlen(k->key) + with_nul;
	if (gdbm_delete(k->g->dbf, d) == 0)
		return 1;
	return gdbm_errno == GDBM_ITEM_NOT_FOUND ? 0 : -1;
}

/* gdb_delete - remove key in either NUL form */
static int gdb_delete(struct cfg_map *m, const char *key, struct cfg_diags *diags)
{
	struct gdb_key k = {m->priv, key};
	int ret;

	(void)diags;
	if ((ret = cfgp_map_try_nul(m, delete_op, &k)) < 0)
		cfgp_map_set_error(m, gdbm_reason(errno));
	return ret;
}

/* set_pair - fill kbuf/vbuf from a record, dropping one trailing NUL of each */
static int set_pair(struct gdb *g, datum k, const char **key, const char **value)
{
	datum v = gdbm_fetch(g->dbf, k);

	if (v.dptr == NULL)
		return -1;
	cfg_buf_reset(&g->kbuf);
	cfg_buf_add(&g->kbuf, k.dptr, (size_t)k.dsize);
	cfg_buf_reset(&g->vbuf);
	cfg_buf_add(&g->vbuf, v.dptr, (size_t)v.dsize);
	free(v.dptr);
	*key = g->kbuf.data;
	*value = g->vbuf.data;
	return 1;
}

/* cmp_keys - order btree keys by their text (byte 0 is the NUL marker; skip it) */
static int cmp_keys(const void *a, const void *b)
{
	return strcmp(*(char *const *)a + 1, *(char *const *)b + 1);
}

/*
 * load_sorted - btree: collect every key and sort them.  Each copy starts with
 * a marker byte, 1 when the stored key ends in a NUL, 2 when it does not.
 */
static int load_sorted(struct gdb *g)
{
	datum k = gdbm_firstkey(g->dbf);

	cfg_strvec_clear(&g->keys);
	g->keypos = 0;
	while (k.dptr != NULL) {
		datum next;
		char *copy = cfg_xmalloc((size_t)k.dsize + 2);

		memcpy(copy + 1, k.dptr, (size_t)k.dsize);
		copy[0] = (char)(k.dsize > 0 && k.dptr[k.dsize - 1] == 0 ? 1 : 2);
		copy[k.dsize + 1] = 0;
		cfg_strvec_take(&g->keys, copy);
		next = gdbm_nextkey(g->dbf, k);
		free(k.dptr);
		k = next;
	}
	if (gdbm_errno != GDBM_ITEM_NOT_FOUND && gdbm_errno != GDBM_NO_ERROR)
		return -1;
	qsort(g->keys.v, g->keys.n, sizeof(char *), cmp_keys);
	return 0;
}

/* gdb_seq - iterate over every record */
static int gdb_seq(struct cfg_map *m, int first, const char **key, const char **value,
                   struct cfg_diags *diags)
{
	struct gdb *g = m->priv;
	datum k;

	(void)diags;
	if (g->sorted) {
		if (first) {
			gdbm_errno = GDBM_NO_ERROR;
			if (load_sorted(g) < 0)
				goto error;
		}
		while (g->keypos < g->keys.n) {
			const char *s = g->keys.v[g->keypos++];
			datum kk;

			kk.dptr = (char *)s + 1;
			kk.dsize = (int)strlen(s + 1) + (s[0] == 1 ? 1 : 0);
			if (set_pair(g, kk, key, value) == 1)
				return 1;
			if (gdbm_errno != GDBM_ITEM_NOT_FOUND)
				goto error;
		}
		return 0;
	}
	if (first) {
		free(g->seqkey.dptr);
		g->seqkey = gdbm_firstkey(g->dbf);
	} else if (g->seqkey.dptr != NULL) {
		k = gdbm_nextkey(g->dbf, g->seqkey);
		free(g->seqkey.dptr);
		g->seqkey = k;
	}
	if (g->seqkey.dptr == NULL) {
		if (gdbm_errno == GDBM_ITEM_NOT_FOUND || gdbm_errno == GDBM_NO_ERROR)
			return 0;
		goto error;
	}
	if (set_pair(g, g->seqkey, key, value) == 1)
		return 1;
error:
	cfgp_map_set_error(m, gdbm_strerror(gdbm_errno));
	return -1;
}

/* gdb_commit - sync the new file and rename it over NAME.db */
static int gdb_commit(struct cfg_map *m, mode_t mode, struct cfg_diags *diags)
{
	struct gdb *g = m->priv;

	if (g->tmppath == NULL)
		return 0;
	/* gdbm_close() of a writer flushes and fsync()s the file */
	if (gdbm_close(g->dbf) != 0) {
		g->dbf = NULL;
		cfg_diags_add(diags, CFG_SEV_FATAL, "map-write", g->dbpath, 0, 0,
		              "table %s: write error: %s", m->label, gdbm_reason(errno));
		return -1;
	}
	g->dbf = NULL;
	if (cfgp_mapfile_install(g->tmppath, g->dbpath, mode, diags) < 0)
		return -1;
	free(g->tmppath);
	g->tmppath = NULL;
	cfg_file_unlock(g->lockfd);
	g->lockfd = -1;
	if ((g->dbf = open_reader(g->dbpath, diags)) == NULL)
		return -1;
	return 0;
}

/* the three names of one table type: hash: and btree: (Postfix's names) and gdbm: */
#define GDB_OPS(name)                                                                              \
	{                                                                                          \
		.type = name, .open = gdb_open, .lookup = gdb_lookup, .update = gdb_update,        \
		.del = gdb_delete, .seq = gdb_seq, .commit = gdb_commit, .close = gdb_close,       \
	}
const struct cfgp_map_ops cfgp_map_hash_ops = GDB_OPS("hash");
const struct cfgp_map_ops cfgp_map_btree_ops = GDB_OPS("btree");
const struct cfgp_map_ops cfgp_map_gdbm_ops = GDB_OPS("gdbm");
