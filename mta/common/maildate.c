/* maildate.c - Date: header and Received: stamps (see maildate.h) */
#include "config.h"

#include <stdlib.h>
#include <time.h>

#include "maildate.h"

void mta_mail_date(long when, struct cfg_buf *out)
{
	time_t t = (time_t)when;
	struct tm lt;
	char buf[64];
	long off;

	localtime_r(&t, &lt);
	off = lt.tm_gmtoff / 60;
	strftime(buf, sizeof(buf), "%a, %e %b %Y %H:%M:%S ", &lt);
	cfg_buf_adds(out, buf);
	cfg_buf_printf(out, "%+03ld%02ld", off / 60, labs(off) % 60);
	strftime(buf, sizeof(buf), " (%Z)", &lt);
	cfg_buf_adds(out, buf);
}
