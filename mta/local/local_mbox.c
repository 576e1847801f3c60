/* local_mbox.c - mbox delivery: locking, From_ lines, exactly once, one fsync per batch (see local.h) */
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
#include "cfg/base/xalloc.h"
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
 * The bytes after the From_ line must match what we would write now
 * (read through rfd, cut through fd).
 * Returns 1 delivered, 0 not (a partial tail is cut off), -1 error.
 */
static int already_there(int rfd, int fd, off_t at, off_t size, const struct cfg_buf *msg)
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
	n = pread(rfd, buf, want, at);
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
struct pending {
	struct dlv_req *req;
	size_t k;
	char *addr, *orig;
};

static struct {
	char *path, *user;
	int fd;
	char *lockpath;
	int locked;
	int dirty;
	off_t start; /* the size before the first copy not yet synced */
	struct pending pending[DLV_BATCH_MAX * 4];
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
	free(box.user);
	box.user = NULL;
}

/* pending_clear - forget the copies waiting for the fsync */
static void pending_clear(void)
{
	for (size_t i = 0; i < box.npending; i++) {
		free(box.pending[i].addr);
		free(box.pending[i].orig);
	}
	box.npending = 0;
}

/*
 * undo_pending - the copies written since the last sync are not safe: cut
 * them off and report each one as Postfix reports a failed mailbox write.
 */
static void undo_pending(int err)
{
	const char *dsn = local_dsn(err, "5.3.0");
	char *why = cfg_xasprintf("cannot update mailbox %s for user %s. error writing message: %s",
	                          box.path, box.user, strerror(err));

	if (ftruncate(box.fd, box.start) < 0)
		mta_warn("%s: truncate: %m", box.path);
	for (size_t i = 0; i < box.npending; i++) {
		struct pending *p = &box.pending[i];

		local_correct(p->req, p->k, p->addr, p->orig, dsn[0] == '4' ? 4 : 5, dsn, why);
	}
	free(why);
}

int local_mbox_sync(void)
{
	int rc = 0;

	if (box.fd >= 0 && box.dirty && fsync(box.fd) < 0) {
		int e = errno;

		mta_warn("%s: fsync: %s", box.path, strerror(e));
		undo_pending(e);
		rc = -1;
	}
	box.dirty = 0;
	pending_clear();
	box_release();
	return rc;
}

/* box_fail - "cannot update mailbox PATH for user USER. WHY" */
static void box_fail(struct local_result *res, int status, const char *dsn, const char *path,
                     const char *user, const char *why)
{
	local_result_set(res, status, dsn, "cannot update mailbox %s for user %s. %s", path, user,
	                 why);
}

/* box_lock - dot-lock (as ouid/ogid, who may write the directory) and fcntl-lock; 0 or -1 */
static int box_lock(const char *path, uid_t ouid, gid_t ogid)
{
	struct local_cfg *cfg = local_cfg_get();
	struct flock fl;
	int rc = 0;

	if (cfg->lock_dotlock) {
		if (local_become(ouid, ogid) < 0)
			return -1;
		rc = dotlock(path, &box.lockpath);
		local_become(0, 0);
		if (rc < 0)
			return -1;
	}
	if (cfg->lock_fcntl) {
		memset(&fl, 0, sizeof(fl));
		fl.l_type = F_WRLCK;
		fl.l_whence = SEEK_SET;
		if (fcntl(box.fd, F_SETLKW, &fl) < 0)
			return -1;
		box.locked = 1;
	}
	return 0;
}

/*
 * box_open - open and lock path for d->user (the held mailbox when it is
 * the same): with ouid/ogid, never through a link, a regular file owned by
 * the recipient.  0 or -1 (res set).
 */
static int box_open(struct local_dlv *d, const struct local_user *u, const char *path, uid_t ouid,
                    gid_t ogid, struct local_result *res)
{
	struct local_cfg *cfg = local_cfg_get();
	struct cfg_buf why;
	struct stat st;
	int fd, chown_it = ouid != u->uid; /* root made it: the user's, with the user's group */

	if (box.fd >= 0 && strcmp(box.path, path) == 0)
		return 0;
	local_mbox_sync();
	cfg_buf_init(&why);
	if (local_become(ouid, ogid) < 0) {
		box_fail(res, 4, "4.3.0", path, d->user, "cannot change privileges");
		cfg_buf_fini(&why);
		return -1;
	}
	/* a mailbox created by root (spool directory) is handed to the user at once */
	fd = local_safe_open(path, O_WRONLY | O_APPEND | O_CREAT, chown_it ? u->uid : (uid_t)-1,
	                     chown_it ? u->gid : (gid_t)-1, &st, &why);
	local_become(0, 0);
	if (fd < 0) {
		const char *dsn = local_dsn(errno, "5.2.0");

		box_fail(res, dsn[0] == '4' ? 4 : 5, dsn, path, d->user, why.data);
		cfg_buf_fini(&why);
		return -1;
	}
	cfg_buf_fini(&why);
	box.fd = fd;
	box.path = cfg_xstrdup(path);
	box.user = cfg_xstrdup(d->user);
	if (!S_ISREG(st.st_mode)) {
		char *w = cfg_xasprintf("destination %s is not a regular file", path);

		box_fail(res, 5, "5.2.0", path, d->user, w);
		free(w);
		box_release();
		return -1;
	}
	if (cfg->root && cfg->strict_ownership && st.st_uid != u->uid) {
		char *w = cfg_xasprintf("destination %s is not owned by recipient", path);

		box_fail(res, 4, "4.2.0", path, d->user, w);
		mta_warn("specify \"strict_mailbox_ownership = no\" to ignore mailbox ownership "
		         "mismatch");
		free(w);
		box_release();
		return -1;
	}
	if (box_lock(path, ouid, ogid) < 0) {
		char *w = cfg_xasprintf("unable to lock for exclusive access: %s", strerror(errno));

		box_fail(res, 4, "4.2.0", path, d->user, w);
		free(w);
		box_release();
		return -1;
	}
	return 0;
}

