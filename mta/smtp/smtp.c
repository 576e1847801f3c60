/*
 * smtp.c - the SMTP/LMTP client: entry points, settings, the delivery driver (see smtp.h)
 *
 * For each request (one message, the recipients qmgr grouped for one next
 * hop) the driver tries the next hop's destinations in order, then the
 * fallback relays; for each destination its addresses (MX preference
 * order); for each address a session and one mail transaction for the
 * recipients still open.  A session that ends well is kept for the next
 * request of the same batch to the same next hop
 * (smtp_connection_cache_on_demand) and closed with QUIT after the batch,
 * unless qmgr sees mail to that next hop flow (conn_store): then it waits
 * up to smtp_connection_cache_time_limit for the next request this process
 * gets, as Postfix's cached sessions do, and saves a connection, greeting
 * and EHLO per message.
 */
#include "config.h"

#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/time.h>
#include <unistd.h>

#include "cfg/base/xalloc.h"
#include "event.h"
#include "log.h"
#include "server.h"
#include "smtp.h"

/* a setting: its smtp_ and lmtp_ names (NULL: that agent has none) and where it goes */
struct setting {
	enum cfg_param_id smtp;
	enum cfg_param_id lmtp; /* CFG_P_COUNT: lmtp has none */
	size_t off;
	enum mta_kind ctype; /* the field's type (conf.h: MTA_CTYPE) */
};

#define S(sname, lname, field)                                                                     \
	{                                                                                          \
		CFG_P_##sname, lname, offsetof(struct smtp_cfg, field),                            \
		    MTA_CTYPE(&((struct smtp_cfg *)0)->field)                                      \
	}

