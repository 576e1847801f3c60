/* qfile.c - queue files: identifiers, directories and the on-disk format (see qfile.h) */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <unistd.h>

#include "cfg/base/xalloc.h"
#include "qfile.h"

#define HDR_FMT "PKQ1 %012lld %012lld %012lld %02x\n"
#define HDR_LEN 47     /* length of a formatted header line */
#define FLUSH_AT 65536 /* write out pending bytes beyond this */
#define MARK_DIGITS 16

const char *const qf_queue_dirs[] = {"maildrop", "incoming", "active",  "deferred", "hold",
                                     "corrupt",  "bounce",   "defer",   "trace",    "saved",
                                     "flush",    "pid",      "private", "public",   NULL};

void qf_escape(struct cfg_buf *out, const char *value)
{
	static const char hex[] = "0123456789ABCDEF";

	for (const unsigned char *p = (const unsigned char *)value; *p; p++) {
		if (*p < 0x20 || *p == '%' || *p == 0x7f) {
			cfg_buf_addc(out, '%');
			cfg_buf_addc(out, hex[*p >> 4]);
			cfg_buf_addc(out, hex[*p & 15]);
		} else {
			cfg_buf_addc(out, *p);
		}
	}
}

/* hexval - value of a hex digit or -1 */
static int hexval(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	return -1;
}

void qf_unescape(char *s)
{
	char *d = s;

	for (; *s; s++) {
		int h, l;

		if (*s == '%' && (h = hexval(s[1])) >= 0 && (l = hexval(s[2])) >= 0) {
			*d++ = (char)(h * 16 + l);
			s += 2;
		} else {
			*d++ = *s;
		}
	}
	*d = '\0';
}

char *qf_path(const char *queue_dir, const char *queue, const char *qid)
{
	/* a chrooted daemon's queue_dir is ".": "deferred/ID" in its log lines, as in Postfix */
	if (strcmp(queue_dir, ".") == 0)
		return cfg_xasprintf("%s/%s", queue, qid);
	return cfg_xasprintf("%s/%s/%s", queue_dir, queue, qid);
}

int qf_valid_id(const char *name)
{
	size_t n = strlen(name);

	if (n < 6 || n >= QF_ID_MAX)
		return 0;
	for (const char *p = name; *p; p++)
		if (hexval(*p) < 0 || (*p >= 'a' && *p <= 'f'))
			return 0;
	return 1;
}

int qf_pf_id_ok(const char *id)
{
	if (*id == '\0' || strlen(id) > 255)
		return 0;
	for (const char *p = id; *p; p++)
		if (!((*p >= '0' && *p <= '9') || (*p >= 'A' && *p <= 'Z')
		      || (*p >= 'a' && *p <= 'z') || *p == '_'))
			return 0;
	return 1;
}

/* flush_buf - write pending bytes; remembers the first error */
static void flush_buf(struct qf_writer *w)
{
	size_t off = 0;

	while (!w->failed && off < w->buf.len) {
		ssize_t n = write(w->fd, w->buf.data + off, w->buf.len - off);

		if (n < 0) {
			if (errno == EINTR)
				continue;
			w->failed = QF_FAIL_WRITE;
			w->err = errno;
			break;
		}
		off += (size_t)n;
	}
	w->written += (off_t)w->buf.len;
	cfg_buf_reset(&w->buf);
}

/* pos - the current logical file offset */
static off_t pos(const struct qf_writer *w)
{
	return w->written + (off_t)w->buf.len;
}

/*
 * reopen_locked - the new file by its queue name (what lsof and /proc show
 * from now on), locked until it is sealed or removed.  Nobody else takes
 * the lock before the file is sealed: readers claim sealed files only.
 */
