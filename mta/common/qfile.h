/*
 * qfile.h - queue files: identifiers, directories and the on-disk format
 *
 * A queue file lives in one of the queue directories (maildrop, incoming,
 * active, deferred, hold, corrupt) under queue_directory, named by its
 * queue ID: 5 hex digits of the creation microsecond plus the file's inode
 * number in hex ("894CAA72653"), as Postfix's short IDs.  The inode makes
 * the name unique among all live queue files of the file system.
 *
 * Format (all text is one record per line; values are %-escaped so they
 * never contain TAB, CR, LF, NUL or a bare '%'):
 *
 *   PKQ1 <content_off> <content_size> <tail_off> <hflags>\n   fixed width
 *   T<sec>.<usec>          arrival time
 *   S<sender>              envelope sender ("" = null sender)
 *   A<name>=<value>        attributes: client, helo, protocol, rewrite ...
 *   <content>              the message, LF line ends, exactly content_size bytes
 *   R<st><mark> <notify> <orig>\t<addr>\n   one per recipient (after the
 *                          content, because cleanup knows the final list
 *                          only then); st '-' pending, 'D' done; mark is
 *                          16 hex digits a delivery agent may set (local
 *                          uses it to make mbox delivery idempotent)
 *   F<transport>:<nexthop> the content filter every recipient goes to
 *                          (content_filter, or a FILTER action: cleanup
 *                          knows the last one only after the content)
 *   E\n                    end: the file is complete
 *   L<idx> <action> <dsn> <time> <text>\n   delivery log records appended
 *                          by qmgr (bounced, deferred, expanded ...)
 *
 * A file is "sealed" (complete) when its header is final, it ends with the
 * E record, its mode has the owner-execute bit, and it has been fsync()ed.
 * Readers ignore unsealed files: they are being written, or the writer died.
 *
 * The writer holds an exclusive flock() on the file from its creation until
 * the seal has succeeded or the file has been removed, so the owner-execute
 * bit (set before the fsync, as Postfix does) is not enough: a reader takes
 * a file only through qf_claim(), which fails while the writer still holds
 * it or after the writer removed it.  A message refused because the fsync
 * (or a write, or the move to hold/) failed is thus never delivered.
 */
#ifndef MTA_QFILE_H
#define MTA_QFILE_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "cfg/base/buf.h"
#include "cfg/base/strvec.h"

#define QF_ID_MAX 32

/* queue directory names */
#define QF_MAILDROP "maildrop"
#define QF_INCOMING "incoming"
#define QF_ACTIVE "active"
#define QF_DEFERRED "deferred"
#define QF_HOLD "hold"
#define QF_CORRUPT "corrupt"

/* header flags (hflags), updated in place */
#define QF_H_BOUNCED 0x01u /* the non-delivery notice has been sent */
#define QF_H_EXTRACT 0x02u /* maildrop: take recipients from To/Cc/Bcc (sendmail -t) */
#define QF_H_WARNED 0x04u  /* delay warning sent */
#define QF_H_VERIFY 0x08u  /* sendmail -bv: verify the recipients, mail a report, deliver nothing */

/* recipient DSN NOTIFY bits (0 = default: failure, delay) */
#define QF_N_NEVER 0x01u
#define QF_N_SUCCESS 0x02u
#define QF_N_FAILURE 0x04u
#define QF_N_DELAY 0x08u

/* qf_queue_dirs - NULL-terminated list of directories a queue has, in creation order */
extern const char *const qf_queue_dirs[];

struct qf_writer {
	int fd;
	char qid[QF_ID_MAX];
	char *path;         /* queue_dir/queue/qid */
	struct cfg_buf buf; /* pending output */
	off_t written;      /* bytes already written before buf */
	off_t content_off;
	off_t content_size;
	off_t tail_off;
	unsigned hflags;
	int state;  /* 0 head, 1 content, 2 tail, 3 sealed */
	int failed; /* an I/O error happened; seal will fail: QF_FAIL_WRITE or QF_FAIL_SYNC */
	int err;    /* errno of the failure */
	/* mode when sealed (0: 0700); maildrop files are 0744 so pickup can read them */
	mode_t seal_mode;
};

/* what failed, in qf_writer.failed: Postfix words the two differently */
#define QF_FAIL_WRITE 1 /* write or pwrite: "write queue file: %m" */
#define QF_FAIL_SYNC 2  /* fchmod, fsync or the move at the end: no warning of its own */

