/*
 * print_master.c - postconf -M (entries), -F (fields) and -P (-o parameters)
 *
 * Patterns are service[/type[/field-or-parameter]] with "*" (alone) as a
 * wildcard and empty components dropped, as Postfix splits them.  Every
 * pattern that matched nothing gets "unmatched request" after the output.
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "cfg/base/buf.h"
#include "cfg/config/effective.h"
#include "cfg/base/strvec.h"
#include "postconf.h"

struct req {
	const char *raw;         /* the pattern as given */
	struct cfg_strvec parts; /* service, type, third */
	int field;               /* -F: field index, -1 for "*" */
	int matches;
};

/* parse_pattern - split a pattern; 0 when it is not min..max components of names or "*" */
static int parse_pattern(const char *pat, size_t min, size_t max, struct cfg_strvec *out)
{
	cfg_strvec_init(out);
	if (*pat == '/')
		return 0;
	cfg_strvec_split(out, pat, "/");
	if (out->n < min || out->n > max)
		return 0;
	for (size_t i = 0; i < out->n; i++)
		if (strcmp(out->v[i], "*") != 0 && strchr(out->v[i], '*') != NULL)
			return 0;
	return 1;
}

/* match - a pattern component against a value */
static int match(const char *pat, const char *val)
{
	return strcmp(pat, "*") == 0 || strcmp(pat, val) == 0;
}

/* match_service - the service and type components of r against svc */
static int match_service(const struct req *r, const struct cfg_service *svc)
{
	return match(r->parts.v[0], svc->field[CFG_MF_SERVICE])
	       && (r->parts.n < 2 || match(r->parts.v[1], svc->field[CFG_MF_TYPE]));
}

/* parse_reqs - the filter expressions, fatal on a malformed one */
static struct req *parse_reqs(char **pats, int npats, size_t max, const char *usage, int fields)
{
	struct req *reqs = calloc((size_t)npats + 1, sizeof(*reqs));

	if (reqs == NULL)
		abort();
	for (int i = 0; i < npats; i++) {
		struct req *r = &reqs[i];

		r->raw = pats[i];
		r->field = -1;
		if (!parse_pattern(pats[i], 1, max, &r->parts))
			pcf_fatal("%s", usage);
		if (fields && r->parts.n == 3 && strcmp(r->parts.v[2], "*") != 0) {
			int f;

			for (f = 0; f < CFG_MF_COUNT; f++)
				if (strcmp(cfg_master_field_name((enum cfg_master_field)f),
				           r->parts.v[2])
				    == 0)
					break;
			if (f == CFG_MF_COUNT)
				pcf_fatal("invalid service attribute name: \"%s\"", r->parts.v[2]);
			r->field = f;
		}
	}
	return reqs;
}

/* finish_reqs - warn about patterns that matched nothing, free them */
static void finish_reqs(struct req *reqs, int n)
{
	for (int i = 0; i < n; i++) {
		if (reqs[i].matches == 0)
			pcf_warn("unmatched request: \"%s\"", reqs[i].raw);
		cfg_strvec_fini(&reqs[i].parts);
	}
	free(reqs);
}

/* has_space - 1 when s contains whitespace and must be shown in braces */
static int has_space(const char *s)
{
	return s[strcspn(s, PCF_SEPARATORS)] != 0;
}

/* expand_or_die - a -o value expanded in the entry's name space (fatal on macro errors) */
static void expand_or_die(const struct cfg_config *cfg, const struct cfg_service *svc,
                          const char *value, struct cfg_buf *out)
{
	struct cfg_diags ds;

	cfg_diags_init(&ds);
	if (cfg_config_expand_service(cfg, svc, value, out, &ds) < 0) {
		pcf_diags(&ds);
		pcf_fatal("macro processing error");
	}
	pcf_diags(&ds);
	cfg_diags_fini(&ds);
}

/* add_word - append w, in braces when it holds whitespace and quote is set */
static size_t add_word(struct cfg_buf *out, const char *w, int quote)
{
	size_t n = strlen(w);

	if (quote && has_space(w)) {
		cfg_buf_addc(out, '{');
		cfg_buf_add(out, w, n);
		cfg_buf_addc(out, '}');
		return n + 2;
	}
	cfg_buf_add(out, w, n);
	return n;
}

