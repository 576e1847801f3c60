/*
 * check_restrict.c - SMTP server restriction lists: every name is one of
 * Postfix 3.7's smtpd restrictions (or a restriction class, or a bare
 * type:table in a list that has a default access check), each argument is
 * present and of the right kind, tables open, deprecated names and
 * restrictions that can never run are pointed out; plus the two lists that
 * take a smaller vocabulary (local_header_rewrite_clients,
 * postscreen_access_list) and smtpd_restriction_classes
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "cfg/param/list.h"
#include "cfg/param/validate.h"
#include "cfg/base/xalloc.h"
#include "check_int.h"

const struct cfg_restriction_def *cfgp_restriction_find(const char *name)
{
	const struct cfg_restriction_def *r = cfg_restriction_find(name);

	return r != NULL && !(r->flags & CFG_RF_NOTSMTPD) ? r : NULL;
}

/* suggest_restriction - the closest restriction or class name, into out; 1 when found */
static int suggest_restriction(const struct cfgp_check *ck, const char *w, struct cfg_buf *out)
{
	struct cfgp_suggest sg;
	struct cfg_buf b;
	struct cfg_strvec classes;
	int found;

	cfgp_suggest_init(&sg, w);
	for (size_t i = 0; i < cfg_restriction_count(); i++) {
		const struct cfg_restriction_def *r =
		    cfg_restriction_get((enum cfg_restriction_id)i);

		if (!(r->flags & CFG_RF_NOTSMTPD))
			cfgp_suggest_try(&sg, r->name);
	}
	cfg_buf_init(&b);
	cfg_strvec_init(&classes);
	if (cfgp_check_effective(ck, "smtpd_restriction_classes", &b) == 0)
		cfg_strvec_split(&classes, b.data, CFG_LIST_SEPARATORS);
	for (size_t i = 0; i < classes.n; i++)
		cfgp_suggest_try(&sg, classes.v[i]);
	found = sg.best != NULL;
	if (found)
		cfg_buf_adds(out, sg.best);
	cfgp_suggest_fini(&sg);
	cfg_strvec_fini(&classes);
	cfg_buf_fini(&b);
	return found;
}

/* check_arg - the argument of a restriction that takes one */
static void check_arg(struct cfgp_check *ck, const struct cfgp_setting *s,
                      const struct cfg_restriction_def *r, char *const *words, size_t i, size_t n)
{
	const char *a = i + 1 < n ? words[i + 1] : NULL;
	struct cfgp_at at = {words, i};
	struct cfg_param_def host = {0};
	struct cfg_buf why;

	if (r->arg == CFG_RA_TABLE) {
		if (a == NULL || strchr(a, ':') == NULL)
			cfgp_check_add_at(
			    ck, CFG_SEV_ERROR, "restriction-argument", s, r->name, cfgp_at_nth(&at),
			    0, "restriction %s: bad argument \"%s\": need maptype:mapname", r->name,
			    a ? a : "");
		else {
			struct cfgp_at aat = {words, i + 1};

			cfgp_check_table(ck, s, a, &aat);
		}
	} else if (r->arg == CFG_RA_POLICY) {
		const char *p = a ? a + (a[0] == '{') : NULL;

		if (p != NULL)
			p += strspn(p, " \t");
		if (p == NULL || strchr(p, ':') == NULL || cfgp_restriction_find(a) != NULL)
			cfgp_check_add_at(
			    ck, CFG_SEV_ERROR, "restriction-argument", s, r->name, cfgp_at_nth(&at),
			    0, "restriction %s must be followed by transport:server", r->name);
	} else if (r->arg == CFG_RA_NUMBER) {
		if (a == NULL || a[strspn(a, "0123456789")] != 0 || a[0] == 0)
			cfgp_check_add_at(ck, CFG_SEV_ERROR, "restriction-argument", s, r->name,
			                  cfgp_at_nth(&at), 0,
			                  "restriction %s must be followed by number", r->name);
	} else if (r->arg == CFG_RA_DOMAIN) {
		char *dom = a ? cfg_xstrndup(a, strcspn(a, "=")) : NULL;

		host.type = CFG_T_DOMAIN;
		cfg_buf_init(&why);
		if (a == NULL)
			cfgp_check_add_at(ck, CFG_SEV_ERROR, "restriction-argument", s, r->name,
			                  cfgp_at_nth(&at), 0,
			                  "restriction %s requires domain name argument", r->name);
		else if (cfgp_restriction_find(a) != NULL || strchr(a, ':') != NULL
		         || cfg_type_check_for(CFG_T_DOMAIN)->check(&host, dom, &why) < 0)
			cfgp_check_add_at(
			    ck, CFG_SEV_ERROR, "restriction-argument", s, r->name, cfgp_at_nth(&at),
			    0,
			    "restriction %s requires domain name argument (\"%s\" was "
			    "taken as the DNS list domain)",
			    r->name, a);
		cfg_buf_fini(&why);
		free(dom);
	}
}

