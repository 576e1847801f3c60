/*
 * smtpd_policy.c - check_policy_service: the policy delegation protocol
 *
 * One client per policy service (as written in the restriction), kept
 * connected between requests: it is closed after smtpd_policy_service_max_idle
 * without use, smtpd_policy_service_max_ttl after it was opened, or
 * smtpd_policy_service_request_limit requests.  A request is tried up to
 * smtpd_policy_service_try_limit times, smtpd_policy_service_retry_delay
 * apart, within smtpd_policy_service_timeout each; when every try fails the
 * default action applies.  The action the server returns is acted on like an
 * access(5) table result.  The braced form {server, name=value, ...} sets
 * those limits, default_action and policy_context for one service.
 */
#include "config.h"

#include <errno.h>
#include <stddef.h>
#include <fcntl.h>
#include <netdb.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "cfg/base/xalloc.h"
#include "cfg/base/diag.h"
#include "cfg/param/list.h"
#include "cfg/param/units.h"
#include "log.h"
#include "netconn.h"
#include "smtpd.h"
#include "server.h"
#include "smtpd_check.h"

/* the errno-like code of a reply without an action (Postfix: "Application error") */
#define POLICY_EAPP (-1)

/* one policy service and its connection */
struct pclient {
	char *spec;     /* the restriction's argument, as written */
	char *endpoint; /* inet:host:port or unix:path */
	char *name;     /* host:port or path, as the log lines name it */
	char *default_action, *context;
	long timeout, max_idle, max_ttl, request_limit, try_limit, retry_delay;
	int fd;
	time_t opened, last;
	long count;
};

static struct pclient *clients;
static size_t nclients;
static struct pclient defaults; /* the smtpd_policy_service_* parameters */
static const char *queue_dir = "";
static unsigned instance_seq;

/* smtpdp_policy_init - the smtpd_policy_service_* defaults */
void smtpdp_policy_init(struct mta_conf *conf)
{
	const char *action = "", *context = "";
	const struct mta_setting tab[] = {
	    MTA_SET(CFG_P_smtpd_policy_service_timeout, &defaults.timeout),
	    MTA_SET(CFG_P_smtpd_policy_service_max_idle, &defaults.max_idle),
	    MTA_SET(CFG_P_smtpd_policy_service_max_ttl, &defaults.max_ttl),
	    MTA_SET(CFG_P_smtpd_policy_service_request_limit, &defaults.request_limit),
	    MTA_SET(CFG_P_smtpd_policy_service_try_limit, &defaults.try_limit),
	    MTA_SET(CFG_P_smtpd_policy_service_retry_delay, &defaults.retry_delay),
	    MTA_SET(CFG_P_smtpd_policy_service_default_action, &action),
	    MTA_SET(CFG_P_smtpd_policy_service_policy_context, &context),
	    MTA_SET(CFG_P_queue_directory, &queue_dir),
	    MTA_SETTINGS_END,
	};

	mta_conf_get(conf, tab);
	defaults.default_action = cfg_xstrdup(action);
	defaults.context = cfg_xstrdup(context);
}

