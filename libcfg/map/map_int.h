/*
 * map_int.h - what the lookup-table dispatcher (map.c) shares with the backends
 *
 * Each backend file defines one const struct cfgp_map_ops.  map.c parses
 * "type:name", allocates struct cfg_map, folds keys for fixed-string types,
 * applies the UTF-8 checks and calls the backend; a backend sees keys that
 * are already folded and never deals with CFG_MAP_FOLD or CFG_MAP_UTF8.
 * Backend functions that are not supported are NULL; map.c words the
 * "operation is not supported" errors.
 */
#ifndef CFG_MAP_INT_H
#define CFG_MAP_INT_H

#include "cfg/base/buf.h"
#include "cfg/base/diag.h"
#include "cfg/base/htab.h"
#include "cfg/base/lines.h"
#include "cfg/map/map.h"
#include "cfg/base/strvec.h"

struct cfgp_map_ops {
	const char *type;
	/*
	 * open - set m->priv; m->type/name/mode/flags are filled in.  0 or -1;
	 * after -1, close() (when set) is still called and must cope with a
	 * partly built m->priv.
	 */
	int (*open)(struct cfg_map *m, struct cfg_diags *diags);
	/* open_text - open from an in-memory source (pattern and text tables), or NULL */
	int (*open_text)(struct cfg_map *m, const char *text, size_t len, struct cfg_diags *diags);
	int (*lookup)(struct cfg_map *m, const char *key, const char **value,
	              struct cfg_diags *diags);
	/* update - 0 stored, 1 existed (already handled per DUP flags), -1 error */
	int (*update)(struct cfg_map *m, const char *key, const char *value,
	              struct cfg_diags *diags);
	int (*del)(struct cfg_map *m, const char *key, struct cfg_diags *diags);
	int (*seq)(struct cfg_map *m, int first, const char **key, const char **value,
	           struct cfg_diags *diags);
	int (*commit)(struct cfg_map *m, mode_t mode, struct cfg_diags *diags);
	void (*close)(struct cfg_map *m);
};

struct cfg_map {
	const struct cfgp_map_ops *ops;
	char *type;
	char *name;
	char *label; /* "type:dname" for run-time messages */
	char *dname; /* name used by the backend in messages (hash: NAME.db) */
	enum cfg_map_mode mode;
	unsigned flags;
	struct cfg_buf keybuf; /* folded key */
	struct cfg_buf errbuf; /* cfg_map_error() text */
	void *priv;
};

/* cfgp_map_set_dname - set the backend's display name and the label */
void cfgp_map_set_dname(struct cfg_map *m, const char *dname);
/* cfgp_map_set_error - set the text cfg_map_error() returns */
void cfgp_map_set_error(struct cfg_map *m, const char *text);
struct cfg_dlib;
/* cfgp_map_dlib - load a backend's client library (cfg/base/dlib.h); 0, or -1 with a fatal diagnostic */
int cfgp_map_dlib(struct cfg_map *m, struct cfg_dlib *lib, struct cfg_diags *diags);
/*
 * cfgp_map_dup - handle an update of an existing key per the DUP flags:
 * returns 1 when the caller must replace the value, 0 when it must keep the
 * old one (a warning "WHERE: duplicate entry: \"KEY\"" is added with
 * DUP_WARN; where is m->dname or "FILE, line N"), -1 when duplicates are an
 * error (no DUP flag).
 */
int cfgp_map_dup(struct cfg_map *m, const char *where, const char *key, struct cfg_diags *diags);

/* cfgp_fold_utf8 - append the Unicode full case folding of valid UTF-8 key (map_fold.c, ICU) */
int cfgp_fold_utf8(const char *key, struct cfg_buf *out);

/*
 * In-memory fixed-string tables (texthash:, inline:): m->priv is a
 * struct cfgp_memtab; the backends share its lookup/seq/close.
 */
