/*
 * map_socketmap.c - socketmap: tables, Sendmail's socketmap protocol
 *
 * NAME is inet:host:port:mapname or unix:/path:mapname.  A lookup sends
 * the netstring "mapname key" and reads one netstring reply: "OK value",
 * "NOTFOUND ", "TEMP reason", "TIMEOUT reason" or "PERM reason".  The
 * connection stays open for the next lookups; it is reopened after IDLE
 * seconds without use or TTL seconds in all, and once when the server
 * hung up (a lookup is tried twice before "unexpected disconnect").
 *
 * Errors are warnings in Postfix's words plus a -1 return; the reason
 * cfg_map_error() gives is what Postfix appends to "query error" (its
 * errno at that point: "Operation now in progress" after an inet
 * connection, "Application error" after a UNIX-domain one, none after
 * PERM).
 */
#include "config.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cfg/base/xalloc.h"
#include "map_int.h"

#define TIMEOUT_MS (100 * 1000) /* connect, send and receive */
#define IDLE 10                 /* seconds an unused connection is kept */
#define TTL 100                 /* seconds a connection is used in all */
#define MAX_REPLY 100000        /* bytes of a reply, as Postfix allows */

struct smap {
	struct cfgp_endpoint ep;
	char *mapname;
	struct cfgp_sock sock;
	time_t opened, used;
	struct cfg_buf io;    /* the request, then the reply */
	struct cfg_buf value; /* the last value found */
};

/* sm_close - release everything */
static void sm_close(struct cfg_map *m)
{
	struct smap *s = m->priv;

	if (s == NULL)
		return;
	cfgp_sock_close(&s->sock);
	cfgp_endpoint_fini(&s->ep);
	free(s->mapname);
	cfg_buf_fini(&s->io);
	cfg_buf_fini(&s->value);
	free(s);
	m->priv = NULL;
}

/* sm_open - parse TRANSPORT:ENDPOINT:MAPNAME; the connection opens at the first lookup */
static int sm_open(struct cfg_map *m, struct cfg_diags *diags)
{
	struct smap *s = cfg_xcalloc(1, sizeof(*s));
	const char *last = strrchr(m->name, ':');
	char *service;
	int ret;

	m->priv = s;
	cfgp_sock_init(&s->sock);
	cfg_buf_init(&s->io);
	cfg_buf_init(&s->value);
	if (last == NULL) {
		cfg_diags_add(diags, CFG_SEV_FATAL, "map-socketmap", NULL, 0, 0,
		              "socketmap requires server:socketmap argument");
		return -1;
	}
	s->mapname = cfg_xstrdup(last + 1);
	service = cfg_xstrndup(m->name, (size_t)(last - m->name));
	ret = cfgp_endpoint_parse(&s->ep, service, diags);
	free(service);
	return ret;
}

/*
 * read_reply - read one netstring into s->io.  NULL, or the netstring error
 * in Postfix's words ("unexpected disconnect", "input format error",
 * "input exceeds size limit", "timeout").
 */
static const char *read_reply(struct smap *s)
{
	size_t len = 0;
	int c, digits = 0;

	cfg_buf_reset(&s->io);
	while ((c = cfgp_sock_getc(&s->sock, TIMEOUT_MS)) >= '0' && c <= '9') {
		len = len * 10 + (size_t)(c - '0');
		if (++digits > 9)
			return "input format error";
	}
	if (c == -1)
		return "unexpected disconnect";
	if (c == -2)
		return "timeout";
	if (c != ':' || digits == 0)
		return "input format error";
	if (len > MAX_REPLY)
		return "input exceeds size limit";
	/* the data and its comma */
	if ((c = cfgp_sock_read(&s->sock, &s->io, len + 1, TIMEOUT_MS)) < 0)
		return c == -2 ? "timeout" : "unexpected disconnect";
	if (s->io.data[len] != ',')
		return "input format error";
	cfg_buf_truncate(&s->io, len);
	return NULL;
}

