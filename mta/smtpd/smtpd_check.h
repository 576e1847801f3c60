/*
 * smtpd_check.h - restriction evaluation internals shared by smtpd_check.c
 * (lists, restrictions, verdicts) and smtpd_access.c (access(5) tables).
 */
#ifndef SMTPD_CHECK_H
#define SMTPD_CHECK_H

#include "smtpd.h"

/* outcome of one restriction or list */
enum verdict { V_DUNNO = 0, V_PERMIT, V_REJECT };

/* what a rejection talks about */
enum subject { SUBJ_CLIENT, SUBJ_HELO, SUBJ_SENDER, SUBJ_RCPT, SUBJ_DATA, SUBJ_EOD, SUBJ_ETRN };

/* the evaluation context of one check */
struct ck {
	struct smtpd *s;
	enum subject list_subject; /* the list being evaluated */
	const char *rcpt_int;      /* current recipient, or NULL */
	const char *etrn;          /* ETRN domain */
	int depth;                 /* nested restriction lists from access tables */
	int warn_next;             /* warn_if_reject pending */
	int defer_if_permit;       /* defer_if_permit pending */
	struct cfg_buf reply;
};

/* smtpdp_subject_name - the <...> part of a reply */
const char *smtpdp_subject_name(struct ck *c, enum subject sub);
/* smtpdp_reject - "CODE D.S.N <subject>: Text rejected: reason" into c->reply; V_REJECT */
enum verdict smtpdp_reject(struct ck *c, long code, const char *dsn, enum subject sub,
                           const char *fmt, ...) __attribute__((format(printf, 5, 6)));
/* smtpdp_config_error - "451 4.3.5 ... Server configuration error"; V_REJECT */
enum verdict smtpdp_config_error(struct ck *c, enum subject sub, int with_subject);
/* smtpdp_run_list - evaluate a restriction list from element start */
enum verdict smtpdp_run_list(struct ck *c, const struct cfg_strvec *list, size_t start);

/* smtpd_access.c */
/* smtpdp_lookup_domain - a host name and its parent domains in an access table; 1, 0, -1 */
int smtpdp_lookup_domain(const struct smtpd_cfg *cfg, const char *table, const char *domain,
                         const char **value);
/* smtpdp_lookup_client - the client's name, then its address and networks; 1, 0, -1 */
int smtpdp_lookup_client(const char *table, struct smtpd *s, const char **value);
/* smtpdp_lookup_mail - an address, or the null-sender key; 1, 0, -1 */
int smtpdp_lookup_mail(const struct smtpd_cfg *cfg, const char *table, const char *addr,
                       const char **value);
/* smtpdp_access_result - act on an access(5) result */
enum verdict smtpdp_access_result(struct ck *c, const char *value, enum subject sub,
                                  const char *what);

#endif