struct cfgp_memtab {
	struct cfg_htab *h; /* folded key -> owned value string */
	size_t pos;         /* sequence cursor */
};
/* cfgp_memtab_new - set m->priv to an empty table */
struct cfgp_memtab *cfgp_memtab_new(struct cfg_map *m);
/* cfgp_memtab_put - store key (folded per m->flags) -> value; the last one wins */
void cfgp_memtab_put(struct cfg_map *m, const char *key, const char *value);
int cfgp_memtab_lookup(struct cfg_map *m, const char *key, const char **value,
                       struct cfg_diags *diags);
int cfgp_memtab_seq(struct cfg_map *m, int first, const char **key, const char **value,
                    struct cfg_diags *diags);
void cfgp_memtab_close(struct cfg_map *m);

/*
 * Temporary files of the indexed tables (map_file.c).  cfgp_mapfile_temp -
 * create DBPATH.XXXXXX (its name in *tmppath); the fd, or -1 with "open
 * database DBPATH: ERR".  cfgp_mapfile_copy - copy all of file src into fd;
 * 0 or -1 with errno.  cfgp_mapfile_install - give tmppath the mode (or
 * the mode and owner of an existing dbpath), rename it over dbpath and sync
 * the directory; -1 with "rename TMP to DBPATH: ERR".
 */
int cfgp_mapfile_temp(const char *dbpath, char **tmppath, struct cfg_diags *diags);
int cfgp_mapfile_copy(int src, int fd);
int cfgp_mapfile_install(const char *tmppath, const char *dbpath, mode_t mode,
                         struct cfg_diags *diags);
/*
 * cfgp_map_try_nul - run op (a lookup or delete: 1 done, 0 absent, -1
 * error) on the key with its trailing NUL, then without, as m->flags allow;
 * the form that worked is the only one tried from then on.  cfgp_map_store_nul
 * - 1 when updates store the trailing NUL (decides it when still open).
 */
int cfgp_map_try_nul(struct cfg_map *m, int (*op)(void *ctx, int with_nul), void *ctx);
int cfgp_map_store_nul(struct cfg_map *m);

/*
 * Client sockets of socketmap: and memcache: (map_sock.c).  A server is
 * "inet:host:port" ("[v6addr]" allowed) or "unix:/path".
 */
struct cfgp_endpoint {
	char *endpoint;    /* "host:port" or "/path", for messages */
	char *host, *port; /* inet */
	int is_unix;
};
/* cfgp_endpoint_parse - split service; -1 with Postfix's fatal diagnostic */
int cfgp_endpoint_parse(struct cfgp_endpoint *e, const char *service, struct cfg_diags *diags);
void cfgp_endpoint_fini(struct cfgp_endpoint *e);
/*
 * cfgp_sock - a connection to such a server and the bytes received from it
 * that were not read yet.  Reads wait at most ms for each arrival of data;
 * they return 0, -1 at end of file or on an error, -2 after ms without data.
 */
struct cfgp_sock {
	int fd;          /* -1 when closed */
	size_t off, len; /* the unread bytes are buf[off..len) */
	char buf[4096];
};
/* cfgp_sock_init - a closed connection */
void cfgp_sock_init(struct cfgp_sock *s);
/* cfgp_sock_open - (re)connect within ms (Nagle off for inet); 0 or -1 with errno */
int cfgp_sock_open(struct cfgp_sock *s, const struct cfgp_endpoint *e, int ms);
/* cfgp_sock_close - close the connection, forget unread bytes */
void cfgp_sock_close(struct cfgp_sock *s);
/* cfgp_sock_send - send all of p, waiting at most ms each time; 0 or -1 with errno */
int cfgp_sock_send(struct cfgp_sock *s, const char *p, size_t len, int ms);
/* cfgp_sock_getc - the next byte: 0..255, -1 or -2 as above */
int cfgp_sock_getc(struct cfgp_sock *s, int ms);
/* cfgp_sock_read - append the next n bytes to b: 0, -1 or -2 */
int cfgp_sock_read(struct cfgp_sock *s, struct cfg_buf *b, size_t n, int ms);
/* cfgp_sock_line - the next line without its newline into b: 0, -1, -2, -3 when over max bytes */
int cfgp_sock_line(struct cfgp_sock *s, struct cfg_buf *b, size_t max, int ms);

