/* cleanup_hdr.c - the message header: checks, missing headers, addresses (see cleanup.h) */
#include "config.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "addr.h"
#include "cfg/xalloc.h"
#include "cleanup.h"
#include "log.h"
#include "maps.h"

/* headers whose addresses are qualified, and the ones -t takes recipients from */
static const char *const addr_headers[] = {
    "From",        "Sender",
    "Reply-To",    "To",
    "Cc",          "Bcc",
    "Resent-From", "Resent-Sender",
    "Resent-To",   "Resent-Cc",
    "Resent-Bcc",  "Return-Receipt-To",
    "Errors-To",   "Disposition-Notification-To",
    NULL,
};

/* header_name - 1 when h is "Name: ..." for name (case-insensitive) */
static int header_is(const char *h, const char *name)
{
	size_t n = strlen(name);

	return strncasecmp(h, name, n) == 0 && (h[n] == ':' || h[n] == ' ' || h[n] == '\t')
	       && h[n + strspn(h + n, " \t")] == ':';
}

/* header_value - the text after the colon */
static const char *header_value(const char *h)
{
	const char *colon = strchr(h, ':');

	return colon ? colon + 1 : h + strlen(h);
}

/* looks_like_header - "name:" with a printable name and no space inside */
static int looks_like_header(const char *line, size_t len)
{
	size_t i;

	for (i = 0; i < len; i++) {
		unsigned char ch = (unsigned char)line[i];

		if (ch == ':')
			return i > 0;
		if (ch <= ' ' || ch >= 0x7f)
			break;
	}
	/* "Name :" (space before the colon) is still a header */
	if (i > 0 && i < len && (line[i] == ' ' || line[i] == '\t')) {
		size_t j = i + strspn(line + i, " \t");

		return j < len && line[j] == ':';
	}
	return 0;
}

void cleanup_log_context(struct cleanup *c, struct cfg_buf *out)
{
	const char *name = cleanup_attr(c, "client_name");
	const char *addr = cleanup_attr(c, "client_addr");
	const char *proto = cleanup_attr(c, "protocol");
	const char *helo = cleanup_attr(c, "helo");

	if (name && addr)
		cfg_buf_printf(out, " from %s[%s];", name, addr);
	else
		cfg_buf_adds(out, " from local;");
	cfg_buf_printf(out, " from=<%s>", c->sender ? c->sender : "");
	if (c->nrcpt)
		cfg_buf_printf(out, " to=<%s>", c->rcpt[0].orig);
	if (proto)
		cfg_buf_printf(out, " proto=%s", proto);
	if (helo && *helo)
		cfg_buf_printf(out, " helo=<%s>", helo);
}

/* log_action - "QID: ACTION: header TEXT from ...; from=<> to=<>...: TEXT" */
static void log_action(struct cleanup *c, const char *action, const char *header, const char *text)
{
	struct cfg_buf b;

	cfg_buf_init(&b);
	cfg_buf_printf(&b, "%s: %s: header %.200s", c->w.qid, action, header);
	for (size_t i = 0; i < b.len; i++)
		if (b.data[i] == '\n')
			b.data[i] = ' ';
	cleanup_log_context(c, &b);
	cfg_buf_printf(&b, ": %s", text);
	mta_info("%s", b.data);
	cfg_buf_fini(&b);
}

/*
 * header_check - header_checks for one logical header.  Returns 1 to keep
 * it, 0 to drop it (IGNORE); sets status/reply on REJECT.
 */
static int header_check(struct cleanup *c, const char *h)
{
	const char *value;
	char word[32];
	size_t wl;
	const char *text;
	int rc;

	if (c->cfg->header_checks.n == 0)
		return 1;
	rc = mta_maps_get(&c->cfg->header_checks, h, &value);
	if (rc < 0) {
		c->status = 4;
		cfg_buf_reset(&c->reply);
		cfg_buf_adds(&c->reply, "451 4.3.0 Error: queue file write error");
		return 1;
	}
	if (rc == 0)
		return 1;
	wl = strcspn(value, " \t");
	snprintf(word, sizeof(word), "%.*s", (int)(wl < sizeof(word) ? wl : sizeof(word) - 1),
	         value);
	text = value + wl + strspn(value + wl, " \t");
	if (strcasecmp(word, "REJECT") == 0) {
		struct cfg_buf t;

		cfg_buf_init(&t);
		cfg_buf_printf(&t, "5.7.1 %s", *text ? text : "message content rejected");
		log_action(c, "reject", h, t.data);
		cfg_buf_fini(&t);
		c->status = 5;
		cfg_buf_reset(&c->reply);
		cfg_buf_printf(&c->reply, "550 5.7.1 %s",
		               *text ? text : "message content rejected");
		return 1;
	}
	if (strcasecmp(word, "DISCARD") == 0) {
		log_action(c, "discard", h, *text ? text : "");
		c->discard = 1;
		return 1;
	}
	if (strcasecmp(word, "HOLD") == 0) {
		log_action(c, "hold", h, *text ? text : "");
		c->hold = 1;
		return 1;
	}
	if (strcasecmp(word, "WARN") == 0) {
		log_action(c, "warning", h, *text ? text : "");
		return 1;
	}
	if (strcasecmp(word, "INFO") == 0) {
		log_action(c, "info", h, *text ? text : "");
		return 1;
	}
	if (strcasecmp(word, "IGNORE") == 0)
		return 0;
	return 1; /* DUNNO, OK and actions postkit does not implement */
}

