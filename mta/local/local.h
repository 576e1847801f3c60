/*
 * local.h - the local delivery agent: state shared by its files
 *
 * The agent follows Postfix's local(8) model.  Each recipient of a queue
 * file goes through local_recipient() (local_rcpt.c): aliases, then the
 * .forward file, then the mailbox.  The entries of an alias value,
 * :include: file or .forward file (parsed by local_token.c) are delivered by
 * local_list.c: files, commands, more :include: files, and addresses, which
 * come back to local_recipient() or are forwarded as a new message through
 * cleanup (local_fwd.c).  local_cmd.c and local_file.c do the final
 * deliveries, mailboxes and Maildirs through mta/common/mailbox.h (shared
 * with the virtual agent); local_priv.c holds the rest of what changes or
 * uses privileges.
 *
 * Two kinds of state travel down that recursion, both by value so that a
 * callee's changes never leak back to its caller:
 *  - struct local_dlv: the recipient, the nesting level, how it was reached
 *    (alias, .forward, :include:: allow_mail_to_commands/files) and who
 *    forwards it;
 *  - struct local_user: whose rights files and commands get (Postfix's
 *    usr_attr).  uid 0 means "nobody yet": commands and files then run as
 *    default_privs, never as root.
 * struct local_rcpt is shared by reference: the duplicate filter, the
 * forwarded copies and the outcome of one queue-file recipient.
 *
 * Privileges change only when the agent runs as root (cfg.root); run by an
 * ordinary user (the single-directory layout) it delivers with that user's
 * rights and the same checks.
 */
#ifndef LOCAL_H
#define LOCAL_H

#include <sys/stat.h>
#include <sys/types.h>

#include "cfg/base/buf.h"
#include "cfg/base/htab.h"
#include "cfg/base/strvec.h"
#include "deliver.h"
#include "mailbox.h"

/* how a destination was reached: allow_mail_to_commands / allow_mail_to_files classes */
#define LOCAL_EXP_ALIAS 0x01
#define LOCAL_EXP_FWD 0x02
#define LOCAL_EXP_INCL 0x04

/* Postfix's nesting limit for aliases, recipients and :include: files */
#define LOCAL_MAX_LEVEL 100

struct local_cfg {
	const char *myhostname, *myorigin, *spool_dir, *home_mailbox, *recipient_delimiter;
	const char *default_privs, *luser_relay, *config_dir;
	char *mailbox_command; /* as written: the shell sees it, as in Postfix */
	char *forward_path;    /* unexpanded: local attributes are filled in per delivery */
	char *exec_dir;        /* command_execution_directory, likewise */
	const char *fwd_filter, *exec_filter; /* the characters an expanded value may hold */
	long command_time_limit, dup_limit, line_limit;
	int owner_request_special, require_home;
	int cmd_mask, file_mask; /* LOCAL_EXP_* classes allowed */
	struct cfg_strvec alias_maps;
	int root;          /* running as the super-user: deliver with the user's rights */
	uid_t default_uid; /* default_privs (root only; never 0) */
	gid_t default_gid;
	int verify; /* sendmail -bv: report what would happen, deliver nothing */
};

/* whose rights apply to a file or command, Postfix's usr_attr; uid 0: default_privs */
struct local_user {
	uid_t uid;
	gid_t gid;
	const char *home, *shell, *logname; /* borrowed; NULL when unknown */
};

/* an owned copy of a passwd entry */
struct local_pw {
	char *name, *dir, *shell;
	uid_t uid;
	gid_t gid;
};

struct local_fwd;

/* one recipient of the queue file while it is being delivered */
struct local_rcpt {
	struct mbx_result total; /* what qmgr hears: the worst outcome */
	long events;             /* status lines + forwarded copies + duplicates dropped */
	long lines;              /* status lines written */
	int expanded;            /* an alias was expanded: a success is DSN action "expanded" */
	struct cfg_htab *dup;    /* the duplicate filter (duplicate_filter_limit) */
	struct local_fwd *fwd;   /* copies to forward when the recipient is done */
	size_t nfwd;
};

/* one delivery: a recipient of the queue file, possibly expanded */
struct local_dlv {
	struct dlv_req *req;
	size_t k;              /* index into req->rcpt */
	struct local_rcpt *rc; /* shared by every step of this recipient */
	const char *addr;      /* the address being delivered now (internal form) */
	const char *orig;      /* the original recipient */
	const char *sender;    /* envelope sender (an owner- alias changes it) */
	const char *local;     /* folded local part of addr, with the extension */
	const char *user;      /* ... without it */
	const char *extension; /* NULL when none */
	const char *delivered; /* Delivered-To: of a forwarded copy */
	const char *owner;     /* who forwards (owner- alias, .forward user, :include:) */
	const char *exp_from;  /* the name being expanded (an alias that lists itself) */
	int exp_type;          /* LOCAL_EXP_*, 0 at the top */
	int level;             /* nesting */
	int exact_once;        /* mark the queue file for an exactly-once mailbox delivery */
};

