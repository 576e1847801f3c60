/* smtpd_access.c - access(5) tables in smtpd restrictions: search orders and result actions */
#include "config.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "cfg/base/xalloc.h"
#include "log.h"
#include "maps.h"
#include "smtpd.h"
#include "smtpd_check.h"

/*
 * The table and the key of the last access lookup that found something, for
 * Postfix's warnings about a bad result ("access table T entry \"K\" ...").
 * smtpd serves one client at a time, and a result is used right after its
 * lookup.
 */
static const char *last_table;
static struct cfg_buf last_key;

/* found - remember where a result came from */
static void found(const char *table, const struct cfg_buf *key)
{
	if (last_key.data == NULL)
		cfg_buf_init(&last_key);
	cfg_buf_reset(&last_key);
	cfg_buf_adds(&last_key, key->data);
	last_table = table;
}

/* smtpdp_last_key - the key of the last hit */
const char *smtpdp_last_key(void)
{
	return last_key.data ? last_key.data : "";
}

/* access_opts - the search options of smtpd's access tables */
static struct cfg_mapq_opts access_opts(const struct smtpd_cfg *cfg)
{
	struct cfg_mapq_opts o;

	memset(&o, 0, sizeof(o));
	o.delimiters = cfg->recipient_delimiter;
	o.parent_style = cfg->access_parent_style;
	return o;
}

/* the searches of an access table */
enum search {
	BY_HOST, /* a host name and its parent domains */
	BY_IP,   /* an address and its network prefixes */
	BY_MAIL, /* an e-mail address (the null sender: smtpd_null_access_lookup_key) */
};

/* search - one search of table, remembering the key of a hit; 1, 0, -1 */
static int search(const struct smtpd_cfg *cfg, const char *table, enum search by, const char *what,
                  const char **value)
{
	struct cfg_maplist *ml = mta_maplist1(table);
	struct cfg_mapq_opts o;
	struct cfg_diags ds;
	struct cfg_buf key;
	int rc;

	if (ml == NULL)
		return -1;
	cfg_diags_init(&ds);
	cfg_buf_init(&key);
	if (by == BY_IP) {
		rc = cfg_mapq_access_ip(ml, what, value, &key, &ds);
	} else if (by == BY_MAIL && *what == '\0') {
		rc = cfg_maplist_find(ml, cfg->null_key, 0, value, &ds);
		cfg_buf_adds(&key, cfg->null_key);
	} else {
		o = access_opts(cfg);
		rc = by == BY_HOST ? cfg_mapq_access_host(ml, what, &o, value, &key, &ds)
		                   : cfg_mapq_access_addr(ml, what, &o, value, &key, &ds);
	}
	rc = mta_mapq_done(rc, &ds);
	if (rc > 0)
		found(table, &key);
	cfg_buf_fini(&key);
	cfg_diags_fini(&ds);
	return rc;
}

/* lookup_domain - a host name and its parent domains; 1, 0, -1 */
int smtpdp_lookup_domain(const struct smtpd_cfg *cfg, const char *table, const char *domain,
                         const char **value)
{
	return search(cfg, table, BY_HOST, domain, value);
}

/* smtpdp_lookup_addr - an address and its network prefixes; 1, 0, -1 */
int smtpdp_lookup_addr(const char *table, const char *addr, const char **value)
{
	return search(NULL, table, BY_IP, addr, value);
}

/* lookup_client - a client name (+parents) unless "unknown", then its address */
int smtpdp_lookup_client(const struct smtpd_cfg *cfg, const char *table, const char *name,
                         const char *addr, const char **value)
{
	int rc = 0;

	if (mta_maplist1(table) == NULL)
		return -1;
	if (strcmp(name, "unknown") != 0)
		rc = smtpdp_lookup_domain(cfg, table, name, value);
	if (rc == 0)
		rc = smtpdp_lookup_addr(table, addr, value);
	return rc;
}

/* lookup_mail - access(5) for an address; the null sender is smtpd_null_access_lookup_key */
int smtpdp_lookup_mail(const struct smtpd_cfg *cfg, const char *table, const char *addr,
                       const char **value)
{
	return search(cfg, table, BY_MAIL, addr, value);
}

