/* smtpd_check.c - the smtpd_*_restrictions, evaluated as Postfix does (see smtpd.h) */
#include "config.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <netdb.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <unistd.h>

#include "cfg/base/xalloc.h"
#include "dns.h"
#include "log.h"
#include "maps.h"
#include "smtpd.h"
#include "smtpd_check.h"

static struct smtpd_cfg *cfg; /* set by smtpd_check_init (smtpd_rules.c) */

void smtpdp_check_bind(struct smtpd_cfg *c)
{
	cfg = c;
}
void (*smtpd_trace_hook)(const struct smtpd_trace *t);
int smtpd_offline;
/* the access table hit of the element being evaluated, for the trace */
static struct {
	const char *table;
	struct cfg_buf key, value;
} hit;
static const char *const subject_text[] = {
    "Client host rejected",     "Helo command rejected",
    "Sender address rejected",  "Recipient address rejected",
    "Data command rejected",    "End-of-data rejected",
    "Etrn command rejected",    "Client certificate rejected",
    "SASL login name rejected", "Unverified Client host rejected",
};

/* smtpdp_subject_name - the <...> part of a reply */
const char *smtpdp_subject_name(struct ck *c, enum subject sub)
{
	switch (sub) {
	case SUBJ_CLIENT:
		return c->s->log_client;
	case SUBJ_HELO:
		return c->s->helo ? c->s->helo : "";
	case SUBJ_SENDER:
		return c->s->sender ? c->s->sender : "";
	case SUBJ_RCPT:
		return c->rcpt_int ? c->rcpt_int : "";
	case SUBJ_DATA:
		return "DATA";
	case SUBJ_EOD:
		return "END-OF-MESSAGE";
	case SUBJ_ETRN:
		return c->etrn ? c->etrn : "";
	case SUBJ_CCERT:
		return c->s->tls ? mta_tls_info(c->s->tls)->peer_cn : "";
	case SUBJ_SASL:
		return c->s->sasl_username ? c->s->sasl_username : "";
	case SUBJ_REV_CLIENT:
		return c->s->rev_name;
	}
	return "";
}

/*
 * smtpdp_reject - format "CODE D.S.N <subject>: Text rejected: reason" into
 * the reply.  The DSN class follows the reply code, as Postfix makes it.
 */
enum verdict smtpdp_reject(struct ck *c, long code, const char *dsn, enum subject sub,
                           const char *fmt, ...)
{
	va_list ap;
	char d[16];

	snprintf(d, sizeof(d), "%s", dsn);
	d[0] = (char)('0' + code / 100);
	cfg_buf_reset(&c->reply);
	cfg_buf_printf(&c->reply, "%ld %s <%s>: %s: ", code, d, smtpdp_subject_name(c, sub),
	               subject_text[sub]);
	va_start(ap, fmt);
	cfg_buf_vprintf(&c->reply, fmt, ap);
	va_end(ap);
	return V_REJECT;
}

/* smtpdp_subject_class - "Client host rejected", "Sender address rejected", ... */
const char *smtpdp_subject_class(enum subject sub)
{
	return subject_text[sub];
}

/* smtpdp_config_error - the reply for a server configuration problem */
enum verdict smtpdp_config_error(struct ck *c, enum subject sub, int with_subject)
{
	cfg_buf_reset(&c->reply);
	if (with_subject)
		cfg_buf_printf(&c->reply, "451 4.3.5 <%s>: %s: Server configuration error",
		               smtpdp_subject_name(c, sub), subject_text[sub]);
	else
		cfg_buf_adds(&c->reply, "451 4.3.5 Server configuration error");
	return V_REJECT;
}

int smtpd_check_mynetworks(struct smtpd *s)
{
	return match_host(cfg->mynetworks, s->name, s->addr) > 0;
}

/* ---- individual restrictions ---- */

/* lookup_failure - "451 4.3.0 <addr>: Temporary lookup failure", Postfix's reply to a table error */
static enum verdict lookup_failure(struct ck *c, const char *addr)
{
	cfg_buf_reset(&c->reply);
	cfg_buf_printf(&c->reply, "451 4.3.0 <%s>: Temporary lookup failure", addr);
	return V_REJECT;
}

