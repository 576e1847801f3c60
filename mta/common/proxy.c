/* proxy.c - the proxymap client: libcfg's proxy: tables over private/proxymap (see proxy.h) */
#include "config.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cfg/base/xalloc.h"
#include "cfg/map/map.h"
#include "ipc.h"
#include "proxy.h"

/* one connection to one service, shared by every table that uses it */
struct proxy_conn {
	const char *service;
	int fd;    /* -1: not connected */
	pid_t pid; /* the process that connected (a forked child connects anew) */
	struct mta_stream st;
};

/* one proxy: table */
struct proxy_handle {
	char *table; /* "TYPE:NAME" */
	int mode;
	unsigned flags;
	struct proxy_conn *conn;
};

static struct {
	char *queue_dir; /* NULL: the daemons' working directory (queue_directory) */
	char *read_service, *write_service;
	int timeout;
	struct proxy_conn rd, wr;
	int active;
} P;

/* conn_path - how messages name the service's socket: "DIR/private/proxymap" */
static char *conn_path(const struct proxy_conn *c)
{
	if (P.queue_dir == NULL)
		return cfg_xasprintf("private/%s", c->service);
	return ipc_endpoint(P.queue_dir, "private", c->service);
}

/* conn_close - drop the connection (the next request connects again) */
static void conn_close(struct proxy_conn *c)
{
	if (c->fd < 0)
		return;
	mta_stream_fini(&c->st);
	close(c->fd);
	c->fd = -1;
}

/* conn_open - connect when not connected; 0, or -1 with Postfix's words in why */
static int conn_open(struct proxy_conn *c, struct cfg_buf *why)
{
	char *path;

	if (c->fd >= 0 && c->pid == getpid())
		return 0;
	/* a forked child must not talk over its parent's connection: the replies would mix */
	conn_close(c);
	c->pid = getpid();
	c->fd = ipc_connect(P.queue_dir ? P.queue_dir : ".", "private", c->service);
	if (c->fd >= 0) {
		mta_stream_init(&c->st, c->fd, P.timeout);
		return 0;
	}
	path = conn_path(c);
	cfg_buf_printf(why, "connect #1 to subsystem %s: %s", path, strerror(errno));
	free(path);
	return -1;
}

/*
 * transact - send req, read the reply into rep.  A connection that fails
 * (proxymap exited after max_use or max_idle, or was killed) is replaced by
 * a fresh one once.  Returns the reply status, or -1 with the reason in why.
 */
static int transact(struct proxy_conn *c, const struct cfg_strvec *req, struct cfg_strvec *rep,
                    struct cfg_buf *why)
{
	for (int attempt = 0; attempt < 2; attempt++) {
		cfg_buf_reset(why);
		if (conn_open(c, why) < 0)
			return -1;
		if (ipc_send(&c->st, req) == 0 && ipc_recv(&c->st, rep) == 0)
			return (int)ipc_get_long(rep, "status", MTA_PROXY_FAIL);
		{
			char *path = conn_path(c);
			int e = c->st.err ? c->st.err : EPIPE;

			cfg_buf_printf(why, "service %s: %s", path,
			               c->st.eof && !c->st.err ? "unexpected end of input"
			                                       : strerror(e));
			free(path);
		}
		conn_close(c);
	}
	return -1;
}

/* request - the attributes every request carries */
static void request(struct cfg_strvec *req, const char *what, const struct proxy_handle *h)
{
	cfg_strvec_clear(req);
	ipc_add(req, "request", "%s", what);
	ipc_add(req, "table", "%s", h->table);
	ipc_add(req, "mode", "%d", h->mode);
	ipc_add(req, "flags", "%u", h->flags);
}

/* reason - a failed reply's reason, into why */
static void reason(const struct cfg_strvec *rep, struct cfg_buf *why)
{
	const char *r = ipc_get(rep, "reason");

	cfg_buf_reset(why);
	cfg_buf_adds(why, r ? r : "");
}

/* pm_close - forget a table (the server keeps it open for others) */
static void pm_close(void *handle)
{
	struct proxy_handle *h = handle;

	free(h->table);
	free(h);
}

/* pm_open - ask the service whether it serves inner in mode; the handle, or NULL */
static void *pm_open(void *ctx, const char *inner, enum cfg_map_mode mode, unsigned flags,
                     struct cfg_diags *diags)
{
	struct proxy_handle *h = cfg_xcalloc(1, sizeof(*h));
	struct cfg_strvec req, rep;
	struct cfg_buf why;
	int st;

