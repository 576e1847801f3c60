/* smtp_conn.c - sessions: connect, greeting, EHLO/HELO/LHLO, replies, QUIT (see smtp.h) */
#include "config.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "cfg/base/xalloc.h"
#include "event.h"
#include "log.h"
#include "smtp.h"

#define REPLY_MAX_LINES 100

/* bind_to - smtp_bind_address / smtp_bind_address6 before connecting; 0 or -1 */
static int bind_to(struct smtp_cfg *cfg, int fd, int family)
{
	const char *want = family == AF_INET ? cfg->bind_address : cfg->bind_address6;
	struct sockaddr_storage ss;
	socklen_t len;

	if (family == AF_UNIX || want == NULL || *want == '\0')
		return 0;
	memset(&ss, 0, sizeof(ss));
	if (family == AF_INET) {
		struct sockaddr_in *sin = (struct sockaddr_in *)&ss;

		sin->sin_family = AF_INET;
		if (inet_pton(AF_INET, want, &sin->sin_addr) != 1) {
			mta_warn("%s: numerical IPv4 address required: %s",
			         cfg->lmtp ? "lmtp_bind_address" : "smtp_bind_address", want);
			return 0;
		}
		len = sizeof(*sin);
	} else {
		struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)&ss;

		sin6->sin6_family = AF_INET6;
		if (inet_pton(AF_INET6, want, &sin6->sin6_addr) != 1) {
			mta_warn("%s: numerical IPv6 address required: %s",
			         cfg->lmtp ? "lmtp_bind_address6" : "smtp_bind_address6", want);
			return 0;
		}
		len = sizeof(*sin6);
	}
	if (bind(fd, (struct sockaddr *)&ss, len) < 0) {
		mta_warn("%s: bind %s: %m", cfg->name, want);
		return -1;
	}
	return 0;
}

/* timed_connect - connect within timeout seconds (0: the kernel's limit); 0 or -1 with errno */
static int timed_connect(int fd, const struct smtp_addr *a, long timeout)
{
	struct pollfd p = {.fd = fd, .events = POLLOUT};
	int flags = fcntl(fd, F_GETFL), err = 0, n;
	socklen_t elen = sizeof(err);

	if (timeout <= 0)
		return connect(fd, (const struct sockaddr *)&a->sa, a->salen);
	fcntl(fd, F_SETFL, flags | O_NONBLOCK);
	if (connect(fd, (const struct sockaddr *)&a->sa, a->salen) == 0)
		goto ok;
	if (errno != EINPROGRESS)
		return -1;
	while ((n = poll(&p, 1, (int)(timeout * 1000))) < 0 && errno == EINTR)
		;
	if (n == 0) {
		errno = ETIMEDOUT;
		return -1;
	}
	if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &elen) < 0 || err != 0) {
		errno = err ? err : EIO;
		return -1;
	}
ok:
	fcntl(fd, F_SETFL, flags);
	return 0;
}

int smtp_reply(struct smtp_session *sess, long timeout)
{
	struct cfg_buf line;
	int code = -1;

	cfg_buf_init(&line);
	cfg_buf_reset(&sess->reply);
	cfg_strvec_clear(&sess->lines);
	sess->st.timeout = (int)timeout;
	for (int n = 0; n < REPLY_MAX_LINES; n++) {
		int eol = 0, more;
		char *p;

		cfg_buf_reset(&line);
		if (mta_stream_gets(&sess->st, &line, 4096, &eol) == 0) {
			code = -1;
			break;
		}
		while (line.len
		       && (line.data[line.len - 1] == '\n' || line.data[line.len - 1] == '\r'))
			cfg_buf_truncate(&line, line.len - 1);
		for (p = line.data; *p; p++)
			if (!isprint((unsigned char)*p) && *p != '\t')
				*p = '?';
		more = line.len > 3 && line.data[3] == '-';
		cfg_strvec_add(&sess->lines, line.len > 4 ? line.data + 4 : "");
		if (n == 0) {
			code = line.len >= 3 && isdigit((unsigned char)line.data[0])
			               && isdigit((unsigned char)line.data[1])
			               && isdigit((unsigned char)line.data[2])
			           ? (line.data[0] - '0') * 100 + (line.data[1] - '0') * 10
			                 + (line.data[2] - '0')
			           : 0;
			cfg_buf_add(&sess->reply, line.data, line.len);
		} else {
			/* Postfix quotes a multi-line reply as its lines, codes and all, one space apart */
			cfg_buf_printf(&sess->reply, " %s", line.data);
		}
		if (!more)
			break;
		if (!eol)
			break;
	}
	cfg_buf_fini(&line);
	if (code < 0)
		sess->broken = 1;
	return code;
}

