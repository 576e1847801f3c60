/*
 * faultinject.c - an LD_PRELOAD object that makes chosen I/O calls fail
 *
 * Tests load it into real programs (postkit's or Postfix's daemons) to see
 * what they do when the disk fails: LD_PRELOAD=tests/integ/faultinject.so.
 * Nothing happens unless FAULT_CALLS is set; everything is chosen by
 * environment variables, read once per process:
 *
 *   FAULT_CALLS  comma list of calls to fail: write, pwrite, fsync,
 *                fdatasync, rename, link ("pwrite" covers pwrite64)
 *   FAULT_ERRNO  the error: EIO (default), ENOSPC, EDQUOT, EFBIG, EROFS,
 *                or a number
 *   FAULT_PATH   only calls on a file whose path contains this substring
 *                (for write/pwrite/fsync/fdatasync the path of the
 *                descriptor, from /proc/self/fd; for rename/link either
 *                name); unset: every file, sockets and pipes included
 *   FAULT_PROG   comma list of program names (/proc/self/comm, which
 *                postkit's daemons set to "smtpd", "cleanup"...); only
 *                these processes fail calls.  Checked at each call, so a
 *                forked daemon that renames itself is seen as its new name
 *   FAULT_AFTER  let the first N matching calls succeed (default 0)
 *   FAULT_EVERY  then fail every Nth matching call (default 1: all)
 *   FAULT_PROB   then fail with this probability (0..1, default 1)
 *   FAULT_SEED   seed of the pseudo-random sequence for FAULT_PROB
 *                (default 1); each process starts it again from the seed
 *                mixed with its pid when FAULT_SEED_PID=1
 *   FAULT_DELAY_MS  sleep this long before failing a call (a dying disk
 *                is slow to say so; it also widens any window in which
 *                another process could see a half-finished file)
 *   FAULT_LOG    append one line per failed call to this file:
 *                "<comm>[<pid>] <call> <path>: <errno name>"
 *
 * A "matching call" is one of FAULT_CALLS in a FAULT_PROG process on a
 * FAULT_PATH file; counters are per process.  A failed call does nothing:
 * no bytes are written, no name changes.  Example, every third fsync of a
 * queue file in smtpd fails with ENOSPC:
 *
 *   LD_PRELOAD=.../faultinject.so FAULT_CALLS=fsync FAULT_ERRNO=ENOSPC \
 *   FAULT_PROG=smtpd FAULT_PATH=/queue/ FAULT_EVERY=3 postfix start
 *
 * Under AddressSanitizer the runtime must come first in the library list:
 * run with ASAN_OPTIONS=verify_asan_link_order=0.  A program that resolves
 * the calls before this object (a static sanitizer runtime) is not
 * affected; tests see that no line reached FAULT_LOG and skip.
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>
#include <time.h>
#include <unistd.h>

enum call { C_WRITE, C_PWRITE, C_FSYNC, C_FDATASYNC, C_RENAME, C_LINK, C_NCALLS };

static const char *const call_names[C_NCALLS] = {"write",     "pwrite", "fsync",
                                                 "fdatasync", "rename", "link"};

static struct {
	int loaded;
	int active;
	unsigned calls; /* bit per enum call */
	int err;
	const char *path;
	const char *progs;
	unsigned long after, every;
	double prob;
	long delay_ms;
	uint64_t rng;
	const char *log;
	unsigned long count;
	pid_t pid; /* the process the counters belong to */
	int busy;  /* inside our own bookkeeping: never fail our own calls */
} F;

static ssize_t (*real_write)(int, const void *, size_t);
static ssize_t (*real_pwrite)(int, const void *, size_t, off_t);
static ssize_t (*real_pwrite64)(int, const void *, size_t, off_t);
static int (*real_fsync)(int);
static int (*real_fdatasync)(int);
static int (*real_rename)(const char *, const char *);
static int (*real_link)(const char *, const char *);

/* errno_value - a name or a number */
static int errno_value(const char *s)
{
	static const struct {
		const char *name;
		int value;
	} tab[] = {{"EIO", EIO},       {"ENOSPC", ENOSPC}, {"EDQUOT", EDQUOT},
	           {"EFBIG", EFBIG},   {"EROFS", EROFS},   {"EPERM", EPERM},
	           {"EACCES", EACCES}, {"ENOENT", ENOENT}, {NULL, 0}};

	if (s == NULL || *s == '\0')
		return EIO;
	for (int i = 0; tab[i].name; i++)
		if (strcmp(tab[i].name, s) == 0)
			return tab[i].value;
	return (int)strtol(s, NULL, 10) > 0 ? (int)strtol(s, NULL, 10) : EIO;
}

