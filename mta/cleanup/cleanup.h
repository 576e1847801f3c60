/*
 * cleanup.h - the cleanup service: state shared by its files
 *
 * cleanup.c takes a submission (from smtpd, pickup or bounce) over the
 * IPC protocol, writes the queue file and answers only after it is sealed
 * and fsync()ed; cleanup_hdr.c processes the message header (checks,
 * missing headers, address qualification, sendmail -t recipients);
 * cleanup_addr.c rewrites envelope addresses (myorigin, canonical maps,
 * virtual alias expansion).
 */
#ifndef CLEANUP_H
#define CLEANUP_H

#include "cfg/base/buf.h"
#include "cfg/base/strvec.h"
#include "conf.h"
#include "qfile.h"
#include "resolve.h"

struct cleanup_cfg {
	const char *myhostname, *myorigin, *mydomain, *mail_name, *recipient_delimiter;
	int append_at_myorigin, append_dot_mydomain, always_add_headers, enable_orig;
	long header_size_limit, hopcount_limit, size_limit, recursion_limit, expansion_limit;
	struct cfg_strvec canonical, sender_canonical, recipient_canonical, virtual_alias,
	    header_checks;
	struct rslv *rslv;
	const char *queue_dir;
	const char *qmgr_service;
};

struct cleanup_rcpt {
	char *orig;
	char *addr;
	unsigned notify;
};

struct cleanup {
	struct cleanup_cfg *cfg;
	struct qf_writer w;
	int open;
	char *sender;
	struct cleanup_rcpt *rcpt;
	size_t nrcpt, cap;
	struct cfg_strvec attrs; /* request attributes */
	int local;               /* local submission (pickup): "local" rewriting */
	int fix_headers;         /* add missing headers, qualify header addresses */
	int extract;             /* sendmail -t: recipients from headers */
	int discard, hold;
	/* header state */
	int in_header;
	struct cfg_buf line;       /* partial line */
	struct cfg_buf hdr;        /* current logical header */
	struct cfg_strvec headers; /* logical headers, in order */
	int saw_msgid, saw_date, saw_from, saw_resent;
	int hops;
	long size;
	/* outcome */
	int status;           /* 0 ok, 4 temporary, 5 permanent */
	struct cfg_buf reply; /* SMTP reply text when status != 0 */
	char *msgid;
	char *single_rcpt; /* the one SMTP recipient, for Received: ... for <x> */
	long arrival_sec, arrival_usec;
};

/*
 * The engine, used by the cleanup daemon over IPC and by smtpd in-process
 * (smtpd writes its queue files itself: one process hop less per message).
 */
/* cleanup_cfg_load - the settings, from the cleanup service's view */
void cleanup_cfg_load(struct cleanup_cfg *cfg, struct mta_conf *conf, const char *queue_dir);
/* cleanup_open - start a submission: a new queue file in incoming/ (its ID in c->w.qid); 0 or -1 */
int cleanup_open(struct cleanup *c, struct cleanup_cfg *cfg);
/* cleanup_envelope - sender, recipients and attributes, as "name=value" strings */
void cleanup_envelope(struct cleanup *c, const struct cfg_strvec *a);
/* cleanup_finish - after the content: seal, fsync, wake qmgr; status 0, 4 or 5 (reply in c->reply) */
int cleanup_finish(struct cleanup *c);
/* cleanup_close - release; a file that was not sealed is removed */
void cleanup_close(struct cleanup *c);
/* cleanup_log_enter / cleanup_log_leave - log as postfix/cleanup while inside */
void cleanup_log_enter(void);
void cleanup_log_leave(void);

/* cleanup_attr - a request attribute, or NULL */
const char *cleanup_attr(struct cleanup *c, const char *name);

/* cleanup_hdr.c */
/* cleanup_body_bytes - feed content; headers are processed when they end */
void cleanup_content(struct cleanup *c, const char *data, size_t len);
/* cleanup_content_end - after the last chunk (flushes headers of a header-only message) */
void cleanup_content_end(struct cleanup *c);
/* cleanup_log_prefix - "header NAME: VALUE from CLIENT; from=<> to=<> proto= helo=<>" context */
void cleanup_log_context(struct cleanup *c, struct cfg_buf *out);

/* cleanup_addr.c */
/* cleanup_canon - qualify (myorigin/mydomain) an internal-form address in place */
void cleanup_qualify(struct cleanup *c, struct cfg_buf *addr);
/* cleanup_canonical - canonical maps for a sender (is_sender) or recipient; 0 or -1 table error */
int cleanup_canonical(struct cleanup *c, struct cfg_buf *addr, int is_sender);
/* cleanup_add_rcpt - canonicalize, expand virtual aliases and record one recipient */
int cleanup_add_rcpt(struct cleanup *c, const char *orig, const char *addr, unsigned notify);
/* cleanup_date - Postfix's mail_date() format */
void cleanup_date(long when, struct cfg_buf *out);

#endif
