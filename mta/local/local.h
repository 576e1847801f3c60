/*
 * local.h - the local delivery agent: state shared by its files
 *
 * local.c resolves a recipient (aliases, :include:, .forward, users) and
 * chooses where the mail goes; local_mbox.c writes mbox files (locking,
 * From_ line, >From quoting, exactly-once after a crash) and Maildir
 * directories; local_cmd.c runs commands and appends to files.
 */
#ifndef LOCAL_H
#define LOCAL_H

#include <pwd.h>
#include <sys/types.h>

#include "cfg/buf.h"
#include "cfg/strvec.h"
#include "deliver.h"

struct local_cfg {
	const char *myhostname, *myorigin, *spool_dir, *home_mailbox, *recipient_delimiter;
	const char *default_privs, *luser_relay;
	char *mailbox_command; /* unexpanded: local attributes are filled in per delivery */
	char *forward_path;
	long size_limit, lock_attempts, lock_delay, stale_lock, command_time_limit;
	int lock_fcntl, lock_dotlock, lock_flock, strict_ownership, owner_request_special;
	int cmd_alias, cmd_forward, file_alias, file_forward;
	struct cfg_strvec alias_maps;
	int root; /* running as the super-user: deliver with the user's rights */
};

/* one delivery: a recipient of the queue file, possibly expanded */
struct local_dlv {
	struct dlv_req *req;
	size_t k;                /* index into req->rcpt */
	const char *addr;        /* the address being delivered now (internal form) */
	const char *orig;        /* the original recipient */
	const char *parent;      /* the alias whose expansion led here, or NULL */
	const char *sender;      /* envelope sender (owner- alias may change it) */
	int level;               /* alias/forward nesting */
	int from_alias;          /* reached through an alias (commands/files allowed per alias) */
	int from_forward;        /* reached through a .forward file */
	uid_t alias_uid;         /* owner of the alias table, for commands and files */
	struct cfg_strvec *seen; /* addresses already expanded (loops) */
	int exact_once;          /* mark the queue file for an exactly-once mailbox delivery */
};

/* the outcome of one delivery step */
struct local_result {
	int status; /* 0 sent, 4 deferred, 5 bounced */
	char dsn[16];
	struct cfg_buf text;
};

/* local_cfg_get - the agent's settings (borrowed) */
struct local_cfg *local_cfg_get(void);
/* local_result_set - fill an outcome */
void local_result_set(struct local_result *res, int status, const char *dsn, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

/* local_mbox.c */
/* local_become - effective uid/gid of the user when root (0, 0 restores); 0 or -1 */
int local_become(uid_t uid, gid_t gid);
/*
 * local_mbox - append the message to an mbox file (creating it for pw when
 * missing); exactly-once via the queue file mark when d->exact_once.
 */
void local_mbox(struct local_dlv *d, const struct passwd *pw, const char *path,
                struct local_result *res);
/*
 * local_mbox_sync - make the copies written since the last call durable and
 * release the mailbox; on failure their results become deferrals.  0 or -1.
 */
int local_mbox_sync(void);
/* local_maildir - deliver into a Maildir (path ends in '/') */
void local_maildir(struct local_dlv *d, const struct passwd *pw, const char *path,
                   struct local_result *res);
/* what local_message() adds: the From_ line, >From quoting, the blank line after */
#define LM_FROM 0x01
#define LM_QUOTE 0x02
#define LM_BLANK 0x04
#define LM_MBOX (LM_FROM | LM_QUOTE | LM_BLANK)
/* local_message - Return-Path, X-Original-To, Delivered-To and the message into out */
int local_message(struct local_dlv *d, int flags, struct cfg_buf *out);

/* local_cmd.c */
/* local_command - pipe the message into a shell command as uid/gid */
void local_command(struct local_dlv *d, const char *cmd, uid_t uid, gid_t gid,
                   const struct passwd *pw, struct local_result *res);
/* local_file - append the message to a file as uid/gid */
void local_file(struct local_dlv *d, const char *path, uid_t uid, gid_t gid,
                struct local_result *res);
/* local_expand - $user $home $extension ... in a local setting */
void local_expand(const char *tmpl, struct local_dlv *d, const struct passwd *pw,
                  struct cfg_buf *out);

#endif
