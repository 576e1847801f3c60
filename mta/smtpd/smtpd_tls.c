/*
 * smtpd_tls.c - STARTTLS and wrapper mode for smtpd (see smtpd.h)
 *
 * The context is made once per process from the smtpd_tls_* settings
 * (mandatory protocols and ciphers at level "encrypt", as Postfix does).
 * Session tickets are encrypted with a key shared by every smtpd of the
 * instance ($data_directory/smtpd_tls_ticket.key, 80 random bytes, made
 * again when older than smtpd_tls_session_cache_timeout), so a client
 * resumes its session whichever smtpd process it reaches.  A client
 * without tickets (TLSv1.2 session ids) finds its session in
 * smtpd_tls_session_cache_database, shared the same way (tls_cache.h).
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "cfg/base/xalloc.h"
#include "log.h"
#include "smtpd.h"
#include "smtpd_anvil.h"
#include "tls_cache.h"
#include "tls_conf.h"

#define TICKET_KEY_LEN 80

/* ticket_key - the instance's shared session ticket key into key; 0, or -1 (per-process key) */
static int ticket_key(struct mta_server *srv, long lifetime, char *key)
{
	char *path = cfg_xasprintf("%s/smtpd_tls_ticket.key",
	                           mta_conf_str(&srv->conf, CFG_P_data_directory));
	char *tmp = cfg_xasprintf("%s.%ld", path, (long)getpid());
	struct stat st;
	int fd, rc = -1;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd >= 0 && fstat(fd, &st) == 0 && st.st_size == TICKET_KEY_LEN
	    && time(NULL) - st.st_mtime < lifetime
	    && read(fd, key, TICKET_KEY_LEN) == TICKET_KEY_LEN)
		rc = 0;
	if (fd >= 0)
		close(fd);
	if (rc < 0 && mta_tls_random(key, TICKET_KEY_LEN) == 0
	    && (fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600)) >= 0) {
		/* a new key for everyone; a racing smtpd's key may win, which only costs a handshake */
		if (write(fd, key, TICKET_KEY_LEN) == TICKET_KEY_LEN && fsync(fd) == 0
		    && close(fd) == 0 && rename(tmp, path) == 0)
			rc = 0;
		else
			unlink(tmp);
	}
	free(tmp);
	free(path);
	return rc;
}

/* has_certs - any server certificate configured */
static int has_certs(const struct mta_tls_params *p)
{
	return *p->c.cert_file || *p->c.eccert_file || *p->c.dcert_file || p->chain_files.n;
}

void smtpd_tls_init(struct smtpd_cfg *c, struct mta_server *srv)
{
	const char *level = "", *loglevel = "0";
	struct mta_setting tab[] = {
	    MTA_SET(CFG_P_smtpd_tls_security_level, &level),
	    MTA_SET(CFG_P_smtpd_tls_wrappermode, &c->tls_wrapper),
	    MTA_SET(CFG_P_smtpd_tls_auth_only, &c->tls_auth_only),
	    MTA_SET(CFG_P_smtpd_tls_received_header, &c->tls_received_header),
	    MTA_SET(CFG_P_smtpd_tls_ask_ccert, &c->tls_ask_ccert),
	    MTA_SET(CFG_P_smtpd_tls_loglevel, &loglevel),
	    MTA_SET(CFG_P_smtpd_starttls_timeout, &c->starttls_timeout),
	    MTA_SET(CFG_P_relay_clientcerts, &c->relay_clientcerts),
	    MTA_SETTINGS_END,
	};
	struct mta_tls_params p;
	struct cfg_buf why;
	char key[TICKET_KEY_LEN];

	cfg_strvec_init(&c->relay_clientcerts);
	mta_conf_get(&srv->conf, tab);
	c->tls_loglevel = mta_tls_loglevel(loglevel);
	if (*level == '\0' || strcasecmp(level, "none") == 0)
		c->tls_level = SMTPD_TLS_NONE;
	else if (strcasecmp(level, "may") == 0)
		c->tls_level = SMTPD_TLS_MAY;
	else if (strcasecmp(level, "encrypt") == 0)
		c->tls_level = SMTPD_TLS_ENCRYPT;
	else
		mta_fatal("invalid TLS security level: \"%s\"", level);
	if (c->tls_wrapper && c->tls_level == SMTPD_TLS_NONE)
		c->tls_level = SMTPD_TLS_MAY; /* the handshake comes first whatever the level */
	if (c->tls_level == SMTPD_TLS_NONE || srv->standalone)
		return;
	cfg_buf_init(&why);
	if (mta_tls_params_load(&srv->conf, "smtpd", c->tls_level == SMTPD_TLS_ENCRYPT, &p, &why)
	    < 0)
		mta_fatal("%s", why.data);
	if (!has_certs(&p)) {
		if (c->tls_level == SMTPD_TLS_ENCRYPT || c->tls_wrapper)
			mta_fatal("No server certs available. TLS can't be enabled");
		mta_warn("No server certs available. TLS won't be enabled");
	} else {
		if (p.c.ticket_lifetime > 0 && ticket_key(srv, p.c.ticket_lifetime, key) == 0)
			p.c.ticket_key = key;
		c->tls_cache =
		    mta_tls_cache_load(&srv->conf, "smtpd", srv->service, c->tls_loglevel);
		p.c.cache = c->tls_cache;
		if ((c->tls_ctx = mta_tls_ctx_new(&p.c, &why)) == NULL) {
			if (c->tls_level == SMTPD_TLS_ENCRYPT || c->tls_wrapper)
				mta_fatal("cannot enable TLS: %s", why.data);
			for (char *l = why.data, *nl; l; l = nl) {
				if ((nl = strchr(l, '\n')) != NULL)
					*nl++ = '\0';
				mta_warn("TLS library problem: %s", l);
			}
			mta_warn("TLS won't be enabled");
		}
	}
	mta_tls_params_fini(&p);
	cfg_buf_fini(&why);
}

