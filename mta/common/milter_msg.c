/* milter_msg.c - the message to the filters and their edits at end of message (see milter.h) */
#include "config.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <arpa/inet.h>

#include "cfg/base/xalloc.h"
#include "log.h"
#include "milter_int.h"

void milter_msg_init(struct milter_msg *msg)
{
	memset(msg, 0, sizeof(*msg));
	cfg_strvec_init(&msg->headers);
	cfg_buf_init(&msg->body);
	cfg_strvec_init(&msg->rcpt);
	cfg_strvec_init(&msg->added);
	cfg_strvec_init(&msg->deleted);
	cfg_strvec_init(&msg->produced);
}

void milter_msg_fini(struct milter_msg *msg)
{
	cfg_strvec_fini(&msg->headers);
	cfg_buf_fini(&msg->body);
	cfg_strvec_fini(&msg->rcpt);
	cfg_strvec_fini(&msg->added);
	cfg_strvec_fini(&msg->deleted);
	cfg_strvec_fini(&msg->produced);
	free(msg->sender);
	free(msg->hold_reason);
}

void milter_msg_split(struct milter_msg *msg, const char *data, size_t len)
{
	size_t off = 0;

	while (off < len) {
		size_t end = off, n;

		/* a header with its continuation lines; a blank or non-header line ends them */
		while (end < len && data[end] != '\n')
			end++;
		n = strcspn(data + off, ":\n");
		if (end == off) {
			off = end + 1; /* the blank line between headers and body */
			break;
		}
		if (off + n >= end || n == 0 || memchr(data + off, ' ', n)
		    || memchr(data + off, '\t', n))
			break;
		while (end + 1 < len && (data[end + 1] == ' ' || data[end + 1] == '\t')) {
			end++;
			while (end < len && data[end] != '\n')
				end++;
		}
		cfg_strvec_addn(&msg->headers, data + off, end - off);
		off = end < len ? end + 1 : end;
	}
	cfg_buf_add(&msg->body, data + off, len - off);
}

/* vec_insert - put s (owned) at position i of a vector */
static void vec_insert(struct cfg_strvec *v, size_t i, char *s)
{
	cfg_strvec_take(v, s);
	if (i >= v->n)
		return;
	memmove(v->v + i + 1, v->v + i, (v->n - 1 - i) * sizeof(*v->v));
	v->v[i] = s;
}

/* vec_remove - drop the string at position i */
static void vec_remove(struct cfg_strvec *v, size_t i)
{
	free(v->v[i]);
	memmove(v->v + i, v->v + i + 1, (v->n - i) * sizeof(*v->v)); /* with the NULL */
	v->n--;
}

/* name_is - 1 when header line h is named name (case-insensitive) */
static int name_is(const char *h, const char *name)
{
	size_t n = strlen(name);

	return strncasecmp(h, name, n) == 0 && (h[n] == ':' || h[n] == ' ' || h[n] == '\t');
}

/* crlf_to_lf - a filter's text with its line ends made ours */
static char *crlf_to_lf(const char *s)
{
	char *r = cfg_xstrdup(s), *o = r;

	for (const char *p = s; *p; p++)
		if (!(*p == '\r' && p[1] == '\n'))
			*o++ = *p;
	*o = '\0';
	return r;
}

/* make_header - "name: value" from a filter's fields (the space unless it sends its own) */
static char *make_header(const struct milter *f, struct milter_msg *msg, const char *name,
                         const char *value)
{
	char *v = crlf_to_lf(value);
	char *h = cfg_xasprintf("%s:%s%s", name, (f->proto & SMFIP_HDR_LEADSPC) ? "" : " ", v);

	free(v);
	cfg_strvec_add(&msg->produced, h);
	return h;
}

/* strip_angle - "<addr>" as addr (owned) */
static char *strip_angle(const char *a)
{
	size_t n = strlen(a);

	if (n >= 2 && a[0] == '<' && a[n - 1] == '>')
		return cfg_xstrndup(a + 1, n - 2);
	return cfg_xstrdup(a);
}

