/* smtpd_milter.c - smtpd_milters: the SMTP events and the message to the mail filters (see smtpd.h) */
#include "config.h"

#include <arpa/inet.h>
#include <netdb.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>

#include "cfg/base/xalloc.h"
#include "cleanup_engine/cleanup_engine.h"
#include "log.h"
#include "maps.h"
#include "milter.h"
#include "smtpd.h"

/*
 * With filters, smtpd keeps the message in memory until the end of DATA
 * (message_size_limit bounds it): the filters see the client's headers and
 * body, their edits change that copy and the envelope, and only then does
 * the cleanup engine write the queue file.  A connect- or HELO-time refusal
 * is remembered and given at MAIL, as Postfix does.
 */
struct smtpd_milter {
	struct cfg_buf content; /* the message as received (LF line ends) */
	const char *rcpt;       /* the recipient of the RCPT event, for {rcpt_*} */
	struct rslv_result res; /* scratch for {mail_host} & co. */
	char value[512];
	int in_content; /* the message phase: no envelope macros, as in Postfix's cleanup */
	const char *daemon_name, *macro_v;
	struct milters *f; /* smtpd_milters, or this client's from smtpd_milter_maps */
	int own;           /* f was made for this session */
};

static struct milters *filters;       /* smtpd_milters, per process */
static struct cfg_strvec milter_maps; /* smtpd_milter_maps */
static struct mta_conf *srv_conf;
static const char *daemon_name, *macro_v;

void smtpd_milter_init(struct mta_server *srv)
{
	const char *ro = mta_conf_text(&srv->conf, CFG_P_receive_override_options);

	if (ro && strstr(ro, "no_milters"))
		return;
	filters = milters_new(&srv->conf, "smtpd_milters");
	cfg_strvec_init(&milter_maps);
	mta_conf_list(&srv->conf, CFG_P_smtpd_milter_maps, &milter_maps);
	srv_conf = &srv->conf;
	daemon_name = mta_conf_str(&srv->conf, CFG_P_milter_macro_daemon_name);
	macro_v = mta_conf_str(&srv->conf, CFG_P_milter_macro_v);
}

/* resolved - the transport or next hop of an address, for {mail_mailer} & co. */
static const char *resolved(struct smtpd *s, const char *addr, int mailer)
{
	struct smtpd_milter *mt = s->milt;

	if (addr == NULL || *addr == '\0' || s->cfg->rslv == NULL)
		return NULL;
	if (rslv_resolve(s->cfg->rslv, addr, &mt->res) < 0)
		return NULL;
	snprintf(mt->value, sizeof(mt->value), "%s",
	         mailer ? mt->res.transport.data : mt->res.nexthop.data);
	return mt->value;
}

/* macro - the value of one macro in this session (NULL when it has none) */
static const char *macro(void *arg, const char *name)
{
	struct smtpd *s = arg;
	struct smtpd_milter *mt = s->milt;
	static const char *const simple[] = {"j",
	                                     "{daemon_name}",
	                                     "v",
	                                     "{daemon_addr}",
	                                     "i",
	                                     "{client_addr}",
	                                     "{client_name}",
	                                     "{client_port}",
	                                     "{client_ptr}",
	                                     "{auth_type}",
	                                     "{auth_authen}",
	                                     "{auth_author}",
	                                     "{mail_addr}",
	                                     "{rcpt_addr}",
	                                     NULL};
	const char *vals[] = {s->cfg->myhostname,
	                      mt->daemon_name,
	                      mt->macro_v,
	                      s->srv_addr,
	                      s->qid,
	                      s->addr,
	                      s->name,
	                      s->port,
	                      s->rev_name,
	                      s->sasl_method,
	                      s->sasl_username,
	                      s->sasl_sender,
	                      s->sender,
	                      mt->rcpt};

	if (mt->in_content && (strncmp(name, "{mail_", 6) == 0 || strncmp(name, "{rcpt_", 6) == 0))
		return NULL;
	for (size_t i = 0; simple[i]; i++)
		if (strcmp(name, simple[i]) == 0)
			return vals[i];
	if (strcmp(name, "_") == 0) {
		snprintf(mt->value, sizeof(mt->value), "%s [%s]", s->name, s->addr);
		return mt->value;
	}
	if (strcmp(name, "{mail_host}") == 0 || strcmp(name, "{mail_mailer}") == 0)
		return resolved(s, s->sender, name[6] == 'm');
	if (strcmp(name, "{rcpt_host}") == 0 || strcmp(name, "{rcpt_mailer}") == 0)
		return resolved(s, mt->rcpt, name[6] == 'm');
	return NULL;
}