int smtpd_tls_offer(const struct smtpd *s)
{
	return s->cfg->tls_ctx != NULL && s->tls == NULL && !s->srv->standalone;
}

int smtpd_tls_enforced(const struct smtpd *s)
{
	return s->cfg->tls_level == SMTPD_TLS_ENCRYPT && s->tls == NULL && !s->srv->standalone;
}

/* handshake - TLS over the client's socket; 0, or -1 after logging why not */
static int handshake(struct smtpd *s)
{
	struct cfg_buf why, line;
	const struct mta_tls_info *i;

	cfg_buf_init(&why);
	if (s->cfg->tls_loglevel >= 2)
		mta_info("setting up TLS connection from %s", s->log_client);
	if (s->cfg->tls_cache)
		mta_tls_cache_label(s->cfg->tls_cache, s->log_client);
	s->tls = mta_tls_start(s->cfg->tls_ctx, s->in.fd, (int)s->cfg->starttls_timeout, NULL, NULL,
	                       &why);
	if (s->tls == NULL) {
		char *nl = strchr(why.data, '\n');

		if (nl)
			*nl = '\0';
		mta_info("SSL_accept error from %s: %s", s->log_client, why.data);
		while (nl) {
			char *next = strchr(nl + 1, '\n');

			if (next)
				*next = '\0';
			mta_warn("TLS library problem: %s", nl + 1);
			nl = next;
		}
		cfg_buf_fini(&why);
		return -1;
	}
	cfg_buf_fini(&why);
	mta_tls_attach(&s->in, s->tls);
	mta_tls_attach(&s->out, s->tls);
	i = mta_tls_info(s->tls);
	if (i->reused && s->cfg->tls_loglevel >= 2)
		mta_info("%s: Reusing old session", s->log_client);
	if (s->cfg->tls_loglevel >= 1) {
		cfg_buf_init(&line);
		mta_tls_summary(i, &line);
		mta_info("%s TLS connection established from %s: %s",
		         !i->peer_cert     ? "Anonymous"
		         : i->peer_trusted ? "Trusted"
		                           : "Untrusted",
		         s->log_client, line.data);
		cfg_buf_fini(&line);
	}
	return 0;
}

/*
 * drain - read what the client already sent: closing a socket with unread
 * input resets the connection, and the client may lose the last reply
 */
static void drain(int fd)
{
	char buf[4096];

	while (recv(fd, buf, sizeof(buf), MSG_DONTWAIT) > 0)
		;
}

/* lost - the session ends: the client went away after command */
static int lost(struct smtpd *s, const char *command)
{
	mta_info("lost connection after %s from %s", command, s->log_client);
	s->dead = 1;
	return -1;
}

