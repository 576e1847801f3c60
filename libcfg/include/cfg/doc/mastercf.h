/*
 * mastercf.h - master.cf as a document
 *
 * Like maincf.h: the exact bytes (cfg_mastercf_render() == input) plus a
 * structured list of service entries, in file order, duplicates included
 * (postconf -M/-F/-P print every entry with the same service/type).
 * Fields are kept as written ("-" stays "-"); resolving defaults is the
 * caller's business (cfg_config / the master daemon).
 *
 * Syntax (Postfix 3.7, checked against postconf -M/-F/-P):
 *  - logical lines as in cfg/lines.h; each is cut at its first NUL byte;
 *  - words are separated by runs of space, tab, CR or LF; text between
 *    balanced '{' and '}' is never split ("{a b}" and "x{a b}y" are one
 *    word each; an unbalanced '{' swallows the rest of the line);
 *  - at least 8 words: service, type, private, unprivileged, chroot,
 *    wakeup, process_limit, command; then the command's arguments.
 *
 * What argv holds (exactly the list postconf prints from):
 *  argv.v[0] is the command word as written (never brace-processed);
 *  argv.v[1..] are the arguments normalised the way postconf does it:
 *   - leading arguments that start with '-' (other than "--") are options;
 *     option processing stops at the first other word, or "--" (kept);
 *   - an option word with 'o' after its first letter is split before that
 *     'o': "-vo" -> "-v" "-o", "-verbose" -> "-verb" "-ose";
 *   - an option whose letter is 'o' takes a value: "-oname=value" becomes
 *     "-o" "name=value", else the next word is its value ("-" alone also
 *     takes the next word as value, a Postfix quirk);
 *   - a value starting with '{' has its outer braces and the whitespace
 *     just inside them removed ("{ a = b }" -> "a = b"); after "-o" it is
 *     then rewritten "name=value" with the whitespace around '=' and at the
 *     ends dropped ("-o { x = 1 y }" -> "-o" "x=1 y");
 *   - every later (non-option) word that starts with '{' loses its outer
 *     braces and the whitespace just inside them ("{ a  b }" -> "a  b");
 *     other words stay as written ("c{d e}f").
 *  postconf -M prints the first seven fields in columns, then argv joined
 *  with single spaces, wrapping in "{...}" an option value, or a word after
 *  the one that ended option processing, when it contains space, tab, CR or
 *  LF.  Quirk (observed): the word that ends option processing is never
 *  wrapped ("smtpd {a b} {c d}" prints as "smtpd a b {c d}").
 *
 * What ovr holds: the (name, value) pairs postconf -P shows for the entry:
 *  walk argv from v[1] while words start with '-' (not "--"); an option
 *  whose letter is 'o' (or "-" alone) with a following word consumes it;
 *  when the option is exactly "-o" the word is split as "name = value"
 *  (split rules of main.cf) and kept if that succeeds (no '=' -> silently
 *  not an override).  Order is argv order, repeats kept (the last wins).
 *  Note: postconf keeps one parameter table per "service/type" name, so
 *  two entries with the same service/type share their overrides in -P.
 */
#ifndef CFG_MASTERCF_H
#define CFG_MASTERCF_H

#include <stddef.h>

#include "cfg/base/buf.h"
#include "cfg/base/diag.h"
#include "cfg/schema/masterdef.h" /* enum cfg_master_field and the column names, from schemas/master.def */
#include "cfg/base/strvec.h"

struct cfg_master_override {
	char *name;  /* parameter name from "-o name=value" or "-o { name = value }" */
	char *value; /* value with the surrounding whitespace removed */
	size_t arg;  /* index in argv of the "name=value" word */
};

struct cfg_service {
	char *field[CFG_MF_COMMAND];     /* the first seven words, as written */
	struct cfg_strvec argv;          /* command word and arguments, see above */
	struct cfg_master_override *ovr; /* the -o overrides in order */
	size_t novr;
	unsigned line; /* first physical line */
	unsigned last; /* last physical line */
	size_t start;  /* byte range in text, as in cfg_maincf_entry */
	size_t end;
};

struct cfg_mastercf {
	char *path;
	struct cfg_buf text;
	struct cfg_service *svcs; /* in file order, duplicates included (valid entries only) */
	size_t nsvcs;
};

/*
 * cfg_mastercf_parse - build a document from data[0..len) (copied).  Errors
 * use Postfix's wording (msg as printed after "fatal: "/"warning: ", bytes
 * outside printable ASCII shown as '?'); file = path, line = the entry's
 * first physical line even where Postfix prints none:
 *   fatal   "file PATH: line N: bad field count"        code "mastercf-field-count"
 *   fatal   "invalid type field \"TYPE\" in \"ENTRY\""  code "mastercf-invalid-type"
 *           (type must be inet, unix, unix-dgram, fifo or pass)
 *   fatal   "invalid FIELD field \"VALUE\" in \"ENTRY\"" code "mastercf-invalid-field"
 *           FIELD is private, unprivileged, chroot (one of y n -), wakeup
 *           (digits or "-", optionally followed by '?'; a lone "?" passes
 *           too) or process_limit (digits or "-"); checked in that order,
 *           the first problem of an entry is reported
 *   ENTRY is the whole logical line (continuations joined as read).
 *   warning "PATH: logical line must not start with whitespace: \"TEXT\""
 *           code "mastercf-leading-whitespace" (as for main.cf)
 *   warning "master.cf: missing '}' in \"WORD\""  /  "master.cf: syntax error
 *           after '}' in \"WORD\"" code "mastercf-braces" (the literal
 *           "master.cf", as Postfix prints it; argv gets the text as if the
 *           brace were there / as if the trailing text were not)
 *   warning "master.cf: missing '=' after attribute name: \"TEXT\"" and
 *           "master.cf: missing attribute name: \"TEXT\"" code
 *           "mastercf-override-syntax" for "-o {TEXT}" (TEXT kept in argv)
 * An entry with a fatal problem is not added to svcs; parsing goes on.
 * Returns 0 or -1 on a fatal problem (*out still set, as for main.cf).
 */
int cfg_mastercf_parse(const char *path, const char *data, size_t len, struct cfg_mastercf **out,
                       struct cfg_diags *diags);
/* cfg_mastercf_load - read and parse; -1 with "open PATH: ERR" when unreadable (*out NULL) */
int cfg_mastercf_load(const char *path, struct cfg_mastercf **out, struct cfg_diags *diags);
/* cfg_mastercf_free - free a document; NULL is a no-op */
void cfg_mastercf_free(struct cfg_mastercf *doc);
/* cfg_mastercf_find - the first entry with this service name and type, or NULL */
const struct cfg_service *cfg_mastercf_find(const struct cfg_mastercf *doc, const char *name,
                                            const char *type);
/* cfg_mastercf_render - append the document's bytes to out (see cfg_maincf_render) */
void cfg_mastercf_render(const struct cfg_mastercf *doc, struct cfg_buf *out);
/* cfg_service_override - the value of the last "-o name=..." of svc, or NULL (borrowed) */
const char *cfg_service_override(const struct cfg_service *svc, const char *name);

#endif
