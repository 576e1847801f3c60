/*
 * pickup.c - the pickup service: maildrop/ to cleanup
 *
 * postdrop (for sendmail and smtpd -bs) leaves sealed files in the maildrop
 * queue, and postsuper -r moves queued messages back there (only their
 * recipients still to deliver go on, and the log says orig_id=); on a
 * trigger or its wakeup timer pickup hands each one to cleanup
 * with the submitter's uid (from the file owner, which the submitter cannot
 * fake) and, for sendmail -t, recipient extraction.  Nothing else in the
 * file is trusted: the sender and the recipients must be free of control
 * characters (the file is removed with a warning otherwise), a full name
 * loses its control characters, only the attributes a submission may set
 * (rewrite_context local or remote, envid, ret) are passed on, and the
 * header flags only for -t and -bv.  This matters where the maildrop is the
 * user's own (an unprivileged instance): there a file need not come from
 * postdrop.  The maildrop file goes away only after cleanup has queued the
 * message.
 */
#include "config.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "cfg/base/xalloc.h"
#include "ipc.h"
#include "log.h"
#include "qfile.h"
#include "server.h"

static const char *cleanup_service;
/* as pickup's view sees them: recorded with every message it feeds */
static const char *content_filter, *receive_override;

/* has_control - 1 when s holds a control character */
static int has_control(const char *s)
{
	for (const unsigned char *p = (const unsigned char *)s; *p; p++)
		if (*p < 0x20 || *p == 0x7f)
			return 1;
	return 0;
}

/* malformed - the envelope part a submission could not have written, or NULL */
static const char *malformed(const struct qf_env *env)
{
	if (has_control(env->sender))
		return "sender";
	for (size_t i = 0; i < env->nrcpt; i++)
		if (has_control(env->rcpt[i].addr))
			return "recipient";
	return NULL;
}

/* add_attrs - the few attributes a submission may set, checked */
static void add_attrs(struct cfg_strvec *a, const struct qf_env *env)
{
	const char *ctx = qf_env_attr(env, "rewrite_context");
	const char *full = qf_env_attr(env, "full_name");
	const char *v;

	ipc_add(a, "rewrite_context", "%s", ctx && strcmp(ctx, "remote") == 0 ? "remote" : "local");
	if (full) {
		char *clean = cfg_xstrdup(full);

		/* a newline would start a header line of its own in From: */
		for (char *p = clean; *p; p++)
			if ((unsigned char)*p < 0x20 || *p == 0x7f)
				*p = ' ';
		ipc_add(a, "full_name", "%s", clean);
		free(clean);
	}
	if ((v = qf_env_attr(env, "envid")) != NULL && !has_control(v) && strlen(v) <= 100)
		ipc_add(a, "envid", "%s", v);
	if ((v = qf_env_attr(env, "ret")) != NULL
	    && (strcmp(v, "full") == 0 || strcmp(v, "hdrs") == 0))
		ipc_add(a, "ret", "%s", v);
	if (qf_encoding_ok(v = qf_env_attr(env, "encoding")))
		ipc_add(a, "encoding", "%s", v); /* sendmail -B */
}

