/* cleanup_hdr.c - the primary header: checks, missing headers, addresses (see cleanup.h) */
#include "config.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "addr.h"
#include "cfg/base/xalloc.h"
#include "cleanup_int.h"
#include "hdropts.h"
#include "maildate.h"
#include "log.h"

/* header_value - the text after the colon, without leading blanks */
static const char *header_value(const char *h)
{
	const char *colon = strchr(h, ':');

	h = colon ? colon + 1 : h + strlen(h);
	return h + strspn(h, " \t\r\n");
}

/* what the primary header block has shown so far */
struct hstate {
	struct cfg_buf out;     /* the headers to write */
	struct cfg_strvec rcpt; /* sendmail -t recipients: as written, qualified, ... */
	int resent;             /* a Resent- header is there: complete that set */
	int saw_msgid, saw_plain_msgid, saw_date, saw_from;
};

/* element_end - the end of one address list element: a top-level ',' or ';', or the end */
static const char *element_end(const char *p, const char **lt, const char **gt, const char **colon)
{
	int q = 0, cm = 0, ang = 0;

	*lt = *gt = *colon = NULL;
	for (; *p; p++) {
		if (q || cm) {
			if (*p == '\\' && p[1])
				p++;
			else if (q && *p == '"')
				q = 0;
			else if (cm && *p == '(')
				cm++;
			else if (cm && *p == ')')
				cm--;
			continue;
		}
		if (*p == '"')
			q = 1;
		else if (*p == '(')
			cm = 1;
		else if (*p == '<' && !ang) {
			ang = 1;
			*lt = p;
		} else if (*p == '>' && ang) {
			ang = 0;
			*gt = p;
		} else if (*p == ':' && !ang && !*colon && !*lt)
			*colon = p;
		else if ((*p == ',' || *p == ';') && !ang)
			break;
	}
	return p;
}

/* spec_bounds - the addr-spec of an element without angle brackets: no blanks or comment */
static void spec_bounds(const char *start, const char *end, const char **as, const char **ae)
{
	*as = start;
	*ae = end;
	while (*as < *ae && isspace((unsigned char)**as))
		(*as)++;
	while (*ae > *as && isspace((unsigned char)(*ae)[-1]))
		(*ae)--;
	if (*ae > *as && (*ae)[-1] == ')') {
		/* a trailing comment: stop before it */
		const char *o = memchr(*as, '(', (size_t)(*ae - *as));

		if (o) {
			*ae = o;
			while (*ae > *as && isspace((unsigned char)(*ae)[-1]))
				(*ae)--;
		}
	}
}

/*
 * plain_spec - 1 when [as, ae) is one addr-spec: no blank or comment
 * outside a quoted string, the quotes closed
 */
static int plain_spec(const char *as, const char *ae)
{
	int q = 0;

	if (ae <= as)
		return 0;
	for (const char *s = as; s < ae; s++) {
		if (*s == '\\') {
			if (++s == ae)
				return 0;
		} else if (*s == '"') {
			q = !q;
		} else if (!q && (isspace((unsigned char)*s) || *s == '(')) {
			return 0;
		}
	}
	return !q;
}

/* spec_text - the addr-spec [as, ae) with "\x" outside quotes written "\"x\"" */
static char *spec_text(const char *as, const char *ae)
{
	struct cfg_buf b;
	int q = 0;

	cfg_buf_init(&b);
	for (const char *s = as; s < ae; s++) {
		if (*s == '\\' && !q) {
			cfg_buf_addc(&b, '"');
			if (s[1] == '"' || s[1] == '\\')
				cfg_buf_addc(&b, '\\');
			cfg_buf_addc(&b, *++s);
			cfg_buf_addc(&b, '"');
			continue;
		}
		cfg_buf_addc(&b, *s);
		if (*s == '\\')
			cfg_buf_addc(&b, *++s);
		else if (*s == '"')
			q = !q;
	}
	return b.data;
}

/*
 * one_addr - one addr-spec [as, ae) of an element [start, p): qualify it
 * (fix), masquerade it (masq), collect it (out, internal form) and append
 * the element to res as Postfix writes it back when the header changes:
 * [start, keep), the address quoted anew (a source route between them
 * goes), [ae, p).  Returns 1 when the address changed (a source route too).
 */
