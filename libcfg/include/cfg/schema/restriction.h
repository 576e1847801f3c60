/*
 * restriction.h - the SMTP access restrictions, from schemas/restrictions.def
 *
 * One const row per restriction Postfix 3.7 knows, sorted by name, with what
 * its argument must be, what it looks at, its properties and whether
 * postkit implements it.  postfix check, postconf --shell and smtpd all read
 * this table: smtpd compiles a restriction list into CFG_R_* ids once and
 * dispatches on the id.  Also the restriction-list parameters of smtpd, with
 * their stage and the access check a bare type:table stands for.
 */
#ifndef CFG_RESTRICTION_H
#define CFG_RESTRICTION_H

#include <stddef.h>

#include "cfg/schema/ids.h" /* enum cfg_restriction_id: CFG_R_<ID> in the file's (name) order */

/* what the next word must be */
enum cfg_restriction_arg {
	CFG_RA_NONE = 0,
	CFG_RA_TABLE,  /* type:name */
	CFG_RA_POLICY, /* transport:server, or {transport:server, name=value...} */
	CFG_RA_DOMAIN, /* a DNS list domain, optionally =filter */
	CFG_RA_NUMBER, /* a decimal number */
};

/* what the restriction looks at */
enum cfg_restriction_needs {
	CFG_RN_ANY = 0, /* the connection: client address and names */
	CFG_RN_HELO,
	CFG_RN_SENDER,
	CFG_RN_RCPT,
	CFG_RN_ETRN,
	CFG_RN_DATA,
	CFG_RN_SASL,
	CFG_RN_TLS,
};

/* properties (flags column) */
#define CFG_RF_FINAL 0x001u     /* permit / reject / defer: nothing after it runs */
#define CFG_RF_PERMIT 0x002u    /* permits every request */
#define CFG_RF_GUARD 0x004u     /* counts as a relay guard for smtpd's start-up check */
#define CFG_RF_RELAY 0x008u     /* reject_unauth_destination / defer_unauth_destination */
#define CFG_RF_SPOOFABLE 0x010u /* decides on what the client claims (HELO, sender) */
#define CFG_RF_MXBACKUP 0x020u  /* permit_mx_backup */
#define CFG_RF_WARN 0x040u      /* warn_if_reject: applies to the next restriction */
#define CFG_RF_LHRC 0x080u      /* allowed in local_header_rewrite_clients */
#define CFG_RF_PSCREEN 0x100u   /* allowed in postscreen_access_list */
#define CFG_RF_NOTSMTPD 0x200u  /* not an smtpd restriction */

struct cfg_restriction_def {
	enum cfg_restriction_id id;
	const char *name;
	enum cfg_restriction_arg arg;
	enum cfg_restriction_needs needs;
	unsigned flags;         /* CFG_RF_* */
	int impl;               /* 1 when postkit implements it */
	const char *deprecated; /* Postfix's warning when deprecated, or NULL */
};

/* the SMTP stage a restriction list belongs to */
enum cfg_smtp_stage {
	CFG_STAGE_CLIENT = 0,
	CFG_STAGE_HELO,
	CFG_STAGE_SENDER,
	CFG_STAGE_RCPT,
	CFG_STAGE_DATA,
	CFG_STAGE_EOD,
	CFG_STAGE_ETRN,
};

struct cfg_restriction_list_def {
	const char *param;
	enum cfg_smtp_stage stage;
	enum cfg_restriction_id default_access; /* CFG_R_NONE: a bare table is an error */
};

/* cfg_restriction_find - the row of a restriction name (any case), or NULL */
const struct cfg_restriction_def *cfg_restriction_find(const char *name);
/* cfg_restriction_get - the row of an id (id < CFG_R_COUNT) */
const struct cfg_restriction_def *cfg_restriction_get(enum cfg_restriction_id id);
/* cfg_restriction_count - how many rows (CFG_R_COUNT) */
size_t cfg_restriction_count(void);
/* cfg_restriction_names - every restriction name (smtpd's and the others), NULL-terminated */
const char *const *cfg_restriction_names(void);
/* cfg_restriction_list_find - the row of a restriction-list parameter, or NULL */
const struct cfg_restriction_list_def *cfg_restriction_list_find(const char *param);
/* cfg_restriction_list_at - the i-th restriction-list parameter, NULL past the end */
const struct cfg_restriction_list_def *cfg_restriction_list_at(size_t i);

#endif