void smtp_lost(struct smtp_session *sess, const char *while_, struct cfg_buf *why)
{
	cfg_buf_reset(why);
	if (sess->st.err == ETIMEDOUT)
		cfg_buf_printf(why, "conversation with %s timed out while %s", sess->label, while_);
	else
		cfg_buf_printf(why, "lost connection with %s while %s", sess->label, while_);
	sess->broken = 1;
}

void smtp_reply_dsn(const struct smtp_session *sess, char *dsn, size_t len)
{
	const char *t = sess->reply.len > 4 ? sess->reply.data + 4 : "";
	char cls = sess->reply.len ? sess->reply.data[0] : '4';
	size_t n = 0;

	if (cls != '2' && cls != '4' && cls != '5')
		cls = '4';
	/* "5.1.1 ..." after the code: x.y.z with 1-3 digit parts */
	if ((t[0] == '2' || t[0] == '4' || t[0] == '5') && t[1] == '.') {
		size_t a = strspn(t + 2, "0123456789"), b;

		if (a >= 1 && a <= 3 && t[2 + a] == '.') {
			b = strspn(t + 3 + a, "0123456789");
			if (b >= 1 && b <= 3 && (t[3 + a + b] == ' ' || t[3 + a + b] == '\0'))
				n = 3 + a + b;
		}
	}
	if (n && n < len) {
		memcpy(dsn, t, n);
		dsn[n] = '\0';
		dsn[0] = cls;
	} else {
		snprintf(dsn, len, "%c.0.0", cls);
	}
}

/* ehlo_features - the keywords of an EHLO/LHLO reply (minus the discarded ones) */
static void ehlo_features(struct smtp_cfg *cfg, struct smtp_session *sess)
{
	/* the first line greets; each further line is "KEYWORD [params]" */
	for (size_t i = 1; i < sess->lines.n; i++) {
		struct cfg_strvec w;
		int skip = 0;

		cfg_strvec_init(&w);
		cfg_strvec_split(&w, sess->lines.v[i], " \t");
		for (size_t d = 0; w.n > 0 && d < cfg->discard_ehlo.n; d++)
			if (strcasecmp(cfg->discard_ehlo.v[d], w.v[0]) == 0)
				skip = 1;
		if (w.n == 0 || skip) {
			cfg_strvec_fini(&w);
			continue;
		}
		if (strcasecmp(w.v[0], "STARTTLS") == 0)
			sess->features |= SMTP_F_STARTTLS;
		else if (strcasecmp(w.v[0], "AUTH") == 0 || strncasecmp(w.v[0], "AUTH=", 5) == 0) {
			/* "AUTH PLAIN LOGIN", or the old "AUTH=PLAIN LOGIN" */
			sess->features |= SMTP_F_AUTH;
			if (w.v[0][4] == '=' && w.v[0][5])
				cfg_strvec_add(&sess->auth, w.v[0] + 5);
			for (size_t k = 1; k < w.n; k++)
				cfg_strvec_add(&sess->auth, w.v[k]);
		} else if (strcasecmp(w.v[0], "XFORWARD") == 0)
			sess->xforward = smtp_xforward_feature(&w);
		else if (strcasecmp(w.v[0], "PIPELINING") == 0)
			sess->features |= SMTP_F_PIPELINING;
		else if (strcasecmp(w.v[0], "8BITMIME") == 0)
			sess->features |= SMTP_F_8BITMIME;
		else if (strcasecmp(w.v[0], "DSN") == 0)
			sess->features |= SMTP_F_DSN;
		else if (strcasecmp(w.v[0], "SMTPUTF8") == 0)
			sess->features |= SMTP_F_SMTPUTF8;
		else if (strcasecmp(w.v[0], "SIZE") == 0) {
			sess->features |= SMTP_F_SIZE;
			if (w.n > 1 && isdigit((unsigned char)w.v[1][0]))
				sess->size_limit = strtol(w.v[1], NULL, 10);
		}
		cfg_strvec_fini(&w);
	}
}