/* dsn_fix - Postfix's X.1.Y detail for the sender or recipient class (5.1.1 -> 5.1.7) */
static void dsn_fix(char *dsn, enum subject sub)
{
	static const char sender[] = "0787707780", rcpt[] = "0123456320";
	const char *map = sub == SUBJ_SENDER ? sender : rcpt;

	if (strncmp(dsn + 1, ".1.", 3) != 0 || dsn[4] == '\0')
		return;
	dsn[4] = dsn[5] == '\0' && dsn[4] >= '0' && dsn[4] <= '9' ? map[dsn[4] - '0'] : '0';
	dsn[5] = '\0';
}

/*
 * error_transport - an address resolved to error: or retry: (transport_maps,
 * a virtual alias domain, relocated_maps) is undeliverable: 550 (the alias
 * code in a virtual alias domain) or 450 with the next hop's text
 */
static enum verdict error_transport(struct ck *c, const struct rslv_result *res, enum subject sub)
{
	int err = strcmp(res->transport.data, "error") == 0;
	const char *text;
	char dsn[16];

	if (!err && strcmp(res->transport.data, "retry") != 0)
		return V_DUNNO;
	rslv_split_dsn(res->nexthop.data,
	               err ? (sub == SUBJ_SENDER ? "5.1.0" : "5.1.1")
	                   : (sub == SUBJ_SENDER ? "4.1.0" : "4.1.1"),
	               dsn, &text);
	dsn_fix(dsn, sub);
	return smtpdp_reject(c,
	                     !err                     ? 450
	                     : res->cls == RSLV_ALIAS ? cfg->unknown_virtual_code
	                                              : 550,
	                     dsn, sub, "%s", text);
}

/* unknown_text - "User unknown in TABLE table", or only "User unknown" (show_user_unknown_table_name) */
static const char *unknown_text(const struct smtpd_cfg *sc, const char *table)
{
	static char text[64];

	if (!sc->show_table_name)
		return "User unknown";
	snprintf(text, sizeof(text), "User unknown in %s table", table);
	return text;
}

/* unlisted - "User unknown in ... table" for an address in our domains; V_DUNNO when known */
static enum verdict unlisted(struct ck *c, const char *addr, enum subject sub, const char *dsn)
{
	struct rslv_result res;
	const char *value;
	struct cfg_buf lp;
	enum verdict v = V_DUNNO;
	int rc;

	if (addr == NULL || *addr == '\0')
		return V_DUNNO;
	/* receive_override_options = no_unknown_recipient_checks (after a content filter) */
	if (sub == SUBJ_RCPT && c->s->cfg->no_unknown_rcpt)
		return V_DUNNO;
	rslv_result_init(&res);
	cfg_buf_init(&lp);
	if (rslv_resolve(cfg->rslv, addr, &res) < 0) {
		v = lookup_failure(c, addr);
		goto out;
	}
	/* canonical mappings and virtual aliases make any address valid */
	rc = rslv_addr_find(cfg->rslv, &cfg->rcpt_canon_maps, res.recipient.data, &value);
	if (rc == 0)
		rc = rslv_addr_find(cfg->rslv, &cfg->canon_maps, res.recipient.data, &value);
	if (rc == 0)
		rc = rslv_addr_find(cfg->rslv, &cfg->va_maps, res.recipient.data, &value);
	if (rc != 0) {
		if (rc < 0)
			v = lookup_failure(c, addr);
		goto out;
	}
	if ((v = error_transport(c, &res, sub)) != V_DUNNO)
		goto out;
	addr_localpart(res.recipient.data, &lp);
	switch (res.cls) {
	case RSLV_LOCAL:
		if (cfg->local_rcpt_maps.n == 0)
			break;
		rc = mta_maps_get(&cfg->local_rcpt_maps, res.recipient.data, &value);
		if (rc == 0) {
			addr_lower(lp.data);
			rc = mta_maps_get(&cfg->local_rcpt_maps, lp.data, &value);
		}
		if (rc == 0 && *cfg->recipient_delimiter) {
			size_t cut = strcspn(lp.data, cfg->recipient_delimiter);

			if (cut < lp.len && cut > 0) {
				cfg_buf_truncate(&lp, cut);
				rc = mta_maps_get(&cfg->local_rcpt_maps, lp.data, &value);
			}
		}
		if (rc < 0)
			v = smtpdp_config_error(c, sub, 1);
		else if (rc == 0)
			v = smtpdp_reject(c, cfg->unknown_local_code, dsn, sub, "%s",
			                  unknown_text(cfg, "local recipient"));
		break;
	case RSLV_VIRTUAL:
		rc = rslv_addr_find(cfg->rslv, &cfg->vm_maps, res.recipient.data, &value);
		if (rc < 0)
			v = lookup_failure(c, addr);
		else if (rc == 0)
			v = smtpdp_reject(c, cfg->unknown_vmbox_code, dsn, sub, "%s",
			                  unknown_text(cfg, "virtual mailbox"));
		break;
	case RSLV_RELAY:
		if (cfg->relay_rcpt_maps.n == 0)
			break;
		rc = mta_maps_get(&cfg->relay_rcpt_maps, res.recipient.data, &value);
		if (rc < 0)
			v = smtpdp_config_error(c, sub, 1);
		else if (rc == 0)
			v = smtpdp_reject(c, cfg->unknown_relay_code, dsn, sub, "%s",
			                  unknown_text(cfg, "relay recipient"));
		break;
	case RSLV_ALIAS:
	case RSLV_DEFAULT:
		break;
	}
out:
	cfg_buf_fini(&lp);
	rslv_result_fini(&res);
	return v;
}

