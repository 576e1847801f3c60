/*
 * postsuper.h - the queue superintendent: what postsuper.c and super.c share
 *
 * postsuper.c parses the options, runs as mail_owner, does the operations
 * on named queue IDs (-d, -h, -H, -r) and prints the summaries; super.c
 * walks whole queue directories: the repairs (-s, -p) and the ALL forms.
 * Queue directories are flat in postkit (hash_queue_names is ignored), so
 * -s moves the files of a hashed (Postfix) layout up and removes the
 * subdirectories; file names must match the inode number as in Postfix
 * (5 hex digits of microseconds, then the inode number in hex).
 */
#ifndef POSTSUPER_H
#define POSTSUPER_H

#include "cfg/base/buf.h"

/* actions (bits) */
#define PS_STRUCT 0x01u      /* -s: names match inodes, files where they belong */
#define PS_PURGE 0x02u       /* -p: old temporary files */
#define PS_DELETE_ALL 0x04u  /* -d ALL */
#define PS_REQUEUE_ALL 0x08u /* -r ALL */
#define PS_HOLD_ALL 0x10u    /* -h ALL */
#define PS_RELEASE_ALL 0x20u /* -H ALL */
#define PS_REPAIR (PS_STRUCT | PS_PURGE)

/* the counters of the summary lines */
struct ps_count {
	int deleted, requeued, held, released;
	int inode_fixed, inode_mismatch, position_mismatch;
};

/* ps_message_queue - 1 for a queue of message files (maildrop...hold), 0 for a log queue */
int ps_message_queue(const char *queue);
/* ps_known_queue - 1 when postsuper knows the queue directory name */
int ps_known_queue(const char *queue);
/*
 * ps_ready - open a complete queue file that nobody else is working on
 * (sealed, one link, not held by its writer or by pickup); the descriptor
 * holds that claim until it is closed.  -1 when the file is not ready.
 */
int ps_ready(const char *path);
/* ps_rename - rename, fatal on any error but a vanished file; 0 or -1 (vanished) */
int ps_rename(const char *from, const char *to);
/* ps_remove - remove, fatal on any error but a vanished file; 0 or -1 (vanished) */
int ps_remove(const char *path);

/* ps_super - one pass of the repairs or of one ALL action over the queues (super.c) */
void ps_super(const char *const *queues, unsigned action, struct ps_count *n);

#endif