static const struct setting settings[] = {
    S(myhostname, CFG_P_myhostname, myhostname),
    S(smtp_helo_name, CFG_P_lmtp_lhlo_name, helo_name),
    S(smtp_bind_address, CFG_P_lmtp_bind_address, bind_address),
    S(smtp_bind_address6, CFG_P_lmtp_bind_address6, bind_address6),
    S(smtp_tcp_port, CFG_P_lmtp_tcp_port, tcp_port),
    S(smtp_fallback_relay, CFG_P_lmtp_fallback_relay, fallback_relay),
    S(relayhost, CFG_P_COUNT, relayhost),
    S(smtp_dns_support_level, CFG_P_lmtp_dns_support_level, dns_support_level),
    S(disable_dns_lookups, CFG_P_disable_dns_lookups, disable_dns),
    S(disable_mime_output_conversion, CFG_P_disable_mime_output_conversion, no_mime_conv),
    S(smtputf8_enable, CFG_P_smtputf8_enable, smtputf8),
    S(smtp_connect_timeout, CFG_P_lmtp_connect_timeout, connect_timeout),
    S(smtp_helo_timeout, CFG_P_lmtp_lhlo_timeout, helo_timeout),
    S(smtp_mail_timeout, CFG_P_lmtp_mail_timeout, mail_timeout),
    S(smtp_rcpt_timeout, CFG_P_lmtp_rcpt_timeout, rcpt_timeout),
    S(smtp_data_init_timeout, CFG_P_lmtp_data_init_timeout, data_init_timeout),
    S(smtp_data_xfer_timeout, CFG_P_lmtp_data_xfer_timeout, data_xfer_timeout),
    S(smtp_data_done_timeout, CFG_P_lmtp_data_done_timeout, data_done_timeout),
    S(smtp_quit_timeout, CFG_P_lmtp_quit_timeout, quit_timeout),
    S(smtp_rset_timeout, CFG_P_lmtp_rset_timeout, rset_timeout),
    S(smtp_connection_cache_on_demand, CFG_P_lmtp_connection_cache_on_demand, cache_on_demand),
    S(smtp_connection_reuse_time_limit, CFG_P_lmtp_connection_reuse_time_limit, reuse_time_limit),
    S(smtp_connection_cache_time_limit, CFG_P_lmtp_connection_cache_time_limit, cache_time_limit),
    S(smtp_connection_reuse_count_limit, CFG_P_lmtp_connection_reuse_count_limit,
      reuse_count_limit),
    S(smtp_mx_address_limit, CFG_P_lmtp_mx_address_limit, mx_address_limit),
    S(smtp_mx_session_limit, CFG_P_lmtp_mx_session_limit, mx_session_limit),
    S(smtp_line_length_limit, CFG_P_lmtp_line_length_limit, line_length_limit),
    S(smtp_randomize_addresses, CFG_P_lmtp_randomize_addresses, randomize),
    S(smtp_never_send_ehlo, CFG_P_COUNT, never_ehlo),
    S(smtp_skip_5xx_greeting, CFG_P_lmtp_skip_5xx_greeting, skip_5xx_greeting),
    S(smtp_skip_quit_response, CFG_P_lmtp_skip_quit_response, skip_quit_response),
    S(smtp_defer_if_no_mx_address_found, CFG_P_lmtp_defer_if_no_mx_address_found, defer_no_mx_addr),
    S(smtp_discard_ehlo_keywords, CFG_P_lmtp_discard_lhlo_keywords, discard_ehlo),
    S(smtp_host_lookup, CFG_P_lmtp_host_lookup, host_lookup),
    S(smtp_send_xforward_command, CFG_P_lmtp_send_xforward_command, send_xforward),
    S(smtp_xforward_timeout, CFG_P_lmtp_xforward_timeout, xforward_timeout),
    S(inet_protocols, CFG_P_inet_protocols, protocols),
    S(smtp_tls_security_level, CFG_P_lmtp_tls_security_level, tls_level_text),
    S(smtp_tls_loglevel, CFG_P_lmtp_tls_loglevel, tls_loglevel_text),
    S(smtp_starttls_timeout, CFG_P_lmtp_starttls_timeout, starttls_timeout),
    S(smtp_tls_policy_maps, CFG_P_lmtp_tls_policy_maps, tls_policy_maps),
    S(smtp_tls_verify_cert_match, CFG_P_lmtp_tls_verify_cert_match, verify_match),
    S(smtp_tls_secure_cert_match, CFG_P_lmtp_tls_secure_cert_match, secure_match),
    S(smtp_tls_fingerprint_cert_match, CFG_P_lmtp_tls_fingerprint_cert_match, fpt_match),
    S(smtp_sasl_auth_enable, CFG_P_lmtp_sasl_auth_enable, sasl_enable),
    S(smtp_sender_dependent_authentication, CFG_P_lmtp_sender_dependent_authentication,
      sender_auth),
    S(smtp_sasl_password_maps, CFG_P_lmtp_sasl_password_maps, sasl_passwd_maps),
    S(smtp_sasl_mechanism_filter, CFG_P_lmtp_sasl_mechanism_filter, sasl_filter),
    S(smtp_header_checks, CFG_P_lmtp_header_checks, header_checks),
    S(smtp_mime_header_checks, CFG_P_lmtp_mime_header_checks, mime_header_checks),
    S(smtp_nested_header_checks, CFG_P_lmtp_nested_header_checks, nested_header_checks),
    S(smtp_body_checks, CFG_P_lmtp_body_checks, body_checks),
    S(header_size_limit, CFG_P_header_size_limit, header_size_limit),
    S(line_length_limit, CFG_P_line_length_limit, line_limit),
    S(mime_boundary_length_limit, CFG_P_mime_boundary_length_limit, mime.boundary_len),
    S(mime_nesting_limit, CFG_P_mime_nesting_limit, mime.nesting_depth),
};

static struct smtp_cfg CFG;
static struct smtp_session *cached; /* kept for the next request of the batch */
static double cached_until;         /* kept after the batch: until then (mta_now) */
static int batch_sent = 1;          /* every recipient of the batch so far was sent */

/* wall - wall-clock seconds */
static double wall(void)
{
	struct timeval tv;

	gettimeofday(&tv, NULL);
	return (double)tv.tv_sec + (double)tv.tv_usec / 1e6;
}

