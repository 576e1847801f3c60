/* mastercf.c - master.cf as a document (see cfg/mastercf.h) */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "cfg/base/fileio.h"
#include "cfg/base/lines.h"
#include "cfg/doc/mastercf.h"
#include "cfg/base/xalloc.h"
#include "parse_common.h"

/* word separators in master.cf; note: no vertical tab or form feed */
static int is_blank(int c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

/* context for one entry: where to report */
struct ent_ctx {
	struct cfg_mastercf *doc;
	struct cfg_diags *diags;
	unsigned line;
};

/* split_words - split s on blanks, never inside balanced "{...}" (Postfix's mystrtokq) */
static void split_words(const char *s, struct cfg_strvec *out)
{
	size_t i = 0;

	for (;;) {
		size_t start;
		int level = 0;

		while (s[i] && is_blank((unsigned char)s[i]))
			i++;
		if (s[i] == 0)
			return;
		for (start = i; s[i]; i++) {
			if (s[i] == '{')
				level++;
			else if (level > 0 && s[i] == '}')
				level--;
			else if (level == 0 && is_blank((unsigned char)s[i]))
				break;
		}
		cfg_strvec_addn(out, s + start, i - start);
	}
}

/* balanced_len - length of the "{...}" group at the start of s, 0 when unbalanced */
static size_t balanced_len(const char *s)
{
	int level = 1;

	for (size_t i = 1; s[i]; i++) {
		if (s[i] == '}') {
			if (--level == 0)
				return i + 1;
		} else if (s[i] == '{') {
			level++;
		}
	}
	return 0;
}

/* unbrace - the text inside the braces of w (w starts with '{'), blanks inside trimmed */
static char *unbrace(const struct ent_ctx *cx, const char *w)
{
	size_t len = balanced_len(w), n;
	const char *cp = w + 1;

	if (len == 0) {
		cfgp_diag(cx->diags, CFG_SEV_WARNING, "mastercf-braces", cx->doc->path, cx->line,
		          NULL, "master.cf: missing '}' in \"%s\"", w);
		n = strlen(cp);
	} else {
		if (w[len] != 0)
			cfgp_diag(cx->diags, CFG_SEV_WARNING, "mastercf-braces", cx->doc->path,
			          cx->line, NULL, "master.cf: syntax error after '}' in \"%s\"", w);
		n = len - 2;
	}
	while (n > 0 && cfgp_isspace((unsigned char)cp[n - 1]))
		n--;
	while (n > 0 && cfgp_isspace((unsigned char)*cp))
		cp++, n--;
	return cfg_xstrndup(cp, n);
}

/* normalize_nameval - "-o { a = b }" text as "a=b"; warns and keeps it when it does not split */
static char *normalize_nameval(const struct ent_ctx *cx, char *v)
{
	size_t no, nl, vo, vl;
	const char *err = cfgp_split_nameval(v, &no, &nl, &vo, &vl);
	char *r;

	if (err) {
		cfgp_diag(cx->diags, CFG_SEV_WARNING, "mastercf-override-syntax", cx->doc->path,
		          cx->line, NULL, "master.cf: %s: \"%s\"", err, v);
		return v;
	}
	r = cfg_xasprintf("%.*s=%.*s", (int)nl, v + no, (int)vl, v + vo);
	free(v);
	return r;
}

/* takes_value - an option word whose letter expects a value ("-" alone counts, as in Postfix) */
static int takes_value(const char *arg)
{
	return arg[1] == 'o' || arg[1] == 0;
}

/* word source for normalize_args: one pushed-back word, then the rest of words */
struct wsrc {
	const struct cfg_strvec *words;
	size_t next;
	char *pending;
};

/* wsrc_take - the next word (caller owns it), or NULL */
static char *wsrc_take(struct wsrc *ws)
{
	char *w = ws->pending;

	if (w) {
		ws->pending = NULL;
		return w;
	}
	if (ws->next < ws->words->n)
		return cfg_xstrdup(ws->words->v[ws->next++]);
	return NULL;
}

/* normalize_args - words[8..] into argv the way postconf normalises daemon arguments */
static void normalize_args(const struct ent_ctx *cx, const struct cfg_strvec *words,
                           struct cfg_strvec *argv)
{
	struct wsrc ws = {words, CFG_MF_COUNT, NULL};
	char *arg;

	/* options: "-x", "-o value", "-ovalue", "-xo value" */
	while ((arg = wsrc_take(&ws)) != NULL) {
		char *value = NULL;
		int has_value = 0;

		if (arg[0] != '-' || strcmp(arg, "--") == 0) {
			ws.pending = arg;
			break;
		}
		if (arg[1] != 0) {
			char *o = strchr(arg + 2, 'o');

			if (o) {
				ws.pending = cfg_xasprintf("-%s", o);
				*o = 0;
			}
		}
		if (!takes_value(arg)) {
			cfg_strvec_take(argv, arg);
			continue;
		}
		if (arg[1] != 0 && arg[2] != 0) {
			value = cfg_xstrdup(arg + 2);
			arg[2] = 0;
			has_value = 1;
		} else if ((value = wsrc_take(&ws)) != NULL) {
			has_value = 1;
		}
		cfg_strvec_take(argv, arg);
		if (!has_value)
			break;
		if (value[0] == '{') {
			char *inner = unbrace(cx, value);

			free(value);
			value = inner;
			if (argv->v[argv->n - 1][1] == 'o')
				value = normalize_nameval(cx, value);
		}
		cfg_strvec_take(argv, value);
	}
	/* everything else: only "{...}" words change */
	while ((arg = wsrc_take(&ws)) != NULL) {
		if (arg[0] == '{') {
			char *inner = unbrace(cx, arg);

			free(arg);
			arg = inner;
		}
		cfg_strvec_take(argv, arg);
	}
}

/* collect_overrides - the -o name=value pairs postconf -P shows */
static void collect_overrides(struct cfg_service *svc)
{
	char **v = svc->argv.v;
	size_t n = svc->argv.n, cap = 0;

	for (size_t i = 1; i < n; i++) {
		size_t no, nl, vo, vl;

		if (v[i][0] != '-' || strcmp(v[i], "--") == 0)
			break;
		if (!takes_value(v[i]) || i + 1 >= n)
			continue;
		if (strcmp(v[i], "-o") == 0 && !cfgp_split_nameval(v[i + 1], &no, &nl, &vo, &vl)) {
			struct cfg_master_override *o;

			if (svc->novr == cap) {
				cap = cap ? cap * 2 : 4;
				svc->ovr = cfg_xreallocarray(svc->ovr, cap, sizeof(*svc->ovr));
			}
			o = &svc->ovr[svc->novr++];
			o->name = cfg_xstrndup(v[i + 1] + no, nl);
			o->value = cfg_xstrndup(v[i + 1] + vo, vl);
			o->arg = i + 1;
		}
		i++;
	}
}

/* bad_flag - private/unprivileged/chroot must be one of y, n, - */
static int bad_flag(const char *f)
{
	return f[1] != 0 || (f[0] != 'y' && f[0] != 'n' && f[0] != '-');
}

/* bad_wakeup - digits or "-", optionally followed by '?' */
static int bad_wakeup(const char *f)
{
	size_t len = strlen(f);

	if (len > 0 && f[len - 1] == '?')
		len--;
	if (f[0] == '-' && len == 1)
		return 0;
	return strspn(f, "0123456789") != len;
}

/* bad_maxproc - digits or "-" */
static int bad_maxproc(const char *f)
{
	return strcmp(f, "-") != 0 && f[strspn(f, "0123456789")] != 0;
}

/* check_fields - Postfix's per-field checks; 0 or -1 with a fatal diagnostic */
static int check_fields(const struct ent_ctx *cx, char **w, const char *text)
{
	int bad = -1;

	if (cfg_service_type_find(w[CFG_MF_TYPE]) == NULL) {
		cfgp_diag(cx->diags, CFG_SEV_FATAL, "mastercf-invalid-type", cx->doc->path,
		          cx->line, NULL, "invalid type field \"%s\" in \"%s\"", w[CFG_MF_TYPE],
		          text);
		return -1;
	}
	for (int f = CFG_MF_PRIVATE; f <= CFG_MF_CHROOT && bad < 0; f++)
		if (bad_flag(w[f]))
			bad = f;
	if (bad < 0 && bad_wakeup(w[CFG_MF_WAKEUP]))
		bad = CFG_MF_WAKEUP;
	if (bad < 0 && bad_maxproc(w[CFG_MF_MAXPROC]))
		bad = CFG_MF_MAXPROC;
	if (bad < 0)
		return 0;
	cfgp_diag(cx->diags, CFG_SEV_FATAL, "mastercf-invalid-field", cx->doc->path, cx->line, NULL,
	          "invalid %s field \"%s\" in \"%s\"", cfg_master_field_name(bad), w[bad], text);
	return -1;
}

/* parse_entry - one logical line; 0, or -1 after a fatal diagnostic */
static int parse_entry(struct cfg_mastercf *doc, size_t *cap, const struct cfg_lline *ll,
                       struct cfg_diags *diags)
{
	struct ent_ctx cx = {doc, diags, ll->first};
	const char *text = ll->text.data; /* cut at the first NUL, as Postfix sees it */
	struct cfg_strvec words;
	struct cfg_service *svc;
	int rc = -1;

	cfg_strvec_init(&words);
	split_words(text, &words);
	if (words.n < CFG_MF_COUNT) {
		cfgp_diag(diags, CFG_SEV_FATAL, "mastercf-field-count", doc->path, ll->first, NULL,
		          "file %s: line %u: bad field count", doc->path, ll->first);
		goto out;
	}
	if (check_fields(&cx, words.v, text) < 0)
		goto out;
	if (doc->nsvcs == *cap) {
		*cap = *cap ? *cap * 2 : 32;
		doc->svcs = cfg_xreallocarray(doc->svcs, *cap, sizeof(*doc->svcs));
	}
	svc = &doc->svcs[doc->nsvcs++];
	memset(svc, 0, sizeof(*svc));
	for (int f = 0; f < CFG_MF_COMMAND; f++)
		svc->field[f] = cfg_xstrdup(words.v[f]);
	cfg_strvec_init(&svc->argv);
	cfg_strvec_add(&svc->argv, words.v[CFG_MF_COMMAND]);
	normalize_args(&cx, &words, &svc->argv);
	collect_overrides(svc);
	svc->line = ll->first;
	svc->last = ll->last;
	svc->start = ll->start;
	svc->end = ll->end;
	rc = 0;
out:
	cfg_strvec_fini(&words);
	return rc;
}

/* cfg_mastercf_parse - build a document */
int cfg_mastercf_parse(const char *path, const char *data, size_t len, struct cfg_mastercf **out,
                       struct cfg_diags *diags)
{
	struct cfg_mastercf *doc = cfg_xcalloc(1, sizeof(*doc));
	struct cfg_lines lr;
	struct cfg_lline ll;
	size_t cap = 0;
	int rc = 0;

	doc->path = cfg_xstrdup(path ? path : "");
	cfg_buf_init(&doc->text);
	cfg_buf_add(&doc->text, data, len);
	cfg_lines_init(&lr, doc->text.data, doc->text.len);
	cfg_lline_init(&ll);
	for (;;) {
		int more = cfg_lines_next(&lr, &ll);

		if (ll.orphan_line)
			cfgp_orphan_warning(diags, "mastercf-leading-whitespace", doc->path, &ll);
		if (!more)
			break;
		if (parse_entry(doc, &cap, &ll, diags) < 0)
			rc = -1;
	}
	cfg_lline_fini(&ll);
	*out = doc;
	return rc;
}

/* cfg_mastercf_load - read and parse */
int cfg_mastercf_load(const char *path, struct cfg_mastercf **out, struct cfg_diags *diags)
{
	struct cfg_buf b;
	int rc;

	*out = NULL;
	cfg_buf_init(&b);
	if (cfg_file_read(path, &b, diags) < 0) {
		cfg_buf_fini(&b);
		return -1;
	}
	rc = cfg_mastercf_parse(path, b.data, b.len, out, diags);
	cfg_buf_fini(&b);
	return rc;
}

/* cfg_mastercf_free - free a document */
void cfg_mastercf_free(struct cfg_mastercf *doc)
{
	if (doc == NULL)
		return;
	for (size_t i = 0; i < doc->nsvcs; i++) {
		struct cfg_service *svc = &doc->svcs[i];

		for (int f = 0; f < CFG_MF_COMMAND; f++)
			free(svc->field[f]);
		cfg_strvec_fini(&svc->argv);
		for (size_t j = 0; j < svc->novr; j++) {
			free(svc->ovr[j].name);
			free(svc->ovr[j].value);
		}
		free(svc->ovr);
	}
	free(doc->svcs);
	cfg_buf_fini(&doc->text);
	free(doc->path);
	free(doc);
}

/* cfg_mastercf_find - the first entry with this service name and type */
const struct cfg_service *cfg_mastercf_find(const struct cfg_mastercf *doc, const char *name,
                                            const char *type)
{
	for (size_t i = 0; i < doc->nsvcs; i++)
		if (strcmp(doc->svcs[i].field[CFG_MF_SERVICE], name) == 0
		    && strcmp(doc->svcs[i].field[CFG_MF_TYPE], type) == 0)
			return &doc->svcs[i];
	return NULL;
}

/* cfg_mastercf_render - append the document's bytes */
void cfg_mastercf_render(const struct cfg_mastercf *doc, struct cfg_buf *out)
{
	cfg_buf_add(out, doc->text.data, doc->text.len);
}

/* cfg_service_override - the value of the last "-o name=..." of svc */
const char *cfg_service_override(const struct cfg_service *svc, const char *name)
{
	for (size_t i = svc->novr; i-- > 0;)
		if (strcmp(svc->ovr[i].name, name) == 0)
			return svc->ovr[i].value;
	return NULL;
}
