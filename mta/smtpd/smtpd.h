/*
 * smtpd.h - the SMTP server: session state shared by its files
 *
 * smtpd.c runs the protocol (commands, replies, counters, logging),
 * smtpd_check.c evaluates the smtpd_*_restrictions, smtpd_data.c receives
 * message content and hands it to the cleanup service.  One process serves
 * one client at a time.
 */
#ifndef SMTPD_H
#define SMTPD_H

#include <stddef.h>
#include <time.h>

#include "addr.h"
#include "conf.h"
#include "match.h"
#include "resolve.h"
#include "server.h"
#include "smtpd_api.h"
#include "sasl.h"
#include "stream.h"
#include "submit.h"
#include "tls.h"
#include "cfg/base/buf.h"
#include "cfg/base/strvec.h"

/* the settings smtpd reads once per process */
struct smtpd_cfg {
	const char *banner, *myhostname, *mail_name, *cleanup_service;
	long timeout, size_limit, rcpt_limit, line_limit, hard_errors, soft_errors, junk_limit;
	long error_sleep;
	int disable_vrfy, helo_required, delay_reject, relay_before_rcpt, unlisted_rcpt,
	    unlisted_sender, strict_821, smtputf8, peername_lookup, delay_open;
	int port_logging;           /* smtpd_client_port_logging: name[addr]:port in the logs */
	int show_table_name;        /* show_user_unknown_table_name */
	const char *forbid_bare_nl; /* no, normalize/yes, reject */
	long bare_nl_code;
	long reject_code, defer_code, access_reject_code, access_defer_code, relay_reject_code;
	long unknown_local_code, unknown_virtual_code, unknown_relay_code, non_fqdn_code;
	long unknown_vmbox_code; /* unknown_virtual_mailbox_reject_code */
	long invalid_hostname_code, unknown_address_code;
	const char *null_key, *recipient_delimiter;
	const char *content_filter;   /* recorded with every message received here */
	const char *receive_override; /* receive_override_options, for cleanup */
	int no_unknown_rcpt;          /* receive_override_options: no_unknown_recipient_checks */
	struct cfg_strvec client_r, helo_r, sender_r, relay_r, rcpt_r, data_r, eod_r, etrn_r;
	struct cfg_strvec discard_ehlo, forbidden_cmds;
	struct cfg_strvec local_rcpt_maps, va_maps, vm_maps, relay_rcpt_maps;
	struct cfg_strvec canon_maps, rcpt_canon_maps; /* a listed address is valid */
	struct match_list *mynetworks;
	struct match_list *xclient_hosts;
	struct match_list *xforward_hosts;
	struct match_list *bare_nl_exclusions;
	struct rslv *rslv;
	int access_parent_style;   /* smtpd_access_maps in parent_domain_matches_subdomains */
	struct smtpd_rules *rules; /* the restriction lists, compiled (smtpd_check.h) */
	/* TLS (smtpd_tls.c) */
	int tls_level; /* SMTPD_TLS_NONE, _MAY, _ENCRYPT */
	int tls_wrapper, tls_auth_only, tls_received_header, tls_ask_ccert;
	long tls_loglevel, starttls_timeout;
	struct mta_tls_ctx *tls_ctx;
	struct mta_tls_cache *tls_cache; /* smtpd_tls_session_cache_database, or NULL */
	struct cfg_strvec relay_clientcerts;
	/* SASL (smtpd_sasl.c) */
	int sasl_enable, sasl_broken_clients, sasl_header;
	const char *sasl_service;
	unsigned sasl_deny, sasl_require, sasl_tls_deny, sasl_tls_require;
	struct cfg_strvec sasl_filter, sender_login_maps;
	struct sasl_server *sasl;
	long plaintext_code;
};

#define SMTPD_TLS_NONE 0
#define SMTPD_TLS_MAY 1
#define SMTPD_TLS_ENCRYPT 2

/* one SMTP command's counters, for the disconnect line */
struct smtpd_count {
	const char *name;
	unsigned ok, total;
};

enum smtpd_stage { ST_CONNECT, ST_HELO, ST_MAIL, ST_RCPT, ST_DATA, ST_EOD, ST_ETRN, ST_VRFY };

struct smtpd_rcpt {
	char *internal;
	char *external;
	unsigned notify;
	char *orcpt;
};