/* backends */
extern const struct cfgp_map_ops cfgp_map_btree_ops;
extern const struct cfgp_map_ops cfgp_map_cidr_ops;
extern const struct cfgp_map_ops cfgp_map_environ_ops;
extern const struct cfgp_map_ops cfgp_map_fail_ops;
extern const struct cfgp_map_ops cfgp_map_gdbm_ops;
extern const struct cfgp_map_ops cfgp_map_hash_ops;
extern const struct cfgp_map_ops cfgp_map_inline_ops;
extern const struct cfgp_map_ops cfgp_map_ldap_ops;
extern const struct cfgp_map_ops cfgp_map_lmdb_ops;
extern const struct cfgp_map_ops cfgp_map_memcache_ops;
extern const struct cfgp_map_ops cfgp_map_mysql_ops;
extern const struct cfgp_map_ops cfgp_map_pcre_ops;
extern const struct cfgp_map_ops cfgp_map_pgsql_ops;
extern const struct cfgp_map_ops cfgp_map_pipemap_ops;
extern const struct cfgp_map_ops cfgp_map_regexp_ops;
extern const struct cfgp_map_ops cfgp_map_socketmap_ops;
extern const struct cfgp_map_ops cfgp_map_sqlite_ops;
extern const struct cfgp_map_ops cfgp_map_static_ops;
extern const struct cfgp_map_ops cfgp_map_texthash_ops;
extern const struct cfgp_map_ops cfgp_map_unionmap_ops;
extern const struct cfgp_map_ops cfgp_map_unix_ops;
/* proxy: through the registered service (map_proxy.c): not in the backends table */
extern const struct cfgp_map_ops cfgp_map_proxy_ops;
/* cfgp_map_proxy_hook - the registered proxy service, or NULL */
const struct cfg_map_proxy *cfgp_map_proxy_hook(void);
/* cfgp_map_proxy_caps - CFG_MAPT_* of the table a proxy: table names */
unsigned cfgp_map_proxy_caps(const struct cfg_map *m);

/*
 * Pattern tables (map_regexp.c): the rule language regexp: and pcre: share
 * ([!]/pattern/flags result, if/endif, $n) over an engine that compiles and
 * runs the expressions.  m->priv belongs to map_regexp.c.
 */
struct cfgp_rx_span {
	long so, eo; /* byte offsets of a capture in the key; so < 0 when it did not take part */
};
struct cfgp_rx_engine {
	const char *type;         /* messages say "TYPE map NAME, line N: ..." */
	int second_pattern;       /* 1: "/p1/ !/p2/ result" rules (regexp) */
	const char *no_delim;     /* end of the "no closing regexp delimiter" warning */
	const char *out_of_range; /* how "$0 is out of range" is spelled */
	unsigned default_opts;    /* options the flags toggle */
	/* flag - toggle option c in *opts: 1 known, 0 unknown, 2 obsolete (ignored with a warning) */
	int (*flag)(char c, unsigned *opts);
	/* compile - the compiled expression, or NULL with the warning text in why */
	void *(*compile)(const char *re, unsigned opts, struct cfg_buf *why);
	/* nsub - how many capturing groups */
	size_t (*nsub)(const void *re);
	/* exec - 1 match (spans[0..n) set), 0 no match, -1 error (text in why) */
	int (*exec)(void *re, const char *key, struct cfgp_rx_span *spans, size_t n,
	            struct cfg_buf *why);
	void (*free)(void *re);
};
/* cfgp_rx_open - load m->name (a file or "{ {rule}, ... }") with engine e */
int cfgp_rx_open(struct cfg_map *m, const struct cfgp_rx_engine *e, struct cfg_diags *diags);
/* cfgp_rx_load - load the rules of text with engine e */
int cfgp_rx_load(struct cfg_map *m, const struct cfgp_rx_engine *e, const char *text, size_t len,
                 struct cfg_diags *diags);
int cfgp_rx_lookup(struct cfg_map *m, const char *key, const char **value, struct cfg_diags *diags);
void cfgp_rx_close(struct cfg_map *m);

