/*
 * smtpd_rules.c - smtpd's restriction lists compiled once per process: each
 * word of smtpd_*_restrictions becomes a restriction id from schemas/
 * (smtpd_check.c dispatches on the id), with the settings the checks read
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "cfg/base/xalloc.h"
#include "cfg/schema/restriction.h"
#include "log.h"
#include "match.h"
#include "smtpd.h"
#include "smtpd_check.h"

void smtpdp_compile(struct rlist *out, const struct cfg_strvec *words,
                    enum cfg_restriction_id default_access)
{
	out->v = cfg_xcalloc(words->n ? words->n : 1, sizeof(*out->v));
	out->n = 0;
	out->param = NULL;
	for (size_t i = 0; i < words->n; i++) {
		const char *w = words->v[i];
		const struct cfg_restriction_def *r = cfg_restriction_find(w);
		struct relem *e = &out->v[out->n++];

		e->word = w;
		e->arg = NULL;
		if (r != NULL && !(r->flags & CFG_RF_NOTSMTPD)) {
			e->id = r->id;
			if (r->arg != CFG_RA_NONE && i + 1 < words->n)
				e->arg = words->v[++i];
		} else if (strchr(w, ':') != NULL && default_access != CFG_R_NONE) {
			/* a bare table: the list's access check, as in Postfix */
			e->id = default_access;
			e->arg = w;
		} else {
			e->id = CFG_R_NONE;
		}
	}
}

void smtpdp_rlist_fini(struct rlist *l)
{
	free(l->v);
	l->v = NULL;
	l->n = 0;
}

/* has_guard - a list holds a relay guard restriction */
static int has_guard(const struct rlist *l)
{
	for (size_t i = 0; i < l->n; i++)
		if (l->v[i].id != CFG_R_NONE
		    && (cfg_restriction_get(l->v[i].id)->flags & CFG_RF_GUARD))
			return 1;
	return 0;
}

/* compile_lists - every restriction list of smtpd, with its default access check */
static struct smtpd_rules *compile_lists(struct smtpd_cfg *c)
{
	struct smtpd_rules *r = cfg_xcalloc(1, sizeof(*r));
	const struct {
		const char *param;
		const struct cfg_strvec *words;
		struct rlist *out;
	} lists[] = {
	    {"smtpd_client_restrictions", &c->client_r, &r->client},
	    {"smtpd_helo_restrictions", &c->helo_r, &r->helo},
	    {"smtpd_sender_restrictions", &c->sender_r, &r->sender},
	    {"smtpd_relay_restrictions", &c->relay_r, &r->relay},
	    {"smtpd_recipient_restrictions", &c->rcpt_r, &r->rcpt},
	    {"smtpd_data_restrictions", &c->data_r, &r->data},
	    {"smtpd_end_of_data_restrictions", &c->eod_r, &r->eod},
	    {"smtpd_etrn_restrictions", &c->etrn_r, &r->etrn},
	};

	for (size_t i = 0; i < sizeof(lists) / sizeof(lists[0]); i++) {
		const struct cfg_restriction_list_def *ld =
		    cfg_restriction_list_find(lists[i].param);

		smtpdp_compile(lists[i].out, lists[i].words, ld ? ld->default_access : CFG_R_NONE);
		lists[i].out->param = lists[i].param;
	}
	return r;
}

/* host_list - compile a host/address list parameter */
static struct match_list *host_list(struct smtpd_cfg *c, struct mta_conf *conf, const char *param)
{
	struct cfg_strvec v;
	struct match_list *l;

	cfg_strvec_init(&v);
	mta_conf_named(conf, param, &v);
	l = match_list_new(param, &v,
	                   MATCH_HOSTS | (rslv_parent_matches(c->rslv, param) ? MATCH_PARENT : 0));
	cfg_strvec_fini(&v);
	return l;
}

