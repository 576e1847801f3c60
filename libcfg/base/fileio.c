/* fileio.c - whole-file reads and atomic replacement (see cfg/fileio.h) */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cfg/base/fileio.h"
#include "cfg/base/xalloc.h"

int cfg_file_read(const char *path, struct cfg_buf *out, struct cfg_diags *diags)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	char chunk[65536];
	ssize_t n;
	int saved;
	struct stat st;

	if (fd < 0) {
		saved = errno;
		cfg_diags_add(diags, CFG_SEV_FATAL, "file-open", path, 0, 0, "open %s: %s", path,
		              strerror(saved));
		errno = saved;
		return -1;
	}
	/* a regular file's size up front: one allocation of the right size, not doublings */
	if (fstat(fd, &st) == 0 && S_ISREG(st.st_mode) && st.st_size > 0)
		cfg_buf_reserve(out, (size_t)st.st_size + 1);
	for (;;) {
		n = read(fd, chunk, sizeof(chunk));
		if (n > 0) {
			cfg_buf_add(out, chunk, (size_t)n);
			continue;
		}
		if (n == 0)
			break;
		if (errno == EINTR)
			continue;
		saved = errno;
		close(fd);
		cfg_diags_add(diags, CFG_SEV_FATAL, "file-read", path, 0, 0, "read %s: %s", path,
		              strerror(saved));
		errno = saved;
		return -1;
	}
	close(fd);
	return 0;
}

/* write_all - write every byte, retrying short writes */
static int write_all(int fd, const char *p, size_t len)
{
	while (len > 0) {
		ssize_t n = write(fd, p, len);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

/* sync_dir - fsync the directory holding path so the rename is durable */
static void sync_dir(const char *path)
{
	char *copy = cfg_xstrdup(path);
	int fd = open(dirname(copy), O_RDONLY | O_DIRECTORY | O_CLOEXEC);

	if (fd >= 0) {
		(void)fsync(fd);
		close(fd);
	}
	free(copy);
}

int cfg_file_replace(const char *path, const void *data, size_t len, mode_t mode,
                     struct cfg_diags *diags)
{
	char *tmp = cfg_xasprintf("%s.tmp.%ld", path, (long)getpid());
	struct stat st;
	int have_old = stat(path, &st) == 0;
	const char *what = "create";
	int fd, saved;

	fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC,
	          have_old ? (st.st_mode & 07777) : mode);
	if (fd < 0 && errno == EEXIST) {
		/* a stale temp file from a killed run of ours with the same pid */
		(void)unlink(tmp);
		fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC,
		          have_old ? (st.st_mode & 07777) : mode);
	}
	if (fd < 0)
		goto fail;
	what = "write";
	if (write_all(fd, data, len) < 0)
		goto fail_fd;
	if (have_old) {
		what = "chmod";
		if (fchmod(fd, st.st_mode & 07777) < 0)
			goto fail_fd;
		/* keeping the owner only works as root; not fatal otherwise */
		if (geteuid() == 0 && fchown(fd, st.st_uid, st.st_gid) < 0)
			goto fail_fd;
	}
	what = "fsync";
	if (fsync(fd) < 0)
		goto fail_fd;
	what = "close";
	if (close(fd) < 0) {
		fd = -1;
		goto fail_fd;
	}
	what = "rename";
	if (rename(tmp, path) < 0)
		goto fail_unlink;
	sync_dir(path);
	free(tmp);
	return 0;

fail_fd:
	saved = errno;
	if (fd >= 0)
		close(fd);
	errno = saved;
fail_unlink:
	saved = errno;
	(void)unlink(tmp);
	errno = saved;
fail:
	saved = errno;
	cfg_diags_add(diags, CFG_SEV_FATAL, "file-write", path, 0, 0, "%s %s: %s", what,
	              fd < 0 && strcmp(what, "create") == 0 ? tmp : path, strerror(saved));
	free(tmp);
	errno = saved;
	return -1;
}

int cfg_file_lock(const char *path, struct cfg_diags *diags)
{
	for (;;) {
		struct stat st_fd, st_path;
		int fd = open(path, O_RDONLY | O_CLOEXEC);

		if (fd < 0) {
			cfg_diags_add(diags, CFG_SEV_FATAL, "file-open", path, 0, 0, "open %s: %s",
			              path, strerror(errno));
			return -1;
		}
		while (flock(fd, LOCK_EX) < 0) {
			if (errno != EINTR) {
				cfg_diags_add(diags, CFG_SEV_FATAL, "file-lock", path, 0, 0,
				              "lock %s: %s", path, strerror(errno));
				close(fd);
				return -1;
			}
		}
		/* the file may have been replaced while we waited: lock the new one */
		if (fstat(fd, &st_fd) == 0 && stat(path, &st_path) == 0
		    && st_fd.st_ino == st_path.st_ino && st_fd.st_dev == st_path.st_dev)
			return fd;
		close(fd);
	}
}

void cfg_file_unlock(int fd)
{
	if (fd >= 0)
		close(fd);
}

int cfg_file_begin(struct cfg_file_txn *t, const char *path, unsigned flags,
                   struct cfg_diags *diags)
{
	struct stat st;

	t->path = cfg_xstrdup(path);
	t->fd = -1;
	t->exists = 1;
	cfg_buf_init(&t->text);
	if ((flags & CFG_FILE_MAY_BE_MISSING) && stat(path, &st) < 0) {
		if (errno == ENOENT) {
			t->exists = 0;
			return 0;
		}
		cfg_diags_add(diags, CFG_SEV_FATAL, "file-open", path, 0, 0, "stat %s: %s", path,
		              strerror(errno));
		return -1;
	}
	if ((t->fd = cfg_file_lock(path, diags)) < 0)
		return -1;
	return cfg_file_read(path, &t->text, diags);
}

int cfg_file_commit(struct cfg_file_txn *t, const void *data, size_t len, mode_t mode,
                    struct cfg_diags *diags)
{
	return cfg_file_replace(t->path, data ? data : "", len, mode, diags);
}

void cfg_file_end(struct cfg_file_txn *t)
{
	if (t->path == NULL)
		return;
	cfg_file_unlock(t->fd);
	t->fd = -1;
	cfg_buf_fini(&t->text);
	free(t->path);
	t->path = NULL;
}
