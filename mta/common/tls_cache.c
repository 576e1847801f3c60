/* tls_cache.c - TLS sessions shared through a table (see tls_cache.h) */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cfg/base/diag.h"
#include "cfg/base/strvec.h"
#include "cfg/base/xalloc.h"
#include "cfg/map/map.h"
#include "log.h"
#include "proxy.h"
#include "tls_cache.h"

struct mta_tls_cache {
	char *spec;
	char *side;    /* "smtp", "smtpd": the cache's name in log lines */
	char *label;   /* server: the client, prefixed to log lines; NULL none */
	char *service; /* server: the master.cf service, part of each id; NULL none */
	long timeout;  /* seconds an entry stays usable */
	long loglevel;
	int broken; /* the table failed once: no more tries in this process */
};

/*
 * jail - set once the process is chrooted in queue_directory: the cache
 * file (data_directory) is outside, and a directory fd kept from outside
 * would be a way out.  A jailed smtp/lmtp client reaches its cache through
 * the proxywrite service instead (proxy.h: proxymap serves the configured
 * smtp/lmtp caches there unasked); without that service, and for smtpd,
 * the cache stays unused: smtpd resumes with session tickets only, the
 * client makes full handshakes.
 */
static int jail;

void mta_tls_cache_jail(void)
{
	jail = 1;
}

/* proxied - 1 when this cache goes through proxywrite (jailed client with the service) */
static int proxied(const struct mta_tls_cache *c)
{
	return jail && c->service == NULL && mta_proxy_writable();
}

/* usable - the cache can be read and written from here */
static int usable(const struct mta_tls_cache *c)
{
	return !c->broken && (!jail || proxied(c));
}

/*
 * open_table - the table, directly or as proxy:SPEC through proxywrite
 * (opened for updates there, so each request sees the file as it is now);
 * 0, or -1 with the reason in d
 */
static int open_table(const struct mta_tls_cache *c, enum cfg_map_mode mode, unsigned flags,
                      struct cfg_map **m, struct cfg_diags *d)
{
	char *spec;
	int rc;

	if (!proxied(c))
		return cfg_map_open(c->spec, mode, flags, m, d);
	spec = cfg_xasprintf("proxy:%s", c->spec);
	rc = cfg_map_open(spec, CFG_MAP_CREATE, flags, m, d);
	free(spec);
	return rc;
}

struct mta_tls_cache *mta_tls_cache_new(const char *spec, const char *side, const char *service,
                                        long timeout, long loglevel)
{
	struct mta_tls_cache *c;

	if (spec == NULL || *spec == '\0' || timeout <= 0)
		return NULL;
	c = cfg_xcalloc(1, sizeof(*c));
	c->spec = cfg_xstrdup(spec);
	c->side = cfg_xstrdup(side);
	c->service = service ? cfg_xstrdup(service) : NULL;
	c->timeout = timeout;
	c->loglevel = loglevel;
	return c;
}

void mta_tls_cache_free(struct mta_tls_cache *c)
{
	if (c == NULL)
		return;
	free(c->spec);
	free(c->side);
	free(c->label);
	free(c->service);
	free(c);
}

void mta_tls_cache_label(struct mta_tls_cache *c, const char *label)
{
	free(c->label);
	c->label = label ? cfg_xstrdup(label) : NULL;
}

/* prefix - "LABEL: " for the server's log lines, "" for the client's */
static const char *prefix(const struct mta_tls_cache *c, char *buf, size_t len)
{
	snprintf(buf, len, "%s%s", c->label ? c->label : "", c->label ? ": " : "");
	return buf;
}

/* full_id - the table key of id: "ID&s=SERVICE" for a server, else id (into k, reset first) */
static const char *full_id(const struct mta_tls_cache *c, const char *id, struct cfg_buf *k)
{
	cfg_buf_reset(k);
	cfg_buf_adds(k, id);
	if (c->service)
		cfg_buf_printf(k, "&s=%s", c->service);
	return k->data;
}

/* failed - log a table problem once and stop using the table */
static void failed(struct mta_tls_cache *c, struct cfg_diags *d)
{
	if (!c->broken)
		mta_warn("%s TLS session cache %s: %s; sessions are not cached", c->side, c->spec,
		         d->n ? d->v[d->n - 1].msg : "table error");
	c->broken = 1;
}

/* fresh - the session hex of a value "TIME:HEX" that has not expired, else NULL */
static const char *fresh(const struct mta_tls_cache *c, const char *value, time_t now)
{
	char *end;
	long long t = strtoll(value, &end, 10);

	if (*end != ':' || t > (long long)now || (long long)now - t >= c->timeout)
		return NULL;
	return end + 1;
}

