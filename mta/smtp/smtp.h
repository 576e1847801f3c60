/*
 * smtp.h - the SMTP and LMTP client delivery agent: state shared by its files
 *
 * One program serves both master.cf commands: `smtp` reads the smtp_*
 * parameters, `lmtp` the lmtp_* ones (its few differently named ones:
 * lmtp_lhlo_name, lmtp_lhlo_timeout, lmtp_discard_lhlo_keywords).
 *
 *   smtp.c        entry points, settings, the delivery driver: destinations
 *                 in order, then the fallback relays; per-recipient outcome
 *   smtp_addr.c   next hops ("[host]:port", "domain", "unix:/path") into
 *                 the addresses to try: MX lookups, A/AAAA, native lookups
 *   smtp_conn.c   sessions: connect, greeting, EHLO/HELO/LHLO, replies, QUIT
 *   smtp_proto.c  one mail transaction: MAIL, RCPT, DATA (pipelined when the
 *                 server offers PIPELINING), the content, the replies
 *   smtp_mime.c   the content on the wire: CRLF, dot-stuffing, long lines,
 *                 and the 8BITMIME to 7bit (quoted-printable) downgrade
 *   smtp_hbc.c    smtp_header_checks & co.: the content the tables edited
 *
 * A recipient's outcome is final when a server gave a 2xx or 5xx for it (or
 * a permanent condition holds for the whole message); a soft error leaves it
 * for the next address, and what is still open after the last one is
 * deferred with the last error, as Postfix does.
 */
#ifndef SMTP_H
#define SMTP_H

#include <stddef.h>
#include <sys/socket.h>

#include "cfg/base/buf.h"
#include "cfg/base/strvec.h"
#include "deliver.h"
#include "mime.h"
#include "server.h"
#include "stream.h"
#include "tls.h"

#define SMTP_F_PIPELINING 0x01u
#define SMTP_F_SIZE 0x02u
#define SMTP_F_8BITMIME 0x04u
#define SMTP_F_ESMTP 0x08u
#define SMTP_F_STARTTLS 0x10u
#define SMTP_F_AUTH 0x20u
#define SMTP_F_DSN 0x40u
#define SMTP_F_SMTPUTF8 0x80u

/* smtp_tls_security_level */
#define SMTP_TLS_NONE 0
#define SMTP_TLS_MAY 1
#define SMTP_TLS_ENCRYPT 2
#define SMTP_TLS_VERIFY 3
#define SMTP_TLS_FINGERPRINT 4
#define SMTP_TLS_SECURE 5
#define SMTP_TLS_DANE 6
#define SMTP_TLS_DANE_ONLY 7

struct smtp_tls_policy; /* smtp_tls.c */

struct smtp_cfg {
	const char *name; /* "smtp" or "lmtp" */
	int lmtp;
	const char *helo_name;
	const char *myhostname;
	const char *bind_address;
	const char *bind_address6;
	const char *tcp_port;
	const char *fallback_relay;
	const char *relayhost; /* smtp: a next hop equal to it fails soft (4.3.5) */
	const char *dns_support_level;
	long connect_timeout, helo_timeout, mail_timeout, rcpt_timeout;
	long data_init_timeout, data_xfer_timeout, data_done_timeout, quit_timeout, rset_timeout;
	long reuse_time_limit, reuse_count_limit;
	long cache_time_limit; /* how long a kept session may wait for the next request */
	long mx_address_limit, mx_session_limit;
	long line_length_limit;
	int cache_on_demand;
	int disable_dns;
	int no_mime_conv; /* disable_mime_output_conversion: 8-bit mail goes out as it is */
	int smtputf8;     /* smtputf8_enable */
	int dns;          /* DNS lookups on (smtp_dns_support_level, disable_dns_lookups) */
	int dnssec;       /* smtp_dns_support_level = dnssec */
	int lookup_dns, lookup_native;
	int randomize;
	int never_ehlo;
	int skip_5xx_greeting;
	int skip_quit_response;
	int defer_no_mx_addr;
	int inet4, inet6; /* inet_protocols */
	struct cfg_strvec discard_ehlo;
	struct cfg_strvec host_lookup;
	struct cfg_strvec protocols;
	/* TLS and SASL (smtp_tls.c) */
	const char *tls_level_text, *tls_loglevel_text;
	int tls_level;
	long tls_loglevel, starttls_timeout;
	struct cfg_strvec tls_policy_maps, verify_match, secure_match, fpt_match;
	struct mta_tls_ctx *tls_may, *tls_mand; /* opportunistic and mandatory contexts */
	struct mta_tls_cache *tls_cache;        /* smtp_tls_session_cache_database, or NULL */
	int insecure_mx_policy; /* smtp_tls_dane_insecure_mx_policy: SMTP_TLS_MAY, _ENCRYPT, _DANE */
	int force_tlsa;         /* smtp_tls_force_insecure_host_tlsa_lookup */
	int sasl_enable, sender_auth;
	int send_xforward; /* smtp_send_xforward_command */
	long xforward_timeout;
	struct cfg_strvec sasl_passwd_maps, sasl_filter;
	unsigned sasl_deny, sasl_require, sasl_tls_deny, sasl_tls_require;
	/* content checks (smtp_hbc.c): smtp_header_checks & co. */
	struct cfg_strvec header_checks, mime_header_checks, nested_header_checks, body_checks;
	long header_size_limit, line_limit; /* header_size_limit, line_length_limit */
	struct mime_limits mime;
};

