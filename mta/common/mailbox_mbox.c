/* mailbox_mbox.c - mbox delivery: locks, exactly once, one fsync per batch (see mailbox.h) */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "cfg/base/xalloc.h"
#include "log.h"
#include "mailbox.h"
#include "mailbox_int.h"

#define LOCK_TAG "postkit "

/*
 * holder_gone - a dot-lock of ours ("postkit PROG PID") whose process is
 * gone: its pid no longer exists, or now belongs to another program (pids
 * are reused).  Locks of other programs (no tag) are left to
 * stale_lock_time.
 */
static int holder_gone(const char *lp)
{
	char buf[96], comm[32], prog[32];
	ssize_t n;
	long pid;
	int fd = open(lp, O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK);

	if (fd < 0)
		return 0;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return 0;
	buf[n] = '\0';
	if (strncmp(buf, LOCK_TAG, strlen(LOCK_TAG)) != 0
	    || sscanf(buf + strlen(LOCK_TAG), "%31s %ld", prog, &pid) != 2 || pid <= 0)
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
	comm[strcspn(comm, "\n")] = '\0';
	return strcmp(comm, prog) != 0;
}

/*
 * dotlock - PATH.lock, made atomically with our tag and pid already in it
 * (written to a private name, then linked into place), so a lock never
 * exists without saying whose it is.  A lock whose holder is gone (a
 * delivery agent killed in the middle) or that is older than
 * stale_lock_time is removed.  0, or -1 with errno (EEXIST: someone else
 * kept it for deliver_lock_attempts tries).
 */
static int dotlock(const char *path, char **lockpath)
{
	const struct mbx_cfg *cfg = mbxp_cfg();
	char *lp = cfg_xasprintf("%s.lock", path);
	char *tmp = cfg_xasprintf("%s.lock.%ld", path, (long)getpid());
	char content[64];
	int n = snprintf(content, sizeof(content), LOCK_TAG "%s %ld\n", cfg->prog, (long)getpid());
	int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0600);
	int e;

	if (fd < 0 || write(fd, content, (size_t)n) != n) {
		e = errno;
		if (fd >= 0)
			close(fd);
		unlink(tmp);
		goto fail;
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
	e = errno;
	unlink(tmp);
fail:
	free(tmp);
	free(lp);
	errno = e;
	return -1;
}