static int reopen_locked(struct qf_writer *w, ino_t ino)
{
	struct stat st;
	int fd = open(w->path, O_RDWR | O_NOFOLLOW | O_CLOEXEC);

	if (fd < 0)
		return -1;
	if (fstat(fd, &st) < 0 || flock(fd, LOCK_EX) < 0) {
		int e = errno;

		close(fd);
		errno = e;
		return -1;
	}
	if (st.st_ino != ino) {
		close(fd); /* not the file we made: someone replaced the name */
		errno = EEXIST;
		return -1;
	}
	close(w->fd);
	w->fd = fd;
	return 0;
}

int qf_create(struct qf_writer *w, const char *queue_dir, const char *queue)
{
	static unsigned seq;
	char tmp[64];
	char *tpath;
	struct stat st;
	struct timeval tv;

	memset(w, 0, sizeof(*w));
	w->fd = -1;
	snprintf(tmp, sizeof(tmp), "%ld.%u", (long)getpid(), seq++);
	tpath = qf_path(queue_dir, queue, tmp);
	w->fd = open(tpath, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	if (w->fd < 0) {
		free(tpath);
		return -1;
	}
	for (;;) {
		if (fstat(w->fd, &st) < 0)
			goto fail;
		gettimeofday(&tv, NULL);
		snprintf(w->qid, sizeof(w->qid), "%05X%" PRIXMAX, (unsigned)tv.tv_usec,
		         (uintmax_t)st.st_ino);
		w->path = qf_path(queue_dir, queue, w->qid);
		/* link() never replaces: a clash (impossible while the inode is live) retries */
		if (link(tpath, w->path) == 0)
			break;
		if (errno != EEXIST)
			goto fail;
		free(w->path);
		w->path = NULL;
	}
	unlink(tpath);
	free(tpath);
	if (reopen_locked(w, st.st_ino) < 0) {
		int e = errno;

		unlink(w->path);
		close(w->fd);
		w->fd = -1;
		free(w->path);
		w->path = NULL;
		errno = e;
		return -1;
	}
	cfg_buf_init(&w->buf);
	cfg_buf_printf(&w->buf, HDR_FMT, 0LL, 0LL, 0LL, 0u);
	return 0;
fail : {
	int e = errno;

	close(w->fd);
	unlink(tpath);
	free(tpath);
	free(w->path);
	w->path = NULL;
	w->fd = -1;
	errno = e;
}
	return -1;
}

void qf_head(struct qf_writer *w, char type, const char *value)
{
	cfg_buf_addc(&w->buf, type);
	qf_escape(&w->buf, value);
	cfg_buf_addc(&w->buf, '\n');
}

void qf_attr(struct qf_writer *w, const char *name, const char *value)
{
	cfg_buf_addc(&w->buf, 'A');
	qf_escape(&w->buf, name);
	cfg_buf_addc(&w->buf, '=');
	qf_escape(&w->buf, value);
	cfg_buf_addc(&w->buf, '\n');
}

void qf_arrival(struct qf_writer *w, long sec, long usec)
{
	cfg_buf_printf(&w->buf, "T%ld.%06ld\n", sec, usec);
}

void qf_content(struct qf_writer *w, const void *data, size_t len)
{
	if (w->state == 0) {
		w->state = 1;
		w->content_off = pos(w);
	}
	if (w->buf.len + len > FLUSH_AT) {
		flush_buf(w);
		if (len > FLUSH_AT) {
			/* big chunk: write it straight through */
			cfg_buf_add(&w->buf, data, len);
			flush_buf(w);
			w->content_size += (off_t)len;
			return;
		}
	}
	cfg_buf_add(&w->buf, data, len);
	w->content_size += (off_t)len;
}

off_t qf_size(const struct qf_writer *w)
{
	return w->content_size;
}

/* to_tail - the records after the content start here */
static void to_tail(struct qf_writer *w)
{
	if (w->state == 0) {
		w->state = 1;
		w->content_off = pos(w);
	}
	if (w->state == 1) {
		w->state = 2;
		w->tail_off = pos(w);
	}
}

void qf_xattr(struct qf_writer *w, const char *name, const char *value)
{
	to_tail(w);
	qf_attr(w, name, value);
}

void qf_rcpt(struct qf_writer *w, const char *orig, const char *addr, unsigned notify)
{
	qf_rcpt_status(w, orig, addr, notify, '-');
}

void qf_filter(struct qf_writer *w, const char *filter)
{
	to_tail(w);
	cfg_buf_addc(&w->buf, 'F');
	qf_escape(&w->buf, filter);
	cfg_buf_addc(&w->buf, '\n');
}

void qf_rcpt_status(struct qf_writer *w, const char *orig, const char *addr, unsigned notify,
                    char status)
{
	qf_rcpt_dsn(w, orig, addr, notify, status, NULL);
}

/* qf_rcpt_dsn - the R record: status, mark, notify, orig TAB addr [TAB dsn_orcpt] */
void qf_rcpt_dsn(struct qf_writer *w, const char *orig, const char *addr, unsigned notify,
                 char status, const char *dsn_orcpt)
{
	to_tail(w);
	cfg_buf_printf(&w->buf, "R%c%0*d %x ", status == 'D' ? 'D' : '-', MARK_DIGITS, 0, notify);
	qf_escape(&w->buf, orig);
	cfg_buf_addc(&w->buf, '\t');
	qf_escape(&w->buf, addr);
	if (dsn_orcpt && *dsn_orcpt) {
		cfg_buf_addc(&w->buf, '\t');
		qf_escape(&w->buf, dsn_orcpt);
	}
	cfg_buf_addc(&w->buf, '\n');
	if (w->buf.len > FLUSH_AT)
		flush_buf(w);
}

/* fail_sync - remember a failure of the final steps */
static void fail_sync(struct qf_writer *w)
{
	if (!w->failed) {
		w->failed = QF_FAIL_SYNC;
		w->err = errno ? errno : EIO;
	}
}

/* move_to - rename the file into another queue (still locked: nobody has seen it) */
static void move_to(struct qf_writer *w, const char *queue_dir, const char *queue)
{
	char *to = qf_path(queue_dir, queue, w->qid);

	if (rename(w->path, to) < 0) {
		fail_sync(w);
		free(to);
		return;
	}
	free(w->path);
	w->path = to;
}

int qf_seal(struct qf_writer *w, int do_sync)
{
	return qf_seal_to(w, do_sync, NULL, NULL);
}

int qf_seal_to(struct qf_writer *w, int do_sync, const char *queue_dir, const char *queue)
{
	char hdr[HDR_LEN + 1];

	to_tail(w);
	cfg_buf_adds(&w->buf, "E\n");
	flush_buf(w);
	snprintf(hdr, sizeof(hdr), HDR_FMT, (long long)w->content_off, (long long)w->content_size,
	         (long long)w->tail_off, w->hflags);
	errno = 0;
	if (!w->failed && pwrite(w->fd, hdr, HDR_LEN, 0) != HDR_LEN) {
		w->failed = QF_FAIL_WRITE;
		w->err = errno ? errno : EIO;
	}
	if (!w->failed && queue)
		move_to(w, queue_dir, queue);
	if (!w->failed && fchmod(w->fd, w->seal_mode ? w->seal_mode : 0700) < 0)
		fail_sync(w);
	if (!w->failed && do_sync && fsync(w->fd) < 0)
		fail_sync(w);
	if (w->failed) {
		int e = w->err;

		qf_abort(w);
		errno = e;
		return -1;
	}
	w->state = 3;
	close(w->fd); /* the lock goes with it: readers may claim the file now */
	w->fd = -1;
	return 0;
}

void qf_abort(struct qf_writer *w)
{
	/* the name goes first, while the lock keeps readers out */
	if (w->path && w->state != 3)
		unlink(w->path);
	if (w->fd >= 0)
		close(w->fd);
	w->fd = -1;
	qf_writer_fini(w);
}

int qf_claim(int fd)
{
	struct stat st;

	if (flock(fd, LOCK_EX | LOCK_NB) < 0)
		return -1; /* its writer is still at work (or another reader has it) */
	if (fstat(fd, &st) < 0 || st.st_nlink == 0 || !S_ISREG(st.st_mode)
	    || !(st.st_mode & S_IXUSR)) {
		flock(fd, LOCK_UN);
		return -1;
	}
	return 0;
}

void qf_writer_fini(struct qf_writer *w)
{
	free(w->path);
	w->path = NULL;
	if (w->buf.data)
		cfg_buf_fini(&w->buf);
}

/* ---- reading ---- */

void qf_env_init(struct qf_env *e)
{
	memset(e, 0, sizeof(*e));
	cfg_strvec_init(&e->attrs);
	cfg_strvec_init(&e->xattrs);
}

void qf_env_fini(struct qf_env *e)
{
	free(e->sender);
	free(e->filter);
	cfg_strvec_fini(&e->attrs);
	cfg_strvec_fini(&e->xattrs);
	for (size_t i = 0; i < e->nrcpt; i++) {
		free(e->rcpt[i].orig);
		free(e->rcpt[i].dsn_orcpt);
		free(e->rcpt[i].addr);
	}
	free(e->rcpt);
	for (size_t i = 0; i < e->nlogs; i++) {
		free(e->logs[i].action);
		free(e->logs[i].dsn);
		free(e->logs[i].text);
	}
	free(e->logs);
	memset(e, 0, sizeof(*e)); /* qf_env_init() before reusing it */
}

/* read_range - read [off, off+len) into out; len < 0: to end of file */
static int read_range(int fd, off_t off, off_t len, struct cfg_buf *out)
{
	char chunk[16384];

	while (len != 0) {
		size_t want = sizeof(chunk);
		ssize_t n;

		if (len > 0 && (off_t)want > len)
			want = (size_t)len;
		n = pread(fd, chunk, want, off);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		if (n == 0)
			return len < 0 ? 0 : -1;
		cfg_buf_add(out, chunk, (size_t)n);
		off += n;
		if (len > 0)
			len -= n;
	}
	return 0;
}

/* grow_at - 1 when an array of n elements (capacity 4, 8, 16...) is full */
static int grow_at(size_t n)
{
	return n == 0 || (n >= 4 && (n & (n - 1)) == 0);
}

/* parse_rcpt - parse an R record line (without newline) at file offset off */
static int parse_rcpt(struct qf_env *e, char *line, off_t off)
{
	struct qf_rcpt r;
	char *p, *tab, *end;

	if (strlen(line) < 2 + MARK_DIGITS + 3 || line[2 + MARK_DIGITS] != ' ')
		return -1;
	memset(&r, 0, sizeof(r));
	r.status = line[1];
	r.off = off;
	r.mark = strtoull(line + 2, &end, 16);
	if (end != line + 2 + MARK_DIGITS)
		return -1;
	r.notify = (unsigned)strtoul(line + 3 + MARK_DIGITS, &p, 16);
	if (*p != ' ')
		return -1;
	p++;
	tab = strchr(p, '\t');
	if (tab == NULL)
		return -1;
	*tab = '\0';
	r.orig = cfg_xstrdup(p);
	if ((p = strchr(tab + 1, '\t')) != NULL) {
		*p = '\0';
		r.dsn_orcpt = cfg_xstrdup(p + 1);
		qf_unescape(r.dsn_orcpt);
	}
	r.addr = cfg_xstrdup(tab + 1);
	qf_unescape(r.orig);
	qf_unescape(r.addr);
	if (grow_at(e->nrcpt))
		e->rcpt = cfg_xreallocarray(e->rcpt, e->nrcpt ? e->nrcpt * 2 : 4, sizeof(*e->rcpt));
	e->rcpt[e->nrcpt++] = r;
	return 0;
}

/* parse_log - parse an L record line */
static int parse_log(struct qf_env *e, char *line)
{
	struct qf_log l;
	char *f[4], *p = line + 1;

	for (int i = 0; i < 4; i++) {
		f[i] = p;
		p = strchr(p, ' ');
		if (p == NULL)
			return -1;
		*p++ = '\0';
	}
	memset(&l, 0, sizeof(l));
	l.idx = (size_t)strtoul(f[0], NULL, 10);
	l.action = cfg_xstrdup(f[1]);
	l.dsn = cfg_xstrdup(f[2]);
	l.when = strtol(f[3], NULL, 10);
	l.text = cfg_xstrdup(p);
	qf_unescape(l.text);
	if (grow_at(e->nlogs))
		e->logs = cfg_xreallocarray(e->logs, e->nlogs ? e->nlogs * 2 : 4, sizeof(*e->logs));
	e->logs[e->nlogs++] = l;
	return 0;
}

int qf_read(int fd, struct qf_env *e, struct cfg_buf *why)
{
	struct cfg_buf b;
	long long coff, csize, toff;
	unsigned hf;
	int ended = 0, rc = -1;
	char *p, *nl;

	cfg_buf_init(&b);
	if (read_range(fd, 0, HDR_LEN, &b) < 0 || b.len != HDR_LEN) {
		cfg_buf_adds(why, "short queue file header");
		goto out;
	}
	if (sscanf(b.data, "PKQ1 %lld %lld %lld %x", &coff, &csize, &toff, &hf) != 4
	    || coff < HDR_LEN || toff < coff || csize != toff - coff) {
		cfg_buf_adds(why, "bad queue file header");
		goto out;
	}
	e->content_off = coff;
	e->content_size = csize;
	e->tail_off = toff;
	e->hflags = hf;
	cfg_buf_reset(&b);
	if (read_range(fd, HDR_LEN, coff - HDR_LEN, &b) < 0) {
		cfg_buf_adds(why, "truncated queue file head");
		goto out;
	}
	for (p = b.data; p < b.data + b.len; p = nl + 1) {
		nl = memchr(p, '\n', (size_t)(b.data + b.len - p));
		if (nl == NULL)
			break;
		*nl = '\0';
		switch (*p) {
		case 'T':
			e->arrival_sec = strtol(p + 1, &p, 10);
			e->arrival_usec = *p == '.' ? strtol(p + 1, NULL, 10) : 0;
			break;
		case 'S':
			free(e->sender);
			e->sender = cfg_xstrdup(p + 1);
			qf_unescape(e->sender);
			break;
		case 'A':
			qf_unescape(p + 1);
			cfg_strvec_add(&e->attrs, p + 1);
			break;
		default:
			break;
		}
	}
	if (e->sender == NULL)
		e->sender = cfg_xstrdup("");
	cfg_buf_reset(&b);
	if (read_range(fd, toff, -1, &b) < 0) {
		cfg_buf_adds(why, "cannot read queue file tail");
		goto out;
	}
	for (p = b.data; p < b.data + b.len; p = nl + 1) {
		off_t off = toff + (p - b.data);

		nl = memchr(p, '\n', (size_t)(b.data + b.len - p));
		if (nl == NULL)
			break;
		*nl = '\0';
		if (*p == 'R' && !ended) {
			if (parse_rcpt(e, p, off) < 0) {
				cfg_buf_adds(why, "bad recipient record");
				goto out;
			}
		} else if (*p == 'A' && !ended) {
			qf_unescape(p + 1);
			cfg_strvec_add(&e->xattrs, p + 1);
		} else if (*p == 'F' && !ended) {
			free(e->filter);
			e->filter = cfg_xstrdup(p + 1);
			qf_unescape(e->filter);
		} else if (*p == 'E') {
			ended = 1;
		} else if (*p == 'L' && ended) {
			if (parse_log(e, p) < 0) {
				cfg_buf_adds(why, "bad log record");
				goto out;
			}
		}
	}
	if (!ended) {
		cfg_buf_adds(why, "queue file is incomplete");
		goto out;
	}
	rc = 0;
out:
	cfg_buf_fini(&b);
	return rc;
}

/* find_attr - the value of name in a list of "name=value", or NULL */
static const char *find_attr(const struct cfg_strvec *v, const char *name)
{
	size_t n = strlen(name);

	for (size_t i = 0; i < v->n; i++)
		if (strncmp(v->v[i], name, n) == 0 && v->v[i][n] == '=')
			return v->v[i] + n + 1;
	return NULL;
}

const char *qf_env_attr(const struct qf_env *e, const char *name)
{
	return find_attr(&e->attrs, name);
}

int qf_encoding_ok(const char *v)
{
	return v != NULL && (strcmp(v, "7bit") == 0 || strcmp(v, "8bit") == 0);
}

const char *qf_env_xattr(const struct qf_env *e, const char *name)
{
	return find_attr(&e->xattrs, name);
}

int qf_set_status(int fd, const struct qf_rcpt *r, char status)
{
	return pwrite(fd, &status, 1, r->off + 1) == 1 ? 0 : -1;
}

int qf_set_mark(int fd, const struct qf_rcpt *r, uint64_t mark)
{
	char buf[MARK_DIGITS + 1];

	snprintf(buf, sizeof(buf), "%016" PRIX64, mark);
	return pwrite(fd, buf, MARK_DIGITS, r->off + 2) == MARK_DIGITS ? 0 : -1;
}

int qf_set_hflags(int fd, unsigned hflags)
{
	char buf[4];

	snprintf(buf, sizeof(buf), "%02x", hflags & 0xffu);
	return pwrite(fd, buf, 2, HDR_LEN - 3) == 2 ? 0 : -1;
}

int qf_append_log(int fd, size_t idx, const char *action, const char *dsn, long when,
                  const char *text)
{
	struct cfg_buf b;
	off_t end;
	int rc = 0;

	cfg_buf_init(&b);
	cfg_buf_printf(&b, "L%zu %s %s %ld ", idx, action, dsn, when);
	qf_escape(&b, text);
	cfg_buf_addc(&b, '\n');
	end = lseek(fd, 0, SEEK_END);
	if (end < 0 || pwrite(fd, b.data, b.len, end) != (ssize_t)b.len)
		rc = -1;
	cfg_buf_fini(&b);
	return rc;
}

int qf_read_content(int fd, const struct qf_env *e, struct cfg_buf *out)
{
	return read_range(fd, e->content_off, e->content_size, out);
}

/* ---- Postfix's measure of a message (see qfile.h) ---- */

int qf_pf_split(size_t left, int in_header)
{
	return in_header ? left > QF_PF_LINE_LIMIT : left >= QF_PF_LINE_LIMIT;
}

int qf_pf_in_header(const char *p, size_t len)
{
	size_t i = 0;

	if (len > 0 && (p[0] == ' ' || p[0] == '\t'))
		return 1;
	while (i < len && p[i] > ' ' && p[i] < 0x7f && p[i] != ':')
		i++;
	if (i == 0)
		return 0;
	while (i < len && (p[i] == ' ' || p[i] == '\t'))
		i++;
	return i < len && p[i] == ':';
}

long long qf_pf_record_size(size_t len)
{
	long long n = 2; /* the type byte and the first length byte */

	for (size_t rest = len >> 7; rest; rest >>= 7)
		n++;
	return n + (long long)len;
}

long long qf_pf_line_size(size_t len, int in_header)
{
	long long n = 0;

	for (; qf_pf_split(len, in_header); len -= QF_PF_LINE_LIMIT)
		n += qf_pf_record_size(QF_PF_LINE_LIMIT);
	return n + qf_pf_record_size(len);
}

/*
 * The state of qf_message_size() between lines: the start of the current
 * line (enough of it to see a header field name) and its length so far.
 */
struct pf_measure {
	char start[256];
	size_t len;
	int in_header;
	long long total;
};

/* measure_bytes - a piece of the current line */
static void measure_bytes(struct pf_measure *m, const char *p, size_t n)
{
	if (m->len < sizeof(m->start)) {
		size_t k = sizeof(m->start) - m->len < n ? sizeof(m->start) - m->len : n;

		memcpy(m->start + m->len, p, k);
	}
	m->len += n;
}

/* measure_line - the current line is complete: count its records */
static void measure_line(struct pf_measure *m)
{
	size_t seen = m->len < sizeof(m->start) ? m->len : sizeof(m->start);

	if (m->in_header && !qf_pf_in_header(m->start, seen))
		m->in_header = 0;
	m->total += qf_pf_line_size(m->len, m->in_header);
	m->len = 0;
}

int qf_message_size(int fd, const struct qf_env *e, long long *size)
{
	char chunk[16384];
	off_t off = e->content_off, left = e->content_size;
	struct pf_measure m = {.in_header = 1};

	while (left > 0) {
		size_t want = left < (off_t)sizeof(chunk) ? (size_t)left : sizeof(chunk);
		ssize_t n = pread(fd, chunk, want, off);
		const char *p, *end, *nl;

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			if (n == 0)
				errno = EIO; /* shorter than its header says */
			return -1;
		}
		for (p = chunk, end = chunk + n; p < end; p = nl + 1) {
			if ((nl = memchr(p, '\n', (size_t)(end - p))) == NULL) {
				measure_bytes(&m, p, (size_t)(end - p));
				break;
			}
			measure_bytes(&m, p, (size_t)(nl - p));
			measure_line(&m);
		}
		off += n;
		left -= n;
	}
	if (m.len > 0)
		measure_line(&m);
	*size = m.total;
	return 0;
}

