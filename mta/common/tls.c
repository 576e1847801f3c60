/* tls.c - the TLS adapter over OpenSSL (see tls.h); the only file that includes <openssl/...> */
#include "config.h"

#include <arpa/inet.h>
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <openssl/bio.h>
#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/opensslv.h>
#include <openssl/pem.h>
#include <openssl/rand.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include "cfg/base/xalloc.h"
#include "stream.h"
#include "tls.h"
#include "tls_cache.h"
#include "tls_text.h"

struct mta_tls_ctx {
	SSL_CTX *ctx;
	int server;
	const EVP_MD *md;            /* fingerprint digest */
	struct mta_tls_cache *cache; /* server: the shared session cache, or NULL */
};

struct mta_tls {
	SSL *ssl;
	int fd;
	struct mta_tls_ctx *ctx;
	int verify_err; /* the first verification error, 0 none */
	int dane;       /* fingerprints were given: DANE-EE matching decides */
	char verify_text[256];
	struct mta_tls_info info;
	struct mta_tls_cache *cache; /* client: where the session goes, or NULL */
	char *cache_id;
	int saved; /* one session per connection goes to the cache */
};

/*
 * lib_errors - the OpenSSL error queue into why (emptied), one error per
 * line as Postfix logs them: "error:0A00010B:SSL routines::wrong version
 * number:../ssl/record/ssl3_record.c:350:"
 */
static void lib_errors(struct cfg_buf *why)
{
	unsigned long e;
	const char *file, *data;
	int line, flags;
	char text[256];

	while ((e = ERR_get_error_all(&file, &line, NULL, &data, &flags)) != 0) {
		ERR_error_string_n(e, text, sizeof(text));
		cfg_buf_printf(why, "%s%s:%s:%d:%s", why->len ? "\n" : "", text, file ? file : "",
		               line, (flags & ERR_TXT_STRING) && data ? data : "");
	}
}

/* ---- protocols ---- */

static const struct {
	const char *name;
	int version;
	long no_op;
} protos[] = {
    {"SSLv3", SSL3_VERSION, SSL_OP_NO_SSLv3},       {"TLSv1", TLS1_VERSION, SSL_OP_NO_TLSv1},
    {"TLSv1.1", TLS1_1_VERSION, SSL_OP_NO_TLSv1_1}, {"TLSv1.2", TLS1_2_VERSION, SSL_OP_NO_TLSv1_2},
    {"TLSv1.3", TLS1_3_VERSION, SSL_OP_NO_TLSv1_3},
};
#define NPROTOS (sizeof(protos) / sizeof(protos[0]))

/* proto_index - position of a protocol name, -1 unknown (SSLv2 is known and never allowed) */
static int proto_index(const char *name)
{
	for (size_t i = 0; i < NPROTOS; i++)
		if (strcasecmp(protos[i].name, name) == 0)
			return (int)i;
	return strcasecmp(name, "SSLv2") == 0 ? (int)NPROTOS : -1;
}

/*
 * set_protocols - Postfix's protocol list: ">=V", "<=V", "!V" and plain
 * names (the only ones allowed), separated by spaces, commas or colons.
 */
static int set_protocols(SSL_CTX *ctx, const char *spec, struct cfg_buf *why)
{
	int allow[NPROTOS + 1] = {0}, listed = 0, lo = 0, hi = (int)NPROTOS - 1;
	struct cfg_strvec w;
	int rc = 0, min = -1, max = -1;
	long ops = 0;

	cfg_strvec_init(&w);
	cfg_strvec_split(&w, spec ? spec : "", " \t,:");
	for (size_t i = 0; i < w.n; i++)
		if (w.v[i][0] != '!' && w.v[i][0] != '>' && w.v[i][0] != '<')
			listed = 1;
	for (size_t i = 0; i <= NPROTOS; i++)
		allow[i] = !listed && i < NPROTOS;
	for (size_t i = 0; i < w.n && rc == 0; i++) {
		const char *t = w.v[i];
		int k;

		if (strncmp(t, ">=", 2) == 0 || strncmp(t, "<=", 2) == 0) {
			if ((k = proto_index(t + 2)) < 0 || k == (int)NPROTOS)
				rc = -1;
			else if (t[0] == '>')
				lo = k;
			else
				hi = k;
		} else if ((k = proto_index(t[0] == '!' ? t + 1 : t)) < 0) {
			rc = -1;
		} else {
			allow[k] = t[0] != '!';
		}
		if (rc < 0)
			cfg_buf_printf(why, "invalid TLS protocol list \"%s\"", spec);
	}
	cfg_strvec_fini(&w);
	if (rc < 0)
		return -1;
	for (int i = 0; i < (int)NPROTOS; i++) {
		if (allow[i] && i >= lo && i <= hi) {
			if (min < 0)
				min = i;
			max = i;
		}
	}
	if (min < 0) {
		cfg_buf_printf(why, "TLS protocol list \"%s\" allows no protocol", spec);
		return -1;
	}
	for (int i = min; i <= max; i++)
		if (!(allow[i] && i >= lo && i <= hi))
			ops |= protos[i].no_op;
	SSL_CTX_set_min_proto_version(ctx, protos[min].version);
	SSL_CTX_set_max_proto_version(ctx, protos[max].version);
	SSL_CTX_set_options(ctx, (unsigned long)ops);
	return 0;
}

