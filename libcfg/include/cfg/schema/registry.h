/*
 * registry.h - the parameter registry: every Postfix 3.7 main.cf parameter
 *
 * The registry is const data generated from schemas/params.def (an X-macro
 * file, the one source of truth).  Entries are sorted by name with plain
 * strcmp() (so "lmtp_tls_CAfile" sorts before "lmtp_tls_block_early_mail_reply"),
 * which is exactly the order Postfix's `postconf -d` lists them in; lookups
 * are a binary search.  Nothing here is mutable or host-specific:
 * host-derived defaults (myhostname, mydomain, mynetworks) have
 * CFG_PF_HOSTDEP set, process-derived ones (process_id, process_name) have
 * CFG_PF_PROCDEP set; both have defval NULL and are computed by
 * cfg_hostinfo_default() (see hostinfo.h).
 *
 * Service-defined parameters (<service>_destination_concurrency_limit and
 * friends, which exist only for master.cf services that are delivery agents)
 * are described by cfg_service_param_templates().
 */
#ifndef CFG_REGISTRY_H
#define CFG_REGISTRY_H

#include <limits.h>
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
#define CFG_T_COUNT (CFG_T_COMPAT + 1)

/* flags */
#define CFG_PF_HOSTDEP 0x01u  /* default computed from the host at run time (defval is NULL) */
#define CFG_PF_COMPAT 0x02u   /* default depends on compatibility_level */
#define CFG_PF_READONLY 0x04u /* main.cf may not set it: process_id, process_name, service_name */
#define CFG_PF_MULTI 0x08u    /* ENUM that takes a list of choices (inet_protocols) */
#define CFG_PF_PROCDEP 0x10u  /* default describes the running process (defval is NULL) */
#define CFG_PF_NOCASE 0x20u   /* ENUM whose choices Postfix matches ignoring case */
#define CFG_PF_LEGACY 0x40u   /* old name: queryable, never "unused", left out of full listings */
/*
 * What postkit does with a setting (see cfg/support.h).  A parameter with
 * none of IMPL, INERT and TUNING is not implemented: postfix check and
 * start refuse a configuration that gives it another value than its
 * default (or than what postkit behaves as, schemas/params_values.def).
 */
#define CFG_PF_IMPL 0x80u    /* honoured: the daemons or the commands do what Postfix does */
#define CFG_PF_INERT 0x100u  /* no effect on mail (documentation, install paths, postmulti) */
#define CFG_PF_TUNING 0x200u /* performance tuning only: accepted with a warning, ignored */
/* properties the checks need */
#define CFG_PF_DOMLIST 0x400u   /* a domain list whose elements may be type:table */
#define CFG_PF_TRANSPORT 0x800u /* names a transport: its part before ':' is a master.cf service */
#define CFG_PF_CACHE 0x1000u    /* a table a daemon creates itself (only its type is checked) */
#define CFG_PF_RELPATH 0x2000u  /* a PATH that may be relative (home_mailbox, html_directory) */
#define CFG_PF_FSDIR 0x4000u    /* a directory postfix check examines on disk */
/* known to Postfix's bounce daemon without main.cf setting it (what postconf -b expands) */
#define CFG_PF_BOUNCE 0x8000u
/*
 * a table of credentials (smtp_sasl_password_maps): before a chroot jail,
 * only the daemon whose command prefixes the name (smtp, lmtp) opens it
 */
#define CFG_PF_SECRET 0x10000u

/* open ends of the min/max bounds */
#define CFG_NOMIN LONG_MIN
#define CFG_NOMAX LONG_MAX

struct cfg_param_def {
	const char *name;
	enum cfg_ptype type;
	const char
	    *defval; /* default exactly as `postconf -d` prints it (unexpanded); NULL if HOSTDEP */
	long min; /* inclusive bounds Postfix enforces: the value for INT/LONG/SIZE/TIME (seconds),
		     the length in bytes for the string types (1 = must not be empty);
		     CFG_NOMIN/CFG_NOMAX: open */
	long max;
	char time_unit; /* default unit for CFG_T_TIME: 's','m','h','d','w'; 0 otherwise */
	const char *
	    choices; /* CFG_T_ENUM: allowed values separated by '|' ("" alternative = empty ok), else NULL */
	unsigned flags;
	const char *desc; /* one line in postkit's own words, or NULL */
};

/* cfg_registry_find - the definition of a built-in parameter, or NULL */
const struct cfg_param_def *cfg_registry_find(const char *name);
/*
 * cfg_registry_count - number of built-in parameters, LEGACY ones included
 * (835 = the 831 that Postfix 3.7's `postconf -d` lists + 4 legacy names)
 */
size_t cfg_registry_count(void);
/* cfg_registry_at - the i-th built-in parameter in name order */
const struct cfg_param_def *cfg_registry_at(size_t i);
/* cfg_registry_index - the place of a built-in's definition in name order (its CFG_P_* id) */
size_t cfg_registry_index(const struct cfg_param_def *def);
/* cfg_ptype_name - "boolean", "time", ... for messages and export ("unknown" when out of range) */
const char *cfg_ptype_name(enum cfg_ptype type);
/* cfg_param_has_choice - 1 when word is one of an ENUM's choices (ignoring case with CFG_PF_NOCASE) */
int cfg_param_has_choice(const struct cfg_param_def *def, const char *word);

/*
 * Service-defined parameters (schemas/master.def, SERVICE_PARAM rows): for a
 * master.cf service NAME whose command (field 8, compared exactly, no path)
 * is a daemon with one of the CFG_DF_* flags in `who' (cfg/daemon.h: AGENT
 * for delivery agents, TIMELIMIT for pipe and spawn), Postfix knows
 * NAME<suffix>, defaulting to defval.  When NAME<suffix> is itself a
 * built-in (local_destination_concurrency_limit = 2, ...), Postfix keeps the
 * built-in default but counts the parameter as service-defined (`postconf -C`).
 */
struct cfg_service_param_template {
	const char *suffix; /* "_destination_concurrency_limit" */
	enum cfg_ptype type;
	const char *defval; /* "$default_destination_concurrency_limit" */
	unsigned who;       /* CFG_DF_* flags of the daemons whose services get it */
};

/* cfg_service_param_templates - the template table, *n set to its length */
const struct cfg_service_param_template *cfg_service_param_templates(size_t *n);
/* cfg_service_template_applies - 1 when template t yields a parameter for a service running command */
int cfg_service_template_applies(const struct cfg_service_param_template *t, const char *command);

#endif
