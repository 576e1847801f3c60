/* super.c - postsuper's passes over whole queue directories (see postsuper.h) */
#include "config.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "cfg/base/xalloc.h"
#include "log.h"
#include "postsuper.h"
#include "qfile.h"

#define MAX_TEMP_AGE (7 * 24 * 3600) /* -p removes unfinished files older than this */
#define SUFFIX "#FIX"                /* a name fixed in the first pass, for the second */
#define USEC_DIGITS 5                /* the time part of a queue ID */

/* the queue directories postsuper knows; message queues first */
static const struct {
	const char *name;
	int messages; /* message files (else per-message log files) */
	int recurse;  /* may hold hashed subdirectories (of a Postfix layout) */
} queue_info[] = {
    {"maildrop", 1, 0}, {"incoming", 1, 1}, {"active", 1, 1}, {"deferred", 1, 1}, {"hold", 1, 1},
    {"trace", 0, 1},    {"defer", 0, 1},    {"bounce", 0, 1}, {"flush", 0, 1},
};

/* info - the row of a queue, or -1 */
static int info(const char *queue)
{
	for (size_t i = 0; i < sizeof(queue_info) / sizeof(queue_info[0]); i++)
		if (strcmp(queue_info[i].name, queue) == 0)
			return (int)i;
	return -1;
}

int ps_known_queue(const char *queue)
{
	return info(queue) >= 0;
}

int ps_message_queue(const char *queue)
{
	int i = info(queue);

	return i >= 0 && queue_info[i].messages;
}

int ps_ready(const char *path)
{
	struct stat st;
	int fd = open(path, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);

	if (fd < 0) {
		if (errno != ENOENT && errno != ELOOP)
			mta_warn("%s: %m", path);
		return -1;
	}
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode) || (st.st_mode & S_IRWXU) != S_IRWXU
	    || st.st_nlink != 1 || qf_claim(fd) < 0) {
		close(fd);
		return -1;
	}
	return fd;
}

int ps_rename(const char *from, const char *to)
{
	if (rename(from, to) == 0)
		return 0;
	if (errno != ENOENT)
		mta_fatal("rename file %s as %s: %m", from, to);
	return -1;
}

int ps_remove(const char *path)
{
	if (remove(path) == 0)
		return 0;
	if (errno != ENOENT)
		mta_fatal("remove file %s: %m", path);
	return -1;
}

/*
 * fixed_name - the queue ID that matches the file's inode: the time digits
 * kept, the inode number in hex after them; NULL when name is no queue ID
 */
static char *fixed_name(const char *name, ino_t ino)
{
	if (!qf_valid_id(name))
		return NULL;
	return cfg_xasprintf("%.*s%" PRIXMAX, USEC_DIGITS, name, (uintmax_t)ino);
}

/* move_ready - ALL: one complete message file from path to queue to/name; 1 when moved */
static int move_ready(const char *path, const char *to, const char *name)
{
	char *dest = cfg_xasprintf("%s/%s", to, name);
	int fd = ps_ready(path), moved = fd >= 0 && ps_rename(path, dest) == 0;

	if (fd >= 0)
		close(fd);
	free(dest);
	return moved;
}

/* one_entry - what a pass does with one file of queue q (row i); path is where it is */
static void one_entry(const char *q, int i, const char *path, char *name, unsigned action,
                      struct ps_count *n)
{
	int msgs = queue_info[i].messages;
	size_t len = strlen(name);
	struct stat st;
	char *want;

