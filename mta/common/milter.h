/*
 * milter.h - a Sendmail milter client (protocol version 6), as Postfix 3.7 speaks it
 *
 * One struct milters holds the mail filters of a list setting
 * (smtpd_milters): a connection to each, opened at CONNECT and kept for the
 * SMTP session.  Each event (CONNECT, HELO, MAIL, RCPT, DATA, the message)
 * goes to every filter still in the game, in list order; the first one that
 * does not say "continue" decides.  An event returns NULL (go on) or a
 * reply: an SMTP reply ("550 5.7.1 Command rejected", "451 4.7.1 Service
 * unavailable - try again later", a filter's own code), or MILTER_DISCARD.
 * A filter that fails (no connection, timeout, bad packet) is handled as
 * milter_default_action says; its warning is logged here.  Macro values come
 * from the caller through a callback; the message edits a filter asks for at
 * end of message are applied to the caller's struct milter_msg.
 */
#ifndef MILTER_H
#define MILTER_H

#include <stddef.h>

#include "cfg/base/buf.h"
#include "cfg/base/strvec.h"
#include "conf.h"

#define MILTER_DISCARD "D" /* the event's reply when a filter discards the message */

/*
 * a macro's value for the filters, or NULL when it has none (borrowed until
 * the next call); "" counts as none too, milter_empty is an empty value sent
 */
extern const char milter_empty[];
typedef const char *(*milter_macro_fn)(void *arg, const char *name);

/*
 * The message as the filters see and change it: headers as logical lines
 * ("Name: value", folded lines joined by "\n"), the body with LF line
 * ends, and the envelope.  Filters' edits change it in place.
 */
struct milter_msg {
	struct cfg_strvec headers;
	struct cfg_buf body;
	char *sender;              /* internal form; replaced by a change of sender */
	struct cfg_strvec rcpt;    /* recipients, internal form */
	struct cfg_strvec added;   /* recipients a filter added (also in rcpt) */
	struct cfg_strvec deleted; /* recipients a filter deleted (no longer in rcpt) */
	int hold;                  /* quarantine: the message goes to the hold queue */
	char *hold_reason;
	int body_changed;
	const char *hidden; /* a header line (pointer into headers) counted but never sent */
	struct cfg_strvec produced; /* headers filters added or changed (milter_header_checks) */
};

struct milters;

/* milters_new - the filters listed in setting param (e.g. "smtpd_milters"); NULL when none */
struct milters *milters_new(struct mta_conf *conf, const char *param);
/* milters_new_value - the filters of a list value (a table's answer for param); NULL when none */
struct milters *milters_new_value(struct mta_conf *conf, const char *param, const char *value);
/* milters_free - close the connections and release (NULL is fine) */
void milters_free(struct milters *m);

/* milter_connect - a new session: connect, negotiate, send CONNECT; fn(arg, name) gives macros */
const char *milter_connect(struct milters *m, milter_macro_fn fn, void *arg, const char *name,
                           const char *addr, const char *port);
/* milter_disconnect - the session is over: QUIT and close */
void milter_disconnect(struct milters *m);
/*
 * milter_quit - cleanup's end of a message: QUIT without ABORT to the
 * filters that did not decide the session (to none when silent: it ended
 * at CONNECT or HELO), and close
 */
void milter_quit(struct milters *m, int silent);
/* milter_helo - HELO/EHLO */
const char *milter_helo(struct milters *m, const char *helo);
/* milter_mail - MAIL FROM: argv[0] is "<sender>", then the ESMTP parameters */
const char *milter_mail(struct milters *m, const struct cfg_strvec *argv);
/* milter_rcpt - RCPT TO: argv[0] is "<recipient>", then the ESMTP parameters */
const char *milter_rcpt(struct milters *m, const struct cfg_strvec *argv);
/* milter_data - DATA */
const char *milter_data(struct milters *m);
/* milter_message - headers, end of headers, body, end of message; edits go into msg */
const char *milter_message(struct milters *m, struct milter_msg *msg);
/* milter_abort - the transaction is over: filters forget it */
void milter_abort(struct milters *m);

/* milter_msg_init - an empty message */
void milter_msg_init(struct milter_msg *msg);
/* milter_msg_split - content (LF line ends) into msg: header lines (logical), then the body */
void milter_msg_split(struct milter_msg *msg, const char *data, size_t len);
/* milter_msg_fini - release it */
void milter_msg_fini(struct milter_msg *msg);

#endif