/* start - the handshake after command, then the new TLS session limit; -1 ends the session */
static int start(struct smtpd *s, const char *command)
{
	if (handshake(s) < 0)
		return lost(s, command);
	if (!mta_tls_info(s->tls)->reused && smtpd_anvil_newtls(s) < 0) {
		/* the 421 goes out (over TLS), then the session ends */
		smtpd_flush(s);
		drain(s->in.fd);
		s->dead = 1;
		return -1;
	}
	return 0;
}

int smtpd_tls_wrapper(struct smtpd *s)
{
	if (s->cfg->tls_ctx == NULL || s->srv->standalone)
		return 0;
	return start(s, "CONNECT");
}

int smtpd_starttls_cmd(struct smtpd *s, const char *arg)
{
	while (*arg == ' ')
		arg++;
	if (*arg) {
		smtpd_reply(s, "501 5.5.4 Syntax: STARTTLS");
		return -1;
	}
	if (s->tls) {
		smtpd_reply(s, "554 5.5.1 Error: TLS already active");
		return -1;
	}
	if (!smtpd_tls_offer(s)) {
		smtpd_reply(s, "502 5.5.1 Error: command not implemented");
		return -1;
	}
	if (s->sender) {
		smtpd_reply(s, "503 5.5.1 Error: MAIL transaction in progress");
		return -1;
	}
	if (smtpd_anvil_starttls(s) < 0)
		return -1;
	/*
	 * commands pipelined after STARTTLS are logged as Postfix does, before
	 * the reply: after it the client's TLS hello may already be arriving
	 * (the main loop does not look again on the TLS stream)
	 */
	smtpd_pipelining(s, "STARTTLS", 1);
	smtpd_reply(s, "220 2.0.0 Ready to start TLS");
	smtpd_flush(s);
	/* what the client pipelined in plaintext must not count as protected (CVE-2011-0411) */
	mta_stream_discard_input(&s->in);
	if (s->dead)
		return lost(s, "STARTTLS");
	if (start(s, "STARTTLS") < 0)
		return -1;
	/* a new session: the client says EHLO again, and authenticates again */
	smtpd_helo_reset(s);
	smtpd_sasl_reset(s);
	return 0;
}

void smtpd_tls_received(struct smtpd *s, struct cfg_buf *comment, struct cfg_buf *proto)
{
	/*
	 * ESMTPS, ESMTPA, ESMTPSA (RFC 3848), UTF8SMTP... for a transaction that
	 * asked for SMTPUTF8 (RFC 6531); after HELO it stays SMTP, as in Postfix
	 */
	if (strcmp(s->protocol, "ESMTP") == 0)
		cfg_buf_printf(proto, "%s%s%s", s->smtputf8 ? "UTF8SMTP" : "ESMTP",
		               s->tls ? "S" : "", s->sasl_username ? "A" : "");
	else
		cfg_buf_adds(proto, s->protocol);
	if (s->tls && s->cfg->tls_received_header) {
		const struct mta_tls_info *i = mta_tls_info(s->tls);

		cfg_buf_printf(comment, "\t(using %s with cipher %s (%d/%d bits)", i->protocol,
		               i->cipher, i->bits, i->algbits);
		if (*i->details)
			cfg_buf_printf(comment, "\n\t%s", i->details);
		if (*i->client_sig)
			cfg_buf_printf(comment, "\n\t%s", i->client_sig);
		cfg_buf_adds(comment, ")");
		if (i->peer_cert)
			cfg_buf_printf(comment, "\n\t(Client CN \"%s\", Issuer \"%s\" (%s))",
			               i->peer_cn, i->issuer_cn,
			               i->peer_trusted ? "verified OK" : "not verified");
		else if (s->cfg->tls_ask_ccert)
			cfg_buf_adds(comment, "\n\t(Client did not present a certificate)");
		else
			cfg_buf_adds(comment, "\n\t(No client certificate requested)");
	}
	if (s->sasl_username && s->cfg->sasl_header) {
		if (comment->len)
			cfg_buf_adds(comment, "\n");
		cfg_buf_printf(comment, "\t(Authenticated sender: %s)", s->sasl_username);
	}
}

void smtpd_tls_end(struct smtpd *s)
{
	if (s->tls == NULL)
		return;
	mta_tls_attach(&s->in, NULL);
	mta_tls_attach(&s->out, NULL);
	mta_tls_free(s->tls, !s->in.err && !s->out.err);
	s->tls = NULL;
}