/* load - the agent's settings from the service's view */
static void load(struct mta_server *srv, const char *name)
{
	struct mta_setting tab[sizeof(settings) / sizeof(settings[0]) + 1];
	size_t n = 0;
	const char *lvl;

	memset(&CFG, 0, sizeof(CFG));
	CFG.name = name;
	CFG.lmtp = strcmp(name, "lmtp") == 0;
	cfg_strvec_init(&CFG.discard_ehlo);
	cfg_strvec_init(&CFG.host_lookup);
	cfg_strvec_init(&CFG.protocols);
	cfg_strvec_init(&CFG.tls_policy_maps);
	cfg_strvec_init(&CFG.verify_match);
	cfg_strvec_init(&CFG.secure_match);
	cfg_strvec_init(&CFG.fpt_match);
	cfg_strvec_init(&CFG.sasl_passwd_maps);
	cfg_strvec_init(&CFG.sasl_filter);
	cfg_strvec_init(&CFG.header_checks);
	cfg_strvec_init(&CFG.mime_header_checks);
	cfg_strvec_init(&CFG.nested_header_checks);
	cfg_strvec_init(&CFG.body_checks);
	for (size_t i = 0; i < sizeof(settings) / sizeof(settings[0]); i++) {
		enum cfg_param_id id = CFG.lmtp ? settings[i].lmtp : settings[i].smtp;

		if (id == CFG_P_COUNT)
			continue;
		tab[n].id = id;
		tab[n].out = (char *)&CFG + settings[i].off;
		tab[n].ctype = settings[i].ctype;
		n++;
	}
	tab[n] = (struct mta_setting)MTA_SETTINGS_END;
	mta_conf_get(&srv->conf, tab);
	/* as cleanup reads it: a header may always be this long */
	CFG.mime.header_size = CFG.header_size_limit < 1024 ? 1024 : CFG.header_size_limit;
	lvl = CFG.dns_support_level;
	CFG.dns = *lvl ? strcasecmp(lvl, "disabled") != 0 : !CFG.disable_dns;
	CFG.dnssec = strcasecmp(lvl, "dnssec") == 0;
	for (size_t i = 0; i < CFG.host_lookup.n; i++) {
		if (strcasecmp(CFG.host_lookup.v[i], "dns") == 0)
			CFG.lookup_dns = 1;
		else if (strcasecmp(CFG.host_lookup.v[i], "native") == 0)
			CFG.lookup_native = 1;
	}
	for (size_t i = 0; i < CFG.protocols.n; i++) {
		const char *p = CFG.protocols.v[i];

		if (strcasecmp(p, "all") == 0)
			CFG.inet4 = CFG.inet6 = 1;
		else if (strcasecmp(p, "ipv4") == 0)
			CFG.inet4 = 1;
		else if (strcasecmp(p, "ipv6") == 0)
			CFG.inet6 = 1;
	}
	if (!CFG.inet4 && !CFG.inet6)
		CFG.inet4 = 1;
}

/* status_word - qmgr's word for an outcome, "deliverable" and co. for sendmail -bv */
static const char *status_word(const struct smtp_state *s, int code)
{
	if (s->req->verify)
		return code == 2 ? "deliverable" : code == 5 ? "undeliverable" : "deferred";
	return code == 2 ? "sent" : code == 5 ? "bounced" : "deferred";
}

/* settle - recipient k's final outcome (2 sent, 5 bounced): log and report it now */
static void settle(struct smtp_state *s, size_t k, int code, const char *relay, const char *dsn,
                   const char *text)
{
	if (s->rs[k].final)
		return;
	s->rs[k].final = code;
	dlv_status(s->req, k, relay, dsn, status_word(s, code), "%s", text);
}

void smtp_rcpt_sent(struct smtp_state *s, size_t k, const char *relay, const char *dsn,
                    const char *text)
{
	settle(s, k, 2, relay, dsn, text);
}

void smtp_rcpt_bounce(struct smtp_state *s, size_t k, const char *relay, const char *dsn,
                      const char *text)
{
	settle(s, k, 5, relay, dsn, text);
}

