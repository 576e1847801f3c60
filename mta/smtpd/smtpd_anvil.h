/*
 * smtpd_anvil.h - smtpd's client of the anvil service (connection and rate limits)
 *
 * Each call that refuses has already queued Postfix's reply and logged its
 * warning; the caller only stops the command (or the session, at connect).
 */
#ifndef SMTPD_ANVIL_H
#define SMTPD_ANVIL_H

#include "server.h"

struct smtpd;

/* smtpd_anvil_init - read the smtpd_client_*_limit settings and the exception list */
void smtpd_anvil_init(struct mta_server *srv);
/* smtpd_anvil_connect - count the connection; -1 when over a limit (421 given), else 0 */
int smtpd_anvil_connect(struct smtpd *s);
/* smtpd_anvil_disconnect - the connection counted by smtpd_anvil_connect() ended */
void smtpd_anvil_disconnect(struct smtpd *s);
/* smtpd_anvil_mail - count a MAIL command; -1 when over the message rate (450 given) */
int smtpd_anvil_mail(struct smtpd *s);
/* smtpd_anvil_rcpt - count a RCPT command; -1 when over the recipient rate (450 given) */
int smtpd_anvil_rcpt(struct smtpd *s);
/* smtpd_anvil_auth - count an AUTH command; -1 when over the AUTH rate (450 given) */
int smtpd_anvil_auth(struct smtpd *s);
/* smtpd_anvil_starttls - before STARTTLS: -1 when already over the new TLS session rate (454 given) */
int smtpd_anvil_starttls(struct smtpd *s);
/* smtpd_anvil_newtls - count a new TLS session; -1 when over its rate (421 given: end the session) */
int smtpd_anvil_newtls(struct smtpd *s);

#endif
