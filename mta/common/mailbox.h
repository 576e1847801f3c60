/*
 * mailbox.h - writing a message into an mbox file or a Maildir, shared by
 * the local and virtual delivery agents
 *
 * One copy (struct mbx_copy) is written on behalf of a recipient of a qmgr
 * request: with the recipient's rights (uid/gid) when the agent runs as
 * root, never through a symbolic link, never into a file with more than one
 * hard link, never blocking on a FIFO.  An mbox file is dot-locked and
 * fcntl/flock-locked (as the agent's settings say), cut back to its old
 * size when a write fails, and written exactly once even when the agent
 * dies after the write and before qmgr heard of it: the recipient's queue
 * file record carries a mark (where the copy starts) that a later attempt
 * checks.  The mailbox stays open and locked for the other messages of a
 * batch and is fsync()ed once, by mbx_sync(), before any of them is
 * reported; a late fsync failure corrects the outcomes through the agent's
 * callback.  A Maildir copy is written to tmp/, fsync()ed and linked into
 * new/ under a name that depends only on the queue file and the recipient,
 * so a second attempt finds the first.
 *
 * Failure texts are Postfix's ("file has 2 hard links", "unable to create
 * lock file PATH.lock: File exists", "error writing message: File too
 * large"); each agent puts its own prefix in front ("cannot update mailbox
 * PATH for user USER. " for local, "delivery failed to mailbox PATH: " for
 * virtual) and picks its default DSN for a mailbox that cannot be opened or
 * locked (local bounces with 5.2.0, virtual defers with 4.2.0).
 *
 * Process-wide state: the settings (mbx_init) and the mailbox held open
 * across a batch.  A delivery agent handles one request at a time.
 */
#ifndef MTA_MAILBOX_H
#define MTA_MAILBOX_H

#include <sys/stat.h>
#include <sys/types.h>

#include "cfg/base/buf.h"
#include "conf.h"
#include "deliver.h"

/* mailbox locking methods (mailbox_delivery_lock, virtual_mailbox_lock) */
#define MBX_LOCK_FCNTL 0x01u
#define MBX_LOCK_DOTLOCK 0x02u
#define MBX_LOCK_FLOCK 0x04u

/* an agent's settings; strings are borrowed for the life of the process */
struct mbx_cfg {
	const char *prog;     /* "local", "virtual": the dot-lock tag and the process name */
	const char *hostname; /* myhostname: Maildir file names use its first label */
	const char *open_dsn; /* DSN when a mailbox cannot be opened or locked */
	unsigned locks;       /* MBX_LOCK_* */
	long lock_attempts, lock_delay, stale_lock;
	long size_limit; /* largest mbox file, 0: none */
	int strict_ownership;
	int root; /* running as root: act with the recipient's rights */
	/*
	 * correct - a copy reported delivered did not reach the disk: recipient
	 * k of r gets this outcome instead (status 4 or 5)
	 */
	void (*correct)(struct dlv_req *r, size_t k, const char *addr, const char *orig, int status,
	                const char *dsn, const char *text);
};

/* the outcome of one delivery step */
struct mbx_result {
	int status; /* 0 sent, 4 deferred, 5 bounced */
	char dsn[16];
	struct cfg_buf text;
};

/* one copy of the message for one recipient */
struct mbx_copy {
	struct dlv_req *req;
	size_t k;           /* index into req->rcpt */
	const char *sender; /* Return-Path and From_ line */
	const char *orig;   /* X-Original-To */
	const char *addr;   /* the recipient (its status), and Delivered-To unless delivered_to */
	const char *delivered_to; /* Delivered-To when it differs: an alias or .forward owner */
	int exact_once;           /* mark the queue file record (top-level mailbox deliveries) */
	uid_t uid;                /* writes with these rights and owns what is created */
	gid_t gid;
	uid_t ouid; /* opens and dot-locks an mbox with these (local's spool) */
	gid_t ogid;
	const char *why_prefix; /* put in front of every failure text */
};