/* local.c */
/* local_cfg_get - the agent's settings (borrowed) */
struct local_cfg *local_cfg_get(void);
/* local_copy - the mailbox module's view of delivery d with u's rights */
void local_copy(const struct local_dlv *d, const struct local_user *u, struct mbx_copy *c);
/* local_leaf - log a final outcome for d and merge it into the recipient's */
void local_leaf(struct local_dlv *d, const struct mbx_result *res);
/*
 * local_correct - a copy reported delivered did not reach the disk (a
 * late fsync error): log the new outcome for recipient k of r and make it
 * the answer to qmgr, unless that already is a deferral.
 */
void local_correct(struct dlv_req *r, size_t k, const char *addr, const char *orig, int status,
                   const char *dsn, const char *text);
/* local_status - mbx_result_set + local_leaf */
void local_status(struct local_dlv *d, int status, const char *dsn, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
/* local_verify_sent - in verify mode, report what would happen; 1 when it did */
int local_verify_sent(struct local_dlv *d, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
/*
 * local_been_here - Postfix's duplicate filter: 1 when key (case-folded)
 * was seen for this recipient, else remember it (up to
 * duplicate_filter_limit keys) and return 0.  A duplicate counts as an event.
 */
int local_been_here(struct local_dlv *d, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
/* local_been_here_check - the same lookup without remembering */
int local_been_here_check(struct local_dlv *d, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
/*
 * local_dup_enter - the duplicate filter for a list file being expanded:
 * 0 new (remembered as busy until local_dup_leave), 1 expanded before, 2
 * still being expanded: it includes itself.
 */
int local_dup_enter(struct local_dlv *d, const char *key);
/* local_dup_leave - the list file of key is done */
void local_dup_leave(struct local_dlv *d, const char *key);

/* local_rcpt.c */
/* local_rcpt_init - the address resolver and the forwarding service */
void local_rcpt_init(struct mta_server *srv);
/* local_rcpt_request - a new request: forget what was read from the previous queue file */
void local_rcpt_request(void);
/* local_recipient - deliver one local address: aliases, .forward, mailbox */
void local_recipient(struct local_dlv d, struct local_user u);
/* local_resolve - an address from a list: deliver it here or forward it */
void local_resolve(struct local_dlv d, struct local_user u, const char *addr);

/* local_list.c */
/* local_list - deliver the entries of an alias value; the number of events it caused */
long local_list(struct local_dlv d, struct local_user u, const char *text);
/*
 * local_dotforward - the .forward file of d->user: 1 when one was used
 * (it yielded something to deliver), 0 to go on to the mailbox.
 */
int local_dotforward(struct local_dlv d, struct local_user u);

/* local_fwd.c */
/* local_fwd_init - where forwarded copies go (cleanup_service_name) */
void local_fwd_init(struct mta_server *srv);
/* local_indirect - forward d->addr as a new message (sent when the recipient is done) */
void local_indirect(struct local_dlv *d);
/* local_fwd_finish - send the forwarded copies of a recipient (or drop them: cancel) */
void local_fwd_finish(struct local_dlv *top, int cancel);

/* local_priv.c */
/* local_pw_byname / local_pw_byuid - 1 found (out filled), 0 no such user, -1 error */
int local_pw_byname(const char *name, struct local_pw *out);
int local_pw_byuid(uid_t uid, struct local_pw *out);
/* local_pw_fini - release a local_pw */
void local_pw_fini(struct local_pw *pw);
/* local_user_set / local_user_reset - rights of pw / no rights yet (default_privs) */
void local_user_set(struct local_user *u, const struct local_pw *pw);
void local_user_reset(struct local_user *u);
/* local_privs_init - check default_privs and remember it (root only); 0, or -1 with why */
int local_privs_init(struct cfg_buf *why);
/* local_rights - the uid/gid a file or command runs with: u, else default_privs; -1 if root */
int local_rights(const struct local_user *u, uid_t *uid, gid_t *gid);
/* local_drop - in a child: become uid/gid for good (root only); 0 or -1 */
int local_drop(uid_t uid, gid_t gid);
/* local_stat_as - stat (follow != 0) or lstat a path with the rights of uid/gid; 0 or -1 */
int local_stat_as(const char *path, struct stat *st, int follow, uid_t uid, gid_t gid);
/*
 * local_read_as - read a list file as uid/gid: opened without blocking
 * (and without following a symbolic link unless follow), it must still be
 * the regular file that *st describes.  0, or -1 with errno.
 */
int local_read_as(const char *path, const struct stat *st, int follow, uid_t uid, gid_t gid,
                  struct cfg_buf *out);

/* local_cmd.c */
/* local_command - pipe the message into a shell command with u's rights (default_privs) */
void local_command(struct local_dlv d, struct local_user u, const char *cmd);
/*
 * local_expand - $user $home $extension ... in a local setting; characters
 * of a value that are not in filter (NULL: no filter) become '_'
 */
void local_expand(const char *tmpl, struct local_dlv *d, const struct local_user *u,
                  const char *filter, struct cfg_buf *out);

/* local_file.c */
/* local_file - append the message to a file (a Maildir when it ends in '/') */
void local_file(struct local_dlv d, struct local_user u, const char *path);
/* local_maildir_deliver - deliver into the Maildir path as u, logged (or reported in verify mode) */
void local_maildir_deliver(struct local_dlv *d, const struct local_user *u, const char *path);

#endif
