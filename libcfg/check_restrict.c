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

#include "cfg/list.h"
#include "cfg/validate.h"
#include "cfg/xalloc.h"
#include "check_int.h"

/* Postfix 3.7's smtpd restrictions; see cfgp_restriction_find() for the flags. */
static const struct cfgp_restriction restrictions[] = {
    {"check_ccert_access", CFGP_R_TABLE, NULL},
    {"check_client_a_access", CFGP_R_TABLE, NULL},
    {"check_client_access", CFGP_R_TABLE, NULL},
    {"check_client_mx_access", CFGP_R_TABLE, NULL},
    {"check_client_ns_access", CFGP_R_TABLE, NULL},
    {"check_etrn_access", CFGP_R_TABLE, NULL},
    {"check_helo_a_access", CFGP_R_TABLE | CFGP_R_SPOOFABLE, NULL},
    {"check_helo_access", CFGP_R_TABLE | CFGP_R_SPOOFABLE, NULL},
    {"check_helo_mx_access", CFGP_R_TABLE | CFGP_R_SPOOFABLE, NULL},
    {"check_helo_ns_access", CFGP_R_TABLE | CFGP_R_SPOOFABLE, NULL},
    {"check_policy_service", CFGP_R_POLICY, NULL},
    {"check_recipient_a_access", CFGP_R_TABLE, NULL},
    {"check_recipient_access", CFGP_R_TABLE, NULL},
    {"check_recipient_maps", 0, NULL},
    {"check_recipient_mx_access", CFGP_R_TABLE, NULL},
    {"check_recipient_ns_access", CFGP_R_TABLE, NULL},
    {"check_relay_domains", CFGP_R_GUARD,
     "support for restriction \"check_relay_domains\" will be removed from Postfix; use "
     "\"reject_unauth_destination\" instead"},
    {"check_reverse_client_hostname_a_access", CFGP_R_TABLE, NULL},
    {"check_reverse_client_hostname_access", CFGP_R_TABLE, NULL},
    {"check_reverse_client_hostname_mx_access", CFGP_R_TABLE, NULL},
    {"check_reverse_client_hostname_ns_access", CFGP_R_TABLE, NULL},
    {"check_sasl_access", CFGP_R_TABLE, NULL},
    {"check_sender_a_access", CFGP_R_TABLE | CFGP_R_SPOOFABLE, NULL},
    {"check_sender_access", CFGP_R_TABLE | CFGP_R_SPOOFABLE, NULL},
    {"check_sender_mx_access", CFGP_R_TABLE | CFGP_R_SPOOFABLE, NULL},
    {"check_sender_ns_access", CFGP_R_TABLE | CFGP_R_SPOOFABLE, NULL},
    {"defer", CFGP_R_FINAL | CFGP_R_GUARD, NULL},
    {"defer_if_permit", CFGP_R_GUARD, NULL},
    {"defer_if_reject", 0, NULL},
    {"defer_unauth_destination", CFGP_R_GUARD | CFGP_R_RELAY, NULL},
    {"permit", CFGP_R_FINAL | CFGP_R_PERMIT, NULL},
    {"permit_auth_destination", 0, NULL},
    {"permit_dnswl_client", CFGP_R_DOMAIN, NULL},
    {"permit_inet_interfaces", 0, NULL},
    {"permit_mx_backup", CFGP_R_MXBACKUP, NULL},
    {"permit_mynetworks", 0, NULL},
    {"permit_naked_ip_address", 0,
     "restriction permit_naked_ip_address is deprecated. Use permit_mynetworks or "
     "permit_sasl_authenticated instead"},
    {"permit_rhswl_client", CFGP_R_DOMAIN, NULL},
    {"permit_sasl_authenticated", 0, NULL},
    {"permit_tls_all_clientcerts", 0, NULL},
    {"permit_tls_clientcerts", 0, NULL},
    {"reject", CFGP_R_FINAL | CFGP_R_GUARD, NULL},
    {"reject_authenticated_sender_login_mismatch", 0, NULL},
    {"reject_invalid_helo_hostname", 0, NULL},
    {"reject_invalid_hostname", 0, NULL},
    {"reject_known_sender_login_mismatch", 0, NULL},
    {"reject_maps_rbl", 0,
     "support for restriction \"reject_maps_rbl\" will be removed from Postfix; use "
     "\"reject_rbl_client domain-name\" instead"},
    {"reject_multi_recipient_bounce", 0, NULL},
    {"reject_non_fqdn_helo_hostname", 0, NULL},
    {"reject_non_fqdn_hostname", 0, NULL},
    {"reject_non_fqdn_recipient", 0, NULL},
    {"reject_non_fqdn_sender", 0, NULL},
    {"reject_plaintext_session", 0, NULL},
    {"reject_rbl_client", CFGP_R_DOMAIN, NULL},
    {"reject_rhsbl_client", CFGP_R_DOMAIN, NULL},
    {"reject_rhsbl_helo", CFGP_R_DOMAIN, NULL},
    {"reject_rhsbl_recipient", CFGP_R_DOMAIN, NULL},
    {"reject_rhsbl_reverse_client", CFGP_R_DOMAIN, NULL},
    {"reject_rhsbl_sender", CFGP_R_DOMAIN, NULL},
    {"reject_sender_login_mismatch", 0, NULL},
    {"reject_unauth_destination", CFGP_R_GUARD | CFGP_R_RELAY, NULL},
    {"reject_unauth_pipelining", 0, NULL},
    {"reject_unauthenticated_sender_login_mismatch", 0, NULL},
    {"reject_unknown_client", 0, NULL},
    {"reject_unknown_client_hostname", 0, NULL},
    {"reject_unknown_helo_hostname", 0, NULL},
    {"reject_unknown_hostname", 0, NULL},
    {"reject_unknown_recipient_domain", 0, NULL},
    {"reject_unknown_reverse_client_hostname", 0, NULL},
    {"reject_unknown_sender_domain", 0, NULL},
    {"reject_unlisted_recipient", 0, NULL},
    {"reject_unlisted_sender", 0, NULL},
    {"reject_unverified_recipient", 0, NULL},
    {"reject_unverified_sender", 0, NULL},
    {"sleep", CFGP_R_NUMBER, NULL},
    {"warn_if_reject", CFGP_R_WARN, NULL},
};
#define NRESTRICTIONS (sizeof(restrictions) / sizeof(restrictions[0]))