/* auth_destination - 1 when we may accept mail for this recipient from anyone */
static int auth_destination(struct ck *c, const char *addr, int *fail)
{
	struct rslv_result res;
	int ok = 0;

	*fail = 0;
	rslv_result_init(&res);
	if (rslv_resolve(cfg->rslv, addr, &res) < 0) {
		*fail = 1;
	} else if (res.cls == RSLV_LOCAL || res.cls == RSLV_ALIAS || res.cls == RSLV_VIRTUAL) {
		ok = 1;
	} else if (res.cls == RSLV_RELAY && !(res.flags & RSLV_F_ROUTED)) {
		ok = 1;
	}
	(void)c;
	rslv_result_fini(&res);
	return ok;
}

/* smtpdp_auth_destination - 1 when the recipient is ours or a relay domain's (no lookup error) */
int smtpdp_auth_destination(struct ck *c, const char *addr)
{
	int fail;

	return auth_destination(c, addr, &fail) && !fail;
}

/* non_fqdn - 1 when a mail address has no fully-qualified domain */
static int non_fqdn(const char *addr)
{
	const char *d = addr_domain(addr);

	if (d == NULL || *d == '\0')
		return 1;
	if (d[0] == '[')
		return 0;
	return strchr(d, '.') == NULL;
}

/* need_rcpt - recipient restrictions need a recipient */
static int need_rcpt(struct ck *c, const char *name)
{
	if (c->rcpt_int)
		return 1;
	mta_warn("restriction `%s' ignored: no recipient in current context", name);
	return 0;
}

/* relay_check - reject/defer/permit_auth_destination */
static enum verdict relay_check(struct ck *c, const struct relem *e)
{
	int ok, fail;

	if (!need_rcpt(c, e->word))
		return V_DUNNO;
	ok = auth_destination(c, c->rcpt_int, &fail);
	if (fail)
		return lookup_failure(c, c->rcpt_int);
	if (e->id == CFG_R_PERMIT_AUTH_DESTINATION)
		return ok ? V_PERMIT : V_DUNNO;
	if (ok)
		return V_DUNNO;
	cfg_buf_reset(&c->reply);
	if (e->id == CFG_R_DEFER_UNAUTH_DESTINATION)
		cfg_buf_printf(&c->reply, "%ld 4.7.1 <%s>: Relay access denied",
		               cfg->relay_reject_code / 100 == 5 ? 454L : cfg->relay_reject_code,
		               c->rcpt_int);
	else
		cfg_buf_printf(&c->reply, "%ld %d.7.1 <%s>: Relay access denied",
		               cfg->relay_reject_code, (int)(cfg->relay_reject_code / 100),
		               c->rcpt_int);
	return V_REJECT;
}

