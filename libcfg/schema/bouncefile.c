/*
 * bouncefile.c - a bounce template file read over the default templates
 * (see bouncetmpl.h for the format and the diagnostics)
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "cfg/base/buf.h"
#include "cfg/base/diag.h"
#include "cfg/base/fileio.h"
#include "cfg/base/xalloc.h"
#include "cfg/schema/bouncetmpl.h"

/* reader - the file's bytes and how many lines were taken */
struct reader {
	const char *p, *end;
	unsigned line;
};

/* next_line - the next line (without its newline) in *s, *n; 0 at the end of the file */
static int next_line(struct reader *r, const char **s, size_t *n)
{
	const char *nl;

	if (r->p >= r->end)
		return 0;
	nl = memchr(r->p, '\n', (size_t)(r->end - r->p));
	*s = r->p;
	*n = nl ? (size_t)(nl - r->p) : (size_t)(r->end - r->p);
	r->p = nl ? nl + 1 : r->end;
	r->line++;
	return 1;
}

/* is_space - a blank of a line: space or tab */
static int is_space(int c)
{
	return c == ' ' || c == '\t';
}

/* trim - strip the blanks around s[0..*n), returning the new start */
static const char *trim(const char *s, size_t *n)
{
	while (*n > 0 && is_space(*s))
		s++, (*n)--;
	while (*n > 0 && is_space(s[*n - 1]))
		(*n)--;
	return s;
}

/* kind_of - the template a name in the file stands for, or -1 */
static int kind_of(const char *name)
{
	for (int k = 0; k < CFG_BOUNCE_NKINDS; k++)
		if (strcmp(cfg_bounce_template_default(k)->name, name) == 0)
			return k;
	return -1;
}

/*
 * here_doc - the lines up to one that is exactly marker, each with its
 * newline, in out.  line[0..n) is the line that opened it, marker the text
 * at offset off there.  Postfix's message about a missing end marker reads
 * the marker where it was in its line buffer, which every later line has
 * overwritten (its bytes and a NUL) by then: "<<EOF" at offset 21 followed
 * by a 21-byte line is reported as missing "" end marker.  The message
 * shows that same text.
 */
static void here_doc(struct reader *r, const char *file, const char *line, size_t n, size_t off,
                     size_t len, struct cfg_buf *out, struct cfg_diags *diags)
{
	unsigned start = r->line;
	struct cfg_buf linebuf;
	const char *s;
	size_t sn;

	cfg_buf_init(&linebuf);
	cfg_buf_add(&linebuf, line, n);
	cfg_buf_addc(&linebuf, '\0');
	while (next_line(r, &s, &sn)) {
		if (sn == len && memcmp(s, line + off, len) == 0) {
			cfg_buf_fini(&linebuf);
			return;
		}
		cfg_buf_add(out, s, sn);
		cfg_buf_addc(out, '\n');
		while (linebuf.len < sn + 1)
			cfg_buf_addc(&linebuf, '\0');
		memcpy(linebuf.data, s, sn);
		linebuf.data[sn] = '\0';
	}
	/* Postfix counts the line after the last one it read; the position is the opening line */
	cfg_diags_add(diags, CFG_SEV_WARNING, "bounce-tmpl-marker", file, start, 0,
	              "%s, line %u: missing \"%s\" end marker", file, r->line + 1,
	              linebuf.data + off);
	cfg_buf_fini(&linebuf);
}

/*
 * entry - read one "name = value" entry starting at line s[0..n): its value
 * (one line, or a here-document) into val[kind] when name is a template.
 * Returns -1 after a fatal diagnostic.
 */
static int entry(struct reader *r, const char *file, const char *s, size_t n, char **val,
                 struct cfg_diags *diags)
{
	const char *eq = memchr(s, '=', n), *name, *v;
	size_t nn, vn;
	struct cfg_buf value;
	char *key;
	int k;
	unsigned start = r->line;

