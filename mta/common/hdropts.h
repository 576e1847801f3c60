/*
 * hdropts.h - what Postfix knows about a message header by its name (its
 * header_opts table): the one table of header names that cleanup and the
 * header_checks users (hbc.h) share
 *
 * A header is matched by name, case-insensitively, as "Name:" with optional
 * blanks before the colon ("content-type :" is Content-Type).  Headers the
 * table does not name have no flags.
 */
#ifndef MTA_HDROPTS_H
#define MTA_HDROPTS_H

#define HDR_OPT_SENDER 0x01u  /* sender addresses: qualified, masqueraded as header_sender */
#define HDR_OPT_RCPT 0x02u    /* recipient addresses: header_recipient */
#define HDR_OPT_EXTRACT 0x04u /* sendmail -t takes recipients from it */
#define HDR_OPT_RESENT 0x08u  /* a Resent- header: the message is being resent */
#define HDR_OPT_DROP 0x10u    /* never written: Bcc, Return-Path, Content-Length */
#define HDR_OPT_MIME 0x20u    /* mime_header_checks inspect it, wherever it is */

/* hdr_name_is - 1 when header line h is "Name: ..." for name (case-insensitive) */
int hdr_name_is(const char *h, const char *name);
/* hdr_opts - the HDR_OPT_* flags of header line h (0 for a header the table does not name) */
unsigned hdr_opts(const char *h);

#endif
