/*
 * tls.h - the TLS adapter: the one file (tls.c) that talks to OpenSSL
 *
 * smtpd and smtp configure a context once per process from their
 * *_tls_* settings (struct mta_tls_conf, filled by tls_conf.c), then run
 * one session per connection over a socket the stream layer owns
 * (stream.c reads and writes through mta_tls_read/mta_tls_write once
 * s->tls is set).  Sockets are non-blocking: the I/O calls return -1 with
 * errno EAGAIN and say which poll() event they wait for, and the handshake
 * waits itself within its timeout.  After the handshake the session's
 * facts (protocol, cipher, key exchange, the peer's certificate, its
 * fingerprints, whether it is trusted) are in struct mta_tls_info, from
 * which the caller builds Postfix's log lines and Received header text.
 *
 * Nothing here logs; failures come back as text in a cfg_buf ("cannot
 * load certificate ...", the OpenSSL error queue).
 */
#ifndef MTA_TLS_H
#define MTA_TLS_H

#include <stddef.h>
#include <sys/types.h>

#include "cfg/base/buf.h"
#include "cfg/base/strvec.h"

struct mta_tls_ctx;
struct mta_tls;
struct mta_tls_cache; /* tls_cache.h */

/* how a context is set up: every string borrowed for the call */
struct mta_tls_conf {
	int server;                       /* 1 smtpd, 0 smtp */
	const char *cert_file, *key_file; /* RSA (or any) certificate and key */
	const char *eccert_file, *eckey_file;
	const char *dcert_file, *dkey_file;
	const struct cfg_strvec *chain_files; /* files holding a key and its chain */
	const char *dh_file;                  /* PEM DH parameters, "" for the built-in groups */
	const char *CAfile, *CApath;
	const char *protocols; /* Postfix syntax: ">=TLSv1", "!SSLv2, !SSLv3", "TLSv1.2 TLSv1.3" */
	const char *ciphers;   /* an OpenSSL cipher list (the grade already resolved) */
	const char *exclude;   /* ciphers to remove, separated by spaces, commas or colons */
	const char *curves;    /* tls_eecdh_auto_curves */
	int ask_ccert;         /* server: ask the client for a certificate */
	int verify_depth;
	int preempt;             /* server cipher preference */
	long ticket_lifetime;    /* server: session ticket lifetime, 0 none */
	const char *ticket_key;  /* server: 80 bytes of ticket key material, or NULL */
	const char *fingerprint; /* digest for fingerprints ("sha256") */
	/* server: sessions by id across processes (clients without tickets), NULL none; borrowed */
	struct mta_tls_cache *cache;
};

/* what one session turned out to be */
struct mta_tls_info {
	char protocol[32];    /* "TLSv1.3" */
	char cipher[80];      /* "TLS_AES_256_GCM_SHA384" */
	int bits, algbits;    /* 256/256 */
	char details[300];    /* " key-exchange X25519 server-signature RSA-PSS (2048 bits) ..." */
	char client_sig[160]; /* " client-signature RSA-PSS (2048 bits) client-digest SHA256" */
	int peer_cert;        /* the peer showed a certificate */
	int peer_trusted;     /* its chain verified against the CAs */
	int peer_matched;     /* client: the name matched too (verify level) */
	char peer_cn[256];    /* the certificate's subject CN */
	char issuer_cn[256];
	char cert_fpt[200]; /* "AB:CD:..." of the certificate */
	char pkey_fpt[200]; /* of its public key */
	char verify_error
	    [256]; /* why the chain (or the name) did not verify: "untrusted issuer /CN=X" */
	int name_mismatch; /* the certificate does not name the server */
	int reused;        /* the session was resumed */
};

/* mta_tls_ctx_new - a context; NULL with the reason in why */
struct mta_tls_ctx *mta_tls_ctx_new(const struct mta_tls_conf *c, struct cfg_buf *why);
/* mta_tls_ctx_free - release; NULL is a no-op */
void mta_tls_ctx_free(struct mta_tls_ctx *ctx);

/*
 * mta_tls_start - handshake over fd within timeout seconds (0: none).
 * Client sessions name the server (SNI, "" none) and the names or address
 * the certificate must match for peer_matched (NULL: no check).  Returns
 * the session, or NULL with the reason in why.
 */
struct mta_tls *mta_tls_start(struct mta_tls_ctx *ctx, int fd, int timeout, const char *sni,
                              const struct cfg_strvec *match, struct cfg_buf *why);

/*
 * struct mta_tls_want - what a client checks of the server's certificate.
 * match: names it must have (verify, secure), NULL none; with dns_names an
 * address literal ("127.0.0.1") is only compared with DNS names, as the
 * secure level does.  tlsa: DANE records "USAGE SELECTOR MTYPE HEX" checked
 * with the library's DANE code; base is the TLSA base domain (the SNI name
 * and the name DANE-TA certificates must have), NULL for the fingerprint
 * level, whose digests are records "3 1 255 HEX" and "3 0 255 HEX" (matching
 * type 255 is the fingerprint digest; no SNI, no name).  A record the
 * library refuses (a digest of the wrong size) goes to unusable as Postfix
 * names it ("3 1 255 AABB"); with none usable the certificate fails with
 * "num=1:unspecified certificate verification error".
 */
struct mta_tls_want {
	const struct cfg_strvec *match;
	int dns_names;
	const struct cfg_strvec *tlsa;
	const char *base;
	struct cfg_strvec *unusable; /* out, initialised by the caller; may be NULL */
	int fallback; /* dane: with no usable record the session is only encrypted (no failure) */
	/* a session saved under cache_id is offered, a new one saved there; NULL none */
	struct mta_tls_cache *cache;
	const char *cache_id;
};
/* mta_tls_connect - mta_tls_start for a client with the checks of want */
struct mta_tls *mta_tls_connect(struct mta_tls_ctx *ctx, int fd, int timeout, const char *sni,
                                const struct mta_tls_want *want, struct cfg_buf *why);
/* mta_tls_info - the facts of an established session (borrowed until mta_tls_free) */
const struct mta_tls_info *mta_tls_info(const struct mta_tls *t);
/* mta_tls_free - close (sending close_notify when fd is still good) and release; NULL no-op */
void mta_tls_free(struct mta_tls *t, int shutdown);

/*
 * mta_tls_read / mta_tls_write - like read(2)/write(2); -1 with errno
 * EAGAIN and *events (POLLIN/POLLOUT) when the socket must become ready
 * first.  read returns 0 at the peer's close.
 */
ssize_t mta_tls_read(struct mta_tls *t, void *buf, size_t len, short *events);
ssize_t mta_tls_write(struct mta_tls *t, const void *buf, size_t len, short *events);
/* mta_tls_pending - decrypted bytes ready to read */
size_t mta_tls_pending(const struct mta_tls *t);
/* mta_tls_attach - every byte of stream s goes through t from now on (NULL: plain again) */
struct mta_stream;
void mta_tls_attach(struct mta_stream *s, struct mta_tls *t);

/* mta_tls_random - n bytes from the library's generator; 0 or -1 */
int mta_tls_random(void *buf, size_t n);
/* mta_tls_version - "OpenSSL 3.0.19 27 Jan 2026" (run-time) or the compile-time text */
const char *mta_tls_version(int compiled);
/* mta_tls_digest_hex - the SHA-256 of text in upper-case hex (65 bytes) into out */
void mta_tls_digest_hex(const char *text, char out[65]);
/* mta_tls_summary - "TLSv1.3 with cipher X (256/256 bits) key-exchange ..." into out */
void mta_tls_summary(const struct mta_tls_info *i, struct cfg_buf *out);

#endif
