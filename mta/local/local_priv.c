/* local_priv.c - whose rights, switching to them, opening files with them (see local.h) */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <pwd.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cfg/base/xalloc.h"
#include "local.h"

/* the agent's own supplementary groups, restored after acting as a user */
static gid_t *own_groups;
static int own_ngroups;

/* pw_copy - an owned copy of a passwd entry */
static void pw_copy(const struct passwd *p, struct local_pw *out)
{
	out->name = cfg_xstrdup(p->pw_name);
	out->dir = cfg_xstrdup(p->pw_dir ? p->pw_dir : "");
	out->shell = cfg_xstrdup(p->pw_shell ? p->pw_shell : "");
	out->uid = p->pw_uid;
	out->gid = p->pw_gid;
}

int local_pw_byname(const char *name, struct local_pw *out)
{
	struct passwd *p;

	memset(out, 0, sizeof(*out));
	errno = 0;
	p = getpwnam(name);
	if (p == NULL)
		return errno == 0 || errno == ENOENT || errno == ESRCH ? 0 : -1;
	pw_copy(p, out);
	return 1;
}

int local_pw_byuid(uid_t uid, struct local_pw *out)
{
	struct passwd *p;

	memset(out, 0, sizeof(*out));
	errno = 0;
	p = getpwuid(uid);
	if (p == NULL)
		return errno == 0 || errno == ENOENT || errno == ESRCH ? 0 : -1;
	pw_copy(p, out);
	return 1;
}

void local_pw_fini(struct local_pw *pw)
{
	free(pw->name);
	free(pw->dir);
	free(pw->shell);
	memset(pw, 0, sizeof(*pw));
}

void local_user_set(struct local_user *u, const struct local_pw *pw)
{
	u->uid = pw->uid;
	u->gid = pw->gid;
	u->home = pw->dir;
	u->shell = pw->shell;
	u->logname = pw->name;
}

void local_user_reset(struct local_user *u)
{
	memset(u, 0, sizeof(*u));
}

int local_privs_init(struct cfg_buf *why)
{
	struct local_cfg *cfg = local_cfg_get();
	struct local_pw pw;
	int n;

	if (!cfg->root)
		return 0;
	if (local_pw_byname(cfg->default_privs, &pw) <= 0) {
		cfg_buf_printf(
		    why, "file %s/main.cf: parameter default_privs: unknown user name value: %s",
		    cfg->config_dir, cfg->default_privs);
		return -1;
	}
	cfg->default_uid = pw.uid;
	cfg->default_gid = pw.gid;
	local_pw_fini(&pw);
	if (cfg->default_uid == 0) {
		cfg_buf_printf(
		    why, "file %s/main.cf: parameter default_privs: user %s has privileged user ID",
		    cfg->config_dir, cfg->default_privs);
		return -1;
	}
	n = getgroups(0, NULL);
	if (n > 0) {
		own_groups = cfg_xcalloc((size_t)n, sizeof(*own_groups));
		own_ngroups = getgroups(n, own_groups);
	}
	if (own_ngroups < 0)
		own_ngroups = 0;
	return 0;
}

int local_rights(const struct local_user *u, uid_t *uid, gid_t *gid)
{
	struct local_cfg *cfg = local_cfg_get();

	if (!cfg->root) {
		*uid = geteuid();
		*gid = getegid();
		return 0;
	}
	/* as Postfix: each of them falls back to default_privs on its own */
	*uid = u->uid != 0 ? u->uid : cfg->default_uid;
	*gid = u->gid != 0 ? u->gid : cfg->default_gid;
	if (*uid == 0 || *gid == 0) {
		errno = EPERM;
		return -1;
	}
	return 0;
}

int local_become(uid_t uid, gid_t gid)
{
	if (!local_cfg_get()->root)
		return 0;
	if (geteuid() != 0 && seteuid(0) < 0)
		return -1;
	if (uid == 0) {
		if (setegid(0) < 0 || setgroups((size_t)own_ngroups, own_groups) < 0)
			return -1;
		return 0;
	}
	/* only the user's primary group: root's supplementary groups must not come along */
	if (setgroups(1, &gid) < 0 || setegid(gid) < 0 || seteuid(uid) < 0) {
		int e = errno;

		local_become(0, 0);
		errno = e;
		return -1;
	}
	return 0;
}

int local_drop(uid_t uid, gid_t gid)
{
	if (!local_cfg_get()->root)
		return 0;
	if (uid == 0 || gid == 0)
		return -1;
	if (geteuid() != 0 && seteuid(0) < 0)
		return -1;
	if (setgroups(1, &gid) < 0 || setgid(gid) < 0 || setuid(uid) < 0)
		return -1;
	/* no way back: real, effective and saved ids are the user's now */
	if (getuid() != uid || geteuid() != uid || getgid() != gid || setuid(0) == 0)
		return -1;
	return 0;
}