/* box_reader - the open mailbox for reading (the exactly-once check), or -1 */
static int box_reader(void)
{
	struct stat a, b;
	int fd = open(box.path, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);

	/* the file written to, not another one put in its place */
	if (fd >= 0
	    && (fstat(fd, &a) < 0 || fstat(box.fd, &b) < 0 || a.st_dev != b.st_dev
	        || a.st_ino != b.st_ino)) {
		close(fd);
		fd = -1;
	}
	return fd;
}

/* box_write - the copy at the end of the mailbox, as the user; 0 or an errno value */
static int box_write(const struct local_user *u, const struct cfg_buf *msg)
{
	int e = 0;

	if (local_become(u->uid, u->gid) < 0)
		return errno;
	if (local_write_all(box.fd, msg) < 0)
		e = errno;
	local_become(0, 0);
	return e;
}

/* box_pending - remember a copy for the fsync at the end of the batch; 0 or -1 */
static int box_pending(struct local_dlv *d, off_t size)
{
	struct pending *p;

	box.dirty = 1;
	if (box.npending == sizeof(box.pending) / sizeof(box.pending[0]))
		/* no room to remember it: everything goes to disk now */
		return local_mbox_sync();
	if (box.npending == 0)
		box.start = size;
	p = &box.pending[box.npending++];
	p->req = d->req;
	p->k = d->k;
	p->addr = cfg_xstrdup(d->addr);
	p->orig = cfg_xstrdup(d->orig);
	return 0;
}

void local_mbox(struct local_dlv *d, const struct local_user *u, const char *path, uid_t ouid,
                gid_t ogid, struct local_result *res)
{
	struct local_cfg *cfg = local_cfg_get();
	struct cfg_buf msg;
	struct stat st;
	off_t size;
	uint64_t mark;
	int err;

	cfg_buf_init(&msg);
	if (local_message(d, LM_MBOX, &msg) < 0) {
		local_result_set(res, 4, "4.3.0", "cannot read queue file: %s", strerror(errno));
		goto out;
	}
	if (box_open(d, u, path, ouid, ogid, res) < 0)
		goto out;
	if (fstat(box.fd, &st) < 0 || st.st_nlink != 1) {
		box_fail(res, 4, "4.2.0", path, d->user, "target file status changed unexpectedly");
		goto out;
	}
	size = st.st_size;
	if (d->exact_once && (mark = read_mark(d)) != 0) {
		int rfd = box_reader();
		int there =
		    rfd < 0 ? -1 : already_there(rfd, box.fd, (off_t)(mark - 1), size, &msg);

		if (rfd >= 0)
			close(rfd);

		if (there > 0) {
			local_result_set(res, 0, "2.0.0", "delivered to mailbox");
			goto out;
		}
		if (fstat(box.fd, &st) == 0)
			size = st.st_size;
	}
	if (cfg->size_limit > 0 && size + (off_t)msg.len > cfg->size_limit) {
		box_fail(res, 5, "5.2.2", path, d->user, "error writing message: File too large");
		goto out;
	}
	if (d->exact_once)
		qf_set_mark(d->req->fd, d->req->rcpt[d->k].qr, (uint64_t)size + 1);
	if ((err = box_write(u, &msg)) != 0) {
		const char *dsn = local_dsn(err, "5.3.0");
		char *w = cfg_xasprintf("error writing message: %s", strerror(err));

		if (ftruncate(box.fd, size) < 0)
			mta_warn("%s: truncate: %m", path);
		box_fail(res, dsn[0] == '4' ? 4 : 5, dsn, path, d->user, w);
		free(w);
		goto out;
	}
	/* on disk before anyone hears of it: local_mbox_sync() runs before the answers */
	if (box_pending(d, size) < 0) {
		box_fail(res, 4, "4.2.0", path, d->user, "error writing message: fsync failed");
		goto out;
	}
	local_result_set(res, 0, "2.0.0", "delivered to mailbox");
out:
	cfg_buf_fini(&msg);
}
