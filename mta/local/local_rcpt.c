/* local_rcpt.c - one local recipient: aliases, .forward, mailbox, unknown users (see local.h) */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>

#include "addr.h"
#include "cfg/base/xalloc.h"
#include "local.h"
#include "log.h"
#include "maps.h"
#include "resolve.h"

static struct rslv *rslv;

/* the Delivered-To: addresses of the message being delivered, read once per queue file */
static struct {
	char qid[QF_ID_MAX];
	struct cfg_strvec addrs;
} dt;

void local_rcpt_init(struct mta_server *srv)
{
	rslv = rslv_new(&srv->conf);
	cfg_strvec_init(&dt.addrs);
	local_fwd_init(srv);
}

void local_rcpt_request(void)
{
	dt.qid[0] = '\0';
}

/* delivered_load - the message's Delivered-To: headers (lower case, external form) */
static void delivered_load(struct dlv_req *r)
{
	struct cfg_buf content;
	const char *p;

	if (strcmp(dt.qid, r->qid) == 0)
		return;
	snprintf(dt.qid, sizeof(dt.qid), "%s", r->qid);
	cfg_strvec_clear(&dt.addrs);
	cfg_buf_init(&content);
	if (qf_read_content(r->fd, &r->env, &content) == 0) {
		/* the headers end at the first empty line */
		for (p = content.data; p && *p && *p != '\n';) {
			const char *nl = strchr(p, '\n');
			size_t n = nl ? (size_t)(nl - p) : strlen(p);

			if (n > 13 && strncasecmp(p, "Delivered-To:", 13) == 0) {
				const char *v = p + 13;

				while (*v == ' ' || *v == '\t')
					v++;
				cfg_strvec_addn(&dt.addrs, v, (size_t)(p + n - v));
				addr_lower(dt.addrs.v[dt.addrs.n - 1]);
			}
			p = nl ? nl + 1 : NULL;
		}
	}
	cfg_buf_fini(&content);
}

/* has_delivered_to - the message already passed through this address (a loop) */
static int has_delivered_to(struct dlv_req *r, const char *addr)
{
	struct cfg_buf ext;
	int found = 0;

	delivered_load(r);
	cfg_buf_init(&ext);
	addr_externalize(addr, &ext);
	addr_lower(ext.data);
	for (size_t i = 0; i < dt.addrs.n && !found; i++)
		found = strcmp(dt.addrs.v[i], ext.data) == 0;
	cfg_buf_fini(&ext);
	return found;
}

/* file_owner - owner of a file-based table: 1 root (trusted), 0 *uid, -1 unknown */
static int file_owner(const char *path, uid_t *uid)
{
	struct stat st;

	if (stat(path, &st) < 0)
		return -1;
	*uid = st.st_uid;
	return st.st_uid == 0 ? 1 : 0;
}

/*
 * table_owner - who owns an alias table: 1 root or a table without a file
 * (inline:, static:), 0 the user *uid, -1 unknown.  Commands and files in
 * the aliases run with that user's rights, default_privs for root.
 */
static int table_owner(const char *spec, uid_t *uid)
{
	const char *colon, *name;
	char *path;
	int rc;

	if (strncmp(spec, "proxy:", 6) == 0)
		spec += 6;
	if ((colon = strchr(spec, ':')) == NULL)
		return -1;
	name = colon + 1;
#define IS(t) ((size_t)(colon - spec) == strlen(t) && strncmp(spec, t, strlen(t)) == 0)
	if (IS("hash") || IS("btree") || IS("gdbm")) {
		path = cfg_xasprintf("%s.db", name);
		rc = file_owner(path, uid);
		free(path);
		return rc;
	}
	if (IS("texthash") || IS("regexp") || IS("cidr"))
		return file_owner(name, uid);
	if (IS("inline") || IS("static") || IS("environ") || IS("unix") || IS("fail"))
		return 1;
	if (IS("unionmap") || IS("pipemap")) {
		/* {type:name, ...}: trusted when every part is, one owner when they agree */
		struct cfg_strvec parts;
		char *inner =
		    cfg_xstrndup(name + (*name == '{'), strcspn(name + (*name == '{'), "}"));
		int all = 1;

		cfg_strvec_init(&parts);
		cfg_strvec_split(&parts, inner, ", \t");
		rc = parts.n ? 1 : -1;
		for (size_t i = 0; i < parts.n && rc >= 0; i++) {
			uid_t u = 0;
			int r = table_owner(parts.v[i], &u);

			if (r < 0 || (r == 0 && !all && u != *uid))
				rc = -1;
			else if (r == 0) {
				*uid = u;
				all = 0;
				rc = 0;
			}
		}
		cfg_strvec_fini(&parts);
		free(inner);
		return rc;
	}
#undef IS
	return -1;
}

