/*
 * check.c - the `postfix check` driver: load (around what is broken), collect the
 * settings, run the passes, place findings on lines and columns (see cfg/check.h)
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "cfg/check/check.h"
#include "cfg/param/expand.h"
#include "cfg/param/list.h"
#include "cfg/schema/registry.h"
#include "cfg/base/xalloc.h"
#include "check_int.h"

#define DEF_CONFIG_DIR "/etc/postfix"

/* separators of words when a finding is placed on a column */
#define WORD_SEPS " \t\r\n,={}"

/* line_bounds - the physical line of text that starts at p: [p, *end) without the newline */
static const char *line_end(const char *p, const char *limit)
{
	const char *nl = memchr(p, '\n', (size_t)(limit - p));

	return nl ? nl : limit;
}

/* is_skipped_line - blank and comment lines inside a logical line */
static int is_skipped_line(const char *p, const char *end)
{
	while (p < end && (*p == ' ' || *p == '\t' || *p == '\r'))
		p++;
	return p == end || *p == '#';
}

/* is_sep - a word boundary for locate() */
static int is_sep(const char *p, const char *ls, const char *le)
{
	return p < ls || p >= le || strchr(WORD_SEPS, *p) != NULL;
}

struct cursor {
	const char *text; /* document text */
	const char *p;    /* where the search goes on */
	const char *end;  /* end of the entry */
	unsigned line;    /* line number of the physical line holding p */
	const char *ls;   /* start of that line */
};

/* find_word - advance c to just past the next occurrence of word; 1 found (position set) */
static int find_word(struct cursor *c, const char *word, int substr, unsigned *line, unsigned *col)
{
	size_t wl = strlen(word);

	if (wl == 0)
		return 0;
	while (c->p < c->end) {
		const char *le = line_end(c->ls, c->end);

		if (c->p == c->ls && is_skipped_line(c->ls, le)) {
			/* comment or blank line inside the entry */
		} else {
			const char *q = c->p;

			while ((size_t)(le - q) >= wl) {
				const char *hit = memchr(q, word[0], (size_t)(le - q) - wl + 1);

				if (hit == NULL)
					break;
				if (memcmp(hit, word, wl) == 0
				    && (substr
				        || (is_sep(hit - 1, c->ls, le)
				            && is_sep(hit + wl, c->ls, le)))) {
					*line = c->line;
					*col = (unsigned)(hit - c->ls) + 1;
					c->p = hit + wl;
					return 1;
				}
				q = hit + 1;
			}
		}
		if (le >= c->end)
			break;
		c->ls = c->p = le + 1;
		c->line++;
	}
	c->p = c->end;
	return 0;
}

/* locate - line and column of the nth occurrence of word in the value of s */
static int locate(const struct cfgp_check *ck, const struct cfgp_setting *s, const char *word,
                  unsigned nth, int substr, unsigned *line, unsigned *col)
{
	struct cursor c;

	if (s->ment != NULL) {
		const char *eq;

		c.text = ck->main->text.data;
		c.ls = c.text + s->ment->start;
		c.end = c.text + s->ment->end;
		c.line = s->ment->line;
		eq = memchr(c.ls, '=', (size_t)(line_end(c.ls, c.end) - c.ls));
		c.p = eq ? eq + 1 : c.ls;
	} else if (s->svc != NULL) {
		unsigned k = 0;

		c.text = ck->master->text.data;
		c.p = c.ls = c.text + s->svc->start;
		c.end = c.text + s->svc->end;
		c.line = s->svc->line;
		for (size_t i = 0; i < s->ovr; i++)
			k += strcmp(s->svc->ovr[i].name, s->name) == 0;
		do {
			if (!find_word(&c, s->name, 0, line, col))
				return 0;
		} while (k-- > 0);
		if (word == NULL)
			return 1;
	} else {
		return 0;
	}
	if (word == NULL)
		return 0;
	do {
		if (!find_word(&c, word, substr, line, col))
			return 0;
	} while (nth-- > 0);
	return 1;
}