/*
 * addr_list - walk the mailboxes of an address header value: qualify bare
 * addresses (fix) and/or collect them (out, internal form).  The rewritten
 * value goes to res.
 */
static void addr_list(struct cleanup *c, const char *v, int fix, struct cfg_strvec *out,
                      struct cfg_buf *res)
{
	const char *p = v;

	while (*p) {
		/* one element up to a top-level comma or ';' */
		const char *start = p, *lt = NULL, *gt = NULL, *colon = NULL;
		int q = 0, cm = 0, ang = 0;

		for (; *p; p++) {
			if (q) {
				if (*p == '\\' && p[1])
					p++;
				else if (*p == '"')
					q = 0;
				continue;
			}
			if (cm) {
				if (*p == '\\' && p[1])
					p++;
				else if (*p == '(')
					cm++;
				else if (*p == ')')
					cm--;
				continue;
			}
			if (*p == '"')
				q = 1;
			else if (*p == '(')
				cm = 1;
			else if (*p == '<' && !ang) {
				ang = 1;
				lt = p;
			} else if (*p == '>' && ang) {
				ang = 0;
				gt = p;
			} else if (*p == ':' && !ang && !colon && !lt)
				colon = p;
			else if ((*p == ',' || *p == ';') && !ang)
				break;
		}
		/* a group label "name:" is not an address */
		if (colon && !lt) {
			cfg_buf_add(res, start, (size_t)(colon + 1 - start));
			start = colon + 1;
		}
		{
			const char *as, *ae;
			struct cfg_buf spec;

			if (lt && gt) {
				as = lt + 1;
				ae = gt;
			} else {
				/* the addr-spec: the element without comments and blanks */
				as = start;
				ae = p;
				while (as < ae && isspace((unsigned char)*as))
					as++;
				while (ae > as && isspace((unsigned char)ae[-1]))
					ae--;
				if (ae > as && ae[-1] == ')') {
					/* trailing comment: stop before it */
					const char *o = memchr(as, '(', (size_t)(ae - as));

					if (o) {
						ae = o;
						while (ae > as && isspace((unsigned char)ae[-1]))
							ae--;
					}
				}
			}
			cfg_buf_init(&spec);
			cfg_buf_add(&spec, as, (size_t)(ae - as));
			if (spec.len && !strpbrk(spec.data, " \t\n\"(")) {
				struct cfg_buf in;

				cfg_buf_init(&in);
				addr_internalize(spec.data, &in);
				if (fix && strchr(in.data, '@') == NULL) {
					cfg_buf_add(res, start, (size_t)(ae - start));
					cfg_buf_addc(res, '@');
					cfg_buf_adds(res, c->cfg->myorigin);
					cfg_buf_add(res, ae, (size_t)(p - ae));
					cleanup_qualify(c, &in);
				} else {
					if (strchr(in.data, '@') == NULL)
						cleanup_qualify(c, &in);
					cfg_buf_add(res, start, (size_t)(p - start));
				}
				if (out && in.len)
					cfg_strvec_add(out, in.data);
				cfg_buf_fini(&in);
			} else {
				cfg_buf_add(res, start, (size_t)(p - start));
			}
			cfg_buf_fini(&spec);
		}
		if (*p) {
			cfg_buf_addc(res, *p);
			p++;
		}
	}
}