/* log_result - "milter-reject:" or "milter-hold:" for a refusal or a hold at a stage */
static void log_result(struct smtpd *s, const char *stage, const char *r, const char *rcpt)
{
	if (strcmp(r, "H") == 0)
		smtpd_log_reject(s, "milter-hold", stage, "milter triggers HOLD action", rcpt);
	else if (strcmp(r, MILTER_DISCARD) == 0)
		smtpd_log_reject(s, "milter-discard", stage, "milter triggers DISCARD action",
		                 rcpt);
	else
		smtpd_log_reject(s, "milter-reject", stage, r, rcpt);
}

/* outcome - act on an event's result: NULL go on, else the refusal (hold and discard go on) */
static const char *outcome(struct smtpd *s, const char *stage, const char *r, const char *rcpt)
{
	if (r == NULL)
		return NULL;
	log_result(s, stage, r, rcpt);
	if (strcmp(r, "H") == 0) {
		s->hold = 1;
		return NULL;
	}
	if (strcmp(r, MILTER_DISCARD) == 0) {
		s->discard = 1;
		return NULL;
	}
	return r;
}

/*
 * session_filters - the client's filters: smtpd_milter_maps by client
 * address ("DISABLE": none), else smtpd_milters.  *own is set when the list
 * was made for this session; *deny gets a reply when the table failed.
 */
static struct milters *session_filters(struct smtpd *s, int *own, const char **deny)
{
	const char *v;
	int rc;

	*own = 0;
	*deny = NULL;
	if (milter_maps.n == 0 || (rc = mta_maps_get(&milter_maps, s->addr, &v)) == 0)
		return filters;
	if (rc < 0) {
		/* fail closed: without the table we cannot tell which filters apply */
		mta_warn("smtpd_milter_maps: table lookup problem for %s", s->addr);
		*deny = "451 4.3.0 Server configuration error";
		return NULL;
	}
	if (strcasecmp(v, "DISABLE") == 0)
		return NULL;
	*own = 1;
	return milters_new_value(srv_conf, "smtpd_milter_maps", v);
}

void smtpd_milter_connect(struct smtpd *s)
{
	const char *r, *deny;
	struct milters *f;
	int own;

	if ((filters == NULL && milter_maps.n == 0) || s->srv->standalone)
		return;
	f = session_filters(s, &own, &deny);
	if (f == NULL && deny == NULL)
		return;
	s->milt = cfg_xcalloc(1, sizeof(*s->milt));
	s->milt->f = f;
	s->milt->own = own;
	cfg_buf_init(&s->milt->content);
	rslv_result_init(&s->milt->res);
	s->milt->daemon_name = daemon_name;
	s->milt->macro_v = macro_v;
	r = f ? milter_connect(f, macro, s, s->name, s->addr, s->port) : deny;
	if ((r = outcome(s, "CONNECT", r, NULL)) != NULL)
		s->milter_deny = cfg_xstrdup(r);
}

int smtpd_milter_helo(struct smtpd *s, const char *cmd)
{
	const char *r;

	if (s->milt == NULL)
		return 0;
	if (s->milter_deny == NULL) {
		r = outcome(s, cmd, milter_helo(s->milt->f, s->helo), NULL);
		if (r)
			s->milter_deny = cfg_xstrdup(r);
	} else {
		log_result(s, cmd, s->milter_deny, NULL);
	}
	return 0;
}

