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

enum mta_ptype {
	MTA_STR = 0, /* const char ** (borrowed from the view) */
	MTA_BOOL,    /* int * */
	MTA_INT,     /* long * */
	MTA_TIME,    /* long * seconds */
	MTA_SIZE,    /* long * bytes */
	MTA_LIST,    /* struct cfg_strvec * (initialised by the caller, cleared here) */
};

struct mta_param {
	const char *name;
	enum mta_ptype type;
	void *out;
};

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
/* mta_conf_get - fill a table ended by {NULL}; fatal on the first bad value */
void mta_conf_get(struct mta_conf *c, const struct mta_param *tab);
/* mta_conf_str - one expanded string (fatal on error) */
const char *mta_conf_str(struct mta_conf *c, const char *name);
/* mta_conf_bool / mta_conf_long / mta_conf_time - one typed value (fatal on error) */
int mta_conf_bool(struct mta_conf *c, const char *name);
long mta_conf_long(struct mta_conf *c, const char *name);
long mta_conf_time(struct mta_conf *c, const char *name);
/* mta_conf_list - the list value into out (cleared first; fatal on error) */
void mta_conf_list(struct mta_conf *c, const char *name, struct cfg_strvec *out);
/* mta_conf_log - direct logging per syslog_name, maillog_file, myhostname, syslog_facility */
void mta_conf_log(struct mta_conf *c);
/* mta_conf_dir - the configuration directory in use */
const char *mta_conf_dir(const struct mta_conf *c);

#endif
