/*
 * smtpd_anvil.c - smtpd's side of the anvil service: client connection and rate limits
 *
 * The smtpd_client_*_limit settings are counted by the anvil service
 * (mta/anvil/anvil.c has the requests) over one connection per smtpd
 * process, opened when first needed.  Clients in
 * smtpd_client_event_limit_exceptions, and clients that may use XCLIENT
 * (as in Postfix: their events are not counted), are never limited.  When
 * anvil cannot be reached smtpd logs a warning and goes on without limits.
 * Replies and warnings are Postfix's:
 *   421 4.7.0 mail.example.com Error: too many connections from 127.0.0.1
 *   warning: Connection concurrency limit exceeded: 3 from localhost[127.0.0.1] for service smtp
 */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cfg/base/xalloc.h"
#include "ipc.h"
#include "log.h"
#include "smtpd.h"
#include "smtpd_anvil.h"

static struct {
	long count_limit, conn_rate, mail_rate, rcpt_rate, ntls_rate, auth_rate;
	struct match_list *exceptions;
	const char *queue_dir;
	int fd; /* -1 until connected */
	struct mta_stream st;
	int enabled; /* a limit is set */
	/* the session in hand (one at a time per process) */
	int xclient;     /* the real client may use XCLIENT: nothing is counted */
	char ident[320]; /* what its connect counted, for the disconnect */
} AV = {.fd = -1};

/* smtpd_anvil_init - the limits and the exception list */
void smtpd_anvil_init(struct mta_server *srv)
{
	struct mta_setting tab[] = {
	    MTA_SET(CFG_P_smtpd_client_connection_count_limit, &AV.count_limit),
	    MTA_SET(CFG_P_smtpd_client_connection_rate_limit, &AV.conn_rate),
	    MTA_SET(CFG_P_smtpd_client_message_rate_limit, &AV.mail_rate),
	    MTA_SET(CFG_P_smtpd_client_recipient_rate_limit, &AV.rcpt_rate),
	    MTA_SET(CFG_P_smtpd_client_new_tls_session_rate_limit, &AV.ntls_rate),
	    MTA_SET(CFG_P_smtpd_client_auth_rate_limit, &AV.auth_rate),
	    MTA_SETTINGS_END,
	};
	struct cfg_strvec ex;

	mta_conf_get(&srv->conf, tab);
	AV.queue_dir = srv->queue_dir;
	AV.enabled =
	    !srv->standalone
	    && (AV.count_limit > 0 || AV.conn_rate > 0 || AV.mail_rate > 0 || AV.rcpt_rate > 0);
	if (!AV.enabled)
		return;
	cfg_strvec_init(&ex);
	mta_conf_list(&srv->conf, CFG_P_smtpd_client_event_limit_exceptions, &ex);
	AV.exceptions = match_list_new("smtpd_client_event_limit_exceptions", &ex, MATCH_HOSTS);
	cfg_strvec_fini(&ex);
}

/* exempt - 1 when the client's events are not counted */
static int exempt(const struct smtpd *s)
{
	if (!AV.enabled || AV.xclient)
		return 1;
	return AV.exceptions && match_host(AV.exceptions, s->name, s->addr) > 0;
}

/* ident - what anvil counts the client's events under: "SERVICE:ADDR" */
static const char *ident(const struct smtpd *s, char *buf, size_t len)
{
	snprintf(buf, len, "%s:%s", s->srv->service, s->addr);
	return buf;
}

/*
 * ask - one request about the client; the reply's count and rate.  0 when
 * anvil answered; -1 when it could not be asked after two tries a second
 * apart, with Postfix's warnings:
 *   warning: connect to private/anvil: No such file or directory
 *   warning: problem talking to server private/anvil: No such file or directory
 */
static int ask(const char *id, const char *req, long *count, long *rate)
{
	struct cfg_strvec a;
	int err = 0;

	for (int attempt = 0; attempt < 2; attempt++) {
		int ok;

		if (attempt > 0)
			sleep(1);
		if (AV.fd < 0) {
			AV.fd = ipc_connect(AV.queue_dir, "private", "anvil");
			if (AV.fd < 0) {
				err = errno;
				mta_warn("connect to private/anvil: %m");
				continue;
			}
			mta_stream_init(&AV.st, AV.fd, 10);
		}
		cfg_strvec_init(&a);
		ipc_add(&a, "request", "%s", req);
		ipc_add(&a, "ident", "%s", id);
		ok = ipc_send(&AV.st, &a) == 0 && ipc_recv(&AV.st, &a) == 0
		     && ipc_get_long(&a, "status", -1) == 0;
		if (ok) {
			*count = ipc_get_long(&a, "count", 0);
			*rate = ipc_get_long(&a, "rate", 0);
		}
		cfg_strvec_fini(&a);
		if (ok)
			return 0;
		/* anvil went away (restarted): a new connection next time */
		err = AV.st.err ? AV.st.err : EPIPE;
		mta_stream_fini(&AV.st);
		close(AV.fd);
		AV.fd = -1;
	}
	errno = err;
	mta_warn("problem talking to server private/anvil: %m");
	return -1;
}