static int one_addr(struct cleanup *c, const char *start, const char *keep, const char *as,
                    const char *ae, const char *p, int fix, int masq, struct cfg_strvec *out,
                    struct cfg_buf *res)
{
	struct cfg_buf in, ext;
	int rewrite, take, bare;

	cfg_buf_init(&in);
	cfg_buf_init(&ext);
	{
		char *spec = spec_text(as, ae);

		addr_internalize(spec, &in);
		free(spec);
	}
	if (memchr(as, '"', (size_t)(ae - as)) && (in.len == 0 || in.data[0] == '@')) {
		/* an empty quoted local part ("" or ""@x): Postfix leaves it alone */
		cfg_buf_add(res, start, (size_t)(p - start));
		cfg_buf_fini(&in);
		return 0;
	}
	bare = strchr(in.data, '@') == NULL;
	/* -t recipients: the address as written (the original recipient), then qualified */
	take = out && in.len;
	if (take)
		cfg_strvec_add(out, in.data);
	cleanup_qualify(c, &in);
	if (take)
		cfg_strvec_add(out, in.data);
	if (fix && masq)
		cleanup_masquerade(c, &in);
	addr_externalize(in.data, &ext);
	/*
	 * changed: as Postfix compares the address written out before and after
	 * ("\"w\"@x" is w@x; append_dot_mydomain), a source route, and with a
	 * backslash (read differently there) only a missing domain
	 */
	if (memchr(as, '\\', (size_t)(ae - as)))
		rewrite = bare;
	else
		rewrite = ext.len != (size_t)(ae - as) || memcmp(ext.data, as, ext.len) != 0;
	rewrite = fix && (rewrite || keep < as);
	cfg_buf_add(res, start, (size_t)(keep - start));
	if (fix)
		cfg_buf_add(res, ext.data, ext.len);
	else
		cfg_buf_add(res, as, (size_t)(ae - as)); /* as it was, without a source route */
	cfg_buf_add(res, ae, (size_t)(p - ae));
	cfg_buf_fini(&in);
	cfg_buf_fini(&ext);
	return rewrite;
}

/*
 * tidy_element - one element of a rewritten address header as Postfix
 * writes it back: blanks outside quoted strings and comments become one
 * space, none at the ends, and a space before "<" and "(" that follow a word
 * (none between ">" and "(": "<a@b> (c)" becomes "<a@b>(c)")
 */
static void tidy_element(const char *e, struct cfg_buf *out)
{
	int q = 0, cm = 0, blank = 0;

	for (; *e; e++) {
		if (q || cm) {
			cfg_buf_addc(out, *e);
			if (*e == '\\' && e[1])
				cfg_buf_addc(out, *++e);
			else if (q && *e == '"')
				q = 0;
			else if (cm && *e == '(')
				cm++;
			else if (cm && *e == ')')
				cm--;
			continue;
		}
		if (isspace((unsigned char)*e)) {
			blank = 1;
			continue;
		}
		if (out->len && out->data[out->len - 1] != ' ' && (blank || *e == '<' || *e == '(')
		    && !(*e == '(' && out->data[out->len - 1] == '>'))
			cfg_buf_addc(out, ' ');
		blank = 0;
		cfg_buf_addc(out, *e);
		q = *e == '"';
		cm = *e == '(';
	}
}

/*
 * fold_elements - a rewritten address header's elements written back as
 * Postfix's cleanup does: ", " between them, and a new line (TAB) instead
 * of the space when the line would reach 70 characters; col is the length
 * of "Name:" in front.
 */
static void fold_elements(const struct cfg_strvec *elems, size_t col, struct cfg_buf *res)
{
	size_t line = col;

	for (size_t i = 0; i < elems->n; i++) {
		size_t n = strlen(elems->v[i]) + (i + 1 < elems->n);

		if (i > 0 && line + 1 + n >= 70) {
			cfg_buf_adds(res, "\n\t");
			line = 0; /* the TAB does not count */
		} else {
			cfg_buf_addc(res, ' ');
			line++;
		}
		cfg_buf_adds(res, elems->v[i]);
		if (i + 1 < elems->n)
			cfg_buf_addc(res, ',');
		line += n;
	}
}