/* cfgp_check_vadd - append a diagnostic placed on s (and word in its value) */
struct cfg_diag *cfgp_check_vadd(struct cfgp_check *ck, enum cfg_severity sev, const char *code,
                                 const struct cfgp_setting *s, const char *word, unsigned nth,
                                 int substr, const char *fmt, va_list ap)
{
	struct cfg_buf msg;
	struct cfg_diag *d;
	unsigned line = 0, col = 0;
	const char *file = ck->main_path;

	if (s != NULL) {
		file = s->file;
		line = s->line;
		if ((word != NULL || s->svc != NULL)
		    && !locate(ck, s, word, nth, substr, &line, &col)) {
			line = s->line;
			col = 0;
		}
		if (word == NULL && s->svc == NULL)
			col = 0;
	}
	cfg_buf_init(&msg);
	cfg_buf_vprintf(&msg, fmt, ap);
	d = cfg_diags_add(ck->diags, sev, code, file, line, col, "%s", msg.data);
	cfg_buf_fini(&msg);
	if (d != NULL && s != NULL)
		d->param = cfg_xstrdup(s->name);
	return d;
}

/* cfgp_check_add - a diagnostic on the line of s */
struct cfg_diag *cfgp_check_add(struct cfgp_check *ck, enum cfg_severity sev, const char *code,
                                const struct cfgp_setting *s, const char *fmt, ...)
{
	struct cfg_diag *d;
	va_list ap;

	va_start(ap, fmt);
	d = cfgp_check_vadd(ck, sev, code, s, NULL, 0, 0, fmt, ap);
	va_end(ap);
	return d;
}

/* cfgp_check_add_at - a diagnostic on a word of the value of s */
struct cfg_diag *cfgp_check_add_at(struct cfgp_check *ck, enum cfg_severity sev, const char *code,
                                   const struct cfgp_setting *s, const char *word, unsigned nth,
                                   int substr, const char *fmt, ...)
{
	struct cfg_diag *d;
	va_list ap;

	va_start(ap, fmt);
	d = cfgp_check_vadd(ck, sev, code, s, word, nth, substr, fmt, ap);
	va_end(ap);
	return d;
}

/* cfgp_at_nth - which occurrence of its word a token is */
unsigned cfgp_at_nth(const struct cfgp_at *at)
{
	return at != NULL && at->words != NULL ? cfgp_check_word_nth(at->words, at->i) : 0;
}

/* cfgp_check_word_nth - occurrences of words[i] in words[0..i) */
unsigned cfgp_check_word_nth(char *const *words, size_t i)
{
	unsigned n = 0;

	for (size_t k = 0; k < i; k++)
		n += strcmp(words[k], words[i]) == 0;
	return n;
}

/* cfgp_check_setting - the main.cf setting of name */
const struct cfgp_setting *cfgp_check_setting(const struct cfgp_check *ck, const char *name)
{
	const struct cfg_maincf_entry *e = cfg_maincf_get(ck->main, name);

	if (e == NULL)
		return NULL;
	for (size_t i = 0; i < ck->nmain; i++)
		if (ck->sets[i].ment == e)
			return &ck->sets[i];
	return NULL;
}

/* cfgp_check_value - the effective unexpanded main.cf value of name */
const char *cfgp_check_value(const struct cfgp_check *ck, const char *name)
{
	const struct cfg_param_def *d;
	const char *v;

	if (ck->cfg != NULL)
		return cfg_config_value(ck->cfg, name);
	if ((v = cfg_maincf_value(ck->main, name)) != NULL)
		return v;
	if (strcmp(name, "config_directory") == 0)
		return ck->config_dir;
	d = cfg_registry_find(name);
	return d ? d->defval : NULL;
}

struct doc_lookup {
	const struct cfgp_check *ck;
	const struct cfg_service *svc;
};

/* doc_value - expansion lookup when the configuration did not load: documents and defaults */
static const char *doc_value(void *ctx, const char *name)
{
	const struct doc_lookup *dl = ctx;
	const char *v;

	if (dl->svc != NULL && (v = cfg_service_override(dl->svc, name)) != NULL)
		return v;
	return cfgp_check_value(dl->ck, name);
}