struct cleanup;
struct smtpd_milter;

/* the XFORWARD attributes of the next transaction (smtpd_xforward.c) */
#define SMTPD_XF_COUNT 7
struct smtpd_xforward {
	char *v[SMTPD_XF_COUNT]; /* NAME ADDR PROTO HELO SOURCE PORT IDENT; NULL: unavailable */
	unsigned given;          /* a bit per attribute a command named */
};

struct smtpd {
	struct mta_server *srv;
	struct smtpd_cfg *cfg;
	/* the queue file of the transaction: the cleanup engine's, or postdrop's (standalone) */
	struct cleanup *cln;
	struct submit_stream drop;
	int drop_open;
	struct cfg_buf check_reply; /* the last refusal of smtpd_check_*() (lazily initialised) */
	struct mta_stream in;
	struct mta_stream out;
	int same_fd;
	/* the client */
	char name[256];     /* verified host name or "unknown" */
	char rev_name[256]; /* reverse name */
	char addr[64];
	char peer_addr[64]; /* the connection's own peer, which XCLIENT does not change */
	char port[16];
	/* our end of the connection (empty when it is not a TCP socket) */
	char srv_addr[64];
	char srv_port[16];
	char log_client[352]; /* name[addr], or name[addr]:port */
	char *helo;           /* NULL until HELO/EHLO (or XCLIENT HELO=) */
	const char *protocol; /* "SMTP" / "ESMTP" */
	int in_mynetworks;
	int xclient_ok;
	int anvil_open; /* anvil counts this connection (smtpd_anvil.c) */
	int xforward_ok;
	/* the real peer (not XCLIENT's) is one of our interfaces: rewrite context local */
	int local_rewrite;
	struct smtpd_xforward xf;
	/* name or rev_name is "unknown" after a temporary DNS failure */
	int name_temp, rev_name_temp;
	int bare_nl_mode;    /* 0 no, 1 normalize, 2 reject */
	struct mta_tls *tls; /* the TLS session, NULL in plaintext */
	char *sasl_method;   /* after a successful AUTH, else NULL */
	char *sasl_username;
	char *sasl_sender; /* MAIL FROM's AUTH=<...>, NULL when none */
	/* the transaction */
	char *sender; /* internal; NULL before MAIL */
	char *sender_ext;
	long size_param;
	const char *dsn_ret;  /* MAIL FROM's RET=: "full", "hdrs" or NULL */
	char *dsn_envid;      /* MAIL FROM's ENVID=, decoded, or NULL */
	const char *body_enc; /* MAIL ... BODY=: "8bit", "7bit" or NULL (not given) */
	int smtputf8;
	struct smtpd_rcpt *rcpt;
	size_t nrcpt, rcpt_cap;
	char qid[32];              /* "" before the queue file exists */
	char instance[64];         /* the policy "instance" of the transaction, "" until asked */
	time_t start;              /* when the session began */
	int discard;               /* an access DISCARD action applies */
	int hold;                  /* an access HOLD action applies */
	struct cfg_strvec prepend; /* PREPEND header lines */
	char *filter;              /* FILTER action: transport:destination */
	char *redirect;            /* REDIRECT action: the one recipient instead */
	struct cfg_strvec bcc;     /* BCC actions: more recipients */
	/* the BDAT state */
	int in_bdat;
	int bdat_failed;
	/* errors and counters */
	int errors;
	int junk;
	int quit;
	int dead;           /* connection lost or must close */
	int ill_pipelining; /* "improper command pipelining" was logged for this session */
	char *denied;       /* client refused at connect (no smtpd_delay_reject) */
	struct smtpd_count *counts;
	size_t ncounts;
	const char *where; /* last command, for "lost connection after X" */
	const char *line;  /* the command line being served, as the client sent it */
	unsigned long long data_bytes;
	/* smtpd_milters (smtpd_milter.c): NULL without filters */
	struct smtpd_milter *milt;
	char *milter_deny; /* a CONNECT or HELO refusal, given at MAIL */
};

/* a command: its handler returns 0 on success, -1 on an error reply */
#define CMD_JUNK 0x01u    /* counts toward smtpd_junk_command_limit */
#define CMD_PRE_TLS 0x02u /* allowed before STARTTLS at smtpd_tls_security_level = encrypt */
#define CMD_LAST 0x04u    /* must end a pipelined group (RFC 2920): input after it is improper */

