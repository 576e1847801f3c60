/* local_list.c - the entries of aliases, :include: files and .forward files (see local.h) */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "cfg/base/xalloc.h"
#include "listfile.h"
#include "local.h"
#include "local_token.h"
#include "log.h"

static void include(struct local_dlv d, struct local_user u, const char *path);

/* home - ~/path: a file in the home directory of whose rights apply */
static void home(struct local_dlv d, struct local_user u, const char *path)
{
	char *full;

	if (path[1] != '/') {
		/* ~user/path is not for us to resolve */
		mta_warn("bad home directory syntax for: %s", path);
		local_status(&d, 5, "5.3.5", "mail system configuration error");
	} else if (u.home == NULL) {
		mta_warn("unknown home directory for: %s", path);
		local_status(&d, 5, "5.3.5", "mail system configuration error");
	} else if (strcmp(u.home, "/") == 0) {
		local_file(d, u, path + 1);
	} else {
		full = cfg_xasprintf("%s%s", u.home, path + 1);
		local_file(d, u, full);
		free(full);
	}
}

/* deliver_dests - every destination of a parsed list; the events they caused */
static long deliver_dests(struct local_dlv d, struct local_user u, const struct local_dests *dests)
{
	struct local_cfg *cfg = local_cfg_get();
	long before = d.rc->events;

	for (size_t i = 0; i < dests->n; i++) {
		const char *t = dests->v[i].text;

		switch (dests->v[i].kind) {
		case LOCAL_FILE:
			local_file(d, u, t);
			break;
		case LOCAL_HOME:
			home(d, u, t);
			break;
		case LOCAL_COMMAND:
			if ((cfg->cmd_mask & d.exp_type) == 0)
				local_status(&d, 5, "5.7.1", "mail to command is restricted");
			else
				local_command(d, u, t);
			break;
		case LOCAL_INCLUDE:
			include(d, u, t);
			break;
		case LOCAL_ADDR:
			local_resolve(d, u, t);
			break;
		}
	}
	return d.rc->events - before;
}

long local_list(struct local_dlv d, struct local_user u, const char *text)
{
	struct local_dests dests;
	long n;

	local_dests_init(&dests);
	local_parse_list(text, strlen(text), &dests);
	n = deliver_dests(d, u, &dests);
	local_dests_fini(&dests);
	return n;
}

/* deliver_file_text - the destinations in the text of a list file */
static long deliver_file_text(struct local_dlv d, struct local_user u, const struct cfg_buf *text)
{
	struct local_cfg *cfg = local_cfg_get();
	struct local_dests dests;
	long n;

	local_dests_init(&dests);
	local_parse_file(text->data ? text->data : "", text->len,
	                 cfg->line_limit > 0 ? (size_t)cfg->line_limit : 0, &dests);
	n = deliver_dests(d, u, &dests);
	local_dests_fini(&dests);
	return n;
}

/* include_rights - who the file is read as and whose rights its entries get; 0 or -1 */
static int include_rights(struct local_dlv *d, struct local_user *u, const char *path,
                          const struct stat *st, struct local_pw *pw)
{
	/*
	 * A file listed in a root-owned alias gets the rights of its owner
	 * (default_privs when that is root too): its owner must not gain those
	 * of default_privs.  In a user's alias or .forward the user's rights stay.
	 */
	if (u->uid == 0) {
		int rc = local_pw_byuid(st->st_uid, pw);

		if (rc <= 0) {
			mta_warn(rc < 0 ? "cannot find username for uid %ld: %m"
			                : "cannot find username for uid %ld",
			         (long)st->st_uid);
			mta_warn("%s: cannot find :include: file owner username", path);
			local_status(d, 4, "4.3.5", "mail system configuration error");
			return -1;
		}
		if (pw->uid != 0)
			local_user_set(u, pw);
	}
	return 0;
}

/* include_bounce - a :include: file that cannot be used */
static void include_bounce(struct local_dlv *d)
{
	local_status(d, 5, "5.3.5", "mail system configuration error");
}

/* include_read - check, open (never as root) and deliver a :include: file */
static void include_read(struct local_dlv d, struct local_user u, const char *path)
{
	struct local_pw pw = {0};
	struct cfg_buf text;
	struct stat st;
	uid_t ouid;
	gid_t ogid;

	cfg_buf_init(&text);
	if (local_rights(&u, &ouid, &ogid) < 0 || local_stat_as(path, &st, 1, ouid, ogid) < 0) {
		mta_warn("unable to lookup :include: file %s: %m", path);
		include_bounce(&d);
	} else if (!S_ISREG(st.st_mode)) {
		mta_warn(":include: file %s is not a regular file", path);
		include_bounce(&d);
	} else if (st.st_mode & S_IWOTH) {
		mta_warn(":include: file %s is world writable", path);
		include_bounce(&d);
	} else if (include_rights(&d, &u, path, &st, &pw) == 0) {
		d.exp_type = LOCAL_EXP_INCL;
		d.exact_once = 0;
		if (d.owner == NULL)
			d.owner = d.addr;
		if (local_rights(&u, &ouid, &ogid) < 0
		    || local_read_as(path, &st, 1, ouid, ogid, &text) < 0) {
			mta_warn("cannot open include file %s: %m", path);
			include_bounce(&d);
		} else {
			deliver_file_text(d, u, &text);
		}
	}
	local_pw_fini(&pw);
	cfg_buf_fini(&text);
}

