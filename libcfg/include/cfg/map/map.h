/*
 * map.h - lookup tables opened by "type:name", one interface for every backend
 *
 * The same table API serves postmap/postalias and the MTA (aliases, access,
 * virtual, canonical, transport).  A table is opened from a "type:name"
 * string ("hash:/etc/postfix/virtual", "inline:{a=b, c=d}", "cidr:/f") with
 * an access mode and CFG_MAP_* flags; each backend lives in its own file
 * (map_gdbm.c, map_texthash.c, map_cidr.c, ...) behind a table of functions.
 *
 * Semantics follow Postfix's dictionaries:
 *  - Keys of "fixed-string" types (hash, btree, gdbm, texthash, inline, unix,
 *    environ) are folded to lower case when CFG_MAP_FOLD is set, on update
 *    and on lookup.  With CFG_MAP_UTF8 (smtputf8_enable = yes) keys and
 *    results must be valid UTF-8 and non-ASCII keys get full Unicode case
 *    folding (Straße -> strasse), like Postfix's casefold().
 *  - Pattern types (cidr, regexp) never fold and see the key as given; the
 *    search-order helpers (mapquery.h) query them with the full key only.
 *  - hash:, btree: and gdbm: are GDBM files named NAME.db.  They are never
 *    modified in place: a build or an update writes a temporary file in the
 *    same directory and cfg_map_commit() renames it over NAME.db, so readers
 *    see the old table or the new one, never a half-written one.  A NAME.db
 *    that is not a GDBM file (a Berkeley DB from Postfix) is refused with a
 *    message that says to rebuild it.
 *
 * Results: lookups return 1 (found), 0 (absent) or -1 (error, diagnostic
 * appended).  Diagnostics carry Postfix's wording in msg (the text after
 * "postmap: warning: " or "postmap: fatal: "); nothing here prints or exits.
 * Returned strings are borrowed from the table and stay valid until the next
 * call on the same table.
 */
#ifndef CFG_MAP_H
#define CFG_MAP_H

#include <stddef.h>
#include <stdio.h>
#include <sys/types.h>

#include "cfg/base/buf.h"
#include "cfg/base/diag.h"
#include "cfg/schema/tabletype.h" /* CFG_MAPT_*: what a table type can do */

struct cfg_map;

/* access modes */
enum cfg_map_mode {
	CFG_MAP_READ = 0, /* lookups and sequence only */
	CFG_MAP_UPDATE,   /* update/delete an existing table (postmap -d) */
	CFG_MAP_CREATE,   /* like UPDATE, creating an empty table when missing (postmap -i) */
	CFG_MAP_BUILD,    /* a new empty table that replaces the old one on commit (postmap FILE) */
};

/* flags (Postfix's DICT_FLAG_* equivalents) */
#define CFG_MAP_FOLD 0x0001u        /* fold keys of fixed-string types (postmap without -f) */
#define CFG_MAP_DUP_WARN 0x0002u    /* update of an existing key: keep the first, warn */
#define CFG_MAP_DUP_IGNORE 0x0004u  /* ... keep the first silently (postmap -w) */
#define CFG_MAP_DUP_REPLACE 0x0008u /* ... replace silently (postmap -r) */
#define CFG_MAP_TRY0NULL 0x0010u    /* keys and values stored without a trailing NUL (-n) */
#define CFG_MAP_TRY1NULL 0x0020u    /* ... with a trailing NUL (-N); both or neither: either */
#define CFG_MAP_UTF8 0x0040u        /* smtputf8_enable: UTF-8 checks and Unicode case folding */
#define CFG_MAP_LOCK 0x0080u        /* serialise writers with an exclusive lock on the table */
#define CFG_MAP_CHECK 0x0100u /* postfix check: also report what only misleads (client files) */
/* with none of the DUP flags, updating an existing key is an error */

/* cfg_map_has_backend - 1 when postkit has code for type (the implemented rows of cfg/tabletype.h) */
int cfg_map_has_backend(const char *type);
/* cfg_map_type_caps - CFG_MAPT_* of type (schemas/tabletypes.def), or 0 when not implemented */
unsigned cfg_map_type_caps(const char *type);

/*
 * cfg_map_open - open spec "type:name".  Errors (Postfix's wording, severity
 * fatal): "unsupported dictionary type: TYPE", "open dictionary: expecting
 * \"type:name\" form instead of \"SPEC\"", "open database NAME.db: ERR",
 * "open NAME: ERR", inline/static syntax errors.  Non-fatal findings of
 * pattern tables (bad CIDR or regexp rules) are appended as warnings and the
 * table opens without those rules.  Returns 0, or -1 (*out NULL).
 */