/* feed - one maildrop file to cleanup; 0 done (file may go), -1 try later */
static int feed(struct mta_server *srv, const char *name, int fd, const struct stat *st)
{
	struct qf_env env;
	struct cfg_buf why, content;
	struct mta_stream s;
	struct cfg_strvec a;
	char qid[QF_ID_MAX];
	const char *bad;
	int cfd, rc = -1;
	/*
	 * A queue file that "postsuper -r" moved back: ours and not readable by
	 * others (postdrop leaves mode 0744), as Postfix's pickup tells them apart
	 */
	int requeued = st->st_uid == geteuid() && !(st->st_mode & S_IROTH);

	qf_env_init(&env);
	cfg_buf_init(&why);
	cfg_buf_init(&content);
	cfg_strvec_init(&a);
	if (qf_read(fd, &env, &why) < 0 || qf_read_content(fd, &env, &content) < 0) {
		mta_warn("maildrop/%s: %s: removed", name, why.len ? why.data : "read error");
		rc = 0;
		goto out;
	}
	if ((bad = malformed(&env)) != NULL) {
		mta_warn("maildrop/%s: uid=%ld: malformed %s address: removed", name,
		         (long)st->st_uid, bad);
		rc = 0;
		goto out;
	}
	cfd = ipc_connect(srv->queue_dir, "public", cleanup_service);
	if (cfd < 0) {
		mta_warn("connect to public/%s: %m", cleanup_service);
		goto out;
	}
	mta_stream_init(&s, cfd, 60);
	ipc_add(&a, "request", "open");
	ipc_send(&s, &a);
	if (ipc_recv(&s, &a) < 0 || ipc_get(&a, "queue_id") == NULL) {
		mta_warn("cleanup service: no queue file");
		goto close;
	}
	/* a copy: the reply's strings go with the next request */
	snprintf(qid, sizeof(qid), "%s", ipc_get(&a, "queue_id"));
	if (requeued)
		mta_info("%s: uid=%ld from=<%s> orig_id=%s", qid, (long)st->st_uid, env.sender,
		         name);
	else
		mta_info("%s: uid=%ld from=<%s>", qid, (long)st->st_uid, env.sender);
	cfg_strvec_clear(&a);
	ipc_add(&a, "request", "message");
	ipc_add(&a, "sender", "%s", env.sender);
	for (size_t i = 0; i < env.nrcpt; i++) {
		const struct qf_rcpt *r = &env.rcpt[i];

		if (!requeued)
			ipc_add(&a, "rcpt", "%x\t\t%s", r->notify, r->addr);
		else if (r->status == '-') /* what is left to deliver, with the original address */
			ipc_add(&a, "orig_rcpt", "%x\t%s\t%s%s%s", r->notify, r->orig, r->addr,
			        r->dsn_orcpt ? "\t" : "", r->dsn_orcpt ? r->dsn_orcpt : "");
	}
	/* the uid is the file owner's, whatever the file says */
	ipc_add(&a, "uid", "%ld", (long)st->st_uid);
	add_attrs(&a, &env);
	if (env.hflags & QF_H_EXTRACT)
		ipc_add(&a, "extract", "1");
	if (env.hflags & QF_H_VERIFY)
		ipc_add(&a, "verify", "1");
	if (content_filter && *content_filter)
		ipc_add(&a, "content_filter", "%s", content_filter);
	/* a requeued message went through the mail filters when it first came (Postfix: not again) */
	if (requeued)
		ipc_add(&a, "receive_override_options", "%s%sno_milters",
		        receive_override ? receive_override : "",
		        receive_override && *receive_override ? ", " : "");
	else if (receive_override && *receive_override)
		ipc_add(&a, "receive_override_options", "%s", receive_override);
	ipc_queue(&s, &a);
	ipc_chunk(&s, content.data, content.len);
	ipc_chunk(&s, "", 0);
	if (mta_stream_flush(&s) == 0 && ipc_recv(&s, &a) == 0) {
		if (ipc_get_long(&a, "status", 4) == 0) {
			rc = 0;
		} else if (ipc_get_long(&a, "keep", 0) == 1) {
			/* a mail filter said "try again later" (cleanup logged it): the next run */
		} else if (ipc_get_long(&a, "status", 4) == 5) {
			/* refused for good (header_checks, no recipients): nothing to retry */
			mta_warn("%s: message from uid %ld rejected: %s", qid, (long)st->st_uid,
			         ipc_get(&a, "reply") ? ipc_get(&a, "reply") : "");
			rc = 0;
		} else {
			/* cleanup removed its file: this one stays for the next run */
			const char *rep = ipc_get(&a, "reply"),
			           *e = rep ? strstr(rep, "Error: ") : NULL;

			mta_warn("maildrop/%s: error writing %s: %s", name, qid,
			         e ? e + 7 : "queue file write error");
		}
	}
close:
	mta_stream_fini(&s);
	close(cfd);
out:
	cfg_strvec_fini(&a);
	cfg_buf_fini(&content);
	cfg_buf_fini(&why);
	qf_env_fini(&env);
	return rc;
}

/* trigger - scan the maildrop queue */
static void trigger(struct mta_server *srv, char req)
{
	char *dir = cfg_xasprintf("%s/%s", srv->queue_dir, QF_MAILDROP);
	DIR *d = opendir(dir);
	struct dirent *de;

	(void)req;
	while (d && (de = readdir(d)) != NULL) {
		char *path;
		struct stat st;
		int fd;

		if (de->d_name[0] == '.')
			continue;
		path = cfg_xasprintf("%s/%s", dir, de->d_name);
		fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
		if (fd >= 0 && fstat(fd, &st) == 0 && S_ISREG(st.st_mode)) {
			if (st.st_mode & S_IXUSR) {
				/* sealed, and its writer (sendmail) is done with it */
				if (qf_claim(fd) == 0 && feed(srv, de->d_name, fd, &st) == 0)
					unlink(path);
			} else if (time(NULL) - st.st_mtime > 3600) {
				/* a submission that never finished */
				unlink(path);
			}
		}
		if (fd >= 0)
			close(fd);
		free(path);
	}
	if (d)
		closedir(d);
	free(dir);
}

/* init - settings */
static void init(struct mta_server *srv)
{
	cleanup_service = mta_conf_str(&srv->conf, CFG_P_cleanup_service_name);
	content_filter = mta_conf_str(&srv->conf, CFG_P_content_filter);
	receive_override = mta_conf_text(&srv->conf, CFG_P_receive_override_options);
}

/* pickup_main - the pickup program */
int pickup_main(int argc, char **argv);
int pickup_main(int argc, char **argv)
{
	static const struct mta_server_ops ops = {.init = init, .trigger = trigger};

	return mta_server_main(argc, argv, "pickup", MTA_SERVE_TRIGGER, &ops, NULL);
}
