/*
 * config.h - a loaded configuration: main.cf + master.cf + the registry
 *
 * This is the API programs use.  cfg_config_load() reads DIR/main.cf and
 * DIR/master.cf into documents and builds the parameter universe the way
 * Postfix's postconf does:
 *  - built-in parameters (the registry, host-derived defaults computed);
 *  - service-defined parameters (NAME_destination_concurrency_limit, ... for
 *    each master.cf delivery-agent service);
 *  - user-defined parameters: names set in main.cf or in a master.cf
 *    "-o name=value" that are neither of the above; they count as "used"
 *    only when some parameter value or -o value references them as $name
 *    (or names them in smtpd_restriction_classes, or they are the
 *    NAME_suffix settings of a legacy "ldap:NAME"-style table).
 * Values are looked up in this order: a master.cf entry's -o overrides (in a
 * view), overrides given at load time (postconf -o), main.cf (the last
 * definition), config_directory when the directory was given explicitly,
 * the default.
 *
 * A struct cfg_view is the effective settings of one master.cf service:
 * the configuration with that entry's -o overrides on top.  Daemons read
 * every setting through a view (typed getters below); a view made with
 * service NULL is plain main.cf.
 *
 * Nothing here prints: problems are appended to the caller's diagnostics.
 * Messages are Postfix's wording (the text after "warning: "/"fatal: ").
 */
#ifndef CFG_CONFIG_H
#define CFG_CONFIG_H

#include <stddef.h>

#include "cfg/base/buf.h"
#include "cfg/base/diag.h"
#include "cfg/doc/maincf.h"
#include "cfg/doc/mastercf.h"
#include "cfg/schema/registry.h"
#include "cfg/base/strvec.h"

struct cfg_config;
struct cfg_view;

/* parameter classes, as postconf -C names them */
#define CFG_CLASS_BUILTIN 0x01u
#define CFG_CLASS_SERVICE 0x02u
#define CFG_CLASS_USER 0x04u
#define CFG_CLASS_ALL 0x07u

/* load flags */
#define CFG_LOAD_NEED_MASTER                                                                       \
	0x01u /* a missing master.cf is fatal, and it is read first (postconf -M) */
#define CFG_LOAD_DEFAULTS 0x02u  /* postconf -d: main.cf is not read, every value is the default */
#define CFG_LOAD_NO_MASTER 0x04u /* do not read master.cf at all */
#define CFG_LOAD_TEXTS 0x08u     /* use the texts in the opts instead of reading the files */
#define CFG_LOAD_NO_SCAN 0x10u   /* skip postconf's "used" analysis and its warnings (tools) */
/* compute a default mynetworks (the interface list) when first used, not at load (tools) */
#define CFG_LOAD_LAZY_NETS 0x20u

/* Everything cfg_config_open() can be told; a zeroed struct is the plain load. */
struct cfg_load_opts {
	unsigned flags;               /* CFG_LOAD_* */
	const char *process_name;     /* default of process_name (NULL: "postconf") */
	const char *const *overrides; /* "name=value" strings set above main.cf (postconf -o) */
	size_t noverrides;
	/* with CFG_LOAD_TEXTS: the bytes of main.cf and master.cf (what postconf --import checks) */
	const char *main_text;
	size_t main_len;
	const char *master_text;
	size_t master_len;
};

/*
 * cfg_config_open - load config_dir (NULL: $MAIL_CONFIG, else /etc/postfix)
 * and analyse it as postconf does: which names are used, "undefined
 * parameter" and "read-only parameter assignment" warnings, host-derived
 * defaults.  Returns 0, or -1 with a fatal diagnostic in Postfix's wording
 * ("open DIR/main.cf: No such file or directory", a syntax error, "macro
 * processing error", "invalid parameter override: ...").  Warnings are
 * appended either way.  *out is set only on success.
 */
int cfg_config_open(const char *config_dir, const struct cfg_load_opts *opts,
                    struct cfg_config **out, struct cfg_diags *diags);
/* cfg_config_load - cfg_config_open() with only flags */
int cfg_config_load(const char *config_dir, unsigned flags, struct cfg_config **out,
                    struct cfg_diags *diags);
/* cfg_config_free - free everything; NULL is a no-op */
void cfg_config_free(struct cfg_config *cfg);
/* cfg_config_dir - the configuration directory in use, as given (borrowed) */
const char *cfg_config_dir(const struct cfg_config *cfg);
/* cfg_config_maincf / cfg_config_mastercf - the documents (borrowed; may hold no entries) */
const struct cfg_maincf *cfg_config_maincf(const struct cfg_config *cfg);
const struct cfg_mastercf *cfg_config_mastercf(const struct cfg_config *cfg);

/*
 * cfg_config_override - set name=value above main.cf for this process.
 * Values and expansions see it at once; which names count as used is what
 * cfg_config_open() found (give postconf -o settings through the opts).
 */
void cfg_config_override(struct cfg_config *cfg, const char *name, const char *value);