/* pcf_format_master_args - the command and its arguments as Postfix prints them */
void pcf_format_master_args(struct cfg_buf *out, const struct cfg_config *cfg,
                            const struct cfg_service *svc, unsigned mode, int start_col)
{
	const struct cfg_strvec *av = &svc->argv;
	int line_len = start_col;
	int in_options = 1;
	struct cfg_buf val;

	if (av->n == 0)
		return;
	cfg_buf_init(&val);
	line_len += (int)add_word(out, av->v[0], 0);
	for (size_t i = 1; i < av->n; i++) {
		const char *arg = av->v[i];
		const char *aval = NULL;
		int quote = 1;
		size_t arg_len = strlen(arg) + (has_space(arg) ? 2 : 0);

		if (in_options) {
			if (arg[0] != '-' || strcmp(arg, "--") == 0) {
				/* The first non-option word is shown as is. */
				in_options = 0;
				quote = 0;
				arg_len = strlen(arg);
			} else if ((arg[1] == 'o' || arg[1] == 0) && i + 1 < av->n) {
				aval = av->v[i + 1];
				line_len =
				    PCF_LINE_LIMIT; /* an option with a value starts a line */
				cfg_buf_reset(&val);
				if (strcmp(arg, "-o") == 0 && (mode & PCF_SHOW_EVAL))
					expand_or_die(cfg, svc, aval, &val);
				else
					cfg_buf_adds(&val, aval);
				aval = val.data;
				arg_len += strlen(aval) + (has_space(aval) ? 2 : 0) + 1;
			}
		}
		if (line_len > PCF_INDENT_LEN) {
			if ((mode & PCF_FOLD_LINE) == 0
			    || (size_t)line_len + 1 + arg_len < PCF_LINE_LIMIT) {
				cfg_buf_addc(out, ' ');
				line_len += 1;
			} else {
				cfg_buf_adds(out, "\n" PCF_INDENT_TEXT);
				line_len = PCF_INDENT_LEN;
			}
		}
		line_len += (int)add_word(out, arg, quote);
		if (aval != NULL) {
			cfg_buf_addc(out, ' ');
			add_word(out, aval, 1);
			i++;
			line_len = PCF_LINE_LIMIT; /* and ends it */
		}
	}
	cfg_buf_fini(&val);
}

/* pcf_show_master_entries - postconf -M */
void pcf_show_master_entries(struct pcf_sink *sink, const struct cfg_config *cfg, unsigned mode,
                             char **pats, int npats)
{
	const struct cfg_mastercf *m = cfg_config_mastercf(cfg);
	struct req *reqs = parse_reqs(pats, npats, 2, "-M option requires service_name[/type]", 0);

	(void)mode;
	for (size_t i = 0; i < m->nsvcs; i++) {
		const struct cfg_service *svc = &m->svcs[i];

		if (npats == 0) {
			sink->entry(sink, cfg, svc);
			continue;
		}
		for (int k = 0; k < npats; k++) {
			if (match_service(&reqs[k], svc)) {
				reqs[k].matches++;
				sink->entry(sink, cfg, svc);
			}
		}
	}
	finish_reqs(reqs, npats);
}

/* show_field - one "service/type/field = value" record */
static void show_field(struct pcf_sink *sink, const struct cfg_config *cfg,
                       const struct cfg_service *svc, int f, unsigned mode)
{
	struct cfg_buf key, val;

	cfg_buf_init(&key);
	cfg_buf_init(&val);
	cfg_buf_printf(&key, "%s/%s/%s", svc->field[CFG_MF_SERVICE], svc->field[CFG_MF_TYPE],
	               cfg_master_field_name((enum cfg_master_field)f));
	if (f == CFG_MF_COMMAND) {
		int col = (mode & PCF_HIDE_NAME) ? 0 : (int)key.len + 3;

		pcf_format_master_args(&val, cfg, svc, mode, col);
		sink->pair(sink, key.data, val.data, PCF_PAIR_VERBATIM);
	} else {
		sink->pair(sink, key.data, svc->field[f], 0);
	}
	cfg_buf_fini(&key);
	cfg_buf_fini(&val);
}

