/*
 * cleanup_int.h - the cleanup engine's state, shared by its files (the
 * programs that use the engine see only cleanup_engine.h)
 *
 * cleanup.c takes a submission (from smtpd, pickup, bounce or local) over
 * the IPC protocol, writes the queue file and answers only after it is
 * sealed and fsync()ed; cleanup_body.c cuts the content into records and
 * runs them through the MIME parser (cleanup_mime.c), writing body parts
 * and their headers; cleanup_hdr.c processes the primary header (missing
 * headers, address qualification, sendmail -t recipients); cleanup_act.c
 * applies header_checks, mime_header_checks, nested_header_checks and
 * body_checks results; cleanup_addr.c rewrites envelope addresses
 * (myorigin, canonical maps, virtual alias expansion) and cleanup_masq.c
 * masquerades them.
 *
 * Content inspection applies to mail from outside (smtpd, pickup) and not
 * to mail Postfix makes itself (bounces, local forwarding), as Postfix's
 * default internal_mail_filter_classes says; receive_override_options, as
 * the submitting service sees it, turns parts of it off.
 */
#ifndef CLEANUP_INT_H
#define CLEANUP_INT_H

#include "cfg/base/buf.h"
#include "cfg/base/strvec.h"
#include "cleanup_engine.h"
#include "mime.h"
#include "conf.h"
#include "qfile.h"
#include "resolve.h"

/* masquerade_classes */
#define CLEANUP_MASQ_ENV_FROM 0x01u
#define CLEANUP_MASQ_ENV_RCPT 0x02u
#define CLEANUP_MASQ_HDR_FROM 0x04u
#define CLEANUP_MASQ_HDR_RCPT 0x08u

struct cleanup_cfg {
	const char *myhostname, *myorigin, *mydomain, *mail_name, *recipient_delimiter;
	int append_at_myorigin, append_dot_mydomain, always_add_headers, enable_orig;
	long header_size_limit, hopcount_limit, size_limit, recursion_limit, expansion_limit;
	struct cfg_strvec canonical, sender_canonical, recipient_canonical, virtual_alias;
	/* content inspection */
	struct cfg_strvec header_checks, mime_header_checks, nested_header_checks, body_checks;
	struct cfg_strvec milter_header_checks;
	const char *milter_daemon_name, *milter_v; /* milter_macro_daemon_name, milter_macro_v */
	const char *bounce_service;
	long body_checks_size_limit, line_limit;
	struct mime_limits mime;
	int disable_mime, strict_7bit_headers, strict_8bitmime, strict_8bitmime_body,
	    strict_encoding;
	/* masquerading */
	struct cfg_strvec masq_domains, masq_exceptions;
	unsigned masq_classes;
	struct rslv *rslv;
	const char *queue_dir;
	const char *qmgr_service;
};

struct cleanup_rcpt {
	char *orig;
	char *addr;
	char *dsn_orcpt; /* the client's ORCPT, or NULL */
	unsigned notify;
};

/* what the submission may do (Postfix's CLEANUP_FLAG_FILTER and _MAP_OK) */
#define CLEANUP_F_CHECKS 0x01u /* header and body checks, strict MIME checks */
#define CLEANUP_F_MAPS 0x02u   /* canonical, virtual, masquerading, BCC */

struct cleanup {
	struct cleanup_cfg *cfg;
	struct qf_writer w;
	int open;
	char *sender;
	struct cleanup_rcpt *rcpt;
	size_t nrcpt, cap;
	const char *cur_orcpt;   /* the ORCPT of the recipient being added (and its expansions) */
	struct cfg_strvec attrs; /* request attributes */
	int local;               /* local submission (pickup): "local" rewriting */
	int fix_headers;         /* add missing headers, qualify header addresses */
	int extract;             /* sendmail -t: recipients from headers */
	int discard, hold;
	unsigned flags;        /* CLEANUP_F_* */
	int inspect;           /* header/body checks still apply (REJECT, DISCARD... end them) */
	char *filter;          /* transport:nexthop the message goes to, or NULL */
	char *redirect;        /* the one address the message goes to instead, or NULL */
	struct cfg_strvec bcc; /* BCC actions: more recipients (NOTIFY=NEVER) */
	struct cfg_strvec milter_hdrs; /* headers from mail filters, not yet seen */
	const char *act_prefix;        /* "milter-header-" while milter_header_checks act */
	char *log_rcpt;                /* the last envelope recipient, as the client gave it */
	/* content state */
	struct mime_parser *mime;
	unsigned mime_errs;
	struct cfg_buf line;       /* partial line */
	struct cfg_buf rec;        /* scratch: one record, NUL-terminated */
	struct cfg_strvec headers; /* primary headers, in order */
	size_t nprepend;           /* the first ones are smtpd's PREPEND actions */
	int hops;
	int enc_8bit; /* a header declares Content-Transfer-Encoding 8bit or binary */
	long size;
	/* outcome */
	int status;           /* 0 ok, 4 temporary, 5 permanent */
	struct cfg_buf reply; /* SMTP reply text when status != 0 */
	char *msgid;
	char *single_rcpt; /* the one SMTP recipient, for Received: ... for <x> */
	long arrival_sec, arrival_usec;
	/* non_smtpd_milters (cleanup_milter.c): the content waits in held until they are done */
	struct milters *milters; /* NULL: none, or not for this submission */
	struct cfg_buf held;
	int milter_open;         /* the filters are connected: disconnect at the end */
	int milter_early;        /* a filter decided at CONNECT or HELO: no QUIT */
	int milter_defer;        /* a filter said "try again": the submitter keeps the message */
	int milter_content;      /* the message phase: no envelope macros */
	const char *milter_rcpt; /* the recipient of the RCPT event */
	char *milter_reject;     /* a filter's 5xx reply: the message goes back to the sender */
	/* postfix route: told each address rewriting step (NULL in the daemons) */
	cleanup_trace_fn trace;
	void *trace_arg;
};

