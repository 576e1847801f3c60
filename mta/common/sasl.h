/*
 * sasl.h - SASL without a library: a client of Dovecot's authentication
 * protocol for smtpd (smtpd_sasl_type = dovecot), and the PLAIN and LOGIN
 * mechanisms for the smtp client
 *
 * Dovecot's auth socket speaks lines of tab-separated fields: the client
 * says "VERSION 1 2" and "CPID pid", the server lists its mechanisms
 * ("MECH PLAIN plaintext") and ends with "DONE"; each authentication is
 * "AUTH id MECH service=smtp ... resp=BASE64", answered by "CONT id
 * BASE64" (a challenge: the SMTP client answers it), "OK id user=NAME" or
 * "FAIL id reason=TEXT user=NAME".  Challenges and responses stay in
 * base64 from end to end, as SMTP AUTH carries them.
 *
 * One struct sasl_server is one connection to the auth server, kept for
 * the process (smtpd serves one client at a time) and opened again after
 * an error.  Nothing here logs: failures come back as text.
 */
#ifndef MTA_SASL_H
#define MTA_SASL_H

#include <stddef.h>

#include "cfg/base/buf.h"
#include "cfg/base/strvec.h"
#include "conf.h"

struct sasl_server;

/* one mechanism the server offers, with Dovecot's flags */
#define SASL_M_ANONYMOUS 0x01u
#define SASL_M_PLAINTEXT 0x02u
#define SASL_M_DICTIONARY 0x04u
#define SASL_M_ACTIVE 0x08u
#define SASL_M_FORWARD_SECRECY 0x10u
#define SASL_M_MUTUAL_AUTH 0x20u
#define SASL_M_PRIVATE 0x40u

/* what one step of an authentication came to */
enum sasl_status { SASL_CONT, SASL_OK, SASL_FAIL, SASL_TEMP };

struct sasl_step {
	enum sasl_status status;
	struct cfg_buf data; /* CONT: the challenge (base64); FAIL/TEMP: the reason ("" none) */
	char *user;          /* OK or FAIL: the user= name the server gave, or NULL */
};

/* the client facts Dovecot wants with a request (borrowed) */
struct sasl_client_info {
	const char *service; /* smtpd_sasl_service */
	const char *local_addr, *remote_addr, *local_port, *remote_port;
	int secured;    /* TLS is active */
	int valid_cert; /* the client certificate is trusted */
};

/* sasl_server_new - an auth server at path ("private/auth", "inet:host:port"); not yet connected */
struct sasl_server *sasl_server_new(const char *path, int timeout);
/* sasl_server_free - close and release; NULL is a no-op */
void sasl_server_free(struct sasl_server *d);
/*
 * sasl_server_mechs - the mechanisms offered, minus those whose flags
 * deny lists (SASL_M_*), into out (appended, upper case).  Connects when
 * needed.  Returns 0, or -1 with the reason in why ("Connect to
 * private/auth failed: No such file or directory").
 */
int sasl_server_mechs(struct sasl_server *d, unsigned deny, unsigned require,
                      struct cfg_strvec *out, struct cfg_buf *why);
/*
 * sasl_server_start - begin an authentication with mech and the client's
 * initial response (base64, "" for an empty one, NULL for none).  Then
 * sasl_server_next with each response the client gives to a challenge.
 * Both fill st; a lost server is SASL_TEMP with the reason.
 */
void sasl_server_start(struct sasl_server *d, const char *mech, const char *initial,
                       const struct sasl_client_info *ci, struct sasl_step *st);
void sasl_server_next(struct sasl_server *d, const char *response, struct sasl_step *st);

/* sasl_step_init / sasl_step_fini - a step result */
void sasl_step_init(struct sasl_step *st);
void sasl_step_fini(struct sasl_step *st);

/* sasl_b64_valid - 1 when text is well-formed base64 (the empty string is) */
int sasl_b64_valid(const char *text);
/* sasl_b64_encode - base64 of data appended to out */
void sasl_b64_encode(const void *data, size_t len, struct cfg_buf *out);
/* sasl_b64_decode - the bytes of text appended to out; 0 or -1 when malformed */
int sasl_b64_decode(const char *text, struct cfg_buf *out);

/*
 * sasl_mech_flags - the SASL_M_* flags an option list denies or requires:
 * "noanonymous" "noplaintext" "nodictionary" "noactive" "mutual_auth"
 * "forward_secrecy" (smtpd_sasl_security_options and friends).  Returns 0,
 * or -1 naming an unknown option in why.
 */
int sasl_mech_flags(const struct cfg_strvec *opts, unsigned *deny, unsigned *require,
                    struct cfg_buf *why);
/* sasl_conf_flags - sasl_mech_flags of a parameter's value (fatal on an unknown option) */
void sasl_conf_flags(struct mta_conf *conf, const char *param, unsigned *deny, unsigned *require);
/* sasl_client_flags - the SASL_M_* flags of a mechanism the smtp client knows (PLAIN, LOGIN) */
unsigned sasl_client_flags(const char *mech);

#endif
