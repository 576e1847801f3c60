/*
 * error.c - the error delivery agent: every recipient fails
 *
 * The next hop is the reason, as transport(5) writes it: "error:5.1.1
 * User unknown" bounces with DSN 5.1.1 and that text; a 4.X.X code (or
 * the "retry" service) defers instead.
 */
#include "config.h"

#include <ctype.h>
#include <string.h>

#include "deliver.h"
#include "server.h"

/* deliver - fail each recipient with the next-hop text */
static void deliver(struct dlv_req *r)
{
	const char *text = r->nexthop;
	char dsn[16] = "5.0.0";
	int defer = strcmp(r->srv->service ? r->srv->service : "", "retry") == 0;

	if ((text[0] == '4' || text[0] == '5') && text[1] == '.') {
		size_t n = strcspn(text, " \t");

		if (n < sizeof(dsn)) {
			memcpy(dsn, text, n);
			dsn[n] = '\0';
			text += n;
			while (*text == ' ' || *text == '\t')
				text++;
		}
	}
	if (defer)
		dsn[0] = '4';
	if (dsn[0] == '4')
		defer = 1;
	for (size_t k = 0; k < r->n; k++)
		dlv_status(r, k, "none", dsn, defer ? "deferred" : "bounced", "%s",
		           *text ? text : "delivery failed");
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
