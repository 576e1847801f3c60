/*
 * showq.c - the showq service: the queue report behind mailq and postqueue -p/-j
 *
 * As in Postfix, only the mail system may read the queue; postqueue (set-gid
 * postdrop, which may reach public/) asks this service, which runs as
 * mail_owner, and formats what it answers.  The service takes no input:
 * it sends one attribute list per queued message (qlist.h) and an empty
 * one at the end.  Whether the user may see the queue at all
 * (authorized_mailq_users) is postqueue's decision, as in Postfix.
 */
#include "config.h"

#include "cfg/base/buf.h"
#include "ipc.h"
#include "log.h"
#include "qlist.h"
#include "server.h"

static const char *empty_addr;

/* send_one - one message to the client; stop when the client went away */
static int send_one(const struct cfg_strvec *msg, void *ctx)
{
	struct mta_stream *s = ctx;

	return ipc_send(s, msg) < 0 ? 1 : 0;
}

/* serve - the whole report to one client */
static void serve(struct mta_server *srv, int in, int out)
{
	struct mta_stream s;
	struct cfg_strvec end;
	struct cfg_buf why;
	int rc;

	(void)in;
	mta_stream_init(&s, out, (int)srv->ipc_timeout);
	cfg_buf_init(&why);
	cfg_strvec_init(&end);
	rc = qlist_scan(srv->queue_dir, empty_addr, send_one, &s, &why);
	if (rc < 0)
		mta_warn("%s", why.data); /* no end marker: the client reports the failure */
	else if (rc == 0)
		ipc_send(&s, &end);
	cfg_strvec_fini(&end);
	cfg_buf_fini(&why);
	mta_stream_fini(&s);
}

/* init - settings */
static void init(struct mta_server *srv)
{
	empty_addr = mta_conf_str(&srv->conf, CFG_P_empty_address_recipient);
}

/* showq_main - the showq program */
int showq_main(int argc, char **argv);
int showq_main(int argc, char **argv)
{
	static const struct mta_server_ops ops = {.init = init, .serve = serve};

	return mta_server_main(argc, argv, "showq", MTA_SERVE_CONN, &ops, NULL);
}
