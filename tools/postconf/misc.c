/*
 * misc.c - postconf -m (table types), -l (mailbox locks), -a/-A (SASL),
 * -T (TLS): the lists of what postkit itself supports
 */
#include "config.h"

#include <string.h>

#include "cfg/base/dlib.h"
#include "cfg/schema/tabletype.h"
#include "postconf.h"

/*
 * postconf does not link OpenSSL: loading libssl and libcrypto at every
 * start cost more than the rest of a `postconf NAME`.  -T compile-version
 * prints the headers' text that configure read; -T run-version loads
 * libcrypto (cfg/base/dlib.h) and asks OpenSSL_version(OPENSSL_VERSION),
 * OPENSSL_VERSION being 0 in OpenSSL 1.1.1 and 3.x alike.
 */
#define OPENSSL_VERSION_TYPE 0
static struct {
	const char *(*OpenSSL_version)(int type);
} crypto_fn;
static const char *const crypto_names[] = {"OpenSSL_version"};
static struct cfg_dlib crypto_lib = {
    CRYPTO_SONAME, crypto_names, CFG_DLIB_COUNT(crypto_names), &crypto_fn, 0, NULL};

/* pcf_show_maps - the lookup table types postkit implements, one per line */
int pcf_show_maps(void)
{
	const struct cfg_table_type_def *t;

	for (size_t i = 0; (t = cfg_table_type_at(i)) != NULL; i++) {
		if (!t->impl)
			continue;
		pcf_outs(t->name);
		pcf_out("\n", 1);
	}
	return 0;
}

/* pcf_show_locks - the mailbox locking methods, in Postfix's order */
int pcf_show_locks(void)
{
	static const char *const locks[] = {"flock", "fcntl", "dotlock", NULL};

	for (const char *const *l = locks; *l; l++) {
		pcf_outs(*l);
		pcf_out("\n", 1);
	}
	return 0;
}

/*
 * pcf_show_sasl - the SASL types postkit has: the server speaks Dovecot's
 * protocol (smtpd_sasl_type = dovecot); the client's PLAIN and LOGIN stand
 * in for the default smtp_sasl_type, cyrus
 */
int pcf_show_sasl(unsigned which)
{
	pcf_outs(which == PCF_SHOW_SASL_SERV ? "dovecot\n" : "cyrus\n");
	return 0;
}

/* pcf_show_tls - postconf -T: the OpenSSL postkit was built with and runs with */
int pcf_show_tls(const char *what)
{
	if (strcmp(what, "compile-version") == 0) {
		pcf_outs(PK_OPENSSL_VERSION_TEXT "\n");
		return 0;
	}
	if (strcmp(what, "run-version") == 0) {
		if (cfg_dlib_load(&crypto_lib) < 0) {
			pcf_warn("%s", crypto_lib.error);
			return 1;
		}
		pcf_outs(crypto_fn.OpenSSL_version(OPENSSL_VERSION_TYPE));
		pcf_out("\n", 1);
		return 0;
	}
	if (strcmp(what, "public-key-algorithms") == 0) {
		/* the certificate kinds smtpd takes: *_dcert_file, *_eccert_file, *_cert_file */
		pcf_outs("dsa\necdsa\nrsa\n");
		return 0;
	}
	pcf_warn("unknown 'postconf -T' mode: %s", what);
	return 1;
}