/* set_attr - one name=value of the braced form; 0 or -1 (warned) */
static int set_attr(struct pclient *p, const char *item)
{
	static const struct {
		const char *name;
		size_t off;
		int is_time;
	} attrs[] = {
	    {"timeout", offsetof(struct pclient, timeout), 1},
	    {"max_idle", offsetof(struct pclient, max_idle), 1},
	    {"max_ttl", offsetof(struct pclient, max_ttl), 1},
	    {"request_limit", offsetof(struct pclient, request_limit), 0},
	    {"try_limit", offsetof(struct pclient, try_limit), 0},
	    {"retry_delay", offsetof(struct pclient, retry_delay), 1},
	};
	const char *eq = strchr(item, '=');
	size_t nl = eq ? (size_t)(eq - item) : 0;

	if (eq == NULL) {
		mta_warn("malformed option: missing '=' after attribute name: \"%s\"", item);
		return -1;
	}
	if (nl == 14 && strncmp(item, "default_action", nl) == 0) {
		free(p->default_action);
		p->default_action = cfg_xstrdup(eq + 1);
		return 0;
	}
	if (nl == 14 && strncmp(item, "policy_context", nl) == 0) {
		free(p->context);
		p->context = cfg_xstrdup(eq + 1);
		return 0;
	}
	for (size_t i = 0; i < sizeof(attrs) / sizeof(attrs[0]); i++) {
		long *out = (long *)(void *)((char *)p + attrs[i].off);
		char *end;

		if (strlen(attrs[i].name) != nl || strncmp(item, attrs[i].name, nl) != 0)
			continue;
		if (attrs[i].is_time ? cfg_time_parse(eq + 1, 's', out) == 0 && *out > 0
		                     : (*out = strtol(eq + 1, &end, 10), *end == '\0' && eq[1]))
			return 0;
		mta_warn("invalid attribute value: \"%s\"", item);
		return -1;
	}
	mta_warn("unknown attribute name: \"%.*s\"", (int)nl, item);
	return -1;
}

/* client_for - the client of a restriction argument, made on first use; NULL (warned) */
static struct pclient *client_for(const char *spec)
{
	struct pclient p = defaults;
	struct cfg_strvec items;
	struct cfg_diags ds;
	int bad = 0;

	for (size_t i = 0; i < nclients; i++)
		if (strcmp(clients[i].spec, spec) == 0)
			return &clients[i];
	/* the braced form splits like a list: {server, name=value, {name=value with blanks}} */
	cfg_strvec_init(&items);
	cfg_diags_init(&ds);
	if (cfg_list_split(spec, &items, NULL, &ds) < 0 || items.n == 0) {
		mta_warn("malformed policy service: \"%s\"", spec);
		bad = 1;
	}
	p.default_action = cfg_xstrdup(defaults.default_action);
	p.context = cfg_xstrdup(defaults.context);
	for (size_t i = 1; i < items.n && !bad; i++)
		if (set_attr(&p, items.v[i]) < 0)
			bad = 1;
	if (!bad && strncmp(items.v[0], "inet:", 5) != 0 && strncmp(items.v[0], "unix:", 5) != 0) {
		mta_warn("unsupported policy service transport: \"%s\"", items.v[0]);
		bad = 1;
	}
	if (!bad) {
		p.endpoint = cfg_xstrdup(items.v[0]);
		p.name = cfg_xstrdup(p.endpoint + 5);
		p.spec = cfg_xstrdup(spec);
		p.fd = -1;
		p.count = 0;
		clients = cfg_xreallocarray(clients, nclients + 1, sizeof(*clients));
		clients[nclients] = p;
	} else {
		free(p.default_action);
		free(p.context);
	}
	cfg_diags_fini(&ds);
	cfg_strvec_fini(&items);
	return bad ? NULL : &clients[nclients++];
}

/* disconnect - close a client's connection */
static void disconnect(struct pclient *p)
{
	if (p->fd >= 0)
		close(p->fd);
	p->fd = -1;
}

/* open_socket - a non-blocking socket connected to the endpoint; fd or -1 (errno) */
static int open_socket(const struct pclient *p, time_t deadline)
{
	char path[4096];

	if (p->endpoint[0] != 'u')
		return netconn_open(p->name, 0, deadline);
	/* in a chroot jail the working directory "/" is queue_directory: private/x as it is */
	if (p->name[0] == '/' || mta_server_jailed())
		snprintf(path, sizeof(path), "%s", p->name);
	else
		snprintf(path, sizeof(path), "%s/%s", queue_dir, p->name);
	return netconn_open(path, 1, deadline);
}