/* expand_in - expand value in the name space of svc (NULL: main.cf) */
static int expand_in(const struct cfgp_check *ck, const struct cfg_service *svc, const char *value,
                     struct cfg_buf *out)
{
	struct doc_lookup dl = {ck, svc};
	struct cfg_expand ex = {doc_value, NULL, &dl};
	int rc;

	if (strchr(value, '$') == NULL) {
		cfg_buf_adds(out, value);
		return 0;
	}
	if (ck->cfg == NULL || (svc != NULL && !ck->master_in_cfg))
		return cfg_expand_value(&ex, value, out, NULL);
	if (svc != NULL)
		rc = cfg_config_expand_service(ck->cfg, svc, value, out, NULL);
	else
		rc = cfg_config_expand(ck->cfg, value, out, NULL);
	return rc;
}

/* cfgp_check_expand - expand a value of setting s */
int cfgp_check_expand(const struct cfgp_check *ck, const struct cfgp_setting *s, const char *value,
                      struct cfg_buf *out)
{
	return expand_in(ck, s ? s->svc : NULL, value, out);
}

/* cfgp_check_expand_in - expand value in the name space of master.cf entry svc (NULL: main.cf) */
int cfgp_check_expand_in(const struct cfgp_check *ck, const struct cfg_service *svc,
                         const char *value, struct cfg_buf *out)
{
	return expand_in(ck, svc && ck->master_in_cfg ? svc : NULL, value, out);
}

/* cfgp_check_effective - the expanded effective value of name in main.cf */
int cfgp_check_effective(const struct cfgp_check *ck, const char *name, struct cfg_buf *out)
{
	const char *v = cfgp_check_value(ck, name);

	if (v == NULL)
		return -1;
	return expand_in(ck, NULL, v, out);
}

/* cfgp_check_is_class - name is listed in the effective smtpd_restriction_classes */
int cfgp_check_is_class(const struct cfgp_check *ck, const char *name)
{
	return ck->classes != NULL && cfg_htab_has(ck->classes, name);
}

/* load_classes - the names of smtpd_restriction_classes, once per run */
static void load_classes(struct cfgp_check *ck)
{
	struct cfg_buf b;
	struct cfg_strvec sv;

	ck->classes = cfg_htab_new(16);
	cfg_buf_init(&b);
	cfg_strvec_init(&sv);
	if (cfgp_check_effective(ck, "smtpd_restriction_classes", &b) == 0)
		cfg_strvec_split(&sv, b.data, CFG_LIST_SEPARATORS);
	for (size_t i = 0; i < sv.n; i++)
		cfg_htab_put(ck->classes, sv.v[i], NULL);
	cfg_strvec_fini(&sv);
	cfg_buf_fini(&b);
}

/* collect - the settings to check: main.cf entries in force, then each -o override */
static void collect(struct cfgp_check *ck)
{
	const struct cfg_maincf *m = ck->main;
	size_t cap = m->nents + 1, n = 0;

	for (size_t i = 0; i < ck->master->nsvcs; i++)
		cap += ck->master->svcs[i].novr;
	ck->sets = cfg_xcalloc(cap, sizeof(*ck->sets));
	for (size_t i = 0; i < m->nents; i++) {
		const struct cfg_maincf_entry *e = &m->ents[i];
		struct cfgp_setting *s;

		if (cfg_maincf_get(m, e->name) != e)
			continue;
		s = &ck->sets[n++];
		s->name = e->name;
		s->value = e->value;
		s->file = ck->main_path;
		s->line = e->line;
		s->ment = e;
	}
	ck->nmain = n;
	for (size_t i = 0; i < ck->master->nsvcs; i++) {
		const struct cfg_service *svc = &ck->master->svcs[i];

		for (size_t k = 0; k < svc->novr; k++) {
			struct cfgp_setting *s;

			if (cfg_service_override(svc, svc->ovr[k].name) != svc->ovr[k].value)
				continue; /* a later -o of the same name wins */
			s = &ck->sets[n++];
			s->name = svc->ovr[k].name;
			s->value = svc->ovr[k].value;
			s->file = ck->master_path;
			s->line = svc->line;
			s->svc = svc;
			s->ovr = k;
		}
	}
	ck->nsets = n;
}

