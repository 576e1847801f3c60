/* map_environ.c - environ:NAME: look keys up in the process environment */
#include "config.h"

#include <stdlib.h>

#include "map_int.h"

/* environ_open - nothing to open */
static int environ_open(struct cfg_map *m, struct cfg_diags *diags)
{
	(void)m;
	(void)diags;
	return 0;
}

/* environ_lookup - getenv() of the (possibly folded) key */
static int environ_lookup(struct cfg_map *m, const char *key, const char **value,
                          struct cfg_diags *diags)
{
	(void)m;
	(void)diags;
	*value = getenv(key);
	return *value != NULL;
}

const struct cfgp_map_ops cfgp_map_environ_ops = {
    .type = "environ",
    .open = environ_open,
    .lookup = environ_lookup,
};
