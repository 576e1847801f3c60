/*
 * edit.c - postconf edit arguments and main.cf edits (see cfg/edit.h)
 *
 * main.cf is edited physical line by physical line, as Postfix does:
 * comment and blank lines are copied wherever they are (also inside a
 * continuation); the first line of a setting that is named by a request is
 * replaced by "name = value" (-e), dropped (-X) or prefixed with '#' (-#),
 * and its continuation lines are dropped or prefixed likewise.  Requests
 * that matched nothing are appended (-e).
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "cfg/doc/edit.h"
#include "cfg/schema/masterdef.h"
#include "cfg/base/htab.h"
#include "cfg/base/strvec.h"
#include "cfg/base/xalloc.h"
#include "edit_int.h"

int cfgp_edit_isspace(int c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\v' || c == '\f' || c == '\r';
}

const char *cfgp_edit_split_nameval(char *buf, char **name, char **value)
{
	char *np, *ep, *cp, *vp, *end;

	for (np = buf; *np && cfgp_edit_isspace((unsigned char)*np); np++)
		;
	if (*np == 0 || *np == '=')
		return "missing attribute name";
	for (ep = np; *ep && !cfgp_edit_isspace((unsigned char)*ep) && *ep != '='; ep++)
		;
	for (cp = ep; *cp && cfgp_edit_isspace((unsigned char)*cp); cp++)
		;
	if (*cp != '=')
		return "missing '=' after attribute name";
	*ep = 0;
	for (vp = cp + 1; *vp && cfgp_edit_isspace((unsigned char)*vp); vp++)
		;
	for (end = vp + strlen(vp); end > vp && cfgp_edit_isspace((unsigned char)end[-1]); end--)
		;
	*end = 0;
	*name = np;
	*value = vp;
	return NULL;
}

void cfgp_end_line(struct cfg_buf *out)
{
	if (out->len > 0 && out->data[out->len - 1] != '\n')
		cfg_buf_addc(out, '\n');
}

void cfgp_emit(struct cfg_buf *out, const char *p, size_t n)
{
	if (n > 0)
		cfgp_end_line(out);
	cfg_buf_add(out, p, n);
}

/* master.cf columns as postconf -F spells them (schemas/master.def) */
#define NFIELDS ((size_t)CFG_MF_COUNT)

/* req_free - release the strings of one request */
static void req_free(struct cfg_edit_req *r)
{
	free(r->raw);
	free(r->name);
	free(r->type);
	free(r->sub);
	free(r->value);
}

void cfg_edit_free(struct cfg_edit *ed)
{
	size_t i;

	if (ed == NULL)
		return;
	for (i = 0; i < ed->nreqs; i++)
		req_free(&ed->reqs[i]);
	free(ed->reqs);
	free(ed);
}

/* fatal - append a fatal diagnostic in Postfix's words; returns -1 */
static int fatal(struct cfg_diags *diags, const char *code, const char *msg, const char *quoted)
{
	if (quoted != NULL)
		cfg_diags_add(diags, CFG_SEV_FATAL, code, NULL, 0, 0, "%s: \"%s\"", msg, quoted);
	else
		cfg_diags_add(diags, CFG_SEV_FATAL, code, NULL, 0, 0, "%s", msg);
	return -1;
}

/*
 * split_pattern - "name/type[/sub]" into components as postconf does: empty
 * components vanish ("smtp//inet" is smtp/inet), a leading '/' is an error,
 * '*' is allowed only alone, missing trailing components become "*".
 * Returns 0 with parts[0..max) set (owned), or -1.
 */
static int split_pattern(const char *pattern, size_t min, size_t max, char **parts)
{
	struct cfg_strvec sv;
	size_t i;
	int ret = -1;

	if (*pattern == '/')
		return -1;
	cfg_strvec_init(&sv);
	cfg_strvec_split(&sv, pattern, "/");
	if (sv.n < min || sv.n > max)
		goto out;
	for (i = 0; i < sv.n; i++)
		if (strcmp(sv.v[i], "*") != 0 && strchr(sv.v[i], '*') != NULL)
			goto out;
	for (i = 0; i < max; i++)
		parts[i] = cfg_xstrdup(i < sv.n ? sv.v[i] : "*");
	ret = 0;
out:
	cfg_strvec_fini(&sv);
	return ret;
}