/* set_ciphers - the grade's list minus the exclusions */
static int set_ciphers(SSL_CTX *ctx, const char *list, const char *exclude, struct cfg_buf *why)
{
	struct cfg_buf b;
	struct cfg_strvec w;
	int rc = 0;

	cfg_buf_init(&b);
	cfg_strvec_init(&w);
	cfg_buf_adds(&b, list && *list ? list : "DEFAULT");
	cfg_strvec_split(&w, exclude ? exclude : "", " \t,:");
	for (size_t i = 0; i < w.n; i++)
		cfg_buf_printf(&b, ":!%s", w.v[i]);
	if (SSL_CTX_set_cipher_list(ctx, b.data) != 1) {
		cfg_buf_printf(why, "invalid cipher list \"%s\"", b.data);
		rc = -1;
	}
	cfg_strvec_fini(&w);
	cfg_buf_fini(&b);
	return rc;
}

/* ---- keys and certificates ---- */

/* load_pair - a certificate (with its chain) and its key */
static int load_pair(SSL_CTX *ctx, const char *cert, const char *key, struct cfg_buf *why)
{
	if (cert == NULL || *cert == '\0')
		return 0;
	if (key == NULL || *key == '\0')
		key = cert;
	if (SSL_CTX_use_certificate_chain_file(ctx, cert) != 1) {
		cfg_buf_printf(why, "cannot load certificate chain file %s", cert);
		lib_errors(why);
		return -1;
	}
	if (SSL_CTX_use_PrivateKey_file(ctx, key, SSL_FILETYPE_PEM) != 1) {
		cfg_buf_printf(why, "cannot load private key file %s", key);
		lib_errors(why);
		return -1;
	}
	if (SSL_CTX_check_private_key(ctx) != 1) {
		cfg_buf_printf(why, "private key in %s does not match the certificate in %s", key,
		               cert);
		return -1;
	}
	return 0;
}

/* use_group - one key with its leaf certificate and chain from a chain file */
static int use_group(SSL_CTX *ctx, EVP_PKEY *pkey, X509 *leaf, STACK_OF(X509) * chain,
                     const char *file, struct cfg_buf *why)
{
	if (pkey == NULL || leaf == NULL) {
		cfg_buf_printf(why, "%s: a key must come before its certificate chain", file);
		return -1;
	}
	if (SSL_CTX_use_cert_and_key(ctx, leaf, pkey, chain, 1) != 1) {
		cfg_buf_printf(why, "cannot use the key and certificates of %s", file);
		lib_errors(why);
		return -1;
	}
	return 0;
}

/* load_chain_file - smtpd_tls_chain_files: each key followed by its certificate and chain */
static int load_chain_file(SSL_CTX *ctx, const char *file, struct cfg_buf *why)
{
	BIO *bio = BIO_new_file(file, "r");
	EVP_PKEY *pkey = NULL;
	X509 *leaf = NULL;
	STACK_OF(X509) *chain = sk_X509_new_null();
	char *name = NULL, *hdr = NULL;
	unsigned char *data = NULL;
	long len;
	int rc = 0, any = 0;

	if (bio == NULL) {
		cfg_buf_printf(why, "cannot open chain file %s: %s", file, strerror(errno));
		sk_X509_free(chain);
		return -1;
	}
	while (rc == 0 && PEM_read_bio(bio, &name, &hdr, &data, &len) == 1) {
		const unsigned char *p = data;

		if (strstr(name, "PRIVATE KEY")) {
			if (pkey && (rc = use_group(ctx, pkey, leaf, chain, file, why)) < 0)
				break;
			EVP_PKEY_free(pkey);
			X509_free(leaf);
			leaf = NULL;
			sk_X509_pop_free(chain, X509_free);
			chain = sk_X509_new_null();
			pkey = d2i_AutoPrivateKey(NULL, &p, len);
			any = 1;
		} else if (strcmp(name, "CERTIFICATE") == 0
		           || strcmp(name, "TRUSTED CERTIFICATE") == 0) {
			X509 *x = d2i_X509(NULL, &p, len);

			if (x && leaf == NULL)
				leaf = x;
			else if (x)
				sk_X509_push(chain, x);
		}
		OPENSSL_free(name);
		OPENSSL_free(hdr);
		OPENSSL_free(data);
		name = hdr = NULL;
		data = NULL;
	}
	ERR_clear_error(); /* the end of the file reads as an error */
	if (rc == 0 && any)
		rc = use_group(ctx, pkey, leaf, chain, file, why);
	else if (rc == 0) {
		cfg_buf_printf(why, "no private key in chain file %s", file);
		rc = -1;
	}
	EVP_PKEY_free(pkey);
	X509_free(leaf);
	sk_X509_pop_free(chain, X509_free);
	BIO_free(bio);
	return rc;
}

