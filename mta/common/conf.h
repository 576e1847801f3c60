/*
 * conf.h - a daemon's settings, read through libcfg
 *
 * No daemon parses configuration text: mta_conf_open() loads main.cf and
 * master.cf with cfg_config_load() and makes the view of one master.cf
 * service (its -o overrides on top of main.cf).  Daemons then fill a table
 * of typed variables in one call (STYLE.md: tables over code).  A bad value
 * is fatal with libcfg's message, which is Postfix's wording:
 *   "fatal: bad boolean configuration: disable_vrfy_command = maybe".
 */
#ifndef MTA_CONF_H
#define MTA_CONF_H

#include "cfg/config/effective.h"
#include "cfg/base/strvec.h"
#include "cfg/schema/ids.h"

/*
 * struct mta_setting - one parameter a daemon reads, by registry id, and
 * where its value goes.  The C type of *out follows the parameter's type in
 * schemas/params.def, so no daemon declares a type a second time:
 *   string kinds (STRING RAW PATH HOSTNAME DOMAIN ENUM USER GROUP COMPAT)
 *                                   const char ** (borrowed from the view)
 *   BOOL                            int *
 *   INT LONG SIZE                   long *
 *   TIME                            long * (seconds)
 *   LIST MAPS RESTRICTIONS NETWORKS and multi-valued ENUMs
 *                                   struct cfg_strvec * (initialised by the caller)
 */
/* enum mta_kind - the C type a parameter's value is read into (see above) */
enum mta_kind { MTA_KIND_STR, MTA_KIND_BOOL, MTA_KIND_LONG, MTA_KIND_TIME, MTA_KIND_LIST };

/*
 * MTA_CTYPE - the kind a pointer can receive, from its C type alone (long *
 * says MTA_KIND_LONG and also fits TIME).  It is not a declaration: it lets
 * mta_conf_get() refuse, at start-up, a variable of the wrong type for what
 * the registry says, instead of writing through it.
 */
#define MTA_CTYPE(p)                                                                               \
	_Generic((p), const char **: MTA_KIND_STR, int *: MTA_KIND_BOOL, long *: MTA_KIND_LONG,   \
	         struct cfg_strvec *: MTA_KIND_LIST)

struct mta_setting {
	enum cfg_param_id id;
	void *out;
	enum mta_kind ctype; /* MTA_CTYPE(out) */
};
/* MTA_SET - a table row: the parameter id and the variable its value goes to */
#define MTA_SET(id, out)                                                                           \
	{                                                                                          \
		(id), (out), MTA_CTYPE(out)                                                        \
	}
/* MTA_SETTINGS_END - the row that ends a settings table */
#define MTA_SETTINGS_END                                                                           \
	{                                                                                          \
		CFG_P_COUNT, NULL, MTA_KIND_STR                                                    \
	}

struct mta_conf {
	struct cfg_config *cfg;
	struct cfg_view *view;
	char *service; /* master.cf service name, or NULL */
	char *type;    /* master.cf type, or NULL */
};

/*
 * mta_conf_open - load config_dir (NULL: $MAIL_CONFIG, else the default)
 * and make the view of service/type (NULL, NULL: main.cf alone).  Logs
 * the loader's warnings; fatal when loading fails.
 */
void mta_conf_open(struct mta_conf *c, const char *config_dir, const char *service,
                   const char *type);
/*
 * mta_conf_try - like mta_conf_open but returns -1 and appends the problem
 * to why instead of exiting (for the postfix command)
 */
int mta_conf_try(struct mta_conf *c, const char *config_dir, const char *service, const char *type,
                 struct cfg_buf *why);
/* mta_conf_close - release; a zeroed struct is fine */
void mta_conf_close(struct mta_conf *c);
/* mta_conf_get - fill a table ended by MTA_SETTINGS_END; fatal on the first bad value */
void mta_conf_get(struct mta_conf *c, const struct mta_setting *tab);
/*
 * mta_conf_named - one value by name, for names made at run time ("smtp_" or
 * "lmtp_" + suffix) or passed through a helper; out is typed as in a table.
 * Fatal when name is not a built-in parameter.
 */
#define mta_conf_named(c, name, out) mta_conf_named_((c), (name), (out), MTA_CTYPE(out))
void mta_conf_named_(struct mta_conf *c, const char *name, void *out, enum mta_kind ctype);
/* mta_conf_id - the registry id of a parameter name; fatal when postkit does not know it */
enum cfg_param_id mta_conf_id(const char *name);
/* mta_conf_kind - the kind of value parameter id is read as */
enum mta_kind mta_conf_kind(enum cfg_param_id id);
/*
 * mta_conf_str / _bool / _long / _time / _list - one value by id; fatal when
 * the registry type of id is not of that kind (a programming error)
 */
const char *mta_conf_str(struct mta_conf *c, enum cfg_param_id id);
int mta_conf_bool(struct mta_conf *c, enum cfg_param_id id);
long mta_conf_long(struct mta_conf *c, enum cfg_param_id id);
long mta_conf_time(struct mta_conf *c, enum cfg_param_id id);
void mta_conf_list(struct mta_conf *c, enum cfg_param_id id, struct cfg_strvec *out);
/* mta_conf_text - the expanded value as written, whatever the type (to edit it back) */
const char *mta_conf_text(struct mta_conf *c, enum cfg_param_id id);
/* mta_conf_log - direct logging per syslog_name, maillog_file, myhostname, syslog_facility */
void mta_conf_log(struct mta_conf *c);
/* mta_conf_dir - the configuration directory in use */
const char *mta_conf_dir(const struct mta_conf *c);

#endif