/* helo_fqdn - reject_non_fqdn_helo_hostname */
static enum verdict helo_fqdn(struct ck *c)
{
	const char *h = c->s->helo;
	size_t n;

	if (h == NULL || h[0] == '[')
		return V_DUNNO;
	n = strlen(h);
	if (strchr(h, '.') == NULL || (n && h[n - 1] == '.' && strchr(h, '.') == h + n - 1))
		return smtpdp_reject(c, cfg->non_fqdn_code, "5.5.2", SUBJ_HELO,
		                     "need fully-qualified hostname");
	return V_DUNNO;
}

/* helo_valid - reject_invalid_helo_hostname */
static enum verdict helo_valid(struct ck *c)
{
	char tmp[300];
	size_t n;

	if (c->s->helo == NULL)
		return V_DUNNO;
	n = strlen(c->s->helo);
	snprintf(tmp, sizeof(tmp), "%s", c->s->helo);
	if (n && n < sizeof(tmp) && tmp[n - 1] == '.')
		tmp[n - 1] = '\0';
	if (tmp[0] == '[' ? !addr_valid_ip_literal(tmp)
	                  : !(addr_valid_hostname(tmp) || addr_is_ip(tmp)))
		return smtpdp_reject(c, cfg->invalid_hostname_code, "5.5.2", SUBJ_HELO,
		                     "Invalid name");
	return V_DUNNO;
}

/* access_check - check_{client,helo,sender,recipient}_access TABLE */
static enum verdict access_check(struct ck *c, const struct relem *e)
{
	struct smtpd *s = c->s;
	const char *value, *what = s->where;
	enum subject sub;
	int rc;

	if (e->arg == NULL) {
		mta_warn("restriction %s requires a table argument", e->word);
		return smtpdp_config_error(c, c->list_subject, 0);
	}
	switch (e->id) {
	case CFG_R_CHECK_CLIENT_ACCESS:
		sub = SUBJ_CLIENT;
		rc = smtpdp_lookup_client(cfg, e->arg, s->name, s->addr, &value);
		break;
	case CFG_R_CHECK_REVERSE_CLIENT_HOSTNAME_ACCESS:
		sub = SUBJ_REV_CLIENT;
		rc = smtpdp_lookup_client(cfg, e->arg, s->rev_name, s->addr, &value);
		break;
	case CFG_R_CHECK_HELO_ACCESS:
		sub = SUBJ_HELO;
		if (s->helo == NULL)
			return V_DUNNO;
		rc = smtpdp_lookup_domain(cfg, e->arg, s->helo, &value);
		break;
	case CFG_R_CHECK_SENDER_ACCESS:
		sub = SUBJ_SENDER;
		if (s->sender == NULL)
			return V_DUNNO;
		rc = smtpdp_lookup_mail(cfg, e->arg, s->sender, &value);
		break;
	default:
		sub = SUBJ_RCPT;
		if (!need_rcpt(c, e->word))
			return V_DUNNO;
		rc = smtpdp_lookup_mail(cfg, e->arg, c->rcpt_int, &value);
		break;
	}
	if (rc < 0)
		return smtpdp_config_error(c, sub, 1);
	if (rc == 0)
		return V_DUNNO;
	if (smtpd_trace_hook) {
		if (hit.key.data == NULL) {
			cfg_buf_init(&hit.key);
			cfg_buf_init(&hit.value);
		}
		hit.table = e->arg;
		cfg_buf_reset(&hit.key);
		cfg_buf_adds(&hit.key, smtpdp_last_key());
		cfg_buf_reset(&hit.value);
		cfg_buf_adds(&hit.value, value);
	}
	if (sub == SUBJ_REV_CLIENT)
		return smtpdp_no_whitelist(c, e->word, smtpdp_access_result(c, value, sub, what),
		                           s->rev_name);
	return smtpdp_access_result(c, value, sub, what);
}

/*
 * one_restriction - evaluate one compiled element.  A restriction postkit
 * does not implement is a configuration error (postfix check refuses it;
 * smtpd fails closed if it is reached anyway).
 */
static enum verdict one_restriction(struct ck *c, const struct relem *e)
{
	struct smtpd *s = c->s;

