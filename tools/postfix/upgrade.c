/*
 * upgrade.c - `postfix upgrade-configuration`: Postfix's post-install fixes
 *
 * Missing queue directories are created, then master.cf gets, in Postfix's
 * order and with its messages, every service entry Postfix 3.7 adds when it
 * is missing (postkit's master skips the ones it does not implement, with a
 * note in the log), and the edits Postfix makes to old entries.  Postfix
 * makes those edits with ed(1), whose output it shows: the file size, the
 * line before and after, the size again; so do we.  main.cf: the deferred
 * queues are added to hash_queue_names when missing.
 * Not done (postkit-only limits, said here so nobody wonders): the IPv6
 * safety net that sets inet_protocols = ipv4 on configurations older than
 * Postfix 2.9, and the installation-parameter rewrite of post-install.
 */
#include "config.h"

#include <regex.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cfg/base/diag.h"
#include "cfg/doc/edit.h"
#include "cfg/base/fileio.h"
#include "cfg/base/strvec.h"
#include "cfg/base/xalloc.h"
#include "log.h"
#include "postfix.h"

enum step_kind { ADD, EDIT, HASH_QUEUES };

/* One step of post-install's upgrade-configuration, in its order. */
static const struct step {
	enum step_kind kind;
	const char *match; /* ADD: grep pattern (BRE); EDIT: the line to edit */
	const char *what;  /* the end of the "Editing ..." message */
	const char *text;  /* ADD: the entry; EDIT: "s-pattern\ns-replacement[\n...]" */
} steps[] = {
    {ADD, "^relay", "adding missing entry for relay service", "relay\t  unix\t-\t-\tn\t-\t-\tsmtp"},
    {ADD, "^flush.*flush", "adding missing entry for flush service",
     "flush     unix  -       -       n       1000?   0       flush"},
    {ADD, "trace.*bounce", "adding missing entry for trace service",
     "trace\t  unix\t-\t-\tn\t-\t0\tbounce"},
    {ADD, "^verify.*verify", "adding missing entry for verify service",
     "verify\t  unix\t-\t-\tn\t-\t1\tverify"},
    {EDIT, "^verify.*[ \t]0[ \t]*verify", "setting verify process limit to 1",
     "\\([ \t]\\)0\\([ \t]\\)\n\\11\\2"},
    {EDIT, "^pickup[ \t]*fifo[ \t]*n[ \t]*n", "making the pickup service unprivileged",
     "\\(n[ \t]*\\)n\n\\1-"},
    {EDIT, "^cleanup[ \t]*unix[ \t]*[-y]", "making the cleanup service public", "[-y]\nn"},
    {EDIT, "^flush[ \t]*unix[ \t]*[-y]", "making the flush service public", "[-y]\nn"},
    {HASH_QUEUES, NULL, NULL, NULL},
    {ADD, "^proxymap.*proxymap", "adding missing entry for proxymap service",
     "proxymap  unix\t-\t-\tn\t-\t-\tproxymap"},
    {ADD, "^anvil.*anvil", "adding missing entry for anvil service",
     "anvil\t  unix\t-\t-\tn\t-\t1\tanvil"},
    {ADD, "^scache.*scache", "adding missing entry for scache service",
     "scache\t  unix\t-\t-\tn\t-\t1\tscache"},
    {ADD, "^discard.*discard", "adding missing entry for discard service",
     "discard\t  unix\t-\t-\tn\t-\t-\tdiscard"},
    {EDIT, "^tlsmgr[ \t]*fifo[ \t]", "updating the tlsmgr from fifo to unix service",
     "fifo\nunix\n[0-9][0-9]*\n&?"},
    {ADD, "^tlsmgr.*tlsmgr", "adding missing entry for tlsmgr service",
     "tlsmgr    unix  -       -       n       1000?   1       tlsmgr"},
    {ADD, "^retry.*error", "adding missing entry for retry service",
     "retry     unix  -       -       n       -       -       error"},
    {ADD, "^proxywrite.*proxymap", "adding missing entry for proxywrite service",
     "proxywrite unix -       -       n       -       1       proxymap"},
    {EDIT, "^proxywrite.*-[ \t]*proxymap", "setting proxywrite process limit to 1",
     "-\\([ \t]*proxymap\\)\n1\\1"},
    {ADD, "^#*smtp.*postscreen", "adding missing entry for postscreen TCP service",
     "#smtp      inet  n       -       n       -       1       postscreen"},
    {ADD, "^#*smtpd.*smtpd", "adding missing entry for smtpd unix-domain service",
     "#smtpd     pass  -       -       n       -       -       smtpd"},
    {ADD, "^#*dnsblog.*dnsblog", "adding missing entry for dnsblog unix-domain service",
     "#dnsblog   unix  -       -       n       -       0       dnsblog"},
    {ADD, "^#*tlsproxy.*tlsproxy", "adding missing entry for tlsproxy unix-domain service",
     "#tlsproxy  unix  -       -       n       -       0       tlsproxy"},
    {ADD, "^postlog", "adding missing entry for postlog unix-domain datagram service",
     "postlog   unix-dgram n  -       n       -       1       postlogd"},
};