/*
 * addr_list - walk the mailboxes of an address header value: qualify bare
 * addresses (fix), masquerade them (masq) and/or collect them (out,
 * internal form).  The value goes to res: as it was when no address
 * changed, else written back tidied and folded as Postfix does (col: the
 * length of the header's "Name:").
 */
static void addr_list(struct cleanup *c, const char *v, size_t col, int fix, int masq,
                      struct cfg_strvec *out, struct cfg_buf *res)
{
	const char *p = v;
	struct cfg_strvec elems;
	struct cfg_buf e, t;
	int changed = 0, after_group = 0, comma_end = 0;

	cfg_strvec_init(&elems);
	cfg_buf_init(&e);
	cfg_buf_init(&t);
	while (*p) {
		const char *start = p, *lt, *gt, *colon, *as, *ae, *keep;

		cfg_buf_reset(&e);
		cfg_buf_reset(&t);
		p = element_end(p, &lt, &gt, &colon);
		/* a group label "name:" is not an address */
		if (colon && !lt) {
			cfg_buf_add(&t, start, (size_t)(colon - start));
			tidy_element(t.data, &e);
			cfg_buf_adds(&e, ": ");
			cfg_buf_reset(&t);
			start = colon + 1;
		}
		if (lt && gt) {
			as = lt + 1;
			ae = gt;
			/* a source route "<@a,@b:user@c>" is not part of the address */
			if (*as == '@') {
				const char *r = memchr(as, ':', (size_t)(ae - as));

				if (r)
					as = r + 1;
			}
		} else {
			spec_bounds(start, p, &as, &ae);
		}
		keep = lt && gt ? lt + 1 : as;
		if (plain_spec(as, ae))
			changed |= one_addr(c, start, keep, as, ae, p, fix, masq, out, &t);
		else
			cfg_buf_add(&t, start, (size_t)(p - start));
		tidy_element(t.data, &e);
		if (*p == ';')
			cfg_buf_addc(&e, ';');
		/* "g: a;, b" and "g: a; b" are the same list: no empty element after a group */
		comma_end = 0;
		if (!(after_group && e.len == 0 && *p != ';')) {
			cfg_strvec_add(&elems, e.data);
			comma_end = *p == ',';
		}
		after_group = *p == ';';
		if (*p)
			p++;
	}
	/* "a, b," ends with an empty element: Postfix writes "a, b, " */
	if (comma_end)
		cfg_strvec_add(&elems, "");
	if (changed)
		fold_elements(&elems, col, res);
	else
		cfg_buf_adds(res, v);
	cfg_strvec_fini(&elems);
	cfg_buf_fini(&e);
	cfg_buf_fini(&t);
}

/* received - the Received header that opens every message (no line end) */
static void received(struct cleanup *c, struct cfg_buf *out)
{
	const char *name = cleanup_attr(c, "client_name");
	const char *addr = cleanup_attr(c, "client_addr");
	const char *helo = cleanup_attr(c, "helo");
	const char *proto = cleanup_attr(c, "protocol");
	const char *uid = cleanup_attr(c, "uid");
	struct cfg_buf date;

	cfg_buf_init(&date);
	mta_mail_date(c->arrival_sec, &date);
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
			cfg_buf_printf(out, "\n\tfor <%s>; %s", ext.data, date.data);
			cfg_buf_fini(&ext);
		} else {
			cfg_buf_printf(out, ";\n\t%s", date.data);
		}
	} else {
		if (uid)
			cfg_buf_printf(out, "Received: by %s (%s, from userid %s)\n",
			               c->cfg->myhostname, c->cfg->mail_name, uid);
		else
			cfg_buf_printf(out, "Received: by %s (%s)\n", c->cfg->myhostname,
			               c->cfg->mail_name);
		cfg_buf_printf(out, "\tid %s; %s", c->w.qid, date.data);
	}
	cfg_buf_fini(&date);
}

