/*
 * map_proxy.c - proxy:TYPE:NAME through a proxy service the program registers (see cfg/map.h)
 *
 * libcfg knows nothing of daemons or sockets: a program that has a proxymap
 * service (the MTA's daemons, postmap) registers a struct cfg_map_proxy with
 * cfg_map_set_proxy(), and "proxy:" tables then forward every lookup,
 * update and delete through it.  The key is folded here as the named table
 * would fold it (its type decides, not "proxy"), so the service sees the
 * same key a direct open would.
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "cfg/base/xalloc.h"
#include "map_int.h"

/* the registered service, or NULL: proxy: tables are opened directly */
static const struct cfg_map_proxy *hook;

/* one proxy: table */
struct proxy_tab {
	const struct cfg_map_proxy *svc; /* the service that opened it */
	void *handle;                    /* its handle */
	unsigned caps;                   /* CFG_MAPT_* of the named table's type */
	struct cfg_buf val;              /* the last result */
};

void cfg_map_set_proxy(const struct cfg_map_proxy *p)
{
	hook = p;
}

const struct cfg_map_proxy *cfgp_map_proxy_hook(void)
{
	return hook;
}

unsigned cfgp_map_proxy_caps(const struct cfg_map *m)
{
	const struct proxy_tab *t = m->priv;

	return t ? t->caps : 0;
}

/* proxy_open - ask the service for m->name ("TYPE:NAME") */
static int proxy_open(struct cfg_map *m, struct cfg_diags *diags)
{
	struct proxy_tab *t;
	const char *colon = strchr(m->name, ':');
	char *type;

	if (colon == NULL || colon == m->name || colon[1] == 0) {
		cfg_diags_add(diags, CFG_SEV_FATAL, "map-spec", NULL, 0, 0,
		              "open dictionary: expecting \"type:name\" form instead of \"%s\"",
		              m->name);
		return -1;
	}
	t = cfg_xcalloc(1, sizeof(*t));
	cfg_buf_init(&t->val);
	m->priv = t;
	type = cfg_xstrndup(m->name, (size_t)(colon - m->name));
	t->caps = cfg_map_type_caps(type);
	free(type);
	t->svc = hook;
	t->handle = hook->open(hook->ctx, m->name, m->mode, m->flags, diags);
	return t->handle ? 0 : -1;
}

/* proxy_lookup - one lookup through the service */
static int proxy_lookup(struct cfg_map *m, const char *key, const char **value,
                        struct cfg_diags *diags)
{
	struct proxy_tab *t = m->priv;
	int rc;

	(void)diags;
	cfg_buf_reset(&t->val);
	rc = t->svc->lookup(t->handle, key, &t->val, &m->errbuf);
	if (rc == 1)
		*value = t->val.data;
	return rc;
}

/* proxy_update - store key -> value through the service (proxywrite) */
static int proxy_update(struct cfg_map *m, const char *key, const char *value,
                        struct cfg_diags *diags)
{
	struct proxy_tab *t = m->priv;

	(void)diags;
	return t->svc->update(t->handle, key, value, &m->errbuf);
}

/* proxy_del - remove key through the service (proxywrite) */
static int proxy_del(struct cfg_map *m, const char *key, struct cfg_diags *diags)
{
	struct proxy_tab *t = m->priv;

	(void)diags;
	return t->svc->del(t->handle, key, &m->errbuf);
}

/* proxy_close - release the service's handle */
static void proxy_close(struct cfg_map *m)
{
	struct proxy_tab *t = m->priv;

	if (t == NULL)
		return;
	if (t->handle)
		t->svc->close(t->handle);
	cfg_buf_fini(&t->val);
	free(t);
	m->priv = NULL;
}

const struct cfgp_map_ops cfgp_map_proxy_ops = {
    .type = "proxy",
    .open = proxy_open,
    .lookup = proxy_lookup,
    .update = proxy_update,
    .del = proxy_del,
    .close = proxy_close,
};