/* load_dh - smtpd_tls_dh1024_param_file, or the library's built-in groups */
static int load_dh(SSL_CTX *ctx, const char *file, struct cfg_buf *why)
{
	BIO *bio;
	EVP_PKEY *dh;

	if (file == NULL || *file == '\0') {
		SSL_CTX_set_dh_auto(ctx, 1);
		return 0;
	}
	if ((bio = BIO_new_file(file, "r")) == NULL
	    || (dh = PEM_read_bio_Parameters(bio, NULL)) == NULL) {
		cfg_buf_printf(why, "cannot load DH parameters from %s", file);
		lib_errors(why);
		BIO_free(bio);
		return -1;
	}
	BIO_free(bio);
	if (SSL_CTX_set0_tmp_dh_pkey(ctx, dh) != 1) {
		EVP_PKEY_free(dh);
		cfg_buf_printf(why, "cannot use DH parameters from %s", file);
		return -1;
	}
	return 0;
}

/* accept_any - verification is judged after the handshake: remember the first error */
static int accept_any(int ok, X509_STORE_CTX *sctx)
{
	SSL *ssl = X509_STORE_CTX_get_ex_data(sctx, SSL_get_ex_data_X509_STORE_CTX_idx());
	struct mta_tls *t = ssl ? SSL_get_app_data(ssl) : NULL;
	int err = X509_STORE_CTX_get_error(sctx);

	if (!ok && t && t->verify_err == 0) {
		X509 *x = X509_STORE_CTX_get_current_cert(sctx);
		char name[200] = "";

		t->verify_err = err;
		if (x)
			X509_NAME_oneline(X509_get_issuer_name(x), name, sizeof(name));
		switch (err) {
		case X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT:
		case X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT_LOCALLY:
		case X509_V_ERR_UNABLE_TO_VERIFY_LEAF_SIGNATURE:
		case X509_V_ERR_SELF_SIGNED_CERT_IN_CHAIN: /* a root we do not trust */
			snprintf(t->verify_text, sizeof(t->verify_text), "untrusted issuer %s",
			         name);
			break;
		case X509_V_ERR_DEPTH_ZERO_SELF_SIGNED_CERT:
			snprintf(t->verify_text, sizeof(t->verify_text), "self-signed certificate");
			break;
		case X509_V_ERR_CERT_NOT_YET_VALID:
			snprintf(t->verify_text, sizeof(t->verify_text),
			         "certificate not yet valid");
			break;
		case X509_V_ERR_CERT_HAS_EXPIRED:
			snprintf(t->verify_text, sizeof(t->verify_text), "certificate has expired");
			break;
		default:
			snprintf(t->verify_text, sizeof(t->verify_text), "num=%d:%s", err,
			         X509_verify_cert_error_string(err));
		}
	}
	return 1;
}

/* set_curves - tls_eecdh_auto_curves: the names this library knows, in order */
static void set_curves(SSL_CTX *ctx, const char *curves)
{
	struct cfg_strvec w;
	struct cfg_buf b;

	cfg_strvec_init(&w);
	cfg_buf_init(&b);
	cfg_strvec_split(&w, curves ? curves : "", " \t,:");
	for (size_t i = 0; i < w.n; i++) {
		/* one at a time: a name the library lacks is skipped, as Postfix does */
		if (SSL_CTX_set1_groups_list(ctx, w.v[i]) == 1)
			cfg_buf_printf(&b, "%s%s", b.len ? ":" : "", w.v[i]);
	}
	ERR_clear_error();
	if (b.len)
		SSL_CTX_set1_groups_list(ctx, b.data);
	cfg_buf_fini(&b);
	cfg_strvec_fini(&w);
}

