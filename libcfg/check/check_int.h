/*
 * check_int.h - internals shared by the check_*.c files (see cfg/check.h)
 *
 * A check run holds the loaded configuration (or, when it could not be
 * loaded, only the documents) and the list of settings to look at: the
 * effective main.cf entries and every master.cf "-o" override.  Each pass
 * (check_params.c, check_restrict.c, check_tables.c, check_master.c,
 * check_relay.c, check_fs.c) walks them and appends diagnostics through
 * cfgp_check_add(), which places a finding on the setting's line and, when
 * asked, on the column of a word of its value.
 */
#ifndef CFG_CHECK_INT_H
#define CFG_CHECK_INT_H

#include <stdarg.h>
#include <stddef.h>

#include "cfg/base/buf.h"
#include "cfg/check/check.h"
#include "cfg/schema/restriction.h"
#include "cfg/config/effective.h"
#include "cfg/base/diag.h"
#include "cfg/base/htab.h"
#include "cfg/doc/maincf.h"
#include "cfg/doc/mastercf.h"
#include "cfg/base/strvec.h"

/* One explicit setting: a main.cf entry (the one in force) or a master.cf "-o name=value". */
struct cfgp_setting {
	const char *name;
	const char *value;                   /* as written, unexpanded */
	const char *file;                    /* path of main.cf or master.cf */
	unsigned line;                       /* the entry's first line */
	const struct cfg_maincf_entry *ment; /* main.cf entry, or NULL */
	const struct cfg_service *svc;       /* master.cf entry of an override, or NULL */
	size_t ovr;                          /* index in svc->ovr */
};

struct cfgp_check {
	const struct cfg_check_opts *opts;
	struct cfg_diags *diags;
	const struct cfg_config *cfg;      /* NULL when the configuration did not load */
	const struct cfg_maincf *main;     /* never NULL */
	const struct cfg_mastercf *master; /* never NULL (may hold no entries) */
	int master_in_cfg;                 /* master is cfg's own document (views work) */
	int master_bad;         /* master.cf had fatal errors: some entries are missing */
	const char *config_dir; /* the configuration directory in use */
	const char *main_path;
	const char *master_path;
	struct cfgp_setting *sets; /* main.cf settings first (file order), then -o overrides */
	size_t nsets;
	size_t nmain;                   /* how many of sets are main.cf entries */
	struct cfg_htab *unused_master; /* -o names Postfix calls unused */
	struct cfg_htab *classes;       /* names in smtpd_restriction_classes */
	struct cfg_htab *tables_seen;   /* table specs checked without a finding: not reopened */
};

/*
 * Where a word of a value is, for placing a finding on its column: words[i]
 * of the value's token list.  Counting which occurrence of the word it is
 * costs a pass over the list, so it is done only when a finding is reported.
 */
struct cfgp_at {
	char *const *words; /* NULL: the first occurrence */
	size_t i;
};
/* cfgp_at_nth - which occurrence (0-based) of words[i] it is */
unsigned cfgp_at_nth(const struct cfgp_at *at);

/* cfgp_check_add - append a diagnostic about setting s (NULL: no position) */
struct cfg_diag *cfgp_check_add(struct cfgp_check *ck, enum cfg_severity sev, const char *code,
                                const struct cfgp_setting *s, const char *fmt, ...)
    __attribute__((format(printf, 5, 6)));
/*
 * cfgp_check_add_at - the same, with the column of the nth (0-based)
 * occurrence of word in the setting's value (a whole word between list
 * separators, or with substr a substring); falls back to the line alone.
 */
struct cfg_diag *cfgp_check_add_at(struct cfgp_check *ck, enum cfg_severity sev, const char *code,
                                   const struct cfgp_setting *s, const char *word, unsigned nth,
                                   int substr, const char *fmt, ...)
    __attribute__((format(printf, 8, 9)));
/* cfgp_check_vadd - va_list form of cfgp_check_add_at() */
struct cfg_diag *cfgp_check_vadd(struct cfgp_check *ck, enum cfg_severity sev, const char *code,
                                 const struct cfgp_setting *s, const char *word, unsigned nth,
                                 int substr, const char *fmt, va_list ap)
    __attribute__((format(printf, 8, 0)));