/* cleanup_log_enter / cleanup_log_leave - log as postfix/cleanup while inside */
void cleanup_log_enter(void);
void cleanup_log_leave(void);
/* cleanup_fail - the first error decides the reply ("451 4.3.0 Error: ..."); status 4 or 5 */
void cleanup_fail(struct cleanup *c, int status, const char *reply);

/* cleanup_attr - a request attribute, or NULL */
const char *cleanup_attr(struct cleanup *c, const char *name);

/* cleanup_engine.c */
/* cleanup_write_head - the records before the content: arrival time, sender, attributes */
void cleanup_write_head(struct cleanup *c);
/* cleanup_set_sender - canonical maps and masquerading for a (new) envelope sender */
void cleanup_set_sender(struct cleanup *c, const char *sender);
/* cleanup_seal - write recipients, fsync, and put the file where qmgr (or hold) finds it */
void cleanup_seal(struct cleanup *c);

/* cleanup_milter.c */
/* cleanup_milter_envelope - filters for this submission? then CONNECT to DATA; 1 when in use */
int cleanup_milter_envelope(struct cleanup *c, const struct cfg_strvec *a);
/* cleanup_milter_content - the held content to the filters, their edits, then the queue file */
void cleanup_milter_content(struct cleanup *c);
/*
 * cleanup_milter_bounce - a filter refused the message (5xx): seal it, log
 * each recipient bounced and have the bounce service return it to its
 * sender, as Postfix's cleanup does with a local submission
 */
void cleanup_milter_bounce(struct cleanup *c);
/* cleanup_milter_end - the filters forget the submission (NULL filters are fine) */
void cleanup_milter_end(struct cleanup *c);

/* cleanup_body.c */
/* cleanup_put - message bytes to the queue file, or held for the mail filters */
void cleanup_put(struct cleanup *c, const void *data, size_t len);
/* cleanup_content_end - after the last chunk: the last line, the MIME verdict */
void cleanup_content_end(struct cleanup *c);
/* cleanup_write_line - a line (a header, a PREPEND text) to the queue file, with its line end */
void cleanup_write_line(struct cleanup *c, const char *text);

/* cleanup_hdr.c */
/* cleanup_head_end - the primary header is complete: check, fix and write it */
void cleanup_head_end(struct cleanup *c);

/* cleanup_act.c */
/*
 * cleanup_check - look line up in maps (named param in messages) and act on
 * the result.  Returns 1 to keep the line (it may have been replaced; text
 * to write before it was added to pre), 0 to drop it.  context is "header"
 * or "body".
 */
int cleanup_check(struct cleanup *c, const struct cfg_strvec *maps, const char *param,
                  const char *context, struct cfg_buf *line, struct cfg_strvec *pre);
/* cleanup_log_context - " from CLIENT; from=<> to=<> proto= helo=<>" */
void cleanup_log_context(struct cleanup *c, struct cfg_buf *out);

/* cleanup_addr.c */
/* cleanup_qualify - qualify (myorigin/mydomain) an internal-form address in place */
void cleanup_qualify(struct cleanup *c, struct cfg_buf *addr);
/* cleanup_canonical - canonical maps for a sender (is_sender) or recipient; 0 or -1 table error */
int cleanup_canonical(struct cleanup *c, struct cfg_buf *addr, int is_sender);
/* cleanup_add_rcpt - canonicalize, expand virtual aliases and record one recipient */
int cleanup_add_rcpt(struct cleanup *c, const char *orig, const char *addr, unsigned notify);

/* cleanup_masq.c */
/*
 * cleanup_masquerade - strip subdomains per masquerade_domains from an
 * internal-form address in place, unless its user is an exception; 1 when
 * it changed, 0 not, -1 table error (masquerade_exceptions)
 */
int cleanup_masquerade(struct cleanup *c, struct cfg_buf *addr);
/* cleanup_masq_classes - masquerade_classes as CLEANUP_MASQ_* bits */
unsigned cleanup_masq_classes(const struct cfg_strvec *words);

#endif