void smtpd_check_init(struct smtpd_cfg *c, struct mta_conf *conf)
{
	struct mta_setting tab[] = {
	    MTA_SET(CFG_P_smtpd_client_restrictions, &c->client_r),
	    MTA_SET(CFG_P_smtpd_helo_restrictions, &c->helo_r),
	    MTA_SET(CFG_P_smtpd_sender_restrictions, &c->sender_r),
	    MTA_SET(CFG_P_smtpd_relay_restrictions, &c->relay_r),
	    MTA_SET(CFG_P_smtpd_recipient_restrictions, &c->rcpt_r),
	    MTA_SET(CFG_P_smtpd_data_restrictions, &c->data_r),
	    MTA_SET(CFG_P_smtpd_end_of_data_restrictions, &c->eod_r),
	    MTA_SET(CFG_P_smtpd_etrn_restrictions, &c->etrn_r),
	    MTA_SET(CFG_P_local_recipient_maps, &c->local_rcpt_maps),
	    MTA_SET(CFG_P_virtual_alias_maps, &c->va_maps),
	    MTA_SET(CFG_P_canonical_maps, &c->canon_maps),
	    MTA_SET(CFG_P_recipient_canonical_maps, &c->rcpt_canon_maps),
	    MTA_SET(CFG_P_virtual_mailbox_maps, &c->vm_maps),
	    MTA_SET(CFG_P_relay_recipient_maps, &c->relay_rcpt_maps),
	    MTA_SET(CFG_P_smtpd_relay_before_recipient_restrictions, &c->relay_before_rcpt),
	    MTA_SET(CFG_P_smtpd_null_access_lookup_key, &c->null_key),
	    MTA_SET(CFG_P_recipient_delimiter, &c->recipient_delimiter),
	    MTA_SET(CFG_P_reject_code, &c->reject_code),
	    MTA_SET(CFG_P_defer_code, &c->defer_code),
	    MTA_SET(CFG_P_access_map_reject_code, &c->access_reject_code),
	    MTA_SET(CFG_P_access_map_defer_code, &c->access_defer_code),
	    MTA_SET(CFG_P_relay_domains_reject_code, &c->relay_reject_code),
	    MTA_SET(CFG_P_unknown_local_recipient_reject_code, &c->unknown_local_code),
	    MTA_SET(CFG_P_unknown_virtual_alias_reject_code, &c->unknown_virtual_code),
	    MTA_SET(CFG_P_unknown_virtual_mailbox_reject_code, &c->unknown_vmbox_code),
	    MTA_SET(CFG_P_unknown_relay_recipient_reject_code, &c->unknown_relay_code),
	    MTA_SET(CFG_P_non_fqdn_reject_code, &c->non_fqdn_code),
	    MTA_SET(CFG_P_invalid_hostname_reject_code, &c->invalid_hostname_code),
	    MTA_SET(CFG_P_unknown_address_reject_code, &c->unknown_address_code),
	    MTA_SETTINGS_END,
	};
	struct cfg_strvec *lists[] = {
	    &c->client_r, &c->helo_r,          &c->sender_r,   &c->relay_r,         &c->rcpt_r,
	    &c->data_r,   &c->eod_r,           &c->etrn_r,     &c->local_rcpt_maps, &c->va_maps,
	    &c->vm_maps,  &c->relay_rcpt_maps, &c->canon_maps, &c->rcpt_canon_maps};

	smtpdp_check_bind(c);
	for (size_t i = 0; i < sizeof(lists) / sizeof(lists[0]); i++)
		cfg_strvec_init(lists[i]);
	mta_conf_get(conf, tab);
	c->rslv = rslv_new(conf);
	c->access_parent_style = rslv_parent_matches(c->rslv, "smtpd_access_maps");
	c->mynetworks = host_list(c, conf, "mynetworks");
	c->xclient_hosts = host_list(c, conf, "smtpd_authorized_xclient_hosts");
	c->xforward_hosts = host_list(c, conf, "smtpd_authorized_xforward_hosts");
	c->bare_nl_exclusions = host_list(c, conf, "smtpd_forbid_bare_newline_exclusions");
	c->rules = compile_lists(c);
	smtpdp_classes_init(conf);
	smtpdp_policy_init(conf);
	smtpdp_rbl_init(conf);
	smtpdp_dnsaccess_init(conf);
	smtpdp_footer_init(conf);
	if (!has_guard(&c->rules->relay) && !has_guard(&c->rules->rcpt))
		mta_fatal("in parameter smtpd_relay_restrictions or smtpd_recipient_restrictions, "
		          "specify at least one working instance of: reject_unauth_destination, "
		          "defer_unauth_destination, reject, defer, defer_if_permit or "
		          "check_relay_domains");
}