/* change_header - SMFIR_CHGHEADER: the index-th header of that name; an empty value deletes it */
static void change_header(struct milter *f, struct milter_msg *msg, uint32_t index,
                          const char *name, const char *value)
{
	uint32_t seen = 0;

	if (index == 0)
		index = 1;
	for (size_t i = 0; i < msg->headers.n; i++) {
		if (!name_is(msg->headers.v[i], name) || ++seen != index)
			continue;
		if (*value == '\0') {
			vec_remove(&msg->headers, i);
		} else {
			free(msg->headers.v[i]);
			msg->headers.v[i] = make_header(f, msg, name, value);
		}
		return;
	}
	if (*value)
		cfg_strvec_take(&msg->headers, make_header(f, msg, name, value));
}

/* del_rcpt - SMFIR_DELRCPT: every recipient equal to the address */
static void del_rcpt(struct milter_msg *msg, const char *addr)
{
	char *a = strip_angle(addr);

	for (size_t i = 0; i < msg->rcpt.n;) {
		if (strcasecmp(msg->rcpt.v[i], a) == 0) {
			cfg_strvec_add(&msg->deleted, msg->rcpt.v[i]);
			vec_remove(&msg->rcpt, i);
		} else {
			i++;
		}
	}
	free(a);
}

/* apply_edit - one modification request at end of message; -1 on a malformed one */
static int apply_edit(struct milters *m, struct milter *f, char cmd, struct milter_msg *msg,
                      int *body_started)
{
	const char *d = m->pkt.data;
	size_t len = m->pkt.len;
	const char *s1 = d, *s2 = len > strlen(d) ? d + strlen(d) + 1 : "";

	switch (cmd) {
	case 'h': /* add header */
		cfg_strvec_take(&msg->headers, make_header(f, msg, s1, s2));
		return 0;
	case 'i':   /* insert header at index */
	case 'm': { /* change header */
		uint32_t idx;
		const char *name, *value;

		if (len < 5)
			return -1;
		memcpy(&idx, d, 4);
		idx = ntohl(idx);
		name = d + 4;
		value = len > 4 + strlen(name) ? name + strlen(name) + 1 : "";
		if (cmd == 'm')
			change_header(f, msg, idx, name, value);
		else
			vec_insert(&msg->headers, idx, make_header(f, msg, name, value));
		return 0;
	}
	case '+': /* add recipient */
	case '2': /* add recipient with ESMTP parameters (ignored) */
		cfg_strvec_take(&msg->rcpt, strip_angle(s1));
		cfg_strvec_take(&msg->added, strip_angle(s1));
		return 0;
	case '-':
		del_rcpt(msg, s1);
		return 0;
	case 'e': /* change sender */
		free(msg->sender);
		msg->sender = strip_angle(s1);
		return 0;
	case 'b': /* replace body: the chunks that follow make the new body */
		if (!*body_started) {
			cfg_buf_reset(&msg->body);
			*body_started = 1;
			msg->body_changed = 1;
		}
		for (size_t i = 0; i < len; i++)
			if (!(d[i] == '\r' && i + 1 < len && d[i + 1] == '\n'))
				cfg_buf_addc(&msg->body, d[i]);
		return 0;
	case 'q':
		msg->hold = 1;
		free(msg->hold_reason);
		msg->hold_reason = cfg_xstrdup(s1);
		return 0;
	default:
		return -1;
	}
}

/* send_headers - each header, then the end of headers; NULL or a reply */
static const char *send_headers(struct milters *m, struct milter *f, struct milter_msg *msg)
{
	struct cfg_buf b;
	const char *r = NULL;
	char cmd;

	cfg_buf_init(&b);
	for (size_t i = 0; !(f->proto & SMFIP_NOHDRS) && i < msg->headers.n && r == NULL; i++) {
		const char *h = msg->headers.v[i];
		size_t n = strcspn(h, ":");
		const char *v = h[n] ? h + n + 1 : "";

		if (h == msg->hidden)
			continue;
		if (!(f->proto & SMFIP_HDR_LEADSPC))
			v += strspn(v, " \t");
		cfg_buf_reset(&b);
		cfg_buf_add(&b, h, n);
		cfg_buf_addc(&b, '\0');
		cfg_buf_add(&b, v, strlen(v) + 1);
		if (milterp_macros(m, f, MILTER_ST_EOH, 'L') < 0
		    || milterp_send(m, f, 'L', b.data, b.len) < 0)
			r = milterp_default(f);
		else if (!(f->proto & SMFIP_NR_HDR)) {
			do
				if (milterp_recv(m, f, f->content_tmo, &cmd) < 0)
					r = milterp_default(f);
			while (r == NULL && cmd == 'p');
			if (r == NULL)
				r = milterp_reply(m, f, cmd, MILTER_ST_EOH);
		}
	}
	cfg_buf_fini(&b);
	if (r || f->state != MILTER_READY || (f->proto & SMFIP_NOEOH))
		return r;
	if (milterp_macros(m, f, MILTER_ST_EOH, 'N') < 0 || milterp_send(m, f, 'N', NULL, 0) < 0)
		return milterp_default(f);
	if (f->proto & SMFIP_NR_EOH)
		return NULL;
	do
		if (milterp_recv(m, f, f->content_tmo, &cmd) < 0)
			return milterp_default(f);
	while (cmd == 'p');
	return milterp_reply(m, f, cmd, MILTER_ST_EOH);
}