/* addresses - an address header: qualified, masqueraded, -t recipients taken */
static void addresses(struct cleanup *c, struct hstate *hs, const char *h, unsigned fl)
{
	const char *colon = strchr(h, ':');
	int is_rcpt = (fl & HDR_OPT_EXTRACT)
	              && (hs->resent ? (fl & HDR_OPT_RESENT) != 0 : !(fl & HDR_OPT_RESENT));
	unsigned masq_class = (fl & HDR_OPT_SENDER) ? CLEANUP_MASQ_HDR_FROM : CLEANUP_MASQ_HDR_RCPT;
	int masq = (c->flags & CLEANUP_F_MAPS) && (c->cfg->masq_classes & masq_class);
	struct cfg_buf val;

	cfg_buf_init(&val);
	addr_list(c, colon + 1, (size_t)(colon + 1 - h), c->fix_headers, masq,
	          is_rcpt && c->extract ? &hs->rcpt : NULL, &val);
	if (!(fl & HDR_OPT_DROP)) {
		cfg_buf_add(&hs->out, h, (size_t)(colon + 1 - h));
		cfg_buf_adds(&hs->out, val.data);
		cfg_buf_addc(&hs->out, '\n');
	}
	cfg_buf_fini(&val);
}

/* from_milter - 1 (and forget it) when a mail filter added or changed this header */
static int from_milter(struct cleanup *c, const char *text)
{
	for (size_t i = 0; i < c->milter_hdrs.n; i++) {
		if (strcmp(c->milter_hdrs.v[i], text) != 0)
			continue;
		free(c->milter_hdrs.v[i]);
		memmove(c->milter_hdrs.v + i, c->milter_hdrs.v + i + 1,
		        (c->milter_hdrs.n - i) * sizeof(*c->milter_hdrs.v));
		c->milter_hdrs.n--;
		return 1;
	}
	return 0;
}

/* primary - one header of the primary block: checks, then what it tells and how it is written */
static void primary(struct cleanup *c, struct hstate *hs, const char *text)
{
	struct cfg_buf h;
	struct cfg_strvec pre;
	unsigned fl = hdr_opts(text);
	int mime = (fl & HDR_OPT_MIME) != 0, keep;

	/* Postfix counts a Received header before the checks may drop it */
	if (hdr_name_is(text, "Received"))
		c->hops++;
	cfg_buf_init(&h);
	cfg_buf_adds(&h, text);
	cfg_strvec_init(&pre);
	if (from_milter(c, text)) {
		c->act_prefix = "milter-header-";
		keep = cleanup_check(c, &c->cfg->milter_header_checks, "milter_header_checks",
		                     "header", &h, &pre);
		c->act_prefix = NULL;
	} else {
		keep = cleanup_check(c, mime ? &c->cfg->mime_header_checks : &c->cfg->header_checks,
		                     mime ? "mime_header_checks" : "header_checks", "header", &h,
		                     &pre);
	}
	if (c->status == 0)
		for (size_t i = 0; i < pre.n; i++) {
			cfg_buf_adds(&hs->out, pre.v[i]);
			cfg_buf_addc(&hs->out, '\n');
		}
	if (c->status || !keep)
		goto out;
	/* REPLACE may have made it another header */
	fl = hdr_opts(h.data);
	if (hdr_name_is(h.data, "Message-Id")) {
		mta_info("%s: message-id=%s", c->w.qid, header_value(h.data));
		hs->saw_plain_msgid = 1;
		if (!hs->resent) {
			free(c->msgid);
			c->msgid = cfg_xstrdup(header_value(h.data));
		}
	}
	if (hdr_name_is(h.data, "Resent-Message-Id")) {
		mta_info("%s: resent-message-id=%s", c->w.qid, header_value(h.data));
		if (hs->resent) {
			free(c->msgid);
			c->msgid = cfg_xstrdup(header_value(h.data));
		}
	}
	if (hdr_name_is(h.data, "Received") && c->hops >= c->cfg->hopcount_limit) {
		mta_warn("%s: message rejected: hopcount exceeded", c->w.qid);
		cleanup_fail(c, 5, "554 5.4.0 Error: too many hops");
		goto out;
	}
	if (hdr_name_is(h.data, hs->resent ? "Resent-Message-Id" : "Message-Id"))
		hs->saw_msgid = 1;
	if (hdr_name_is(h.data, hs->resent ? "Resent-Date" : "Date"))
		hs->saw_date = 1;
	if (hdr_name_is(h.data, hs->resent ? "Resent-From" : "From"))
		hs->saw_from = 1;
	if ((fl & (HDR_OPT_SENDER | HDR_OPT_RCPT))
	    && (c->fix_headers || (c->extract && (fl & HDR_OPT_EXTRACT))))
		addresses(c, hs, h.data, fl);
	else if (!(fl & HDR_OPT_DROP)) {
		cfg_buf_add(&hs->out, h.data, h.len);
		cfg_buf_addc(&hs->out, '\n');
	}
out:
	cfg_strvec_fini(&pre);
	cfg_buf_fini(&h);
}

