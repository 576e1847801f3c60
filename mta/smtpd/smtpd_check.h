/*
 * smtpd_check.h - restriction evaluation internals shared by smtpd_check.c
 * (lists, restrictions, verdicts) and smtpd_access.c (access(5) tables).
 */
#ifndef SMTPD_CHECK_H
#define SMTPD_CHECK_H

#include "cfg/schema/restriction.h"
#include "smtpd.h"

/* outcome of one restriction or list */
enum verdict { V_DUNNO = 0, V_PERMIT, V_REJECT };

/* what a rejection talks about */
enum subject {
	SUBJ_CLIENT,
	SUBJ_HELO,
	SUBJ_SENDER,
	SUBJ_RCPT,
	SUBJ_DATA,
	SUBJ_EOD,
	SUBJ_ETRN,
	SUBJ_CCERT,      /* the client certificate's CN */
	SUBJ_SASL,       /* the SASL login name */
	SUBJ_REV_CLIENT, /* the client's unverified reverse name */
};

/*
 * A restriction list compiled once from its words (schemas/restrictions.def
 * through cfg/restriction.h): each element is a restriction id with its
 * argument.  A bare type:table stands for the list's default access check;
 * a word that is no restriction keeps id CFG_R_NONE (a configuration error
 * when it is reached, as in Postfix).
 */
struct relem {
	enum cfg_restriction_id id;
	const char *word; /* as written (borrowed from the list's words) */
	const char *arg;  /* the argument, or NULL */
};

struct rlist {
	struct relem *v;
	size_t n;
	const char *param; /* the parameter it comes from, NULL for a restriction class */
};

/* smtpd_rules - every restriction list of smtpd, compiled (smtpd_cfg.rules) */
struct smtpd_rules {
	struct rlist client, helo, sender, relay, rcpt, data, eod, etrn;
};

/* the evaluation context of one check */
struct ck {
	struct smtpd *s;
	enum subject list_subject; /* the list being evaluated */
	const char *rcpt_int;      /* current recipient, or NULL */
	const char *etrn;          /* ETRN domain */
	int depth;                 /* nested restriction lists from access tables */
	int warn_next;             /* warn_if_reject pending */
	int defer_if_permit;       /* defer_if_permit pending */
	char defer_reply[1024];    /* the reply it gives when the list permits */
	int defer_if_reject;       /* a later 5XX rejection becomes defer_reject_reply */
	char defer_reject_reply[1024];
	struct cfg_buf reply;
};

/* smtpdp_subject_name - the <...> part of a reply */
const char *smtpdp_subject_name(struct ck *c, enum subject sub);
/* smtpdp_reject - "CODE D.S.N <subject>: Text rejected: reason" into c->reply; V_REJECT */
enum verdict smtpdp_reject(struct ck *c, long code, const char *dsn, enum subject sub,
                           const char *fmt, ...) __attribute__((format(printf, 5, 6)));
/* smtpdp_subject_class - "Client host rejected", "Sender address rejected", ... */
const char *smtpdp_subject_class(enum subject sub);
/* smtpdp_config_error - "451 4.3.5 ... Server configuration error"; V_REJECT */
enum verdict smtpdp_config_error(struct ck *c, enum subject sub, int with_subject);
/* smtpdp_auth_destination - 1 when reject_unauth_destination would let the recipient pass */
int smtpdp_auth_destination(struct ck *c, const char *addr);
/* smtpdp_check_bind - the settings smtpd_check.c evaluates with (smtpd_check_init) */
void smtpdp_check_bind(struct smtpd_cfg *c);
/* smtpdp_compile - compile words (borrowed until smtpdp_rlist_fini) into out */
void smtpdp_compile(struct rlist *out, const struct cfg_strvec *words,
                    enum cfg_restriction_id default_access);