	switch (e->id) {
	case CFG_R_PERMIT:
		return V_PERMIT;
	case CFG_R_REJECT:
		return smtpdp_reject(c, cfg->reject_code, "5.7.1", c->list_subject,
		                     "Access denied");
	case CFG_R_DEFER:
		return smtpdp_reject(c, cfg->defer_code, "4.3.2", c->list_subject,
		                     "Try again later");
	case CFG_R_WARN_IF_REJECT:
		c->warn_next = 1;
		return V_DUNNO;
	case CFG_R_DEFER_IF_PERMIT:
		smtpdp_defer_if_permit(c, "4.7.0", c->list_subject, "defer_if_permit requested");
		return V_DUNNO;
	case CFG_R_PERMIT_MYNETWORKS:
		return s->in_mynetworks ? V_PERMIT : V_DUNNO;
	case CFG_R_PERMIT_SASL_AUTHENTICATED:
	case CFG_R_PERMIT_TLS_CLIENTCERTS:
	case CFG_R_PERMIT_TLS_ALL_CLIENTCERTS:
	case CFG_R_CHECK_CCERT_ACCESS:
	case CFG_R_CHECK_SASL_ACCESS:
	case CFG_R_REJECT_PLAINTEXT_SESSION:
	case CFG_R_REJECT_SENDER_LOGIN_MISMATCH:
	case CFG_R_REJECT_AUTHENTICATED_SENDER_LOGIN_MISMATCH:
	case CFG_R_REJECT_UNAUTHENTICATED_SENDER_LOGIN_MISMATCH:
	case CFG_R_REJECT_KNOWN_SENDER_LOGIN_MISMATCH:
		return smtpdp_auth_restriction(c, e);
	case CFG_R_REJECT_UNAUTH_DESTINATION:
	case CFG_R_DEFER_UNAUTH_DESTINATION:
	case CFG_R_PERMIT_AUTH_DESTINATION:
		return relay_check(c, e);
	case CFG_R_REJECT_UNLISTED_RECIPIENT:
	case CFG_R_CHECK_RECIPIENT_MAPS:
		if (!need_rcpt(c, e->word))
			return V_DUNNO;
		return unlisted(c, c->rcpt_int, SUBJ_RCPT, "5.1.1");
	case CFG_R_REJECT_UNLISTED_SENDER:
		return unlisted(c, s->sender, SUBJ_SENDER, "5.1.0");
	case CFG_R_REJECT_NON_FQDN_SENDER:
		if (s->sender && *s->sender && non_fqdn(s->sender))
			return smtpdp_reject(c, cfg->non_fqdn_code, "5.5.2", SUBJ_SENDER,
			                     "need fully-qualified address");
		return V_DUNNO;
	case CFG_R_REJECT_NON_FQDN_RECIPIENT:
		if (!need_rcpt(c, e->word))
			return V_DUNNO;
		if (non_fqdn(c->rcpt_int))
			return smtpdp_reject(c, cfg->non_fqdn_code, "5.5.2", SUBJ_RCPT,
			                     "need fully-qualified address");
		return V_DUNNO;
	case CFG_R_REJECT_NON_FQDN_HELO_HOSTNAME:
	case CFG_R_REJECT_NON_FQDN_HOSTNAME:
		return helo_fqdn(c);
	case CFG_R_REJECT_INVALID_HELO_HOSTNAME:
	case CFG_R_REJECT_INVALID_HOSTNAME:
		return helo_valid(c);
	case CFG_R_REJECT_UNAUTH_PIPELINING:
		if (c->list_subject == SUBJ_DATA && mta_stream_pending(&s->in) > 0) {
			cfg_buf_reset(&c->reply);
			cfg_buf_adds(&c->reply,
			             "503 5.5.0 <DATA>: Data command rejected: Improper use "
			             "of SMTP command pipelining");
			return V_REJECT;
		}
		return V_DUNNO;
	case CFG_R_REJECT_MULTI_RECIPIENT_BOUNCE:
		if (s->sender && *s->sender == '\0' && s->nrcpt > (c->rcpt_int ? 0u : 1u))
			return smtpdp_reject(c, 550, "5.5.3", c->list_subject,
			                     "Multi-recipient bounce");
		return V_DUNNO;
	case CFG_R_CHECK_CLIENT_ACCESS:
	case CFG_R_CHECK_HELO_ACCESS:
	case CFG_R_CHECK_SENDER_ACCESS:
	case CFG_R_CHECK_RECIPIENT_ACCESS:
	case CFG_R_CHECK_REVERSE_CLIENT_HOSTNAME_ACCESS:
		return access_check(c, e);
	case CFG_R_SLEEP:
		if (e->arg == NULL || e->arg[strspn(e->arg, "0123456789")] != '\0' || !*e->arg) {
			mta_warn("restriction %s must be followed by number", e->word);
			return smtpdp_config_error(c, c->list_subject, 0);
		}
		sleep((unsigned)strtoul(e->arg, NULL, 10));
		return V_DUNNO;
	case CFG_R_CHECK_POLICY_SERVICE:
		return smtpdp_policy(c, e);
	case CFG_R_NONE:
		if (smtpdp_class_find(e->word) != NULL)
			return smtpdp_run_class(c, e->word);
		mta_warn("unknown smtpd restriction: \"%s\"", e->word);
		return smtpdp_config_error(c, c->list_subject, 0);
	default:
		/* the DNS lists: every restriction with a domain argument */
		if (cfg_restriction_get(e->id)->arg == CFG_RA_DOMAIN)
			return smtpdp_rbl(c, e);
		/* the MX/NS/A access checks, unknown HELO names and the rest */
		return smtpdp_dnsaccess(c, e);
	}
}

