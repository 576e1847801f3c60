/*
 * qflush.h - asking the flush service to deliver deferred mail now
 *
 * postqueue -s site and -i queue_id (sendmail -qR, -qI) send one request
 * to public/$flush_service_name and read one reply (ipc.h):
 *   request=send_site site=SITE        request=send_file queue_id=ID
 *   status=N                           a QFLUSH_STAT_* code
 * The codes are Postfix's flush(8) reply codes.  A site may be flushed only
 * when it is in fast_flush_domains; client and service both check.
 */
#ifndef MTA_QFLUSH_H
#define MTA_QFLUSH_H

#include "conf.h"

#define QFLUSH_STAT_FAIL (-1) /* the service cannot be reached */
#define QFLUSH_STAT_OK 0
#define QFLUSH_STAT_BAD 3  /* malformed request */
#define QFLUSH_STAT_DENY 4 /* the site is not in fast_flush_domains */

#define QFLUSH_REQ_SEND_SITE "send_site"
#define QFLUSH_REQ_SEND_FILE "send_file"

/*
 * qflush_site_ok - 1 when site (a domain or [address]) matches
 * fast_flush_domains, 0 when not, -1 when a table of the list failed
 */
int qflush_site_ok(struct mta_conf *c, const char *site);

/*
 * qflush_send - one request to the flush service (name=value is the
 * request's argument); the reply's status, or QFLUSH_STAT_FAIL after
 * logging "connect to public/flush: reason" when it cannot be reached
 */
int qflush_send(struct mta_conf *c, const char *request, const char *name, const char *value);

#endif