/* pcf_show_master_fields - postconf -F */
void pcf_show_master_fields(struct pcf_sink *sink, const struct cfg_config *cfg, unsigned mode,
                            char **pats, int npats)
{
	const struct cfg_mastercf *m = cfg_config_mastercf(cfg);
	struct req *reqs =
	    parse_reqs(pats, npats, 3, "-F option requires service_name[/type[/field]]", 1);

	for (size_t i = 0; i < m->nsvcs; i++) {
		const struct cfg_service *svc = &m->svcs[i];

		if (npats == 0) {
			for (int f = 0; f < CFG_MF_COUNT; f++)
				show_field(sink, cfg, svc, f, mode);
			continue;
		}
		for (int k = 0; k < npats; k++) {
			if (!match_service(&reqs[k], svc))
				continue;
			reqs[k].matches++;
			for (int f = 0; f < CFG_MF_COUNT; f++)
				if (reqs[k].field < 0 || reqs[k].field == f)
					show_field(sink, cfg, svc, f, mode);
		}
	}
	finish_reqs(reqs, npats);
}

/* cmp_str - qsort helper */
static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* entry_params - the -o parameter names of svc's name space, sorted */
static void entry_params(const struct cfg_service *svc, struct cfg_strvec *out)
{
	for (size_t i = 0; i < svc->novr; i++) {
		size_t k;

		for (k = 0; k < out->n; k++)
			if (strcmp(out->v[k], svc->ovr[i].name) == 0)
				break;
		if (k == out->n)
			cfg_strvec_add(out, svc->ovr[i].name);
	}
	qsort(out->v, out->n, sizeof(char *), cmp_str);
}

/* pcf_show_master_params - postconf -P */
void pcf_show_master_params(struct pcf_sink *sink, const struct cfg_config *cfg, unsigned mode,
                            char **pats, int npats)
{
	const struct cfg_mastercf *m = cfg_config_mastercf(cfg);
	struct req *reqs =
	    parse_reqs(pats, npats, 3, "-P option requires service_name[/type[/parameter]]", 0);
	struct cfg_buf key, val;

	cfg_buf_init(&key);
	cfg_buf_init(&val);
	for (size_t i = 0; i < m->nsvcs; i++) {
		const struct cfg_service *svc = &m->svcs[i];
		struct cfg_strvec names;

		/* Entries with the same service/type share one name space. */
		cfg_strvec_init(&names);
		for (size_t j = 0; j < m->nsvcs; j++) {
			const struct cfg_service *o = &m->svcs[j];

			if (strcmp(o->field[CFG_MF_SERVICE], svc->field[CFG_MF_SERVICE]) == 0
			    && strcmp(o->field[CFG_MF_TYPE], svc->field[CFG_MF_TYPE]) == 0)
				entry_params(o, &names);
		}
		for (size_t n = 0; n < names.n; n++) {
			const char *name = names.v[n];
			int show = npats == 0;

			for (int k = 0; k < npats; k++) {
				if (match_service(&reqs[k], svc)
				    && (reqs[k].parts.n < 3 || match(reqs[k].parts.v[2], name))) {
					reqs[k].matches++;
					show = 1;
				}
			}
			if (!show)
				continue;
			cfg_buf_reset(&key);
			cfg_buf_reset(&val);
			cfg_buf_printf(&key, "%s/%s/%s", svc->field[CFG_MF_SERVICE],
			               svc->field[CFG_MF_TYPE], name);
			{
				const char *raw = NULL;

				for (size_t j = 0; j < m->nsvcs && raw == NULL; j++) {
					const struct cfg_service *o = &m->svcs[m->nsvcs - 1 - j];

					if (strcmp(o->field[CFG_MF_SERVICE],
					           svc->field[CFG_MF_SERVICE])
					        == 0
					    && strcmp(o->field[CFG_MF_TYPE],
					              svc->field[CFG_MF_TYPE])
					           == 0)
						raw = cfg_service_override(o, name);
				}
				if (mode & PCF_SHOW_EVAL)
					expand_or_die(cfg, svc, raw ? raw : "", &val);
				else
					cfg_buf_adds(&val, raw ? raw : "");
			}
			sink->pair(sink, key.data, val.data, 0);
		}
		cfg_strvec_fini(&names);
	}
	cfg_buf_fini(&key);
	cfg_buf_fini(&val);
	finish_reqs(reqs, npats);
}
