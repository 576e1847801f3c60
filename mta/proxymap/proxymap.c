/*
 * proxymap.c - the proxymap service: shared lookup-table access for the daemons
 *
 * One long-lived process per service (master starts another only when this
 * one has gone) serves every client at once on private/proxymap, and as the
 * stock "proxywrite" service on private/proxywrite: each table a client asks
 * for is opened once, with its flags, and kept open, so a pgsql:, mysql: or
 * ldap: table costs one database connection per proxymap process however
 * many smtpd, cleanup and local processes use it.  The protocol is in
 * mta/common/proxy.h.  Like Postfix's proxymap it serves only tables that
 * proxy_read_maps lists ("proxy:TYPE:NAME", word for word), and updates only
 * on the proxywrite service for tables that proxy_write_maps lists; anything
 * else is refused with Postfix's two warnings:
 *   warning: request for unapproved table: "TYPE:NAME"
 *   warning: to approve this table for read-only access, list proxy:TYPE:NAME in
 *   main.cf:proxy_read_maps
 * The proxywrite service also serves, unasked, exactly the configured
 * smtp_tls_session_cache_database and lmtp_tls_session_cache_database, for
 * jailed smtp/lmtp clients (see proxy.h); those are committed with mode 0600.
 * A table that fails (database down) answers a temporary error; its own
 * warnings are logged here.  The process exits when master says so, after
 * max_idle seconds without clients, or once max_use clients have come and
 * gone.
 */
#include "config.h"

#include <errno.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "cfg/base/htab.h"
#include "cfg/base/xalloc.h"
#include "cfg/map/map.h"
#include "event.h"
#include "ipc.h"
#include "log.h"
#include "proxy.h"
#include "server.h"

/* one daemon connected to proxymap */
struct pm_client {
	struct mta_stream st;
	struct pm_client *next;
};

static struct {
	struct mta_server *srv;
	struct cfg_htab *tables; /* "MODE FLAGS TYPE:NAME" -> struct cfg_map */
	struct pm_client *clients;
	int nclients;
	long served; /* clients accepted so far (max_use) */
	int writer;  /* this is the proxywrite service */
	const char *read_maps, *write_maps;
	const char *tls_caches[2]; /* smtp_ and lmtp_tls_session_cache_database ("" none) */
	int stopping;
} PM;

/* log_diags - log what a table said, as warnings */
static void log_diags(const struct cfg_diags *ds)
{
	for (size_t i = 0; i < ds->n; i++)
		mta_warn("%s", ds->v[i].msg);
}

/* tls_cache - 1 when table is a client TLS session cache this proxywrite serves unasked */
static int tls_cache(const char *table)
{
	for (size_t i = 0; PM.writer && i < 2; i++)
		if (PM.tls_caches[i] && *PM.tls_caches[i] && strcmp(PM.tls_caches[i], table) == 0)
			return 1;
	return 0;
}

/* approved - may this service open table in mode?  Logs Postfix's warnings when not */
static int approved(const char *table, enum cfg_map_mode mode)
{
	struct cfg_diags ds;
	char *spec;
	int ok;

	if (tls_cache(table))
		return 1;
	spec = cfg_xasprintf("proxy:%s", table);
	cfg_diags_init(&ds);
	ok = cfg_map_proxy_approved(spec, mode, PM.read_maps, PM.write_maps, 1, &ds);
	if (ok && mode != CFG_MAP_READ && !PM.writer) {
		/* updates only through proxywrite */
		ok = 0;
		mta_warn("request for unapproved table: \"%s\"", table);
	}
	for (size_t i = 0; !ok && i < ds.n; i++)
		if (ds.v[i].sev == CFG_SEV_WARNING)
			mta_warn("%s", ds.v[i].msg);
	cfg_diags_fini(&ds);
	free(spec);
	return ok;
}

/*
 * table - the open table of a request; NULL with the reply set.  Read-only
 * tables are opened on first use and kept; a table opened for updates is
 * opened for this one request (*fresh set: the caller commits and frees it),
 * since a commit makes it read-only.
 */
static struct cfg_map *table(const struct cfg_strvec *in, struct cfg_strvec *out, int *fresh)
{
	const char *name = ipc_get(in, "table");
	long mode = ipc_get_long(in, "mode", CFG_MAP_READ);
	unsigned flags = (unsigned)ipc_get_long(in, "flags", 0);
	struct cfg_diags ds;
	struct cfg_map *m;
	char *key;