/* cfgp_check_strip_prefix - drop Postfix's "PATH, line N: " / "PATH: " / "file PATH: line N: " */
const char *cfgp_check_strip_prefix(const char *msg, const char *file)
{
	size_t fl;
	const char *p = msg, *at;

	if (file == NULL)
		return msg;
	fl = strlen(file);
	/* "file PATH: ...", "cidr map PATH, line N: ...", "regexp map PATH, ..." */
	if ((at = strstr(msg, file)) != NULL && at - msg <= 16
	    && (at == msg || (at - msg >= 4 && strncmp(at - 4, "map ", 4) == 0)
	        || (at - msg == 5 && strncmp(msg, "file ", 5) == 0)))
		p = at;
	if (strncmp(p, file, fl) != 0) {
		if (strncmp(p, "master.cf: ", 11) == 0)
			return p + 11;
		return msg;
	}
	p += fl;
	if (strncmp(p, ", line ", 7) == 0 || strncmp(p, ": line ", 7) == 0) {
		p += 7;
		p += strspn(p, "0123456789");
	}
	if (*p != ':')
		return msg;
	p++;
	return p + strspn(p, " ");
}

/* param_in_message - an explicit main.cf parameter named in msg, for placing a loader error */
static const struct cfgp_setting *param_in_message(const struct cfgp_check *ck, const char *msg)
{
	const struct cfgp_setting *best = NULL;
	const char *best_at = NULL;

	for (size_t i = 0; i < ck->nmain; i++) {
		const char *name = ck->sets[i].name, *p = msg;
		size_t nl = strlen(name);

		while ((p = strstr(p, name)) != NULL) {
			int left = p == msg || strchr(" \t\"'(", p[-1]) != NULL;
			int right = strchr(" \t\"':=,)", p[nl]) != NULL;

			if (left && right && (best_at == NULL || p < best_at)) {
				best = &ck->sets[i];
				best_at = p;
			}
			p += nl;
		}
	}
	return best;
}

/*
 * field_count_text - "service NAME/TYPE: bad field count (...)" for the
 * master.cf entry starting at line (Postfix's text names only the line)
 */
static char *field_count_text(const struct cfgp_check *ck, unsigned line)
{
	const char *p = ck->master->text.data ? ck->master->text.data : "";
	struct cfg_strvec w;
	char *text, *out;

	for (unsigned n = 1; n < line && p != NULL; n++)
		if ((p = strchr(p, '\n')) != NULL)
			p++;
	text = cfg_xstrndup(p ? p : "", p ? strcspn(p, "\n") : 0);
	cfg_strvec_init(&w);
	cfg_list_tokens(text, " \t", &w);
	out =
	    cfg_xasprintf("service %s%s%s: bad field count (an entry has 8 fields: service, type, "
	                  "private, unpriv, chroot, wakeup, maxproc, command)",
	                  w.n ? w.v[0] : "", w.n > 1 ? "/" : "", w.n > 1 ? w.v[1] : "");
	cfg_strvec_fini(&w);
	free(text);
	return out;
}