/* exchange - send a request and read the reply up to its empty line; 0 or -1 (errno, 0 at EOF) */
static int exchange(struct pclient *p, const struct cfg_buf *req, struct cfg_buf *reply,
                    time_t deadline)
{
	size_t off = 0;
	char chunk[4096];

	while (off < req->len) {
		ssize_t n = send(p->fd, req->data + off, req->len - off, MSG_NOSIGNAL);

		if (n < 0 && (errno == EAGAIN || errno == EINTR)) {
			if (netconn_wait(p->fd, POLLOUT, deadline) < 0)
				return -1;
			continue;
		}
		if (n < 0)
			return -1;
		off += (size_t)n;
	}
	cfg_buf_reset(reply);
	while (!(reply->len == 1 && reply->data[0] == '\n')
	       && (reply->len < 2 || strcmp(reply->data + reply->len - 2, "\n\n") != 0)) {
		ssize_t n = recv(p->fd, chunk, sizeof(chunk), 0);

		if (n < 0 && (errno == EAGAIN || errno == EINTR)) {
			if (netconn_wait(p->fd, POLLIN, deadline) < 0)
				return -1;
			continue;
		}
		if (n <= 0) {
			if (n == 0)
				errno = 0;
			return -1;
		}
		cfg_buf_add(reply, chunk, (size_t)n);
	}
	return 0;
}

/* find_action - the value of action= in a reply, copied into out; 0 or -1 */
static int find_action(const char *reply, struct cfg_buf *out)
{
	const char *line = reply;

	while (*line && *line != '\n') {
		size_t n = strcspn(line, "\n");

		if (strncmp(line, "action=", 7) == 0) {
			cfg_buf_reset(out);
			cfg_buf_add(out, line + 7, n - 7);
			return 0;
		}
		line += n + (line[n] == '\n');
	}
	return -1;
}

/* try_once - one try of a request; 0 with the action, or -1 with an errno-like code */
static int try_once(struct pclient *p, time_t session_start, const struct cfg_buf *req,
                    struct cfg_buf *action, int *err)
{
	time_t now = time(NULL), deadline = now + p->timeout;
	struct cfg_buf reply;
	int rc = -1;

	/*
	 * As in Postfix, the idle and lifetime limits take effect between
	 * sessions (when smtpd waits for the next client), never in the middle
	 * of one; the request limit applies at once.
	 */
	if (p->fd >= 0
	    && (p->last + p->max_idle < session_start || p->opened + p->max_ttl < session_start
	        || (p->request_limit > 0 && p->count >= p->request_limit)))
		disconnect(p);
	if (p->fd < 0) {
		if ((p->fd = open_socket(p, deadline)) < 0) {
			*err = errno;
			mta_warn("connect to %s: %s", p->name, strerror(errno));
			return -1;
		}
		p->opened = now;
		p->count = 0;
	}
	cfg_buf_init(&reply);
	if (exchange(p, req, &reply, deadline) < 0) {
		*err = errno;
	} else if (find_action(reply.data, action) < 0) {
		mta_warn("missing attribute action in input from %s", p->name);
		*err = POLICY_EAPP;
	} else {
		rc = 0;
	}
	cfg_buf_fini(&reply);
	if (rc < 0) {
		disconnect(p);
		return -1;
	}
	p->last = time(NULL);
	p->count++;
	return 0;
}

/* query - a request with retries; the action, or the default action */
static void query(struct pclient *p, time_t session_start, const struct cfg_buf *req,
                  struct cfg_buf *action)
{
	for (long n = 1; n <= p->try_limit; n++) {
		int err = 0;

		if (try_once(p, session_start, req, action, &err) == 0)
			return;
		if (n >= p->try_limit
		    || (err != 0 && err != EPIPE && err != ENOENT && err != ECONNRESET
		        && err != POLICY_EAPP))
			mta_warn("problem talking to server %s: %s", p->name,
			         err == POLICY_EAPP ? "Application error"
			         : err == 0         ? "Unexpected end of input"
			                            : strerror(err));
		if (n < p->try_limit)
			sleep((unsigned)p->retry_delay);
	}
	cfg_buf_reset(action);
	cfg_buf_adds(action, p->default_action);
}

/* add - one name=value line of a request */
static void add(struct cfg_buf *b, const char *name, const char *value)
{
	cfg_buf_printf(b, "%s=%s\n", name, value ? value : "");
}