/* errno_name - the name for the log line */
static const char *errno_name(int e)
{
	switch (e) {
	case EIO:
		return "EIO";
	case ENOSPC:
		return "ENOSPC";
	case EDQUOT:
		return "EDQUOT";
	case EFBIG:
		return "EFBIG";
	case EROFS:
		return "EROFS";
	default:
		return "error";
	}
}

/* has_word - 1 when the comma list has word */
static int has_word(const char *list, const char *word)
{
	size_t n = strlen(word);

	for (const char *p = list; p && *p;) {
		const char *c = strchr(p, ',');
		size_t len = c ? (size_t)(c - p) : strlen(p);

		if (len == n && strncmp(p, word, n) == 0)
			return 1;
		p = c ? c + 1 : NULL;
	}
	return 0;
}

/* reseed - the pseudo-random state of this process */
static void reseed(void)
{
	const char *s = getenv("FAULT_SEED");
	const char *bypid = getenv("FAULT_SEED_PID");

	F.rng = s ? strtoull(s, NULL, 10) : 1;
	if (bypid && strcmp(bypid, "1") == 0)
		F.rng ^= (uint64_t)getpid() * 0x9E3779B97F4A7C15ull;
	if (F.rng == 0)
		F.rng = 1;
	F.count = 0;
	F.pid = getpid();
}

/* setup - read the environment once and find the real functions */
static void setup(void)
{
	const char *calls, *v;

	if (F.loaded)
		return;
	F.loaded = 1;
	real_write = (ssize_t(*)(int, const void *, size_t))dlsym(RTLD_NEXT, "write");
	real_pwrite = (ssize_t(*)(int, const void *, size_t, off_t))dlsym(RTLD_NEXT, "pwrite");
	real_pwrite64 = (ssize_t(*)(int, const void *, size_t, off_t))dlsym(RTLD_NEXT, "pwrite64");
	real_fsync = (int (*)(int))dlsym(RTLD_NEXT, "fsync");
	real_fdatasync = (int (*)(int))dlsym(RTLD_NEXT, "fdatasync");
	real_rename = (int (*)(const char *, const char *))dlsym(RTLD_NEXT, "rename");
	real_link = (int (*)(const char *, const char *))dlsym(RTLD_NEXT, "link");
	calls = getenv("FAULT_CALLS");
	if (calls == NULL || *calls == '\0')
		return;
	for (int i = 0; i < C_NCALLS; i++)
		if (has_word(calls, call_names[i]))
			F.calls |= 1u << i;
	F.err = errno_value(getenv("FAULT_ERRNO"));
	F.path = getenv("FAULT_PATH");
	F.progs = getenv("FAULT_PROG");
	F.after = (v = getenv("FAULT_AFTER")) ? strtoul(v, NULL, 10) : 0;
	F.every = (v = getenv("FAULT_EVERY")) ? strtoul(v, NULL, 10) : 1;
	if (F.every == 0)
		F.every = 1;
	F.prob = (v = getenv("FAULT_PROB")) ? strtod(v, NULL) : 1.0;
	F.delay_ms = (v = getenv("FAULT_DELAY_MS")) ? strtol(v, NULL, 10) : 0;
	F.log = getenv("FAULT_LOG");
	reseed();
	F.active = F.calls != 0;
}

__attribute__((constructor)) static void faultinject_init(void)
{
	setup();
}

/* comm - this process's name */
static void comm(char *buf, size_t len)
{
	int fd = open("/proc/self/comm", O_RDONLY | O_CLOEXEC);
	ssize_t n = fd >= 0 ? read(fd, buf, len - 1) : -1;

	if (fd >= 0)
		close(fd);
	if (n < 0)
		n = 0;
	buf[n] = '\0';
	if (n > 0 && buf[n - 1] == '\n')
		buf[n - 1] = '\0';
}

/* fd_path - the file behind a descriptor */
static void fd_path(int fd, char *buf, size_t len)
{
	char link[64];
	ssize_t n;

	snprintf(link, sizeof(link), "/proc/self/fd/%d", fd);
	n = readlink(link, buf, len - 1);
	buf[n > 0 ? n : 0] = '\0';
}