	if (eq == NULL) {
		cfg_diags_add(diags, CFG_SEV_FATAL, "bounce-tmpl-equals", file, r->line, 0,
		              "%s, line %u: missing '=' after attribute name: \"%.*s\"", file,
		              r->line + 1, (int)n, s);
		return -1;
	}
	nn = (size_t)(eq - s);
	name = trim(s, &nn);
	vn = n - (size_t)(eq + 1 - s);
	v = trim(eq + 1, &vn);
	cfg_buf_init(&value);
	if (vn >= 2 && v[0] == '<' && v[1] == '<') {
		v += 2, vn -= 2;
		v = trim(v, &vn);
		if (vn == 0) {
			cfg_diags_add(diags, CFG_SEV_FATAL, "bounce-tmpl-marker", file, r->line, 0,
			              "%s, line %u: missing end marker after <<", file,
			              r->line + 1);
			cfg_buf_fini(&value);
			return -1;
		}
		here_doc(r, file, s, (size_t)(v - s) + vn, (size_t)(v - s), vn, &value, diags);
	} else {
		cfg_buf_add(&value, v, vn);
		cfg_buf_addc(&value, '\n');
	}
	key = cfg_xstrndup(name, nn);
	if ((k = kind_of(key)) < 0) {
		cfg_diags_add(diags, CFG_SEV_WARNING, "bounce-tmpl-name", file, start, 0,
		              "%s, line %u: unknown template name: %s -- ignoring this template",
		              file, r->line + 1, key);
		cfg_buf_fini(&value);
	} else {
		free(val[k]);
		val[k] = cfg_buf_take(&value);
	}
	free(key);
	return 0;
}

/* header_label - the length of the label when line s[0..n) is a "Label:" header, else 0 */
static size_t header_label(const char *s, size_t n)
{
	size_t i = 0, label;

	while (i < n && s[i] > ' ' && s[i] < 0x7f && s[i] != ':')
		i++;
	label = i;
	while (i < n && is_space(s[i]))
		i++;
	return label > 0 && i < n && s[i] == ':' ? label : 0;
}

/* non_ascii - does s[0..n) hold a byte outside ASCII */
static int non_ascii(const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if ((unsigned char)s[i] >= 0x80)
			return 1;
	return 0;
}

/* warn - a header problem ("unknown", "label"): Postfix ignores the template */
static int warn(struct cfg_diags *diags, const char *file, enum cfg_bounce_kind k, const char *what,
                const char *part, const char *label, size_t n)
{
	cfg_diags_add(diags, CFG_SEV_WARNING, "bounce-tmpl-header", file, 0, 0,
	              "%s: %s \"%.*s\" header %s in %s template -- ignoring this template", file,
	              what, (int)n, label, part, cfg_bounce_kind_name(k));
	return -1;
}

/* header - one "Label: value" line of template k into t; -1 (warned) when it is wrong */
static int header(struct cfg_bounce_template *t, enum cfg_bounce_kind k, const char *file,
                  const char *s, size_t n, size_t label, struct cfg_diags *diags)
{
	static const char *const labels[] = {"Charset", "From", "Subject", "Postmaster-Subject"};
	const char **field[] = {&t->charset, &t->from, &t->subject, &t->pm_subject};
	const char *v = (const char *)memchr(s, ':', n) + 1;
	size_t vn = n - (size_t)(v - s), i;

	for (i = 0; i < 4; i++)
		if (strlen(labels[i]) == label && strncasecmp(labels[i], s, label) == 0)
			break;
	if (i == 4)
		return warn(diags, file, k, "unknown", "label", s, label);
	if (i == 3 && (k == CFG_BOUNCE_SUCCESS || k == CFG_BOUNCE_VERIFY))
		return warn(diags, file, k, "inapplicable", "label", s, label);
	while (vn > 0 && is_space(*v))
		v++, vn--;
	if (vn == 0)
		return warn(diags, file, k, "empty", "value", s, label);
	if (non_ascii(v, vn))
		return warn(diags, file, k, "non-ASCII", "value", s, label);
	free((char *)*field[i]); /* the last of repeated headers counts */
	*field[i] = cfg_xstrndup(v, vn);
	return 0;
}

/* tmpl_free - the strings of a template read from a file */
static void tmpl_free(struct cfg_bounce_template *t)
{
	free((char *)t->charset);
	free((char *)t->from);
	free((char *)t->subject);
	free((char *)t->pm_subject);
	free((char *)t->text);
}

/*
 * parse - the headers and text of value as template k; 0 with t filled
 * (every string its own), or -1 with a warning (t left as the default).
 * Leading empty lines are skipped, then "Label: value" lines, then blank
 * lines; the text is the rest as it is.
 */
static int parse(const char *value, enum cfg_bounce_kind k, const char *file,
                 struct cfg_bounce_template *t, struct cfg_diags *diags)
{
	const struct cfg_bounce_template *d = cfg_bounce_template_default(k);
	struct cfg_bounce_template nt = {d->name, NULL, NULL, NULL, NULL, NULL};
	const char *p = value, *nl;
	size_t n, label;