/* alias_rights - the rights for the entries of table spec into u; 0, or -1 (deferred) */
static int alias_rights(struct local_dlv *d, const char *spec, struct local_user *u,
                        struct local_pw *pw)
{
	uid_t owner = 0;
	int rc = table_owner(spec, &owner);

	if (rc > 0) {
		local_user_reset(u);
		return 0;
	}
	if (rc < 0) {
		mta_warn("deliver_alias: no owner UID for alias database %s", spec);
		local_status(d, 4, "4.3.0", "mail system configuration error");
		return -1;
	}
	if (local_pw_byuid(owner, pw) <= 0) {
		mta_warn("cannot find alias database owner for %s", spec);
		local_status(d, 4, "4.3.0", "cannot find alias database owner");
		return -1;
	}
	local_user_set(u, pw);
	return 0;
}

/* alias_owner - owner-NAME@$myorigin when owner_request_special and that alias exists, or NULL */
static char *alias_owner(const char *name)
{
	struct local_cfg *cfg = local_cfg_get();
	const char *v;
	char *key, *owner = NULL;

	if (!cfg->owner_request_special || strncmp(name, "owner-", 6) == 0)
		return NULL;
	key = cfg_xasprintf("owner-%s", name);
	if (mta_maps_get(&cfg->alias_maps, key, &v) > 0)
		owner = cfg_xasprintf("%s@%s", key, cfg->myorigin);
	free(key);
	return owner;
}

/* alias_expand - deliver to the value of an alias found in spec */
static void alias_expand(struct local_dlv d, struct local_user u, const char *spec,
                         const char *name, const char *value)
{
	struct local_pw pw = {0};
	char *owner;

	d.exp_type = LOCAL_EXP_ALIAS;
	d.exact_once = 0;
	d.rc->expanded = 1;
	if (alias_rights(&d, spec, &u, &pw) == 0) {
		/* mail for a list with an owner- alias comes back to that owner */
		owner = alias_owner(name);
		d.owner = owner;
		if (owner)
			d.sender = owner;
		/* Delivered-To stays the top-level recipient through nested aliases, as Postfix */
		if (d.delivered == NULL)
			d.delivered = d.addr;
		if (local_list(d, u, value) < 1) {
			mta_warn("no recipient in alias lookup result for %s", name);
			local_status(&d, 4, "4.3.0", "alias database unavailable");
		}
		free(owner);
	}
	local_pw_fini(&pw);
}

/* alias - expand name when it is an alias; 1 when handled, 0 for no alias */
static int alias(struct local_dlv d, struct local_user u, const char *name)
{
	struct local_cfg *cfg = local_cfg_get();

	d.level++;
	/* an alias that lists its own name: that name is a user */
	if (d.exp_from && strcasecmp(d.exp_from, name) == 0)
		return 0;
	if (d.level > LOCAL_MAX_LEVEL) {
		mta_warn("alias database loop for %s", name);
		local_status(&d, 5, "5.4.6", "alias database loop for %s", name);
		return 1;
	}
	d.exp_from = name;
	for (size_t i = 0; i < cfg->alias_maps.n; i++) {
		const char *value = NULL;
		int rc = mta_map_get(cfg->alias_maps.v[i], name, &value);

		if (rc > 0) {
			/* borrowed until the next lookup: the expansion looks up more */
			char *copy = cfg_xstrdup(value);

			alias_expand(d, u, cfg->alias_maps.v[i], name, copy);
			free(copy);
			return 1;
		}
		if (rc < 0) {
			local_status(&d, 4, "4.3.0", "alias database unavailable");
			return 1;
		}
	}
	return 0;
}