int cfg_map_open(const char *spec, enum cfg_map_mode mode, unsigned flags, struct cfg_map **out,
                 struct cfg_diags *diags);
/* cfg_map_open_type - the same with type and name apart (name may contain ':') */
int cfg_map_open_type(const char *type, const char *name, enum cfg_map_mode mode, unsigned flags,
                      struct cfg_map **out, struct cfg_diags *diags);
/*
 * Proxy tables.  A program with a proxy service (the MTA's proxymap, see
 * mta/common/proxy.h) registers it here; "proxy:TYPE:NAME" then forwards
 * open, lookup, update and delete of "TYPE:NAME" to it.  Without one, the
 * process opens TYPE:NAME itself.  The registration is process-wide (the
 * one piece of state libcfg keeps outside a context: a program has one
 * proxy service); p is borrowed until replaced.
 *
 * open returns a handle, or NULL with a diagnostic: severity fatal with code
 * "map-proxy" when the service refuses the table for good (not approved),
 * severity error when it cannot be reached (a temporary failure).  lookup,
 * update and del return what cfg_map_lookup/update/delete return; on -1 the
 * reason text (cfg_map_error()) is in why.  A lookup result goes to value.
 */
struct cfg_map_proxy {
	void *(*open)(void *ctx, const char *inner, enum cfg_map_mode mode, unsigned flags,
	              struct cfg_diags *diags);
	int (*lookup)(void *handle, const char *key, struct cfg_buf *value, struct cfg_buf *why);
	int (*update)(void *handle, const char *key, const char *value, struct cfg_buf *why);
	int (*del)(void *handle, const char *key, struct cfg_buf *why);
	void (*close)(void *handle);
	void *ctx;
};
/* cfg_map_set_proxy - route proxy: tables through p; NULL: open them directly */
void cfg_map_set_proxy(const struct cfg_map_proxy *p);

/*
 * cfg_map_proxy_approved - may spec be opened in mode?  Without a proxy
 * service every process opens "proxy:TYPE:NAME" itself, but only
 * what Postfix's proxymap would serve: a spec listed word for word in the
 * expanded read_maps (proxy_read_maps) for CFG_MAP_READ, in write_maps
 * (proxy_write_maps) otherwise.  Returns 1 for a spec without "proxy:" or
 * an approved one; 0 with Postfix's words appended: the proxymap server's
 * two warnings (only with server_words: a daemon logs what proxymap would
 * have logged; postmap's stderr has only the fatal), then the client's fatal:
 *   request for unapproved table: "TYPE:NAME"
 *   to approve this table for read-only access, list proxy:TYPE:NAME in main.cf:proxy_read_maps
 *   proxymap service is not configured for table "TYPE:NAME"
 * (read-write, proxy_write_maps and proxywrite for writes).
 */
int cfg_map_proxy_approved(const char *spec, enum cfg_map_mode mode, const char *read_maps,
                           const char *write_maps, int server_words, struct cfg_diags *diags);
/*
 * cfg_map_open_source - open a table whose text source is given in memory
 * (texthash, cidr, regexp: "postmap -q key regexp:-" style tests and inline
 * {..} rule lists); name is used in messages.
 */
int cfg_map_open_source(const char *type, const char *name, const char *text, size_t len,
                        unsigned flags, struct cfg_map **out, struct cfg_diags *diags);

/*
 * cfg_map_lookup - look key up.  Returns 1 and sets *value (borrowed), 0 when
 * absent, -1 on error ("table fail:x: ..." is not added here: the caller
 * words query errors; see cfg_map_error()).
 */
int cfg_map_lookup(struct cfg_map *m, const char *key, const char **value, struct cfg_diags *diags);
/*
 * cfg_map_update - store key -> value.  Returns 0 when stored, 1 when the key
 * existed (handled per the DUP flags: warning "NAME: duplicate entry: \"KEY\""
 * with DUP_WARN), -1 on error.
 */
int cfg_map_update(struct cfg_map *m, const char *key, const char *value, struct cfg_diags *diags);
/* cfg_map_delete - remove key: 1 removed, 0 absent, -1 error */
int cfg_map_delete(struct cfg_map *m, const char *key, struct cfg_diags *diags);
/*
 * cfg_map_seq - iterate: first != 0 restarts.  Returns 1 with *key and *value
 * set (borrowed), 0 at the end, -1 on error (also when the type cannot be
 * sequenced: "table TYPE:NAME: sequence operation is not supported").
 */
int cfg_map_seq(struct cfg_map *m, int first, const char **key, const char **value,
                struct cfg_diags *diags);
