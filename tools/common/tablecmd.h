/*
 * tablecmd.h - the engine of postmap and postalias for -q, -q -, -d, -d - and -s
 *
 * What the two commands do with their "[type:]name ..." arguments, with
 * Postfix's order of operations and messages, on top of libcfg's table API
 * (cfg/map/map.h).  Building tables is cfg_map_build() in libcfg.
 */
#ifndef TOOL_TABLECMD_H
#define TOOL_TABLECMD_H

#include <stddef.h>
#include <stdio.h>

#include "cfg/base/diag.h"

/*
 * The table commands' engine: what postmap and postalias do with their
 * "[type:]name ..." arguments for -q, -q -, -d, -d - and -s, with Postfix's
 * order of operations and messages.  The caller prints: results go to
 * found(), and report() is called with pending diagnostics (in order) each
 * time something may have been added, so warnings come out as they happen.
 * report() must print and clear them.  Every function returns 1 (something
 * found/deleted), 0 (nothing) or -1 after a fatal diagnostic (Postfix
 * wording: "table hash:/etc/aliases.db: query error: ...").
 */
struct tool_tablecmd {
	const char *default_type; /* type of a name without "type:" (default_database_type) */
	unsigned flags;           /* CFG_MAP_* for every table */
	/* the expanded proxy_read_maps and proxy_write_maps: which proxy: tables open */
	const char *proxy_read_maps, *proxy_write_maps;
	void (*found)(void *ctx, const char *key, const char *value);
	void (*report)(void *ctx, struct cfg_diags *diags);
	void *ctx;
};

/* tool_tablecmd_query - -q KEY: the first table (in argument order) that has key */
int tool_tablecmd_query(const struct tool_tablecmd *c, char *const *specs, size_t n,
                        const char *key, struct cfg_diags *diags);
/* tool_tablecmd_query_stream - -q -: one key per line of in; tables opened when first needed */
int tool_tablecmd_query_stream(const struct tool_tablecmd *c, char *const *specs, size_t n,
                               FILE *in, struct cfg_diags *diags);
/*
 * tool_tablecmd_query_message - -q - with -h/-b: keys are the logical header
 * lines (continuations kept, joined with newlines) and/or the body lines of
 * the RFC 5322 message on in.  Without MIME parsing only the primary headers
 * count as headers.
 */
#define TOOL_TABLECMD_HEADERS 0x1u
#define TOOL_TABLECMD_BODY 0x2u
int tool_tablecmd_query_message(const struct tool_tablecmd *c, char *const *specs, size_t n,
                                FILE *in, unsigned what, struct cfg_diags *diags);
/* tool_tablecmd_delete - -d KEY: remove one entry from every table */
int tool_tablecmd_delete(const struct tool_tablecmd *c, char *const *specs, size_t n,
                         const char *key, struct cfg_diags *diags);
/* tool_tablecmd_delete_stream - -d -: keys from in, every table opened first */
int tool_tablecmd_delete_stream(const struct tool_tablecmd *c, char *const *specs, size_t n,
                                FILE *in, struct cfg_diags *diags);
/* tool_tablecmd_seq - -s: every entry of the table spec; found() gets each pair */
int tool_tablecmd_seq(const struct tool_tablecmd *c, const char *spec, struct cfg_diags *diags);

#endif