/* smtp_say - send one command line ("VERB" or "VERB arg") now; 0 or -1 */
int smtp_say(struct smtp_session *sess, long timeout, const char *verb, const char *arg)
{
	sess->st.timeout = (int)timeout;
	if (arg)
		mta_stream_printf(&sess->st, "%s %s\r\n", verb, arg);
	else
		mta_stream_printf(&sess->st, "%s\r\n", verb);
	return mta_stream_flush(&sess->st);
}

/* handshake - greeting and EHLO/HELO/LHLO; 0, or -1 with *hard, dsn and why */
static int handshake(struct smtp_state *s, struct smtp_session *sess, int *hard, char *dsn,
                     size_t dsnlen, struct cfg_buf *why)
{
	struct smtp_cfg *cfg = s->cfg;
	const char *hello = cfg->lmtp ? "LHLO" : cfg->never_ehlo ? "HELO" : "EHLO";
	int code = smtp_reply(sess, cfg->helo_timeout);

	if (code < 0) {
		smtp_lost(sess, "receiving the initial server greeting", why);
		snprintf(dsn, dsnlen, "4.4.2");
		return -1;
	}
	if (code / 100 != 2) {
		smtp_reply_dsn(sess, dsn, dsnlen);
		*hard = code / 100 == 5 && !cfg->skip_5xx_greeting;
		if (!*hard)
			dsn[0] = '4';
		cfg_buf_reset(why);
		cfg_buf_printf(why, "host %s refused to talk to me: %s", sess->label,
		               sess->reply.data);
		return -1;
	}
	for (;;) {
		char while_[64];

		snprintf(while_, sizeof(while_), "performing the %s handshake", hello);
		if (smtp_say(sess, cfg->helo_timeout, hello, cfg->helo_name) < 0
		    || (code = smtp_reply(sess, cfg->helo_timeout)) < 0) {
			smtp_lost(sess, while_, why);
			snprintf(dsn, dsnlen, "4.4.2");
			return -1;
		}
		if (code / 100 == 2) {
			if (strcmp(hello, "HELO") != 0) {
				sess->features |= SMTP_F_ESMTP;
				ehlo_features(cfg, sess);
			}
			return 0;
		}
		if (strcmp(hello, "EHLO") == 0) {
			hello = "HELO"; /* a server without ESMTP */
			continue;
		}
		smtp_reply_dsn(sess, dsn, dsnlen);
		*hard = code / 100 == 5;
		cfg_buf_reset(why);
		cfg_buf_printf(why, "host %s said: %s (in reply to %s command)", sess->label,
		               sess->reply.data, hello);
		return -1;
	}
}

int smtp_ehlo(struct smtp_state *s, struct smtp_session *sess, char *dsn, size_t dsnlen,
              struct cfg_buf *why)
{
	const char *hello = s->cfg->lmtp ? "LHLO" : "EHLO";
	int code;

	/* what the server said before TLS counts no more */
	sess->features = 0;
	sess->xforward = 0;
	sess->size_limit = 0;
	cfg_strvec_clear(&sess->auth);
	if (smtp_say(sess, s->cfg->helo_timeout, hello, s->cfg->helo_name) < 0
	    || (code = smtp_reply(sess, s->cfg->helo_timeout)) < 0) {
		smtp_lost(sess,
		          s->cfg->lmtp ? "performing the LHLO handshake"
		                       : "performing the EHLO handshake",
		          why);
		snprintf(dsn, dsnlen, "4.4.2");
		return -1;
	}
	if (code / 100 != 2) {
		smtp_reply_dsn(sess, dsn, dsnlen);
		dsn[0] = '4';
		cfg_buf_reset(why);
		cfg_buf_printf(why, "host %s said: %s (in reply to %s command)", sess->label,
		               sess->reply.data, hello);
		return -1;
	}
	sess->features |= SMTP_F_ESMTP;
	ehlo_features(s->cfg, sess);
	return 0;
}