	(void)ctx;
	h->table = cfg_xstrdup(inner);
	h->mode = (int)mode;
	h->flags = flags;
	h->conn = mode == CFG_MAP_READ ? &P.rd : &P.wr;
	cfg_strvec_init(&req);
	cfg_strvec_init(&rep);
	cfg_buf_init(&why);
	request(&req, "open", h);
	st = transact(h->conn, &req, &rep, &why);
	if (st == MTA_PROXY_DENY)
		cfg_diags_add(diags, CFG_SEV_FATAL, "map-proxy", NULL, 0, 0,
		              "%s service is not configured for table \"%s\"", h->conn->service,
		              inner);
	else if (st < 0)
		cfg_diags_add(diags, CFG_SEV_FATAL, "map-proxy-connect", NULL, 0, 0, "%s",
		              why.data);
	else if (st != MTA_PROXY_OK)
		cfg_diags_add(diags, CFG_SEV_FATAL, "map-proxy-open", NULL, 0, 0, "%s",
		              ipc_get(&rep, "reason") ? ipc_get(&rep, "reason")
		                                      : "proxymap open failed");
	cfg_strvec_fini(&req);
	cfg_strvec_fini(&rep);
	cfg_buf_fini(&why);
	if (st == MTA_PROXY_OK)
		return h;
	pm_close(h);
	return NULL;
}

/* pm_call - one keyed request; the cfg_map_* result, the value or the reason set */
static int pm_call(struct proxy_handle *h, const char *what, const char *key, const char *value,
                   struct cfg_buf *out, struct cfg_buf *why)
{
	struct cfg_strvec req, rep;
	int st, rc;

	cfg_strvec_init(&req);
	cfg_strvec_init(&rep);
	request(&req, what, h);
	ipc_add(&req, "key", "%s", key);
	if (value)
		ipc_add(&req, "value", "%s", value);
	st = transact(h->conn, &req, &rep, why);
	if (st == MTA_PROXY_OK) {
		rc = strcmp(what, "update") == 0 ? 0 : 1;
		if (out)
			cfg_buf_adds(out, ipc_get(&rep, "value") ? ipc_get(&rep, "value") : "");
	} else if (st == MTA_PROXY_NOKEY) {
		rc = strcmp(what, "update") == 0 ? 1 : 0;
	} else {
		if (st >= 0)
			reason(&rep, why);
		rc = -1;
	}
	cfg_strvec_fini(&req);
	cfg_strvec_fini(&rep);
	return rc;
}

/* pm_lookup - look key up through the service */
static int pm_lookup(void *handle, const char *key, struct cfg_buf *value, struct cfg_buf *why)
{
	return pm_call(handle, "lookup", key, NULL, value, why);
}

/* pm_update - store key -> value through the service */
static int pm_update(void *handle, const char *key, const char *value, struct cfg_buf *why)
{
	return pm_call(handle, "update", key, value, NULL, why);
}

/* pm_del - remove key through the service */
static int pm_del(void *handle, const char *key, struct cfg_buf *why)
{
	return pm_call(handle, "delete", key, NULL, NULL, why);
}

static const struct cfg_map_proxy client = {
    .open = pm_open,
    .lookup = pm_lookup,
    .update = pm_update,
    .del = pm_del,
    .close = pm_close,
};

void mta_proxy_register(const char *queue_dir, const char *read_service, const char *write_service,
                        int timeout)
{
	mta_proxy_unregister();
	P.queue_dir = queue_dir ? cfg_xstrdup(queue_dir) : NULL;
	P.read_service = cfg_xstrdup(read_service);
	P.write_service = cfg_xstrdup(write_service);
	P.timeout = timeout;
	P.rd.service = P.read_service;
	P.wr.service = P.write_service;
	P.rd.fd = P.wr.fd = -1;
	P.active = 1;
	cfg_map_set_proxy(&client);
}

int mta_proxy_active(void)
{
	return P.active;
}

int mta_proxy_writable(void)
{
	char *path;
	int ok;

	if (!P.active)
		return 0;
	path = conn_path(&P.wr);
	ok = access(path, F_OK) == 0;
	free(path);
	return ok;
}

void mta_proxy_unregister(void)
{
	if (!P.active)
		return;
	cfg_map_set_proxy(NULL);
	conn_close(&P.rd);
	conn_close(&P.wr);
	free(P.queue_dir);
	free(P.read_service);
	free(P.write_service);
	memset(&P, 0, sizeof(P));
}