/*
 * route - FILTER transport:destination, REDIRECT user@domain, BCC
 * user@domain: recorded with the message (cleanup and qmgr apply them).  A
 * malformed target is logged and ignored, as Postfix does.
 */
static enum verdict route(struct ck *c, const char *word, const char *text, enum subject sub,
                          const char *what)
{
	struct smtpd *s = c->s;
	int filter = strcasecmp(word, "FILTER") == 0;
	const char *table = last_table ? last_table : "";
	const char *key = last_key.data ? last_key.data : "";
	struct cfg_buf b;

	if (filter && *text == '\0') {
		mta_warn("access table %s entry \"%s\" has FILTER entry without value", table, key);
		return V_DUNNO;
	}
	if (filter ? strchr(text, ':') == NULL : strchr(text, '@') == NULL) {
		mta_warn("access table %s entry \"%s\" requires %s", table, key,
		         filter ? "transport:destination" : "user@domain target");
		return V_DUNNO;
	}
	cfg_buf_init(&b);
	cfg_buf_printf(&b, "<%s>: %s triggers %s %s", smtpdp_subject_name(c, sub),
	               sub == SUBJ_CLIENT   ? "Client host"
	               : sub == SUBJ_HELO   ? "Helo command"
	               : sub == SUBJ_SENDER ? "Sender address"
	                                    : "Recipient address",
	               filter                         ? "FILTER"
	               : strcasecmp(word, "BCC") == 0 ? "BCC"
	                                              : "REDIRECT",
	               text);
	smtpd_log_reject(s,
	                 filter                         ? "filter"
	                 : strcasecmp(word, "BCC") == 0 ? "bcc"
	                                                : "redirect",
	                 what, b.data, c->rcpt_int ? c->rcpt_int : NULL);
	cfg_buf_fini(&b);
	if (filter) {
		free(s->filter);
		s->filter = cfg_xstrdup(text);
	} else if (strcasecmp(word, "BCC") == 0) {
		cfg_strvec_add(&s->bcc, text);
	} else {
		free(s->redirect);
		s->redirect = cfg_xstrdup(text);
	}
	return V_DUNNO;
}

/* has_table - a list from an access table names a lookup table or a policy service */
static int has_table(const struct rlist *l)
{
	for (size_t i = 0; i < l->n; i++) {
		const struct relem *e = &l->v[i];

		if (e->id != CFG_R_NONE && e->arg != NULL
		    && (cfg_restriction_get(e->id)->arg == CFG_RA_TABLE
		        || cfg_restriction_get(e->id)->arg == CFG_RA_POLICY))
			return 1;
	}
	return 0;
}

/* a restriction class: smtpd_restriction_classes names it, its parameter is its list */
struct rclass {
	char *name;
	struct cfg_strvec words;
	struct rlist list;
};

static struct rclass *classes;
static size_t nclasses;

/* smtpdp_classes_init - compile every list that smtpd_restriction_classes names */
void smtpdp_classes_init(struct mta_conf *conf)
{
	struct cfg_strvec names;
	struct cfg_diags ds;

	cfg_strvec_init(&names);
	cfg_diags_init(&ds);
	mta_conf_list(conf, CFG_P_smtpd_restriction_classes, &names);
	classes = cfg_xcalloc(names.n ? names.n : 1, sizeof(*classes));
	for (size_t i = 0; i < names.n; i++) {
		struct rclass *k = &classes[nclasses++];

		/* a class is a parameter of the user's own: read by its name */
		k->name = cfg_xstrdup(names.v[i]);
		cfg_strvec_init(&k->words);
		if (cfg_view_list(conf->view, k->name, &k->words, &ds) < 0)
			mta_fatal("restriction class %s: bad value", k->name);
		smtpdp_compile(&k->list, &k->words, CFG_R_NONE);
	}
	cfg_diags_fini(&ds);
	cfg_strvec_fini(&names);
}