/* check_combination - the -M/-F/-P x -e/-X/-# pairs Postfix accepts */
static int check_combination(enum cfg_edit_what what, enum cfg_edit_mode mode,
                             struct cfg_diags *diags)
{
	char letter = what == CFG_EDIT_FIELD ? 'F' : 'P';

	if ((what == CFG_EDIT_FIELD && mode != CFG_EDIT_SET)
	    || (what == CFG_EDIT_PARAM && mode == CFG_EDIT_COMMENT)) {
		cfg_diags_add(diags, CFG_SEV_FATAL, "edit-option", NULL, 0, 0,
		              "with option -%c, do not specify -%c", letter, (char)mode);
		return -1;
	}
	return 0;
}

/* parse_master_arg - fill r from cp (leading blanks skipped) for -M/-F/-P; -1 on error */
static int parse_master_arg(struct cfg_edit *ed, struct cfg_edit_req *r, char *cp,
                            struct cfg_diags *diags)
{
	char *pattern, *value = NULL, *parts[3] = {NULL, NULL, NULL};
	const char *err;
	size_t i;

	if (ed->mode == CFG_EDIT_SET) {
		if ((err = cfgp_edit_split_nameval(cp, &pattern, &value)) != NULL)
			return fatal(diags, "edit-syntax", err, r->raw);
	} else {
		if (strchr(cp, '=') != NULL)
			return fatal(diags, "edit-syntax", "-X or -# requires names without value",
			             NULL);
		pattern = cp;
	}
	switch (ed->what) {
	case CFG_EDIT_ENTRY:
		if (split_pattern(pattern, 2, 2, parts) < 0)
			return fatal(diags, "edit-syntax",
			             "-Me, -MX or -M# requires service_name/type", NULL);
		break;
	case CFG_EDIT_FIELD:
		if (split_pattern(pattern, 3, 3, parts) < 0)
			return fatal(diags, "edit-syntax",
			             "-Fe or -FX requires service_name/type/field_name", NULL);
		r->sub = parts[2];
		parts[2] = NULL;
		r->field = -1;
		for (i = 0; i < NFIELDS; i++)
			if (strcmp(r->sub, cfg_master_field_name((enum cfg_master_field)i)) == 0)
				r->field = (int)i;
		if (r->field < 0 && strcmp(r->sub, "*") != 0) {
			free(parts[0]);
			free(parts[1]);
			return fatal(diags, "edit-syntax", "invalid service attribute name",
			             r->sub);
		}
		if (r->field < 0) {
			free(parts[0]);
			free(parts[1]);
			return fatal(diags, "edit-syntax",
			             "-Fe does not accept wild-card field name", NULL);
		}
		if (ed->mode == CFG_EDIT_SET && r->field < (int)NFIELDS - 1
		    && value[strcspn(value, CFGP_BLANKS)] != 0) {
			free(parts[0]);
			free(parts[1]);
			return fatal(diags, "edit-syntax",
			             "-Fe does not accept whitespace in non-command field", NULL);
		}
		break;
	case CFG_EDIT_PARAM:
		if (split_pattern(pattern, 3, 3, parts) < 0)
			return fatal(diags, "edit-syntax",
			             "-Pe or -PX requires service_name/type/parameter", NULL);
		r->sub = parts[2];
		parts[2] = NULL;
		if (strcmp(r->sub, "*") == 0
		    || (ed->mode == CFG_EDIT_SET && value[strcspn(value, CFGP_BLANKS)] != 0)) {
			free(parts[0]);
			free(parts[1]);
			return fatal(diags, "edit-syntax",
			             strcmp(r->sub, "*") == 0
			                 ? "-Pe does not accept wild-card parameter name"
			                 : "-Pe does not accept whitespace in parameter value",
			             NULL);
		}
		break;
	case CFG_EDIT_MAIN:
		break;
	}
	r->name = parts[0];
	r->type = parts[1];
	if (value != NULL)
		r->value = cfg_xstrdup(value);
	return 0;
}

