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

#include "cfg/buf.h"
#include "cfg/diag.h"
#include "cfg/htab.h"
#include "cfg/lines.h"
#include "cfg/map.h"
#include "cfg/strvec.h"

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

/* backends */
extern const struct cfgp_map_ops cfgp_map_btree_ops;
extern const struct cfgp_map_ops cfgp_map_cidr_ops;
extern const struct cfgp_map_ops cfgp_map_environ_ops;
extern const struct cfgp_map_ops cfgp_map_fail_ops;
extern const struct cfgp_map_ops cfgp_map_gdbm_ops;
extern const struct cfgp_map_ops cfgp_map_hash_ops;
extern const struct cfgp_map_ops cfgp_map_inline_ops;
extern const struct cfgp_map_ops cfgp_map_pcre_ops;
extern const struct cfgp_map_ops cfgp_map_pipemap_ops;
extern const struct cfgp_map_ops cfgp_map_regexp_ops;
extern const struct cfgp_map_ops cfgp_map_static_ops;
extern const struct cfgp_map_ops cfgp_map_texthash_ops;
extern const struct cfgp_map_ops cfgp_map_unionmap_ops;
extern const struct cfgp_map_ops cfgp_map_unix_ops;

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
/* cfgp_read_source - read a whole source file; "open PATH: ERR" fatal on failure */
int cfgp_read_source(const char *path, struct cfg_buf *out, struct cfg_diags *diags);
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

#endif
