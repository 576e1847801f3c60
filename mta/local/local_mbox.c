/* local_mbox.c - mbox and Maildir delivery (see local.h) */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#include "addr.h"
#include "cfg/xalloc.h"
#include "local.h"
#include "log.h"

int local_message(struct local_dlv *d, int flags, struct cfg_buf *out)
{
	struct dlv_req *r = d->req;
	struct cfg_buf content, ext;
	time_t now = time(NULL);
	struct tm tm;
	char date[64];
	const char *p, *end;

	cfg_buf_init(&content);
	if (qf_read_content(r->fd, &r->env, &content) < 0) {
		cfg_buf_fini(&content);
		return -1;
	}
	cfg_buf_init(&ext);
	if (flags & LM_FROM) {
		localtime_r(&now, &tm);
		strftime(date, sizeof(date), "%a %b %e %H:%M:%S %Y", &tm);
		cfg_buf_printf(out, "From %s  %s\n", *d->sender ? d->sender : "MAILER-DAEMON",
		               date);
	}
	addr_externalize(d->sender, &ext);
	cfg_buf_printf(out, "Return-Path: <%s>\n", ext.data);
	cfg_buf_reset(&ext);
	addr_externalize(d->orig, &ext);
	cfg_buf_printf(out, "X-Original-To: %s\n", ext.data);
	cfg_buf_reset(&ext);
	addr_externalize(d->addr, &ext);
	cfg_buf_printf(out, "Delivered-To: %s\n", ext.data);
	cfg_buf_fini(&ext);
	cfg_buf_reserve(out, content.len + content.len / 64 + 2);
	for (p = content.data, end = content.data + content.len; p < end;) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		size_t n = nl ? (size_t)(nl - p) + 1 : (size_t)(end - p);

		/* mboxo quoting: only "From " itself, ">From " stays as it is */
		if ((flags & LM_QUOTE) && n >= 5 && memcmp(p, "From ", 5) == 0)
			cfg_buf_addc(out, '>');
		cfg_buf_add(out, p, n);
		p += n;
	}
	if (out->len == 0 || out->data[out->len - 1] != '\n')
		cfg_buf_addc(out, '\n');
	if (flags & LM_BLANK)
		cfg_buf_addc(out, '\n');
	cfg_buf_fini(&content);
	return 0;
}

/* local_become - act with the user's rights (root only); restore with local_become(0, 0) */
int local_become(uid_t uid, gid_t gid)
{
	if (!local_cfg_get()->root)
		return 0;
	if (seteuid(0) < 0)
		return -1;
	if (uid == 0)
		return setegid(0);
	if (setegid(gid) < 0 || seteuid(uid) < 0)
		return -1;
	return 0;
}

#define LOCK_TAG "postkit local "

/*
 * holder_gone - a dot-lock of ours whose process is gone: its pid no
 * longer exists, or now belongs to another program (pids are reused).
 * Locks of other programs (no tag) are left to stale_lock_time.
 */
static int holder_gone(const char *lp)
{
	char buf[64], comm[32];
	ssize_t n;
	long pid;
	int fd = open(lp, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);

	if (fd < 0)
		return 0;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return 0;
	buf[n] = '\0';
	if (strncmp(buf, LOCK_TAG, strlen(LOCK_TAG)) != 0)
		return 0;
	pid = strtol(buf + strlen(LOCK_TAG), NULL, 10);
	if (pid <= 0)
		return 0;
	if (kill((pid_t)pid, 0) < 0 && errno == ESRCH)
		return 1;
	snprintf(buf, sizeof(buf), "/proc/%ld/comm", pid);
	fd = open(buf, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return 0;
	n = read(fd, comm, sizeof(comm) - 1);
	close(fd);
	if (n <= 0)
		return 0;
	comm[n] = '\0';
	return strcmp(comm, "local\n") != 0;
}

/*
 * dotlock - PATH.lock, made atomically with our tag and pid already in it
 * (written to a private name, then linked into place), so a lock never
 * exists without saying whose it is.  A lock whose holder is gone (a
 * delivery agent killed in the middle) or that is older than
 * stale_lock_time is removed.  0 or -1.
 */
static int dotlock(const char *path, char **lockpath)
{
	struct local_cfg *cfg = local_cfg_get();
	char *lp = cfg_xasprintf("%s.lock", path);
	char *tmp = cfg_xasprintf("%s.lock.%ld", path, (long)getpid());
	char content[64];
	int n = snprintf(content, sizeof(content), LOCK_TAG "%ld\n", (long)getpid());
	int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0600);

	if (fd < 0 || write(fd, content, (size_t)n) != n) {
		if (fd >= 0)
			close(fd);
		unlink(tmp);
		free(tmp);
		free(lp);
		return -1;
	}
	close(fd);
	for (long i = 0; i < cfg->lock_attempts * 5; i++) {
		struct stat st;

		if (link(tmp, lp) == 0) {
			unlink(tmp);
			free(tmp);
			*lockpath = lp;
			return 0;
		}
		if (errno != EEXIST)
			break;
		if (holder_gone(lp)
		    || (stat(lp, &st) == 0 && time(NULL) - st.st_mtime > cfg->stale_lock)) {
			unlink(lp);
			continue;
		}
		usleep((useconds_t)(cfg->lock_delay > 0 ? cfg->lock_delay : 1) * 200000u);
	}
	unlink(tmp);
	free(tmp);
	free(lp);
	return -1;
}

