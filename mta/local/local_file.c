/* local_file.c - delivery to /file/name destinations and Maildirs (see local.h) */
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

/* fail - "cannot append message to file PATH: REASON", deferred or bounced by its DSN */
static void fail(struct mbx_result *res, const char *dsn, const char *path, const char *why)
{
	mbx_result_set(res, dsn[0] == '4' ? 4 : 5, dsn, "cannot append message to file %s: %s",
	               path, why);
}

/* append - as the user: open carefully, refuse what is not a plain file, lock, write, sync */
static void append(struct local_dlv *d, const struct local_user *u, const char *path,
                   struct mbx_result *res)
{
	struct cfg_buf msg, why;
	struct mbx_copy c;
	struct stat st;
	int fd, e;

	cfg_buf_init(&msg);
	cfg_buf_init(&why);
	local_copy(d, u, &c);
	if (mbx_message(&c, MBX_MBOX, &msg) < 0) {
		mbx_result_set(res, 4, "4.3.0", "cannot read queue file: %s", strerror(errno));
		goto out;
	}
	fd = mbx_safe_open(path, O_WRONLY | O_APPEND | O_CREAT, (uid_t)-1, (gid_t)-1, &st, &why);
	if (fd < 0) {
		fail(res, mbx_dsn(errno, "5.2.0"), path, why.data);
		goto out;
	}
	if (!S_ISREG(st.st_mode) && !is_dev_null(&st)) {
		/* a FIFO or a device: refused, never waited on */
		cfg_buf_printf(&why, "destination %s is not a regular file", path);
		fail(res, "5.2.0", path, why.data);
	} else if (st.st_mode & (S_IXUSR | S_IXGRP | S_IXOTH)) {
		fail(res, "5.7.1", path, "file is executable");
	} else if (S_ISREG(st.st_mode) && mbx_size_limit() > 0
	           && st.st_size + (off_t)msg.len > mbx_size_limit()) {
		/* mailbox_size_limit, as Postfix's file size limit would stop the write */
		fail(res, "5.2.2", path, "error writing message: File too large");
	} else if (S_ISREG(st.st_mode) && mbx_lock_fd(fd, 0) < 0) {
		cfg_buf_printf(&why, "unable to lock for exclusive access: %s", strerror(errno));
		fail(res, mbx_dsn(errno, "5.2.0"), path, why.data);
	} else if (mbx_write_all(fd, &msg) < 0 || (S_ISREG(st.st_mode) && fsync(fd) < 0)) {
		e = errno;
		/* no half message stays behind */
		if (S_ISREG(st.st_mode) && ftruncate(fd, st.st_size) < 0)
			mta_warn("%s: truncate: %m", path);
		cfg_buf_printf(&why, "error writing message: %s", strerror(e));
		fail(res, mbx_dsn(e, "5.3.0"), path, why.data);
	} else {
		mbx_result_set(res, 0, "2.0.0", "delivered to file: %s", path);
	}
	close(fd);
out:
	cfg_buf_fini(&why);
	cfg_buf_fini(&msg);
}

void local_file(struct local_dlv d, struct local_user u, const char *path)
{
	struct local_cfg *cfg = local_cfg_get();
	struct mbx_result res;
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
		mbx_result_set(&res, 4, "4.3.5", "mail system configuration error");
	} else if (path[strlen(path) - 1] == '/') {
		struct mbx_copy c;

		u.uid = uid;
		u.gid = gid;
		local_copy(&d, &u, &c);
		mbx_maildir(&c, path, &res);
	} else if (mbx_become(uid, gid) < 0) {
		mbx_result_set(&res, 4, "4.3.0", "cannot change privileges: %s", strerror(errno));
	} else {
		append(&d, &u, path, &res);
		mbx_become(0, 0);
	}
	local_leaf(&d, &res);
	cfg_buf_fini(&res.text);
}

void local_maildir_deliver(struct local_dlv *d, const struct local_user *u, const char *path)
{
	struct mbx_result res;
	struct mbx_copy c;

	if (local_verify_sent(d, "delivers to maildir"))
		return;
	cfg_buf_init(&res.text);
	local_copy(d, u, &c);
	mbx_maildir(&c, path, &res);
	local_leaf(d, &res);
	cfg_buf_fini(&res.text);
}