void smtp_rcpt_error(struct smtp_state *s, size_t k, const char *relay, int hard, const char *dsn,
                     const char *fmt, ...)
{
	struct smtp_rcpt *rs = &s->rs[k];
	va_list ap;

	if (rs->final)
		return;
	cfg_buf_reset(&rs->why);
	va_start(ap, fmt);
	cfg_buf_vprintf(&rs->why, fmt, ap);
	va_end(ap);
	if (hard) {
		smtp_rcpt_bounce(s, k, relay, dsn, rs->why.data);
		return;
	}
	rs->tried = 1;
	snprintf(rs->dsn, sizeof(rs->dsn), "%s", dsn);
	snprintf(rs->relay, sizeof(rs->relay), "%s", relay);
}

size_t smtp_pending(const struct smtp_state *s)
{
	size_t n = 0;

	for (size_t k = 0; k < s->req->n; k++)
		if (!s->rs[k].final)
			n++;
	return n;
}

/* all_error - the same error for every open recipient */
static void all_error(struct smtp_state *s, const char *relay, int hard, const char *dsn,
                      const char *why)
{
	for (size_t k = 0; k < s->req->n; k++)
		smtp_rcpt_error(s, k, relay, hard, dsn, "%s", why);
}

/* keep_or_quit - cache a session that can carry more mail, or close it */
static void keep_or_quit(struct smtp_session *sess, int usable)
{
	if (usable && CFG.cache_on_demand && !sess->broken) {
		if (cached && cached != sess)
			smtp_quit(&CFG, cached);
		cached = sess;
	} else {
		if (cached == sess)
			cached = NULL;
		smtp_quit(&CFG, sess);
	}
}

/* reusable - the cached session may serve this next hop now */
static int reusable(const char *nexthop)
{
	if (cached == NULL)
		return 0;
	if (strcmp(cached->dest, nexthop) == 0 && !cached->broken
	    && (CFG.reuse_count_limit <= 0 || cached->uses < CFG.reuse_count_limit)
	    && (CFG.reuse_time_limit <= 0 || mta_now() - cached->opened < CFG.reuse_time_limit)
	    && smtp_rset(&CFG, cached) == 0)
		return 1;
	smtp_quit(&CFG, cached);
	cached = NULL;
	return 0;
}

/* try_addresses - every address of one destination, while recipients are open */
static void try_addresses(struct smtp_state *s, const struct smtp_addr_list *l, int last_dest)
{
	struct cfg_buf why;

	cfg_buf_init(&why);
	for (size_t i = 0; i < l->n && smtp_pending(s) > 0; i++) {
		struct smtp_session *sess;
		char dsn[16];
		int hard;

		if (CFG.mx_session_limit > 0 && s->sessions >= CFG.mx_session_limit)
			break;
		s->final = last_dest && i + 1 == l->n;
		s->no_relay = 0;
		sess = smtp_connect(s, &l->a[i], s->req->nexthop, &hard, dsn, sizeof(dsn), &why);
		if (sess == NULL) {
			char relay[1300];

			/* a refused connection has no relay; a refusing server has one */
			if (strcmp(dsn, "4.4.1") == 0 || s->no_relay)
				snprintf(relay, sizeof(relay), "none");
			else if (l->a[i].family == AF_UNIX)
				snprintf(relay, sizeof(relay), "%s[%s]", l->a[i].host,
				         l->a[i].addr);
			else
				snprintf(relay, sizeof(relay), "%s[%s]:%u", l->a[i].host,
				         l->a[i].addr, l->a[i].port);
			if (!hard && !s->final && strcmp(dsn, "4.4.1") != 0 && !s->no_relay)
				mta_info("%s: %s", s->req->qid, why.data);
			all_error(s, relay, hard, dsn, why.data);
			continue;
		}
		s->sessions++;
		s->req->start_time = wall();
		keep_or_quit(sess, smtp_transaction(s, sess) == 0);
	}
	cfg_buf_fini(&why);
}