/*
 * cfg_config_class - CFG_CLASS_* of name, or 0 when Postfix would not know
 * it.  Legacy built-in names (virtual_maps, ...) are CFG_CLASS_BUILTIN
 * until main.cf or master.cf sets them, then CFG_CLASS_USER, as in Postfix.
 */
unsigned cfg_config_class(const struct cfg_config *cfg, const char *name);
/* cfg_config_is_used - 1 for a known name or a user-defined one that something uses */
int cfg_config_is_used(const struct cfg_config *cfg, const char *name);
/* cfg_config_default - the default (unexpanded; host-derived ones computed), or NULL */
const char *cfg_config_default(const struct cfg_config *cfg, const char *name);
/*
 * cfg_config_explicit - the value set for name in main.cf (or by an
 * override, or config_directory for an explicit directory), or NULL when it
 * is left at its default.  Unknown names count too.
 */
const char *cfg_config_explicit(const struct cfg_config *cfg, const char *name);
/* cfg_config_value - the effective unexpanded value, or NULL when unknown and unset */
const char *cfg_config_value(const struct cfg_config *cfg, const char *name);
/*
 * cfg_config_names - append to out every parameter name of the given
 * classes that postconf would list, sorted by name (strcmp).  User-defined
 * names are included only when used; legacy names only once they are set.
 */
void cfg_config_names(const struct cfg_config *cfg, unsigned classes, struct cfg_strvec *out);
/* cfg_config_explicit_names - like cfg_config_names(), only names with an explicit value (postconf -n) */
void cfg_config_explicit_names(const struct cfg_config *cfg, unsigned classes,
                               struct cfg_strvec *out);
/*
 * cfg_config_expand - append the recursive expansion of an arbitrary value
 * (not a name) to out, with $names resolved against this configuration
 * (defaults only after CFG_LOAD_DEFAULTS).  Undefined names expand to
 * nothing.  Returns 0, or -1 on a macro error (warnings appended; Postfix
 * then says "macro processing error").
 */
int cfg_config_expand(const struct cfg_config *cfg, const char *value, struct cfg_buf *out,
                      struct cfg_diags *diags);
/* cfg_config_expand_service - cfg_config_expand() in the name space of master.cf entry svc */
int cfg_config_expand_service(const struct cfg_config *cfg, const struct cfg_service *svc,
                              const char *value, struct cfg_buf *out, struct cfg_diags *diags);
/*
 * cfg_config_unused - append a warning for every user-defined parameter that
 * nothing uses, in Postfix's wording: "DIR/main.cf: unused parameter: NAME=VALUE"
 * (or DIR/master.cf for -o ones), main.cf first, each in file order.
 */
void cfg_config_unused(const struct cfg_config *cfg, struct cfg_diags *diags);
/* cfg_config_unused_master - only the master.cf part (postconf -M/-F/-P) */
void cfg_config_unused_master(const struct cfg_config *cfg, struct cfg_diags *diags);
/*
 * cfg_config_unused_main_each - the main.cf part, handed to fn one warning
 * at a time and not kept (each name once): a main.cf of a million settings
 * costs no memory for them
 */
void cfg_config_unused_main_each(const struct cfg_config *cfg,
                                 void (*fn)(void *ctx, const struct cfg_diag *d), void *ctx);

/*
 * Views: effective settings for a master.cf service.
 * cfg_view_new - service/type of a master.cf entry (NULL, NULL: main.cf only).
 * Returns NULL with an error diagnostic when the entry does not exist.  A
 * view borrows cfg, which must outlive it.
 */
struct cfg_view *cfg_view_new(const struct cfg_config *cfg, const char *service, const char *type,
                              struct cfg_diags *diags);
/* cfg_view_free - NULL is a no-op */
void cfg_view_free(struct cfg_view *v);
/* cfg_view_raw - the effective unexpanded value in the view, or NULL (borrowed) */
const char *cfg_view_raw(const struct cfg_view *v, const char *name);
/*
 * Typed getters.  Each expands the effective value, parses it per the
 * parameter's registry type and bounds, and returns 0, or -1 with an error in
 * Postfix's wording ("bad boolean configuration: NAME = VALUE", "parameter
 * NAME: bad time value or unit: VALUE", "bad numerical configuration: NAME =
 * VALUE", "invalid NAME parameter value V < MIN").  Strings are borrowed from
 * the view and live as long as it.
 */
int cfg_view_str(struct cfg_view *v, const char *name, const char **out, struct cfg_diags *diags);
int cfg_view_bool(struct cfg_view *v, const char *name, int *out, struct cfg_diags *diags);
int cfg_view_int(struct cfg_view *v, const char *name, long *out, struct cfg_diags *diags);
int cfg_view_time(struct cfg_view *v, const char *name, long *seconds, struct cfg_diags *diags);
int cfg_view_size(struct cfg_view *v, const char *name, long *bytes, struct cfg_diags *diags);
/* cfg_view_list - the expanded value split on commas/whitespace, honouring { } groups */
int cfg_view_list(struct cfg_view *v, const char *name, struct cfg_strvec *out,
                  struct cfg_diags *diags);

#endif