int local_stat_as(const char *path, struct stat *st, int follow, uid_t uid, gid_t gid)
{
	int rc, e;

	if (local_become(uid, gid) < 0)
		return -1;
	rc = follow ? stat(path, st) : lstat(path, st);
	e = errno;
	local_become(0, 0);
	errno = e;
	return rc;
}

/* read_all - everything a descriptor holds; 0 or -1 */
static int read_all(int fd, struct cfg_buf *out)
{
	char buf[8192];
	ssize_t n;

	for (;;) {
		n = read(fd, buf, sizeof(buf));
		if (n > 0)
			cfg_buf_add(out, buf, (size_t)n);
		else if (n == 0)
			return 0;
		else if (errno != EINTR)
			return -1;
	}
}

int local_read_as(const char *path, const struct stat *st, int follow, uid_t uid, gid_t gid,
                  struct cfg_buf *out)
{
	struct stat fst;
	int fd, e, rc;

	if (local_become(uid, gid) < 0)
		return -1;
	fd = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC | (follow ? 0 : O_NOFOLLOW));
	e = errno;
	local_become(0, 0);
	if (fd < 0) {
		errno = e;
		return -1;
	}
	/* the object looked at before must be the one opened: no swap for a FIFO or a device */
	if (fstat(fd, &fst) < 0 || !S_ISREG(fst.st_mode) || fst.st_dev != st->st_dev
	    || fst.st_ino != st->st_ino) {
		close(fd);
		errno = EPERM;
		return -1;
	}
	rc = read_all(fd, out);
	e = errno;
	close(fd);
	errno = e;
	return rc;
}

/* open_exist - open an existing file carefully; fd or -1 */
static int open_exist(const char *path, int flags, struct stat *st, struct cfg_buf *why)
{
	struct stat lst;
	int fd = open(path, (flags & ~(O_CREAT | O_EXCL)) | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);

	if (fd < 0) {
		int e = errno;

		if (e == ELOOP && lstat(path, &lst) == 0 && S_ISLNK(lst.st_mode)) {
			cfg_buf_adds(why, "file is a symbolic link");
			errno = EPERM;
			return -1;
		}
		cfg_buf_printf(why, "cannot open file: %s", strerror(e));
		errno = e;
		return -1;
	}
	if (fstat(fd, st) < 0) {
		cfg_buf_printf(why, "cannot open file: %s", strerror(errno));
	} else if (st->st_nlink != 1) {
		cfg_buf_printf(why, "file has %d hard links", (int)st->st_nlink);
		errno = EPERM;
	} else if (S_ISDIR(st->st_mode)) {
		cfg_buf_adds(why, "file is a directory");
		errno = EISDIR;
	} else if (lstat(path, &lst) < 0) {
		cfg_buf_printf(why, "file status changed unexpectedly: %s", strerror(errno));
		errno = EPERM;
	} else if (lst.st_dev != st->st_dev || lst.st_ino != st->st_ino
	           || lst.st_nlink != st->st_nlink || lst.st_mode != st->st_mode) {
		cfg_buf_adds(why, "file status changed unexpectedly");
		errno = EPERM;
	} else {
		return fd;
	}
	{
		int e = errno;

		close(fd);
		errno = e;
	}
	return -1;
}

int local_safe_open(const char *path, int flags, uid_t cuid, gid_t cgid, struct stat *st,
                    struct cfg_buf *why)
{
	int fd = open_exist(path, flags, st, why);

	if (fd >= 0 || errno != ENOENT || !(flags & O_CREAT))
		return fd;
	cfg_buf_reset(why);
	fd = open(path, flags | O_CREAT | O_EXCL | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC, 0600);
	if (fd < 0) {
		int e = errno;

		if (e == EEXIST)
			return open_exist(path, flags, st, why);
		cfg_buf_printf(why, "cannot create file exclusively: %s", strerror(e));
		errno = e;
		return -1;
	}
	if ((cuid != (uid_t)-1 || cgid != (gid_t)-1) && fchown(fd, cuid, cgid) < 0) {
		/* Postfix goes on as well: the file exists and may already be open elsewhere */
	}
	if (fstat(fd, st) < 0) {
		int e = errno;

		close(fd);
		cfg_buf_printf(why, "cannot create file exclusively: %s", strerror(e));
		errno = e;
		return -1;
	}
	return fd;
}

const char *local_dsn(int err, const char *def)
{
	if (err == EAGAIN || err == ESTALE)
		return "4.2.0";
	if (err == ENOSPC)
		return "4.3.0";
	if (err == EDQUOT || err == EFBIG)
		return "5.2.2";
	return def;
}