/* import_load_diags - the loader's findings, placed and without what the passes recompute */
static void import_load_diags(struct cfgp_check *ck, struct cfg_diags *ld)
{
	static const char *const recomputed[] = {
	    "config-undefined", "config-unused",    "maincf-duplicate",
	    "config-readonly",  "config-dbms-open", NULL,
	};

	for (size_t i = 0; i < ld->n; i++) {
		const struct cfg_diag *d = &ld->v[i];
		const char *msg = cfgp_check_strip_prefix(d->msg, d->file);
		const char *const *r;
		struct cfg_diag *nd;

		for (r = recomputed; *r; r++)
			if (strcmp(*r, d->code) == 0)
				break;
		if (*r != NULL && (ck->cfg != NULL || strcmp(*r, "maincf-duplicate") == 0))
			continue;
		if (d->file != NULL && strcmp(d->file, ck->master_path) == 0
		    && ck->master->nsvcs == 0 && d->sev < CFG_SEV_ERROR)
			continue; /* an unreadable master.cf: check_master.c says so */
		if (d->line == 0 && (d->file == NULL || strcmp(d->file, ck->main_path) == 0)) {
			const struct cfgp_setting *s =
			    d->param ? cfgp_check_setting(ck, d->param) : param_in_message(ck, msg);

			if (s != NULL) {
				cfgp_check_add(ck, d->sev, d->code, s, "%s", msg);
				continue;
			}
		}
		if (strcmp(d->code, "mastercf-field-count") == 0) {
			char *text = field_count_text(ck, d->line);

			nd = cfg_diags_add(ck->diags, d->sev, d->code, d->file, d->line, d->col,
			                   "%s", text);
			free(text);
			continue;
		}
		nd = cfg_diags_add(ck->diags, d->sev, d->code, d->file ? d->file : ck->main_path,
		                   d->line, d->col, "%s", msg);
		if (nd != NULL && d->param != NULL)
			nd->param = cfg_xstrdup(d->param);
	}
}

/* note_unused_master - the -o names Postfix would call unused */
static void note_unused_master(struct cfgp_check *ck)
{
	struct cfg_diags tmp;

	ck->unused_master = cfg_htab_new(8);
	if (ck->cfg == NULL)
		return;
	cfg_diags_init(&tmp);
	cfg_config_unused_master(ck->cfg, &tmp);
	for (size_t i = 0; i < tmp.n; i++) {
		const char *p = strstr(tmp.v[i].msg, "unused parameter: ");
		char *name;

		if (p == NULL)
			continue;
		p += strlen("unused parameter: ");
		name = cfg_xstrndup(p, strcspn(p, "="));
		cfg_htab_put(ck->unused_master, name, NULL);
		free(name);
	}
	cfg_diags_fini(&tmp);
}

/* dir_of - the configuration directory as cfg_config_open() picks it */
static const char *dir_of(const char *config_dir)
{
	const char *env;

	if (config_dir != NULL)
		return config_dir;
	if ((env = getenv("MAIL_CONFIG")) != NULL)
		return env;
	return DEF_CONFIG_DIR;
}

/* ignore_name - cfg_expand_scan() callback that only wants the syntax check */
static void ignore_name(void *ctx, const char *name)
{
	(void)ctx;
	(void)name;
}

/* escape_dollars - value with every '$' doubled, so that it expands to itself */
static char *escape_dollars(const char *name, const char *value)
{
	struct cfg_buf b;

	cfg_buf_init(&b);
	cfg_buf_printf(&b, "%s=", name);
	for (const char *p = value; *p; p++) {
		if (*p == '$')
			cfg_buf_addc(&b, '$');
		cfg_buf_addc(&b, *p);
	}
	return cfg_buf_take(&b);
}

/*
 * retry_load - when the configuration does not load, load it once more
 * around the problem so the other checks still run: values with a macro
 * syntax error are taken literally, a missing mynetworks is not computed
 * from the interfaces (that fails on a bad inet_interfaces), and a master.cf
 * with fatal errors is left out (its valid entries are checked from the
 * document).  Returns the configuration or NULL.
 */
static struct cfg_config *retry_load(const char *config_dir, const struct cfg_maincf *main_doc,
                                     int master_bad, struct cfg_diags *ld)
{
	struct cfg_load_opts lo = {0};
	struct cfg_strvec over;
	struct cfg_config *cfg = NULL;

	cfg_strvec_init(&over);
	for (size_t i = 0; i < main_doc->nents; i++) {
		const struct cfg_maincf_entry *e = &main_doc->ents[i];

		if (cfg_maincf_get(main_doc, e->name) == e && strchr(e->value, '$') != NULL
		    && cfg_expand_scan(e->value, ignore_name, NULL, NULL) < 0)
			cfg_strvec_take(&over, escape_dollars(e->name, e->value));
	}
	if (cfg_maincf_get(main_doc, "mynetworks") == NULL)
		cfg_strvec_add(&over, "mynetworks=127.0.0.0/8");
	lo.process_name = "postfix";
	lo.flags = master_bad ? CFG_LOAD_NO_MASTER : 0;
	lo.overrides = (const char *const *)over.v;
	lo.noverrides = over.n;
	if (cfg_config_open(config_dir, &lo, &cfg, ld) < 0)
		cfg = NULL;
	cfg_strvec_fini(&over);
	return cfg;
}

