/*
 * smtpd_api.h - what smtpd offers programs other than the daemon
 *
 * postfix simulate runs smtpd's own session code in a child process as if a
 * given client had connected, and learns through a hook which restriction
 * decided each reply.  This header is all it sees of smtpd.
 */
#ifndef SMTPD_API_H
#define SMTPD_API_H

#include "server.h"

/* the client of a simulated session (postfix simulate) */
struct smtpd_client {
	const char *addr;      /* the client address */
	const char *name;      /* its verified name, or "unknown" */
	const char *sasl_user; /* logged in as, or NULL */
};

/*
 * smtpd_simulate - postfix simulate: read srv's settings and serve one
 * session on in/out as the given client.  The caller links its own queue
 * side (the smtpd_data.c functions) so that nothing is queued.
 */
void smtpd_simulate(struct mta_server *srv, int in, int out, const struct smtpd_client *who);

/*
 * A restriction that decided (permit or reject), for postfix simulate's
 * trace: smtpd_trace_hook is NULL in the daemon.  Strings are borrowed
 * for the call; table, key and result are set for an access table hit.
 */
struct smtpd_trace {
	const char *parameter, *element, *table, *key, *result, *reply;
	int permit; /* 1 permit, 0 reject */
};
extern void (*smtpd_trace_hook)(const struct smtpd_trace *t);
/*
 * smtpd_offline - postfix simulate --offline: policy services are not asked
 * and answer DUNNO, as a lookup that found nothing (0 in the daemon)
 */
extern int smtpd_offline;

#endif
