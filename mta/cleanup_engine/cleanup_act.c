/* cleanup_act.c - the actions of header_checks(5) and body_checks (see cleanup.h) */
#include "config.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "addr.h"
#include "cfg/base/xalloc.h"
#include "cleanup_int.h"
#include "hbc.h"
#include "log.h"
#include "maps.h"

void cleanup_log_context(struct cleanup *c, struct cfg_buf *out)
{
	const char *name = cleanup_attr(c, "client_name");
	const char *addr = cleanup_attr(c, "client_addr");
	const char *proto = cleanup_attr(c, "protocol");
	const char *helo = cleanup_attr(c, "helo");
	const char *origin = cleanup_attr(c, "log_message_origin");

	if (origin) {
		/* the original client that smtpd learned from XFORWARD */
		proto = cleanup_attr(c, "log_protocol_name");
		helo = cleanup_attr(c, "log_helo_name");
		cfg_buf_printf(out, " from %s;", origin);
	} else if (name && addr)
		cfg_buf_printf(out, " from %s[%s];", name, addr);
	else if (c->milter_content)
		cfg_buf_adds(out, " from localhost[127.0.0.1];"); /* what the filters were told */
	else
		cfg_buf_adds(out, " from local;");
	cfg_buf_adds(out, " from=<");
	addr_externalize(c->sender ? c->sender : "", out);
	cfg_buf_addc(out, '>');
	if (c->log_rcpt) {
		cfg_buf_adds(out, " to=<");
		addr_externalize(c->log_rcpt, out);
		cfg_buf_addc(out, '>');
	}
	/* a local submission has no protocol or HELO name to tell */
	if (name && addr && proto)
		cfg_buf_printf(out, " proto=%s", proto);
	if (name && addr && helo && *helo)
		cfg_buf_printf(out, " helo=<%s>", helo);
}

/* log_action - "QID: ACTION: header TEXT from ...; from=<> to=<>...[: TEXT]" */
static void log_action(struct cleanup *c, const char *action, const char *context,
                       const struct cfg_buf *line, const char *text)
{
	struct cfg_buf b;

	cfg_buf_init(&b);
	cfg_buf_printf(&b, "%s: %s%s: %s ", c->w.qid, c->act_prefix ? c->act_prefix : "", action,
	               context);
	mta_printable(&b, line->data, line->len < 200 ? line->len : 200);
	cleanup_log_context(c, &b);
	if (text && *text) {
		cfg_buf_adds(&b, ": ");
		mta_printable(&b, text, strlen(text));
	}
	mta_info("%s", b.data);
	cfg_buf_fini(&b);
}

/* dsn_len - length of an enhanced status code "X.YYY.ZZZ" (X 2, 4 or 5) at text, or 0 */
static size_t dsn_len(const char *t)
{
	size_t i = 0, part;

	if (t[0] != '2' && t[0] != '4' && t[0] != '5')
		return 0;
	for (int dots = 0; dots < 2; dots++) {
		i++;
		if (t[i] != '.')
			return 0;
		for (part = 0; isdigit((unsigned char)t[i + 1]) && part < 3; part++)
			i++;
		if (part == 0)
			return 0;
	}
	i++;
	return t[i] == '\0' || t[i] == ' ' || t[i] == '\t' ? i : 0;
}

/* reject - REJECT [text]: the whole message, with the table's DSN or 5.7.1 */
static void reject(struct cleanup *c, const char *context, const struct cfg_buf *line,
                   const char *text)
{
	struct cfg_buf reason;

	cfg_buf_init(&reason);
	if (*text == '\0')
		cfg_buf_adds(&reason, "5.7.1 message content rejected");
	else if (dsn_len(text) > 0)
		cfg_buf_adds(&reason, text);
	else
		cfg_buf_printf(&reason, "5.7.1 %s", text);
	if (reason.data[0] != '4' && reason.data[0] != '5') {
		mta_warn("bad DSN action in %s -- need 4.x.x or 5.x.x", text);
		reason.data[0] = '4';
	}
	c->inspect = 0;
	log_action(c, "reject", context, line, reason.data);
	if (c->status == 0) {
		c->status = reason.data[0] == '4' ? 4 : 5;
		cfg_buf_reset(&c->reply);
		cfg_buf_printf(&c->reply, "%s %s", reason.data[0] == '4' ? "451" : "550",
		               reason.data);
	}
	cfg_buf_fini(&reason);
}