/* vocab_find - the row of w when it may appear in a list that takes the words with flag */
static const struct cfg_restriction_def *vocab_find(const char *w, unsigned flag)
{
	const struct cfg_restriction_def *r = cfg_restriction_find(w);

	return r != NULL && (r->flags & flag) ? r : NULL;
}

/* vocab_suggest - the closest word of the vocabulary flag, or NULL (owned by sg) */
static const char *vocab_suggest(struct cfgp_suggest *sg, const char *w, unsigned flag)
{
	cfgp_suggest_init(sg, w);
	for (size_t i = 0; i < cfg_restriction_count(); i++) {
		const struct cfg_restriction_def *r =
		    cfg_restriction_get((enum cfg_restriction_id)i);

		if (r->flags & flag)
			cfgp_suggest_try(sg, r->name);
	}
	return sg->best;
}

/*
 * check_small_vocabulary - local_header_rewrite_clients (flag CFG_RF_LHRC) and
 * postscreen_access_list (CFG_RF_PSCREEN) take a few restriction names and tables
 */
static void check_small_vocabulary(struct cfgp_check *ck, const struct cfgp_setting *s,
                                   char *const *words, size_t n, unsigned flag)
{
	for (size_t i = 0; i < n; i++) {
		const char *w = words[i];
		const struct cfg_restriction_def *r = vocab_find(w, flag);
		struct cfgp_at at = {words, i};

		if (r != NULL && r->arg == CFG_RA_TABLE) {
			if (i + 1 < n) {
				struct cfgp_at tat = {words, ++i};

				cfgp_check_table(ck, s, words[i], &tat);
			} else
				cfgp_check_add_at(ck, CFG_SEV_ERROR, "restriction-argument", s, w,
				                  cfgp_at_nth(&at), 0,
				                  "%s: %s needs a type:table argument", s->name,
				                  r->name);
		} else if (r == NULL && strchr(w, ':') != NULL) {
			cfgp_check_table(ck, s, w[0] == '!' ? w + 1 : w, &at);
		} else if (r == NULL) {
			struct cfgp_suggest sg;
			const char *hint = vocab_suggest(&sg, w, flag);

			cfgp_check_add_at(
			    ck, CFG_SEV_ERROR, "restriction-unknown", s, w, cfgp_at_nth(&at), 0,
			    "parameter %s: unknown value \"%s\"%s%s%s", s->name, w,
			    hint ? " (did you mean \"" : "", hint ? hint : "", hint ? "\"?)" : "");
			cfgp_suggest_fini(&sg);
		}
	}
}