/* include - a :include: file: its entries, once, without loops */
static void include(struct local_dlv d, struct local_user u, const char *path)
{
	char *key;
	int seen;

	d.level++;
	if (d.level > LOCAL_MAX_LEVEL) {
		mta_warn(":include: nesting limit exceeded for %s", path);
		local_status(&d, 5, "5.4.6", ":include: nesting limit exceeded");
		return;
	}
	key = cfg_xasprintf("include %ld %s", (long)u.uid, path);
	seen = local_dup_enter(&d, key);
	if (seen == 2) {
		/* it includes itself, directly or through others */
		local_status(&d, 5, "5.4.6", "mail forwarding loop for %s", d.addr);
	} else if (seen == 0) {
		d.exp_from = d.local;
		if (*path != '/') {
			mta_warn(":include:%s uses a relative path", path);
			include_bounce(&d);
		} else {
			include_read(d, u, path);
		}
		local_dup_leave(&d, key);
	}
	free(key);
}

/* forward_find - the first file of forward_path that exists, into path and st; 0 or -1 */
static int forward_find(struct local_dlv *d, const struct local_user *u, struct cfg_buf *path,
                        struct stat *st)
{
	struct local_cfg *cfg = local_cfg_get();
	struct cfg_strvec paths;
	int rc = -1;

	cfg_strvec_init(&paths);
	cfg_strvec_split(&paths, cfg->forward_path, ", \t\r\n");
	for (size_t i = 0; i < paths.n && rc < 0; i++) {
		cfg_buf_reset(path);
		local_expand(paths.v[i], d, u, cfg->fwd_filter, path);
		if (path->data && *path->data
		    && local_stat_as(path->data, st, 0, u->uid, u->gid) == 0)
			rc = 0;
	}
	cfg_strvec_fini(&paths);
	return rc;
}

/* forward_read - check and deliver a .forward file; 1 when it yielded something */
static int forward_read(struct local_dlv d, struct local_user u, const char *path,
                        const struct stat *st)
{
	struct cfg_buf text, why;
	int found = 0;

	cfg_buf_init(&text);
	cfg_buf_init(&why);
	d.exp_from = d.local;
	if (listfile_unsafe(path, st, u.uid, &why)) {
		mta_warn("%s", why.data);
	} else if (local_read_as(path, st, 0, u.uid, u.gid, &text) < 0) {
		mta_warn("cannot open file %s: %m", path);
	} else if (deliver_file_text(d, u, &text) > 0) {
		/* an empty file, or only comments: as if there were none */
		found = 1;
		local_been_here(&d, "forward-done %s", path);
	}
	cfg_buf_fini(&why);
	cfg_buf_fini(&text);
	return found;
}

int local_dotforward(struct local_dlv d, struct local_user u)
{
	struct local_cfg *cfg = local_cfg_get();
	struct local_pw pw;
	struct cfg_buf path;
	struct stat st;
	int found = 0;

	d.level++;
	if (local_pw_byname(d.user, &pw) <= 0)
		return 0;
	/* require_home_directory: checked with the user's rights, forward_path or not */
	if (cfg->require_home && local_stat_as(pw.dir, &st, 1, pw.uid, pw.gid) < 0) {
		local_status(&d, 4, "4.3.0", "cannot access home directory %s: %s", pw.dir,
		             strerror(errno));
		local_pw_fini(&pw);
		return 1;
	}
	if (cfg->forward_path == NULL || *cfg->forward_path == '\0') {
		local_pw_fini(&pw);
		return 0;
	}
	/* the user's rights for everything in it, whoever owns the file */
	local_user_set(&u, &pw);
	d.delivered = d.addr;
	d.exp_type = LOCAL_EXP_FWD;
	d.exact_once = 0;
	d.owner = d.user;
	cfg_buf_init(&path);
	if (forward_find(&d, &u, &path, &st) == 0) {
		if (!local_been_here(&d, "forward %s", path.data))
			found = forward_read(d, u, path.data, &st);
		else
			/* listed in itself: the user's mailbox, unless it is done already */
			found = local_been_here_check(&d, "forward-done %s", path.data);
	}
	cfg_buf_fini(&path);
	local_pw_fini(&pw);
	return found;
}