/* master.cf as lines while it is edited */
struct mf {
	char *path;
	struct cfg_strvec lines;
	int changed;
};

/* find - the first line matching a BRE, or -1 */
static long find(const struct mf *m, const char *pattern)
{
	regex_t re;
	long at = -1;

	if (regcomp(&re, pattern, REG_NOSUB) != 0)
		mta_panic("bad pattern: %s", pattern);
	for (size_t i = 0; i < m->lines.n && at < 0; i++)
		if (regexec(&re, m->lines.v[i], 0, NULL, 0) == 0)
			at = (long)i;
	regfree(&re);
	return at;
}

/* size - the file's bytes, as ed counts them */
static size_t size(const struct mf *m)
{
	size_t n = 0;

	for (size_t i = 0; i < m->lines.n; i++)
		n += strlen(m->lines.v[i]) + 1;
	return n;
}

/* subst - ed's s/pattern/replacement/ on one line (first match; \N and & in the replacement) */
static char *subst(const char *line, const char *pattern, const char *repl)
{
	regmatch_t pm[10];
	struct cfg_buf out;
	regex_t re;

	if (regcomp(&re, pattern, 0) != 0)
		mta_panic("bad pattern: %s", pattern);
	if (regexec(&re, line, 10, pm, 0) != 0) {
		regfree(&re);
		return cfg_xstrdup(line);
	}
	cfg_buf_init(&out);
	cfg_buf_add(&out, line, (size_t)pm[0].rm_so);
	for (const char *r = repl; *r; r++) {
		int g = -1;

		if (*r == '&')
			g = 0;
		else if (*r == '\\' && r[1] >= '0' && r[1] <= '9')
			g = *++r - '0';
		if (g < 0 || pm[g].rm_so < 0) {
			if (g < 0)
				cfg_buf_addc(&out, *r);
			continue;
		}
		cfg_buf_add(&out, line + pm[g].rm_so, (size_t)(pm[g].rm_eo - pm[g].rm_so));
	}
	cfg_buf_adds(&out, line + pm[0].rm_eo);
	regfree(&re);
	return cfg_buf_take(&out);
}

/* edit - one ed session: show what ed shows, apply the substitutions */
static void edit(struct mf *m, const char *config_dir, const struct step *s)
{
	long at = find(m, s->match);
	struct cfg_strvec subs;
	char *line;

	if (at < 0)
		return;
	printf("Editing %s/master.cf, %s\n", config_dir, s->what);
	printf("%zu\n%s\n", size(m), m->lines.v[at]);
	cfg_strvec_init(&subs);
	cfg_strvec_split(&subs, s->text, "\n");
	line = cfg_xstrdup(m->lines.v[at]);
	for (size_t i = 0; i + 1 < subs.n; i += 2) {
		char *next = subst(line, subs.v[i], subs.v[i + 1]);

		free(line);
		line = next;
	}
	cfg_strvec_fini(&subs);
	free(m->lines.v[at]);
	m->lines.v[at] = line;
	m->changed = 1;
	printf("%s\n%zu\n", line, size(m));
}

