/*
 * ipc.h - requests and replies between postkit processes
 *
 * Daemons talk over UNIX-domain stream sockets in queue_directory/private
 * (and public for triggers), the way Postfix services do.  A message is a
 * list of "name=value" lines ended by an empty line; values are %-escaped
 * (qf_escape) so they never contain a newline.  Bulk data (message content)
 * follows a request as chunks: "<hex length>\n<bytes>", ended by "0\n".
 *
 * Attributes are kept in a struct cfg_strvec of unescaped "name=value"
 * strings; ipc_get() finds a value.
 */
#ifndef MTA_IPC_H
#define MTA_IPC_H

#include <stddef.h>

#include "cfg/base/buf.h"
#include "cfg/base/strvec.h"
#include "stream.h"

/* ipc_add - append name=value (printf format for the value) */
void ipc_add(struct cfg_strvec *a, const char *name, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
/* ipc_get - the value of the first name=..., or NULL (borrowed) */
const char *ipc_get(const struct cfg_strvec *a, const char *name);
/* ipc_get_long - numeric value, or def when absent or malformed */
long ipc_get_long(const struct cfg_strvec *a, const char *name, long def);
/* ipc_send - queue the attributes and the end line, then flush; 0 or -1 */
int ipc_send(struct mta_stream *s, const struct cfg_strvec *a);
/* ipc_queue - like ipc_send without the flush */
void ipc_queue(struct mta_stream *s, const struct cfg_strvec *a);
/* ipc_recv - read one message into a (cleared first); 0, or -1 on EOF/error */
int ipc_recv(struct mta_stream *s, struct cfg_strvec *a);
/*
 * ipc_answer - for an event-driven server (anvil, proxymap) whose client's
 * socket became readable: read each request that has arrived, let handle()
 * fill in the reply, send it.  Returns 0, or -1 when the client has gone or
 * failed (the caller drops it).
 */
int ipc_answer(struct mta_stream *s,
               void (*handle)(void *ctx, const struct cfg_strvec *in, struct cfg_strvec *out),
               void *ctx);
/* ipc_chunk - queue one data chunk (len 0 ends the data) */
void ipc_chunk(struct mta_stream *s, const void *data, size_t len);
/*
 * ipc_recv_chunk - read one chunk into out (appended).  Returns its length,
 * 0 for the end chunk, -1 on error.
 */
long ipc_recv_chunk(struct mta_stream *s, struct cfg_buf *out);

/* ipc_endpoint - "queue_dir/class/service" (new string) */
char *ipc_endpoint(const char *queue_dir, const char *class, const char *service);
/* ipc_connect - connect to queue_dir/class/service; fd or -1 with errno */
int ipc_connect(const char *queue_dir, const char *class, const char *service);
/* ipc_trigger - connect, send one byte of request, close; 0 or -1 */
int ipc_trigger(const char *queue_dir, const char *class, const char *service, char req);

/* ipc_trigger_read - read the request bytes of an accepted trigger connection; count */
int ipc_trigger_read(int fd, char *req, size_t len);

#endif