/* The lists with a default access check for a bare type:table, as smtpd applies them. */
static const struct context {
	const char *param;
	const char *def_acl; /* NULL: a bare table is an error */
} contexts[] = {
    {"smtpd_client_restrictions", "check_client_access"},
    {"smtpd_data_restrictions", NULL},
    {"smtpd_end_of_data_restrictions", NULL},
    {"smtpd_etrn_restrictions", "check_etrn_access"},
    {"smtpd_helo_restrictions", "check_helo_access"},
    {"smtpd_recipient_restrictions", "check_recipient_access"},
    {"smtpd_relay_restrictions", "check_recipient_access"},
    {"smtpd_sender_restrictions", "check_sender_access"},
};

/* The other two "restriction" parameters and the words they take. */
static const char *const rewrite_words[] = {
    "permit_inet_interfaces",
    "permit_mynetworks",
    "permit_sasl_authenticated",
    "permit_tls_all_clientcerts",
    "permit_tls_clientcerts",
    "check_address_map",
    NULL,
};
static const char *const postscreen_words[] = {"permit_mynetworks", NULL};

const struct cfgp_restriction *cfgp_restriction_find(const char *name)
{
	size_t lo = 0, hi = NRESTRICTIONS;

	while (lo < hi) {
		size_t mid = (lo + hi) / 2;
		int c = strcasecmp(name, restrictions[mid].name);

		if (c == 0)
			return &restrictions[mid];
		if (c < 0)
			hi = mid;
		else
			lo = mid + 1;
	}
	return NULL;
}

/* find_context - the contexts row of a restriction list parameter, or NULL */
static const struct context *find_context(const char *param)
{
	for (size_t i = 0; i < sizeof(contexts) / sizeof(contexts[0]); i++)
		if (strcmp(contexts[i].param, param) == 0)
			return &contexts[i];
	return NULL;
}