/*
 * qf_create - make a new queue file in queue_dir/queue with mode 0600 and
 * a fresh queue ID.  Returns 0 or -1 with errno set.
 */
int qf_create(struct qf_writer *w, const char *queue_dir, const char *queue);
/* qf_head - add a head record (before the content) */
void qf_head(struct qf_writer *w, char type, const char *value);
/* qf_attr - add an A record name=value */
void qf_attr(struct qf_writer *w, const char *name, const char *value);
/* qf_arrival - add the T record */
void qf_arrival(struct qf_writer *w, long sec, long usec);
/* qf_content - append message bytes */
void qf_content(struct qf_writer *w, const void *data, size_t len);
/* qf_rcpt - add a recipient (after the content) */
void qf_rcpt(struct qf_writer *w, const char *orig, const char *addr, unsigned notify);
/* qf_rcpt_status - add a recipient with its status: '-' pending, 'D' done (never delivered) */
void qf_rcpt_status(struct qf_writer *w, const char *orig, const char *addr, unsigned notify,
                    char status);
/* qf_rcpt_dsn - the same, with the client's DSN ORCPT ("type;address", NULL: none) */
void qf_rcpt_dsn(struct qf_writer *w, const char *orig, const char *addr, unsigned notify,
                 char status, const char *dsn_orcpt);
/*
 * qf_xattr - add an A record after the content: what cleanup learnt from
 * the message itself (Postfix's "extracted" attributes, such as encoding)
 */
void qf_xattr(struct qf_writer *w, const char *name, const char *value);
/* qf_filter - add the F record (after the content) */
void qf_filter(struct qf_writer *w, const char *filter);
/* qf_size - content bytes so far */
off_t qf_size(const struct qf_writer *w);
/*
 * qf_seal - finish: E record, final header, mode 0700, fsync when
 * do_sync.  Returns 0, or -1 with errno (the file is then removed before
 * the lock is released: no reader ever took it).
 */
int qf_seal(struct qf_writer *w, int do_sync);
/*
 * qf_seal_to - qf_seal, moving the file to queue_dir/queue first (cleanup's
 * hold/): readers never see it in the queue it was created in.
 */
int qf_seal_to(struct qf_writer *w, int do_sync, const char *queue_dir, const char *queue);
/* qf_abort - remove an unfinished file and release everything */
void qf_abort(struct qf_writer *w);
/* qf_writer_fini - release memory of a sealed writer (the file stays) */
void qf_writer_fini(struct qf_writer *w);

/* a parsed recipient */
struct qf_rcpt {
	char *orig;
	char *addr;
	char *dsn_orcpt; /* the client's ORCPT ("rfc822;addr", decoded), or NULL */
	unsigned notify;
	char status;   /* '-' pending, 'D' done */
	uint64_t mark; /* agent mark, 0 = none */
	off_t off;     /* file offset of the 'R' */
};

/* a parsed delivery log record */
struct qf_log {
	size_t idx;
	char *action; /* "bounced", "deferred", "delayed", "expanded", "delivered" */
	char *dsn;
	long when;
	char *text;
};

struct qf_env {
	long arrival_sec;
	long arrival_usec;
	char *sender;
	struct cfg_strvec attrs;  /* "name=value" */
	struct cfg_strvec xattrs; /* "name=value" after the content: what cleanup learnt from it */
	char *filter;             /* F record: "transport:nexthop", or NULL */
	struct qf_rcpt *rcpt;
	size_t nrcpt;
	struct qf_log *logs;
	size_t nlogs;
	off_t content_off;
	off_t content_size;
	off_t tail_off;
	unsigned hflags;
};

/* qf_env_init / qf_env_fini - an empty envelope / release one (init again to reuse) */
void qf_env_init(struct qf_env *e);
void qf_env_fini(struct qf_env *e);
/*
 * qf_read - parse the envelope of an open queue file (content is not read).
 * Returns 0, or -1 with a reason in why (corrupt or unsealed file).
 */
