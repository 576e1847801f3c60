/*
 * explain.h - what route, simulate and test share: where a parameter is
 * set (main.cf file:line, a master.cf -o, or the built-in default) and the
 * fatal "bad input" exit of those commands (status 2).
 */
#ifndef PFX_EXPLAIN_H
#define PFX_EXPLAIN_H

#include "cfg/io/json.h"
#include "conf.h"

/* where a parameter's value comes from */
struct pfx_origin {
	const char *file; /* DIR/main.cf or DIR/master.cf (static until the next call), or NULL */
	unsigned line;    /* 0 with file NULL: the default */
};

/* pfx_origin - where name is set in c's view (main.cf line, master.cf -o) */
struct pfx_origin pfx_origin(struct mta_conf *c, const char *name);
/* pfx_origin_text - "NAME (FILE:LINE)" or "NAME (default)" into a static buffer */
const char *pfx_origin_text(struct mta_conf *c, const char *name);
/* pfx_origin_json - set "parameter", "file", "line" members of obj */
void pfx_origin_json(struct mta_conf *c, const char *name, struct cfg_json *obj);
/* pfx_bad_input - "postfix: fatal: CMD: MESSAGE" on stderr; returns 2 (the exit status) */
int pfx_bad_input(const char *cmd, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* pfx_print_json - dump j (pretty) and a newline on stdout, then free it */
void pfx_print_json(struct cfg_json *j);

/* the subcommands (route.c, simulate.c, ptest.c); each returns the exit status */
int pfx_route(const char *config_dir, int argc, char **argv);
int pfx_simulate(const char *config_dir, int argc, char **argv);
int pfx_test(const char *config_dir, int argc, char **argv);

#endif