/*
 * cfg_map_commit - make the changes of a BUILD/UPDATE/CREATE table visible
 * (atomic rename over NAME.db).  mode is the permission of a new table file
 * (an existing table keeps its own).  Returns 0 or -1; the table stays open
 * for reading only on success.  No-op for READ tables.
 */
int cfg_map_commit(struct cfg_map *m, mode_t mode, struct cfg_diags *diags);
/* cfg_map_free - close; uncommitted changes are discarded.  NULL is a no-op */
void cfg_map_free(struct cfg_map *m);

/* cfg_map_flags / cfg_map_set_flags - the CFG_MAP_* flags in effect (postalias changes them) */
unsigned cfg_map_flags(const struct cfg_map *m);
void cfg_map_set_flags(struct cfg_map *m, unsigned flags);
/* cfg_map_type / cfg_map_name - as opened ("hash", "/etc/postfix/virtual"), borrowed */
const char *cfg_map_type(const struct cfg_map *m);
const char *cfg_map_name(const struct cfg_map *m);
/* cfg_map_caps - CFG_MAPT_* of this table */
unsigned cfg_map_caps(const struct cfg_map *m);
/*
 * cfg_map_error - after a lookup/seq/update returned -1: the reason text
 * Postfix appends to "table T:N: query error" (e.g. "Application error" for
 * fail:), or "" when none.  Borrowed.
 */
const char *cfg_map_error(const struct cfg_map *m);
/*
 * cfg_map_label - "TYPE:NAME" as Postfix names the table in run-time
 * messages (for hash: the NAME is the .db file: "hash:/etc/aliases.db").
 */
const char *cfg_map_label(const struct cfg_map *m);

/*
 * cfg_map_fold - append key folded as the table types fold it (flags:
 * CFG_MAP_UTF8 selects Unicode case folding for non-ASCII keys).  Returns 0,
 * or -1 when UTF8 is set and key is not valid UTF-8.
 */
int cfg_map_fold(const char *key, unsigned flags, struct cfg_buf *out);
/* cfg_map_utf8_valid - 1 when s[0..len) is valid UTF-8 (no overlongs, surrogates, > U+10FFFF) */
int cfg_map_utf8_valid(const char *s, size_t len);

/*
 * Building a table from its source text (postmap, postalias, newaliases).
 *
 * cfg_map_build() reads the source (or, incrementally, the given text),
 * opens the table in BUILD (or CREATE) mode, stores every valid entry and
 * commits.  Bad lines are skipped with Postfix's warnings, which name the
 * source and line:
 *   "FILE, line N: expected format: key whitespace value"
 *   "FILE, line N: need name:value pair"            (aliases)
 * Fatal problems (missing source "open FILE: ERR", unknown or read-only type,
 * write errors "table TYPE:NAME: write error: ERR") return -1 and leave any
 * existing table untouched.  With CFG_MAPB_STRICT a warning also returns -1
 * and nothing is written.
 */
#define CFG_MAPB_ALIASES 0x01u /* aliases(5) syntax; adds the "@" -> "@" and YP_* records */
#define CFG_MAPB_STRICT 0x02u  /* any warning is fatal: nothing is written */

struct cfg_map_build {
	const char *type; /* "hash", "btree", "gdbm" (others fail as in Postfix) */
	const char *path; /* source file; hash/btree/gdbm tables are PATH.db */
	unsigned flags;   /* CFG_MAP_* of the table */
	unsigned opts;    /* CFG_MAPB_* */
	mode_t mode;      /* permission bits of a new table file */
	const char *src;  /* incremental update (-i): entries from src, not from path */
	size_t src_len;
	const char *src_name;  /* how src is named in messages ("stdin") */
	const char *yp_master; /* aliases: value of YP_MASTER_NAME; NULL: no YP_* records */
	long yp_time;          /* aliases: YP_LAST_MODIFIED, seconds since the epoch */
};

/* cfg_map_build - build or update a table from source text; 0 or -1 (see above) */
int cfg_map_build(const struct cfg_map_build *b, struct cfg_diags *diags);

/*
 * cfg_alias_parse - split one logical line of an aliases(5) file into the
 * lookup key (unquoted, RFC 822 internal form) and the value (re-quoted
 * external form, ", " between addresses).  Returns 1, or 0 with the reason
 * in why ("need name:value pair", "name must be local").
 */
int cfg_alias_parse(const char *line, struct cfg_buf *key, struct cfg_buf *value,
                    struct cfg_buf *why);
/*
 * cfg_alias_comment - an RFC 822 (comment) whose '(' is just before p, up
 * to end or a NUL: appended to out as written, its '(' and nested
 * parentheses and backslash escapes included.  Returns where it ends.
 */
const char *cfg_alias_comment(const char *p, const char *end, struct cfg_buf *out);

#endif