int smtpd_milter_mail(struct smtpd *s, const struct cfg_strvec *params)
{
	struct cfg_strvec argv;
	const char *r = s->milter_deny;

	if (s->milt == NULL)
		return 0;
	if (r == NULL) {
		cfg_strvec_init(&argv);
		cfg_strvec_take(&argv, cfg_xasprintf("<%s>", s->sender_ext));
		for (size_t i = 0; i < params->n; i++)
			cfg_strvec_add(&argv, params->v[i]);
		r = outcome(s, "MAIL", milter_mail(s->milt->f, &argv), NULL);
		cfg_strvec_fini(&argv);
	} else {
		log_result(s, "MAIL", r, NULL);
	}
	if (r == NULL)
		return 0;
	smtpd_reply(s, "%s", r);
	smtpd_transaction_reset(s);
	return -1;
}

int smtpd_milter_rcpt(struct smtpd *s, const char *internal, const char *external,
                      const struct cfg_strvec *params)
{
	struct cfg_strvec argv;
	const char *r;

	if (s->milt == NULL)
		return 0;
	cfg_strvec_init(&argv);
	cfg_strvec_take(&argv, cfg_xasprintf("<%s>", external));
	for (size_t i = 0; i < params->n; i++)
		cfg_strvec_add(&argv, params->v[i]);
	s->milt->rcpt = internal;
	r = outcome(s, "RCPT", milter_rcpt(s->milt->f, &argv), external);
	s->milt->rcpt = NULL;
	cfg_strvec_fini(&argv);
	if (r == NULL)
		return 0;
	smtpd_reply(s, "%s", r);
	return -1;
}

int smtpd_milter_data(struct smtpd *s, const char *stage)
{
	const char *r;

	if (s->milt == NULL)
		return 0;
	cfg_buf_reset(&s->milt->content);
	/* smtpd names the first recipient, as Postfix's does */
	r = outcome(s, stage, milter_data(s->milt->f), s->nrcpt ? s->rcpt[0].external : NULL);
	if (r == NULL)
		return 0;
	smtpd_reply(s, "%s", r);
	return -1;
}

int smtpd_milter_put(struct smtpd *s, const char *data, size_t len)
{
	if (s->milt == NULL)
		return 0;
	cfg_buf_add(&s->milt->content, data, len);
	return 1;
}

/* vec_insert0 - put h (owned) first */
static void vec_insert0(struct cfg_strvec *v, char *h)
{
	cfg_strvec_take(v, h);
	memmove(v->v + 1, v->v, (v->n - 1) * sizeof(*v->v));
	v->v[0] = h;
}

/* apply_envelope - a filter's change of sender and recipients, to the transaction */
static void apply_envelope(struct smtpd *s, struct milter_msg *msg)
{
	size_t keep = 0;

	if (strcmp(msg->sender, s->sender) != 0) {
		free(s->sender);
		free(s->sender_ext);
		s->sender = cfg_xstrdup(msg->sender);
		s->sender_ext = cfg_xstrdup(msg->sender);
	}
	for (size_t i = 0; i < s->nrcpt; i++) {
		int gone = 0;

		for (size_t k = 0; k < msg->deleted.n && !gone; k++)
			gone = strcasecmp(msg->deleted.v[k], s->rcpt[i].internal) == 0;
		if (gone) {
			free(s->rcpt[i].internal);
			free(s->rcpt[i].external);
			free(s->rcpt[i].orcpt);
		} else {
			s->rcpt[keep++] = s->rcpt[i];
		}
	}
	s->nrcpt = keep;
	for (size_t k = 0; k < msg->added.n; k++) {
		if (s->nrcpt == s->rcpt_cap) {
			s->rcpt_cap = s->rcpt_cap ? s->rcpt_cap * 2 : 8;
			s->rcpt = cfg_xreallocarray(s->rcpt, s->rcpt_cap, sizeof(*s->rcpt));
		}
		memset(&s->rcpt[s->nrcpt], 0, sizeof(s->rcpt[0]));
		s->rcpt[s->nrcpt].internal = cfg_xstrdup(msg->added.v[k]);
		s->rcpt[s->nrcpt].external = cfg_xstrdup(msg->added.v[k]);
		s->nrcpt++;
	}
}

