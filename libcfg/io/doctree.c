/*
 * doctree.c - YAML (libyaml) and JSON documents as a plain positioned tree
 *
 * libyaml's event parser is used, not its loader: the loader would build
 * aliases into shared nodes and keep the tags we want to refuse.  Events
 * are turned into nodes by a small recursive reader whose depth is bounded.
 * JSON is first checked by Jansson (cfg_json_parse: strict syntax,
 * duplicate keys) and then read by the same YAML reader for positions; if
 * libyaml disagrees with a document Jansson accepted, the Jansson tree is
 * converted instead (without positions), so valid JSON is never refused.
 */
#include "config.h"

#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <yaml.h>

#include "cfg/base/buf.h"
#include "cfg/io/doctree.h"
#include "cfg/base/htab.h"
#include "cfg/io/json.h"
#include "cfg/base/xalloc.h"

struct reader {
	yaml_parser_t p;
	const char *text;
	size_t len;
	const char *source;
	struct cfg_diags *diags;
	size_t nodes;
};

/* node_new - a node of kind at a libyaml mark */
static struct cfg_doc_node *node_new(enum cfg_doc_kind kind, const yaml_mark_t *m)
{
	struct cfg_doc_node *n = cfg_xcalloc(1, sizeof(*n));

	n->kind = kind;
	if (m != NULL) {
		n->line = (unsigned)m->line + 1;
		n->col = (unsigned)m->column + 1;
	}
	return n;
}

/* node_free - free a node and everything below it */
static void node_free(struct cfg_doc_node *n)
{
	if (n == NULL)
		return;
	for (size_t i = 0; i < n->n; i++) {
		node_free(n->items[i]);
		if (n->keys != NULL)
			node_free(n->keys[i]);
	}
	free(n->items);
	free(n->keys);
	free(n->text);
	free(n);
}

/* node_add - append item (and key, for a mapping) to n */
static void node_add(struct cfg_doc_node *n, struct cfg_doc_node *key, struct cfg_doc_node *item)
{
	if ((n->n & (n->n - 1)) == 0) { /* grow at 0, 1, 2, 4, 8... */
		size_t cap = n->n ? n->n * 2 : 1;

		n->items = cfg_xrealloc(n->items, cap * sizeof(*n->items));
		if (n->kind == CFG_DOC_MAP)
			n->keys = cfg_xrealloc(n->keys, cap * sizeof(*n->keys));
	}
	if (n->kind == CFG_DOC_MAP)
		n->keys[n->n] = key;
	n->items[n->n++] = item;
}

/* position - 1-based line and column of byte offset off in the text */
static void position(const struct reader *r, size_t off, unsigned *line, unsigned *col)
{
	*line = 1;
	*col = 1;
	for (size_t i = 0; i < off && i < r->len; i++) {
		if (r->text[i] == '\n') {
			(*line)++;
			*col = 1;
		} else if (((unsigned char)r->text[i] & 0xc0) != 0x80) {
			(*col)++;
		}
	}
}

/* fail_at - an error at a libyaml mark (NULL: no position) */
static struct cfg_diag *fail_at(struct reader *r, const char *code, const yaml_mark_t *m,
                                const char *fmt, ...) __attribute__((format(printf, 4, 5)));
static struct cfg_diag *fail_at(struct reader *r, const char *code, const yaml_mark_t *m,
                                const char *fmt, ...)
{
	unsigned line = m ? (unsigned)m->line + 1 : 0, col = m ? (unsigned)m->column + 1 : 0;
	struct cfg_buf b;
	struct cfg_diag *d;
	va_list ap;

	cfg_buf_init(&b);
	va_start(ap, fmt);
	cfg_buf_vprintf(&b, fmt, ap);
	va_end(ap);
	d = cfg_diags_add(r->diags, CFG_SEV_ERROR, code, r->source, line, col, "%s", b.data);
	cfg_buf_fini(&b);
	return d;
}