/* mailbox_file - the mbox file: in the spool directory or the home directory */
static void mailbox_file(struct local_dlv *d, const struct local_user *u)
{
	struct local_cfg *cfg = local_cfg_get();
	struct mbx_result res;
	struct mbx_copy c;
	struct cfg_buf path;
	struct stat st;
	char *why;

	if (local_verify_sent(d, "delivers to mailbox"))
		return;
	cfg_buf_init(&path);
	cfg_buf_init(&res.text);
	local_copy(d, u, &c);
	if (*cfg->home_mailbox) {
		cfg_buf_printf(&path, "%s/%s", u->home, cfg->home_mailbox);
	} else {
		cfg_buf_printf(&path, "%s/%s", cfg->spool_dir, d->user);
		/* as Postfix: the user in a world-writable spool, the spool's group, else root */
		if (stat(cfg->spool_dir, &st) == 0 && !(st.st_mode & S_IWOTH)) {
			if (st.st_mode & S_IWGRP) {
				c.ogid = st.st_gid;
			} else {
				c.ouid = 0;
				c.ogid = 0;
			}
		}
	}
	why = cfg_xasprintf("cannot update mailbox %s for user %s. ", path.data, d->user);
	c.why_prefix = why;
	mbx_mbox(&c, path.data, &res);
	local_leaf(d, &res);
	free(why);
	cfg_buf_fini(&res.text);
	cfg_buf_fini(&path);
}

/* mailbox - the user's own mailbox: command, Maildir or mbox; 0 when there is no such user */
static int mailbox(struct local_dlv d, struct local_user u)
{
	struct local_cfg *cfg = local_cfg_get();
	struct local_pw pw;
	struct cfg_buf path;
	int rc;

	d.level++;
	if (local_been_here(&d, "mailbox %s", d.local))
		return 1;
	rc = local_pw_byname(d.user, &pw);
	if (rc < 0) {
		mta_warn("error looking up passwd info for %s: %m", d.user);
		local_status(&d, 4, "4.0.0", "user lookup error");
		return 1;
	}
	if (rc == 0)
		return 0;
	local_user_set(&u, &pw);
	cfg_buf_init(&path);
	if (cfg->mailbox_command && *cfg->mailbox_command) {
		/* not expanded: the command reads $EXTENSION, $USER... from its environment */
		local_command(d, u, cfg->mailbox_command);
	} else if (*cfg->home_mailbox && cfg->home_mailbox[strlen(cfg->home_mailbox) - 1] == '/') {
		cfg_buf_printf(&path, "%s/%s", u.home, cfg->home_mailbox);
		local_maildir_deliver(&d, &u, path.data);
	} else if (*cfg->spool_dir && cfg->spool_dir[strlen(cfg->spool_dir) - 1] == '/') {
		cfg_buf_printf(&path, "%s%s/", cfg->spool_dir, d.user);
		local_maildir_deliver(&d, &u, path.data);
	} else {
		mailbox_file(&d, &u);
	}
	cfg_buf_fini(&path);
	local_pw_fini(&pw);
	return 1;
}

/* unknown - no alias, no such user: luser_relay, else a bounce */
static void unknown(struct local_dlv d, struct local_user u)
{
	struct local_cfg *cfg = local_cfg_get();
	struct cfg_buf relay;

	if (*cfg->luser_relay) {
		cfg_buf_init(&relay);
		local_expand(cfg->luser_relay, &d, &u, NULL, &relay);
		local_resolve(d, u, relay.data);
		cfg_buf_fini(&relay);
		return;
	}
	local_status(&d, 5, "5.1.1", "unknown user: \"%s\"", d.user);
}

/* deliver_switch - aliases first, then forwarding rules, the .forward file, the mailbox */
static void deliver_switch(struct local_dlv d, struct local_user u)
{
	d.level++;
	if (alias(d, u, d.local))
		return;
	if (d.extension && alias(d, u, d.user))
		return;
	/*
	 * Another user's name in a .forward file or a list with an owner, and
	 * every local name in an :include: file, becomes a new message: it gets
	 * its own queue file record and Delivered-To: loop protection.
	 */
	if ((d.owner && strcasecmp(d.owner, d.user) != 0) || d.exp_type == LOCAL_EXP_INCL) {
		local_indirect(&d);
		return;
	}
	if (!local_dotforward(d, u) && !mailbox(d, u))
		unknown(d, u);
}

