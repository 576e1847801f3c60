/* local_fwd.c - copies forwarded as new messages through cleanup (see local.h) */
#include "config.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "addr.h"
#include "cfg/base/xalloc.h"
#include "ipc.h"
#include "local.h"
#include "log.h"

/* one new message: the recipients that share a Delivered-To: address and a sender */
struct local_fwd {
	char *delivered, *sender;
	struct cfg_strvec to, orig;
};

static const char *queue_dir, *cleanup_service;

void local_fwd_init(struct mta_server *srv)
{
	queue_dir = srv->queue_dir;
	cleanup_service = mta_conf_str(&srv->conf, CFG_P_cleanup_service_name);
	if (cleanup_service == NULL || *cleanup_service == '\0')
		cleanup_service = "cleanup";
}

void local_indirect(struct local_dlv *d)
{
	struct local_rcpt *rc = d->rc;
	struct local_fwd *f = NULL;
	const char *delivered = d->delivered ? d->delivered : d->addr;

	if (local_been_here(d, "indirect %s", d->addr))
		return;
	if (local_verify_sent(d, "forwards to %s", d->addr))
		return;
	for (size_t i = 0; i < rc->nfwd && f == NULL; i++)
		if (strcmp(rc->fwd[i].delivered, delivered) == 0
		    && strcmp(rc->fwd[i].sender, d->sender) == 0)
			f = &rc->fwd[i];
	if (f == NULL) {
		rc->fwd = cfg_xreallocarray(rc->fwd, rc->nfwd + 1, sizeof(*rc->fwd));
		f = &rc->fwd[rc->nfwd++];
		f->delivered = cfg_xstrdup(delivered);
		f->sender = cfg_xstrdup(d->sender);
		cfg_strvec_init(&f->to);
		cfg_strvec_init(&f->orig);
	}
	cfg_strvec_add(&f->to, d->addr);
	/* a list with an owner starts afresh: no original recipient */
	cfg_strvec_add(&f->orig, d->owner && d->owner == d->sender ? "" : d->orig);
	rc->events++;
}

/* fwd_send - one new message through cleanup; 0 with its queue ID in qid, or -1 */
static int fwd_send(struct local_dlv *top, const struct local_fwd *f, struct cfg_buf *qid)
{
	struct mta_stream st;
	struct cfg_strvec a;
	struct cfg_buf content, ext;
	int fd = ipc_connect(queue_dir, "public", cleanup_service), rc = -1;

	if (fd < 0)
		return -1;
	mta_stream_init(&st, fd, 60);
	cfg_strvec_init(&a);
	cfg_buf_init(&content);
	cfg_buf_init(&ext);
	ipc_add(&a, "request", "open");
	ipc_send(&st, &a);
	if (ipc_recv(&st, &a) < 0 || ipc_get(&a, "queue_id") == NULL)
		goto out;
	cfg_buf_adds(qid, ipc_get(&a, "queue_id"));
	cfg_strvec_clear(&a);
	ipc_add(&a, "request", "message");
	ipc_add(&a, "sender", "%s", f->sender);
	for (size_t i = 0; i < f->to.n; i++)
		ipc_add(&a, "orig_rcpt", "0\t%s\t%s", f->orig.v[i], f->to.v[i]);
	ipc_add(&a, "rewrite_context", "local");
	ipc_queue(&st, &a);
	addr_externalize(f->delivered, &ext);
	addr_lower(ext.data);
	cfg_buf_printf(&content, "Delivered-To: %s\n", ext.data);
	if (qf_read_content(top->req->fd, &top->req->env, &content) < 0)
		goto out;
	ipc_chunk(&st, content.data, content.len);
	ipc_chunk(&st, "", 0);
	if (mta_stream_flush(&st) == 0 && ipc_recv(&st, &a) == 0
	    && ipc_get_long(&a, "status", 4) == 0)
		rc = 0;
	else if (ipc_get(&a, "reply"))
		mta_warn("%s: forwarding failed: %s", top->req->qid, ipc_get(&a, "reply"));
out:
	cfg_buf_fini(&ext);
	cfg_buf_fini(&content);
	cfg_strvec_fini(&a);
	mta_stream_fini(&st);
	close(fd);
	return rc;
}

void local_fwd_finish(struct local_dlv *top, int cancel)
{
	struct local_rcpt *rc = top->rc;

	for (size_t i = 0; i < rc->nfwd; i++) {
		struct local_fwd *f = &rc->fwd[i];
		struct cfg_buf qid;

		cfg_buf_init(&qid);
		/* logged against the recipient of the queue file, as Postfix does */
		if (!cancel && fwd_send(top, f, &qid) == 0)
			local_status(top, 0, "2.0.0", "forwarded as %s", qid.data);
		else if (!cancel)
			local_status(top, 4, "4.3.0", "unable to forward message");
		cfg_buf_fini(&qid);
		free(f->delivered);
		free(f->sender);
		cfg_strvec_fini(&f->to);
		cfg_strvec_fini(&f->orig);
	}
	free(rc->fwd);
	rc->fwd = NULL;
	rc->nfwd = 0;
}
