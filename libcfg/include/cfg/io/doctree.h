/*
 * doctree.h - a YAML or JSON document read into a plain tree with positions
 *
 * postconf --import reads settings written by people and by programs.  The
 * reader keeps what the text says and nothing more: a scalar is its text
 * and whether it was quoted; no YAML 1.1 implicit typing is applied, so
 * "no", "on", "1h", "0777" and "012" reach the caller as written and the
 * caller decides what they mean from the parameter's type.
 *
 * The format is detected from the content: a document whose first
 * significant character is '{' or '[' is JSON (strict syntax checked by
 * Jansson, errors with line:column); anything else is YAML, read with
 * libyaml.  Both become the same tree; every node carries the 1-based line
 * and column where it starts.
 *
 * Refused with a message (code in parentheses), never guessed:
 *  - syntax errors, with line:column                        ("doc-syntax")
 *  - more than one document in the stream                   ("doc-multi")
 *  - aliases (*name) and merge keys (<<): anchors are harmless and ignored,
 *    but a document that re-uses a node must be written out ("doc-alias")
 *  - tags other than !!str and "!" (which just mean string)  ("doc-tag")
 *  - mapping keys that are not scalars, duplicate keys       ("doc-key")
 *  - input over CFG_DOC_MAX_BYTES, nesting deeper than CFG_DOC_MAX_DEPTH,
 *    more than CFG_DOC_MAX_NODES nodes                       ("doc-limit")
 *  - text that is not valid UTF-8                            ("doc-syntax")
 * Diagnostics are CFG_SEV_ERROR with file = source, line and col set.
 */
#ifndef CFG_DOCTREE_H
#define CFG_DOCTREE_H

#include <stddef.h>

#include "cfg/base/diag.h"

#define CFG_DOC_MAX_BYTES (16u * 1024u * 1024u)
#define CFG_DOC_MAX_DEPTH 32u
#define CFG_DOC_MAX_NODES 2000000u

enum cfg_doc_kind {
	CFG_DOC_SCALAR,
	CFG_DOC_SEQ,
	CFG_DOC_MAP,
};

struct cfg_doc_node {
	enum cfg_doc_kind kind;
	unsigned line, col; /* 1-based start position; 0 when unknown */
	/* scalars */
	char *text; /* NUL-terminated; may contain NUL bytes (len counts them) */
	size_t len;
	int plain; /* 1: written without quotes and without a tag */
	/* sequences: items[0..n); mappings: keys[i] -> items[i], in document order */
	struct cfg_doc_node **items;
	struct cfg_doc_node **keys;
	size_t n;
};

struct cfg_doc {
	struct cfg_doc_node *root; /* NULL for an empty document */
	int json;                  /* 1: the text was JSON, plain scalars are JSON literals */
};

/*
 * cfg_doc_parse - read text[0..len) (YAML or JSON, see above).  source
 * names the input in diagnostics.  Returns 0 and a new document in *out,
 * or -1 (*out NULL) after appending an error.
 */
int cfg_doc_parse(const char *text, size_t len, const char *source, struct cfg_doc **out,
                  struct cfg_diags *diags);
/* cfg_doc_free - free a document; NULL is a no-op */
void cfg_doc_free(struct cfg_doc *doc);
/* cfg_doc_get - the value of key in mapping node m (borrowed), or NULL */
const struct cfg_doc_node *cfg_doc_get(const struct cfg_doc_node *m, const char *key);
/* cfg_doc_describe - "a string", "a list", "a mapping", "null"...: what a node is, for messages */
const char *cfg_doc_describe(const struct cfg_doc *doc, const struct cfg_doc_node *n);
/* cfg_doc_is_null - 1 for a JSON null or a YAML plain ~, null, Null or NULL */
int cfg_doc_is_null(const struct cfg_doc *doc, const struct cfg_doc_node *n);
/*
 * cfg_doc_bool - for a JSON true/false or a YAML plain true/false (any
 * case): 1 or 0; -1 for anything else
 */
int cfg_doc_bool(const struct cfg_doc *doc, const struct cfg_doc_node *n);
/* cfg_doc_is_number - 1 for a JSON number (YAML has no numbers here: plain text is text) */
int cfg_doc_is_number(const struct cfg_doc *doc, const struct cfg_doc_node *n);

#endif