/* set_trust - CAfile/CApath, and asking clients for certificates */
static int set_trust(SSL_CTX *ctx, const struct mta_tls_conf *c, struct cfg_buf *why)
{
	const char *file = c->CAfile && *c->CAfile ? c->CAfile : NULL;
	const char *path = c->CApath && *c->CApath ? c->CApath : NULL;

	if ((file || path) && SSL_CTX_load_verify_locations(ctx, file, path) != 1) {
		cfg_buf_printf(why,
		               "cannot load Certification Authority data, CAfile=\"%s\", "
		               "CApath=\"%s\"",
		               file ? file : "", path ? path : "");
		lib_errors(why);
		return -1;
	}
	SSL_CTX_set_verify_depth(ctx, c->verify_depth > 0 ? c->verify_depth + 1 : 10);
	if (!c->server) {
		SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER, accept_any);
	} else if (c->ask_ccert) {
		SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER | SSL_VERIFY_CLIENT_ONCE, accept_any);
		if (file)
			SSL_CTX_set_client_CA_list(ctx, SSL_load_client_CA_file(file));
	}
	return 0;
}

/* set_keys - every configured certificate and key (server), or the client's own */
static int set_keys(SSL_CTX *ctx, const struct mta_tls_conf *c, struct cfg_buf *why)
{
	if (c->chain_files && c->chain_files->n) {
		for (size_t i = 0; i < c->chain_files->n; i++)
			if (load_chain_file(ctx, c->chain_files->v[i], why) < 0)
				return -1;
		return 0;
	}
	if (load_pair(ctx, c->cert_file, c->key_file, why) < 0
	    || load_pair(ctx, c->eccert_file, c->eckey_file, why) < 0
	    || load_pair(ctx, c->dcert_file, c->dkey_file, why) < 0)
		return -1;
	return 0;
}

/* ---- session caching ---- */

/* session_hex - a server session's id in hex (Postfix's cache ids start so) */
static void session_hex(const unsigned char *id, unsigned len, char *out, size_t outlen)
{
	size_t o = 0;

	out[0] = '\0';
	for (unsigned i = 0; i < len && o + 3 <= outlen; i++)
		o += (size_t)snprintf(out + o, outlen - o, "%02X", id[i]);
}

/*
 * new_session - a session the library made resumable: the server's goes to
 * its cache under the session id, the client's (the first of the
 * connection) under the id the caller gave.  0: no reference kept.
 */
static int new_session(SSL *ssl, SSL_SESSION *sess)
{
	struct mta_tls *t = SSL_get_app_data(ssl);
	struct mta_tls_cache *cache = t ? (t->ctx->server ? t->ctx->cache : t->cache) : NULL;
	unsigned char *der = NULL;
	char hex[2 * SSL_MAX_SSL_SESSION_ID_LENGTH + 1];
	const char *id = t ? t->cache_id : NULL;
	int len;

	if (cache == NULL || !SSL_SESSION_is_resumable(sess) || (!t->ctx->server && t->saved))
		return 0;
	if (t->ctx->server) {
		unsigned n;
		const unsigned char *sid = SSL_SESSION_get_id(sess, &n);

		session_hex(sid, n, hex, sizeof(hex));
		id = hex;
	}
	if ((len = i2d_SSL_SESSION(sess, &der)) > 0) {
		mta_tls_cache_put(cache, id, der, (size_t)len);
		t->saved = 1;
	}
	OPENSSL_free(der);
	return 0;
}

/* load_session - the session a cache holds under id, or NULL */
static SSL_SESSION *load_session(struct mta_tls_cache *cache, const char *id)
{
	struct cfg_buf der;
	SSL_SESSION *s = NULL;

	cfg_buf_init(&der);
	if (mta_tls_cache_get(cache, id, &der) == 1) {
		const unsigned char *p = (const unsigned char *)der.data;

		s = d2i_SSL_SESSION(NULL, &p, (long)der.len);
		ERR_clear_error();
	}
	cfg_buf_fini(&der);
	return s;
}

/* get_session - the server's lookup of a session id the client offers */
static SSL_SESSION *get_session(SSL *ssl, const unsigned char *id, int len, int *copy)
{
	struct mta_tls *t = SSL_get_app_data(ssl);
	char hex[2 * SSL_MAX_SSL_SESSION_ID_LENGTH + 1];

	*copy = 0; /* the library owns what comes back */
	if (t == NULL || t->ctx->cache == NULL || len <= 0)
		return NULL;
	session_hex(id, (unsigned)len, hex, sizeof(hex));
	return load_session(t->ctx->cache, hex);
}

