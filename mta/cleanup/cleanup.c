/* cleanup.c - the cleanup service: submissions over IPC into the cleanup engine */
#include "config.h"

#include <string.h>

#include "cleanup_engine/cleanup_engine.h"
#include "ipc.h"
#include "log.h"
#include "milter.h"
#include "server.h"

static struct cleanup_cfg *daemon_cfg; /* the cleanup daemon's own settings */
static struct milters *milters;        /* non_smtpd_milters, for local submissions */

/* serve - one submission over the IPC protocol (pickup, bounce, local, sendmail -bs) */
static void serve(struct mta_server *srv, int in, int out)
{
	struct mta_stream st;
	struct cfg_strvec a, r;
	struct cleanup *c = NULL;
	struct cfg_buf chunk;
	int done = 0;

	(void)out;
	cfg_strvec_init(&a);
	cfg_strvec_init(&r);
	cfg_buf_init(&chunk);
	mta_stream_init(&st, in, (int)(srv->ipc_timeout > 0 ? srv->ipc_timeout : 3600));
	while (!done && ipc_recv(&st, &a) == 0) {
		const char *req = ipc_get(&a, "request");

		cfg_strvec_clear(&r);
		if (req && strcmp(req, "open") == 0 && c == NULL) {
			if ((c = cleanup_open(daemon_cfg)) == NULL) {
				ipc_add(&r, "status", "4");
				ipc_add(&r, "reason", "queue file create error");
				ipc_send(&st, &r);
				break;
			}
			ipc_add(&r, "status", "0");
			ipc_add(&r, "queue_id", "%s", cleanup_queue_id(c));
			ipc_send(&st, &r);
		} else if (req && strcmp(req, "message") == 0 && c) {
			long n;

			cleanup_milters(c, milters);
			cleanup_envelope(c, &a);
			for (;;) {
				cfg_buf_reset(&chunk);
				n = ipc_recv_chunk(&st, &chunk);
				if (n <= 0)
					break;
				cleanup_content(c, chunk.data, chunk.len);
			}
			if (n < 0)
				break; /* the client gave up: the file goes away below */
			int status = cleanup_finish(c);

			ipc_add(&r, "status", "%d", status);
			if (status)
				ipc_add(&r, "reply", "%s", cleanup_reply(c));
			/* a filter's "try again": pickup keeps the file without a warning */
			if (cleanup_milter_deferred(c))
				ipc_add(&r, "keep", "1");
			ipc_send(&st, &r);
			done = 1;
		} else {
			mta_warn("unexpected request from cleanup client");
			break;
		}
	}
	cleanup_close(c);
	cfg_strvec_fini(&a);
	cfg_strvec_fini(&r);
	cfg_buf_fini(&chunk);
	mta_stream_fini(&st);
}

/* init - settings */
static void init(struct mta_server *srv)
{
	daemon_cfg = cleanup_cfg_new(&srv->conf, srv->queue_dir);
	milters = milters_new(&srv->conf, "non_smtpd_milters");
}

/* cleanup_main - the cleanup program */
int cleanup_main(int argc, char **argv);
int cleanup_main(int argc, char **argv)
{
	static const struct mta_server_ops ops = {.init = init, .serve = serve};

	return mta_server_main(argc, argv, "cleanup", MTA_SERVE_CONN, &ops, NULL);
}
