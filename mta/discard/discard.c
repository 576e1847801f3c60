/*
 * discard.c - the discard delivery agent: claim delivery, keep nothing
 *
 * Each recipient is reported sent with the next hop as the reason, the
 * way Postfix's discard(8) logs it ("status=sent (NEXTHOP)").
 */
#include "config.h"

#include <string.h>

#include "deliver.h"
#include "server.h"

/* deliver - report every recipient delivered */
static void deliver(struct dlv_req *r)
{
	for (size_t k = 0; k < r->n; k++)
		dlv_status(r, k, "none", "2.0.0", "sent", "%s",
		           *r->nexthop ? r->nexthop : "discarded");
}

/* serve - one request */
static void serve(struct mta_server *srv, int in, int out)
{
	(void)out;
	dlv_serve(srv, in, deliver);
}

/* discard_main - the discard program */
int discard_main(int argc, char **argv);
int discard_main(int argc, char **argv)
{
	static const struct mta_server_ops ops = {.serve = serve};

	return mta_server_main(argc, argv, "discard", MTA_SERVE_CONN, &ops, NULL);
}