void mta_tls_digest_hex(const char *text, char out[65])
{
	unsigned char d[EVP_MAX_MD_SIZE];
	unsigned int n = 0;

	out[0] = '\0';
	if (EVP_Digest(text, strlen(text), d, &n, EVP_sha256(), NULL) == 1)
		session_hex(d, n, out, 65);
}

struct mta_tls_ctx *mta_tls_ctx_new(const struct mta_tls_conf *c, struct cfg_buf *why)
{
	struct mta_tls_ctx *t = cfg_xcalloc(1, sizeof(*t));
	SSL_CTX *ctx = SSL_CTX_new(c->server ? TLS_server_method() : TLS_client_method());

	t->ctx = ctx;
	t->server = c->server;
	t->md = EVP_get_digestbyname(c->fingerprint && *c->fingerprint ? c->fingerprint : "sha256");
	if (ctx == NULL || t->md == NULL) {
		cfg_buf_printf(why,
		               ctx ? "unsupported fingerprint digest \"%s\""
		                   : "cannot create TLS context",
		               c->fingerprint ? c->fingerprint : "");
		goto fail;
	}
	SSL_CTX_set_options(ctx, SSL_OP_NO_COMPRESSION | SSL_OP_NO_RENEGOTIATION);
	/* the chain sent is the one configured: the CAfile does not complete it (as in Postfix) */
	SSL_CTX_set_mode(ctx, SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER | SSL_MODE_NO_AUTO_CHAIN);
	if (set_protocols(ctx, c->protocols, why) < 0
	    || set_ciphers(ctx, c->ciphers, c->exclude, why) < 0 || set_keys(ctx, c, why) < 0
	    || set_trust(ctx, c, why) < 0)
		goto fail;
	set_curves(ctx, c->curves);
	if (!c->server) {
		/* fingerprints are DANE-EE records whose matching type 255 is the digest */
		if (SSL_CTX_dane_enable(ctx) <= 0
		    || SSL_CTX_dane_mtype_set(ctx, t->md, 255, 1) <= 0) {
			lib_errors(why);
			goto fail;
		}
		/* sessions reach new_session(), which saves them when the connection has a cache */
		SSL_CTX_set_session_cache_mode(ctx, SSL_SESS_CACHE_CLIENT
		                                        | SSL_SESS_CACHE_NO_INTERNAL_STORE);
		SSL_CTX_sess_set_new_cb(ctx, new_session);
		return t;
	}
	if (load_dh(ctx, c->dh_file, why) < 0)
		goto fail;
	if (c->preempt)
		SSL_CTX_set_options(ctx, SSL_OP_CIPHER_SERVER_PREFERENCE);
	SSL_CTX_set_session_id_context(ctx, (const unsigned char *)"postkit", 7);
	/*
	 * Resumption by session id goes through the shared cache only (an
	 * smtpd's own memory would serve only its own next clients); tickets
	 * need no cache.  smtpd_tls_session_cache_timeout = 0 turns both off.
	 */
	SSL_CTX_set_session_cache_mode(ctx, SSL_SESS_CACHE_SERVER | SSL_SESS_CACHE_NO_INTERNAL
	                                        | SSL_SESS_CACHE_NO_AUTO_CLEAR);
	if ((t->cache = c->cache) != NULL) {
		SSL_CTX_sess_set_new_cb(ctx, new_session);
		SSL_CTX_sess_set_get_cb(ctx, get_session);
	}
	if (c->ticket_lifetime > 0) {
		SSL_CTX_set_timeout(ctx, c->ticket_lifetime);
		if (c->ticket_key)
			SSL_CTX_set_tlsext_ticket_keys(ctx, (void *)c->ticket_key, 80);
	} else {
		SSL_CTX_set_options(ctx, SSL_OP_NO_TICKET);
		SSL_CTX_set_num_tickets(ctx, 0);
		SSL_CTX_set_session_cache_mode(ctx, SSL_SESS_CACHE_OFF);
	}
	return t;
fail:
	mta_tls_ctx_free(t);
	return NULL;
}

void mta_tls_ctx_free(struct mta_tls_ctx *ctx)
{
	if (ctx == NULL)
		return;
	SSL_CTX_free(ctx->ctx);
	free(ctx);
}

/* ---- what a session turned out to be ---- */