/*
 * config_problem - a destination that does not resolve (or loops back to
 * us) as the last try is a configuration problem when it is a fallback
 * relay, or (smtp) when the next hop is the relayhost: Postfix warns and
 * defers (4.3.5) instead of bouncing.  Returns the setting to name, or NULL.
 */
static const char *config_problem(const struct cfg_strvec *dests, size_t d, size_t nprimary)
{
	if (d >= nprimary)
		return "smtp_fallback_relay"; /* Postfix's name for lmtp as well */
	if (!CFG.lmtp && CFG.relayhost && strcmp(dests->v[0], CFG.relayhost) == 0)
		return "relayhost";
	return NULL;
}

/* deliver_dests - the next hop's destinations, then the fallback relays */
static void deliver_dests(struct smtp_state *s)
{
	struct cfg_strvec dests;
	struct smtp_addr_list l;
	struct cfg_buf why;
	size_t nprimary;

	cfg_strvec_init(&dests);
	cfg_buf_init(&why);
	smtp_split_dests(s->req->nexthop, &dests);
	nprimary = dests.n;
	smtp_split_dests(CFG.fallback_relay, &dests);
	for (size_t d = 0; d < dests.n && smtp_pending(s) > 0; d++) {
		char dsn[16];
		int hard = 0, loop = 0, last = d + 1 == dests.n;

		smtp_addr_list_init(&l);
		if (smtp_resolve(&CFG, dests.v[d], &l, &hard, dsn, sizeof(dsn), &why, &loop) < 0) {
			const char *what = NULL;

			s->final = last || loop;
			if (hard && s->final
			    && (what = config_problem(&dests, d, nprimary)) != NULL) {
				mta_warn("%s configuration problem", what);
				snprintf(dsn, sizeof(dsn), "4.3.5");
			}
			all_error(s, "none", hard && s->final && what == NULL, dsn, why.data);
		} else {
			/* the fallback relays are not for mail we are an MX host for */
			try_addresses(s, &l, last || (loop && d < nprimary));
		}
		smtp_addr_list_fini(&l);
		if (loop && d < nprimary)
			break;
	}
	cfg_buf_fini(&why);
	cfg_strvec_fini(&dests);
}

/* non_ascii - 1 when the n bytes at p are not all ASCII */
static int non_ascii(const char *p, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if ((unsigned char)p[i] > 127)
			return 1;
	return 0;
}

/*
 * utf8_flags - as Postfix 3.7 decides SMTPUTF8: asked for when the client
 * said SMTPUTF8 (smtpd records it), or for mail from sendmail whose
 * envelope or headers are not ASCII (smtputf8_autodetect_classes); needed
 * when the sender, a recipient or a header is not ASCII
 */
static void utf8_flags(struct smtp_state *s)
{
	const struct dlv_req *r = s->req;
	const char *body = memmem(s->content.data, s->content.len, "\n\n", 2);
	size_t hlen = body ? (size_t)(body - s->content.data) : s->content.len;

	s->utf8_needed =
	    non_ascii(r->sender, strlen(r->sender)) || non_ascii(s->content.data, hlen);
	for (size_t k = 0; k < r->n && !s->utf8_needed; k++)
		s->utf8_needed = non_ascii(r->rcpt[k].qr->addr, strlen(r->rcpt[k].qr->addr));
	/* smtputf8_enable = no: never asked for, as Postfix (smtpd does not offer it either) */
	s->utf8_requested = s->cfg->smtputf8
	                    && (qf_env_attr(&r->env, "smtputf8") != NULL
	                        || (qf_env_attr(&r->env, "uid") != NULL && s->utf8_needed));
}

