/*
 * support.h - what postkit does with each name a configuration can use
 *
 * Fail closed: every kind of name (parameters, restrictions, table types,
 * daemons, service types, master.cf column values) has a row in a table of
 * schemas/ that says whether postkit implements it.  This module answers
 * the questions postfix check and postfix start ask of those tables, and
 * lists every row postkit does not implement (`postfix check --unsupported`).
 *
 * A parameter is in one of four classes:
 *   IMPL    postkit honours it (CFG_PF_IMPL)
 *   INERT   it changes nothing about mail (documentation, install paths)
 *   TUNING  performance tuning only: accepted with a warning, ignored
 *   NO      not implemented: any value but its default (or one of the values
 *           of schemas/params_values.def) is refused
 * Service-defined parameters (relay_destination_concurrency_limit...) are
 * TUNING.
 */
#ifndef CFG_SUPPORT_H
#define CFG_SUPPORT_H

#include "cfg/base/buf.h"
#include "cfg/schema/registry.h"

enum cfg_support {
	CFG_SUPPORT_IMPL = 0,
	CFG_SUPPORT_INERT,
	CFG_SUPPORT_TUNING,
	CFG_SUPPORT_NO,
};

/* cfg_param_support - the class of a parameter definition */
enum cfg_support cfg_param_support(const struct cfg_param_def *def);

/* cfg_param_behaves_as - the value postkit behaves as for def (params_values.def), or NULL */
const char *cfg_param_behaves_as(const struct cfg_param_def *def);

/* A parameter whose default postkit does not honour while guard is on (params_values.def). */
struct cfg_param_guard {
	const char *name;  /* "smtpd_sasl_type" */
	const char *guard; /* "smtpd_sasl_auth_enable" */
};

/* cfg_param_guard_at - the i-th guarded parameter, or NULL past the end */
const struct cfg_param_guard *cfg_param_guard_at(size_t i);

/*
 * cfg_param_value_honoured - 1 when postkit honours value (expanded) for a
 * not-implemented parameter: it equals dflt (the expanded default) or one
 * of the values of schemas/params_values.def, compared as def's type
 * compares values.  What is accepted is appended to accepted (for
 * messages: "its default \"\" or \"none\"") when it is not NULL.
 */
int cfg_param_value_honoured(const struct cfg_param_def *def, const char *value, const char *dflt,
                             struct cfg_buf *accepted);

/* One row of the unsupported list. */
struct cfg_unsupported {
	const char *kind;   /* "parameter", "restriction", "table type", "daemon", ... */
	const char *name;   /* the name ("smtpd_milters", "chroot") */
	const char *value;  /* a master.cf column's value ("y"), else NULL */
	const char *action; /* "refused" (non-default use is an error) or "ignored" (warning) */
	const char *note;   /* a few words, or NULL */
};

/*
 * cfg_unsupported_at - the i-th row of the list of everything postkit does
 * not implement, generated from the tables (restrictions, table types,
 * daemons, service types, column values, then parameters, each in name
 * order); NULL past the end.  row is filled in and returned.
 */
const struct cfg_unsupported *cfg_unsupported_at(size_t i, struct cfg_unsupported *row);
/* cfg_unsupported_render_text - one line per row: "KIND NAME: ACTION (NOTE)" */
void cfg_unsupported_render_text(struct cfg_buf *out);
/* cfg_unsupported_render_json - a JSON array of {kind, name, action, note} */
void cfg_unsupported_render_json(struct cfg_buf *out);

#endif
