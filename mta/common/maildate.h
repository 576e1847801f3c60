/*
 * maildate.h - the date as mail headers carry it, in Postfix's format
 * ("Sat, 28 Nov 2026 23:22:27 +0000 (UTC)": local time, its offset, the zone)
 */
#ifndef MTA_MAILDATE_H
#define MTA_MAILDATE_H

#include "cfg/base/buf.h"

/* mta_mail_date - append the date of when (seconds since the epoch) to out */
void mta_mail_date(long when, struct cfg_buf *out);

#endif