/* generated - the Received header that opens every message */
static void received(struct cleanup *c, struct cfg_buf *out)
{
	const char *name = cleanup_attr(c, "client_name");
	const char *addr = cleanup_attr(c, "client_addr");
	const char *helo = cleanup_attr(c, "helo");
	const char *proto = cleanup_attr(c, "protocol");
	const char *uid = cleanup_attr(c, "uid");
	struct cfg_buf date;

	cfg_buf_init(&date);
	cleanup_date(c->arrival_sec, &date);
	if (name && addr) {
		int v6 = strchr(addr, ':') != NULL;

		const char *comment = cleanup_attr(c, "received_comment");

		/* smtpd's TLS and AUTH notes, and ESMTPS/ESMTPSA, go in as it made them */
		if (cleanup_attr(c, "received_proto"))
			proto = cleanup_attr(c, "received_proto");
		cfg_buf_printf(out, "Received: from %s (%s [%s%s])\n", helo && *helo ? helo : name,
		               name, v6 ? "IPv6:" : "", addr);
		if (comment && *comment)
			cfg_buf_printf(out, "%s\n", comment);
		cfg_buf_printf(out, "\tby %s (%s) with %s id %s", c->cfg->myhostname,
		               c->cfg->mail_name, proto ? proto : "SMTP", c->w.qid);
		if (c->single_rcpt) {
			struct cfg_buf ext;

			cfg_buf_init(&ext);
			addr_externalize(c->single_rcpt, &ext);
			cfg_buf_printf(out, "\n\tfor <%s>; %s\n", ext.data, date.data);
			cfg_buf_fini(&ext);
		} else {
			cfg_buf_printf(out, ";\n\t%s\n", date.data);
		}
	} else {
		if (uid)
			cfg_buf_printf(out, "Received: by %s (%s, from userid %s)\n",
			               c->cfg->myhostname, c->cfg->mail_name, uid);
		else
			cfg_buf_printf(out, "Received: by %s (%s)\n", c->cfg->myhostname,
			               c->cfg->mail_name);
		cfg_buf_printf(out, "\tid %s; %s\n", c->w.qid, date.data);
	}
	cfg_buf_fini(&date);
}

/* end_headers - process the collected header and write it out */
static void end_headers(struct cleanup *c)
{
	struct cfg_buf out, val;
	struct cfg_strvec rcpts;
	int resent = 0;

	c->in_header = 0;
	if (c->hdr.len) {
		cfg_strvec_add(&c->headers, c->hdr.data);
		cfg_buf_reset(&c->hdr);
	}
	cfg_buf_init(&out);
	cfg_buf_init(&val);
	cfg_strvec_init(&rcpts);
	for (size_t i = 0; i < c->headers.n; i++)
		if (strncasecmp(c->headers.v[i], "Resent-", 7) == 0)
			resent = 1;
	received(c, &out);
	for (size_t i = 0; i < c->headers.n && c->status == 0; i++) {
		const char *h = c->headers.v[i];
		int is_addr = 0, is_rcpt = 0, keep;

		keep = header_check(c, h);
		if (c->status)
			break;
		if (!keep)
			continue;
		if (header_is(h, "Received"))
			c->hops++;
		if (header_is(h, resent ? "Resent-Message-Id" : "Message-Id")) {
			const char *v = header_value(h);

			c->saw_msgid = 1;
			free(c->msgid);
			c->msgid = cfg_xstrdup(v + strspn(v, " \t"));
		}
		if (header_is(h, resent ? "Resent-Date" : "Date"))
			c->saw_date = 1;
		if (header_is(h, resent ? "Resent-From" : "From"))
			c->saw_from = 1;
		for (size_t k = 0; addr_headers[k]; k++)
			if (header_is(h, addr_headers[k]))
				is_addr = 1;
		if (resent)
			is_rcpt = header_is(h, "Resent-To") || header_is(h, "Resent-Cc")
			          || header_is(h, "Resent-Bcc");
		else
			is_rcpt = header_is(h, "To") || header_is(h, "Cc") || header_is(h, "Bcc");
		if (is_addr && (c->fix_headers || (c->extract && is_rcpt))) {
			const char *colon = strchr(h, ':');

			cfg_buf_reset(&val);
			addr_list(c, colon + 1, c->fix_headers,
			          is_rcpt && c->extract ? &rcpts : NULL, &val);
			/* Bcc never leaves a local submission */
			if (c->local && (header_is(h, "Bcc") || header_is(h, "Resent-Bcc")))
				continue;
			cfg_buf_add(&out, h, (size_t)(colon + 1 - h));
			cfg_buf_adds(&out, val.data);
			cfg_buf_addc(&out, '\n');
			continue;
		}
		if (c->local && (header_is(h, "Bcc") || header_is(h, "Resent-Bcc")))
			continue;
		cfg_buf_adds(&out, h);
		cfg_buf_addc(&out, '\n');
	}
	if (c->status == 0 && c->hops > c->cfg->hopcount_limit) {
		c->status = 5;
		cfg_buf_reset(&c->reply);
		cfg_buf_adds(&c->reply, "554 5.4.0 Error: too many hops");
		mta_info("%s: reject: hopcount exceeded (%d)", c->w.qid, c->hops);
	}
	if (c->status == 0) {
		for (size_t i = 0; i < rcpts.n; i++)
			if (cleanup_add_rcpt(c, rcpts.v[i], rcpts.v[i], 0) < 0) {
				c->status = 4;
				cfg_buf_reset(&c->reply);
				cfg_buf_adds(&c->reply, "451 4.3.0 Error: queue file write error");
			}
		/* the headers Postfix adds when a local client left them out */
		if (c->fix_headers && !c->saw_msgid) {
			time_t t = (time_t)c->arrival_sec;
			struct tm tm;
			char stamp[32];

			localtime_r(&t, &tm);
			strftime(stamp, sizeof(stamp), "%Y%m%d%H%M%S", &tm);
			free(c->msgid);
			c->msgid = cfg_xasprintf("<%s.%s@%s>", stamp, c->w.qid, c->cfg->myhostname);
			cfg_buf_printf(&out, "%sMessage-Id: %s\n", resent ? "Resent-" : "",
			               c->msgid);
		}
		if (c->fix_headers && !c->saw_date) {
			cfg_buf_printf(&out, "%sDate: ", resent ? "Resent-" : "");
			cleanup_date(c->arrival_sec, &out);
			cfg_buf_addc(&out, '\n');
		}
		if (c->fix_headers && !c->saw_from) {
			const char *full = cleanup_attr(c, "full_name");
			struct cfg_buf ext;

			cfg_buf_init(&ext);
			addr_externalize(*c->sender ? c->sender : "MAILER-DAEMON", &ext);
			if (full && *full)
				cfg_buf_printf(&out, "%sFrom: %s <%s>\n", resent ? "Resent-" : "",
				               full, ext.data);
			else
				cfg_buf_printf(&out, "%sFrom: %s\n", resent ? "Resent-" : "",
				               ext.data);
			cfg_buf_fini(&ext);
		}
		if (c->msgid)
			mta_info("%s: message-id=%s", c->w.qid, c->msgid);
		else
			mta_info("%s: message-id=", c->w.qid);
		cfg_buf_addc(&out, '\n');
		qf_content(&c->w, out.data, out.len);
	}
	cfg_strvec_fini(&rcpts);
	cfg_buf_fini(&val);
	cfg_buf_fini(&out);
}