/* read_mark - the queue file's current mark for this recipient (another attempt may have set it) */
static uint64_t read_mark(struct local_dlv *d)
{
	struct qf_rcpt *q = d->req->rcpt[d->k].qr;
	char buf[17];

	if (pread(d->req->fd, buf, 16, q->off + 2) != 16)
		return q->mark;
	buf[16] = '\0';
	return strtoull(buf, NULL, 16);
}

/*
 * already_there - did an earlier, interrupted attempt deliver this copy?
 * The bytes after the From_ line must match what we would write now.
 * Returns 1 delivered, 0 not (a partial tail is cut off), -1 error.
 */
static int already_there(int fd, off_t at, off_t size, const struct cfg_buf *msg)
{
	const char *nl = memchr(msg->data, '\n', msg->len);
	size_t head = nl ? (size_t)(nl - msg->data) + 1 : 0;
	char *buf;
	ssize_t n;
	size_t want;

	if (at >= size)
		return 0;
	want = (size_t)(size - at) < msg->len ? (size_t)(size - at) : msg->len;
	buf = cfg_xmalloc(want + 1);
	n = pread(fd, buf, want, at);
	if (n != (ssize_t)want) {
		free(buf);
		return -1;
	}
	/* "From sender  " must match; the date differs */
	if (want < head || memcmp(buf, msg->data, 5) != 0
	    || memcmp(buf + head, msg->data + head, want - head) != 0) {
		free(buf);
		return 0;
	}
	free(buf);
	if (want == msg->len)
		return 1;
	/* our own partial copy at the end of the file: remove it and write again */
	if (ftruncate(fd, at) < 0)
		return -1;
	return 0;
}

/*
 * The open mailbox: kept open and locked across the messages of one batch
 * from qmgr, and fsync()ed once before any of them is reported delivered
 * (local_mbox_sync).  Each copy still gets its exactly-once mark first.
 */
static struct {
	char *path;
	int fd;
	char *lockpath;
	int locked;
	int dirty;
	struct {
		struct dlv_req *req;
		size_t idx;
	} pending[DLV_BATCH_MAX * 4];
	size_t npending;
} box = {.fd = -1};

/* box_release - unlock and close the open mailbox */
static void box_release(void)
{
	if (box.locked) {
		struct flock fl;

		memset(&fl, 0, sizeof(fl));
		fl.l_type = F_UNLCK;
		fl.l_whence = SEEK_SET;
		fcntl(box.fd, F_SETLK, &fl);
		box.locked = 0;
	}
	if (box.lockpath) {
		unlink(box.lockpath);
		free(box.lockpath);
		box.lockpath = NULL;
	}
	if (box.fd >= 0)
		close(box.fd);
	box.fd = -1;
	free(box.path);
	box.path = NULL;
}

/* undo_pending - the copies written since the last sync are not safe: defer them */
static void undo_pending(const char *why)
{
	for (size_t i = 0; i < box.npending; i++) {
		struct cfg_strvec *res = &box.pending[i].req->results;
		char prefix[64];

		snprintf(prefix, sizeof(prefix), "result=%zu\tsent\t", box.pending[i].idx);
		for (size_t k = 0; k < res->n; k++) {
			if (strncmp(res->v[k], prefix, strlen(prefix)) == 0) {
				free(res->v[k]);
				res->v[k] = cfg_xasprintf("result=%zu\tdeferred\t4.2.0\t%s",
				                          box.pending[i].idx, why);
			}
		}
	}
	box.npending = 0;
}

