/*
 * error.c - the error and retry delivery agents: every recipient fails
 *
 * The next hop is the reason, as transport(5) writes it: "error:5.1.1
 * User unknown" bounces with DSN 5.1.1 and that text.  Run as the service
 * "retry" the agent defers instead.  A DSN of the wrong class is ignored
 * with Postfix's warning (a 4.X.X code does not make "error" defer), and a
 * next hop without a DSN gets 5.0.0 or 4.0.0.  Address verification
 * (sendmail -bv) hears "undeliverable" from both.
 */
#include "config.h"

#include <stdio.h>
#include <string.h>

#include "deliver.h"
#include "log.h"
#include "resolve.h"
#include "server.h"

/* deliver - fail each recipient with the next-hop text */
static void deliver(struct dlv_req *r)
{
	const char *service = r->srv->service ? r->srv->service : "error";
	int retry = strcmp(service, "retry") == 0;
	const char *def = retry ? "4.0.0" : "5.0.0", *text;
	char dsn[16];

	if (!retry && strcmp(service, "error") != 0)
		mta_fatal("bad error service name: %s", service);
	rslv_split_dsn(r->nexthop, def, dsn, &text);
	if (dsn[0] != def[0]) {
		mta_warn("%s: ignoring dsn code \"%s\"", retry ? "defer_append" : "bounce_append",
		         dsn);
		snprintf(dsn, sizeof(dsn), "%s", def);
	}
	for (size_t k = 0; k < r->n; k++)
		dlv_status(r, k, "none", dsn,
		           r->verify ? "undeliverable"
		           : retry   ? "deferred"
		                     : "bounced",
		           "%s", text);
}

/* serve - one request */
static void serve(struct mta_server *srv, int in, int out)
{
	(void)out;
	dlv_serve(srv, in, deliver);
}

/* error_main - the error program */
int error_main(int argc, char **argv);
int error_main(int argc, char **argv)
{
	static const struct mta_server_ops ops = {.serve = serve};

	return mta_server_main(argc, argv, "error", MTA_SERVE_CONN, &ops, NULL);
}