/* session_new - a session over a connected descriptor */
static struct smtp_session *session_new(int fd, const struct smtp_addr *a, const char *dest)
{
	struct smtp_session *sess = cfg_xcalloc(1, sizeof(*sess));

	sess->fd = fd;
	sess->where = *a;
	sess->dest = cfg_xstrdup(dest);
	sess->opened = mta_now();
	cfg_buf_init(&sess->reply);
	cfg_strvec_init(&sess->lines);
	cfg_strvec_init(&sess->auth);
	mta_stream_init(&sess->st, fd, 0);
	snprintf(sess->label, sizeof(sess->label), "%s[%s]", a->host, a->addr);
	if (a->family == AF_UNIX)
		snprintf(sess->relay, sizeof(sess->relay), "%s", sess->label);
	else
		snprintf(sess->relay, sizeof(sess->relay), "%s:%u", sess->label, a->port);
	return sess;
}

/* session_free - close and release */
static void session_free(struct smtp_session *sess)
{
	mta_tls_free(sess->tls, !sess->broken);
	mta_tls_ctx_free(sess->own_ctx);
	mta_stream_fini(&sess->st);
	cfg_strvec_fini(&sess->auth);
	close(sess->fd);
	cfg_buf_fini(&sess->reply);
	cfg_strvec_fini(&sess->lines);
	free(sess->dest);
	smtp_tls_policy_free(sess->policy);
	free(sess);
}

struct smtp_session *smtp_connect(struct smtp_state *s, const struct smtp_addr *a, const char *dest,
                                  int *hard, char *dsn, size_t dsnlen, struct cfg_buf *why)
{
	struct smtp_cfg *cfg = s->cfg;
	struct smtp_session *sess;
	struct smtp_tls_policy *policy;
	int fd;

	*hard = 0;
	if ((policy = smtp_tls_policy(s, a, dsn, dsnlen, why)) == NULL) {
		s->no_relay = 1;
		return NULL;
	}
	fd = socket(a->family, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0 || bind_to(cfg, fd, a->family) < 0
	    || timed_connect(fd, a, a->family == AF_UNIX ? 0 : cfg->connect_timeout) < 0) {
		if (a->family == AF_UNIX)
			cfg_buf_printf(why, "connect to %s[%s]: %s", a->host, a->addr,
			               strerror(errno));
		else
			cfg_buf_printf(why, "connect to %s[%s]:%u: %s", a->host, a->addr, a->port,
			               strerror(errno));
		mta_info("%s", why->data);
		snprintf(dsn, dsnlen, "4.4.1");
		if (fd >= 0)
			close(fd);
		smtp_tls_policy_free(policy);
		return NULL;
	}
	sess = session_new(fd, a, dest);
	sess->policy = policy;
	if (handshake(s, sess, hard, dsn, dsnlen, why) < 0
	    || smtp_secure(s, sess, hard, dsn, dsnlen, why) < 0) {
		smtp_quit(cfg, sess);
		return NULL;
	}
	return sess;
}

int smtp_rset(struct smtp_cfg *cfg, struct smtp_session *sess)
{
	if (sess->broken || smtp_say(sess, cfg->rset_timeout, "RSET", NULL) < 0
	    || smtp_reply(sess, cfg->rset_timeout) / 100 != 2) {
		sess->broken = 1;
		return -1;
	}
	return 0;
}

void smtp_quit(struct smtp_cfg *cfg, struct smtp_session *sess)
{
	if (sess == NULL)
		return;
	if (!sess->broken && smtp_say(sess, cfg->quit_timeout, "QUIT", NULL) == 0
	    && !cfg->skip_quit_response)
		(void)smtp_reply(sess, cfg->quit_timeout);
	session_free(sess);
}