/* syntax_error - report libyaml's problem after a failed parse call */
static void syntax_error(struct reader *r)
{
	struct cfg_buf b;
	unsigned line, col;

	cfg_buf_init(&b);
	cfg_buf_adds(&b, r->p.problem ? r->p.problem : "malformed document");
	if (r->p.error == YAML_READER_ERROR) {
		/* bad encoding or a raw control character: libyaml gives a byte offset */
		position(r, r->p.problem_offset, &line, &col);
		if (strstr(b.data, "control") != NULL)
			cfg_buf_adds(&b, " (write them as \\uXXXX in a double-quoted string)");
		else
			cfg_buf_adds(&b, " (the document must be UTF-8 text)");
	} else {
		line = (unsigned)r->p.problem_mark.line + 1;
		col = (unsigned)r->p.problem_mark.column + 1;
		if (r->p.context != NULL)
			cfg_buf_printf(&b, " %s started at line %u, column %u", r->p.context,
			               (unsigned)r->p.context_mark.line + 1,
			               (unsigned)r->p.context_mark.column + 1);
	}
	cfg_diags_add(r->diags, CFG_SEV_ERROR, "doc-syntax", r->source, line, col, "%s", b.data);
	cfg_buf_fini(&b);
}

/* next - the next event; -1 after reporting a syntax error */
static int next(struct reader *r, yaml_event_t *ev)
{
	if (!yaml_parser_parse(&r->p, ev)) {
		syntax_error(r);
		return -1;
	}
	return 0;
}

/* tag_ok - 1 when a tag only says what the node is anyway; else report it */
static int tag_ok(struct reader *r, const yaml_char_t *tag, const char *same, const yaml_mark_t *m)
{
	static const char core[] = "tag:yaml.org,2002:";
	const char *t = (const char *)tag;
	struct cfg_buf b;

	if (t == NULL || strcmp(t, "!") == 0 || strcmp(t, same) == 0)
		return 1;
	cfg_buf_init(&b);
	if (strncmp(t, core, sizeof(core) - 1) == 0)
		cfg_buf_printf(&b, "!!%s", t + sizeof(core) - 1);
	else
		cfg_buf_adds(&b, t);
	fail_at(r, "doc-tag", m,
	        "tag %s is not supported: values are typed by their parameter (only !!str may be "
	        "written)",
	        b.data);
	cfg_buf_fini(&b);
	return 0;
}

static struct cfg_doc_node *read_node(struct reader *r, yaml_event_t *ev, unsigned depth);

/* read_seq - the items of a sequence up to its end event */
static int read_seq(struct reader *r, struct cfg_doc_node *seq, unsigned depth)
{
	for (;;) {
		yaml_event_t ev;
		struct cfg_doc_node *item;

		if (next(r, &ev) < 0)
			return -1;
		if (ev.type == YAML_SEQUENCE_END_EVENT) {
			yaml_event_delete(&ev);
			return 0;
		}
		if ((item = read_node(r, &ev, depth + 1)) == NULL)
			return -1;
		node_add(seq, NULL, item);
	}
}

/* read_map - the pairs of a mapping up to its end event; keys are unique scalars */
static int read_map(struct reader *r, struct cfg_doc_node *map, unsigned depth)
{
	struct cfg_htab *seen = cfg_htab_new(16);
	int rc = -1;

	for (;;) {
		yaml_event_t ev;
		struct cfg_doc_node *key, *val, *first;

		if (next(r, &ev) < 0)
			break;
		if (ev.type == YAML_MAPPING_END_EVENT) {
			yaml_event_delete(&ev);
			rc = 0;
			break;
		}
		if (ev.type != YAML_SCALAR_EVENT && ev.type != YAML_ALIAS_EVENT) {
			fail_at(r, "doc-key", &ev.start_mark, "%s",
			        "a mapping key must be a plain word or a string, not a list or "
			        "mapping");
			yaml_event_delete(&ev);
			break;
		}
		if ((key = read_node(r, &ev, depth + 1)) == NULL)
			break;
		if (key->plain && strcmp(key->text, "<<") == 0) {
			cfg_diags_add(r->diags, CFG_SEV_ERROR, "doc-alias", r->source, key->line,
			              key->col,
			              "merge keys (<<) are not supported: write every setting out");
			node_free(key);
			break;
		}
		if (strlen(key->text) != key->len) {
			cfg_diags_add(r->diags, CFG_SEV_ERROR, "doc-key", r->source, key->line,
			              key->col, "a mapping key must not contain a NUL character");
			node_free(key);
			break;
		}
		if ((first = cfg_htab_get(seen, key->text)) != NULL) {
			cfg_diags_add(r->diags, CFG_SEV_ERROR, "doc-key", r->source, key->line,
			              key->col,
			              "duplicate key \"%s\" (first given at line %u, column %u)",
			              key->text, first->line, first->col);
			node_free(key);
			break;
		}
		cfg_htab_put(seen, key->text, key);
		if (next(r, &ev) < 0 || (val = read_node(r, &ev, depth + 1)) == NULL) {
			node_free(key);
			break;
		}
		node_add(map, key, val);
	}
	cfg_htab_free(seen, NULL);
	return rc;
}

