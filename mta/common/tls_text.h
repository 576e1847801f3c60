/*
 * tls_text.h - the TLS adapter's words for keys, signatures and digests
 *
 * Private to the adapter (tls.c): how Postfix names a key exchange
 * (" key-exchange X25519"), a signature (" server-signature RSA-PSS (2048
 * bits) server-digest SHA256") and a fingerprint ("AB:CD:..."), and the
 * reverse of the last (TLSA data and fingerprints from main.cf).  Only
 * tls.c includes this header; it reaches OpenSSL's key and certificate
 * types, never a session.
 */
#ifndef MTA_TLS_TEXT_H
#define MTA_TLS_TEXT_H

#include <stddef.h>

#include <openssl/evp.h>
#include <openssl/x509.h>

#include "cfg/base/buf.h"

/* mta_tlsp_kex_text - " key-exchange X25519" and co. for a session's ephemeral key, appended */
void mta_tlsp_kex_text(EVP_PKEY *k, struct cfg_buf *out);
/* mta_tlsp_sig_text - " WHO-signature TYPE (BITS bits) WHO-digest MD", appended */
void mta_tlsp_sig_text(const char *who, int type_nid, int md_nid, X509 *cert, struct cfg_buf *out);
/* mta_tlsp_fingerprint - "AB:CD:..." of data with md into out ("" on error) */
void mta_tlsp_fingerprint(const EVP_MD *md, const unsigned char *data, size_t len, char *out,
                          size_t outlen);
/* mta_tlsp_unhex - "AB:cd:01" (colons optional) into bytes; the count, or -1 when not hex */
int mta_tlsp_unhex(const char *text, unsigned char *out, size_t max);

#endif
