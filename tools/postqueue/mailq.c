/*
 * mailq.c - list the queue as postqueue -p does (read straight from the queue directories)
 *
 *   -Queue ID-  --Size-- ----Arrival Time---- -Sender/Recipient-------
 *   759EBA74664     279 Sat Nov 28 21:11:02  sender@example.net
 *                                             (deferred transport)
 *                                            other@example.org
 *
 *   -- 1 Kbytes in 1 Request.
 * A '*' after the ID marks the active queue, '!' the hold queue.
 */
#include "config.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "addr.h"
#include "cfg/base/xalloc.h"
#include "mailq.h"
#include "qfile.h"

/* one_file - print one message; returns its size or -1 */
static long one_file(const char *dir, const char *queue, const char *qid, int first)
{
	char *path = cfg_xasprintf("%s/%s", dir, qid);
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	struct qf_env e;
	struct cfg_buf why, ext;
	char when[64], id[64];
	time_t t;
	long size = -1;

	free(path);
	if (fd < 0)
		return -1;
	qf_env_init(&e);
	cfg_buf_init(&why);
	cfg_buf_init(&ext);
	if (qf_read(fd, &e, &why) == 0) {
		if (first)
			printf(
			    "-Queue ID-  --Size-- ----Arrival Time---- -Sender/Recipient-------\n");
		t = (time_t)e.arrival_sec;
		strftime(when, sizeof(when), "%a %b %e %H:%M:%S", localtime(&t));
		snprintf(id, sizeof(id), "%s%s", qid,
		         strcmp(queue, QF_ACTIVE) == 0 ? "*"
		         : strcmp(queue, QF_HOLD) == 0 ? "!"
		                                       : "");
		addr_externalize(*e.sender ? e.sender : "MAILER-DAEMON", &ext);
		printf("%-11s %8lld %.20s  %s\n", id, (long long)e.content_size, when, ext.data);
		for (size_t i = 0; i < e.nrcpt; i++) {
			const char *reason = NULL;

			if (e.rcpt[i].status != '-')
				continue;
			for (size_t k = 0; k < e.nlogs; k++)
				if (e.logs[k].idx == i && strcmp(e.logs[k].action, "deferred") == 0)
					reason = e.logs[k].text;
			if (reason) {
				int len = (int)strlen(reason) + 2, pad = 78 - len;

				printf("%*s(%s)\n", pad < 8 ? 8 : pad, "", reason);
			}
			cfg_buf_reset(&ext);
			addr_externalize(e.rcpt[i].addr, &ext);
			printf("%41s%s\n", "", ext.data);
		}
		printf("\n");
		size = (long)e.content_size;
	}
	cfg_buf_fini(&ext);
	cfg_buf_fini(&why);
	qf_env_fini(&e);
	close(fd);
	return size;
}

/* the queues a listing shows, in Postfix's order */
static const char *const queues[] = {QF_MAILDROP, QF_INCOMING, QF_ACTIVE,
                                     QF_DEFERRED, QF_HOLD,     NULL};

int mailq_readable(const char *queue_dir, struct cfg_buf *why)
{
	for (size_t q = 0; queues[q]; q++) {
		char *dir = cfg_xasprintf("%s/%s", queue_dir, queues[q]);
		DIR *d = opendir(dir);

		if (d == NULL && errno != ENOENT) {
			cfg_buf_printf(why, "open %s: %s", dir, strerror(errno));
			free(dir);
			return -1;
		}
		if (d)
			closedir(d);
		free(dir);
	}
	return 0;
}

int mailq_print(const char *queue_dir)
{
	long total = 0, count = 0;

	for (size_t q = 0; queues[q]; q++) {
		char *dir = cfg_xasprintf("%s/%s", queue_dir, queues[q]);
		DIR *d = opendir(dir);
		struct dirent *de;

		while (d && (de = readdir(d)) != NULL) {
			long size;

			if (!qf_valid_id(de->d_name))
				continue;
			size = one_file(dir, queues[q], de->d_name, count == 0);
			if (size >= 0) {
				total += size;
				count++;
			}
		}
		if (d)
			closedir(d);
		free(dir);
	}
	if (count == 0)
		printf("Mail queue is empty\n");
	else
		printf("-- %ld Kbytes in %ld Request%s.\n", (total + 1023) / 1024, count,
		       count == 1 ? "" : "s");
	return fflush(stdout) == 0 ? 0 : 1;
}