/* smtpdp_class_find - the compiled list of a restriction class, or NULL */
const struct rlist *smtpdp_class_find(const char *name)
{
	for (size_t i = 0; i < nclasses; i++)
		if (strcasecmp(classes[i].name, name) == 0)
			return &classes[i].list;
	return NULL;
}

/* smtpdp_run_class - a restriction class named in a list or by an access result */
enum verdict smtpdp_run_class(struct ck *c, const char *name)
{
	enum verdict v;

	if (c->depth > 8)
		return smtpdp_config_error(c, c->list_subject, 0);
	c->depth++;
	v = smtpdp_run_list(c, smtpdp_class_find(name));
	c->depth--;
	return v;
}

/* smtpdp_defer_if_permit - remember a DEFER_IF_PERMIT reply for the end of the list */
void smtpdp_defer_if_permit(struct ck *c, const char *dsn, enum subject sub, const char *text)
{
	struct cfg_buf keep = c->reply;

	if (c->defer_if_permit)
		return; /* the first one counts */
	cfg_buf_init(&c->reply);
	smtpdp_reject(c, 450, dsn, sub, "%s", text);
	snprintf(c->defer_reply, sizeof(c->defer_reply), "%s", c->reply.data);
	cfg_buf_fini(&c->reply);
	c->reply = keep;
	c->defer_if_permit = 1;
}

/* smtpdp_defer_if_reject - a later 5XX rejection in the list becomes this 450 */
void smtpdp_defer_if_reject(struct ck *c, const char *dsn, const char *who, enum subject sub,
                            const char *text)
{
	if (c->defer_if_reject)
		return; /* the first one counts */
	snprintf(c->defer_reject_reply, sizeof(c->defer_reject_reply), "450 %s <%s>: %s: %s", dsn,
	         who, smtpdp_subject_class(sub), text);
	c->defer_if_reject = 1;
}

/* smtpdp_deferred - a list's verdict after its pending defer_if_permit / defer_if_reject */
enum verdict smtpdp_deferred(struct ck *c, enum verdict v)
{
	const char *r = NULL;

	if (v == V_REJECT && c->defer_if_reject && c->reply.data[0] == '5')
		r = c->defer_reject_reply;
	/* an explicit or implicit permit turns a pending defer_if_permit into its reply */
	if (v != V_REJECT && c->defer_if_permit)
		r = c->defer_reply;
	if (r == NULL)
		return v;
	cfg_buf_reset(&c->reply);
	cfg_buf_adds(&c->reply, r);
	return V_REJECT;
}