/* read_node - the node that starts with ev (consumed); NULL after an error */
static struct cfg_doc_node *read_node(struct reader *r, yaml_event_t *ev, unsigned depth)
{
	struct cfg_doc_node *n = NULL;
	int ok = 0;

	if (depth > CFG_DOC_MAX_DEPTH) {
		cfg_diags_add(r->diags, CFG_SEV_ERROR, "doc-limit", r->source,
		              (unsigned)ev->start_mark.line + 1,
		              (unsigned)ev->start_mark.column + 1, "nesting deeper than %u levels",
		              CFG_DOC_MAX_DEPTH);
		goto out;
	}
	if (++r->nodes > CFG_DOC_MAX_NODES) {
		cfg_diags_add(r->diags, CFG_SEV_ERROR, "doc-limit", r->source,
		              (unsigned)ev->start_mark.line + 1,
		              (unsigned)ev->start_mark.column + 1,
		              "more than %u values in the document", CFG_DOC_MAX_NODES);
		goto out;
	}
	switch (ev->type) {
	case YAML_ALIAS_EVENT:
		fail_at(r, "doc-alias", &ev->start_mark,
		        "alias *%s: aliases are not supported, write the value out",
		        (const char *)ev->data.alias.anchor);
		break;
	case YAML_SCALAR_EVENT:
		if (!tag_ok(r, ev->data.scalar.tag, "tag:yaml.org,2002:str", &ev->start_mark))
			break;
		n = node_new(CFG_DOC_SCALAR, &ev->start_mark);
		n->len = ev->data.scalar.length;
		n->text = cfg_xmalloc(n->len + 1);
		memcpy(n->text, ev->data.scalar.value, n->len);
		n->text[n->len] = 0;
		n->plain =
		    ev->data.scalar.style == YAML_PLAIN_SCALAR_STYLE && ev->data.scalar.tag == NULL;
		ok = 1;
		break;
	case YAML_SEQUENCE_START_EVENT:
		if (!tag_ok(r, ev->data.sequence_start.tag, "tag:yaml.org,2002:seq",
		            &ev->start_mark))
			break;
		n = node_new(CFG_DOC_SEQ, &ev->start_mark);
		ok = read_seq(r, n, depth) == 0;
		break;
	case YAML_MAPPING_START_EVENT:
		if (!tag_ok(r, ev->data.mapping_start.tag, "tag:yaml.org,2002:map",
		            &ev->start_mark))
			break;
		n = node_new(CFG_DOC_MAP, &ev->start_mark);
		ok = read_map(r, n, depth) == 0;
		break;
	default:
		fail_at(r, "doc-syntax", &ev->start_mark, "%s", "unexpected YAML event");
		break;
	}
out:
	yaml_event_delete(ev);
	if (!ok) {
		node_free(n);
		return NULL;
	}
	return n;
}

/* read_yaml - the one document of a YAML stream; 0 or -1 */
static int read_yaml(struct reader *r, struct cfg_doc *doc)
{
	yaml_event_t ev;
	int docs = 0;

	for (;;) {
		if (next(r, &ev) < 0)
			return -1;
		switch (ev.type) {
		case YAML_STREAM_END_EVENT:
			yaml_event_delete(&ev);
			return 0;
		case YAML_DOCUMENT_START_EVENT:
			if (docs++ > 0) {
				fail_at(r, "doc-multi", &ev.start_mark, "%s",
				        "more than one document: give one document per import");
				yaml_event_delete(&ev);
				return -1;
			}
			yaml_event_delete(&ev);
			if (next(r, &ev) < 0)
				return -1;
			if ((doc->root = read_node(r, &ev, 1)) == NULL)
				return -1;
			break;
		default: /* stream start, document end */
			yaml_event_delete(&ev);
			break;
		}
	}
}