/* missing - the headers Postfix adds when a local client left them out */
static void missing(struct cleanup *c, struct hstate *hs)
{
	const char *rs = hs->resent ? "Resent-" : "";

	if (c->fix_headers && !hs->saw_msgid) {
		time_t t = (time_t)c->arrival_sec;
		struct tm tm;
		char stamp[32];

		gmtime_r(&t, &tm);
		strftime(stamp, sizeof(stamp), "%Y%m%d%H%M%S", &tm);
		free(c->msgid);
		c->msgid = cfg_xasprintf("<%s.%s@%s>", stamp, c->w.qid, c->cfg->myhostname);
		cfg_buf_printf(&hs->out, "%sMessage-Id: %s\n", rs, c->msgid);
		mta_info("%s: %smessage-id=%s", c->w.qid, hs->resent ? "resent-" : "", c->msgid);
		if (!hs->resent)
			hs->saw_plain_msgid = 1;
	}
	if (!hs->saw_plain_msgid)
		mta_info("%s: message-id=<>", c->w.qid);
	if (c->fix_headers && !hs->saw_date) {
		cfg_buf_printf(&hs->out, "%sDate: ", rs);
		mta_mail_date(c->arrival_sec, &hs->out);
		cfg_buf_addc(&hs->out, '\n');
	}
	if (c->fix_headers && !hs->saw_from) {
		const char *full = cleanup_attr(c, "full_name");
		struct cfg_buf ext;

		cfg_buf_init(&ext);
		addr_externalize(*c->sender ? c->sender : "MAILER-DAEMON", &ext);
		if (full && *full)
			cfg_buf_printf(&hs->out, "%sFrom: %s <%s>\n", rs, full, ext.data);
		else
			cfg_buf_printf(&hs->out, "%sFrom: %s\n", rs, ext.data);
		cfg_buf_fini(&ext);
	}
}

void cleanup_head_end(struct cleanup *c)
{
	struct hstate hs;
	struct cfg_buf rcv;

	memset(&hs, 0, sizeof(hs));
	cfg_buf_init(&hs.out);
	cfg_strvec_init(&hs.rcpt);
	cfg_buf_init(&rcv);
	for (size_t i = 0; i < c->headers.n; i++)
		if (hdr_opts(c->headers.v[i]) & HDR_OPT_RESENT)
			hs.resent = 1;
	/*
	 * smtpd's PREPEND headers come first, then our Received header (the
	 * checks and the hop count see it), then the message's own
	 */
	received(c, &rcv);
	for (size_t i = 0; i <= c->headers.n && c->status == 0 && !c->discard; i++) {
		if (i == c->nprepend)
			primary(c, &hs, rcv.data);
		if (i < c->headers.n && c->status == 0 && !c->discard)
			primary(c, &hs, c->headers.v[i]);
	}
	/* a discarded message ends here, without a word more in the log */
	if (c->status == 0 && !c->discard) {
		for (size_t i = 0; i + 1 < hs.rcpt.n; i += 2)
			if (cleanup_add_rcpt(c, hs.rcpt.v[i], hs.rcpt.v[i + 1], 0) < 0)
				cleanup_fail(c, 4, "451 4.3.0 Error: queue file write error");
		missing(c, &hs);
		cleanup_put(c, hs.out.data, hs.out.len);
	}
	cfg_strvec_clear(&c->headers);
	cfg_buf_fini(&rcv);
	cfg_strvec_fini(&hs.rcpt);
	cfg_buf_fini(&hs.out);
}