	if (lstat(path, &st) < 0)
		return;
	if (action & PS_DELETE_ALL) {
		int fd = ps_ready(path);

		/* count the mail the system took responsibility for */
		if (ps_remove(path) == 0 && msgs && fd >= 0)
			n->deleted++;
		if (fd >= 0)
			close(fd);
		return;
	}
	if (!S_ISREG(st.st_mode)
	    || ((action & PS_PURGE) && msgs && (st.st_mode & S_IRWXU) != S_IRWXU
	        && time(NULL) > st.st_mtime + MAX_TEMP_AGE)) {
		ps_remove(path);
		return;
	}
	if ((action & PS_STRUCT) && len > strlen(SUFFIX) && strcmp(name + len - 4, SUFFIX) == 0) {
		/* the second half of a fix begun in the first pass */
		name[len - 4] = '\0';
		want = msgs ? fixed_name(name, st.st_ino) : cfg_xstrdup(name);
		if (want == NULL || strcmp(want, name) != 0) {
			mta_warn("%s: %s", want ? "name/inode mismatch" : "bogus file name", path);
		} else {
			free(want);
			want = cfg_xasprintf("%s/%s", q, name);
			if (ps_rename(path, want) == 0 && msgs)
				n->inode_fixed++;
		}
		free(want);
		return;
	}
	if (!qf_valid_id(name)) {
		mta_warn("bogus file name: %s", path);
		return;
	}
	if ((action & PS_STRUCT) && msgs) {
		want = fixed_name(name, st.st_ino);
		if (strcmp(want, name) != 0) {
			char *to = cfg_xasprintf("%s/%s%s", q, want, SUFFIX);

			n->inode_mismatch++;
			ps_rename(path, to);
			free(to);
			free(want);
			return;
		}
		free(want);
	}
	if ((action & PS_REQUEUE_ALL) && msgs && strcmp(q, QF_MAILDROP) != 0)
		n->requeued += move_ready(path, QF_MAILDROP, name);
	else if ((action & PS_HOLD_ALL) && msgs && strcmp(q, QF_MAILDROP) != 0
	         && strcmp(q, QF_HOLD) != 0)
		n->held += move_ready(path, QF_HOLD, name);
	else if ((action & PS_RELEASE_ALL) && strcmp(q, QF_HOLD) == 0)
		n->released += move_ready(path, QF_DEFERRED, name);
	else if ((action & PS_STRUCT) && strchr(path + strlen(q) + 1, '/')) {
		/* a file of a hashed layout: postkit's queues are flat */
		want = cfg_xasprintf("%s/%s", q, name);
		n->position_mismatch++;
		ps_rename(path, want);
		free(want);
	}
}

/* walk - the files of dir (queue q, row i), subdirectories of a hashed layout first */
static void walk(const char *q, int i, const char *dir, unsigned action, struct ps_count *n)
{
	DIR *d = opendir(dir);
	struct dirent *de;
	struct cfg_strvec names;
	struct stat st;

	if (d == NULL) {
		/* as Postfix: a queue directory that is missing is fatal (a hashed level may go away) */
		if (errno != ENOENT || dir == q)
			mta_fatal("scan_dir_push: open directory %s: %m", dir);
		return;
	}
	cfg_strvec_init(&names);
	while ((de = readdir(d)) != NULL)
		if (strcmp(de->d_name, ".") != 0 && strcmp(de->d_name, "..") != 0)
			cfg_strvec_add(&names, de->d_name);
	closedir(d);
	for (size_t k = 0; k < names.n; k++) {
		char *path = cfg_xasprintf("%s/%s", dir, names.v[k]);

		if (lstat(path, &st) == 0 && S_ISDIR(st.st_mode)) {
			if (strlen(names.v[k]) == 1 && queue_info[i].recurse)
				walk(q, i, path, action, n);
			/* a hashed level postkit does not use, or an alien directory */
			if (rmdir(path) < 0 && errno != ENOENT)
				mta_warn("remove subdirectory %s: %m", path);
		} else {
			one_entry(q, i, path, names.v[k], action, n);
		}
		free(path);
	}
	cfg_strvec_fini(&names);
}

void ps_super(const char *const *queues, unsigned action, struct ps_count *n)
{
	for (const char *const *q = queues; *q; q++) {
		int i = info(*q);

		if (i >= 0)
			walk(*q, i, *q, action, n);
	}
}
