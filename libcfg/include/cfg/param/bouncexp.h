/*
 * bouncexp.h - the $name expansion of a bounce template's text
 *
 * The text is expanded line by line with the caller's names (main.cf and
 * the defaults) and the computed time names: delay_warning_time_UNIT and
 * maximal_queue_lifetime_UNIT, UNIT being seconds, minutes, hours, days or
 * weeks (the value in whole units).  Diagnostics use Postfix's words, with
 * the template's origin (the file name or "[built-in]"): a time that shows
 * as 0 units or as more than 999 seconds, minutes or hours gives three
 * warnings; an unknown UNIT ("unrecognized suffix") and an undefined plain
 * $name ("undefined $name in failure template: LINE") are fatal.
 */
#ifndef CFG_BOUNCEXP_H
#define CFG_BOUNCEXP_H

#include "cfg/base/buf.h"
#include "cfg/base/diag.h"
#include "cfg/param/expand.h"
#include "cfg/schema/bouncetmpl.h"

/* the two times the computed names show, in seconds */
struct cfg_bounce_times {
	long delay_warning_time;
	long maximal_queue_lifetime;
};

/*
 * cfg_bounce_param - 1 when the bounce daemon knows name without main.cf
 * setting it (Postfix's global parameters and the bounce daemon's own).  A
 * caller's lookup gives the text the values of main.cf's names and of these,
 * nothing else: Postfix's bounce daemon stops at "undefined $name" for
 * $smtpd_banner unless main.cf sets it.
 */
int cfg_bounce_param(const char *name);

/*
 * cfg_bounce_expand - append the expanded text of template k of set to out.
 * Returns 0, or -1 after a CFG_SEV_FATAL diagnostic (out then holds the
 * lines before the bad one).  Warnings are appended as they arise.
 */
int cfg_bounce_expand(const struct cfg_bounce_set *set, enum cfg_bounce_kind k,
                      const struct cfg_expand *names, const struct cfg_bounce_times *times,
                      struct cfg_buf *out, struct cfg_diags *diags);

#endif