/* has_errors_from - an error among diags[from..) */
static int has_errors_from(const struct cfg_diags *ds, size_t from)
{
	for (size_t i = from; i < ds->n; i++)
		if (ds->v[i].sev >= CFG_SEV_ERROR)
			return 1;
	return 0;
}

size_t cfg_check_dir(const char *config_dir, const struct cfg_check_opts *opts,
                     struct cfg_diags *diags)
{
	static const struct cfg_check_opts none;
	struct cfgp_check ck = {0};
	struct cfg_load_opts lo = {0};
	struct cfg_config *cfg = NULL;
	struct cfg_maincf *main_doc = NULL;
	struct cfg_mastercf *master_doc = NULL;
	struct cfg_diags ld1, ld2, docd;
	const char *dir = dir_of(config_dir);
	char *main_path = cfg_xasprintf("%s/main.cf", dir);
	char *master_path = cfg_xasprintf("%s/master.cf", dir);
	int failed = 0;
	size_t first;

	ck.opts = opts ? opts : &none;
	ck.diags = diags;
	ck.main_path = main_path;
	ck.master_path = master_path;
	ck.config_dir = dir;
	cfg_diags_init(&ld1);
	cfg_diags_init(&ld2);
	cfg_diags_init(&docd);
	lo.process_name = "postfix";
	if (cfg_config_open(config_dir, &lo, &cfg, &ld1) < 0) {
		int main_rc = cfg_maincf_load(main_path, &main_doc, &docd);
		int master_rc = cfg_mastercf_load(master_path, &master_doc, &docd);

		failed = 1;
		if (main_doc == NULL) {
			/* main.cf unreadable: nothing else to look at */
			import_load_diags(&ck, &ld1);
			goto done;
		}
		ck.master_bad = master_rc < 0 && master_doc != NULL;
		if (main_rc == 0)
			cfg = retry_load(config_dir, main_doc, master_rc < 0, &ld2);
		if (master_doc == NULL)
			cfg_mastercf_parse(master_path, "", 0, &master_doc, NULL);
	}
	ck.cfg = cfg;
	ck.main = cfg ? cfg_config_maincf(cfg) : main_doc;
	ck.master = master_doc ? master_doc : cfg_config_mastercf(cfg);
	ck.master_in_cfg = cfg != NULL && ck.master == cfg_config_mastercf(cfg);
	collect(&ck);
	load_classes(&ck);
	first = diags->n;
	import_load_diags(&ck, failed ? &docd : &ld1);
	if (cfg != NULL && failed)
		import_load_diags(&ck, &ld2);
	note_unused_master(&ck);
	ck.tables_seen = cfg_htab_new(16);
	cfgp_check_params(&ck);
	cfgp_check_support(&ck);
	cfgp_check_master(&ck);
	if (!(ck.opts->flags & CFG_CHECK_NO_RELAY) && cfg != NULL)
		cfgp_check_relay(&ck);
	if (!(ck.opts->flags & CFG_CHECK_NO_FS))
		cfgp_check_fs(&ck);
	if (failed && !has_errors_from(diags, first))
		import_load_diags(&ck, &ld1); /* never hide why the configuration does not load */
done:
	cfg_check_finish(diags);
	cfg_htab_free(ck.unused_master, NULL);
	cfg_htab_free(ck.tables_seen, NULL);
	cfg_htab_free(ck.classes, NULL);
	free(ck.sets);
	cfg_config_free(cfg);
	cfg_maincf_free(main_doc);
	cfg_mastercf_free(master_doc);
	cfg_diags_fini(&ld1);
	cfg_diags_fini(&ld2);
	cfg_diags_fini(&docd);
	free(main_path);
	free(master_path);
	return cfg_diags_count(diags, CFG_SEV_ERROR);
}
