/* maincf.c - main.cf as a document (see cfg/maincf.h) */
#include "config.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "cfg/base/fileio.h"
#include "cfg/base/lines.h"
#include "cfg/doc/maincf.h"
#include "cfg/base/xalloc.h"
#include "parse_common.h"

/* idx_get - (index + 1) stored under name in byname, 0 when absent */
static size_t idx_get(const struct cfg_htab *h, const char *name)
{
	return (size_t)(uintptr_t)cfg_htab_get(h, name);
}

/* add_entry - append an entry for a split logical line; returns its index */
static size_t add_entry(struct cfg_maincf *doc, size_t *cap, const struct cfg_lline *ll,
                        const char *s, size_t no, size_t nl, size_t vo, size_t vl)
{
	struct cfg_maincf_entry *e;
	char *p;

	if (doc->nents == *cap) {
		*cap = *cap ? *cap * 2 : 64;
		doc->ents = cfg_xreallocarray(doc->ents, *cap, sizeof(*doc->ents));
	}
	e = &doc->ents[doc->nents];
	/* "name\0value\0" in the document's string arena */
	p = cfgp_arena_alloc(doc->strings, nl + vl + 2);
	memcpy(p, s + no, nl);
	p[nl] = 0;
	memcpy(p + nl + 1, s + vo, vl);
	p[nl + 1 + vl] = 0;
	e->name = p;
	e->value = p + nl + 1;
	e->line = ll->first;
	e->last = ll->last;
	e->start = ll->start;
	e->end = ll->end;
	e->prev = 0;
	return doc->nents++;
}

/* count_lines - physical lines in text, an upper bound for the entry count */
static size_t count_lines(const struct cfg_buf *text)
{
	size_t n = 1;

	for (const char *p = text->data, *end = p + text->len;
	     (p = memchr(p, '\n', (size_t)(end - p))) != NULL; p++)
		n++;
	return n;
}

/* reread_duplicates - the warnings Postfix adds when it reads main.cf again */
static void reread_duplicates(const struct cfg_maincf *doc, struct cfg_diags *diags)
{
	for (size_t i = 0; i < doc->nents; i++) {
		const struct cfg_maincf_entry *first = &doc->ents[i], *last;
		size_t li;

		if (first->prev != 0)
			continue;
		li = idx_get(doc->byname, first->name);
		if (li == i + 1)
			continue;
		last = &doc->ents[li - 1];
		if (strcmp(first->value, last->value) != 0)
			cfgp_diag(diags, CFG_SEV_WARNING, "maincf-duplicate", doc->path,
			          first->line, first->name,
			          "%s, line %u: overriding earlier entry: %s=%s", doc->path,
			          first->line, first->name, last->value);
	}
}

/* new_doc - an empty document for path */
static struct cfg_maincf *new_doc(const char *path)
{
	struct cfg_maincf *doc = cfg_xcalloc(1, sizeof(*doc));

	doc->path = cfg_xstrdup(path ? path : "");
	cfg_buf_init(&doc->text);
	doc->strings = cfg_xcalloc(1, sizeof(*doc->strings));
	return doc;
}

/* parse_text - index doc->text; 0 or -1 after a fatal diagnostic */
static int parse_text(struct cfg_maincf *doc, struct cfg_diags *diags)
{
	struct cfg_lines lr;
	struct cfg_lline ll;
	size_t cap = count_lines(&doc->text);
	int rc = 0;

	doc->ents = cfg_xreallocarray(NULL, cap, sizeof(*doc->ents));
	/* names live in the document's arena as long as the table */
	doc->byname = cfg_htab_new_borrowed(cap);
	cfg_lines_init(&lr, doc->text.data, doc->text.len);
	cfg_lline_init(&ll);
	for (;;) {
		int more = cfg_lines_next(&lr, &ll);
		const char *s = ll.text.data, *err;
		size_t no, nl, vo, vl, i, prev;

		if (ll.orphan_line)
			cfgp_orphan_warning(diags, "maincf-leading-whitespace", doc->path, &ll);
		if (!more)
			break;
		/* s is cut at its first NUL, as Postfix sees it */
		if ((err = cfgp_split_nameval(s, &no, &nl, &vo, &vl)) != NULL) {
			int noname = strcmp(err, "missing attribute name") == 0;

			cfgp_diag(diags, CFG_SEV_FATAL,
			          noname ? "maincf-missing-name" : "maincf-missing-equals",
			          doc->path, ll.first, NULL, "%s, line %u: %s: \"%s\"", doc->path,
			          ll.first, err, s);
			rc = -1;
			continue;
		}
		i = add_entry(doc, &cap, &ll, s, no, nl, vo, vl);
		/* one probe: put returns the previous definition's (index + 1) */
		prev = (size_t)(uintptr_t)cfg_htab_put(doc->byname, doc->ents[i].name,
		                                       (void *)(uintptr_t)(i + 1));
		if (prev) {
			const struct cfg_maincf_entry *p = &doc->ents[prev - 1], *e = &doc->ents[i];

			doc->ents[i].prev = prev;
			if (strcmp(p->value, e->value) != 0)
				cfgp_diag(diags, CFG_SEV_WARNING, "maincf-duplicate", doc->path,
				          e->line, e->name,
				          "%s, line %u: overriding earlier entry: %s=%s", doc->path,
				          e->line, e->name, p->value);
		}
	}
	cfg_lline_fini(&ll);
	if (rc == 0)
		reread_duplicates(doc, diags);
	return rc;
}

/* cfg_maincf_parse - build a document from data[0..len) */
int cfg_maincf_parse(const char *path, const char *data, size_t len, struct cfg_maincf **out,
                     struct cfg_diags *diags)
{
	struct cfg_maincf *doc = new_doc(path);

	cfg_buf_add(&doc->text, data, len);
	*out = doc;
	return parse_text(doc, diags);
}

/* cfg_maincf_load - read path and parse it (the bytes are read straight into the document) */
int cfg_maincf_load(const char *path, struct cfg_maincf **out, struct cfg_diags *diags)
{
	struct cfg_maincf *doc = new_doc(path);

	*out = NULL;
	if (cfg_file_read(path, &doc->text, diags) < 0) {
		cfg_maincf_free(doc);
		return -1;
	}
	*out = doc;
	return parse_text(doc, diags);
}

/* cfg_maincf_free - free a document */
void cfg_maincf_free(struct cfg_maincf *doc)
{
	if (doc == NULL)
		return;
	cfgp_arena_free(doc->strings);
	free(doc->ents);
	cfg_htab_free(doc->byname, NULL);
	cfg_buf_fini(&doc->text);
	free(doc->path);
	free(doc);
}

/* cfg_maincf_get - the last definition of name */
const struct cfg_maincf_entry *cfg_maincf_get(const struct cfg_maincf *doc, const char *name)
{
	size_t i = idx_get(doc->byname, name);

	return i ? &doc->ents[i - 1] : NULL;
}

/* cfg_maincf_value - the value of the last definition of name */
const char *cfg_maincf_value(const struct cfg_maincf *doc, const char *name)
{
	const struct cfg_maincf_entry *e = cfg_maincf_get(doc, name);

	return e ? e->value : NULL;
}

/* cfg_maincf_render - append the document's bytes */
void cfg_maincf_render(const struct cfg_maincf *doc, struct cfg_buf *out)
{
	cfg_buf_add(out, doc->text.data, doc->text.len);
}
