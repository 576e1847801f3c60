/* listfile.c - reading a user's list file (.forward) the way local(8) may (see listfile.h) */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <signal.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "listfile.h"

/* the most a child sends back: a list file larger than this is not a list file */
#define LISTFILE_MAX (1024 * 1024)

int listfile_unsafe(const char *path, const struct stat *st, uid_t uid, struct cfg_buf *why)
{
	if (!S_ISREG(st->st_mode))
		cfg_buf_printf(why, "file %s is not a regular file", path);
	else if (st->st_uid != 0 && st->st_uid != uid)
		cfg_buf_printf(why, "file %s has bad owner uid %ld", path, (long)st->st_uid);
	else if (st->st_mode & S_IWOTH)
		cfg_buf_printf(why, "file %s is world writable", path);
	else
		return 0;
	return 1;
}

/* write_all - all of n bytes to fd; 0 or -1 */
static int write_all(int fd, const char *p, size_t n)
{
	while (n > 0) {
		ssize_t w = write(fd, p, n);

		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return -1;
		p += w;
		n -= (size_t)w;
	}
	return 0;
}

/* child_read - the child's part: status letter then text ('1' file, '0' none, '2' refused, '3' error) */
static void child_read(const char *path, uid_t uid, gid_t gid, int out)
{
	struct cfg_buf text, why;
	struct stat st, fst;
	char status = '3';
	char chunk[8192];
	ssize_t n;
	int fd = -1;

	cfg_buf_init(&text);
	cfg_buf_init(&why);
	if (geteuid() == 0 && uid != 0
	    && (setgroups(1, &gid) < 0 || setgid(gid) < 0 || setuid(uid) < 0 || setuid(0) == 0)) {
		cfg_buf_printf(&why, "cannot switch to uid %ld: %s", (long)uid, strerror(errno));
	} else if (lstat(path, &st) < 0) {
		if (errno == ENOENT || errno == ENOTDIR)
			status = '0';
		else
			cfg_buf_printf(&why, "cannot open file %s: %s", path, strerror(errno));
	} else if (listfile_unsafe(path, &st, uid, &why)) {
		status = '2';
	} else if ((fd = open(path, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC)) < 0) {
		cfg_buf_printf(&why, "cannot open file %s: %s", path, strerror(errno));
	} else if (fstat(fd, &fst) < 0 || fst.st_dev != st.st_dev || fst.st_ino != st.st_ino) {
		cfg_buf_printf(&why, "file %s changed while it was opened", path);
	} else {
		while ((n = read(fd, chunk, sizeof(chunk))) > 0 && text.len < LISTFILE_MAX)
			cfg_buf_add(&text, chunk, (size_t)n);
		status = n < 0 ? '3' : '1';
		if (n < 0)
			cfg_buf_printf(&why, "cannot read file %s: %s", path, strerror(errno));
	}
	if (fd >= 0)
		close(fd);
	if (write_all(out, &status, 1) == 0) {
		const struct cfg_buf *b = status == '1' ? &text : &why;

		if (b->len)
			write_all(out, b->data, b->len);
	}
	_exit(0);
}

int listfile_read_as(const char *path, uid_t uid, gid_t gid, struct cfg_buf *out,
                     struct cfg_buf *why)
{
	struct cfg_buf got;
	char chunk[8192];
	ssize_t n;
	int fds[2], st = 0, rc;
	pid_t pid;

	if (pipe(fds) < 0 || (pid = fork()) < 0) {
		cfg_buf_printf(why, "cannot read file %s: %s", path, strerror(errno));
		return -1;
	}
	if (pid == 0) {
		close(fds[0]);
		child_read(path, uid, gid, fds[1]);
	}
	close(fds[1]);
	cfg_buf_init(&got);
	while ((n = read(fds[0], chunk, sizeof(chunk))) != 0) {
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			break;
		cfg_buf_add(&got, chunk, (size_t)n);
	}
	close(fds[0]);
	while (waitpid(pid, &st, 0) < 0 && errno == EINTR)
		;
	if (got.len == 0 || !WIFEXITED(st)) {
		cfg_buf_printf(why, "cannot read file %s: reader process failed", path);
		rc = -1;
	} else if (got.data[0] == '1') {
		cfg_buf_add(out, got.data + 1, got.len - 1);
		rc = 1;
	} else if (got.data[0] == '0') {
		rc = 0;
	} else {
		cfg_buf_add(why, got.data + 1, got.len - 1);
		rc = -1;
	}
	cfg_buf_fini(&got);
	return rc;
}
