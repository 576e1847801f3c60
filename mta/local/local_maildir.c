/* local_maildir.c - Maildir delivery (see local.h) */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cfg/base/xalloc.h"
#include "local.h"
#include "log.h"

/* mkdir_p - a directory and its missing parents, mode 0700 */
static int mkdir_p(const char *path)
{
	char *p = cfg_xstrdup(path);
	int rc = 0;

	for (char *s = p + 1; *s && rc == 0; s++) {
		if (*s != '/')
			continue;
		*s = '\0';
		if (mkdir(p, 0700) < 0 && errno != EEXIST)
			rc = -1;
		*s = '/';
	}
	if (rc == 0 && mkdir(p, 0700) < 0 && errno != EEXIST)
		rc = -1;
	free(p);
	return rc;
}

/* top_dir - the Maildir itself (the user may link it elsewhere), created when missing */
static int top_dir(const char *path)
{
	int fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);

	if (fd < 0 && errno == ENOENT && mkdir_p(path) == 0)
		fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	return fd;
}

/* sub_dir - tmp/, new/ or cur/: a real directory, never a symbolic link; created when missing */
static int sub_dir(int top, const char *name)
{
	int fd = openat(top, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);

	if (fd < 0 && errno == ENOENT) {
		if (mkdirat(top, name, 0700) < 0 && errno != EEXIST)
			return -1;
		fd = openat(top, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	}
	return fd;
}

/* failed - "maildir delivery failed: WHY", deferred or bounced by dsn; EACCES gets advice */
static void failed(struct local_result *res, const struct local_user *u, const char *dsn, int err,
                   const char *why)
{
	if (err == EACCES) {
		mta_warn("maildir access problem for UID/GID=%lu/%lu: %s", (unsigned long)u->uid,
		         (unsigned long)u->gid, why);
		mta_warn("perhaps you need to create the maildirs in advance");
	}
	local_result_set(res, dsn[0] == '4' ? 4 : 5, dsn, "maildir delivery failed: %s", why);
}

/* create_fail - "create maildir file PATH: ERROR" */
static void create_fail(struct local_result *res, const struct local_user *u, const char *path,
                        int err)
{
	char *why = cfg_xasprintf("create maildir file %s: %s", path, strerror(err));

	failed(res, u, local_dsn(err, "5.2.0"), err, why);
	free(why);
}

/* write_tmp - the message into tmp/NAME, on disk; 0 or -1 (res set) */
static int write_tmp(struct local_dlv *d, const struct local_user *u, int tmp, const char *name,
                     const char *tpath, struct local_result *res)
{
	struct cfg_buf msg;
	int fd, e, rc = -1;

	cfg_buf_init(&msg);
	if (local_message(d, 0, &msg) < 0) {
		local_result_set(res, 4, "4.3.0", "cannot read queue file: %s", strerror(errno));
		goto out;
	}
	fd = openat(tmp, name, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC,
	            0600);
	if (fd < 0 && errno == EEXIST && unlinkat(tmp, name, 0) == 0)
		/* left over from an attempt that was interrupted */
		fd =
		    openat(tmp, name,
		           O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC, 0600);
	if (fd < 0) {
		create_fail(res, u, tpath, errno);
		goto out;
	}
	if (local_write_all(fd, &msg) < 0 || fsync(fd) < 0) {
		char *why;

		e = errno;
		why = cfg_xasprintf("error writing message: %s", strerror(e));
		failed(res, u, local_dsn(e, "5.3.0"), e, why);
		free(why);
		close(fd);
		unlinkat(tmp, name, 0);
		goto out;
	}
	if (close(fd) < 0) {
		create_fail(res, u, tpath, errno);
		unlinkat(tmp, name, 0);
		goto out;
	}
	rc = 0;
out:
	cfg_buf_fini(&msg);
	return rc;
}

/* deliver - tmp/NAME, then a link as new/NAME; a copy already in new/ or cur/ is not made twice */
static void deliver(struct local_dlv *d, const struct local_user *u, const char *path,
                    const char *name, struct local_result *res)
{
	char *tpath = cfg_xasprintf("%stmp/%s", path, name);
	char *npath = cfg_xasprintf("%snew/%s", path, name);
	int top = -1, tmp = -1, nw = -1, cur = -1;
	struct stat st;

	if ((top = top_dir(path)) < 0 || (tmp = sub_dir(top, "tmp")) < 0) {
		create_fail(res, u, tpath, errno);
	} else if ((nw = sub_dir(top, "new")) < 0 || (cur = sub_dir(top, "cur")) < 0) {
		create_fail(res, u, npath, errno);
	} else if (fstatat(nw, name, &st, AT_SYMLINK_NOFOLLOW) == 0
	           || fstatat(cur, name, &st, AT_SYMLINK_NOFOLLOW) == 0) {
		local_result_set(res, 0, "2.0.0", "delivered to maildir");
	} else if (write_tmp(d, u, tmp, name, tpath, res) == 0) {
		if (linkat(tmp, name, nw, name, 0) < 0 && errno != EEXIST)
			create_fail(res, u, npath, errno);
		else
			local_result_set(res, 0, "2.0.0", "delivered to maildir");
		unlinkat(tmp, name, 0);
	}
	if (top >= 0)
		close(top);
	if (tmp >= 0)
		close(tmp);
	if (nw >= 0)
		close(nw);
	if (cur >= 0)
		close(cur);
	free(tpath);
	free(npath);
}

void local_maildir(struct local_dlv *d, const struct local_user *u, const char *path,
                   struct local_result *res)
{
	struct local_cfg *cfg = local_cfg_get();
	char name[256], host[64];

	snprintf(host, sizeof(host), "%.*s", (int)strcspn(cfg->myhostname, "."), cfg->myhostname);
	/* a name that depends only on the queue file: a second attempt finds the first */
	snprintf(name, sizeof(name), "%ld.P%sR%zu.%s", d->req->env.arrival_sec, d->req->qid,
	         d->req->rcpt[d->k].idx, host);
	if (local_become(u->uid, u->gid) < 0) {
		local_result_set(res, 4, "4.3.0", "cannot change privileges: %s", strerror(errno));
		return;
	}
	deliver(d, u, path, name, res);
	local_become(0, 0);
}

void local_maildir_deliver(struct local_dlv *d, const struct local_user *u, const char *path)
{
	struct local_result res;

	if (local_verify_sent(d, "delivers to maildir"))
		return;
	cfg_buf_init(&res.text);
	local_maildir(d, u, path, &res);
	local_leaf(d, &res);
	cfg_buf_fini(&res.text);
}