/* parse_main_arg - fill r from cp for main.cf; -1 on error */
static int parse_main_arg(struct cfg_edit *ed, struct cfg_edit_req *r, char *cp,
                          struct cfg_diags *diags)
{
	char *name, *value;
	const char *err;

	if (ed->mode == CFG_EDIT_SET) {
		if ((err = cfgp_edit_split_nameval(cp, &name, &value)) != NULL)
			return fatal(diags, "edit-syntax", err, cp);
		r->name = cfg_xstrdup(name);
		r->value = cfg_xstrdup(value);
		return 0;
	}
	if (*cp == 0)
		return fatal(diags, "edit-syntax", "-X or -# requires non-blank parameter names",
		             NULL);
	if (strchr(cp, '=') != NULL)
		return fatal(diags, "edit-syntax",
		             "-X or -# requires parameter names without value", NULL);
	/* Postfix keeps trailing blanks here, so "-X 'name '" matches nothing. */
	r->name = cfg_xstrdup(cp);
	return 0;
}

int cfg_edit_parse(enum cfg_edit_what what, enum cfg_edit_mode mode, char *const *args,
                   size_t nargs, struct cfg_edit **out, struct cfg_diags *diags)
{
	struct cfg_edit *ed = cfg_xcalloc(1, sizeof(*ed));
	struct cfg_htab *seen = cfg_htab_new(nargs + 1); /* main.cf name -> request index + 1 */
	int is_main = what == CFG_EDIT_MAIN;
	size_t i, j, dropped = 0;

	*out = NULL;
	ed->what = what;
	ed->mode = mode;
	if (!is_main && check_combination(what, mode, diags) < 0)
		goto fail;
	ed->reqs = cfg_xcalloc(nargs ? nargs : 1, sizeof(*ed->reqs));
	for (i = 0; i < nargs; i++) {
		struct cfg_edit_req *r = &ed->reqs[ed->nreqs];
		char *copy = cfg_xstrdup(args[i]), *cp = copy;
		int rc;

		memset(r, 0, sizeof(*r));
		r->field = -1;
		r->raw = cfg_xstrdup(args[i]);
		ed->nreqs++;
		if (strchr(cp, '\n') != NULL) {
			free(copy);
			fatal(diags, "edit-syntax",
			      is_main ? "-e, -X, or -# accepts no multi-line input"
			              : "-Me, -Fe, -Pe, -X, or -# accept no multi-line input",
			      NULL);
			goto fail;
		}
		while (cfgp_edit_isspace((unsigned char)*cp))
			cp++;
		if (*cp == '#') {
			free(copy);
			fatal(diags, "edit-syntax",
			      is_main ? "-e, -X, or -# accepts no comment input"
			              : "-Me, -Fe, -Pe, -X, or -# accept no comment input",
			      NULL);
			goto fail;
		}
		rc =
		    is_main ? parse_main_arg(ed, r, cp, diags) : parse_master_arg(ed, r, cp, diags);
		free(copy);
		if (rc < 0)
			goto fail;
		if (!is_main)
			continue;
		/* A main.cf name given twice: the later request wins, as in Postfix. */
		if ((j = (size_t)cfg_htab_get(seen, r->name)) != 0) {
			struct cfg_edit_req *old = &ed->reqs[j - 1];

			if (old->value != NULL)
				cfg_diags_add(diags, CFG_SEV_WARNING, "edit-repeated", NULL, 0, 0,
				              "ignoring earlier request: '%s = %s'", old->name,
				              old->value);
			req_free(old);
			old->name = NULL; /* dropped below */
			dropped++;
		}
		cfg_htab_put(seen, r->name, (void *)ed->nreqs);
	}
	if (dropped > 0) {
		for (i = j = 0; i < ed->nreqs; i++)
			if (ed->reqs[i].name != NULL)
				ed->reqs[j++] = ed->reqs[i];
		ed->nreqs = j;
	}
	cfg_htab_free(seen, NULL);
	*out = ed;
	return 0;
fail:
	cfg_htab_free(seen, NULL);
	cfg_edit_free(ed);
	return -1;
}

