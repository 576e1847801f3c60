/*
 * maps.h - lookup tables for daemons: open once, look up with Postfix's words
 *
 * A per-process cache of tables opened through libcfg's map API by their
 * "type:name" spec.  A "proxy:" table goes through the proxymap service
 * when the process has one (proxy.h); proxymap decides what it serves, and a
 * refusal is fatal with Postfix's words.  Without the service "proxy:" is
 * dropped and the process opens the table itself, once it is approved:
 * after mta_maps_proxy(), a proxy: table that proxy_read_maps does not list
 * is fatal with the same words.  Keys are folded for fixed-string tables as
 * Postfix does for lookups.
 */
#ifndef MTA_MAPS_H
#define MTA_MAPS_H

#include "cfg/base/buf.h"
#include "cfg/map/map.h"
#include "cfg/map/mapquery.h"
#include "cfg/base/strvec.h"
#include "conf.h"

/* mta_map - the open table for spec, or NULL with Postfix's reason in why */
struct cfg_map *mta_map(const char *spec, struct cfg_buf *why);
/*
 * mta_map_put - answer lookups of spec from m (taken) from now on, instead
 * of opening spec: postfix test/simulate/route read an alias database that
 * newaliases has not built yet from its source this way
 */
void mta_map_put(const char *spec, struct cfg_map *m);
/*
 * mta_map_get - look key up in the table spec.  Returns 1 with *value
 * (borrowed until the next lookup), 0 absent, -1 error (a warning
 * "TABLE lookup error for \"KEY\"" has been logged).
 */
int mta_map_get(const char *spec, const char *key, const char **value);
/* mta_maps_get - the same over a list of tables: the first one that has key wins */
int mta_maps_get(const struct cfg_strvec *specs, const char *key, const char **value);
/*
 * mta_maplist - the tables of a list (parameter elements, or one "type:name")
 * opened once and kept, for libcfg's search orders (cfg/mapquery.h).  NULL
 * with a warning logged when a table cannot be opened.
 */
struct cfg_maplist *mta_maplist(const struct cfg_strvec *elems);
/* mta_maplist1 - the same for a single table spec */
struct cfg_maplist *mta_maplist1(const char *spec);
/* mta_mapq_done - log the diagnostics of a search order query; returns rc */
int mta_mapq_done(int rc, struct cfg_diags *ds);
/* mta_maps_proxy - the expanded proxy_read_maps and proxy_write_maps to enforce */
void mta_maps_proxy(const char *read_maps, const char *write_maps);
/*
 * mta_maps_preopen - open now every table (not proxy:) that a parameter of
 * the service's configuration names, quietly, into the caches above: a
 * process about to be jailed in queue_directory cannot reach them later.
 * A table that fails here is opened again, with its warnings, on first use.
 */
void mta_maps_preopen(struct mta_conf *c);
/* mta_maps_close - close every cached table (after a configuration change) */
void mta_maps_close(void);

#endif