	if (name == NULL || *name == '\0' || mode < CFG_MAP_READ || mode > CFG_MAP_CREATE) {
		ipc_add(out, "status", "%d", MTA_PROXY_FAIL);
		ipc_add(out, "reason", "%s", "malformed request");
		return NULL;
	}
	/* one table for every client whose lookups come out the same, whatever else it asked */
	if (mode == CFG_MAP_READ)
		flags &= CFG_MAP_FOLD | CFG_MAP_UTF8 | CFG_MAP_TRY0NULL | CFG_MAP_TRY1NULL;
	key = cfg_xasprintf("%ld %u %s", mode, flags, name);
	m = cfg_htab_get(PM.tables, key);
	if (m == NULL && !approved(name, (enum cfg_map_mode)mode)) {
		ipc_add(out, "status", "%d", MTA_PROXY_DENY);
	} else if (m == NULL) {
		cfg_diags_init(&ds);
		if (cfg_map_open(name, (enum cfg_map_mode)mode, flags, &m, &ds) < 0) {
			log_diags(&ds);
			ipc_add(out, "status", "%d", MTA_PROXY_FAIL);
			ipc_add(out, "reason", "%s",
			        ds.n ? ds.v[ds.n - 1].msg : "cannot open table");
		} else {
			log_diags(&ds);
			if (mode == CFG_MAP_READ)
				cfg_htab_put(PM.tables, key, m);
			else
				*fresh = 1;
		}
		cfg_diags_fini(&ds);
	}
	free(key);
	return m;
}

/* answer - the reply of a lookup, update or delete that returned rc */
static void answer(struct cfg_map *m, int rc, const char *value, int update,
                   const struct cfg_diags *ds, struct cfg_strvec *out)
{
	log_diags(ds);
	if (rc < 0) {
		const char *why = cfg_map_error(m);

		ipc_add(out, "status", "%d", MTA_PROXY_FAIL);
		ipc_add(out, "reason", "%s", *why ? why : ds->n ? ds->v[ds->n - 1].msg : "");
	} else if (update) {
		ipc_add(out, "status", "%d", rc == 0 ? MTA_PROXY_OK : MTA_PROXY_NOKEY);
	} else if (rc == 1) {
		ipc_add(out, "status", "%d", MTA_PROXY_OK);
		if (value)
			ipc_add(out, "value", "%s", value);
	} else {
		ipc_add(out, "status", "%d", MTA_PROXY_NOKEY);
	}
}

/* handle - one request; the reply attributes in out */
static void handle(void *ctx, const struct cfg_strvec *in, struct cfg_strvec *out)
{
	const char *req = ipc_get(in, "request");
	const char *key = ipc_get(in, "key");
	const char *value = NULL;
	struct cfg_diags ds;
	struct cfg_map *m;
	int rc, fresh = 0;
	int perm;

	(void)ctx;
	if (req == NULL || (strcmp(req, "open") != 0 && key == NULL)) {
		ipc_add(out, "status", "%d", MTA_PROXY_FAIL);
		ipc_add(out, "reason", "%s", "malformed request");
		return;
	}
	if ((m = table(in, out, &fresh)) == NULL)
		return;
	/* TLS sessions carry their keys: not for other users' eyes */
	perm = tls_cache(ipc_get(in, "table")) ? 0600 : 0644;
	cfg_diags_init(&ds);
	if (strcmp(req, "open") == 0) {
		ipc_add(out, "status", "%d", MTA_PROXY_OK);
	} else if (strcmp(req, "lookup") == 0) {
		rc = cfg_map_lookup(m, key, &value, &ds);
		answer(m, rc, value, 0, &ds, out);
	} else if (strcmp(req, "update") == 0 && fresh) {
		rc = cfg_map_update(m, key, ipc_get(in, "value") ? ipc_get(in, "value") : "", &ds);
		if (rc >= 0 && cfg_map_commit(m, perm, &ds) < 0)
			rc = -1;
		answer(m, rc, NULL, 1, &ds, out);
	} else if (strcmp(req, "delete") == 0 && fresh) {
		rc = cfg_map_delete(m, key, &ds);
		if (rc >= 0 && cfg_map_commit(m, perm, &ds) < 0)
			rc = -1;
		answer(m, rc, NULL, 0, &ds, out);
	} else {
		mta_warn("unrecognized request: \"%s\"", req);
		ipc_add(out, "status", "%d", MTA_PROXY_FAIL);
		ipc_add(out, "reason", "%s", "unrecognized request");
	}
	cfg_diags_fini(&ds);
	if (fresh)
		cfg_map_free(m);
}