/* find_req - the main.cf request named key[0..n) in byname (name -> index + 1), or NULL */
static struct cfg_edit_req *find_req(struct cfg_edit *ed, const struct cfg_htab *byname,
                                     const char *key, size_t n, struct cfg_buf *tmp)
{
	size_t i;

	cfg_buf_reset(tmp);
	cfg_buf_add(tmp, key, n); /* the buffer stays NUL-terminated */
	i = (size_t)cfg_htab_get(byname, tmp->data);
	return i ? &ed->reqs[i - 1] : NULL;
}

/* apply_main - the main.cf pass */
static int apply_main(struct cfg_edit *ed, const char *path, const char *text, size_t len,
                      struct cfg_buf *out, struct cfg_diags *diags)
{
	size_t pos = 0, i;
	int interesting = 0;
	struct cfg_htab *byname = cfg_htab_new(ed->nreqs + 1);
	struct cfg_buf key;

	cfg_buf_init(&key);
	for (i = 0; i < ed->nreqs; i++)
		cfg_htab_put(byname, ed->reqs[i].name, (void *)(i + 1));
	while (pos < len) {
		const char *line = text + pos, *nl = memchr(line, '\n', len - pos);
		size_t n = nl ? (size_t)(nl - line) + 1 : len - pos, k = 0;

		pos += n;
		while (k < n && cfgp_edit_isspace((unsigned char)line[k]))
			k++;
		if (k == n || line[k] == '#') {
			/* comment or blank: always copied, even inside an edited setting */
			cfgp_emit(out, line, n);
		} else if (k > 0) {
			/* continuation line */
			if (!interesting) {
				cfgp_emit(out, line, n);
			} else if (ed->mode == CFG_EDIT_COMMENT) {
				cfgp_emit(out, "#", 1);
				cfg_buf_add(out, line, n);
			}
		} else {
			size_t klen = 0;
			struct cfg_edit_req *r;

			while (klen < n && line[klen] != '='
			       && strchr(CFGP_BLANKS, line[klen]) == NULL)
				klen++;
			r = find_req(ed, byname, line, klen, &key);
			interesting = r != NULL;
			if (r == NULL) {
				cfgp_emit(out, line, n);
				continue;
			}
			if (++r->found == 2)
				cfg_diags_add(diags, CFG_SEV_WARNING, "edit-multiple", path, 0, 0,
				              "%s: multiple entries for \"%s\"", path, r->name);
			if (ed->mode == CFG_EDIT_SET) {
				cfgp_end_line(out);
				cfg_buf_printf(out, "%s = %s\n", r->name, r->value);
			} else if (ed->mode == CFG_EDIT_COMMENT) {
				cfgp_emit(out, "#", 1);
				cfg_buf_add(out, line, n);
			}
		}
	}
	if (ed->mode == CFG_EDIT_SET) {
		for (i = 0; i < ed->nreqs; i++) {
			if (ed->reqs[i].found)
				continue;
			cfgp_end_line(out);
			cfg_buf_printf(out, "%s = %s\n", ed->reqs[i].name, ed->reqs[i].value);
		}
	}
	cfg_htab_free(byname, NULL);
	cfg_buf_fini(&key);
	return 0;
}

int cfg_edit_apply(struct cfg_edit *ed, const char *path, const char *text, size_t len,
                   struct cfg_buf *out, struct cfg_diags *diags)
{
	size_t i;

	for (i = 0; i < ed->nreqs; i++)
		ed->reqs[i].found = 0;
	if (ed->what == CFG_EDIT_MAIN)
		return apply_main(ed, path, text, len, out, diags);
	return cfgp_master_apply(ed, path, text, len, out, diags);
}
