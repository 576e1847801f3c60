/* local_file.c - delivery to /file/name destinations (see local.h) */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include "cfg/base/buf.h"
#include "local.h"
#include "log.h"

/* is_dev_null - the one device a file destination may name: nothing to leak, nothing to block */
static int is_dev_null(const struct stat *st)
{
	return S_ISCHR(st->st_mode) && major(st->st_rdev) == 1 && minor(st->st_rdev) == 3;
}

/* lock - an exclusive fcntl lock, tried deliver_lock_attempts times; 0 or -1 */
static int lock(int fd)
{
	struct local_cfg *cfg = local_cfg_get();
	struct flock fl;

	memset(&fl, 0, sizeof(fl));
	fl.l_type = F_WRLCK;
	fl.l_whence = SEEK_SET;
	for (long i = 0; i < cfg->lock_attempts; i++) {
		if (fcntl(fd, F_SETLK, &fl) == 0)
			return 0;
		if (errno != EAGAIN && errno != EACCES)
			return -1;
		sleep((unsigned)(cfg->lock_delay > 0 ? cfg->lock_delay : 1));
	}
	errno = EAGAIN;
	return -1;
}

int local_write_all(int fd, const struct cfg_buf *b)
{
	size_t off = 0;

	while (off < b->len) {
		ssize_t n = write(fd, b->data + off, b->len - off);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return -1;
		off += (size_t)n;
	}
	return 0;
}

/* fail - "cannot append message to file PATH: REASON", deferred or bounced by its DSN */
static void fail(struct local_result *res, const char *dsn, const char *path, const char *why)
{
	local_result_set(res, dsn[0] == '4' ? 4 : 5, dsn, "cannot append message to file %s: %s",
	                 path, why);
}

/* append - as the user: open carefully, refuse what is not a plain file, lock, write, sync */
static void append(struct local_dlv *d, const char *path, struct local_result *res)
{
	struct cfg_buf msg, why;
	struct stat st;
	int fd, e;

	cfg_buf_init(&msg);
	cfg_buf_init(&why);
	if (local_message(d, LM_MBOX, &msg) < 0) {
		local_result_set(res, 4, "4.3.0", "cannot read queue file: %s", strerror(errno));
		goto out;
	}
	fd = local_safe_open(path, O_WRONLY | O_APPEND | O_CREAT, (uid_t)-1, (gid_t)-1, &st, &why);
	if (fd < 0) {
		fail(res, local_dsn(errno, "5.2.0"), path, why.data);
		goto out;
	}
	if (!S_ISREG(st.st_mode) && !is_dev_null(&st)) {
		/* a FIFO or a device: refused, never waited on */
		cfg_buf_printf(&why, "destination %s is not a regular file", path);
		fail(res, "5.2.0", path, why.data);
	} else if (st.st_mode & (S_IXUSR | S_IXGRP | S_IXOTH)) {
		fail(res, "5.7.1", path, "file is executable");
	} else if (S_ISREG(st.st_mode) && lock(fd) < 0) {
		cfg_buf_printf(&why, "unable to lock for exclusive access: %s", strerror(errno));
		fail(res, local_dsn(errno, "5.2.0"), path, why.data);
	} else if (local_write_all(fd, &msg) < 0 || (S_ISREG(st.st_mode) && fsync(fd) < 0)) {
		e = errno;
		/* no half message stays behind */
		if (S_ISREG(st.st_mode) && ftruncate(fd, st.st_size) < 0)
			mta_warn("%s: truncate: %m", path);
		cfg_buf_printf(&why, "error writing message: %s", strerror(e));
		fail(res, local_dsn(e, "5.3.0"), path, why.data);
	} else {
		local_result_set(res, 0, "2.0.0", "delivered to file: %s", path);
	}
	close(fd);
out:
	cfg_buf_fini(&why);
	cfg_buf_fini(&msg);
}

void local_file(struct local_dlv d, struct local_user u, const char *path)
{
	struct local_cfg *cfg = local_cfg_get();
	struct local_result res;
	uid_t uid;
	gid_t gid;

	d.level++;
	if (local_been_here(&d, "file %ld %s", (long)u.uid, path))
		return;
	if ((cfg->file_mask & d.exp_type) == 0) {
		local_status(&d, 5, "5.7.1", "mail to file is restricted");
		return;
	}
	if (local_verify_sent(&d, "delivers to file: %s", path))
		return;
	cfg_buf_init(&res.text);
	/* never as root: a root-owned alias or a root recipient gets default_privs */
	if (local_rights(&u, &uid, &gid) < 0) {
		mta_warn("file %s: refusing to write with a privileged user or group ID", path);
		local_result_set(&res, 4, "4.3.5", "mail system configuration error");
	} else if (path[strlen(path) - 1] == '/') {
		u.uid = uid;
		u.gid = gid;
		local_maildir(&d, &u, path, &res);
	} else if (local_become(uid, gid) < 0) {
		local_result_set(&res, 4, "4.3.0", "cannot change privileges: %s", strerror(errno));
	} else {
		append(&d, path, &res);
		local_become(0, 0);
	}
	local_leaf(&d, &res);
	cfg_buf_fini(&res.text);
}