/* parse_yaml - run the YAML reader over text; quiet: keep errors to itself */
static int parse_yaml(const char *text, size_t len, const char *source, struct cfg_doc *doc,
                      struct cfg_diags *diags)
{
	struct reader r = {.text = text, .len = len, .source = source, .diags = diags};
	int rc;

	if (!yaml_parser_initialize(&r.p))
		abort();
	yaml_parser_set_input_string(&r.p, (const unsigned char *)text, len);
	yaml_parser_set_encoding(&r.p, YAML_UTF8_ENCODING);
	rc = read_yaml(&r, doc);
	yaml_parser_delete(&r.p);
	if (rc < 0) {
		node_free(doc->root);
		doc->root = NULL;
	}
	return rc;
}

/* from_json - a node tree from a Jansson-parsed value (no positions) */
static struct cfg_doc_node *from_json(const struct cfg_json *j)
{
	struct cfg_doc_node *n;
	struct cfg_buf b;

	switch (cfg_json_typeof(j)) {
	case CFG_JSON_OBJECT: {
		size_t pos = 0;
		const char *key;
		struct cfg_json *val;

		n = node_new(CFG_DOC_MAP, NULL);
		while (cfg_json_object_next(j, &pos, &key, &val)) {
			struct cfg_doc_node *k = node_new(CFG_DOC_SCALAR, NULL);

			k->text = cfg_xstrdup(key);
			k->len = strlen(key);
			node_add(n, k, from_json(val));
		}
		return n;
	}
	case CFG_JSON_ARRAY:
		n = node_new(CFG_DOC_SEQ, NULL);
		for (size_t i = 0; i < cfg_json_size(j); i++)
			node_add(n, NULL, from_json(cfg_json_array_get(j, i)));
		return n;
	case CFG_JSON_STRING:
		n = node_new(CFG_DOC_SCALAR, NULL);
		n->text = cfg_xstrdup(cfg_json_string_value(j));
		n->len = strlen(n->text);
		return n;
	default:
		/* literals: the compact serialisation is the JSON text of the value */
		n = node_new(CFG_DOC_SCALAR, NULL);
		cfg_buf_init(&b);
		cfg_json_dump(j, CFG_JSON_COMPACT, &b);
		n->len = b.len;
		n->text = cfg_buf_take(&b);
		n->plain = 1;
		return n;
	}
}

/* looks_json - 1 when the first significant character opens a JSON object or array */
static int looks_json(const char *text, size_t len)
{
	size_t i = 0;

	while (i < len && strchr(" \t\r\n", text[i]) != NULL && text[i] != 0)
		i++;
	return i < len && (text[i] == '{' || text[i] == '[');
}

/* copy_diag - append a copy of d */
static void copy_diag(struct cfg_diags *ds, const struct cfg_diag *d)
{
	cfg_diags_add(ds, d->sev, d->code, d->file, d->line, d->col, "%s", d->msg);
}

/* parse_json - Jansson for the verdict, the YAML reader for positions */
static int parse_json(const char *text, size_t len, const char *source, struct cfg_doc *doc,
                      struct cfg_diags *diags)
{
	struct cfg_diags tmp;
	struct cfg_json *j;

	cfg_diags_init(&tmp);
	j = cfg_json_parse(text, len, source, &tmp);
	if (j == NULL) {
		for (size_t i = 0; i < tmp.n; i++) {
			const struct cfg_diag *d = &tmp.v[i];

			cfg_diags_add(diags, CFG_SEV_ERROR, "doc-syntax", source, d->line, d->col,
			              "JSON: %s", d->msg);
		}
		cfg_diags_fini(&tmp);
		return -1;
	}
	cfg_diags_clear(&tmp);
	doc->json = 1;
	if (parse_yaml(text, len, source, doc, &tmp) < 0) {
		/* the limits hold for JSON too; anything else libyaml disliked is its own quirk */
		for (size_t i = 0; i < tmp.n; i++) {
			if (strcmp(tmp.v[i].code, "doc-limit") == 0) {
				copy_diag(diags, &tmp.v[i]);
				cfg_diags_fini(&tmp);
				cfg_json_free(j);
				return -1;
			}
		}
		doc->root = from_json(j);
	}
	cfg_diags_fini(&tmp);
	cfg_json_free(j);
	return 0;
}