/*
 * Client configuration files of the database tables (map_client.c): "name =
 * value" lines; values are borrowed from the client until it is freed.
 * Errors are fatal diagnostics in Postfix's words ("FILE: bad string length
 * 0 < 1: dbpath = ").
 */
struct cfgp_client;
/* cfgp_client_open - read m->name; NULL after a fatal diagnostic */
struct cfgp_client *cfgp_client_open(const struct cfg_map *m, struct cfg_diags *diags);
/* cfgp_client_read - the same for the client file name of a type:name table */
struct cfgp_client *cfgp_client_read(const char *type, const char *name, struct cfg_diags *diags);

/* cfgp_client_free - NULL is a no-op */
void cfgp_client_free(struct cfgp_client *c);
/* cfgp_client_str - key's value or def; -1 when its length is outside [min, max] (max 0: any) */
int cfgp_client_str(struct cfgp_client *c, const char *key, const char *def, size_t min, size_t max,
                    const char **out, struct cfg_diags *diags);
/* cfgp_client_int - key's number or def; -1 when not a number or outside [min, max] */
int cfgp_client_int(struct cfgp_client *c, const char *key, long def, long min, long max, long *out,
                    struct cfg_diags *diags);
/* cfgp_client_bool - key's yes/no or def */
int cfgp_client_bool(struct cfgp_client *c, const char *key, int def, int *out,
                     struct cfg_diags *diags);
/* cfgp_client_has - 1 when key is set */
int cfgp_client_has(struct cfgp_client *c, const char *key);
/* cfgp_client_line - the line that sets key, 0 when unset */
unsigned cfgp_client_line(const struct cfgp_client *c, const char *key);
/* cfgp_client_file - the file's name (borrowed) */
const char *cfgp_client_file(const struct cfgp_client *c);

/* a database server of "hosts": unix:/path, inet:host:port, host:port or host */
struct cfgp_host {
	char *label; /* as written, for messages */
	char *host;  /* host name, or the socket path */
	char *port;  /* NULL: the library's default */
	int is_unix;
	long dead_until; /* time() before which it is not tried again */
};
/* cfgp_client_hosts - the "hosts" list (def when unset), UNIX-domain sockets first */
int cfgp_client_hosts(struct cfgp_client *c, const char *def, struct cfgp_host **out, size_t *n,
                      struct cfg_diags *diags);
void cfgp_client_hosts_free(struct cfgp_host *v, size_t n);
/* cfgp_client_printable - append s with control characters as '?', as Postfix logs them */
void cfgp_client_printable(struct cfg_buf *out, const char *s);

/* query templates shared by the SQL and LDAP tables (%s %u %d %1-%9 %S %U %D) */
struct cfgp_dbq {
	struct cfg_map *m;
	unsigned flags; /* parts of the key or result that the templates need */
	int nparts;     /* highest %1..%9 */
	int has_domain; /* "domain" is set: only user@listed-domain keys */
	struct cfg_strvec domains;
	struct cfg_map **domain_maps;
	size_t ndomain_maps;
	/* quote - append raw quoted for the database, or NULL: as is */
	void (*quote)(void *ctx, const char *raw, struct cfg_buf *out);
	void *quote_ctx;
};
void cfgp_dbq_init(struct cfgp_dbq *q, struct cfg_map *m);
void cfgp_dbq_fini(struct cfgp_dbq *q);
/* cfgp_dbq_parse - check a query (query 1) or result_format template; -1 fatal */
int cfgp_dbq_parse(struct cfgp_dbq *q, const char *format, int query, struct cfg_diags *diags);
/* cfgp_dbq_domain - read "domain" (names, !names, type:table) */
int cfgp_dbq_domain(struct cfgp_dbq *q, struct cfgp_client *c, struct cfg_diags *diags);
/* cfgp_dbq_check_domain - 1 when key may be looked up, 0 when not, -1 on a table error */
int cfgp_dbq_check_domain(struct cfgp_dbq *q, const char *key, struct cfg_diags *diags);
/*
 * cfgp_dbq_expand - append format expanded for value (a key when key is
 * NULL, else a result of key), after a ',' when out is not empty.  Returns
 * 1, or 0 when value lacks a part the template needs (skip it).
 */