/* edit - PREPEND and REPLACE; 1 when the line stays */
static int edit(struct cleanup *c, int replace, const char *context, struct cfg_buf *line,
                const char *text, const char *param, struct cfg_strvec *pre)
{
	if (!hbc_edit_ok(replace, context, text, param))
		return 1;
	log_action(c, replace ? "replace" : "prepend", context, line, text);
	if (!replace && c->act_prefix) {
		/* Postfix 3.7 logs the match, then does nothing */
		mta_warn("the milter_header/body_checks prepend action is not implemented");
		return 1;
	}
	if (replace) {
		cfg_buf_reset(line);
		cfg_buf_adds(line, text);
	} else {
		cfg_strvec_add(pre, text);
	}
	return 1;
}

/* route - FILTER, REDIRECT and BCC: where the message goes after it is queued */
static void route(struct cleanup *c, const char *cmd, const char *context,
                  const struct cfg_buf *line, const char *text, const char *param)
{
	if (strcasecmp(cmd, "FILTER") == 0) {
		if (*text == '\0') {
			mta_warn("missing FILTER command argument in %s map", param);
		} else if (strchr(text, ':') == NULL) {
			mta_warn("bad FILTER command %s in %s -- need transport:destination", text,
			         param);
		} else {
			free(c->filter);
			c->filter = cfg_xstrdup(text);
			log_action(c, "filter", context, line, text);
		}
		return;
	}
	if (strchr(text, '@') == NULL) {
		mta_warn("bad %s \"%s\" in %s map -- need user@domain",
		         strcasecmp(cmd, "BCC") == 0 ? "BCC address" : "REDIRECT target", text,
		         param);
		return;
	}
	if (strcasecmp(cmd, "BCC") == 0) {
		cfg_strvec_add(&c->bcc, text);
		log_action(c, "bcc", context, line, text);
		return;
	}
	free(c->redirect);
	c->redirect = cfg_xstrdup(text);
	log_action(c, "redirect", context, line, text);
	c->inspect = 0; /* the last word on where the message goes */
}

/* act - one table result for line; 1 keep (maybe replaced), 0 drop */
static int act(struct cleanup *c, const char *context, struct cfg_buf *line, const char *value,
               const char *param, struct cfg_strvec *pre)
{
	const char *text;
	char cmd[16];

	if (!hbc_command(value, cmd, sizeof(cmd), &text)) {
		mta_warn("unknown command in %s map: %s", param, value);
		return 1;
	}
	if (strcasecmp(cmd, "REJECT") == 0) {
		reject(c, context, line, text);
	} else if (strcasecmp(cmd, "WARN") == 0 || strcasecmp(cmd, "INFO") == 0) {
		log_action(c, strcasecmp(cmd, "WARN") == 0 ? "warning" : "info", context, line,
		           text);
	} else if (strcasecmp(cmd, "FILTER") == 0 || strcasecmp(cmd, "REDIRECT") == 0
	           || strcasecmp(cmd, "BCC") == 0) {
		route(c, cmd, context, line, text, param);
	} else if (strcasecmp(cmd, "PASS") == 0) {
		log_action(c, "pass", context, line, text);
		c->inspect = 0;
	} else if (strcasecmp(cmd, "DISCARD") == 0) {
		log_action(c, "discard", context, line, text);
		c->discard = 1;
		c->inspect = 0;
	} else if (strcasecmp(cmd, "HOLD") == 0) {
		if (!c->hold && !c->discard) {
			log_action(c, "hold", context, line, text);
			c->hold = 1;
		}
	} else if (strcasecmp(cmd, "PREPEND") == 0 || strcasecmp(cmd, "REPLACE") == 0) {
		return edit(c, strcasecmp(cmd, "REPLACE") == 0, context, line, text, param, pre);
	} else if (strcasecmp(cmd, "STRIP") == 0) {
		log_action(c, "strip", context, line, text);
		return 0;
	} else if (strcasecmp(cmd, "IGNORE") == 0) {
		return 0;
	} else if (strcasecmp(cmd, "DUNNO") != 0 && strcasecmp(cmd, "OK") != 0) {
		/* Postfix keeps the line: an unknown command is a table mistake, not mail */
		mta_warn("unknown command in %s map: %s", param, value);
	}
	return 1;
}

int cleanup_check(struct cleanup *c, const struct cfg_strvec *maps, const char *param,
                  const char *context, struct cfg_buf *line, struct cfg_strvec *pre)
{
	const char *value;
	char *copy;
	int rc;

	/* an empty line is never looked up, as in Postfix */
	if (!c->inspect || c->status || maps->n == 0 || line->len == 0)
		return 1;
	rc = mta_maps_get(maps, line->data, &value);
	if (rc < 0) {
		mta_warn("%s: %s map lookup problem -- message not accepted, try again later",
		         c->w.qid, param);
		cleanup_fail(c, 4, "451 4.3.0 Error: queue file write error");
		return 1;
	}
	if (rc == 0)
		return 1;
	copy = cfg_xstrdup(value);
	rc = act(c, context, line, copy, param, pre);
	free(copy);
	return rc;
}
