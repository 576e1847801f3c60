/* hbc.c - what header_checks(5) users share (see hbc.h) */
#include "config.h"

#include <ctype.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "hbc.h"
#include "hdropts.h"
#include "log.h"
#include "mime.h"

/* utf8_len - the length of a valid UTF-8 sequence at p (2..4 bytes), or 0 */
static size_t utf8_len(const unsigned char *p, size_t avail)
{
	size_t n;
	unsigned char lo = 0x80, hi = 0xbf;

	if (p[0] >= 0xc2 && p[0] <= 0xdf)
		n = 2;
	else if (p[0] >= 0xe0 && p[0] <= 0xef)
		n = 3;
	else if (p[0] >= 0xf0 && p[0] <= 0xf4)
		n = 4;
	else
		return 0;
	if (n > avail)
		return 0;
	/* no overlong forms, no surrogates, nothing past U+10FFFF */
	if (p[0] == 0xe0)
		lo = 0xa0;
	else if (p[0] == 0xed)
		hi = 0x9f;
	else if (p[0] == 0xf0)
		lo = 0x90;
	else if (p[0] == 0xf4)
		hi = 0x8f;
	if (p[1] < lo || p[1] > hi)
		return 0;
	for (size_t i = 2; i < n; i++)
		if (p[i] < 0x80 || p[i] > 0xbf)
			return 0;
	return n;
}

void hbc_printable(struct cfg_buf *out, const char *text, size_t len)
{
	const unsigned char *p = (const unsigned char *)text;

	for (size_t i = 0; i < len;) {
		size_t n;

		if (p[i] >= 0x20 && p[i] < 0x7f) {
			cfg_buf_addc(out, p[i++]);
		} else if (p[i] >= 0x80 && (n = utf8_len(p + i, len - i)) > 0) {
			cfg_buf_add(out, p + i, n);
			i += n;
		} else {
			cfg_buf_addc(out, '?');
			i++;
		}
	}
}

int hbc_command(const char *value, char *cmd, size_t len, const char **text)
{
	size_t wl = strcspn(value, " \t");
	const char *t = value + wl;

	while (isspace((unsigned char)*t))
		t++;
	*text = t;
	if (wl >= len)
		return 0;
	snprintf(cmd, len, "%.*s", (int)wl, value);
	return 1;
}

int hbc_edit_ok(int replace, const char *context, const char *text, const char *param)
{
	const char *what = replace ? "REPLACE" : "PREPEND";

	if (*text == '\0') {
		mta_warn("%s action without text in %s map", what, param);
		return 0;
	}
	/* a header takes the place of a header: "name: value" */
	if (strcmp(context, "header") == 0 && mime_header_name_len(text, strlen(text)) == 0) {
		mta_warn("bad %s header text \"%s\" in %s map -- need \"headername: headervalue\"",
		         what, text, param);
		return 0;
	}
	return 1;
}

/* hbc_is_mime_header - a header that the header table marks for mime_header_checks */
int hbc_is_mime_header(const char *h)
{
	return (hdr_opts(h) & HDR_OPT_MIME) != 0;
}