struct smtpd_cmd {
	const char *name;
	int (*fn)(struct smtpd *s, const char *arg);
	unsigned flags;
};

/* smtpd_cmd.c: the command table, ended by a NULL name */
extern const struct smtpd_cmd smtpd_cmds[];

/* smtpd_helo_reset - forget HELO/EHLO and the transaction */
void smtpd_helo_reset(struct smtpd *s);
/* smtpd_set_log_client - "name[addr]" for logs and replies */
void smtpd_set_log_client(struct smtpd *s);
/* smtpd_client_changed - recompute what depends on the client (mynetworks, XCLIENT, bare LF mode) */
void smtpd_client_changed(struct smtpd *s);

/* smtpd_reply - queue a reply line; flushed when no pipelined input is pending */
void smtpd_reply(struct smtpd *s, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/*
 * smtpd_pipelining - log "improper command pipelining after CMD" once per
 * session when input arrived ahead of its turn: after a command that must
 * end a pipelined group (last), or after any command while the client has
 * not negotiated ESMTP
 */
void smtpd_pipelining(struct smtpd *s, const char *after, int last);
/* smtpd_flush - write queued replies now */
void smtpd_flush(struct smtpd *s);
/* smtpd_log_reject - the "QUEUEID: reject: STAGE from CLIENT: REPLY; from=<> to=<> proto= helo=<>" line */
void smtpd_log_reject(struct smtpd *s, const char *what, const char *stage, const char *reply,
                      const char *rcpt_ext);
/* smtpd_transaction_reset - forget sender, recipients, queue file */
void smtpd_transaction_reset(struct smtpd *s);

/* smtpd_xforward.c */
/* smtpd_xforward_cmd - XFORWARD attr=value... */
int smtpd_xforward_cmd(struct smtpd *s, const char *arg);
/* smtpd_xforward_ehlo - the EHLO keyword line */
const char *smtpd_xforward_ehlo(void);
/* smtpd_xforward_reset - forget the forwarded attributes (end of a transaction) */
void smtpd_xforward_reset(struct smtpd *s);
/* smtpd_xforward_log - ", orig_queue_id=ID, orig_client=NAME[ADDR]" for the client= line */
void smtpd_xforward_log(const struct smtpd *s, struct cfg_buf *out);
/* smtpd_xforward_context - the rewrite context: SOURCE= when forwarded, else the connection's */
const char *smtpd_xforward_context(const struct smtpd *s);
/* smtpd_xforward_attrs - the log_* attributes for cleanup, when anything was forwarded */
void smtpd_xforward_attrs(const struct smtpd *s, struct cfg_strvec *a);
/* smtpd_xtext_decode - RFC 3461 xtext, decoded in place (smtpd_cmd.c) */
void smtpd_xtext_decode(char *p);

/* smtpd_tls.c */
/* smtpd_tls_init - the TLS settings and context (fatal on a bad one, as Postfix) */
void smtpd_tls_init(struct smtpd_cfg *cfg, struct mta_server *srv);
/* smtpd_tls_wrapper - smtpd_tls_wrappermode: the handshake at connect; 0 or -1 (session over) */
int smtpd_tls_wrapper(struct smtpd *s);
/* smtpd_tls_offer - 1 when EHLO lists STARTTLS */
int smtpd_tls_offer(const struct smtpd *s);
/* smtpd_tls_enforced - 1 when a command other than EHLO/HELO/STARTTLS/NOOP/QUIT needs TLS first */
int smtpd_tls_enforced(const struct smtpd *s);
/* smtpd_starttls_cmd - STARTTLS */
int smtpd_starttls_cmd(struct smtpd *s, const char *arg);
/* smtpd_tls_received - Received header comment lines and the "with" protocol for cleanup */
void smtpd_tls_received(struct smtpd *s, struct cfg_buf *comment, struct cfg_buf *proto);
/* smtpd_tls_end - close the TLS session at the end of the connection */
void smtpd_tls_end(struct smtpd *s);

/* smtpd_sasl.c */
/* smtpd_sasl_init - the SASL settings (fatal on a bad one, as Postfix) */
void smtpd_sasl_init(struct smtpd_cfg *cfg, struct mta_server *srv);
/* smtpd_sasl_ehlo - the AUTH keywords EHLO offers now, added to kw */
void smtpd_sasl_ehlo(struct smtpd *s, struct cfg_strvec *kw);
/* smtpd_auth_cmd - AUTH mechanism [initial-response] */
int smtpd_auth_cmd(struct smtpd *s, const char *arg);
/* smtpd_sasl_reset - forget the login (end of session) */
void smtpd_sasl_reset(struct smtpd *s);

/* smtpd_check.c */
/* smtpd_check_init - compile lists, check the relay guard (fatal as Postfix) */
void smtpd_check_init(struct smtpd_cfg *cfg, struct mta_conf *conf);
/*
 * smtpd_check_rcpt - the restrictions that run at RCPT time (client, helo,
 * sender with smtpd_delay_reject, relay, recipient, unlisted recipient).
 * Returns NULL to accept, or the reject reply (static until the next call).
 */
const char *smtpd_check_rcpt(struct smtpd *s, const char *rcpt_int, const char *rcpt_ext);
/* smtpd_check_stage - client/helo/mail-time checks without delay_reject; NULL or reply */
const char *smtpd_check_stage(struct smtpd *s, enum smtpd_stage stage);
/* smtpd_check_data - smtpd_data_restrictions / smtpd_end_of_data_restrictions */
const char *smtpd_check_data(struct smtpd *s, enum smtpd_stage stage);
/* smtpd_check_etrn - smtpd_etrn_restrictions */
const char *smtpd_check_etrn(struct smtpd *s, const char *domain);
/* smtpd_check_vrfy - the recipient checks for VRFY */
const char *smtpd_check_vrfy(struct smtpd *s, const char *addr_int);
/* smtpd_check_mynetworks - 1 when the client is in mynetworks */
int smtpd_check_mynetworks(struct smtpd *s);

/* smtpd_milter.c: each hook returns 0 to go on, -1 after replying */
/* smtpd_milter_init - the filters of smtpd_milters, once per process */
void smtpd_milter_init(struct mta_server *srv);
/* smtpd_milter_connect - a new client: connect to the filters (a refusal waits for MAIL) */
void smtpd_milter_connect(struct smtpd *s);
/* smtpd_milter_helo - after HELO/EHLO (cmd names it): a refusal is logged, and given at MAIL */
int smtpd_milter_helo(struct smtpd *s, const char *cmd);
/* smtpd_milter_mail - MAIL FROM with its ESMTP parameters */
int smtpd_milter_mail(struct smtpd *s, const struct cfg_strvec *params);
/* smtpd_milter_rcpt - RCPT TO with its ESMTP parameters */
int smtpd_milter_rcpt(struct smtpd *s, const char *internal, const char *external,
                      const struct cfg_strvec *params);
/* smtpd_milter_data - DATA (stage "DATA") or the first BDAT ("BDAT") */
int smtpd_milter_data(struct smtpd *s, const char *stage);
/* smtpd_milter_put - keep message content for the filters; 1 when kept, 0 without filters */
int smtpd_milter_put(struct smtpd *s, const char *data, size_t len);
/*
 * smtpd_milter_eom - the message to the filters: NULL with *content set to
 * the edited message (NULL without filters), or the refusal to reply (logged)
 */
const char *smtpd_milter_eom(struct smtpd *s, struct cfg_buf **content);
/* smtpd_milter_reset - the transaction is over */
void smtpd_milter_reset(struct smtpd *s);
/* smtpd_milter_end - the session is over */
void smtpd_milter_end(struct smtpd *s);

/* smtpd_data.c */
/* smtpd_cleanup_init - the in-process cleanup engine, with the settings of that service */
void smtpd_cleanup_init(struct mta_server *srv, const char *service);
/* smtpd_open_queue - connect to cleanup and get a queue ID; 0 or -1 (reply given) */
int smtpd_open_queue(struct smtpd *s);
/* smtpd_data - run DATA after its 354 decision; returns 0 when mail was queued */
int smtpd_data(struct smtpd *s);
/* smtpd_bdat - one BDAT chunk; last != 0 ends the message */
int smtpd_bdat(struct smtpd *s, unsigned long size, int last);
/* smtpd_close_queue - abandon a queue file in progress */
void smtpd_close_queue(struct smtpd *s);

#endif
