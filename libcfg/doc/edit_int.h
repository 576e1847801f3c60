/*
 * edit_int.h - internals shared by edit.c (arguments, main.cf) and
 * edit_master.c (master.cf entries).  Not installed.
 */
#ifndef CFG_EDIT_INT_H
#define CFG_EDIT_INT_H

#include <stddef.h>

#include "cfg/base/buf.h"
#include "cfg/base/diag.h"
#include "cfg/doc/edit.h"
#include "cfg/base/strvec.h"

/* Postfix's whitespace sets: CHARS_SPACE and PCF_MASTER_BLANKS are the same four bytes. */
#define CFGP_BLANKS " \t\r\n"

/* cfgp_edit_isspace - isspace() of the C locale, safe for any byte */
int cfgp_edit_isspace(int c);
/* cfgp_edit_split_nameval - split "name = value" in place; NULL or Postfix's error text */
const char *cfgp_edit_split_nameval(char *buf, char **name, char **value);
/* cfgp_end_line - end an unterminated last line of out (see edit.h), no-op when empty */
void cfgp_end_line(struct cfg_buf *out);
/* cfgp_emit - append n > 0 bytes to out after cfgp_end_line() */
void cfgp_emit(struct cfg_buf *out, const char *p, size_t n);

/* master.cf entry as postconf holds it: argv split on blanks, { } groups kept */
/* cfgp_master_split - split text into words the way argv_splitq() does */
void cfgp_master_split(const char *text, struct cfg_strvec *argv);
/*
 * cfgp_master_parse - split and check an entry; normalise its daemon
 * arguments.  Returns NULL or a static error text ("bad field count"); a
 * field check failure appends a fatal diagnostic and returns "" instead.
 */
const char *cfgp_master_parse(const char *text, struct cfg_strvec *argv, struct cfg_diags *diags);
/* cfgp_master_check - Postfix's per-field checks; -1 after a fatal diagnostic */
int cfgp_master_check(const struct cfg_strvec *argv, const char *raw, struct cfg_diags *diags);
/* cfgp_master_normalize - split -oname=value, -vo..., strip { } (warnings to diags) */
void cfgp_master_normalize(struct cfg_strvec *argv, size_t from, struct cfg_diags *diags);
/* cfgp_master_print - append the entry in postconf -M (fold: -Mf) layout */
void cfgp_master_print(const struct cfg_strvec *argv, int fold, struct cfg_buf *out);
/* cfgp_master_is_option - a daemon option word: starts with '-' and is not "--" */
int cfgp_master_is_option(const char *arg);
/* cfgp_master_takes_value - the option takes the next word as its value ("-o", and "-" alone) */
int cfgp_master_takes_value(const char *arg);
/* cfgp_master_apply - cfg_edit_apply() for the three master.cf kinds */
int cfgp_master_apply(struct cfg_edit *ed, const char *path, const char *text, size_t len,
                      struct cfg_buf *out, struct cfg_diags *diags);

#endif
