/*
 * proxy.h - the proxymap protocol and its client (proxy:TYPE:NAME tables)
 *
 * The proxymap service (mta/proxymap) keeps each approved table open once
 * per proxymap process, so many daemons share one backend connection.  It
 * listens on queue_directory/private/proxymap (read-only access) and, as
 * the stock "proxywrite" service, on private/proxywrite (updates too).  A
 * client keeps one connection per service and sends one request at a time;
 * every request gets one reply.  Messages are ipc.h attribute lists
 * ("name=value" lines, %-escaped, ended by an empty line):
 *
 *   request=open   table=TYPE:NAME mode=M flags=F
 *   request=lookup table=TYPE:NAME mode=M flags=F key=K
 *   request=update table=TYPE:NAME mode=M flags=F key=K value=V
 *   request=delete table=TYPE:NAME mode=M flags=F key=K
 *
 * mode is enum cfg_map_mode, flags the CFG_MAP_* flags the client opened
 * the table with; every request names its table, so the server keeps no
 * state per client and a client that reconnects simply carries on.
 * Replies:
 *   status=0 [value=V]  done: found (lookup), stored (update), removed (delete)
 *   status=1            lookup/delete: no such key; update: the key existed
 *   status=2 reason=R   the table failed (backend down): a temporary error
 *   status=3            the table is not approved (proxy_read_maps, or
 *                       proxy_write_maps on the proxywrite service)
 *
 * The TLS session caches: a jailed smtp/lmtp client cannot open its
 * smtp_tls_session_cache_database / lmtp_tls_session_cache_database (in
 * data_directory, outside the jail), and Postfix's defaults do not list
 * them (its tlsmgr owns them).  So the proxywrite service, and only it,
 * accepts exactly those two tables (the main.cf values, expanded) for
 * open/lookup/update/delete without the admin listing them in
 * proxy_read_maps or proxy_write_maps; nothing else becomes writable.  The
 * client opens them as proxy:TYPE:NAME in create mode (mta/common/tls_cache.c),
 * and proxymap commits them with mode 0600 (they hold session keys).
 *
 * The client (mta_proxy_register) routes libcfg's "proxy:" tables through
 * here (cfg_map_set_proxy).  A failed connection is retried once with a
 * fresh one (proxymap restarts after max_use/max_idle, or after a crash);
 * when that fails too the request is a temporary error.
 */
#ifndef MTA_PROXY_H
#define MTA_PROXY_H

/* the reply statuses */
#define MTA_PROXY_OK 0
#define MTA_PROXY_NOKEY 1
#define MTA_PROXY_FAIL 2
#define MTA_PROXY_DENY 3

/*
 * mta_proxy_register - send proxy: tables to queue_dir/private/SERVICE
 * (read_service for reads, write_service for updates), each step waiting at
 * most timeout seconds.  The strings are copied.
 */
void mta_proxy_register(const char *queue_dir, const char *read_service, const char *write_service,
                        int timeout);
/* mta_proxy_active - 1 when proxy: tables go through the proxymap service */
int mta_proxy_active(void);
/*
 * mta_proxy_writable - 1 when proxy: tables go through proxymap and the
 * write service's socket is there (master.cf has proxywrite)
 */
int mta_proxy_writable(void);
/* mta_proxy_unregister - open proxy: tables directly again; drop the connections */
void mta_proxy_unregister(void);

#endif