/* peer_facts - the peer certificate's names, fingerprints and trust */
static void peer_facts(struct mta_tls *t, X509 *peer)
{
	struct mta_tls_info *i = &t->info;
	unsigned char *der = NULL;
	int len;

	i->peer_cert = 1;
	i->peer_trusted = SSL_get_verify_result(t->ssl) == X509_V_OK && t->verify_err == 0;
	X509_NAME_get_text_by_NID(X509_get_subject_name(peer), NID_commonName, i->peer_cn,
	                          sizeof(i->peer_cn));
	X509_NAME_get_text_by_NID(X509_get_issuer_name(peer), NID_commonName, i->issuer_cn,
	                          sizeof(i->issuer_cn));
	if ((len = i2d_X509(peer, &der)) > 0)
		mta_tlsp_fingerprint(t->ctx->md, der, (size_t)len, i->cert_fpt,
		                     sizeof(i->cert_fpt));
	OPENSSL_free(der);
	der = NULL;
	if ((len = i2d_X509_PUBKEY(X509_get_X509_PUBKEY(peer), &der)) > 0)
		mta_tlsp_fingerprint(t->ctx->md, der, (size_t)len, i->pkey_fpt,
		                     sizeof(i->pkey_fpt));
	OPENSSL_free(der);
	snprintf(i->verify_error, sizeof(i->verify_error), "%s", t->verify_text);
}

/*
 * set_names - the names (or the address) the server certificate must match,
 * checked with the chain; dns: an address literal is a DNS name too
 */
static void set_names(SSL *ssl, const struct cfg_strvec *match, int dns)
{
	X509_VERIFY_PARAM *vp = SSL_get0_param(ssl);
	int hosts = 0;

	X509_VERIFY_PARAM_set_hostflags(vp, X509_CHECK_FLAG_NO_PARTIAL_WILDCARDS);
	for (size_t k = 0; k < match->n; k++) {
		unsigned char ip[16];

		/* an address literal ("127.0.0.1") matches an iPAddress name */
		if (dns
		    || (inet_pton(AF_INET, match->v[k], ip) != 1
		        && inet_pton(AF_INET6, match->v[k], ip) != 1)) {
			X509_VERIFY_PARAM_add1_host(vp, match->v[k], 0);
			hosts = 1;
		}
	}
	if (!hosts && match->n)
		X509_VERIFY_PARAM_set1_ip_asc(vp, match->v[0]);
}

/* add_tlsa - the DANE records of w (see tls.h); 0 or -1 */
static int add_tlsa(struct mta_tls *t, const struct mta_tls_want *w)
{
	static unsigned char d[2048];
	int usable = 0;

	if (SSL_dane_enable(t->ssl, w->base ? w->base : "localhost") <= 0)
		return -1;
	if (w->base == NULL)
		SSL_set_tlsext_host_name(t->ssl, NULL); /* fingerprints: no name is checked */
	SSL_dane_set_flags(t->ssl, DANE_FLAG_NO_DANE_EE_NAMECHECKS);
	t->dane = 1;
	for (size_t k = 0; k < w->tlsa->n; k++) {
		unsigned u = 0, s = 0, m = 0;
		int off = 0, n;
		struct cfg_buf r;

		if (sscanf(w->tlsa->v[k], "%u %u %u %n", &u, &s, &m, &off) < 3 || off == 0)
			continue;
		n = mta_tlsp_unhex(w->tlsa->v[k] + off, d, sizeof(d));
		if (n > 0 && u < 256 && s < 256 && m < 256
		    && SSL_dane_tlsa_add(t->ssl, (uint8_t)u, (uint8_t)s, (uint8_t)m, d, (size_t)n)
		           > 0) {
			usable++;
			continue;
		}
		ERR_clear_error();
		if (w->unusable == NULL)
			continue;
		cfg_buf_init(&r);
		cfg_buf_printf(&r, "%u %u %u ", u, s, m);
		for (int i = 0; i < n; i++)
			cfg_buf_printf(&r, "%02X", d[i]);
		cfg_strvec_add(w->unusable, r.data);
		cfg_buf_fini(&r);
	}
	if (usable == 0 && !w->fallback) { /* fails whatever the chain is */
		t->verify_err = X509_V_ERR_UNSPECIFIED;
		snprintf(t->verify_text, sizeof(t->verify_text), "num=%d:%s",
		         X509_V_ERR_UNSPECIFIED,
		         X509_verify_cert_error_string(X509_V_ERR_UNSPECIFIED));
	}
	return 0;
}

