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