/* over - count (or look up) the client's event req; its rate when above limit, else 0 */
static long over(const struct smtpd *s, long limit, const char *req)
{
	long count, rate;
	char id[320];

	if (limit <= 0 || exempt(s) || ask(ident(s, id, sizeof(id)), req, &count, &rate) < 0
	    || rate <= limit)
		return 0;
	return rate;
}

/* warn_over - Postfix's warning "WHAT limit exceeded: N from CLIENT for service SERVICE" */
static void warn_over(const struct smtpd *s, const char *what, long n)
{
	mta_warn("%s limit exceeded: %ld from %s for service %s", what, n, s->log_client,
	         s->srv->service);
}

/* smtpd_anvil_connect - the connection limits at connect; 0, or -1 with the 421 reply given */
int smtpd_anvil_connect(struct smtpd *s)
{
	long count = 0, rate = 0;

	/* as in Postfix, a client that may use XCLIENT is never counted, whoever it then claims to be */
	AV.xclient = s->xclient_ok;
	ident(s, AV.ident, sizeof(AV.ident));
	if (exempt(s) || ask(AV.ident, "connect", &count, &rate) < 0)
		return 0;
	s->anvil_open = 1;
	if (AV.count_limit > 0 && count > AV.count_limit) {
		smtpd_reply(s, "421 4.7.0 %s Error: too many connections from %s",
		            s->cfg->myhostname, s->addr);
		warn_over(s, "Connection concurrency", count);
		return -1;
	}
	if (AV.conn_rate > 0 && rate > AV.conn_rate) {
		smtpd_reply(s, "421 4.7.0 %s Error: too many connections from %s",
		            s->cfg->myhostname, s->addr);
		warn_over(s, "Connection rate", rate);
		return -1;
	}
	return 0;
}

/* smtpd_anvil_disconnect - the connection counted at connect is over */
void smtpd_anvil_disconnect(struct smtpd *s)
{
	long count, rate;

	if (s->anvil_open)
		ask(AV.ident, "disconnect", &count, &rate);
	s->anvil_open = 0;
	AV.xclient = 0;
}

/* smtpd_anvil_mail - smtpd_client_message_rate_limit at MAIL; 0, or -1 with the reply given */
int smtpd_anvil_mail(struct smtpd *s)
{
	long rate = over(s, AV.mail_rate, "message");

	if (rate == 0)
		return 0;
	smtpd_reply(s, "450 4.7.1 Error: too much mail from %s", s->addr);
	warn_over(s, "Message delivery request rate", rate);
	return -1;
}

/* smtpd_anvil_rcpt - smtpd_client_recipient_rate_limit at RCPT; 0, or -1 with the reply given */
int smtpd_anvil_rcpt(struct smtpd *s)
{
	long rate = over(s, AV.rcpt_rate, "recipient");

	if (rate == 0)
		return 0;
	smtpd_reply(s, "450 4.7.1 Error: too many recipients from %s", s->addr);
	warn_over(s, "Recipient address rate", rate);
	return -1;
}

/* smtpd_anvil_auth - smtpd_client_auth_rate_limit at AUTH; 0, or -1 with the reply given */
int smtpd_anvil_auth(struct smtpd *s)
{
	long rate = over(s, AV.auth_rate, "auth");

	if (rate == 0)
		return 0;
	warn_over(s, "AUTH command rate", rate);
	smtpd_reply(s, "450 4.7.1 Error: too many AUTH commands from %s", s->addr);
	return -1;
}

/*
 * smtpd_anvil_starttls - before STARTTLS: a client already over
 * smtpd_client_new_tls_session_rate_limit is refused (454, the session goes on
 * in plaintext); the rate is looked up, not counted.  0, or -1 with the reply given.
 */
int smtpd_anvil_starttls(struct smtpd *s)
{
	if (over(s, AV.ntls_rate, "lookup") == 0)
		return 0;
	mta_warn("Refusing STARTTLS request from %s for service %s", s->log_client,
	         s->srv->service);
	smtpd_reply(s, "454 4.7.0 Error: too many new TLS sessions from %s", s->log_client);
	return -1;
}

/*
 * smtpd_anvil_newtls - after a handshake that made a new TLS session: count
 * it; over the limit the 421 is given (over TLS) and the session must end.
 * 0, or -1 with the reply given.
 */
int smtpd_anvil_newtls(struct smtpd *s)
{
	long rate = over(s, AV.ntls_rate, "newtls");

	if (rate == 0)
		return 0;
	warn_over(s, "New TLS session rate", rate);
	smtpd_reply(s, "421 4.7.0 %s Error: too many new TLS sessions from %s", s->cfg->myhostname,
	            s->log_client);
	return -1;
}
