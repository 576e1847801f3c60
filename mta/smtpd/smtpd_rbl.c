/* smtpd_rbl.c - DNS white- and blocklists in smtpd restrictions */
#include "config.h"

#include "log.h"
#include "smtpd_check.h"

/* smtpdp_rbl_init - rbl_reply_maps and default_rbl_reply */
void smtpdp_rbl_init(struct mta_conf *conf)
{
	(void)conf;
}

/* smtpdp_rbl - not yet */
enum verdict smtpdp_rbl(struct ck *c, const struct relem *e)
{
	mta_warn("restriction %s is not implemented by postkit", e->word);
	return smtpdp_config_error(c, c->list_subject, 0);
}