	while (*p == '\n')
		p++;
	for (; *p; p = nl + 1) {
		nl = strchr(p, '\n');
		n = (size_t)(nl - p);
		if ((label = header_label(p, n)) == 0)
			break;
		if (header(&nt, k, file, p, n, label, diags) < 0)
			goto bad;
	}
	for (; *p; p = nl + 1) {
		nl = strchr(p, '\n');
		for (n = 0; p + n < nl && is_space(p[n]); n++)
			;
		if (p + n < nl)
			break;
	}
	if (*p == '\0') {
		cfg_diags_add(diags, CFG_SEV_WARNING, "bounce-tmpl-text", file, 0, 0,
		              "%s: missing message text in %s template -- ignoring this template",
		              file, cfg_bounce_kind_name(k));
		goto bad;
	}
	if (non_ascii(p, strlen(p))
	    && strcasecmp(nt.charset ? nt.charset : d->charset, "us-ascii") == 0) {
		cfg_diags_add(diags, CFG_SEV_WARNING, "bounce-tmpl-charset", file, 0, 0,
		              "%s: 8-bit message text in %s template", file,
		              cfg_bounce_kind_name(k));
		cfg_diags_add(diags, CFG_SEV_WARNING, "bounce-tmpl-charset", file, 0, 0,
		              "please specify a charset value other than us-ascii");
		cfg_diags_add(diags, CFG_SEV_WARNING, "bounce-tmpl-charset", file, 0, 0,
		              "-- ignoring this template for now");
		goto bad;
	}
	nt.text = cfg_xstrdup(p);
	if (nt.charset == NULL)
		nt.charset = cfg_xstrdup(d->charset);
	if (nt.from == NULL)
		nt.from = cfg_xstrdup(d->from);
	if (nt.subject == NULL)
		nt.subject = cfg_xstrdup(d->subject);
	if (nt.pm_subject == NULL && d->pm_subject != NULL)
		nt.pm_subject = cfg_xstrdup(d->pm_subject);
	*t = nt;
	return 0;
bad:
	tmpl_free(&nt);
	return -1;
}

/* cfg_bounce_set_init - the defaults, from nowhere but the built-in data */
void cfg_bounce_set_init(struct cfg_bounce_set *set)
{
	for (int k = 0; k < CFG_BOUNCE_NKINDS; k++) {
		set->t[k] = *cfg_bounce_template_default(k);
		set->origin[k] = "[built-in]";
	}
	set->file = NULL;
	set->owned = 0;
}

/* cfg_bounce_set_fini - free the templates a file gave */
void cfg_bounce_set_fini(struct cfg_bounce_set *set)
{
	for (int k = 0; k < CFG_BOUNCE_NKINDS; k++)
		if (set->owned & (1u << k))
			tmpl_free(&set->t[k]);
	free(set->file);
	cfg_bounce_set_init(set);
}

/* read_entries - every entry of the file's bytes; the template values in val[] */
static int read_entries(struct reader *r, const char *file, char **val, struct cfg_diags *diags)
{
	const char *s, *q;
	size_t n;

	while (next_line(r, &s, &n)) {
		for (q = s; q < s + n && is_space(*q); q++)
			;
		if (q == s + n || *q == '#')
			continue;
		if (entry(r, file, s, n, val, diags) < 0)
			return -1;
	}
	return 0;
}

/* cfg_bounce_set_load - the file's templates over the defaults (see bouncetmpl.h) */
int cfg_bounce_set_load(struct cfg_bounce_set *set, const char *path, struct cfg_diags *file_diags,
                        struct cfg_diags *tmpl_diags)
{
	struct cfg_buf data;
	struct reader r;
	char *val[CFG_BOUNCE_NKINDS] = {NULL};
	int rc = 0;

	cfg_bounce_set_fini(set);
	cfg_buf_init(&data);
	if (cfg_file_read(path, &data, file_diags) < 0) {
		file_diags->v[file_diags->n - 1].sev = CFG_SEV_FATAL;
		cfg_buf_fini(&data);
		return -1;
	}
	r.p = data.data ? data.data : "";
	r.end = r.p + data.len;
	r.line = 0;
	set->file = cfg_xstrdup(path);
	if (read_entries(&r, path, val, file_diags) < 0)
		rc = -1;
	for (int k = 0; k < CFG_BOUNCE_NKINDS; k++) {
		if (rc == 0 && val[k] && parse(val[k], k, path, &set->t[k], tmpl_diags) == 0) {
			set->owned |= 1u << k;
			set->origin[k] = set->file;
		}
		free(val[k]);
	}
	cfg_buf_fini(&data);
	return rc;
}
