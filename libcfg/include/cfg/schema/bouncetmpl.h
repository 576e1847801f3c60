/*
 * bouncetmpl.h - Postfix 3.7's default bounce templates as const data
 *
 * One row per notice kind (failure, delay, success, verify), in the order
 * `postconf -t` prints them.  The text is the template body: $name (and
 * ${name}) stand for main.cf parameters and for the two Postfix computes
 * ($delay_warning_time_hours, $maximal_queue_lifetime_days...).  `postconf -t`
 * prints these rows, and the bounce daemon writes its notices from them:
 * there is no other copy of the words.
 */
#ifndef CFG_BOUNCETMPL_H
#define CFG_BOUNCETMPL_H

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

#endif
