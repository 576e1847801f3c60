/*
 * mastercf.h - master.cf as a document
 *
 * Like maincf.h: the exact bytes plus a structured list of service entries.
 * Fields are kept as written ("-" stays "-"); resolving defaults is the
 * caller's business (cfg_config / the master daemon).
 */
#ifndef CFG_MASTERCF_H
#define CFG_MASTERCF_H

#include <stddef.h>

#include "cfg/buf.h"
#include "cfg/diag.h"
#include "cfg/strvec.h"

enum cfg_master_field {
	CFG_MF_SERVICE = 0,
	CFG_MF_TYPE,
	CFG_MF_PRIVATE,
	CFG_MF_UNPRIV,
	CFG_MF_CHROOT,
	CFG_MF_WAKEUP,
	CFG_MF_MAXPROC,
	CFG_MF_COMMAND,  /* the command and all its arguments */
	CFG_MF_COUNT
};

struct cfg_master_override {
	char *name;  /* parameter name from "-o name=value" or "-o { name = value }" */
	char *value; /* value with the long form's surrounding whitespace removed */
};

struct cfg_service {
	char *field[CFG_MF_COMMAND]; /* the first seven fields, as written */
	struct cfg_strvec argv;       /* command word and arguments; "{ a b }" groups kept as one word, braces stripped */
	struct cfg_master_override *ovr; /* the -o overrides in order */
	size_t novr;
	unsigned line;  /* first physical line */
	unsigned last;  /* last physical line */
	size_t start;   /* byte range in text, as in cfg_maincf_entry */
	size_t end;
};

struct cfg_mastercf {
	char *path;
	struct cfg_buf text;
	struct cfg_service *svcs; /* in file order, duplicates included */
	size_t nsvcs;
};

/*
 * cfg_mastercf_parse - build a document.  Errors use Postfix's wording:
 *   fatal "file PATH: line N: bad field count"
 *   fatal "invalid type field \"TYPE\" in \"ENTRY\""
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
/* cfg_master_field_name - "service", "type", "private", "unprivileged", "chroot", "wakeup", "process_limit", "command" */
const char *cfg_master_field_name(enum cfg_master_field f);

#endif