/* cfg_doc_parse - read a YAML or JSON document */
int cfg_doc_parse(const char *text, size_t len, const char *source, struct cfg_doc **out,
                  struct cfg_diags *diags)
{
	struct cfg_doc *doc = cfg_xcalloc(1, sizeof(*doc));
	int rc;

	*out = NULL;
	if (len > CFG_DOC_MAX_BYTES) {
		cfg_diags_add(diags, CFG_SEV_ERROR, "doc-limit", source, 0, 0,
		              "document is %zu bytes, more than the limit of %u bytes", len,
		              CFG_DOC_MAX_BYTES);
		free(doc);
		return -1;
	}
	if (len >= 3 && memcmp(text, "\xef\xbb\xbf", 3) == 0) {
		text += 3; /* a byte order mark says UTF-8, which is what we read anyway */
		len -= 3;
	}
	if (looks_json(text, len))
		rc = parse_json(text, len, source, doc, diags);
	else
		rc = parse_yaml(text, len, source, doc, diags);
	if (rc < 0) {
		cfg_doc_free(doc);
		return -1;
	}
	*out = doc;
	return 0;
}

/* cfg_doc_free - free a document */
void cfg_doc_free(struct cfg_doc *doc)
{
	if (doc == NULL)
		return;
	node_free(doc->root);
	free(doc);
}

/* cfg_doc_get - the value of key in mapping m */
const struct cfg_doc_node *cfg_doc_get(const struct cfg_doc_node *m, const char *key)
{
	if (m == NULL || m->kind != CFG_DOC_MAP)
		return NULL;
	for (size_t i = 0; i < m->n; i++)
		if (strcmp(m->keys[i]->text, key) == 0)
			return m->items[i];
	return NULL;
}

/* cfg_doc_is_null - JSON null, YAML plain ~/null */
int cfg_doc_is_null(const struct cfg_doc *doc, const struct cfg_doc_node *n)
{
	if (n == NULL || n->kind != CFG_DOC_SCALAR || !n->plain)
		return 0;
	if (doc->json)
		return strcmp(n->text, "null") == 0;
	return strcmp(n->text, "~") == 0 || strcmp(n->text, "null") == 0
	       || strcmp(n->text, "Null") == 0 || strcmp(n->text, "NULL") == 0;
}

/* cfg_doc_bool - 1/0 for a boolean literal, else -1 */
int cfg_doc_bool(const struct cfg_doc *doc, const struct cfg_doc_node *n)
{
	if (n == NULL || n->kind != CFG_DOC_SCALAR || !n->plain)
		return -1;
	if (doc->json)
		return strcmp(n->text, "true") == 0 ? 1 : strcmp(n->text, "false") == 0 ? 0 : -1;
	if (strcmp(n->text, "true") == 0 || strcmp(n->text, "True") == 0
	    || strcmp(n->text, "TRUE") == 0)
		return 1;
	if (strcmp(n->text, "false") == 0 || strcmp(n->text, "False") == 0
	    || strcmp(n->text, "FALSE") == 0)
		return 0;
	return -1;
}

/* cfg_doc_is_number - a JSON number literal */
int cfg_doc_is_number(const struct cfg_doc *doc, const struct cfg_doc_node *n)
{
	return doc->json && n != NULL && n->kind == CFG_DOC_SCALAR && n->plain
	       && cfg_doc_bool(doc, n) < 0 && !cfg_doc_is_null(doc, n);
}

/* cfg_doc_describe - what a node is, for messages */
const char *cfg_doc_describe(const struct cfg_doc *doc, const struct cfg_doc_node *n)
{
	if (n == NULL)
		return "nothing";
	if (n->kind == CFG_DOC_SEQ)
		return "a list";
	if (n->kind == CFG_DOC_MAP)
		return "a mapping";
	if (cfg_doc_is_null(doc, n))
		return "null";
	if (doc->json && cfg_doc_bool(doc, n) >= 0)
		return "a boolean";
	if (cfg_doc_is_number(doc, n))
		return "a number";
	return "a string";
}