/* trace - tell postfix simulate which element decided */
static void trace(const char *param, const char *element, int with_hit, struct ck *c,
                  enum verdict v)
{
	struct smtpd_trace t = {param, element, NULL, NULL, NULL, NULL, v == V_PERMIT};

	if (with_hit && hit.table) {
		t.table = hit.table;
		t.key = hit.key.data;
		t.result = hit.value.data;
	}
	t.reply = v == V_REJECT ? c->reply.data : NULL;
	smtpd_trace_hook(&t);
}

/* smtpdp_run_list - evaluate a compiled restriction list */
enum verdict smtpdp_run_list(struct ck *c, const struct rlist *list)
{
	for (size_t i = 0; i < list->n; i++) {
		int warn = c->warn_next;
		enum verdict v;

		c->warn_next = 0;
		hit.table = NULL;
		v = one_restriction(c, &list->v[i]);
		if (smtpd_trace_hook && v != V_DUNNO)
			trace(list->param, list->v[i].word, 1, c, v);
		if (v == V_REJECT && warn) {
			smtpd_log_reject(c->s, "reject_warning", c->s->where, c->reply.data,
			                 c->rcpt_int);
			continue;
		}
		if (v != V_DUNNO)
			return v;
	}
	return V_DUNNO;
}

/* keep_reply - the check's reply, kept in the session until its next check */
static const char *keep_reply(struct ck *c)
{
	struct cfg_buf *b = &c->s->check_reply;

	if (b->data == NULL)
		cfg_buf_init(b);
	cfg_buf_reset(b);
	cfg_buf_adds(b, c->reply.data);
	return b->data;
}

/* eval - one named list; the reply when it rejects (valid until the session's next check) */
static const char *eval(struct ck *c, const struct rlist *list, enum subject sub)
{
	enum verdict first, v;

	c->list_subject = sub;
	c->defer_if_permit = c->defer_if_reject = 0;
	first = smtpdp_run_list(c, list);
	v = smtpdp_deferred(c, first);
	/* a pending defer_if_permit / defer_if_reject changed the list's verdict */
	if (v != first && smtpd_trace_hook)
		trace(list->param, c->defer_if_permit ? "defer_if_permit" : "defer_if_reject", 0, c,
		      v);
	return v == V_REJECT ? keep_reply(c) : NULL;
}

/* ck_init / ck_fini - a check context */
static void ck_init(struct ck *c, struct smtpd *s, const char *rcpt)
{
	memset(c, 0, sizeof(*c));
	c->s = s;
	c->rcpt_int = rcpt;
	cfg_buf_init(&c->reply);
}

static void ck_fini(struct ck *c)
{
	cfg_buf_fini(&c->reply);
}