/* unhex - hex digits into der; 0, or -1 when the text is not even hex */
static int unhex(const char *hex, struct cfg_buf *der)
{
	size_t n = strlen(hex);

	if (n % 2)
		return -1;
	for (size_t i = 0; i < n; i += 2) {
		unsigned v;
		char two[3] = {hex[i], hex[i + 1], '\0'};

		if (sscanf(two, "%2x", &v) != 1)
			return -1;
		cfg_buf_addc(der, (char)v);
	}
	return 0;
}

int mta_tls_cache_get(struct mta_tls_cache *c, const char *id, struct cfg_buf *der)
{
	struct cfg_map *m = NULL;
	struct cfg_diags d;
	const char *value, *hex;
	char pre[300];
	struct cfg_buf k;
	int rc = 0;

	cfg_buf_reset(der);
	if (!usable(c))
		return 0;
	cfg_buf_init(&k);
	id = full_id(c, id, &k);
	if (c->loglevel >= 2)
		mta_info("%slooking %s session %s in %s cache", prefix(c, pre, sizeof(pre)),
		         c->label ? "up" : "for", id, c->side);
	cfg_diags_init(&d);
	if (open_table(c, CFG_MAP_READ, 0, &m, &d) < 0) {
		/* no table yet: nothing was saved (through the proxy: see the proxywrite log) */
		cfg_diags_fini(&d);
		cfg_buf_fini(&k);
		return 0;
	}
	if (cfg_map_lookup(m, id, &value, &d) > 0 && (hex = fresh(c, value, time(NULL))) != NULL
	    && unhex(hex, der) == 0 && der->len > 0)
		rc = 1;
	cfg_map_free(m);
	cfg_diags_fini(&d);
	if (rc && c->loglevel >= 2)
		mta_info("%sreloaded session %s from %s cache", prefix(c, pre, sizeof(pre)), id,
		         c->side);
	cfg_buf_fini(&k);
	return rc;
}

/* expire - delete the entries of the open writer m that are too old to use */
static void expire(struct mta_tls_cache *c, struct cfg_map *m, struct cfg_diags *d)
{
	struct cfg_strvec old;
	const char *k, *v;
	time_t now = time(NULL);

	cfg_strvec_init(&old);
	for (int first = 1; cfg_map_seq(m, first, &k, &v, d) > 0; first = 0)
		if (fresh(c, v, now) == NULL)
			cfg_strvec_add(&old, k);
	for (size_t i = 0; i < old.n; i++)
		cfg_map_delete(m, old.v[i], d);
	cfg_strvec_fini(&old);
}

/*
 * change - open for writing, drop expired entries, store or delete id,
 * commit.  Through proxywrite each request is committed there, and there is
 * no sequence: stale entries stay until their next hop saves again (keys
 * are per next hop, so the table stays bounded; lookups skip them).
 */
static void change(struct mta_tls_cache *c, const char *id, const char *value)
{
	struct cfg_map *m = NULL;
	struct cfg_diags d;
	int proxy = proxied(c);

	if (!usable(c))
		return;
	cfg_diags_init(&d);
	if (open_table(c, CFG_MAP_CREATE, CFG_MAP_DUP_REPLACE | CFG_MAP_LOCK, &m, &d) < 0) {
		failed(c, &d);
	} else {
		if (!proxy)
			expire(c, m, &d);
		if ((value ? cfg_map_update(m, id, value, &d) : cfg_map_delete(m, id, &d)) < 0
		    || (!proxy && cfg_map_commit(m, 0600, &d) < 0))
			failed(c, &d);
	}
	cfg_map_free(m);
	cfg_diags_fini(&d);
}

void mta_tls_cache_put(struct mta_tls_cache *c, const char *id, const unsigned char *der,
                       size_t len)
{
	struct cfg_buf v, k;
	char pre[300];

	if (!usable(c))
		return;
	cfg_buf_init(&k);
	id = full_id(c, id, &k);
	if (c->loglevel >= 2)
		mta_info("%ssave session %s to %s cache", prefix(c, pre, sizeof(pre)), id, c->side);
	cfg_buf_init(&v);
	cfg_buf_printf(&v, "%lld:", (long long)time(NULL));
	for (size_t i = 0; i < len; i++)
		cfg_buf_printf(&v, "%02X", der[i]);
	change(c, id, v.data);
	cfg_buf_fini(&v);
	cfg_buf_fini(&k);
}

void mta_tls_cache_remove(struct mta_tls_cache *c, const char *id)
{
	struct cfg_buf k;

	cfg_buf_init(&k);
	change(c, full_id(c, id, &k), NULL);
	cfg_buf_fini(&k);
}