/* instance - the transaction's instance attribute, made at its first request */
static const char *instance(struct smtpd *s)
{
	struct timeval tv;

	if (s->sender == NULL)
		return "";
	if (s->instance[0] == '\0') {
		gettimeofday(&tv, NULL);
		snprintf(s->instance, sizeof(s->instance), "%x.%lx.%lx.%x", (unsigned)getpid(),
		         (unsigned long)tv.tv_sec, (unsigned long)tv.tv_usec, instance_seq++);
	}
	return s->instance;
}

/* build_request - the attributes Postfix 3.7 sends, in its order */
static void build_request(struct ck *c, const struct pclient *p, struct cfg_buf *b)
{
	struct smtpd *s = c->s;
	const struct mta_tls_info *ti = s->tls ? mta_tls_info(s->tls) : NULL;
	const struct mta_tls_info *ci = ti && ti->peer_cert ? ti : NULL;
	char num[64];

	add(b, "request", "smtpd_access_policy");
	add(b, "protocol_state", c->list_subject == SUBJ_EOD ? "END-OF-MESSAGE" : s->where);
	/* EHLO's own restrictions run before it makes the session ESMTP */
	add(b, "protocol_name",
	    s->protocol == NULL || strcmp(s->where, "EHLO") == 0 ? "SMTP" : s->protocol);
	add(b, "client_address", s->addr);
	add(b, "client_name", s->name);
	add(b, "client_port", s->port);
	add(b, "reverse_client_name", s->rev_name);
	add(b, "server_address", s->srv_addr);
	add(b, "server_port", s->srv_port);
	add(b, "helo_name", s->helo);
	add(b, "sender", s->sender);
	add(b, "recipient", c->rcpt_int);
	snprintf(num, sizeof(num), "%zu", s->nrcpt);
	add(b, "recipient_count", num);
	add(b, "queue_id", s->qid);
	add(b, "instance", instance(s));
	/* at the end of DATA the content's size, without the "." line */
	snprintf(num, sizeof(num), "%llu",
	         c->list_subject != SUBJ_EOD       ? (unsigned long long)s->size_param
	         : s->in_bdat || s->data_bytes < 3 ? s->data_bytes
	                                           : s->data_bytes - 3);
	add(b, "size", num);
	add(b, "etrn_domain", c->etrn);
	add(b, "stress", "");
	add(b, "sasl_method", s->sasl_method);
	add(b, "sasl_username", s->sasl_username);
	add(b, "sasl_sender", s->sasl_sender);
	add(b, "ccert_subject", ci ? ci->peer_cn : "");
	add(b, "ccert_issuer", ci ? ci->issuer_cn : "");
	add(b, "ccert_fingerprint", ci ? ci->cert_fpt : "");
	add(b, "ccert_pubkey_fingerprint", ci ? ci->pkey_fpt : "");
	add(b, "encryption_protocol", ti ? ti->protocol : "");
	add(b, "encryption_cipher", ti ? ti->cipher : "");
	snprintf(num, sizeof(num), "%d", ti ? ti->bits : 0);
	add(b, "encryption_keysize", num);
	add(b, "policy_context", p->context);
	cfg_buf_adds(b, "\n");
}

/* smtpdp_policy - check_policy_service SERVER: ask, then act on the action */
enum verdict smtpdp_policy(struct ck *c, const struct relem *e)
{
	struct pclient *p;
	struct cfg_buf req, action;
	enum verdict v;

	if (e->arg == NULL) {
		mta_warn("restriction %s requires a server argument", e->word);
		return smtpdp_config_error(c, c->list_subject, 0);
	}
	if ((p = client_for(e->arg)) == NULL)
		return smtpdp_config_error(c, c->list_subject, 0);
	if (smtpd_offline)
		return V_DUNNO;
	cfg_buf_init(&req);
	cfg_buf_init(&action);
	build_request(c, p, &req);
	query(p, c->s->start, &req, &action);
	v = smtpdp_access_result(c, action.data, c->list_subject, c->s->where);
	cfg_buf_fini(&action);
	cfg_buf_fini(&req);
	return v;
}