void cfgp_check_restrictions(struct cfgp_check *ck, const struct cfgp_setting *s,
                             const char *expanded)
{
	const struct cfg_restriction_list_def *ctx = cfg_restriction_list_find(s->name);
	struct cfg_strvec words;

	cfg_strvec_init(&words);
	cfg_list_tokens(expanded, CFG_LIST_SEPARATORS, &words);
	if (strcmp(s->name, "local_header_rewrite_clients") == 0) {
		check_small_vocabulary(ck, s, words.v, words.n, CFG_RF_LHRC);
		goto out;
	}
	if (strcmp(s->name, "postscreen_access_list") == 0) {
		check_small_vocabulary(ck, s, words.v, words.n, CFG_RF_PSCREEN);
		goto out;
	}
	for (size_t i = 0; i < words.n; i++) {
		const char *w = words.v[i];
		const struct cfg_restriction_def *r = cfgp_restriction_find(w);
		struct cfgp_at at = {words.v, i};

		if (r == NULL) {
			struct cfg_buf hint;

			if (strchr(w, ':') != NULL && ctx != NULL
			    && ctx->default_access == CFG_R_NONE)
				cfgp_check_add_at(
				    ck, CFG_SEV_ERROR, "restriction-bare-table", s, w,
				    cfgp_at_nth(&at), 0,
				    "specify one of (check_client_access, "
				    "check_reverse_client_hostname_access, check_helo_access, "
				    "check_sender_access, check_recipient_access, "
				    "check_etrn_access) "
				    "before %s restriction \"%s\"",
				    s->name, w);
			else if (strchr(w, ':') != NULL)
				cfgp_check_table(ck, s, w, &at);
			else if (!cfgp_check_is_class(ck, w)) {
				cfg_buf_init(&hint);
				if (suggest_restriction(ck, w, &hint))
					cfgp_check_add_at(
					    ck, CFG_SEV_ERROR, "restriction-unknown", s, w,
					    cfgp_at_nth(&at), 0,
					    "unknown smtpd restriction: \"%s\" (did you "
					    "mean \"%s\"?)",
					    w, hint.data);
				else
					cfgp_check_add_at(
					    ck, CFG_SEV_ERROR, "restriction-unknown", s, w,
					    cfgp_at_nth(&at), 0,
					    "unknown smtpd restriction: \"%s\" (smtpd answers "
					    "\"451 4.3.5 Server configuration error\")",
					    w);
				cfg_buf_fini(&hint);
			}
			continue;
		}
		if (r->deprecated != NULL)
			cfgp_check_add_at(ck, CFG_SEV_WARNING, "restriction-deprecated", s, w,
			                  cfgp_at_nth(&at), 0, "%s", r->deprecated);
		if (!r->impl)
			cfgp_check_add_at(ck, CFG_SEV_ERROR, "unsupported-restriction", s, w,
			                  cfgp_at_nth(&at), 0,
			                  "restriction %s is not implemented by postkit", r->name);
		if (r->arg != CFG_RA_NONE) {
			check_arg(ck, s, r, words.v, i, words.n);
			i++;
			continue;
		}
		if ((r->flags & CFG_RF_WARN) && i + 1 == words.n)
			cfgp_check_add_at(
			    ck, CFG_SEV_WARNING, "restriction-ignored", s, w, cfgp_at_nth(&at), 0,
			    "%s at the end of %s has no restriction to apply to", w, s->name);
		if ((r->flags & CFG_RF_FINAL) && i + 1 < words.n
		    && !(i > 0 && strcasecmp(words.v[i - 1], "warn_if_reject") == 0)) {
			const char *next = words.v[i + 1];

			cfgp_check_add_at(ck, CFG_SEV_WARNING, "restriction-ignored", s, next,
			                  cfgp_check_word_nth(words.v, i + 1), 0,
			                  "restriction `%s' after `%s' is ignored", next, w);
		}
	}
out:
	cfg_strvec_fini(&words);
}

void cfgp_check_restriction_classes(struct cfgp_check *ck, const struct cfgp_setting *s,
                                    const char *expanded)
{
	struct cfg_strvec words;

	cfg_strvec_init(&words);
	cfg_list_tokens(expanded, CFG_LIST_SEPARATORS, &words);
	for (size_t i = 0; i < words.n; i++) {
		const char *w = words.v[i], *v = cfgp_check_value(ck, w);
		struct cfgp_at at = {words.v, i};

		if (v == NULL || *v == 0)
			cfgp_check_add_at(ck, CFG_SEV_ERROR, "restriction-class", s, w,
			                  cfgp_at_nth(&at), 0,
			                  "restriction class `%s' needs a definition (set %s = "
			                  "restrictions... in main.cf)",
			                  w, w);
		else if (cfgp_restriction_find(w) != NULL || cfg_registry_find(w) != NULL)
			cfgp_check_add_at(ck, CFG_SEV_WARNING, "restriction-class", s, w,
			                  cfgp_at_nth(&at), 0,
			                  "restriction class `%s' has the name of a built-in %s", w,
			                  cfgp_restriction_find(w) ? "restriction" : "parameter");
	}
	cfg_strvec_fini(&words);
}