int local_mbox_sync(void)
{
	int rc = 0;

	if (box.fd >= 0 && box.dirty && fsync(box.fd) < 0) {
		char *why =
		    cfg_xasprintf("cannot update mailbox %s: fsync: %s", box.path, strerror(errno));

		mta_warn("%s", why);
		undo_pending(why);
		free(why);
		rc = -1;
	}
	box.dirty = 0;
	box.npending = 0;
	box_release();
	return rc;
}

/* box_open - open and lock path for pw (the held mailbox when it is the same); 0 or -1 */
static int box_open(const struct passwd *pw, const char *path, struct local_result *res)
{
	struct local_cfg *cfg = local_cfg_get();
	struct stat st;
	struct flock fl;
	int fd;

	if (box.fd >= 0 && strcmp(box.path, path) == 0)
		return 0;
	if (local_mbox_sync() < 0) {
		/* the earlier copies were turned into deferrals; this one is new */
	}
	/* the spool directory may be root's: create the mailbox, then hand it to the user */
	fd = open(path, O_RDWR | O_APPEND | O_CLOEXEC | O_NOFOLLOW);
	if (fd < 0 && errno == ENOENT) {
		fd =
		    open(path, O_RDWR | O_APPEND | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0600);
		if (fd >= 0 && cfg->root && fchown(fd, pw->pw_uid, pw->pw_gid) < 0)
			mta_warn("chown %s: %m", path);
	}
	if (fd < 0) {
		local_result_set(res, 4, "4.2.0",
		                 "cannot update mailbox %s for user %s. cannot open file: %s", path,
		                 pw->pw_name, strerror(errno));
		return -1;
	}
	box.fd = fd;
	box.path = cfg_xstrdup(path);
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode)) {
		local_result_set(res, 5, "5.2.0",
		                 "cannot update mailbox %s for user %s. file type mismatch", path,
		                 pw->pw_name);
		box_release();
		return -1;
	}
	if (cfg->root && cfg->strict_ownership && st.st_uid != pw->pw_uid) {
		local_result_set(res, 4, "4.2.0",
		                 "cannot update mailbox %s for user %s. file has wrong owner", path,
		                 pw->pw_name);
		box_release();
		return -1;
	}
	if (cfg->lock_dotlock && dotlock(path, &box.lockpath) < 0) {
		local_result_set(
		    res, 4, "4.2.0",
		    "cannot update mailbox %s for user %s. unable to lock for exclusive "
		    "access: %s",
		    path, pw->pw_name, strerror(errno));
		box_release();
		return -1;
	}
	if (cfg->lock_fcntl) {
		memset(&fl, 0, sizeof(fl));
		fl.l_type = F_WRLCK;
		fl.l_whence = SEEK_SET;
		if (fcntl(fd, F_SETLKW, &fl) < 0) {
			local_result_set(res, 4, "4.2.0",
			                 "cannot update mailbox %s for user %s. unable to lock for "
			                 "exclusive access: %s",
			                 path, pw->pw_name, strerror(errno));
			box_release();
			return -1;
		}
		box.locked = 1;
	}
	return 0;
}

void local_mbox(struct local_dlv *d, const struct passwd *pw, const char *path,
                struct local_result *res)
{
	struct local_cfg *cfg = local_cfg_get();
	struct cfg_buf msg;
	struct stat st;
	off_t size;
	uint64_t mark;

