/*
 * import_int.h - the document model shared by import_read.c (document ->
 * settings, the schema's rules) and import.c (settings -> file texts, the
 * registry's rules).  Not installed.
 */
#ifndef CFG_IMPORT_INT_H
#define CFG_IMPORT_INT_H

#include <stddef.h>

#include "cfg/base/diag.h"
#include "cfg/io/doctree.h"
#include "cfg/base/htab.h"
#include "cfg/base/strvec.h"

/* one name = value setting, with the node it came from (for positions) */
struct cfgp_imp_param {
	char *name;
	char *value;
	const struct cfg_doc_node *node;
};

struct cfgp_imp_service {
	struct cfg_strvec argv;     /* the seven fields, the command, its arguments (reconciled) */
	struct cfgp_imp_param *ovr; /* the "overrides" members, for the registry checks */
	size_t novr;
	const struct cfg_doc_node *node;
	char *label; /* "master[N] (name/type)", for messages */
};

struct cfgp_imp_model {
	struct cfg_doc *doc;
	const char *source;
	struct cfg_diags *diags;
	int has_master;
	struct cfgp_imp_param *params; /* "main", in document order */
	size_t nparams;
	struct cfgp_imp_service *svcs; /* "master", in document order */
	size_t nsvcs;
	struct cfg_htab *user_defined; /* names (values unused) */
};

/*
 * cfgp_imp_read - parse text and check it against the export schema,
 * converting values by registry type.  Every problem is reported (not only
 * the first).  Returns 0, or -1 with errors in diags (the model is then
 * partly filled; free it either way).
 */
int cfgp_imp_read(const char *text, size_t len, const char *source, struct cfgp_imp_model *m,
                  struct cfg_diags *diags);
/* cfgp_imp_model_fini - free what a model holds */
void cfgp_imp_model_fini(struct cfgp_imp_model *m);
/*
 * cfgp_imp_error - an error about node n of the model's document (fmt
 * starts with the key path, "main.name: ..."), at the node's position
 */
void cfgp_imp_error(const struct cfgp_imp_model *m, const struct cfg_doc_node *n, const char *code,
                    const char *fmt, ...) __attribute__((format(printf, 4, 5)));

#endif