/* access_result - act on an access table result */
enum verdict smtpdp_access_result(struct ck *c, const char *value, enum subject sub,
                                  const char *what)
{
	char word[64];
	size_t wl = strcspn(value, " \t");
	const char *text = value + wl;
	long code;

	while (*text == ' ' || *text == '\t')
		text++;
	snprintf(word, sizeof(word), "%.*s", (int)(wl < sizeof(word) ? wl : sizeof(word) - 1),
	         value);
	if (strcasecmp(word, "OK") == 0)
		return V_PERMIT;
	if (strcasecmp(word, "DUNNO") == 0)
		return V_DUNNO;
	if (strcasecmp(word, "REJECT") == 0)
		return smtpdp_reject(c, c->s->cfg->access_reject_code, "5.7.1", sub, "%s",
		                     *text ? text : "Access denied");
	if (strcasecmp(word, "DEFER") == 0)
		return smtpdp_reject(c, c->s->cfg->access_defer_code, "4.7.1", sub, "%s",
		                     *text ? text : "Access denied");
	if (strcasecmp(word, "DEFER_IF_PERMIT") == 0 || strcasecmp(word, "DEFER_IF_REJECT") == 0) {
		char dsn[16] = "4.7.1";

		/* an optional enhanced status code leads the text */
		if (text[0] == '4' && text[1] == '.' && strcspn(text, " \t") < sizeof(dsn)) {
			size_t dl = strcspn(text, " \t");

			snprintf(dsn, sizeof(dsn), "%.*s", (int)dl, text);
			text += dl;
			while (*text == ' ' || *text == '\t')
				text++;
		}
		if (strcasecmp(word, "DEFER_IF_PERMIT") == 0)
			smtpdp_defer_if_permit(c, dsn, sub, *text ? text : "Service unavailable");
		else
			smtpdp_defer_if_reject(c, dsn, smtpdp_subject_name(c, sub), sub,
			                       *text ? text : "Service unavailable");
		return V_DUNNO;
	}
	if (strcasecmp(word, "WARN") == 0 || strcasecmp(word, "INFO") == 0) {
		struct cfg_buf b;

		cfg_buf_init(&b);
		cfg_buf_printf(&b, "%s", *text ? text : "");
		smtpd_log_reject(c->s, strcasecmp(word, "INFO") == 0 ? "info" : "warn", what,
		                 b.data, c->rcpt_int ? c->rcpt_int : NULL);
		cfg_buf_fini(&b);
		return V_DUNNO;
	}
	if (strcasecmp(word, "DISCARD") == 0 || strcasecmp(word, "HOLD") == 0) {
		struct cfg_buf b;
		int discard = strcasecmp(word, "DISCARD") == 0;

		cfg_buf_init(&b);
		cfg_buf_printf(&b, "<%s>: %s triggers %s action", smtpdp_subject_name(c, sub),
		               sub == SUBJ_CLIENT   ? "Client host"
		               : sub == SUBJ_HELO   ? "Helo command"
		               : sub == SUBJ_SENDER ? "Sender address"
		                                    : "Recipient address",
		               discard ? "DISCARD" : "HOLD");
		smtpd_log_reject(c->s, discard ? "discard" : "hold", what, b.data,
		                 c->rcpt_int ? c->rcpt_int : NULL);
		cfg_buf_fini(&b);
		if (discard) {
			c->s->discard = 1;
			return V_PERMIT;
		}
		c->s->hold = 1;
		return V_DUNNO;
	}
	if (strcasecmp(word, "PREPEND") == 0) {
		cfg_strvec_add(&c->s->prepend, text);
		return V_DUNNO;
	}
	if (strcasecmp(word, "FILTER") == 0 || strcasecmp(word, "REDIRECT") == 0
	    || strcasecmp(word, "BCC") == 0)
		return route(c, word, text, sub, what);
	if ((word[0] == '4' || word[0] == '5') && isdigit((unsigned char)word[1])
	    && isdigit((unsigned char)word[2]) && word[3] == '\0') {
		char dsn[16] = "";

		code = strtol(word, NULL, 10);
		/* an optional enhanced status code follows */
		if ((text[0] == '4' || text[0] == '5') && text[1] == '.') {
			size_t dl = strcspn(text, " \t");

			if (dl < sizeof(dsn)) {
				snprintf(dsn, sizeof(dsn), "%.*s", (int)dl, text);
				text += dl;
				while (*text == ' ' || *text == '\t')
					text++;
			}
		}
		return smtpdp_reject(c, code, dsn[0] ? dsn : "5.7.1", sub, "%s",
		                     *text ? text : "Access denied");
	}
	/* a list of restriction names */
	{
		struct cfg_strvec words;
		struct rlist sub_list;
		enum verdict v;

		if (c->depth > 8)
			return smtpdp_config_error(c, sub, 0);
		cfg_strvec_init(&words);
		cfg_strvec_split(&words, value, ", \t");
		smtpdp_compile(&sub_list, &words, CFG_R_NONE);
		if (has_table(&sub_list)) {
			mta_warn("access table %s has entry with lookup table: %s",
			         last_table ? last_table : "", value);
			mta_warn("do not specify lookup tables inside SMTPD access maps");
			mta_warn("define a restriction class and specify its name instead.");
			smtpdp_rlist_fini(&sub_list);
			cfg_strvec_fini(&words);
			return smtpdp_config_error(c, sub, 0);
		}
		c->depth++;
		v = smtpdp_run_list(c, &sub_list);
		c->depth--;
		smtpdp_rlist_fini(&sub_list);
		cfg_strvec_fini(&words);
		return v;
	}
}
