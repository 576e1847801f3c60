/*
 * tls_cache.h - TLS sessions shared by the processes of one side through a table
 *
 * Postfix keeps smtp_tls_session_cache_database and
 * smtpd_tls_session_cache_database in tlsmgr; postkit's smtp and smtpd
 * processes read and write the table themselves (btree: and hash: are
 * GDBM files whose writers lock the file and rename a new copy into place,
 * so a reader sees one version or the next).  An entry is
 * "ID -> TIME:HEX", the time it was saved and the library's encoding of
 * the session; an entry older than the *_session_cache_timeout is not
 * used, and a write drops the expired ones.  IDs are the caller's: the
 * client names the next hop and its TLS policy, the server the session id
 * and its master.cf service.
 *
 * At *_tls_loglevel 2 and more the cache logs what Postfix's smtp and
 * smtpd log: "looking for session ID in smtp cache", "reloaded session ID
 * from smtp cache", "save session ID to smtp cache"; the server's lines
 * start with the client ("localhost[127.0.0.1]: looking up session ...").
 * A table that cannot be opened or written is logged once and the process
 * goes on without a cache: resumption only saves a handshake.
 */
#ifndef MTA_TLS_CACHE_H
#define MTA_TLS_CACHE_H

#include <stddef.h>

#include "cfg/base/buf.h"

struct mta_tls_cache;

/*
 * mta_tls_cache_new - a cache over spec ("btree:/var/lib/postfix/smtp_scache")
 * for side ("smtp", "lmtp", "smtpd") keeping entries timeout seconds; a
 * server names its master.cf service, which ids get as "ID&s=SERVICE" (a
 * session belongs to the service whose settings made it).  NULL when spec
 * is empty or timeout is 0 (no caching).
 */
struct mta_tls_cache *mta_tls_cache_new(const char *spec, const char *side, const char *service,
                                        long timeout, long loglevel);
/* mta_tls_cache_free - release; NULL is a no-op */
void mta_tls_cache_free(struct mta_tls_cache *c);
/* mta_tls_cache_label - the server's log prefix for what follows ("localhost[127.0.0.1]") */
void mta_tls_cache_label(struct mta_tls_cache *c, const char *label);
/* mta_tls_cache_get - a fresh entry's session bytes into der (reset first); 1 found, 0 none */
int mta_tls_cache_get(struct mta_tls_cache *c, const char *id, struct cfg_buf *der);
/* mta_tls_cache_put - save a session's bytes under id */
void mta_tls_cache_put(struct mta_tls_cache *c, const char *id, const unsigned char *der,
                       size_t len);
/* mta_tls_cache_remove - forget id (a session that failed the policy) */
void mta_tls_cache_remove(struct mta_tls_cache *c, const char *id);

/*
 * mta_tls_cache_jail - the process is about to chroot into queue_directory:
 * from now on every cache is left unused (lookups miss, saves are skipped)
 */
void mta_tls_cache_jail(void);

#endif
