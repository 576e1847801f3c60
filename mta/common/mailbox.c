/* mailbox.c - settings, message text, rights and careful opens for mailbox delivery (see mailbox.h) */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <signal.h>
#include <strings.h>
#include <sys/file.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "addr.h"
#include "cfg/base/xalloc.h"
#include "log.h"
#include "mailbox.h"
#include "mailbox_int.h"

static struct mbx_cfg cfg = {.prog = "local", .open_dsn = "5.2.0", .lock_attempts = 20};

/* the agent's own supplementary groups, restored after acting as a user */
static gid_t *own_groups;
static int own_ngroups;

const struct mbx_cfg *mbxp_cfg(void)
{
	return &cfg;
}

void mbx_init(const struct mbx_cfg *c)
{
	int n;

	cfg = *c;
	if (cfg.lock_attempts <= 0)
		cfg.lock_attempts = 20;
	if (cfg.open_dsn == NULL)
		cfg.open_dsn = "5.2.0";
	if (!cfg.root || own_groups)
		return;
	n = getgroups(0, NULL);
	if (n > 0) {
		own_groups = cfg_xcalloc((size_t)n, sizeof(*own_groups));
		own_ngroups = getgroups(n, own_groups);
	}
	if (own_ngroups < 0)
		own_ngroups = 0;
}

void mbx_result_set(struct mbx_result *res, int status, const char *dsn, const char *fmt, ...)
{
	va_list ap;

	res->status = status;
	snprintf(res->dsn, sizeof(res->dsn), "%s", dsn);
	cfg_buf_reset(&res->text);
	va_start(ap, fmt);
	cfg_buf_vprintf(&res->text, fmt, ap);
	va_end(ap);
}

int mbx_message(const struct mbx_copy *c, int flags, struct cfg_buf *out)
{
	struct dlv_req *r = c->req;
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
	if (flags & MBX_FROM) {
		localtime_r(&now, &tm);
		strftime(date, sizeof(date), "%a %b %e %H:%M:%S %Y", &tm);
		cfg_buf_printf(out, "From %s  %s\n", *c->sender ? c->sender : "MAILER-DAEMON",
		               date);
	}
	addr_externalize(c->sender, &ext);
	cfg_buf_printf(out, "Return-Path: <%s>\n", ext.data);
	cfg_buf_reset(&ext);
	addr_externalize(c->orig, &ext);
	cfg_buf_printf(out, "X-Original-To: %s\n", ext.data);
	cfg_buf_reset(&ext);
	addr_externalize(c->delivered_to ? c->delivered_to : c->addr, &ext);
	cfg_buf_printf(out, "Delivered-To: %s\n", ext.data);
	cfg_buf_fini(&ext);
	cfg_buf_reserve(out, content.len + content.len / 64 + 2);
	for (p = content.data, end = content.data + content.len; p < end;) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		size_t n = nl ? (size_t)(nl - p) + 1 : (size_t)(end - p);

		/* mboxo quoting: only "From " itself, ">From " stays as it is */
		if ((flags & MBX_QUOTE) && n >= 5 && memcmp(p, "From ", 5) == 0)
			cfg_buf_addc(out, '>');
		cfg_buf_add(out, p, n);
		p += n;
	}
	if (out->len == 0 || out->data[out->len - 1] != '\n')
		cfg_buf_addc(out, '\n');
	if (flags & MBX_BLANK)
		cfg_buf_addc(out, '\n');
	cfg_buf_fini(&content);
	return 0;
}

int mbx_become(uid_t uid, gid_t gid)
{
	if (!cfg.root)
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

		mbx_become(0, 0);
		errno = e;
		return -1;
	}
	return 0;
}

/* close_keep_errno - close fd without losing errno; always -1 */
static int close_keep_errno(int fd)
{
	int e = errno;

	close(fd);
	errno = e;
	return -1;
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
	return close_keep_errno(fd);
}

int mbx_safe_open(const char *path, int flags, uid_t cuid, gid_t cgid, struct stat *st,
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
		cfg_buf_printf(why, "cannot create file exclusively: %s", strerror(errno));
		return close_keep_errno(fd);
	}
	return fd;
}