/* abs_path - a name as an absolute path (Postfix renames relative to the queue directory) */
static const char *abs_path(const char *name, char *buf, size_t len)
{
	size_t n;

	if (name == NULL || name[0] == '/' || getcwd(buf, len) == NULL)
		return name;
	n = strlen(buf);
	snprintf(buf + n, len - n, "/%s", name);
	return buf;
}

/* next_random - a number in [0, 1) from the process's sequence */
static double next_random(void)
{
	F.rng ^= F.rng << 13;
	F.rng ^= F.rng >> 7;
	F.rng ^= F.rng << 17;
	return (double)(F.rng >> 11) / 9007199254740992.0;
}

/* note - one line in FAULT_LOG */
static void note(const char *name, enum call c, const char *path)
{
	char line[4352];
	int fd, n;

	if (F.log == NULL)
		return;
	n = snprintf(line, sizeof(line), "%s[%ld] %s %s: %s\n", name, (long)getpid(), call_names[c],
	             path, errno_name(F.err));
	if (n < 0)
		return;
	if (n >= (int)sizeof(line))
		n = (int)sizeof(line) - 1;
	fd = open(F.log, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
	if (fd >= 0) {
		real_write(fd, line, (size_t)n);
		close(fd);
	}
}

/*
 * should_fail - decide for one call; path2 is the second name of
 * rename/link.  Sets errno when it says yes.
 */
static int should_fail(enum call c, int fd, const char *path1, const char *path2)
{
	char name[64], path[4096], path2abs[4096];
	int fail = 0;

	setup();
	if (!F.active || F.busy || !(F.calls & (1u << c)))
		return 0;
	F.busy = 1;
	if (F.pid != getpid())
		reseed(); /* a forked child counts its own calls */
	name[0] = '\0';
	if (F.progs) {
		comm(name, sizeof(name));
		if (!has_word(F.progs, name))
			goto out;
	}
	if (path1 == NULL) {
		fd_path(fd, path, sizeof(path));
		path1 = path;
	} else {
		path1 = abs_path(path1, path, sizeof(path));
		path2 = abs_path(path2, path2abs, sizeof(path2abs));
	}
	if (F.path && strstr(path1, F.path) == NULL && (path2 == NULL || !strstr(path2, F.path)))
		goto out;
	F.count++;
	if (F.count <= F.after || (F.count - F.after) % F.every != 0)
		goto out;
	if (F.prob < 1.0 && next_random() >= F.prob)
		goto out;
	if (name[0] == '\0')
		comm(name, sizeof(name));
	note(name, c, path1);
	if (F.delay_ms > 0) {
		struct timespec ts = {F.delay_ms / 1000, (F.delay_ms % 1000) * 1000000L};

		nanosleep(&ts, NULL);
	}
	fail = 1;
out:
	F.busy = 0;
	if (fail)
		errno = F.err;
	return fail;
}

ssize_t write(int fd, const void *buf, size_t n)
{
	if (should_fail(C_WRITE, fd, NULL, NULL))
		return -1;
	return real_write(fd, buf, n);
}

ssize_t pwrite(int fd, const void *buf, size_t n, off_t off)
{
	if (should_fail(C_PWRITE, fd, NULL, NULL))
		return -1;
	return real_pwrite(fd, buf, n, off);
}

ssize_t pwrite64(int fd, const void *buf, size_t n, off_t off);
ssize_t pwrite64(int fd, const void *buf, size_t n, off_t off)
{
	if (should_fail(C_PWRITE, fd, NULL, NULL))
		return -1;
	return real_pwrite64(fd, buf, n, off);
}

int fsync(int fd)
{
	if (should_fail(C_FSYNC, fd, NULL, NULL))
		return -1;
	return real_fsync(fd);
}

int fdatasync(int fd)
{
	if (should_fail(C_FDATASYNC, fd, NULL, NULL))
		return -1;
	return real_fdatasync(fd);
}

int rename(const char *from, const char *to)
{
	if (should_fail(C_RENAME, -1, from, to))
		return -1;
	return real_rename(from, to);
}

int link(const char *from, const char *to)
{
	if (should_fail(C_LINK, -1, from, to))
		return -1;
	return real_link(from, to);
}
