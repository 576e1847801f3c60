/* tls_text.c - the TLS adapter's words for keys, signatures and digests (see tls_text.h) */
#include "config.h"

#include <stdio.h>
#include <string.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/x509.h>

#include "tls_text.h"

/* key_name - "RSA", "RSA-PSS", "ECDSA", "ED25519"...; curve or bits go to *extra */
static const char *key_name(int type, EVP_PKEY *pk, char *extra, size_t len)
{
	const char *n;
	char grp[80];
	size_t glen = 0;

	extra[0] = '\0';
	switch (type) {
	case EVP_PKEY_RSA:
		n = "RSA";
		break;
	case EVP_PKEY_RSA_PSS:
		n = "RSA-PSS";
		break;
	case EVP_PKEY_EC:
		n = "ECDSA";
		break;
	case EVP_PKEY_ED25519:
		return "ED25519";
	case EVP_PKEY_ED448:
		return "ED448";
	case EVP_PKEY_DSA:
		n = "DSA";
		break;
	default:
		n = OBJ_nid2sn(type);
		break;
	}
	if (pk && EVP_PKEY_get_group_name(pk, grp, sizeof(grp), &glen) == 1 && glen) {
		snprintf(extra, len, " (%s)", grp); /* "prime256v1", as Postfix names it */
	} else if (pk) {
		snprintf(extra, len, " (%d bits)", EVP_PKEY_get_bits(pk));
	}
	return n ? n : "unknown";
}

/* mta_tlsp_kex_text - " key-exchange X25519", " key-exchange ECDHE (prime256v1)", " key-exchange DHE (2048 bits)" */
void mta_tlsp_kex_text(EVP_PKEY *k, struct cfg_buf *out)
{
	char grp[80];
	size_t glen = 0;

	if (k == NULL)
		return;
	switch (EVP_PKEY_get_base_id(k)) {
	case EVP_PKEY_DH:
		cfg_buf_printf(out, " key-exchange DHE (%d bits)", EVP_PKEY_get_bits(k));
		break;
	case EVP_PKEY_EC:
		if (EVP_PKEY_get_group_name(k, grp, sizeof(grp), &glen) != 1 || glen == 0)
			snprintf(grp, sizeof(grp), "?");
		cfg_buf_printf(out, " key-exchange ECDHE (%s)", grp);
		break;
	case EVP_PKEY_X25519:
		cfg_buf_adds(out, " key-exchange X25519");
		break;
	case EVP_PKEY_X448:
		cfg_buf_adds(out, " key-exchange X448");
		break;
	default:
		cfg_buf_printf(out, " key-exchange %s", OBJ_nid2sn(EVP_PKEY_get_base_id(k)));
	}
}

/* mta_tlsp_sig_text - " server-signature RSA-PSS (2048 bits) server-digest SHA256" */
void mta_tlsp_sig_text(const char *who, int type_nid, int md_nid, X509 *cert, struct cfg_buf *out)
{
	EVP_PKEY *pk = cert ? X509_get0_pubkey(cert) : NULL;
	char extra[96];
	const char *n;

	if (pk == NULL)
		return;
	/* a resumed session signed nothing: the key's type (RSA keys sign with PSS in TLS 1.3) */
	if (type_nid == NID_undef)
		type_nid = EVP_PKEY_get_base_id(pk) == EVP_PKEY_RSA ? EVP_PKEY_RSA_PSS
		                                                    : EVP_PKEY_get_base_id(pk);
	n = key_name(type_nid, pk, extra, sizeof(extra));
	cfg_buf_printf(out, " %s-signature %s%s", who, n, extra);
	if (md_nid != NID_undef)
		cfg_buf_printf(out, " %s-digest %s", who, OBJ_nid2sn(md_nid));
}

/* mta_tlsp_fingerprint - "AB:CD:..." of data */
void mta_tlsp_fingerprint(const EVP_MD *md, const unsigned char *data, size_t len, char *out,
                          size_t outlen)
{
	unsigned char d[EVP_MAX_MD_SIZE];
	unsigned int n = 0;
	size_t o = 0;

	out[0] = '\0';
	if (EVP_Digest(data, len, d, &n, md, NULL) != 1)
		return;
	for (unsigned int i = 0; i < n && o + 4 < outlen; i++)
		o += (size_t)snprintf(out + o, outlen - o, "%s%02X", i ? ":" : "", d[i]);
}

/* mta_tlsp_unhex - "AB:cd:01" into bytes; the count, or -1 when it is not hex */
int mta_tlsp_unhex(const char *text, unsigned char *out, size_t max)
{
	size_t n = 0;

	for (const char *p = text; *p; p++) {
		int v;

		if (*p == ':')
			continue;
		if ((v = OPENSSL_hexchar2int((unsigned char)p[0])) < 0 || p[1] == '\0'
		    || OPENSSL_hexchar2int((unsigned char)p[1]) < 0 || n == max)
			return -1;
		out[n++] = (unsigned char)(v * 16 + OPENSSL_hexchar2int((unsigned char)p[1]));
		p++;
	}
	return (int)n;
}