	cfg_buf_init(&msg);
	if (local_message(d, LM_MBOX, &msg) < 0) {
		local_result_set(res, 4, "4.3.0", "cannot read queue file: %s", strerror(errno));
		goto out;
	}
	if (box_open(pw, path, res) < 0)
		goto out;
	if (fstat(box.fd, &st) < 0) {
		local_result_set(res, 4, "4.2.0", "cannot update mailbox %s: %s", path,
		                 strerror(errno));
		goto out;
	}
	size = st.st_size;
	if (d->exact_once && (mark = read_mark(d)) != 0) {
		int there = already_there(box.fd, (off_t)(mark - 1), size, &msg);

		if (there > 0) {
			local_result_set(res, 0, "2.0.0", "delivered to mailbox");
			goto out;
		}
		if (fstat(box.fd, &st) == 0)
			size = st.st_size;
	}
	if (cfg->size_limit > 0 && size + (off_t)msg.len > cfg->size_limit) {
		local_result_set(
		    res, 5, "5.2.2",
		    "cannot update mailbox %s for user %s. error writing message: File "
		    "too large",
		    path, pw->pw_name);
		goto out;
	}
	if (d->exact_once)
		qf_set_mark(d->req->fd, d->req->rcpt[d->k].qr, (uint64_t)size + 1);
	{
		size_t off = 0;
		int err = 0;

		while (off < msg.len) {
			ssize_t n = write(box.fd, msg.data + off, msg.len - off);

			if (n < 0) {
				if (errno == EINTR)
					continue;
				err = errno;
				break;
			}
			off += (size_t)n;
		}
		if (err) {
			if (ftruncate(box.fd, size) < 0) {
				/* nothing more we can do */
			}
			local_result_set(
			    res, 4, "4.2.0",
			    "cannot update mailbox %s for user %s. error writing message: %s", path,
			    pw->pw_name, strerror(err));
			goto out;
		}
	}
	/* on disk before anyone hears of it: local_mbox_sync() runs before the answers */
	box.dirty = 1;
	if (box.npending < sizeof(box.pending) / sizeof(box.pending[0])) {
		box.pending[box.npending].req = d->req;
		box.pending[box.npending].idx = d->req->rcpt[d->k].idx;
		box.npending++;
	} else if (local_mbox_sync() < 0) {
		local_result_set(res, 4, "4.2.0", "cannot update mailbox %s: fsync failed", path);
		goto out;
	}
	local_result_set(res, 0, "2.0.0", "delivered to mailbox");
out:
	cfg_buf_fini(&msg);
}

/* mkdirs - a Maildir's directories */
static int mkdirs(const char *path)
{
	static const char *const sub[] = {"", "tmp", "new", "cur", NULL};

	for (size_t i = 0; sub[i]; i++) {
		char *p = cfg_xasprintf("%s%s", path, sub[i]);
		int rc = mkdir(p, 0700);

		free(p);
		if (rc < 0 && errno != EEXIST)
			return -1;
	}
	return 0;
}

void local_maildir(struct local_dlv *d, const struct passwd *pw, const char *path,
                   struct local_result *res)
{
	struct local_cfg *cfg = local_cfg_get();
	struct cfg_buf msg;
	char name[256], host[64];
	char *tmp = NULL, *fin = NULL;
	int fd = -1;
	struct stat st;

	cfg_buf_init(&msg);
	snprintf(host, sizeof(host), "%.*s", (int)strcspn(cfg->myhostname, "."), cfg->myhostname);
	/* a name that depends only on the queue file: a second attempt finds the first */
	snprintf(name, sizeof(name), "%ld.P%sR%zu.%s", d->req->env.arrival_sec, d->req->qid,
	         d->req->rcpt[d->k].idx, host);
	if (local_become(pw->pw_uid, pw->pw_gid) < 0 || mkdirs(path) < 0) {
		local_result_set(res, 4, "4.2.0", "cannot create maildir %s for user %s: %s", path,
		                 pw->pw_name, strerror(errno));
		goto out;
	}
	tmp = cfg_xasprintf("%stmp/%s", path, name);
	fin = cfg_xasprintf("%snew/%s", path, name);
	if (stat(fin, &st) == 0) {
		local_result_set(res, 0, "2.0.0", "delivered to maildir");
		goto out;
	}
	{
		char *cur = cfg_xasprintf("%scur/%s", path, name);
		int there = stat(cur, &st) == 0;

		free(cur);
		if (there) {
			local_result_set(res, 0, "2.0.0", "delivered to maildir");
			goto out;
		}
	}
	if (local_message(d, 0, &msg) < 0) {
		local_result_set(res, 4, "4.3.0", "cannot read queue file: %s", strerror(errno));
		goto out;
	}
	fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (fd < 0 || write(fd, msg.data, msg.len) != (ssize_t)msg.len || fsync(fd) < 0
	    || close(fd) < 0) {
		local_result_set(res, 4, "4.2.0", "cannot update maildir %s for user %s: %s", path,
		                 pw->pw_name, strerror(errno));
		if (fd >= 0)
			unlink(tmp);
		fd = -1;
		goto out;
	}
	fd = -1;
	if (link(tmp, fin) < 0 && errno != EEXIST) {
		local_result_set(res, 4, "4.2.0", "cannot update maildir %s for user %s: %s", path,
		                 pw->pw_name, strerror(errno));
		unlink(tmp);
		goto out;
	}
	unlink(tmp);
	local_result_set(res, 0, "2.0.0", "delivered to maildir");
out:
	local_become(0, 0);
	free(tmp);
	free(fin);
	cfg_buf_fini(&msg);
}