int cfgp_dbq_expand(struct cfgp_dbq *q, const char *format, const char *value, const char *key,
                    struct cfg_buf *out, struct cfg_diags *diags);
/* cfgp_dbq_sql_query - the query built from table, select_field, where_field, ... */
int cfgp_dbq_sql_query(struct cfgp_client *c, struct cfg_buf *out, struct cfg_diags *diags);

/*
 * The servers of a mysql: or pgsql: table (the client file's hosts, UNIX
 * sockets first) and what it logs in with.  A server that fails is not
 * tried again for 60 seconds.
 */
struct cfgp_sqlsrv {
	struct cfgp_host *hosts;
	size_t nhosts;
	struct cfgp_host *active; /* the server of the open connection, or NULL */
	const char *dbname, *user, *password;
};
/* cfgp_sqlsrv_open - hosts (default localhost), user, password and dbname of client file c */
int cfgp_sqlsrv_open(struct cfgp_sqlsrv *v, struct cfgp_client *c, struct cfg_diags *diags);
/* cfgp_sqlsrv_drop - no active server any more; dead: the one that was is skipped for a while */
void cfgp_sqlsrv_drop(struct cfgp_sqlsrv *v, int dead);

/* what pgsql:, mysql: and sqlite: share: settings, query, results */
struct cfgp_sql {
	struct cfgp_client *c;
	struct cfgp_dbq q;
	const char *query_format;  /* query, or the one built from table, select_field, ... */
	const char *result_format; /* "%s" by default */
	long expansion_limit;      /* 0: none */
	long nresults;
	struct cfg_buf query;  /* the expanded query of the current key */
	struct cfg_buf result; /* the results so far, joined with ',' */
	struct cfg_buf legacy;
	/* mysql: and pgsql: (sqlite: leaves them empty): the servers and the connection */
	struct cfgp_sqlsrv srv;
	int (*connect)(void *ctx, struct cfg_diags *diags); /* before a key is quoted on it */
	void (*disconnect)(void *ctx, int dead);            /* by cfgp_sql_fini() */
	void *conn_ctx;
};
/* cfgp_sql_open - read the client file m->name and the settings every SQL table has */
int cfgp_sql_open(struct cfgp_sql *s, struct cfg_map *m, struct cfg_diags *diags);
/* cfgp_sql_fini - the connection (disconnect), the servers and the settings */
void cfgp_sql_fini(struct cfgp_sql *s);
/*
 * cfgp_sql_server - the hooks of a table on a server: keys are quoted on the
 * connection, which connect opens when needed; all get ctx
 */
void cfgp_sql_server(struct cfgp_sql *s, void (*quote)(void *, const char *, struct cfg_buf *),
                     int (*connect)(void *, struct cfg_diags *), void (*disconnect)(void *, int),
                     void *ctx);
/* cfgp_sql_eligible - 1 when key may be looked up (UTF-8, "domain"), 0 not, -1 error */
int cfgp_sql_eligible(struct cfgp_sql *s, const char *key, struct cfg_diags *diags);
/* cfgp_sql_query - s->query for key (connected first): 1, 0 when key is not looked up, -1 on error */
int cfgp_sql_query(struct cfgp_sql *s, const char *key, struct cfg_diags *diags);
/* cfgp_sql_result - add one value of the answer; -1 past expansion_limit */
int cfgp_sql_result(struct cfgp_sql *s, const char *value, const char *key,
                    struct cfg_diags *diags);
/* cfgp_sql_answer - the joined results as *value: 1, or 0 when there were none */
int cfgp_sql_answer(const struct cfgp_sql *s, const char **value);

/*
 * Source-file helpers shared by texthash, cidr, regexp and the builders.
 */