/* collect - fill t->info after the handshake */
static void collect(struct mta_tls *t, const struct cfg_strvec *match)
{
	struct mta_tls_info *i = &t->info;
	const SSL_CIPHER *c = SSL_get_current_cipher(t->ssl);
	X509 *peer = SSL_get1_peer_certificate(t->ssl);
	X509 *own = SSL_get_certificate(t->ssl);
	EVP_PKEY *kex = NULL;
	struct cfg_buf d;
	int tn = NID_undef, mn = NID_undef;

	snprintf(i->protocol, sizeof(i->protocol), "%s", SSL_get_version(t->ssl));
	i->name_mismatch = t->verify_err == X509_V_ERR_HOSTNAME_MISMATCH
	                   || t->verify_err == X509_V_ERR_IP_ADDRESS_MISMATCH;
	snprintf(i->cipher, sizeof(i->cipher), "%s", c ? SSL_CIPHER_get_name(c) : "unknown");
	i->bits = c ? SSL_CIPHER_get_bits(c, &i->algbits) : 0;
	i->reused = SSL_session_reused(t->ssl);
	cfg_buf_init(&d);
	/* before TLS 1.3 the cipher name says it all: Postfix adds nothing */
	if (SSL_version(t->ssl) < TLS1_3_VERSION) {
		cfg_buf_fini(&d);
		goto peer;
	}
	if (t->ctx->server ? SSL_get_tmp_key(t->ssl, &kex) : SSL_get_peer_tmp_key(t->ssl, &kex))
		mta_tlsp_kex_text(kex, &d);
	EVP_PKEY_free(kex);
	/* the server's signature, then the client's (when it showed a certificate) */
	if (t->ctx->server) {
		SSL_get_signature_type_nid(t->ssl, &tn);
		SSL_get_signature_nid(t->ssl, &mn);
		mta_tlsp_sig_text("server", tn, mn, own, &d);
		snprintf(i->details, sizeof(i->details), "%s", d.data ? d.data : "");
		cfg_buf_reset(&d);
		tn = mn = NID_undef;
		SSL_get_peer_signature_type_nid(t->ssl, &tn);
		SSL_get_peer_signature_nid(t->ssl, &mn);
		mta_tlsp_sig_text("client", tn, mn, i->reused ? NULL : peer, &d);
	} else {
		SSL_get_peer_signature_type_nid(t->ssl, &tn);
		SSL_get_peer_signature_nid(t->ssl, &mn);
		mta_tlsp_sig_text("server", tn, mn, peer, &d);
		snprintf(i->details, sizeof(i->details), "%s", d.data ? d.data : "");
		cfg_buf_reset(&d);
		tn = mn = NID_undef;
		if (own && SSL_get_signature_type_nid(t->ssl, &tn) == 1) {
			SSL_get_signature_nid(t->ssl, &mn);
			mta_tlsp_sig_text("client", tn, mn, i->reused ? NULL : own, &d);
		}
	}
	snprintf(i->client_sig, sizeof(i->client_sig), "%s", d.data ? d.data : "");
	cfg_buf_fini(&d);
peer:
	if (peer) {
		peer_facts(t, peer);
		i->peer_matched = i->peer_trusted && (match != NULL || t->dane);
		X509_free(peer);
	}
}

void mta_tls_summary(const struct mta_tls_info *i, struct cfg_buf *out)
{
	cfg_buf_printf(out, "%s with cipher %s (%d/%d bits)%s%s", i->protocol, i->cipher, i->bits,
	               i->algbits, i->details, i->client_sig);
}

/* ---- sessions ---- */

/* wait_io - poll for what the library wants, within timeout seconds; 0 or -1 */
static int wait_io(int fd, int err, int timeout)
{
	struct pollfd p = {.fd = fd, .events = err == SSL_ERROR_WANT_WRITE ? POLLOUT : POLLIN};
	int n;

	do {
		n = poll(&p, 1, timeout > 0 ? timeout * 1000 : -1);
	} while (n < 0 && errno == EINTR);
	if (n == 0)
		errno = ETIMEDOUT;
	return n > 0 ? 0 : -1;
}

struct mta_tls *mta_tls_start(struct mta_tls_ctx *ctx, int fd, int timeout, const char *sni,
                              const struct cfg_strvec *match, struct cfg_buf *why)
{
	struct mta_tls_want w = {.match = match};

	return mta_tls_connect(ctx, fd, timeout, sni, &w, why);
}