/* suggest_restriction - the closest restriction or class name, into out; 1 when found */
static int suggest_restriction(const struct cfgp_check *ck, const char *w, struct cfg_buf *out)
{
	struct cfgp_suggest sg;
	struct cfg_buf b;
	struct cfg_strvec classes;
	int found;

	cfgp_suggest_init(&sg, w);
	for (size_t i = 0; i < NRESTRICTIONS; i++)
		cfgp_suggest_try(&sg, restrictions[i].name);
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
                      const struct cfgp_restriction *r, char *const *words, size_t i, size_t n)
{
	const char *a = i + 1 < n ? words[i + 1] : NULL;
	struct cfgp_at at = {words, i};
	struct cfg_param_def host = {0};
	struct cfg_buf why;

	if (r->flags & CFGP_R_TABLE) {
		if (a == NULL || strchr(a, ':') == NULL)
			cfgp_check_add_at(
			    ck, CFG_SEV_ERROR, "restriction-argument", s, r->name, cfgp_at_nth(&at),
			    0, "restriction %s: bad argument \"%s\": need maptype:mapname", r->name,
			    a ? a : "");
		else {
			struct cfgp_at aat = {words, i + 1};

			cfgp_check_table(ck, s, a, &aat);
		}
	} else if (r->flags & CFGP_R_POLICY) {
		const char *p = a ? a + (a[0] == '{') : NULL;

		if (p != NULL)
			p += strspn(p, " \t");
		if (p == NULL || strchr(p, ':') == NULL || cfgp_restriction_find(a) != NULL)
			cfgp_check_add_at(
			    ck, CFG_SEV_ERROR, "restriction-argument", s, r->name, cfgp_at_nth(&at),
			    0, "restriction %s must be followed by transport:server", r->name);
	} else if (r->flags & CFGP_R_NUMBER) {
		if (a == NULL || a[strspn(a, "0123456789")] != 0 || a[0] == 0)
			cfgp_check_add_at(ck, CFG_SEV_ERROR, "restriction-argument", s, r->name,
			                  cfgp_at_nth(&at), 0,
			                  "restriction %s must be followed by number", r->name);
	} else if (r->flags & CFGP_R_DOMAIN) {
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

/* check_small_vocabulary - local_header_rewrite_clients / postscreen_access_list */
static void check_small_vocabulary(struct cfgp_check *ck, const struct cfgp_setting *s,
                                   char *const *words, size_t n, const char *const *vocab)
{
	for (size_t i = 0; i < n; i++) {
		const char *w = words[i], *const * v;
		struct cfgp_at at = {words, i};

		for (v = vocab; *v; v++)
			if (strcasecmp(*v, w) == 0)
				break;
		if (*v != NULL && strcmp(*v, "check_address_map") == 0) {
			if (i + 1 < n) {
				i++;
				{
					struct cfgp_at tat = {words, i};

					cfgp_check_table(ck, s, words[i], &tat);
				}
			} else
				cfgp_check_add_at(
				    ck, CFG_SEV_ERROR, "restriction-argument", s, w,
				    cfgp_at_nth(&at), 0,
				    "%s: check_address_map needs a type:table argument", s->name);
		} else if (*v == NULL && strchr(w, ':') != NULL) {
			cfgp_check_table(ck, s, w[0] == '!' ? w + 1 : w, &at);
		} else if (*v == NULL) {
			const char *hint = cfg_check_suggest(w, vocab);

			cfgp_check_add_at(
			    ck, CFG_SEV_ERROR, "restriction-unknown", s, w, cfgp_at_nth(&at), 0,
			    "parameter %s: unknown value \"%s\"%s%s%s", s->name, w,
			    hint ? " (did you mean \"" : "", hint ? hint : "", hint ? "\"?)" : "");
		}
	}
}

void cfgp_check_restrictions(struct cfgp_check *ck, const struct cfgp_setting *s,
                             const char *expanded)
{
	const struct context *ctx = find_context(s->name);
	struct cfg_strvec words;

	cfg_strvec_init(&words);
	cfg_list_tokens(expanded, CFG_LIST_SEPARATORS, &words);
	if (strcmp(s->name, "local_header_rewrite_clients") == 0) {
		check_small_vocabulary(ck, s, words.v, words.n, rewrite_words);
		goto out;
	}
	if (strcmp(s->name, "postscreen_access_list") == 0) {
		check_small_vocabulary(ck, s, words.v, words.n, postscreen_words);
		goto out;
	}
	for (size_t i = 0; i < words.n; i++) {
		const char *w = words.v[i];
		const struct cfgp_restriction *r = cfgp_restriction_find(w);
		struct cfgp_at at = {words.v, i};

		if (r == NULL) {
			struct cfg_buf hint;

			if (strchr(w, ':') != NULL && ctx != NULL && ctx->def_acl == NULL)
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
		if (r->flags & CFGP_R_ARGS) {
			check_arg(ck, s, r, words.v, i, words.n);
			i++;
			continue;
		}
		if ((r->flags & CFGP_R_WARN) && i + 1 == words.n)
			cfgp_check_add_at(
			    ck, CFG_SEV_WARNING, "restriction-ignored", s, w, cfgp_at_nth(&at), 0,
			    "%s at the end of %s has no restriction to apply to", w, s->name);
		if ((r->flags & CFGP_R_FINAL) && i + 1 < words.n
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
