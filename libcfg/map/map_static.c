/* map_static.c - static:VALUE and static:{ VALUE }: every key maps to VALUE */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "cfg/base/xalloc.h"
#include "map_int.h"

/* static_open - the value is the name, or the text inside { } */
static int static_open(struct cfg_map *m, struct cfg_diags *diags)
{
	struct cfg_buf *v = cfg_xmalloc(sizeof(*v));

	cfg_buf_init(v);
	if (m->name[0] == '{') {
		if (cfgp_extpar(m->name, v) < 0) {
			cfg_diags_add(diags, CFG_SEV_FATAL, "map-static", NULL, 0, 0,
			              "bad static:name syntax: %s", v->data);
			cfg_buf_fini(v);
			free(v);
			return -1;
		}
	} else {
		cfg_buf_adds(v, m->name);
	}
	m->priv = v;
	return 0;
}

/* static_lookup - always found */
static int static_lookup(struct cfg_map *m, const char *key, const char **value,
                         struct cfg_diags *diags)
{
	(void)key;
	(void)diags;
	*value = ((struct cfg_buf *)m->priv)->data;
	return 1;
}

/* static_close - free the value */
static void static_close(struct cfg_map *m)
{
	if (m->priv) {
		cfg_buf_fini(m->priv);
		free(m->priv);
	}
}

const struct cfgp_map_ops cfgp_map_static_ops = {
    .type = "static",
    .open = static_open,
    .lookup = static_lookup,
    .close = static_close,
};