/* smtpdp_rlist_fini - release a compiled list */
void smtpdp_rlist_fini(struct rlist *l);
/* smtpdp_defer_if_permit - remember a DEFER_IF_PERMIT reply (code, dsn, subject, text) */
void smtpdp_defer_if_permit(struct ck *c, const char *dsn, enum subject sub, const char *text);
/* smtpdp_defer_if_reject - a later 5XX rejection of the list becomes "450 DSN <who>: ..." */
void smtpdp_defer_if_reject(struct ck *c, const char *dsn, const char *who, enum subject sub,
                            const char *text);
/* smtpdp_deferred - a list's verdict after its pending defer_if_permit / defer_if_reject */
enum verdict smtpdp_deferred(struct ck *c, enum verdict v);
/* smtpdp_run_list - evaluate a compiled restriction list */
enum verdict smtpdp_run_list(struct ck *c, const struct rlist *list);

/* smtpd_check_auth.c */
/* smtpdp_auth_restriction - a restriction that looks at TLS or SASL */
enum verdict smtpdp_auth_restriction(struct ck *c, const struct relem *e);

/* smtpd_access.c */
/* smtpdp_lookup_domain - a host name and its parent domains in an access table; 1, 0, -1 */
int smtpdp_lookup_domain(const struct smtpd_cfg *cfg, const char *table, const char *domain,
                         const char **value);
/* smtpdp_lookup_client - a client name (unless "unknown"), then its address; 1, 0, -1 */
int smtpdp_lookup_client(const struct smtpd_cfg *cfg, const char *table, const char *name,
                         const char *addr, const char **value);
/* smtpdp_lookup_addr - an address and its network prefixes; 1, 0, -1 */
int smtpdp_lookup_addr(const char *table, const char *addr, const char **value);
/* smtpdp_lookup_mail - an address, or the null-sender key; 1, 0, -1 */
int smtpdp_lookup_mail(const struct smtpd_cfg *cfg, const char *table, const char *addr,
                       const char **value);
/* smtpdp_last_key - the key of the last access lookup that found something (borrowed) */
const char *smtpdp_last_key(void);
/* smtpdp_access_result - act on an access(5) result */
enum verdict smtpdp_access_result(struct ck *c, const char *value, enum subject sub,
                                  const char *what);

/* smtpd_dnsaccess.c */
/* smtpdp_dnsaccess_init - the settings of the restrictions below */
void smtpdp_dnsaccess_init(struct mta_conf *conf);
/* smtpdp_dnsaccess - MX/NS/A access, unknown HELO names, permit_mx_backup and the old names */
enum verdict smtpdp_dnsaccess(struct ck *c, const struct relem *e);
/* smtpdp_no_whitelist - an OK from a restriction that may not permit is a configuration error */
enum verdict smtpdp_no_whitelist(struct ck *c, const char *word, enum verdict v,
                                 const char *target);

/* smtpd_footer.c */
/* smtpdp_footer_init - smtpd_reject_footer and smtpd_reject_footer_maps */
void smtpdp_footer_init(struct mta_conf *conf);
/* smtpdp_footer - append the reject footer to the 4XX/5XX reply at wbuf[start] (no CRLF yet) */
void smtpdp_footer(struct smtpd *s, struct cfg_buf *wbuf, size_t start);

/* smtpd_policy.c */
/* smtpdp_policy_init - the smtpd_policy_service_* settings */
void smtpdp_policy_init(struct mta_conf *conf);
/* smtpdp_policy - check_policy_service */
enum verdict smtpdp_policy(struct ck *c, const struct relem *e);

/* smtpd_rbl.c */
/* smtpdp_rbl_init - rbl_reply_maps and default_rbl_reply */
void smtpdp_rbl_init(struct mta_conf *conf);
/* smtpdp_rbl - the DNS white- and blocklist restrictions */
enum verdict smtpdp_rbl(struct ck *c, const struct relem *e);

/* smtpdp_classes_init - compile the smtpd_restriction_classes lists */
void smtpdp_classes_init(struct mta_conf *conf);
/* smtpdp_class_find - the compiled list of a restriction class, or NULL */
const struct rlist *smtpdp_class_find(const char *name);
/* smtpdp_run_class - run the list of a restriction class (smtpdp_class_find() knows it) */
enum verdict smtpdp_run_class(struct ck *c, const char *name);

#endif
