/*
 * qlist.h - the mail queue as Postfix's showq service reports it
 *
 * qlist_scan() walks the queues showq walks, in its order (maildrop,
 * incoming, active, deferred, hold; within a queue, by queue ID) and
 * describes each complete queue file as one attribute list (ipc.h) with
 * showq's attribute names:
 *
 *   queue_name=deferred
 *   queue_id=759EBA74664
 *   time=1795900262            arrival time
 *   size=279                   Postfix's measure (qf_message_size); for a
 *                              maildrop file, the size of the file Postfix's
 *                              postdrop would have written
 *   forced_expire=0
 *   sender=sender@example.net  external form, control characters as '?',
 *                              empty_address_recipient for the null sender
 *   recipient=other@example.org
 *   reason=deferred transport  one recipient/reason pair per recipient still
 *                              to deliver: those with a deferral reason first,
 *                              in the order they were deferred, then the
 *                              others with an empty reason
 *
 * The showq service sends these lists over its socket and an empty list
 * last; postqueue formats them, or calls qlist_scan() itself when the
 * service is down and it may read the queue (root).
 */
#ifndef MTA_QLIST_H
#define MTA_QLIST_H

#include "cfg/base/buf.h"
#include "cfg/base/strvec.h"

/* qlist_fn - one message; a nonzero return stops the scan */
typedef int (*qlist_fn)(const struct cfg_strvec *msg, void *ctx);

/*
 * qlist_scan - call fn for every complete queue file under queue_dir;
 * empty_addr is what the null sender is shown as.  Files that vanish or
 * cannot be parsed are skipped.  Returns 0, fn's nonzero value, or -1 with
 * "open DIR: reason" in why when a queue directory cannot be read.
 */
int qlist_scan(const char *queue_dir, const char *empty_addr, qlist_fn fn, void *ctx,
               struct cfg_buf *why);

#endif