/* send_body - the body in CRLF form, in chunks; NULL or a reply */
static const char *send_body(struct milters *m, struct milter *f, const struct cfg_buf *crlf)
{
	char cmd;

	if (f->proto & SMFIP_NOBODY)
		return NULL;
	for (size_t off = 0; off < crlf->len;) {
		size_t n = crlf->len - off < MILTER_CHUNK ? crlf->len - off : MILTER_CHUNK;

		if (milterp_macros(m, f, MILTER_ST_EOM, 'B') < 0
		    || milterp_send(m, f, 'B', crlf->data + off, n) < 0)
			return milterp_default(f);
		off += n;
		if (f->proto & SMFIP_NR_BODY)
			continue;
		do
			if (milterp_recv(m, f, f->content_tmo, &cmd) < 0)
				return milterp_default(f);
		while (cmd == 'p');
		if (cmd == 's')
			return NULL; /* the filter has seen enough of the body */
		if (cmd != 'c' || f->state != MILTER_READY)
			return milterp_reply(m, f, cmd, MILTER_ST_EOM);
	}
	return NULL;
}

/* end_of_message - SMFIC_BODYEOB, the edits, and the final reply */
static const char *end_of_message(struct milters *m, struct milter *f, struct milter_msg *msg)
{
	char cmd;
	int body_started = 0;

	if (milterp_macros(m, f, MILTER_ST_EOM, 'E') < 0 || milterp_send(m, f, 'E', NULL, 0) < 0)
		return milterp_default(f);
	for (;;) {
		if (milterp_recv(m, f, f->content_tmo, &cmd) < 0) {
			return milterp_default(f);
		}
		if (cmd == 'p')
			continue;
		if (strchr("hi m+2-ebq", cmd) == NULL || cmd == ' ')
			return milterp_reply(m, f, cmd, MILTER_ST_EOM);
		if (apply_edit(m, f, cmd, msg, &body_started) < 0) {
			milterp_fail(f, "malformed modification request %c", cmd);
			return milterp_default(f);
		}
	}
}

/* body_crlf - the body as filters see it: CRLF line ends */
static void body_crlf(const struct cfg_buf *body, struct cfg_buf *out)
{
	cfg_buf_reset(out);
	for (size_t i = 0; i < body->len; i++) {
		if (body->data[i] == '\n')
			cfg_buf_addc(out, '\r');
		cfg_buf_addc(out, body->data[i]);
	}
}

const char *milter_message(struct milters *m, struct milter_msg *msg)
{
	struct cfg_buf crlf;
	const char *r = NULL;

	cfg_buf_init(&crlf);
	for (size_t i = 0; i < m->n && r == NULL; i++) {
		struct milter *f = &m->v[i];

		if (f->state == MILTER_FAILED) {
			r = milterp_default(f);
			continue;
		}
		if (f->state != MILTER_READY)
			continue;
		/* a later filter sees what the earlier ones made of the message */
		body_crlf(&msg->body, &crlf);
		r = send_headers(m, f, msg);
		if (r == NULL && f->state == MILTER_READY)
			r = send_body(m, f, &crlf);
		if (r == NULL && f->state == MILTER_READY)
			r = end_of_message(m, f, msg);
	}
	cfg_buf_fini(&crlf);
	if (r && strcmp(r, MILTER_HOLD) == 0) {
		msg->hold = 1;
		r = NULL;
	}
	return r;
}