int mbx_lock_fd(int fd, int use_flock)
{
	struct flock fl;

	memset(&fl, 0, sizeof(fl));
	fl.l_type = F_WRLCK;
	fl.l_whence = SEEK_SET;
	for (long i = 0; i < cfg.lock_attempts; i++) {
		if (i > 0)
			sleep((unsigned)(cfg.lock_delay > 0 ? cfg.lock_delay : 1));
		if ((use_flock ? flock(fd, LOCK_EX | LOCK_NB) : fcntl(fd, F_SETLK, &fl)) == 0)
			return 0;
		if (errno != EAGAIN && errno != EACCES && errno != EWOULDBLOCK)
			return -1;
	}
	errno = EAGAIN;
	return -1;
}

int mbx_write_all(int fd, const struct cfg_buf *b)
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

const char *mbx_dsn(int err, const char *def)
{
	if (err == EAGAIN || err == ESTALE)
		return "4.2.0";
	if (err == ENOSPC)
		return "4.3.0";
	if (err == EDQUOT || err == EFBIG)
		return "5.2.2";
	return def;
}

/* check_limit - fatal when a mailbox limit (0: none) cannot hold one message, as in Postfix */
static void check_limit(const char *param, long limit, long message_limit)
{
	if (limit == 0)
		return;
	if (message_limit == 0)
		mta_fatal("configuration error: %s is limited but message_size_limit is unlimited",
		          param);
	if (limit < message_limit)
		mta_fatal("configuration error: %s is smaller than message_size_limit", param);
}

/* lock_methods - the MBX_LOCK_* bits of a lock list; fatal on an unknown word */
static unsigned lock_methods(const char *param, const struct cfg_strvec *v)
{
	static const struct {
		const char *name;
		unsigned bit;
	} tab[] = {
	    {"fcntl", MBX_LOCK_FCNTL}, {"dotlock", MBX_LOCK_DOTLOCK}, {"flock", MBX_LOCK_FLOCK}};
	unsigned mask = 0;

	for (size_t i = 0; i < v->n; i++) {
		size_t j;

		for (j = 0; j < sizeof(tab) / sizeof(tab[0]); j++)
			if (strcasecmp(v->v[i], tab[j].name) == 0)
				break;
		if (j == sizeof(tab) / sizeof(tab[0]))
			mta_fatal("unknown %s value \"%s\" in \"%s\"", param, v->v[i],
			          cfg_strvec_join(v, ", "));
		mask |= tab[j].bit;
	}
	return mask;
}

void mbx_setup(struct mta_conf *conf, const char *lock_param, const char *limit_param,
               struct mbx_cfg *c)
{
	struct cfg_strvec locks;
	long message_limit = 0;
	struct mta_setting tab[] = {
	    MTA_SET(CFG_P_myhostname, &c->hostname),
	    MTA_SET(CFG_P_deliver_lock_attempts, &c->lock_attempts),
	    MTA_SET(CFG_P_deliver_lock_delay, &c->lock_delay),
	    MTA_SET(CFG_P_stale_lock_time, &c->stale_lock),
	    MTA_SET(CFG_P_strict_mailbox_ownership, &c->strict_ownership),
	    MTA_SET(CFG_P_message_size_limit, &message_limit),
	    MTA_SETTINGS_END,
	};

	cfg_strvec_init(&locks);
	mta_conf_get(conf, tab);
	mta_conf_named(conf, lock_param, &locks);
	mta_conf_named(conf, limit_param, &c->size_limit);
	c->locks = lock_methods(lock_param, &locks);
	cfg_strvec_fini(&locks);
	check_limit(limit_param, c->size_limit, message_limit);
	c->root = geteuid() == 0;
	umask(077);
	mbx_init(c);
}

long mbx_size_limit(void)
{
	return cfg.size_limit;
}

void mbx_file_limit(void)
{
	struct rlimit rl = {.rlim_cur = (rlim_t)cfg.size_limit, .rlim_max = (rlim_t)cfg.size_limit};

	if (cfg.size_limit <= 0)
		return;
	signal(SIGXFSZ, SIG_IGN);
	if (setrlimit(RLIMIT_FSIZE, &rl) < 0)
		mta_warn("setrlimit: %m");
}
