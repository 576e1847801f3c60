/*
 * config_int.h - internals shared by config.c, config_load.c, config_scan.c, config_view.c
 *
 * The parameter universe of a loaded configuration.  "dict" below means
 * what Postfix calls CONFIG_DICT: overrides given at load time, then main.cf,
 * then config_directory when the directory was given explicitly.  A scope is
 * one master.cf name space ("service/type"); Postfix keeps one name space
 * per distinct service/type, so two entries with the same pair share it.
 */
#ifndef CFG_CONFIG_INT_H
#define CFG_CONFIG_INT_H

#include "cfg/base/buf.h"
#include "cfg/config/effective.h"
#include "cfg/base/diag.h"
#include "cfg/base/htab.h"
#include "cfg/base/strvec.h"

/* a master.cf name space */
struct cfgp_scope {
	char *key;     /* "service/type" */
	char *service; /* the service name: $service_name in this name space */
	struct cfg_htab
	    *params; /* name -> value (borrowed from the master.cf document), last wins */
	struct cfg_htab *valid; /* user-defined names validated in this name space */
};

/* a list of scope indexes */
struct cfgp_idxlist {
	size_t *v;
	size_t n;
	size_t cap;
};

/* what a name resolves to when looked up for expansion */
enum cfgp_lookup {
	CFGP_LOOKUP_EFFECTIVE = 0, /* scope, dict, default */
	CFGP_LOOKUP_DEFAULTS,      /* default only (postconf -d) */
	CFGP_LOOKUP_DICT,          /* dict only, as Postfix's mail_conf_lookup_eval() */
};

struct cfg_config {
	char *dir;        /* as given or found */
	int dir_explicit; /* -c or $MAIL_CONFIG: config_directory is set in the dict */
	unsigned flags;   /* CFG_LOAD_* */
	char *process_name;
	char *main_path;             /* DIR/main.cf */
	char *master_path;           /* DIR/master.cf */
	struct cfg_maincf *main;     /* never NULL (empty when not read) */
	struct cfg_mastercf *master; /* never NULL (empty when not read) */
	struct cfg_htab *over;       /* overrides: name -> owned value */
	struct cfg_htab *deleted;    /* read-only names dropped from the dict */
	struct cfgp_builtins *bi; /* built-in name -> definition, indexed once it pays (config.c) */
	struct cfg_htab *known;   /* service-defined names (the built-in ones: cfgp_builtin) */
	struct cfg_htab *service; /* service-defined name -> default (borrowed) */
	struct cfg_htab *users;   /* used user-defined names (global name space) */
	struct cfg_htab *computed;     /* host/process-derived name -> owned default */
	struct cfg_htab *rest_classes; /* names in main.cf smtpd_restriction_classes */
	struct cfgp_scope *scopes;     /* distinct service/type name spaces */
	size_t nscopes;
	size_t *svc_scope;             /* master entry index -> scope index */
	struct cfg_htab *scope_by_key; /* "service/type" -> (scope index + 1) */
	struct cfg_htab *name_scopes;  /* -o name -> struct cfgp_idxlist of scopes setting it */
	int computing;                 /* recursion guard for host-derived defaults */
	char *net_in[3]; /* CFG_LOAD_LAZY_NETS: mynetworks_style, inet_interfaces, inet_protocols */
	int nets_later;  /* mynetworks is computed from net_in when first used */
};

/* cfgp_dict_get - the dict value of name (override, main.cf, config_directory) or NULL */
const char *cfgp_dict_get(const struct cfg_config *cfg, const char *name);
/* cfgp_scope_of - the scope of master entry svc, or NULL */
const struct cfgp_scope *cfgp_scope_of(const struct cfg_config *cfg, const struct cfg_service *svc);
/* cfgp_lookup - resolve name for expansion in scope (NULL: global) */
const char *cfgp_lookup(const struct cfg_config *cfg, const struct cfgp_scope *scope,
                        enum cfgp_lookup how, const char *name);
/* cfgp_expand - expand value with cfgp_lookup() semantics */
int cfgp_expand(const struct cfg_config *cfg, const struct cfgp_scope *scope, enum cfgp_lookup how,
                const char *value, struct cfg_buf *out, struct cfg_diags *diags);
/* cfgp_build_builtins - set up the built-in name lookup (cfg->bi); cfg->known starts empty */
void cfgp_build_builtins(struct cfg_config *cfg);
/* cfgp_builtin - the definition of a built-in name (legacy ones included), or NULL */
const struct cfg_param_def *cfgp_builtin(const struct cfg_config *cfg, const char *name);
/* cfgp_is_raw - 1 when name is a built-in that Postfix never expands */
int cfgp_is_raw(const struct cfg_config *cfg, const char *name);
/* cfgp_known - 1 for a built-in (legacy names included) or service-defined name */
int cfgp_known(const struct cfg_config *cfg, const char *name);
/* cfgp_legacy - 1 for an old name Postfix still knows but lists only once it is set */
int cfgp_legacy(const struct cfg_config *cfg, const char *name);

/* config_scan.c: the "used" analysis; returns 0 or -1 after a fatal diagnostic */
int cfgp_scan(struct cfg_config *cfg, struct cfg_diags *diags);
/* config_scan.c: legacy database client parameters (ldap:name -> name_server_host, ...) */
int cfgp_dbms(struct cfg_config *cfg, const struct cfgp_scope *scope, const char *value,
              struct cfg_diags *diags);

#endif