const char *smtpd_check_rcpt(struct smtpd *s, const char *rcpt_int, const char *rcpt_ext)
{
	struct ck c;
	const char *r = NULL;

	(void)rcpt_ext;
	/* after a DISCARD action every recipient is accepted unchecked, as in Postfix */
	if (s->discard)
		return NULL;
	ck_init(&c, s, rcpt_int);
	if (cfg->delay_reject) {
		if ((r = eval(&c, &cfg->rules->client, SUBJ_CLIENT)) == NULL
		    && (r = eval(&c, &cfg->rules->helo, SUBJ_HELO)) == NULL)
			r = eval(&c, &cfg->rules->sender, SUBJ_SENDER);
	}
	if (r == NULL) {
		if (cfg->relay_before_rcpt) {
			if ((r = eval(&c, &cfg->rules->relay, SUBJ_RCPT)) == NULL)
				r = eval(&c, &cfg->rules->rcpt, SUBJ_RCPT);
		} else {
			if ((r = eval(&c, &cfg->rules->rcpt, SUBJ_RCPT)) == NULL)
				r = eval(&c, &cfg->rules->relay, SUBJ_RCPT);
		}
	}
	if (s->discard)
		r = NULL;
	if (r == NULL && !s->discard && cfg->unlisted_sender && s->sender && *s->sender) {
		c.list_subject = SUBJ_SENDER;
		if (unlisted(&c, s->sender, SUBJ_SENDER, "5.1.0") == V_REJECT) {
			if (smtpd_trace_hook)
				trace("smtpd_reject_unlisted_sender", "reject_unlisted_sender", 0,
				      &c, V_REJECT);
			r = keep_reply(&c);
		}
	}
	if (r == NULL && !s->discard && cfg->unlisted_rcpt) {
		c.list_subject = SUBJ_RCPT;
		if (unlisted(&c, rcpt_int, SUBJ_RCPT, "5.1.1") == V_REJECT) {
			if (smtpd_trace_hook)
				trace("smtpd_reject_unlisted_recipient",
				      "reject_unlisted_recipient", 0, &c, V_REJECT);
			r = keep_reply(&c);
		}
	}
	ck_fini(&c);
	return r;
}

const char *smtpd_check_vrfy(struct smtpd *s, const char *addr_int)
{
	struct ck c;
	const char *r;

	ck_init(&c, s, addr_int);
	if ((r = eval(&c, &cfg->rules->relay, SUBJ_RCPT)) == NULL
	    && (r = eval(&c, &cfg->rules->rcpt, SUBJ_RCPT)) == NULL && cfg->unlisted_rcpt) {
		c.list_subject = SUBJ_RCPT;
		if (unlisted(&c, addr_int, SUBJ_RCPT, "5.1.1") == V_REJECT) {
			r = keep_reply(&c);
		}
	}
	ck_fini(&c);
	return r;
}

const char *smtpd_check_stage(struct smtpd *s, enum smtpd_stage stage)
{
	struct ck c;
	const char *r = NULL;

	/* without smtpd_delay_reject each list runs at its own command, as in Postfix */
	ck_init(&c, s, NULL);
	if (stage == ST_CONNECT)
		r = eval(&c, &cfg->rules->client, SUBJ_CLIENT);
	else if (stage == ST_HELO)
		r = eval(&c, &cfg->rules->helo, SUBJ_HELO);
	else if (stage == ST_MAIL)
		r = eval(&c, &cfg->rules->sender, SUBJ_SENDER);
	ck_fini(&c);
	return r;
}

const char *smtpd_check_data(struct smtpd *s, enum smtpd_stage stage)
{
	struct ck c;
	const char *r;

	ck_init(&c, s, s->nrcpt == 1 ? s->rcpt[0].internal : NULL);
	r = eval(&c, stage == ST_DATA ? &cfg->rules->data : &cfg->rules->eod,
	         stage == ST_DATA ? SUBJ_DATA : SUBJ_EOD);
	ck_fini(&c);
	return r;
}

const char *smtpd_check_etrn(struct smtpd *s, const char *domain)
{
	struct ck c;
	const char *r;

	ck_init(&c, s, NULL);
	c.etrn = domain;
	r = eval(&c, &cfg->rules->etrn, SUBJ_ETRN);
	ck_fini(&c);
	return r;
}