/* read_mark - the queue file's current mark for this recipient (another attempt may have set it) */
static uint64_t read_mark(const struct mbx_copy *c)
{
	struct qf_rcpt *q = c->req->rcpt[c->k].qr;
	char buf[17];

	if (pread(c->req->fd, buf, 16, q->off + 2) != 16)
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
 * (mbx_sync).  Each copy still gets its exactly-once mark first.
 */
struct pending {
	struct dlv_req *req;
	size_t k;
	char *addr, *orig;
};

static struct {
	char *path, *prefix;
	int fd;
	char *lockpath;
	int locked; /* fcntl or flock lock held */
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
		flock(box.fd, LOCK_UN);
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
	free(box.prefix);
	box.prefix = NULL;
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
	const struct mbx_cfg *cfg = mbxp_cfg();
	const char *dsn = mbx_dsn(err, "5.3.0");
	char *why = cfg_xasprintf("%serror writing message: %s", box.prefix, strerror(err));

	if (ftruncate(box.fd, box.start) < 0)
		mta_warn("%s: truncate: %m", box.path);
	for (size_t i = 0; i < box.npending && cfg->correct; i++) {
		struct pending *p = &box.pending[i];

		cfg->correct(p->req, p->k, p->addr, p->orig, dsn[0] == '4' ? 4 : 5, dsn, why);
	}
	free(why);
}

int mbx_sync(void)
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

/* sync_batch - after the last request of a batch: the mailbox writes go to disk */
static void sync_batch(struct dlv_req *reqs, size_t n)
{
	(void)reqs;
	(void)n;
	mbx_sync();
}

void mbx_serve(struct mta_server *srv, int fd, void (*deliver)(struct dlv_req *r))
{
	dlv_serve_batch(srv, fd, deliver, sync_batch);
}

/* box_fail - the copy failed: PREFIX WHY, deferred or bounced by dsn */
static void box_fail(struct mbx_result *res, const struct mbx_copy *c, const char *dsn,
                     const char *fmt, ...) __attribute__((format(printf, 4, 5)));
static void box_fail(struct mbx_result *res, const struct mbx_copy *c, const char *dsn,
                     const char *fmt, ...)
{
	struct cfg_buf why;
	va_list ap;

	cfg_buf_init(&why);
	va_start(ap, fmt);
	cfg_buf_vprintf(&why, fmt, ap);
	va_end(ap);
	mbx_result_set(res, dsn[0] == '4' ? 4 : 5, dsn, "%s%s", c->why_prefix, why.data);
	cfg_buf_fini(&why);
}

/* box_dotlock - PATH.lock with the rights that may write the directory; 0 or -1 (res set) */
static int box_dotlock(const struct mbx_copy *c, const char *path, struct mbx_result *res)
{
	const struct mbx_cfg *cfg = mbxp_cfg();
	int rc, e;

	if (mbx_become(c->ouid, c->ogid) < 0) {
		box_fail(res, c, "4.3.0", "cannot change privileges: %s", strerror(errno));
		return -1;
	}
	rc = dotlock(path, &box.lockpath);
	e = errno;
	mbx_become(0, 0);
	if (rc == 0)
		return 0;
	/* held by someone else all along: try again later */
	box_fail(res, c, mbx_dsn(e == EEXIST ? EAGAIN : e, cfg->open_dsn),
	         "unable to create lock file %s.lock: %s", path, strerror(e));
	return -1;
}

/*
 * box_open - dot-lock, open and lock path for c (the held mailbox when it
 * is the same): with ouid/ogid, never through a link, a regular file owned
 * by the recipient.  0 or -1 (res set).
 */
static int box_open(const struct mbx_copy *c, const char *path, struct mbx_result *res)
{
	const struct mbx_cfg *cfg = mbxp_cfg();
	struct cfg_buf why;
	struct stat st;
	int fd, e,
	    chown_it = c->ouid != c->uid; /* root made it: the user's, with the user's group */

	if (box.fd >= 0 && strcmp(box.path, path) == 0)
		return 0;
	mbx_sync();
	if ((cfg->locks & MBX_LOCK_DOTLOCK) && box_dotlock(c, path, res) < 0)
		return -1;
	cfg_buf_init(&why);
	if (mbx_become(c->ouid, c->ogid) < 0) {
		box_fail(res, c, "4.3.0", "cannot change privileges: %s", strerror(errno));
		goto fail;
	}
	/* a mailbox created by root (spool directory) is handed to the user at once */
	fd = mbx_safe_open(path, O_WRONLY | O_APPEND | O_CREAT, chown_it ? c->uid : (uid_t)-1,
	                   chown_it ? c->gid : (gid_t)-1, &st, &why);
	e = errno;
	mbx_become(0, 0);
	if (fd < 0) {
		box_fail(res, c, mbx_dsn(e, cfg->open_dsn), "%s", why.data);
		goto fail;
	}
	box.fd = fd;
	box.path = cfg_xstrdup(path);
	box.prefix = cfg_xstrdup(c->why_prefix);
	if (!S_ISREG(st.st_mode)) {
		box_fail(res, c, cfg->open_dsn, "destination %s is not a regular file", path);
		goto fail;
	}
	if (cfg->root && cfg->strict_ownership && st.st_uid != c->uid) {
		box_fail(res, c, "4.2.0", "destination %s is not owned by recipient", path);
		mta_warn("specify \"strict_mailbox_ownership = no\" to ignore mailbox ownership "
		         "mismatch");
		goto fail;
	}
	if (cfg->locks & (MBX_LOCK_FCNTL | MBX_LOCK_FLOCK)) {
		if (mbx_lock_fd(box.fd, !(cfg->locks & MBX_LOCK_FCNTL)) < 0) {
			e = errno;
			box_fail(res, c, mbx_dsn(e, cfg->open_dsn),
			         "unable to lock for exclusive access: %s", strerror(e));
			goto fail;
		}
		box.locked = 1;
	}
	cfg_buf_fini(&why);
	return 0;
fail:
	cfg_buf_fini(&why);
	box_release();
	return -1;
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

/* box_write - the copy at the end of the mailbox, with the recipient's rights; 0 or an errno */
static int box_write(const struct mbx_copy *c, const struct cfg_buf *msg)
{
	int e = 0;

	if (mbx_become(c->uid, c->gid) < 0)
		return errno;
	if (mbx_write_all(box.fd, msg) < 0)
		e = errno;
	mbx_become(0, 0);
	return e;
}

/* box_pending - remember a copy for the fsync at the end of the batch; 0 or -1 */
static int box_pending(const struct mbx_copy *c, off_t size)
{
	struct pending *p;

	box.dirty = 1;
	if (box.npending == sizeof(box.pending) / sizeof(box.pending[0]))
		/* no room to remember it: everything goes to disk now */
		return mbx_sync();
	if (box.npending == 0)
		box.start = size;
	p = &box.pending[box.npending++];
	p->req = c->req;
	p->k = c->k;
	p->addr = cfg_xstrdup(c->addr);
	p->orig = cfg_xstrdup(c->orig);
	return 0;
}

/* seen_before - exactly once: an earlier attempt wrote this copy; *size is updated */
static int seen_before(const struct mbx_copy *c, const struct cfg_buf *msg, off_t *size)
{
	uint64_t mark = c->exact_once ? read_mark(c) : 0;
	struct stat st;
	int rfd, there;

	if (mark == 0)
		return 0;
	rfd = box_reader();
	there = rfd < 0 ? -1 : already_there(rfd, box.fd, (off_t)(mark - 1), *size, msg);
	if (rfd >= 0)
		close(rfd);
	if (there > 0)
		return 1;
	if (fstat(box.fd, &st) == 0)
		*size = st.st_size;
	return 0;
}

void mbx_mbox(const struct mbx_copy *c, const char *path, struct mbx_result *res)
{
	const struct mbx_cfg *cfg = mbxp_cfg();
	struct cfg_buf msg;
	struct stat st;
	off_t size;
	int err;

	cfg_buf_init(&msg);
	if (mbx_message(c, MBX_MBOX, &msg) < 0) {
		mbx_result_set(res, 4, "4.3.0", "cannot read queue file: %s", strerror(errno));
		goto out;
	}
	if (box_open(c, path, res) < 0)
		goto out;
	if (fstat(box.fd, &st) < 0 || st.st_nlink != 1) {
		box_fail(res, c, "4.2.0", "target file status changed unexpectedly");
		goto out;
	}
	size = st.st_size;
	if (seen_before(c, &msg, &size)) {
		mbx_result_set(res, 0, "2.0.0", "delivered to mailbox");
		goto out;
	}
	if (cfg->size_limit > 0 && size + (off_t)msg.len > cfg->size_limit) {
		box_fail(res, c, "5.2.2", "error writing message: %s", strerror(EFBIG));
		goto out;
	}
	if (c->exact_once)
		qf_set_mark(c->req->fd, c->req->rcpt[c->k].qr, (uint64_t)size + 1);
	if ((err = box_write(c, &msg)) != 0) {
		if (ftruncate(box.fd, size) < 0)
			mta_warn("%s: truncate: %m", path);
		box_fail(res, c, mbx_dsn(err, "5.3.0"), "error writing message: %s", strerror(err));
		goto out;
	}
	/* on disk before anyone hears of it: mbx_sync() runs before the answers */
	if (box_pending(c, size) < 0) {
		box_fail(res, c, "4.2.0", "error writing message: fsync failed");
		goto out;
	}
	mbx_result_set(res, 0, "2.0.0", "delivered to mailbox");
out:
	cfg_buf_fini(&msg);
}