struct mta_tls *mta_tls_connect(struct mta_tls_ctx *ctx, int fd, int timeout, const char *sni,
                                const struct mta_tls_want *want, struct cfg_buf *why)
{
	struct mta_tls *t = cfg_xcalloc(1, sizeof(*t));
	const struct cfg_strvec *match = want->match;

	t->ctx = ctx;
	t->fd = fd;
	ERR_clear_error();
	if ((t->ssl = SSL_new(ctx->ctx)) == NULL || SSL_set_fd(t->ssl, fd) != 1) {
		lib_errors(why);
		goto fail;
	}
	SSL_set_app_data(t->ssl, t);
	if (ctx->server) {
		SSL_set_accept_state(t->ssl);
	} else {
		if (sni && *sni)
			SSL_set_tlsext_host_name(t->ssl, sni);
		if (match)
			set_names(t->ssl, match, want->dns_names);
		if (want->tlsa && add_tlsa(t, want) < 0) {
			lib_errors(why);
			goto fail;
		}
		if (want->cache && want->cache_id) {
			SSL_SESSION *old = load_session(want->cache, want->cache_id);

			t->cache = want->cache;
			t->cache_id = cfg_xstrdup(want->cache_id);
			if (old && SSL_set_session(t->ssl, old) != 1)
				ERR_clear_error(); /* a full handshake then */
			SSL_SESSION_free(old);
		}
		SSL_set_connect_state(t->ssl);
	}
	for (;;) {
		int rc = SSL_do_handshake(t->ssl), err;

		if (rc == 1)
			break;
		err = SSL_get_error(t->ssl, rc);
		if (err == SSL_ERROR_WANT_READ || err == SSL_ERROR_WANT_WRITE) {
			if (wait_io(fd, err, timeout) == 0)
				continue;
			cfg_buf_adds(why, errno == ETIMEDOUT ? "timeout" : strerror(errno));
			goto fail;
		}
		/* the first line says what happened, library errors follow one per line */
		if (err == SSL_ERROR_SYSCALL && ERR_peek_error() == 0) {
			cfg_buf_adds(why, errno ? strerror(errno) : "lost connection");
		} else {
			cfg_buf_printf(why, "%d", rc);
			lib_errors(why);
		}
		goto fail;
	}
	collect(t, match);
	return t;
fail:
	mta_tls_free(t, 0);
	return NULL;
}

const struct mta_tls_info *mta_tls_info(const struct mta_tls *t)
{
	return &t->info;
}

void mta_tls_free(struct mta_tls *t, int shutdown)
{
	if (t == NULL)
		return;
	if (t->ssl && shutdown)
		SSL_shutdown(t->ssl); /* one close_notify, no wait for the peer's */
	SSL_free(t->ssl);
	free(t->cache_id);
	free(t);
}

/* io_result - map an SSL_read/SSL_write outcome to read(2)/write(2) conventions */
static ssize_t io_result(struct mta_tls *t, int rc, size_t n, short *events)
{
	int err;

	if (rc == 1)
		return (ssize_t)n;
	switch ((err = SSL_get_error(t->ssl, rc))) {
	case SSL_ERROR_WANT_READ:
	case SSL_ERROR_WANT_WRITE:
		*events = err == SSL_ERROR_WANT_READ ? POLLIN : POLLOUT;
		errno = EAGAIN;
		return -1;
	case SSL_ERROR_ZERO_RETURN:
		return 0;
	case SSL_ERROR_SYSCALL:
		ERR_clear_error();
		if (errno == 0 || errno == EAGAIN)
			return 0; /* the peer closed without close_notify */
		return -1;
	default:
		ERR_clear_error();
		errno = EPROTO;
		return -1;
	}
}

ssize_t mta_tls_read(struct mta_tls *t, void *buf, size_t len, short *events)
{
	size_t n = 0;
	int rc;

	ERR_clear_error(); /* SSL_get_error() reads the queue: nothing stale in it */
	errno = 0;
	rc =
	    SSL_read_ex(t->ssl, buf, len, &n); /* before n is read: argument order is unspecified */
	return io_result(t, rc, n, events);
}

ssize_t mta_tls_write(struct mta_tls *t, const void *buf, size_t len, short *events)
{
	size_t n = 0;
	int rc;

	ERR_clear_error();
	errno = 0;
	rc = SSL_write_ex(t->ssl, buf, len, &n);
	return io_result(t, rc, n, events);
}

size_t mta_tls_pending(const struct mta_tls *t)
{
	return (size_t)SSL_pending(t->ssl);
}

/* the stream's way to the session (stream.h) */
static const struct mta_stream_tls_io tls_io = {mta_tls_read, mta_tls_write, mta_tls_pending};

void mta_tls_attach(struct mta_stream *s, struct mta_tls *t)
{
	s->tls = t;
	s->tls_io = t ? &tls_io : NULL;
}

int mta_tls_random(void *buf, size_t n)
{
	return RAND_bytes(buf, (int)n) == 1 ? 0 : -1;
}

const char *mta_tls_version(int compiled)
{
	return compiled ? OPENSSL_VERSION_TEXT : OpenSSL_version(OPENSSL_VERSION);
}