/* split_extension - the extension of a local part (cut off in place), or NULL */
static char *split_extension(char *local)
{
	const char *delim = local_cfg_get()->recipient_delimiter;
	size_t len = strlen(local), cut;

	if (*delim == '\0' || *local == '\0')
		return NULL;
	/* never split these, whatever the delimiter */
	if (strcasecmp(local, "postmaster") == 0 || strcasecmp(local, "mailer-daemon") == 0
	    || strcasecmp(local, "double-bounce") == 0)
		return NULL;
	if (strchr(delim, '-')
	    && (strncasecmp(local, "owner-", 6) == 0
	        || (len > 8 && strcasecmp(local + len - 8, "-request") == 0)))
		return NULL;
	cut = strcspn(local, delim);
	if (cut == 0 || cut == len)
		return NULL;
	local[cut] = '\0';
	return local + cut + 1;
}

void local_recipient(struct local_dlv d, struct local_user u)
{
	struct cfg_buf local;
	char *user, *ext;

	d.level++;
	/*
	 * A last resort that newer Postfix versions have too; set above the
	 * alias and :include: limits so that those report an alias loop first,
	 * as Postfix 3.7 does.
	 */
	if (d.level > 2 * LOCAL_MAX_LEVEL) {
		mta_warn("recipient nesting limit exceeded for %s", d.addr);
		local_status(&d, 5, "5.4.6", "recipient nesting limit exceeded");
		return;
	}
	if (local_been_here(&d, "recipient %d %s", d.level, d.addr))
		return;
	if (has_delivered_to(d.req, d.addr)) {
		local_status(&d, 5, "5.4.6", "mail forwarding loop for %s", d.addr);
		return;
	}
	if (d.delivered == NULL)
		d.delivered = d.addr;
	cfg_buf_init(&local);
	addr_localpart(d.addr, &local);
	addr_lower(local.data);
	user = cfg_xstrdup(local.data);
	ext = split_extension(user);
	if (ext && strchr(ext, '/')) {
		mta_warn("%s: address with illegal extension: %s", d.req->qid, local.data);
		cfg_buf_truncate(&local, strlen(user));
		ext = NULL;
	}
	d.local = local.data;
	d.user = user;
	d.extension = ext;
	if (*user == '\0')
		local_status(&d, 5, "5.1.3", "null username in \"%s\"", d.addr);
	else
		deliver_switch(d, u);
	free(user);
	cfg_buf_fini(&local);
}

void local_resolve(struct local_dlv d, struct local_user u, const char *addr)
{
	struct local_cfg *cfg = local_cfg_get();
	struct rslv_result rr;
	struct cfg_buf a;

	d.level++;
	cfg_buf_init(&a);
	cfg_buf_adds(&a, addr);
	/* the canonical form, as cleanup would make it */
	if (*addr && strchr(addr, '@') == NULL) {
		cfg_buf_addc(&a, '@');
		cfg_buf_adds(&a, cfg->myorigin);
	}
	rslv_result_init(&rr);
	if (rslv_resolve(rslv, a.data ? a.data : "", &rr) < 0 || (rr.flags & RSLV_F_FAIL)) {
		local_status(&d, 4, "4.3.0", "address resolver failure");
	} else if (rr.flags & RSLV_F_ERROR) {
		local_status(&d, 5, "5.1.3", "bad recipient address syntax: %s",
		             rr.recipient.data ? rr.recipient.data : "");
	} else {
		d.addr = rr.recipient.data ? rr.recipient.data : "";
		if (rr.cls == RSLV_LOCAL && rr.transport.data
		    && strcmp(rr.transport.data, "local") == 0)
			local_recipient(d, u);
		else
			local_indirect(&d);
	}
	rslv_result_fini(&rr);
	cfg_buf_fini(&a);
}