/* drop - close the connection */
static void drop(struct smap *s)
{
	cfgp_sock_close(&s->sock);
}

/* exchange - send the request for key, read the reply; NULL or the error text */
static const char *exchange(struct smap *s, const char *key, int *retry)
{
	const char *why;
	char *req =
	    cfg_xasprintf("%zu:%s %s,", strlen(s->mapname) + 1 + strlen(key), s->mapname, key);
	int bad = cfgp_sock_send(&s->sock, req, strlen(req), TIMEOUT_MS);

	free(req);
	*retry = 1;
	if (bad)
		return "unexpected disconnect";
	why = read_reply(s);
	*retry = why != NULL && strcmp(why, "unexpected disconnect") == 0;
	return why;
}

/* io_error - Postfix's errno after a failed exchange, the reason of "query error" */
static int io_error(struct cfg_map *m, const struct smap *s)
{
	cfgp_map_set_error(m, s->ep.is_unix ? "Application error" : strerror(EINPROGRESS));
	return -1;
}

/* answer - act on the reply in s->io: 1 found, 0 not found, -1 error (warned) */
static int answer(struct cfg_map *m, struct smap *s, const char **value, struct cfg_diags *diags)
{
	static const struct {
		const char *status, *what;
	} errs[] = {{"TEMP", "temporary"}, {"TIMEOUT", "timeout"}, {"PERM", "permanent"}};
	char *data = strchr(s->io.data, ' ');
	const char *what = "unknown";

	if (data == NULL)
		return 0;
	*data++ = 0;
	if (strcmp(s->io.data, "OK") == 0) {
		cfg_buf_reset(&s->value);
		cfg_buf_adds(&s->value, data);
		*value = s->value.data;
		return 1;
	}
	if (strcmp(s->io.data, "NOTFOUND") == 0)
		return 0;
	for (size_t i = 0; i < sizeof(errs) / sizeof(errs[0]); i++)
		if (strcmp(s->io.data, errs[i].status) == 0)
			what = errs[i].what;
	cfg_diags_add(diags, CFG_SEV_WARNING, "map-socketmap", NULL, 0, 0,
	              "%s socketmap server %s error: %s", m->label, what, data);
	if (strcmp(what, "permanent") == 0) {
		cfgp_map_set_error(m, "");
		return -1;
	}
	return io_error(m, s);
}

/* sm_lookup - ask the server, reconnecting once when it hung up */
static int sm_lookup(struct cfg_map *m, const char *key, const char **value,
                     struct cfg_diags *diags)
{
	struct smap *s = m->priv;
	time_t now = time(NULL);
	const char *why = NULL;
	int retry = 0;

	if (s->sock.fd >= 0 && (now - s->used > IDLE || now - s->opened > TTL))
		drop(s);
	for (int tries = 0; tries < 2; tries++) {
		if (s->sock.fd < 0) {
			if (cfgp_sock_open(&s->sock, &s->ep, TIMEOUT_MS) < 0) {
				const char *err = strerror(errno);

				cfg_diags_add(diags, CFG_SEV_WARNING, "map-socketmap", NULL, 0, 0,
				              "connect to %s: %s", s->ep.endpoint, err);
				cfg_diags_add(diags, CFG_SEV_WARNING, "map-socketmap", NULL, 0, 0,
				              "table %s lookup error: %s", m->label, err);
				cfgp_map_set_error(m, err);
				return -1;
			}
			s->opened = now;
		}
		s->used = now;
		if ((why = exchange(s, key, &retry)) == NULL)
			return answer(m, s, value, diags);
		drop(s);
		if (!retry)
			break;
	}
	cfg_diags_add(diags, CFG_SEV_WARNING, "map-socketmap", NULL, 0, 0,
	              "table %s lookup error: %s", m->label, why);
	return io_error(m, s);
}

const struct cfgp_map_ops cfgp_map_socketmap_ops = {
    .type = "socketmap",
    .open = sm_open,
    .lookup = sm_lookup,
    .close = sm_close,
};