/* one address to try */
struct smtp_addr {
	char host[1025]; /* name for messages: "mx1.example.org", "127.0.0.2" */
	char addr[108];  /* numeric address, or the UNIX socket path */
	int family;      /* AF_INET, AF_INET6, AF_UNIX */
	unsigned port;   /* network order not used: plain number */
	struct sockaddr_storage sa;
	socklen_t salen;
	int secure;      /* the address came from a DNSSEC-validated answer (dane) */
	int insecure_mx; /* ... of an MX host named by a non-validated MX answer */
};

struct smtp_addr_list {
	struct smtp_addr *a;
	size_t n;
};

struct smtp_session {
	int fd;
	struct mta_stream st;
	struct smtp_addr where;
	char *dest;           /* the next hop it was opened for (connection reuse) */
	char relay[1300];     /* "host[addr]:port" as the status lines show it */
	char label[1200];     /* "host[addr]" as replies are quoted */
	char relay_log[1340]; /* relay, plus ", conn_use=N" once reused */
	unsigned features;
	unsigned xforward; /* the XFORWARD attributes announced (smtp_xforward.c) */
	long size_limit;
	int uses; /* mail transactions so far */
	double opened;
	int broken;                     /* the connection cannot be used again */
	struct cfg_buf reply;           /* the last reply, its lines joined by spaces */
	struct cfg_strvec lines;        /* the text of each of its lines, after the code */
	struct cfg_strvec auth;         /* the AUTH mechanisms the server offers */
	struct mta_tls *tls;            /* after STARTTLS, else NULL */
	struct mta_tls_ctx *own_ctx;    /* a context made for this session's TLS policy */
	struct smtp_tls_policy *policy; /* what TLS this session must have (smtp_tls_policy) */
};

/* the outcome of one recipient so far */
struct smtp_rcpt {
	int final; /* 2 sent, 5 bounced: nothing more to try */
	int tried; /* an error was recorded */
	int hard;  /* the last error was permanent */
	char dsn[16];
	char relay[1300];
	struct cfg_buf why;
};

/* one delivery request under way */
struct smtp_state {
	struct smtp_cfg *cfg;
	struct dlv_req *req;
	struct smtp_rcpt *rs;
	struct cfg_buf content; /* the message as queued (LF line ends) */
	const char *encoding;   /* cleanup's "encoding": "8bit", "7bit" or NULL (not known) */
	int eightbit;           /* encoding is 8bit: BODY=8BITMIME, or MIME conversion */
	int utf8_requested;     /* SMTPUTF8 asked for (smtpd) or detected (sendmail mail) */
	int utf8_needed;        /* the envelope or the headers are not ASCII */
	long size;
	int sessions; /* sessions that completed the handshake */
	int final;    /* this is the last address to try */
	int no_relay; /* the last smtp_connect failed before connecting (TLS policy): relay=none */
};

/* smtp.c */
/* smtp_rcpt_error - record an error for recipient k; hard: 5xx (final), else soft */
void smtp_rcpt_error(struct smtp_state *s, size_t k, const char *relay, int hard, const char *dsn,
                     const char *fmt, ...) __attribute__((format(printf, 6, 7)));
/* smtp_rcpt_sent - recipient k was accepted: log and report it now */
void smtp_rcpt_sent(struct smtp_state *s, size_t k, const char *relay, const char *dsn,
                    const char *text);
/* smtp_rcpt_bounce - recipient k failed for good: log and report it now */
void smtp_rcpt_bounce(struct smtp_state *s, size_t k, const char *relay, const char *dsn,
                      const char *text);
/* smtp_pending - recipients still open */
size_t smtp_pending(const struct smtp_state *s);

/* smtp_addr.c */
void smtp_addr_list_init(struct smtp_addr_list *l);
void smtp_addr_list_fini(struct smtp_addr_list *l);
/*
 * smtp_resolve - the addresses of one next hop, in the order to try.
 * Returns 0, or -1 with *hard (a permanent failure), a DSN and why.
 * *loop is set when the MX list names this host (no fallback relays then).
 */
int smtp_resolve(struct smtp_cfg *cfg, const char *dest, struct smtp_addr_list *out, int *hard,
                 char *dsn, size_t dsnlen, struct cfg_buf *why, int *loop);
/* smtp_split_dests - the destinations of a next-hop list ("a, [b]:26") */
void smtp_split_dests(const char *list, struct cfg_strvec *out);