/* header_line - one complete line of the header section (no LF) */
static void header_line(struct cleanup *c, const char *line, size_t len)
{
	if (len == 0) {
		end_headers(c);
		return;
	}
	if ((line[0] == ' ' || line[0] == '\t') && c->hdr.len) {
		if ((long)(c->hdr.len + len) < c->cfg->header_size_limit) {
			cfg_buf_addc(&c->hdr, '\n');
			cfg_buf_add(&c->hdr, line, len);
		}
		return;
	}
	if (!looks_like_header(line, len)) {
		/* the body starts without a blank line: Postfix inserts one */
		end_headers(c);
		if (c->status == 0) {
			qf_content(&c->w, line, len);
			qf_content(&c->w, "\n", 1);
		}
		return;
	}
	if (c->hdr.len)
		cfg_strvec_add(&c->headers, c->hdr.data);
	cfg_buf_reset(&c->hdr);
	cfg_buf_add(&c->hdr, line,
	            len < (size_t)c->cfg->header_size_limit ? len
	                                                    : (size_t)c->cfg->header_size_limit);
}

static void content(struct cleanup *c, const char *data, size_t len);

void cleanup_content(struct cleanup *c, const char *data, size_t len)
{
	if (c->in_header) {
		cleanup_log_enter();
		content(c, data, len);
		cleanup_log_leave();
	} else {
		content(c, data, len);
	}
}

/* content - header processing until the body, then straight to the file */
static void content(struct cleanup *c, const char *data, size_t len)
{
	c->size += (long)len;
	if (c->cfg->size_limit > 0 && c->size > c->cfg->size_limit && c->status == 0) {
		c->status = 5;
		cfg_buf_reset(&c->reply);
		cfg_buf_adds(&c->reply, "552 5.3.4 Error: message file too big");
	}
	if (c->status)
		return;
	while (len && c->in_header) {
		const char *nl = memchr(data, '\n', len);
		size_t n = nl ? (size_t)(nl - data) : len;

		if (nl == NULL) {
			cfg_buf_add(&c->line, data, n);
			return;
		}
		if (c->line.len) {
			cfg_buf_add(&c->line, data, n);
			header_line(c, c->line.data, c->line.len);
			cfg_buf_reset(&c->line);
		} else {
			header_line(c, data, n);
		}
		data += n + 1;
		len -= n + 1;
		if (c->status)
			return;
	}
	if (len)
		qf_content(&c->w, data, len);
}

void cleanup_content_end(struct cleanup *c)
{
	if (c->status || !c->in_header)
		return;
	if (c->line.len) {
		/* a last line without LF */
		header_line(c, c->line.data, c->line.len);
		cfg_buf_reset(&c->line);
	}
	if (c->in_header)
		end_headers(c);
}