int qf_make_dirs(const char *queue_dir, uid_t owner, gid_t group, struct cfg_buf *why)
{
	struct stat st;

	if (stat(queue_dir, &st) < 0) {
		if (mkdir(queue_dir, 0755) < 0 && errno != EEXIST) {
			cfg_buf_printf(why, "mkdir %s: %s", queue_dir, strerror(errno));
			return -1;
		}
	}
	for (size_t i = 0; qf_queue_dirs[i]; i++) {
		const char *d = qf_queue_dirs[i];
		char *path = cfg_xasprintf("%s/%s", queue_dir, d);
		mode_t mode = 0700;
		gid_t g = (gid_t)-1;

		/*
		 * As Postfix installs them: only the set-gid postdrop may drop
		 * files in maildrop (and nobody may list it), and only it and
		 * postqueue reach the public sockets.
		 */
		if (strcmp(d, "maildrop") == 0 || strcmp(d, "public") == 0) {
			mode = strcmp(d, "maildrop") == 0 ? 01730 : 02710;
			g = group;
		} else if (strcmp(d, "pid") == 0) {
			mode = 0755;
		}
		if (stat(path, &st) < 0) {
			if (mkdir(path, mode) < 0 && errno != EEXIST) {
				cfg_buf_printf(why, "mkdir %s: %s", path, strerror(errno));
				free(path);
				return -1;
			}
			if (strcmp(d, "pid") != 0 && (owner != (uid_t)-1 || g != (gid_t)-1)
			    && chown(path, owner, g) < 0) {
				cfg_buf_printf(why, "chown %s: %s", path, strerror(errno));
				free(path);
				return -1;
			}
			chmod(path, mode); /* undo the umask; after chown, which clears set-gid */
		}
		free(path);
	}
	return 0;
}