/* hash_queues - hash_queue_names must name defer and deferred */
static int hash_queues(struct mta_conf *c, const char *config_dir)
{
	const char *found = mta_conf_text(c, CFG_P_hash_queue_names);
	char missing[32] = "";
	char *path, *arg;
	struct cfg_edit *ed = NULL;
	struct cfg_diags ds;
	struct cfg_buf in, out;
	int rc = 0;

	/* substring tests, as post-install's grep: "deferred" contains "defer" */
	if (strstr(found, "defer") == NULL)
		snprintf(missing, sizeof(missing), " defer");
	if (strstr(found, "deferred") == NULL)
		snprintf(missing + strlen(missing), sizeof(missing) - strlen(missing), " deferred");
	if (*missing == '\0')
		return 0;
	/* post-install's unquoted echo: one space before the names */
	printf("fixing main.cf hash_queue_names for missing%s\n", missing);
	path = cfg_xasprintf("%s/main.cf", config_dir);
	arg = cfg_xasprintf("hash_queue_names=%s%s", found, missing);
	cfg_diags_init(&ds);
	cfg_buf_init(&in);
	cfg_buf_init(&out);
	if (cfg_edit_parse(CFG_EDIT_MAIN, CFG_EDIT_SET, &arg, 1, &ed, &ds) < 0
	    || cfg_file_read(path, &in, &ds) < 0
	    || cfg_edit_apply(ed, path, in.data, in.len, &out, &ds) < 0
	    || cfg_file_replace(path, out.data, out.len, 0644, &ds) < 0)
		rc = -1;
	for (size_t i = 0; i < ds.n; i++) {
		if (ds.v[i].sev >= CFG_SEV_ERROR)
			mta_error("%s", ds.v[i].msg);
		else
			mta_warn("%s", ds.v[i].msg);
	}
	cfg_edit_free(ed);
	cfg_buf_fini(&in);
	cfg_buf_fini(&out);
	cfg_diags_fini(&ds);
	free(arg);
	free(path);
	return rc;
}

/* load - master.cf as lines; -1 when it cannot be read */
static int load(struct mf *m, const char *config_dir)
{
	struct cfg_diags ds;
	struct cfg_buf text;
	int rc = 0;

	m->path = cfg_xasprintf("%s/master.cf", config_dir);
	cfg_strvec_init(&m->lines);
	cfg_diags_init(&ds);
	cfg_buf_init(&text);
	if (cfg_file_read(m->path, &text, &ds) < 0) {
		mta_error("%s", ds.n ? ds.v[0].msg : "cannot read master.cf");
		rc = -1;
	} else {
		for (char *p = text.data, *nl; p < text.data + text.len; p = nl + 1) {
			nl = memchr(p, '\n', (size_t)(text.data + text.len - p));
			if (nl == NULL)
				nl = text.data + text.len;
			cfg_strvec_addn(&m->lines, p, (size_t)(nl - p));
		}
	}
	cfg_buf_fini(&text);
	cfg_diags_fini(&ds);
	return rc;
}

/* save - write master.cf back when a step changed it */
static int save(struct mf *m)
{
	struct cfg_diags ds;
	char *text;
	int rc = 0;

	if (!m->changed)
		return 0;
	cfg_diags_init(&ds);
	cfg_strvec_add(&m->lines, ""); /* the last line ends with a newline */
	text = cfg_strvec_join(&m->lines, "\n");
	if (cfg_file_replace(m->path, text, strlen(text), 0644, &ds) < 0) {
		mta_error("%s", ds.n ? ds.v[0].msg : "cannot write master.cf");
		rc = -1;
	}
	free(text);
	cfg_diags_fini(&ds);
	return rc;
}

int pfx_upgrade_configuration(struct mta_conf *c, const char *config_dir, const char *queue_dir)
{
	struct mf m;
	int rc = 0;

	memset(&m, 0, sizeof(m));
	if (pfx_create_missing(c, config_dir, queue_dir) < 0)
		rc = 1;
	if (load(&m, config_dir) < 0)
		return 1;
	for (size_t i = 0; i < sizeof(steps) / sizeof(steps[0]); i++) {
		const struct step *s = &steps[i];

		if (s->kind == ADD && find(&m, s->match) < 0) {
			printf("Editing %s/master.cf, %s\n", config_dir, s->what);
			cfg_strvec_add(&m.lines, s->text);
			m.changed = 1;
		} else if (s->kind == EDIT) {
			edit(&m, config_dir, s);
		} else if (s->kind == HASH_QUEUES && hash_queues(c, config_dir) < 0) {
			rc = 1;
		}
	}
	fflush(stdout);
	if (save(&m) < 0)
		rc = 1;
	cfg_strvec_fini(&m.lines);
	free(m.path);
	return rc;
}
