/*
 * cleanup_engine.h - turn one submission into a sealed queue file
 *
 * The engine behind Postfix's cleanup(8): envelope rewriting (myorigin,
 * canonical maps, virtual aliases, masquerading), header and body checks,
 * MIME checks, missing headers, then a queue file in incoming/ that is
 * fsync()ed and sealed before the submitter hears "ok".  Two programs drive
 * it: the cleanup daemon (requests over IPC from pickup, bounce, local) and
 * smtpd, which writes its own queue files in-process to save a process hop
 * per message.  The daemon also runs non_smtpd_milters on local
 * submissions (cleanup_milters); smtpd runs its own smtpd_milters before
 * the engine sees the message.  This header is all they see; the engine's
 * own files share cleanup_int.h.
 */
#ifndef CLEANUP_ENGINE_H
#define CLEANUP_ENGINE_H

#include <stddef.h>

#include "cfg/base/strvec.h"
#include "conf.h"

struct cleanup_cfg; /* the settings, loaded once per process */
struct cleanup;     /* one submission */
struct milters;     /* mail filters (milter.h) */

/* cleanup_cfg_new - the settings from a service's view; lives as long as the process */
struct cleanup_cfg *cleanup_cfg_new(struct mta_conf *conf, const char *queue_dir);
/* cleanup_cfg_free - release settings from cleanup_cfg_new() (NULL is fine) */
void cleanup_cfg_free(struct cleanup_cfg *cfg);
/* cleanup_open - start a submission: a new queue file in incoming/; NULL when it cannot be created */
struct cleanup *cleanup_open(struct cleanup_cfg *cfg);
/* cleanup_queue_id - the queue ID of the file being written */
const char *cleanup_queue_id(const struct cleanup *c);
/*
 * cleanup_milters - non_smtpd_milters for this submission (before
 * cleanup_envelope): they see it only when it is a local submission
 * (pickup's, with a uid) whose receive_override_options allow milters
 */
void cleanup_milters(struct cleanup *c, struct milters *m);
/* cleanup_milter_deferred - 1 when a filter said "try again later": keep the message, say nothing */
int cleanup_milter_deferred(const struct cleanup *c);
/* cleanup_envelope - sender, recipients and attributes, as "name=value" strings */
void cleanup_envelope(struct cleanup *c, const struct cfg_strvec *a);
/* cleanup_content - feed content (LF line ends); records go through the MIME parser */
void cleanup_content(struct cleanup *c, const char *data, size_t len);
/*
 * cleanup_milter_headers - headers (logical lines, as they will be fed) that
 * mail filters added or changed: milter_header_checks inspect them instead
 * of header_checks, which saw the message before the filters did
 */
void cleanup_milter_headers(struct cleanup *c, const struct cfg_strvec *hdrs);
/* cleanup_finish - after the content: seal, fsync; status 0, 4 or 5 (see cleanup_reply) */
int cleanup_finish(struct cleanup *c);
/* cleanup_reply - the SMTP reply text of a refused submission ("" when none) */
const char *cleanup_reply(const struct cleanup *c);
/* cleanup_close - release (NULL is fine); a file that was not sealed is removed */
void cleanup_close(struct cleanup *c);

/* cleanup_trace_fn - told each rewriting step of an address (postfix route) */
typedef void (*cleanup_trace_fn)(void *arg, const char *step, long depth, const char *from,
                                 const char *to);
/*
 * cleanup_rewrite_rcpt - what the engine does to one envelope recipient
 * (internal form): canonical maps, masquerading, virtual alias expansion,
 * exactly as for a submission but without a queue file.  The final
 * recipients go to out; each step is told to trace (may be NULL).  Returns
 * 0, or -1 when a table lookup failed (the mail would be deferred).
 */
int cleanup_rewrite_rcpt(struct cleanup_cfg *cfg, const char *addr, cleanup_trace_fn trace,
                         void *arg, struct cfg_strvec *out);
/* cleanup_cfg_resolver - the address resolver the settings use */
struct rslv *cleanup_cfg_resolver(struct cleanup_cfg *cfg);

#endif
