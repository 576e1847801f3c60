/*
 * map_file.c - the temporary-file steps the indexed tables (map_gdbm.c,
 * map_lmdb.c) share: a writer never modifies NAME.idx in place; it writes a
 * new file next to it and renames that over the old one.  Both store keys
 * with or without a trailing NUL as the CFG_MAP_TRY*NULL flags say.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cfg/base/xalloc.h"
#include "map_int.h"

int cfgp_mapfile_temp(const char *dbpath, char **tmppath, struct cfg_diags *diags)
{
	int fd;

	*tmppath = cfg_xasprintf("%s.XXXXXX", dbpath);
	if ((fd = mkstemp(*tmppath)) < 0) {
		cfg_diags_add(diags, CFG_SEV_FATAL, "map-open", dbpath, 0, 0,
		              "open database %s: %s", dbpath, strerror(errno));
		free(*tmppath);
		*tmppath = NULL;
	}
	return fd;
}

int cfgp_mapfile_copy(int src, int fd)
{
	char buf[65536];
	ssize_t n;

	while ((n = read(src, buf, sizeof(buf))) != 0) {
		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		for (ssize_t off = 0; off < n;) {
			ssize_t w = write(fd, buf + off, (size_t)(n - off));
			if (w < 0) {
				if (errno == EINTR)
					continue;
				return -1;
			}
			off += w;
		}
	}
	return 0;
}

int cfgp_mapfile_install(const char *tmppath, const char *dbpath, mode_t mode,
                         struct cfg_diags *diags)
{
	struct stat st;
	char *dir, *slash;
	int dfd;

	if (stat(dbpath, &st) == 0) {
		mode = st.st_mode & 07777;
		if (geteuid() == 0 && chown(tmppath, st.st_uid, st.st_gid) != 0) {
			/* keep going: the table is still usable with our ownership */
		}
	}
	if (chmod(tmppath, mode) != 0 || rename(tmppath, dbpath) != 0) {
		cfg_diags_add(diags, CFG_SEV_FATAL, "map-write", dbpath, 0, 0,
		              "rename %s to %s: %s", tmppath, dbpath, strerror(errno));
		return -1;
	}
	dir = cfg_xstrdup(dbpath);
	if ((slash = strrchr(dir, '/')) != NULL)
		slash[slash == dir ? 1 : 0] = 0;
	if ((dfd = open(slash ? dir : ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC)) >= 0) {
		(void)fsync(dfd);
		close(dfd);
	}
	free(dir);
	return 0;
}

int cfgp_map_try_nul(struct cfg_map *m, int (*op)(void *ctx, int with_nul), void *ctx)
{
	int ret = 0;

	if (m->flags & CFG_MAP_TRY1NULL) {
		if ((ret = op(ctx, 1)) == 1)
			m->flags &= ~CFG_MAP_TRY0NULL;
	}
	if (ret == 0 && (m->flags & CFG_MAP_TRY0NULL)) {
		if ((ret = op(ctx, 0)) == 1)
			m->flags &= ~CFG_MAP_TRY1NULL;
	}
	return ret;
}

int cfgp_map_store_nul(struct cfg_map *m)
{
	/* undecided: with a trailing NUL, Postfix's choice on Linux */
	if ((m->flags & CFG_MAP_TRY1NULL) && (m->flags & CFG_MAP_TRY0NULL))
		m->flags &= ~CFG_MAP_TRY0NULL;
	return (m->flags & CFG_MAP_TRY1NULL) != 0;
}