/* rebuild - the edited message back into the content buffer; headers above Received go first */
static void rebuild(struct smtpd *s, struct milter_msg *msg, size_t top)
{
	struct cfg_buf *c = &s->milt->content;

	cfg_buf_reset(c);
	for (size_t i = 0; i < msg->headers.n; i++) {
		if (i < top) {
			cfg_strvec_add(&s->prepend, msg->headers.v[i]);
			continue;
		}
		cfg_buf_adds(c, msg->headers.v[i]);
		cfg_buf_addc(c, '\n');
	}
	if (msg->headers.n)
		cfg_buf_addc(c, '\n');
	cfg_buf_add(c, msg->body.data, msg->body.len);
}

const char *smtpd_milter_eom(struct smtpd *s, struct cfg_buf **content)
{
	struct milter_msg msg;
	const char *r;
	char *mark;
	size_t top = 0;
	static char logged[512];
	const char *last;

	*content = NULL;
	if (s->milt == NULL)
		return NULL;
	/* at end of message the log names the last recipient, as Postfix's cleanup does */
	last = s->nrcpt ? s->rcpt[s->nrcpt - 1].external : NULL;
	milter_msg_init(&msg);
	mark = cfg_xstrdup("X-Postkit-Received-Marker: x");
	milter_msg_split(&msg, s->milt->content.data, s->milt->content.len);
	/*
	 * Postfix's own Received header is header 0 for the filters' insert
	 * requests, though they are not shown it: a marker stands in for it.
	 */
	vec_insert0(&msg.headers, mark);
	msg.hidden = mark;
	msg.sender = cfg_xstrdup(s->sender);
	for (size_t i = 0; i < s->nrcpt; i++)
		cfg_strvec_add(&msg.rcpt, s->rcpt[i].internal);
	s->milt->in_content = 1;
	r = milter_message(s->milt->f, &msg);
	s->milt->in_content = 0;
	if (r && strcmp(r, MILTER_DISCARD) != 0) {
		/* the log shows the enhanced status code and the text, without the SMTP code */
		snprintf(logged, sizeof(logged), "%s", strlen(r) > 4 ? r + 4 : r);
		smtpd_log_reject(s, "milter-reject", "END-OF-MESSAGE", logged, last);
		milter_msg_fini(&msg);
		return r;
	}
	if (r) {
		log_result(s, "END-OF-MESSAGE", r, last);
		s->discard = 1;
	} else if (msg.hold) {
		log_result(s, "END-OF-MESSAGE", "H", last);
		s->hold = 1;
	}
	while (top < msg.headers.n && msg.headers.v[top] != msg.hidden)
		top++;
	if (top < msg.headers.n) {
		free(msg.headers.v[top]);
		memmove(msg.headers.v + top, msg.headers.v + top + 1,
		        (msg.headers.n - top) * sizeof(*msg.headers.v));
		msg.headers.n--;
	} else {
		top = 0;
	}
	apply_envelope(s, &msg);
	if (s->cln)
		cleanup_milter_headers(s->cln, &msg.produced);
	rebuild(s, &msg, top);
	milter_msg_fini(&msg);
	*content = &s->milt->content;
	return NULL;
}

void smtpd_milter_reset(struct smtpd *s)
{
	if (s->milt && s->milt->f && s->sender)
		milter_abort(s->milt->f);
}

void smtpd_milter_end(struct smtpd *s)
{
	if (s->milt == NULL)
		return;
	if (s->milt->f)
		milter_disconnect(s->milt->f);
	if (s->milt->own)
		milters_free(s->milt->f);
	cfg_buf_fini(&s->milt->content);
	rslv_result_fini(&s->milt->res);
	free(s->milt);
	s->milt = NULL;
	free(s->milter_deny);
	s->milter_deny = NULL;
}