/* cfgp_check_setting - the effective main.cf setting of name, or NULL when not set */
const struct cfgp_setting *cfgp_check_setting(const struct cfgp_check *ck, const char *name);
/* cfgp_check_value - the effective unexpanded value of name in main.cf (NULL: unknown/unset) */
const char *cfgp_check_value(const struct cfgp_check *ck, const char *name);
/*
 * cfgp_check_expand - append the expansion of s's value (in the name space
 * of its master.cf entry for an override) to out.  Returns 0, or -1 when it
 * cannot be expanded (the syntax error is reported by check_params.c).
 */
int cfgp_check_expand(const struct cfgp_check *ck, const struct cfgp_setting *s, const char *value,
                      struct cfg_buf *out);
/* cfgp_check_expand_in - the same for any value, in the name space of svc (NULL: main.cf) */
int cfgp_check_expand_in(const struct cfgp_check *ck, const struct cfg_service *svc,
                         const char *value, struct cfg_buf *out);
/* cfgp_check_effective - append the expanded effective main.cf value of name (default too) */
int cfgp_check_effective(const struct cfgp_check *ck, const char *name, struct cfg_buf *out);

/* the passes; each appends to ck->diags */
void cfgp_check_params(struct cfgp_check *ck);
void cfgp_check_master(struct cfgp_check *ck);
void cfgp_check_relay(struct cfgp_check *ck);
void cfgp_check_fs(struct cfgp_check *ck);
/* cfgp_check_support - settings of parameters postkit does not implement (check_support.c) */
void cfgp_check_support(struct cfgp_check *ck);
/* cfgp_check_restrictions - one restriction-list setting, already expanded (check_restrict.c) */
void cfgp_check_restrictions(struct cfgp_check *ck, const struct cfgp_setting *s,
                             const char *expanded);
/* cfgp_check_restriction_classes - smtpd_restriction_classes: each name must be defined */
void cfgp_check_restriction_classes(struct cfgp_check *ck, const struct cfgp_setting *s,
                                    const char *expanded);
/*
 * cfgp_check_table - one "type:name" reference of setting s (check_tables.c):
 * known type, the file or index exists, the index is not older than its
 * source, pattern tables parse.  at locates the word in the value (NULL: first).
 */
void cfgp_check_table(struct cfgp_check *ck, const struct cfgp_setting *s, const char *spec,
                      const struct cfgp_at *at);
/* cfgp_check_table_list - every element of a list value that looks like type:name */
void cfgp_check_table_list(struct cfgp_check *ck, const struct cfgp_setting *s,
                           const char *expanded, int all);

/* cfgp_restriction_find - the row of an smtpd restriction name (any case), or NULL */
const struct cfg_restriction_def *cfgp_restriction_find(const char *name);

/*
 * Suggestions by edit distance: init with the word, try each candidate,
 * read best (NULL when nothing is close), fini.
 */
struct cfgp_suggest {
	const char *word;
	size_t limit;  /* largest distance that still looks like a typo */
	size_t best_d; /* distance of best */
	char *best;    /* owned copy of the best candidate so far, or NULL */
};
void cfgp_suggest_init(struct cfgp_suggest *sg, const char *word);
void cfgp_suggest_try(struct cfgp_suggest *sg, const char *candidate);
void cfgp_suggest_fini(struct cfgp_suggest *sg);

/* cfgp_check_word_nth - how many times word occurs in words[0..i) (for cfgp_check_add_at) */
unsigned cfgp_check_word_nth(char *const *words, size_t i);
/*
 * cfgp_check_strip_prefix - msg without the position Postfix writes in front
 * of it ("FILE, line N: ", "FILE: ", "file FILE: line N: ") when FILE is
 * file, since the diagnostic carries the position itself (borrowed from msg)
 */
const char *cfgp_check_strip_prefix(const char *msg, const char *file);
/* cfgp_check_is_class - 1 when name is listed in smtpd_restriction_classes */
int cfgp_check_is_class(const struct cfgp_check *ck, const char *name);

#endif
