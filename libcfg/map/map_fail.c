/* map_fail.c - fail:NAME: every operation fails (for testing error paths, as in Postfix) */
#include "config.h"

#include "map_int.h"

#define FAIL_TEXT "Application error"

/* fail_open - nothing to open; the name is only used in messages */
static int fail_open(struct cfg_map *m, struct cfg_diags *diags)
{
	(void)m;
	(void)diags;
	return 0;
}

/* fail - the error every operation ends in */
static int fail(struct cfg_map *m)
{
	cfgp_map_set_error(m, FAIL_TEXT);
	return -1;
}

/* fail_lookup - always an error */
static int fail_lookup(struct cfg_map *m, const char *key, const char **value,
                       struct cfg_diags *diags)
{
	(void)key;
	(void)value;
	(void)diags;
	return fail(m);
}

/* fail_update - always an error */
static int fail_update(struct cfg_map *m, const char *key, const char *value,
                       struct cfg_diags *diags)
{
	(void)key;
	(void)value;
	(void)diags;
	return fail(m);
}

/* fail_del - always an error */
static int fail_del(struct cfg_map *m, const char *key, struct cfg_diags *diags)
{
	(void)key;
	(void)diags;
	return fail(m);
}

/* fail_seq - always an error */
static int fail_seq(struct cfg_map *m, int first, const char **key, const char **value,
                    struct cfg_diags *diags)
{
	(void)first;
	(void)key;
	(void)value;
	(void)diags;
	return fail(m);
}

const struct cfgp_map_ops cfgp_map_fail_ops = {
    .type = "fail",
    .open = fail_open,
    .lookup = fail_lookup,
    .update = fail_update,
    .del = fail_del,
    .seq = fail_seq,
};
