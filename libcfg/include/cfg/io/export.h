/*
 * export.h - a loaded configuration as a typed document (postconf --export)
 *
 * cfg_export_build() turns a struct cfg_config into a JSON tree (cfg/json.h)
 * with a fixed shape and key order, so the same input gives the same bytes:
 *
 *   {"format": "postkit-export", "version": 1,
 *    "main": {NAME: VALUE, ...},            sorted by name (strcmp)
 *    "expanded": {NAME: "...", ...},        with CFG_EXPORT_EXPAND only
 *    "sources": {NAME: "main.cf:LINE"},     with CFG_EXPORT_SOURCE only
 *    "master": [{"name", "type", "private", "unpriv", "chroot", "wakeup",
 *                "maxproc", "command", "args": [...], "overrides": {...}}],
 *    "user_defined": [NAME, ...]}           sorted; only when there are any
 *
 * "user_defined" names the main.cf and master.cf -o settings that are not
 * Postfix parameters and that nothing refers to (postconf would call them
 * unused): listing them tells postconf --import they are kept on purpose.
 * "args" is the daemon's whole argument list as postconf -M shows it (the
 * -o options included); "overrides" repeats the -o settings as a mapping.
 *
 * Values are typed by the registry: a boolean "yes"/"no" becomes true/false,
 * a plain decimal integer (no sign, no leading zero) inside the parameter's
 * range a number, a list whose
 * words are separated by ", " an array; everything else (time and size
 * values with their unit, tables, "$name" references) stays a string exactly
 * as written, so nothing is lost.  master.cf fields are strings as written
 * ("-" included).  The published JSON Schema (schemas/postkit-export.schema.json)
 * describes this shape; it is generated from the registry by schemas/gen_schema.c.
 */
#ifndef CFG_EXPORT_H
#define CFG_EXPORT_H

#include "cfg/config/effective.h"
#include "cfg/io/json.h"

/* what to export */
#define CFG_EXPORT_NONDEF 0x0u     /* main.cf settings only (postconf -n), the default */
#define CFG_EXPORT_DEFAULTS 0x1u   /* every built-in parameter at its default (postconf -d) */
#define CFG_EXPORT_ALL 0x2u        /* every parameter with its effective value (postconf) */
#define CFG_EXPORT_EXPAND 0x4u     /* add "expanded": the $name-expanded values */
#define CFG_EXPORT_SOURCE 0x8u     /* add "sources": file:line of each main.cf setting */
#define CFG_EXPORT_NO_MASTER 0x10u /* leave master.cf out */

#define CFG_EXPORT_FORMAT "postkit-export"
#define CFG_EXPORT_VERSION 1

/*
 * cfg_export_build - the export document of cfg (new; free with
 * cfg_json_free).  Expansion problems are appended to diags as warnings;
 * never fails.
 */
struct cfg_json *cfg_export_build(const struct cfg_config *cfg, unsigned flags,
                                  struct cfg_diags *diags);
/*
 * cfg_export_value - the typed JSON value of a setting of name (new): see
 * above for the rules.  Unknown names give strings.
 */
struct cfg_json *cfg_export_value(const char *name, const char *value);
/* cfg_export_is_list_type - 1 when the registry type is exported as an array when it can be */
int cfg_export_is_list_type(const struct cfg_param_def *def);

#endif
