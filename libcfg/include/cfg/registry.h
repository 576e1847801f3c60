/*
 * registry.h - the parameter registry: every Postfix 3.7 main.cf parameter
 *
 * The registry is const data generated from schemas/params.def (an X-macro
 * file, the one source of truth).  Entries are sorted by name (strcmp) so
 * lookups are a binary search.  Nothing here is mutable or host-specific:
 * host-derived defaults (myhostname, mydomain, mynetworks, ...) have
 * CFG_PF_HOSTDEP set and are computed by cfg_hostinfo (see hostinfo.h).
 *
 * Service-defined parameters (<service>_destination_concurrency_limit and
 * friends, which exist only for master.cf services that are delivery agents)
 * are described by cfg_service_param_templates().
 */
#ifndef CFG_REGISTRY_H
#define CFG_REGISTRY_H

#include <stddef.h>

/* What a value means; drives validation, export typing and completion. */
enum cfg_ptype {
	CFG_T_STRING = 0,   /* free text, $name-expanded */
	CFG_T_RAW,          /* free text, never expanded by Postfix (templates, commands) */
	CFG_T_BOOL,         /* yes / no, case-insensitive */
	CFG_T_INT,          /* decimal integer (int range), no unit suffix */
	CFG_T_LONG,         /* decimal integer (long range) */
	CFG_T_SIZE,         /* decimal byte count (long range), no unit suffix */
	CFG_T_TIME,         /* integer + optional unit s m h d w; default unit in time_unit */
	CFG_T_LIST,         /* comma/whitespace separated words */
	CFG_T_MAPS,         /* list of lookup tables type:name */
	CFG_T_RESTRICTIONS, /* smtpd-style restriction list */
	CFG_T_NETWORKS,     /* list of CIDR blocks, addresses, type:table, /file */
	CFG_T_PATH,         /* a file or directory name */
	CFG_T_HOSTNAME,     /* a host name (myhostname) */
	CFG_T_DOMAIN,       /* a domain name (mydomain) */
	CFG_T_ENUM,         /* one of choices */
	CFG_T_USER,         /* a login name */
	CFG_T_GROUP,        /* a group name */
	CFG_T_COMPAT,       /* compatibility level: N, N.N or N.N.N */
};

/* flags */
#define CFG_PF_HOSTDEP  0x01u /* default computed from the host at run time (defval is NULL) */
#define CFG_PF_COMPAT   0x02u /* default depends on compatibility_level */
#define CFG_PF_READONLY 0x04u /* built-in, informational (mail_version, ...) */
#define CFG_PF_MULTI    0x08u /* ENUM that takes a list of choices (inet_protocols) */

struct cfg_param_def {
	const char *name;
	enum cfg_ptype type;
	const char *defval;  /* default exactly as `postconf -d` prints it (unexpanded); NULL if HOSTDEP */
	long min;            /* inclusive bounds for INT/LONG/SIZE/TIME (seconds); min > max: none */
	long max;
	char time_unit;      /* default unit for CFG_T_TIME: 's','m','h','d','w'; 0 otherwise */
	const char *choices; /* CFG_T_ENUM: allowed values separated by '|', else NULL */
	unsigned flags;
	const char *desc;    /* one line in postkit's own words, or NULL */
};

/* cfg_registry_find - the definition of a built-in parameter, or NULL */
const struct cfg_param_def *cfg_registry_find(const char *name);
/* cfg_registry_count - number of built-in parameters */
size_t cfg_registry_count(void);
/* cfg_registry_at - the i-th built-in parameter in name order */
const struct cfg_param_def *cfg_registry_at(size_t i);
/* cfg_ptype_name - "boolean", "time", ... for messages and export */
const char *cfg_ptype_name(enum cfg_ptype type);

/*
 * Service-defined parameters: for a master.cf service NAME whose command is
 * a delivery agent, Postfix knows NAME<suffix> with the given default.
 */
struct cfg_service_param_template {
	const char *suffix;   /* "_destination_concurrency_limit" */
	enum cfg_ptype type;
	const char *defval;   /* "$default_destination_concurrency_limit" */
	const char *commands; /* commands that get it, '|'-separated, NULL = every delivery agent */
};

/* cfg_service_param_templates - the template table, *n set to its length */
const struct cfg_service_param_template *cfg_service_param_templates(size_t *n);
/* cfg_is_delivery_agent - 1 when a master.cf command name gets service-defined parameters */
int cfg_is_delivery_agent(const char *command);

#endif
