/* qlist.c - the mail queue as Postfix's showq service reports it (see qlist.h) */
#include "config.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "addr.h"
#include "cfg/base/xalloc.h"
#include "ipc.h"
#include "qfile.h"
#include "qlist.h"
#include "submit.h"

/* the queues showq lists, in its order */
static const char *const queues[] = {QF_MAILDROP, QF_INCOMING, QF_ACTIVE,
                                     QF_DEFERRED, QF_HOLD,     NULL};

/* attr_record - the bytes of a Postfix named-attribute record name=value */
static long long attr_record(const char *name, const char *value)
{
	return qf_pf_record_size(strlen(name) + 1 + strlen(value));
}

/*
 * maildrop_size - what Postfix's postdrop file for this submission would
 * measure: time, DSN and rewrite-context attributes, full name, sender,
 * recipients (each with its DSN notify attribute), then the empty message,
 * extracted and end records around the content.
 */
static long long maildrop_size(const struct qf_env *e, long long content)
{
	char num[64];
	const char *v;
	long long n;

	snprintf(num, sizeof(num), "%ld %ld", e->arrival_sec, e->arrival_usec);
	n = qf_pf_record_size(strlen(num));
	if ((v = qf_env_attr(e, "envid")) != NULL)
		n += attr_record("envelope_id", v);
	if ((v = qf_env_attr(e, "ret")) != NULL)
		n += attr_record("ret_flags", strcmp(v, "full") == 0 ? "1" : "2");
	v = qf_env_attr(e, "rewrite_context");
	n += attr_record("rewrite_context", v ? v : "local");
	if ((v = qf_env_attr(e, "full_name")) != NULL)
		n += qf_pf_record_size(strlen(v));
	n += qf_pf_record_size(strlen(e->sender));
	for (size_t i = 0; i < e->nrcpt; i++) {
		if (e->rcpt[i].notify) {
			snprintf(num, sizeof(num), "%u", e->rcpt[i].notify);
			n += attr_record("notify_flags", num);
		}
		n += qf_pf_record_size(strlen(e->rcpt[i].addr));
	}
	return n + 3 * qf_pf_record_size(0) + content;
}

/* add_address - name=address in external form, control characters as '?' */
static void add_address(struct cfg_strvec *a, const char *name, const char *addr)
{
	struct cfg_buf ext;

	cfg_buf_init(&ext);
	addr_externalize(addr, &ext);
	ipc_add(a, name, "%s", submit_printable(ext.data));
	cfg_buf_fini(&ext);
}

/*
 * add_recipients - the recipients still to deliver: those with a deferral
 * reason in the order of their last deferral (as Postfix's defer log lists
 * them), then the others, unless the log already named their address
 */
static void add_recipients(struct cfg_strvec *a, const struct qf_env *e)
{
	size_t *last = cfg_xcalloc(e->nrcpt ? e->nrcpt : 1, sizeof(*last));

	/* last[i]: 1 + the index of recipient i's last "deferred" record, 0 none */
	for (size_t k = 0; k < e->nlogs; k++)
		if (e->logs[k].idx < e->nrcpt && strcmp(e->logs[k].action, "deferred") == 0)
			last[e->logs[k].idx] = k + 1;
	for (size_t k = 0; k < e->nlogs; k++) {
		size_t i = e->logs[k].idx;

		if (i < e->nrcpt && last[i] == k + 1 && e->rcpt[i].status == '-') {
			add_address(a, "recipient", e->rcpt[i].addr);
			ipc_add(a, "reason", "%s", e->logs[k].text);
		}
	}
	for (size_t i = 0; i < e->nrcpt; i++) {
		int named = 0;

		if (e->rcpt[i].status != '-' || last[i])
			continue;
		for (size_t j = 0; j < e->nrcpt && !named; j++)
			named = last[j] && e->rcpt[j].status == '-'
			        && strcmp(e->rcpt[j].addr, e->rcpt[i].addr) == 0;
		if (named)
			continue;
		add_address(a, "recipient", e->rcpt[i].addr);
		ipc_add(a, "reason", "%s", "");
	}
	free(last);
}

/* describe - the attribute list of one queue file; 0, or -1 to skip it */
static int describe(const char *dir, const char *queue, const char *qid, const char *empty_addr,
                    struct cfg_strvec *a)
{
	char *path = cfg_xasprintf("%s/%s", dir, qid);
	int fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC), rc = -1;
	struct qf_env e;
	struct cfg_buf why;
	struct stat st;
	long long size;

	free(path);
	if (fd < 0)
		return -1;
	qf_env_init(&e);
	cfg_buf_init(&why);
	/* sealed files only: the others are still being written */
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode) || !(st.st_mode & S_IXUSR)
	    || qf_read(fd, &e, &why) < 0 || qf_message_size(fd, &e, &size) < 0)
		goto out;
	if (strcmp(queue, QF_MAILDROP) == 0)
		size = maildrop_size(&e, size);
	cfg_strvec_clear(a);
	ipc_add(a, "queue_name", "%s", queue);
	ipc_add(a, "queue_id", "%s", qid);
	ipc_add(a, "time", "%ld", e.arrival_sec);
	ipc_add(a, "size", "%lld", size);
	/* postsuper -e marks a file with the group-execute bit, as Postfix does */
	ipc_add(a, "forced_expire", "%d", (st.st_mode & S_IXGRP) ? 1 : 0);
	if (*e.sender)
		add_address(a, "sender", e.sender);
	else
		ipc_add(a, "sender", "%s", empty_addr);
	add_recipients(a, &e);
	rc = 0;
out:
	cfg_buf_fini(&why);
	qf_env_fini(&e);
	close(fd);
	return rc;
}

/* scan_queue - every queue file of one queue, in queue ID order */
static int scan_queue(const char *queue_dir, const char *queue, const char *empty_addr, qlist_fn fn,
                      void *ctx, struct cfg_buf *why)
{
	char *dir = cfg_xasprintf("%s/%s", queue_dir, queue);
	DIR *d = opendir(dir);
	struct dirent *de;
	struct cfg_strvec ids, a;
	int rc = 0;

	if (d == NULL) {
		if (errno != ENOENT) {
			cfg_buf_printf(why, "open %s: %s", dir, strerror(errno));
			rc = -1;
		}
		free(dir);
		return rc;
	}
	cfg_strvec_init(&ids);
	cfg_strvec_init(&a);
	while ((de = readdir(d)) != NULL)
		if (qf_valid_id(de->d_name))
			cfg_strvec_add(&ids, de->d_name);
	closedir(d);
	cfg_strvec_sort(&ids);
	for (size_t i = 0; i < ids.n && rc == 0; i++)
		if (describe(dir, queue, ids.v[i], empty_addr, &a) == 0)
			rc = fn(&a, ctx);
	cfg_strvec_fini(&a);
	cfg_strvec_fini(&ids);
	free(dir);
	return rc;
}

int qlist_scan(const char *queue_dir, const char *empty_addr, qlist_fn fn, void *ctx,
               struct cfg_buf *why)
{
	int rc = 0;

	for (size_t q = 0; queues[q] && rc == 0; q++)
		rc = scan_queue(queue_dir, queues[q], empty_addr, fn, ctx, why);
	return rc;
}
