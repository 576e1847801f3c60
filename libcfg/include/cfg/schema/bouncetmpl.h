/*
 * bouncetmpl.h - Postfix 3.7's default bounce templates as const data
 *
 * One row per notice kind (failure, delay, success, verify), in the order
 * `postconf -t` prints them.  The text is the template body: $name (and
 * ${name}) stand for main.cf parameters and for the two Postfix computes
 * ($delay_warning_time_hours, $maximal_queue_lifetime_days...).  `postconf -t`
 * prints these rows, and the bounce daemon writes its notices from them:
 * there is no other copy of the words.
 *
 * A bounce template file (bounce_template_file, postconf -t FILE) replaces
 * some of the four: cfg_bounce_set_load() reads one into a set that starts
 * as the defaults.  The file is "name = value" lines, a value being one
 * line or a "<<MARKER" here-document; '#' lines and blank lines are skipped
 * outside here-documents.  A template's value is optional headers (Charset:,
 * From:, Subject:, Postmaster-Subject:, any case) and then the text.  Every
 * problem is reported with Postfix's words: a malformed file is fatal, a
 * malformed template is ignored (the default stays) with a warning.
 */
#ifndef CFG_BOUNCETMPL_H
#define CFG_BOUNCETMPL_H

#include "cfg/base/diag.h"

struct cfg_bounce_template {
	const char *name;       /* "failure_template" */
	const char *charset;    /* "us-ascii" */
	const char *from;       /* "Mail Delivery System <MAILER-DAEMON>" */
	const char *subject;    /* the sender's notice */
	const char *pm_subject; /* the postmaster's copy, or NULL (none is sent) */
	const char *text;       /* the body, each line ending in '\n' */
};

enum cfg_bounce_kind {
	CFG_BOUNCE_FAILURE,
	CFG_BOUNCE_DELAY,
	CFG_BOUNCE_SUCCESS,
	CFG_BOUNCE_VERIFY,
	CFG_BOUNCE_NKINDS
};

/* cfg_bounce_template_default - the default template of a kind (static, never NULL) */
const struct cfg_bounce_template *cfg_bounce_template_default(enum cfg_bounce_kind kind);

/* cfg_bounce_kind_name - "failure", "delay", "success", "verify" */
const char *cfg_bounce_kind_name(enum cfg_bounce_kind kind);

/*
 * A set of templates: the defaults, with those of a file over them.  origin[k]
 * names where t[k] came from in Postfix's messages: the file's name or
 * "[built-in]".  The strings of a template read from the file are owned by
 * the set (bit k of owned).
 */
struct cfg_bounce_set {
	struct cfg_bounce_template t[CFG_BOUNCE_NKINDS];
	const char *origin[CFG_BOUNCE_NKINDS];
	char *file; /* the template file's name, or NULL */
	unsigned owned;
};

/* cfg_bounce_set_init - a set of the four default templates */
void cfg_bounce_set_init(struct cfg_bounce_set *set);
/* cfg_bounce_set_fini - free what a load allocated; the set is the defaults again */
void cfg_bounce_set_fini(struct cfg_bounce_set *set);
/*
 * cfg_bounce_set_load - read the template file path over the defaults of set.
 * Problems of the file as a whole (an unknown template name, a missing end
 * marker) go to file_diags, in file order, as warnings; those of a template's
 * headers or text (Postfix ignores that template) to tmpl_diags, in template
 * order.  msg is Postfix's text, e.g. "FILE, line 4: unknown template name:
 * x -- ignoring this template".  Returns 0, or -1 after a CFG_SEV_FATAL
 * diagnostic in file_diags (open or read error, a line without '=', "<<"
 * without a marker): Postfix stops there, and set keeps only the defaults.
 */
int cfg_bounce_set_load(struct cfg_bounce_set *set, const char *path, struct cfg_diags *file_diags,
                        struct cfg_diags *tmpl_diags);

#endif