/* client_free - one daemon went away */
static void client_free(struct pm_client *c)
{
	struct pm_client **pp;

	for (pp = &PM.clients; *pp && *pp != c; pp = &(*pp)->next)
		;
	if (*pp)
		*pp = c->next;
	mta_event_fd_remove(c->st.fd);
	close(c->st.fd);
	mta_stream_fini(&c->st);
	free(c);
	PM.nclients--;
}

/* on_idle - max_idle seconds without a client: make room for a fresh process */
static void on_idle(void *ctx)
{
	(void)ctx;
	if (PM.nclients == 0)
		PM.stopping = 1;
}

/* check_done - no clients left: exit after max_use clients, else wait max_idle */
static void check_done(void)
{
	if (PM.nclients > 0)
		return;
	if (PM.served >= PM.srv->max_use)
		PM.stopping = 1;
	else if (PM.srv->max_idle > 0)
		mta_event_timer((double)PM.srv->max_idle, on_idle, NULL);
}

/* on_client - requests from one daemon, answered in turn */
static void on_client(int fd, int revents, void *ctx)
{
	struct pm_client *c = ctx;

	(void)fd;
	(void)revents;
	if (ipc_answer(&c->st, handle, NULL) < 0) {
		client_free(c);
		check_done();
	}
}

/* on_accept - a new daemon connection (none after max_use: the next process takes them) */
static void on_accept(int lfd, int revents, void *ctx)
{
	int fd;

	(void)revents;
	(void)ctx;
	while (PM.served < PM.srv->max_use
	       && (fd = accept4(lfd, NULL, NULL, SOCK_CLOEXEC | SOCK_NONBLOCK)) >= 0) {
		struct pm_client *c = cfg_xcalloc(1, sizeof(*c));

		mta_stream_init(&c->st, fd, (int)PM.srv->ipc_timeout);
		c->next = PM.clients;
		PM.clients = c;
		PM.nclients++;
		PM.served++;
		mta_event_timer_cancel(on_idle, NULL);
		mta_event_fd(fd, POLLIN, on_client, c);
	}
	if (PM.served >= PM.srv->max_use) {
		/* busy for good: master starts a fresh proxymap for the next clients */
		mta_server_status(PM.srv, MTA_STAT_BUSY);
		for (int i = 0; i < PM.srv->nlisten; i++)
			mta_event_fd_remove(PM.srv->listen_fd + i);
		check_done();
	} else if (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR) {
		mta_warn("accept: %m");
	}
}

/* on_gen - master says exit */
static void on_gen(int fd, int revents, void *ctx)
{
	(void)revents;
	(void)ctx;
	mta_event_fd_remove(fd);
	PM.stopping = 1;
}

/* free_table - htab value destructor */
static void free_table(void *v)
{
	cfg_map_free(v);
}

/* run - the proxymap loop, until master closes the generation pipe or a limit is reached */
static void run(struct mta_server *srv)
{
	PM.srv = srv;
	for (int i = 0; i < srv->nlisten; i++)
		mta_event_fd(srv->listen_fd + i, POLLIN, on_accept, NULL);
	if (srv->gen_fd >= 0)
		mta_event_fd(srv->gen_fd, POLLIN, on_gen, NULL);
	check_done();
	while (!PM.stopping && !srv->standalone)
		mta_event_run(-1);
	while (PM.clients)
		client_free(PM.clients);
	cfg_htab_free(PM.tables, free_table);
	PM.tables = NULL;
}

/* init - settings: which tables may be served, and whether updates are */
static void init(struct mta_server *srv)
{
	PM.read_maps = mta_conf_text(&srv->conf, CFG_P_proxy_read_maps);
	PM.write_maps = mta_conf_text(&srv->conf, CFG_P_proxy_write_maps);
	PM.tls_caches[0] = mta_conf_text(&srv->conf, CFG_P_smtp_tls_session_cache_database);
	PM.tls_caches[1] = mta_conf_text(&srv->conf, CFG_P_lmtp_tls_session_cache_database);
	PM.writer =
	    srv->service
	    && strcmp(srv->service, mta_conf_str(&srv->conf, CFG_P_proxywrite_service_name)) == 0;
	PM.tables = cfg_htab_new(16);
}

/* proxymap_main - the proxymap program */
int proxymap_main(int argc, char **argv);
int proxymap_main(int argc, char **argv)
{
	static const struct mta_server_ops ops = {.init = init, .run = run};

	return mta_server_main(argc, argv, "proxymap", MTA_SERVE_EVENT, &ops, NULL);
}