/* deliver - one request: every recipient ends sent, bounced or deferred */
static void deliver(struct dlv_req *r)
{
	struct smtp_state s;

	memset(&s, 0, sizeof(s));
	s.cfg = &CFG;
	s.req = r;
	r->success_action = "relayed"; /* the next hop hears no NOTIFY: we report */
	s.rs = cfg_xcalloc(r->n + 1, sizeof(*s.rs));
	for (size_t k = 0; k < r->n; k++)
		cfg_buf_init(&s.rs[k].why);
	cfg_buf_init(&s.content);
	if (qf_read_content(r->fd, &r->env, &s.content) < 0) {
		all_error(&s, "none", 0, "4.3.0", "error reading message file");
	} else {
		/* as Postfix: what the client declared or a header says, not the bytes */
		s.encoding = qf_env_xattr(&r->env, "encoding");
		s.eightbit = s.encoding != NULL && strcmp(s.encoding, "8bit") == 0;
		utf8_flags(&s);
		s.size = (long)r->env.content_size;
		if (reusable(r->nexthop)) {
			s.final = 0;
			r->start_time = wall();
			keep_or_quit(cached, smtp_transaction(&s, cached) == 0);
		}
		if (smtp_pending(&s) > 0)
			deliver_dests(&s);
	}
	for (size_t k = 0; k < r->n; k++) {
		struct smtp_rcpt *rs = &s.rs[k];

		if (rs->final != 2)
			batch_sent = 0;
		if (!rs->final)
			dlv_status(r, k, rs->tried ? rs->relay : "none",
			           rs->tried ? rs->dsn : "4.4.1", status_word(&s, 4), "%s",
			           rs->tried ? rs->why.data : "delivery temporarily suspended");
		cfg_buf_fini(&rs->why);
	}
	free(s.rs);
	cfg_buf_fini(&s.content);
}

/*
 * finish - the batch is done: close the kept session, or keep it when qmgr
 * asked and every recipient was sent (after an error the conversation ends
 * as it always did)
 */
static void finish(struct dlv_req *reqs, size_t n)
{
	int sent = batch_sent;

	batch_sent = 1;
	if (cached && sent && n > 0 && reqs[n - 1].conn_store && CFG.cache_on_demand
	    && CFG.cache_time_limit > 0 && !cached->broken) {
		cached_until = mta_now() + (double)CFG.cache_time_limit;
		return;
	}
	smtp_quit(&CFG, cached);
	cached = NULL;
}

/* idle - between qmgr connections: the kept session's time left; QUIT when it is up */
static long idle(struct mta_server *srv, int expired)
{
	double left = cached_until - mta_now();

	(void)srv;
	if (cached == NULL)
		return -1;
	if (expired || left <= 0) {
		smtp_quit(&CFG, cached);
		cached = NULL;
		return -1;
	}
	return (long)(left * 1000) + 1;
}

/* serve - one qmgr connection: one request, or a batch for one next hop */
static void serve(struct mta_server *srv, int in, int out)
{
	(void)out;
	dlv_serve_batch(srv, in, deliver, finish);
}

/* pre_smtp / pre_lmtp - settings and TLS contexts, before privileges drop (client keys) */
static void pre_smtp(struct mta_server *srv)
{
	load(srv, "smtp");
	smtp_tls_init(&CFG, srv);
}

static void pre_lmtp(struct mta_server *srv)
{
	load(srv, "lmtp");
	smtp_tls_init(&CFG, srv);
}

/* init - after privileges are dropped */
static void init(struct mta_server *srv)
{
	(void)srv;
	srandom((unsigned)getpid() ^ (unsigned)wall());
}

/* smtp_main - the smtp program */
int smtp_main(int argc, char **argv);
int smtp_main(int argc, char **argv)
{
	static const struct mta_server_ops ops = {
	    .pre_init = pre_smtp, .init = init, .serve = serve, .idle = idle};

	return mta_server_main(argc, argv, "smtp", MTA_SERVE_CONN, &ops, NULL);
}

/* lmtp_main - the lmtp program */
int lmtp_main(int argc, char **argv);
int lmtp_main(int argc, char **argv)
{
	static const struct mta_server_ops ops = {
	    .pre_init = pre_lmtp, .init = init, .serve = serve, .idle = idle};

	return mta_server_main(argc, argv, "lmtp", MTA_SERVE_CONN, &ops, NULL);
}
