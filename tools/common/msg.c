/* msg.c - messages of the command line programs (see msg.h) */
#include "config.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cfg/base/buf.h"
#include "cfg/base/xalloc.h"
#include "cfg/map/map.h"
#include "msg.h"

static const char *progname = "postkit";
static int msg_utf8;

/* oom - out of memory, in Postfix's words, status 1; allocates nothing */
static void oom(const char *what, size_t size)
{
	fflush(stdout);
	fprintf(stderr, "%s: fatal: %s: insufficient memory for %zu bytes: %s\n", progname, what,
	        size, strerror(ENOMEM));
	exit(1);
}

void tool_msg_init(const char *name)
{
	progname = name;
	cfg_xalloc_set_oom(oom);
}

void tool_msg_utf8(int yes)
{
	msg_utf8 = yes;
}

const char *tool_progname(void)
{
	return progname;
}

/* printable - msg with bytes that are not printable replaced by '?', as Postfix logs them */
static void printable(struct cfg_buf *out, const char *msg)
{
	const unsigned char *p = (const unsigned char *)msg;

	while (*p) {
		if (*p >= 0x20 && *p < 0x7f) {
			cfg_buf_addc(out, *p++);
			continue;
		}
		if (msg_utf8 && *p >= 0xc2) {
			size_t n = *p >= 0xf0 ? 4 : *p >= 0xe0 ? 3 : 2;
			size_t have = strnlen((const char *)p, n);

			if (have == n && cfg_map_utf8_valid((const char *)p, n)) {
				cfg_buf_add(out, p, n);
				p += n;
				continue;
			}
		}
		cfg_buf_addc(out, '?');
		p++;
	}
}

void tool_say(const char *sev, const char *msg)
{
	struct cfg_buf b;

	cfg_buf_init(&b);
	printable(&b, msg);
	fflush(stdout);
	fprintf(stderr, "%s: %s: %s\n", progname, sev, b.data);
	cfg_buf_fini(&b);
}

void tool_fatal(const char *fmt, ...)
{
	struct cfg_buf b;
	va_list ap;

	cfg_buf_init(&b);
	va_start(ap, fmt);
	cfg_buf_vprintf(&b, fmt, ap);
	va_end(ap);
	tool_say("fatal", b.data);
	cfg_buf_fini(&b);
	exit(1);
}

void tool_report(void *ctx, struct cfg_diags *diags)
{
	int die = 0;

	(void)ctx;
	for (size_t i = 0; i < diags->n && !die; i++) {
		const struct cfg_diag *d = &diags->v[i];

		switch (d->sev) {
		case CFG_SEV_NOTE:
			tool_say("info", d->msg);
			break;
		case CFG_SEV_WARNING:
			tool_say("warning", d->msg);
			break;
		case CFG_SEV_ERROR:
		case CFG_SEV_FATAL:
			tool_say("fatal", d->msg);
			die = 1;
			break;
		}
	}
	cfg_diags_clear(diags);
	if (die) {
		fflush(stdout);
		exit(1);
	}
}