int qf_read(int fd, struct qf_env *e, struct cfg_buf *why);
/* qf_env_attr - the value of attribute name, or NULL */
const char *qf_env_attr(const struct qf_env *e, const char *name);
/* qf_encoding_ok - 1 for a value of the encoding attribute: "7bit" or "8bit" (BODY=, -B) */
int qf_encoding_ok(const char *v);
/* qf_env_xattr - the value of an attribute written after the content (qf_xattr), or NULL */
const char *qf_env_xattr(const struct qf_env *e, const char *name);
/* qf_set_status - set recipient status byte in place ('D' done) */
int qf_set_status(int fd, const struct qf_rcpt *r, char status);
/* qf_set_mark - set the 16-hex agent mark of a recipient in place */
int qf_set_mark(int fd, const struct qf_rcpt *r, uint64_t mark);
/* qf_set_hflags - rewrite the header flags in place */
int qf_set_hflags(int fd, unsigned hflags);
/* qf_append_log - append an L record (O_APPEND-safe single write) */
int qf_append_log(int fd, size_t idx, const char *action, const char *dsn, long when,
                  const char *text);
/*
 * qf_claim - may a reader (qmgr, pickup) take this open queue file?  0 when
 * it is sealed (owner-execute), still has a name, and its writer is done
 * with it; -1 while the writer holds it (it may still remove it) or after
 * the writer removed it.  The claim holds a lock until fd is closed.
 */
int qf_claim(int fd);
/* qf_read_content - read the whole message content into out (appended) */
int qf_read_content(int fd, const struct qf_env *e, struct cfg_buf *out);

/*
 * Postfix's measure of a message.  Postfix stores the content as records
 * (a type byte, the length in 7-bit groups, the bytes, no newline) of at
 * most QF_PF_LINE_LIMIT bytes, and reports the bytes of those records as
 * the message size: qmgr's size=, postqueue's listings, postcat's
 * message_size.  A line of 100 bytes counts 102; one of 5000 counts
 * 2051 + 2051 + 906.
 */
#define QF_PF_LINE_LIMIT 2048

/*
 * qf_pf_split - 1 when a line with left bytes still to store continues in
 * another record of QF_PF_LINE_LIMIT bytes.  Header lines are cut while
 * more than the limit is left, body lines (read in pieces of the limit)
 * while at least the limit is left: a body line of exactly 2048 bytes
 * takes a full record and an empty one.
 */
int qf_pf_split(size_t left, int in_header);
/*
 * qf_pf_in_header - does a message line of len bytes at p (only its start
 * is looked at) belong to the header, when the lines before it did: a
 * header field ("Name:") or a continuation (leading space or tab).  The
 * first line that does not ends the header; it and the rest are the body.
 */
int qf_pf_in_header(const char *p, size_t len);
/* qf_pf_record_size - the bytes of a Postfix record holding len bytes */
long long qf_pf_record_size(size_t len);
/* qf_pf_line_size - the bytes of the records holding a message line of len bytes */
long long qf_pf_line_size(size_t len, int in_header);
/*
 * qf_message_size - the size Postfix reports for the message of an open
 * queue file (its content counted as records).  Reads the content.
 * Returns 0, or -1 with errno.
 */
int qf_message_size(int fd, const struct qf_env *e, long long *size);

/* qf_escape - append value %-escaped (TAB CR LF NUL % and other controls) */
void qf_escape(struct cfg_buf *out, const char *value);
/* qf_unescape - decode in place */
void qf_unescape(char *s);

/* qf_path - "queue_dir/queue/qid", "queue/qid" when queue_dir is "." (new string) */
char *qf_path(const char *queue_dir, const char *queue, const char *qid);
/* qf_valid_id - 1 when name looks like a queue ID (hex digits, 6..31 chars) */
int qf_valid_id(const char *name);
/*
 * qf_pf_id_ok - Postfix's test of a queue ID given to a command (postqueue
 * -i, postsuper, postcat -q): letters, digits and '_', at most 255
 */
int qf_pf_id_ok(const char *id);
/*
 * qf_make_dirs - create queue_dir and its subdirectories (plus pid, private,
 * public) when missing, with Postfix's modes (maildrop 1730, public 2710).
 * owner (mail_owner) gets every directory but pid, group (setgid_group)
 * maildrop and public; -1 leaves ownership alone.  Returns 0 or -1 with
 * errno and the failing path in why.
 */
int qf_make_dirs(const char *queue_dir, uid_t owner, gid_t group, struct cfg_buf *why);

#endif