/* smtp_conn.c */
/*
 * smtp_connect - open a session to one address: connect, greeting,
 * EHLO/HELO or LHLO.  Returns the session, or NULL with *hard, a DSN and
 * why (the caller records the error; connect failures are logged here).
 */
struct smtp_session *smtp_connect(struct smtp_state *s, const struct smtp_addr *a, const char *dest,
                                  int *hard, char *dsn, size_t dsnlen, struct cfg_buf *why);
/* smtp_reply - read one reply into sess->reply ("250 text", lines joined); its code, -1 lost */
int smtp_reply(struct smtp_session *sess, long timeout);
/* smtp_lost - the text for a dead connection: "lost connection with H while W" or timed out */
void smtp_lost(struct smtp_session *sess, const char *while_, struct cfg_buf *why);
/* smtp_reply_dsn - the DSN of the last reply ("5.1.1"), class fixed to the reply code */
void smtp_reply_dsn(const struct smtp_session *sess, char *dsn, size_t len);
/* smtp_quit - say QUIT (when the session is usable) and free it; NULL is a no-op */
void smtp_quit(struct smtp_cfg *cfg, struct smtp_session *sess);
/* smtp_rset - RSET before reusing a session; 0 or -1 (then it is broken) */
int smtp_rset(struct smtp_cfg *cfg, struct smtp_session *sess);

/* smtp_ehlo - EHLO (LHLO, HELO) again after STARTTLS: 0, or -1 with the reason in why */
int smtp_ehlo(struct smtp_state *s, struct smtp_session *sess, char *dsn, size_t dsnlen,
              struct cfg_buf *why);
/* smtp_say - send one command line now; 0 or -1 */
int smtp_say(struct smtp_session *sess, long timeout, const char *verb, const char *arg);

/* smtp_xforward.c */
/* smtp_xforward_feature - the announced attribute bits of an EHLO "XFORWARD a b..." line */
unsigned smtp_xforward_feature(const struct cfg_strvec *words);
/* smtp_xforward - XFORWARD the original client before MAIL; NULL, or "sending ..." when lost */
const char *smtp_xforward(struct smtp_state *s, struct smtp_session *sess);

/* smtp_tls.c */
/*
 * smtp_tls_policy - the TLS policy of a session to address a, before
 * connecting: the level, the policy table's entry for the next hop, and
 * for dane the TLSA records.  NULL with a DSN and why: the mail is deferred.
 */
struct smtp_tls_policy *smtp_tls_policy(struct smtp_state *s, const struct smtp_addr *a, char *dsn,
                                        size_t dsnlen, struct cfg_buf *why);
/* smtp_tls_policy_free - release; NULL is a no-op */
void smtp_tls_policy_free(struct smtp_tls_policy *p);
/* smtp_tls_init - the TLS and SASL settings and contexts (before privileges drop) */
void smtp_tls_init(struct smtp_cfg *cfg, struct mta_server *srv);
/*
 * smtp_secure - after EHLO: STARTTLS as the TLS policy wants, then AUTH
 * when a password is configured.  0, or -1 with *hard, a DSN and why.
 */
int smtp_secure(struct smtp_state *s, struct smtp_session *sess, int *hard, char *dsn,
                size_t dsnlen, struct cfg_buf *why);

/* smtp_proto.c */
/*
 * smtp_transaction - deliver the message to the open recipients over sess.
 * Returns 0 when the session can carry another transaction, -1 when not.
 */
int smtp_transaction(struct smtp_state *s, struct smtp_session *sess);

/* smtp_hbc.c */
/* smtp_hbc_active - 1 when a header or body checks table is set */
int smtp_hbc_active(const struct smtp_cfg *cfg);
/*
 * smtp_hbc_apply - the content (LF line ends) after the header and body
 * checks, appended to out, the matches logged.  With downgrade the tables
 * see the 7bit form, as in Postfix: quoted-printable body lines, and not
 * the Content-Transfer-Encoding headers the conversion replaced or added.
 * 0, or -1 when a table lookup failed (the message cannot go out as it
 * should).
 */
int smtp_hbc_apply(struct smtp_state *s, int downgrade, struct cfg_buf *out);

/* smtp_mime.c */
/* where, in a downgraded content, the headers the conversion added start (byte offsets) */
struct smtp_added {
	size_t *off;
	size_t n;
};
/*
 * smtp_mime_downgrade - the content with 8bit/binary MIME parts converted
 * (LF line ends), appended to out; the offsets of the added
 * Content-Transfer-Encoding headers go to added unless it is NULL.
 */
void smtp_mime_downgrade(const char *content, size_t len, struct cfg_buf *out,
                         struct smtp_added *added);
/*
 * smtp_mime_wire - the content as sent after DATA: CRLF line ends,
 * dot-stuffed, lines longer than limit (0: none) broken with CRLF SPACE,
 * 8bit/binary MIME parts converted to quoted-printable when downgrade.
 */
void smtp_mime_wire(const char *content, size_t len, long limit, int downgrade,
                    struct cfg_buf *out);

#endif