/* mbx_init - the agent's settings (copied; call once, as root when the agent runs as root) */
void mbx_init(const struct mbx_cfg *cfg);
/*
 * mbx_setup - an agent's start-up, as Postfix's local and virtual do it:
 * the lock methods from lock_param, the size limit from limit_param (fatal
 * when it cannot hold a message of message_size_limit), the lock timing,
 * strict_mailbox_ownership and myhostname from conf into cfg (prog,
 * open_dsn and correct are the caller's); umask 077; then mbx_init(cfg).
 * The limit is checked before each write (mbox, Maildir file) rather than
 * set as the agent's file size limit: the agent writes the maillog too.
 */
void mbx_setup(struct mta_conf *conf, const char *lock_param, const char *limit_param,
               struct mbx_cfg *cfg);
/* mbx_file_limit - in a child that runs a command: the size limit as its file size limit */
void mbx_file_limit(void);
/* mbx_size_limit - the size limit of mailboxes and files, 0 for none */
long mbx_size_limit(void);
/* mbx_result_set - fill an outcome */
void mbx_result_set(struct mbx_result *res, int status, const char *dsn, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

/* what mbx_message() adds: the From_ line, >From quoting, the blank line after */
#define MBX_FROM 0x01
#define MBX_QUOTE 0x02
#define MBX_BLANK 0x04
#define MBX_MBOX (MBX_FROM | MBX_QUOTE | MBX_BLANK)
/* mbx_message - Return-Path, X-Original-To, Delivered-To and the message into out; 0 or -1 */
int mbx_message(const struct mbx_copy *c, int flags, struct cfg_buf *out);

/*
 * mbx_mbox - append the message to the mbox file path: created for
 * c->uid/c->gid when missing, opened and dot-locked with c->ouid/c->ogid,
 * written with c->uid/c->gid.  Durable only after mbx_sync().
 */
void mbx_mbox(const struct mbx_copy *c, const char *path, struct mbx_result *res);
/*
 * mbx_sync - make the mbox copies written since the last call durable and
 * release the mailbox; on failure their outcomes are corrected through the
 * agent's callback (Postfix's DSN for the error).  0 or -1.
 */
int mbx_sync(void);
/*
 * mbx_serve - a qmgr connection of a mailbox delivery agent: deliver() each
 * request of the batch, then mbx_sync() before any answer goes out
 */
void mbx_serve(struct mta_server *srv, int fd, void (*deliver)(struct dlv_req *r));
/* mbx_maildir - deliver into the Maildir path (ends in '/') with c->uid/c->gid */
void mbx_maildir(const struct mbx_copy *c, const char *path, struct mbx_result *res);

/* mbx_become - act with uid/gid and only gid as group (root only); (0, 0) restores; 0 or -1 */
int mbx_become(uid_t uid, gid_t gid);
/*
 * mbx_safe_open - open a file to append to, creating it (mode 0600,
 * chowned to cuid/cgid unless -1) when flags has O_CREAT: never through a
 * symbolic link, never blocking on a FIFO; an existing file must have one
 * hard link and not be a directory.  Returns the descriptor with *st, or
 * -1 with errno and Postfix's reason in why ("file has 2 hard links").
 */
int mbx_safe_open(const char *path, int flags, uid_t cuid, gid_t cgid, struct stat *st,
                  struct cfg_buf *why);
/*
 * mbx_lock_fd - an exclusive fcntl (or flock) lock on fd, tried
 * lock_attempts times lock_delay apart; 0, or -1 with errno (EAGAIN when
 * someone else kept it)
 */
int mbx_lock_fd(int fd, int use_flock);
/* mbx_write_all - write a whole buffer (EINTR and short writes handled); 0 or -1 */
int mbx_write_all(int fd, const struct cfg_buf *b);
/* mbx_dsn - Postfix's DSN for a failed mailbox or file operation with errno err */
const char *mbx_dsn(int err, const char *def);

#endif
