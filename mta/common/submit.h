/*
 * submit.h - local mail submission: sendmail (and smtpd -bs) -> postdrop -> maildrop
 *
 * As in Postfix, the maildrop queue is writable only by the setgid_group:
 * sendmail hands each message to the set-gid postdrop helper, which checks
 * it and writes the queue file; pickup takes it from there.  The file
 * belongs to the submitting user, so pickup learns the uid from the file
 * owner, which nobody can forge.
 *
 * The postdrop protocol ("postdrop -r" reads it on its standard input): one
 * record per line, the value %-escaped as in queue files (qf_escape), so a
 * value never holds a newline:
 *   S<sender>         exactly one, first ("" is the null sender)
 *   F<full name>      optional
 *   A<name>=<value>   optional: rewrite_context (local or remote), envid, ret
 *   H<hex>            optional header flags: QF_H_EXTRACT (-t), QF_H_VERIFY (-bv)
 *   R<hex> <address>  a recipient and its DSN NOTIFY bits (QF_N_*)
 *   M                 the message content follows as chunks:
 *   D<length>         a line with the decimal length, then that many bytes
 *   E                 the end: postdrop seals the file.  Without it (end of
 *                     input) the submission is cancelled and nothing is queued.
 * postdrop creates the queue file before it reads anything and writes its
 * queue ID on its standard output ("queue_id=ID\n"); then it exits 0 when
 * the message is in the maildrop queue,
 * SUBMIT_TOO_BIG when it exceeds message_size_limit, 1 on any other failure
 * (after saying why on stderr).
 *
 * The set-gid programs (postdrop, postqueue) take a non-default configuration
 * directory from an unprivileged user only when the default main.cf lists
 * it in alternate_config_directories or multi_instance_directories, with
 * Postfix's messages; sendmail applies the same rule to -C.
 */
#ifndef MTA_SUBMIT_H
#define MTA_SUBMIT_H

#include <sys/types.h>

#include "cfg/base/buf.h"
#include "conf.h"
#include "qfile.h"

/* the compiled-in configuration directory (libcfg's default when no -c or MAIL_CONFIG) */
#define SUBMIT_DEF_CONFIG_DIR "/etc/postfix"

/* postdrop's exit status for a message over message_size_limit */
#define SUBMIT_TOO_BIG 3

/* the largest record line postdrop accepts (a recipient, a sender...) */
#define SUBMIT_LINE_MAX 65536

/* submit_privileged - 1 when the process runs set-uid or set-gid (real and effective ids differ) */
int submit_privileged(void);

/*
 * submit_config_dir_ok - Postfix's check of a non-default configuration
 * directory: 0 when dir is listed in alternate_config_directories or
 * multi_instance_directories of the default main.cf.  Otherwise -1 with the
 * texts to print: error (the "error:" line, may stay empty) and fatal.
 */
int submit_config_dir_ok(const char *dir, struct cfg_buf *error, struct cfg_buf *fatal);
/* submit_require_config_dir - print the refusal and exit(status) unless submit_config_dir_ok() */
void submit_require_config_dir(const char *dir, int status);

/*
 * submit_program - where the helper program name (postdrop, postqueue) is:
 * $command_directory when main.cf sets it, else next to the running program
 * in a build tree, else the installation's sbin directory.  New string.
 */
char *submit_program(struct mta_conf *c, const char *name);

/*
 * submit_user_denied - check uid against the user list in param
 * (authorized_submit_users...): NULL when allowed, else the login name to
 * report ("unknown" when uid has no passwd entry; borrowed, static).
 */
const char *submit_user_denied(struct mta_conf *c, const char *param, uid_t uid);

/*
 * submit_config_dir - for postdrop and postqueue: the configuration
 * directory from MAIL_CONFIG (their -c sets it), NULL for the default.
 * Installed set-gid and run by a user other than root, a non-default one
 * must pass submit_require_config_dir() (else exit(status)), and of the
 * caller's environment only TZ stays.  Static storage.
 */
const char *submit_config_dir(int status);

/* submit_log - log as configured, quietly: an unprivileged user may not open maillog_file */
void submit_log(struct mta_conf *c);

/* submit_printable - s with control characters shown as '?', as Postfix logs them (static) */
const char *submit_printable(const char *s);
/* submit_has_control - 1 when s holds a control character (below space, or DEL) */
int submit_has_control(const char *s);

/* a running "postdrop -r" and the pipe to its standard input */
struct submit_stream {
	pid_t pid;
	int fd;
	char qid[QF_ID_MAX]; /* postdrop's queue ID; "" when it failed before creating the file */
	int broken;          /* a write failed: postdrop went away, its exit status says why */
	struct cfg_buf out;
};

/*
 * submit_open - start prog ("/.../postdrop") with -r, the configuration
 * directory in MAIL_CONFIG, and read the queue ID it answers with.
 * Returns 0 (a postdrop that failed says so at submit_finish()), or -1
 * with errno when it cannot be started.
 */
int submit_open(struct submit_stream *s, const char *prog, const char *config_dir);
/* submit_record - one record (type 'S', 'F', 'A', 'H', 'R' or 'M'), value escaped */
void submit_record(struct submit_stream *s, char type, const char *value);
/* submit_content - message bytes (after the M record) */
void submit_content(struct submit_stream *s, const void *data, size_t len);
/*
 * submit_finish - the E record, then wait for postdrop.  Returns its exit
 * status, or 128 + signal when a signal killed it, or -1 when it cannot be
 * waited for.
 */
int submit_finish(struct submit_stream *s);
/* submit_cancel - end the input without E (postdrop removes its file) and wait */
void submit_cancel(struct submit_stream *s);

#endif