/*
 * cfgp_mapsrc_split - split a logical line of a postmap source into key and
 * value, in place: the key ends at the first whitespace outside "quotes"
 * (backslash escapes the next byte), the value is trimmed.  Returns 1, or 0
 * with *why set to the warning text after "FILE, line N: " when the line
 * must be skipped ("unbalanced '\"' in '...' -- ignoring this line",
 * "expected format: key whitespace value").  *aliasfmt is set when the key
 * ends in ':' (the "is this an alias file?" warning).
 */
int cfgp_mapsrc_split(char *line, char **key, char **value, int *aliasfmt, struct cfg_buf *why);
/*
 * cfgp_mapsrc_next - cfg_lines_next() that also warns, in Postfix's words,
 * about text before the first logical line that starts with white space:
 * "NAME: logical line must not start with whitespace: \"TEXT\"" (at most 30
 * bytes of TEXT, then "...").
 */
int cfgp_mapsrc_next(struct cfg_lines *lr, struct cfg_lline *ll, const char *name,
                     struct cfg_diags *diags);
/* cfgp_trim_right - strip trailing whitespace in place; returns s */
char *cfgp_trim_right(char *s);
/*
 * cfgp_read_source - read a whole source file without ever blocking on it:
 * a FIFO, device or socket is refused ("open PATH: not a regular file",
 * code "map-not-regular"), as is a directory.  Fatal diagnostics: "open
 * PATH: ERR" (code "map-open") when it cannot be opened; a read error
 * (a directory too) is "read PATH: ERR", or "TYPE map PATH: read error:
 * ERR" when type is given (cidr:, regexp:, as Postfix words it); code
 * "map-read".
 */
int cfgp_read_source(const char *path, const char *type, struct cfg_buf *out,
                     struct cfg_diags *diags);
/*
 * cfgp_inline_rules - for "TYPE:{ {rule1}, {rule2} }" names of pattern
 * tables: append the rules as lines of text to out.  Returns 1 when name was
 * in that form, 0 when it is a file name, -1 with a fatal diagnostic on bad
 * syntax.
 */
int cfgp_inline_rules(const char *type, const char *name, struct cfg_buf *out,
                      struct cfg_diags *diags);
/*
 * cfgp_extpar - s starts with '{': cut the text between it and the matching
 * '}' (trimmed) into out.  Returns 0, or -1 with out holding the reason
 * ("missing '}' in \"S\"", "syntax error after '}' in \"S\"").
 */
int cfgp_extpar(const char *s, struct cfg_buf *out);
/*
 * cfgp_brace_words - split s (inside outer braces already removed) into
 * words separated by commas/whitespace, where {...} groups are one word with
 * the braces kept (use cfgp_extpar on it).  Returns 0, or -1 when a brace
 * is unbalanced.
 */
int cfgp_brace_words(const char *s, struct cfg_strvec *out);

/*
 * IF/ENDIF blocks of the pattern tables (cidr:, regexp:, pcre:).  The rules
 * are an array; an IF rule holds the index of its ENDIF (CFGP_NO_ENDIF while
 * none is seen), found at load time through a stack of the open IFs.
 */
#define CFGP_NO_ENDIF ((size_t)-1)
struct cfgp_ifs {
	size_t *rule;   /* index of each open IF rule, innermost last */
	unsigned *line; /* its line, for "IF has no matching ENDIF" */
	size_t depth, cap;
};
/* cfgp_ifs_push - IF rule index rule (on line) is open */
void cfgp_ifs_push(struct cfgp_ifs *s, size_t rule, unsigned line);
/* cfgp_ifs_pop - the innermost open IF rule (its line in *line), or CFGP_NO_ENDIF when none is */
size_t cfgp_ifs_pop(struct cfgp_ifs *s, unsigned *line);
/* cfgp_ifs_fini - the stack (zeroed memory is an empty stack) */
void cfgp_ifs_fini(struct cfgp_ifs *s);
/*
 * cfgp_if_next - after an IF rule whose condition failed, the rule a lookup
 * goes on after: its ENDIF, or the last of the n rules when it has none (the
 * lookup ends)
 */
size_t cfgp_if_next(size_t block_end, size_t n);

#endif
