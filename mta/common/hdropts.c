/* hdropts.c - the table of header names and what Postfix does with them (see hdropts.h) */
#include "config.h"

#include <string.h>
#include <strings.h>

#include "hdropts.h"

static const struct hdr_def {
	const char *name;
	unsigned flags;
} hdr_defs[] = {
    {"Apparently-To", HDR_OPT_RCPT},
    {"Bcc", HDR_OPT_RCPT | HDR_OPT_EXTRACT | HDR_OPT_DROP},
    {"Cc", HDR_OPT_RCPT | HDR_OPT_EXTRACT},
    {"Content-Description", HDR_OPT_MIME},
    {"Content-Disposition", HDR_OPT_MIME},
    {"Content-ID", HDR_OPT_MIME},
    {"Content-Length", HDR_OPT_DROP},
    {"Content-Transfer-Encoding", HDR_OPT_MIME},
    {"Content-Type", HDR_OPT_MIME},
    {"Disposition-Notification-To", HDR_OPT_SENDER},
    {"Errors-To", HDR_OPT_SENDER},
    {"From", HDR_OPT_SENDER},
    {"MIME-Version", HDR_OPT_MIME},
    {"Reply-To", HDR_OPT_RCPT},
    {"Resent-Bcc", HDR_OPT_RCPT | HDR_OPT_EXTRACT | HDR_OPT_RESENT | HDR_OPT_DROP},
    {"Resent-Cc", HDR_OPT_RCPT | HDR_OPT_EXTRACT | HDR_OPT_RESENT},
    {"Resent-Date", HDR_OPT_RESENT},
    {"Resent-From", HDR_OPT_SENDER | HDR_OPT_RESENT},
    {"Resent-Message-Id", HDR_OPT_RESENT},
    {"Resent-Reply-To", HDR_OPT_RCPT | HDR_OPT_RESENT},
    {"Resent-Sender", HDR_OPT_SENDER | HDR_OPT_RESENT},
    {"Resent-To", HDR_OPT_RCPT | HDR_OPT_EXTRACT | HDR_OPT_RESENT},
    {"Return-Path", HDR_OPT_SENDER | HDR_OPT_DROP},
    {"Return-Receipt-To", HDR_OPT_SENDER},
    {"Sender", HDR_OPT_SENDER},
    {"To", HDR_OPT_RCPT | HDR_OPT_EXTRACT},
    {NULL, 0},
};

/* hdr_name_is - 1 when h is "Name: ..." for name (case-insensitive) */
int hdr_name_is(const char *h, const char *name)
{
	size_t n = strlen(name);

	return strncasecmp(h, name, n) == 0 && h[n + strspn(h + n, " \t")] == ':';
}

/* hdr_opts - HDR_OPT_* of a header */
unsigned hdr_opts(const char *h)
{
	for (const struct hdr_def *d = hdr_defs; d->name; d++)
		if (hdr_name_is(h, d->name))
			return d->flags;
	return 0;
}
