/*
 * perms.c - `postfix set-permissions`: the owners and modes of Postfix's postfix-files
 *
 * Missing queue directories are created first (create-missing), then, as
 * root, every entry below gets its owner, group and mode:
 *   $queue_directory                root              0755
 *   active bounce corrupt defer     mail_owner        0700 (their contents
 *   deferred flush hold incoming                           change owner too)
 *   saved trace
 *   private                         mail_owner        0700
 *   maildrop                        mail_owner:setgid_group 1730
 *   public                          mail_owner:setgid_group 2710
 *   pid                             root              0755
 *   $data_directory                 mail_owner        0700
 *   postdrop, postqueue             root:setgid_group 2755 (set-gid)
 * postdrop and postqueue are those of $command_directory when main.cf sets
 * it, else the installed ones; a program that is not there is skipped.
 * make install cannot know the group on the target machine; this is where
 * it is set, as in Postfix.  Run by an unprivileged user (an instance of
 * one's own) only the modes are set.  Nothing is printed unless something
 * fails (exit status 1).
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <grp.h>
#include <pwd.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cfg/base/xalloc.h"
#include "log.h"
#include "postfix.h"
#include "qfile.h"

enum who { ROOT, OWNER };

/* What postfix-files says, for what postkit has. */
static const struct perm {
	const char *name; /* under queue_directory; "" is queue_directory itself */
	enum who user;
	int setgid_group; /* group is setgid_group, else unchanged */
	mode_t mode;
	int recursive; /* the owner of the contents too */
} queue_perms[] = {
    {"", ROOT, 0, 0755, 0},           {"active", OWNER, 0, 0700, 1},
    {"bounce", OWNER, 0, 0700, 1},    {"corrupt", OWNER, 0, 0700, 1},
    {"defer", OWNER, 0, 0700, 1},     {"deferred", OWNER, 0, 0700, 1},
    {"flush", OWNER, 0, 0700, 1},     {"hold", OWNER, 0, 0700, 1},
    {"incoming", OWNER, 0, 0700, 1},  {"private", OWNER, 0, 0700, 0},
    {"maildrop", OWNER, 1, 01730, 0}, {"public", OWNER, 1, 02710, 0},
    {"pid", ROOT, 0, 0755, 0},        {"saved", OWNER, 0, 0700, 1},
    {"trace", OWNER, 0, 0700, 1},
};

/* the programs that run set-gid */
static const char *const setgid_programs[] = {"postdrop", "postqueue", NULL};

/* the owner for a recursive chown (nftw has no context argument) */
static uid_t walk_uid;
static int walk_failed;

/* chown_one - nftw callback: one file or directory below a recursive entry */
static int chown_one(const char *path, const struct stat *st, int flag, struct FTW *f)
{
	(void)flag;
	(void)f;
	if (st->st_uid != walk_uid && lchown(path, walk_uid, (gid_t)-1) < 0) {
		mta_error("chown %s: %m", path);
		walk_failed = 1;
	}
	return 0;
}

/* apply - one entry: owner and group (as root), then the mode; 0 or -1 */
static int apply(const char *path, uid_t uid, gid_t gid, mode_t mode, int recursive, int root)
{
	if (root && recursive) {
		walk_uid = uid;
		walk_failed = 0;
		if (nftw(path, chown_one, 16, FTW_PHYS) < 0) {
			mta_error("chown %s: %m", path);
			return -1;
		}
		if (walk_failed)
			return -1;
	}
	if (root && chown(path, uid, gid) < 0) {
		mta_error("chown %s: %m", path);
		return -1;
	}
	/* after chown, which clears the set-gid bit of a program */
	if (chmod(path, mode) < 0) {
		mta_error("chmod %s: %m", path);
		return -1;
	}
	return 0;
}

/* command_dir - where postdrop and postqueue are (see the top of this file) */
static char *command_dir(struct mta_conf *c)
{
	if (cfg_config_explicit(c->cfg, "command_directory") != NULL)
		return cfg_xstrdup(mta_conf_str(c, CFG_P_command_directory));
	return cfg_xstrdup(POSTKIT_SBINDIR);
}

/* ids - mail_owner and setgid_group, fatal when unknown (Postfix's messages) */
static void ids(struct mta_conf *c, const char *config_dir, uid_t *uid, gid_t *gid)
{
	const char *owner = mta_conf_str(c, CFG_P_mail_owner);
	const char *group = mta_conf_str(c, CFG_P_setgid_group);
	struct passwd *pw = getpwnam(owner);
	struct group *gr = getgrnam(group);

	if (pw == NULL)
		mta_fatal("file %s/main.cf: parameter mail_owner: unknown user name value: %s",
		          config_dir, owner);
	if (gr == NULL)
		mta_fatal("file %s/main.cf: parameter setgid_group: unknown group name: %s",
		          config_dir, group);
	*uid = pw->pw_uid;
	*gid = gr->gr_gid;
}

int pfx_create_missing(struct mta_conf *c, const char *config_dir, const char *queue_dir)
{
	int root = geteuid() == 0;
	uid_t uid = (uid_t)-1;
	gid_t gid = (gid_t)-1;
	struct cfg_buf why;
	int rc = 0;

	if (root)
		ids(c, config_dir, &uid, &gid);
	cfg_buf_init(&why);
	if (qf_make_dirs(queue_dir, uid, gid, &why) < 0) {
		mta_error("%s", why.data);
		rc = -1;
	}
	cfg_buf_fini(&why);
	return rc;
}

int pfx_set_permissions(struct mta_conf *c, const char *config_dir, const char *queue_dir)
{
	int root = geteuid() == 0, rc = 0;
	uid_t uid = getuid();
	gid_t gid = (gid_t)-1;
	const char *data_dir = mta_conf_str(c, CFG_P_data_directory);
	char *cmd_dir = command_dir(c);
	struct stat st;

	if (root)
		ids(c, config_dir, &uid, &gid);
	if (pfx_create_missing(c, config_dir, queue_dir) < 0)
		rc = 1;
	for (size_t i = 0; i < sizeof(queue_perms) / sizeof(queue_perms[0]); i++) {
		const struct perm *p = &queue_perms[i];
		char *path =
		    *p->name ? cfg_xasprintf("%s/%s", queue_dir, p->name) : cfg_xstrdup(queue_dir);

		if (apply(path, p->user == ROOT ? 0 : uid, p->setgid_group ? gid : (gid_t)-1,
		          p->mode, p->recursive, root)
		    < 0)
			rc = 1;
		free(path);
	}
	if (stat(data_dir, &st) == 0 && apply(data_dir, uid, (gid_t)-1, 0700, 0, root) < 0)
		rc = 1;
	/* an unprivileged user cannot give a program another group: nothing to do then */
	for (size_t i = 0; root && setgid_programs[i]; i++) {
		char *path = cfg_xasprintf("%s/%s", cmd_dir, setgid_programs[i]);

		if (stat(path, &st) == 0 && apply(path, 0, gid, 02755, 0, root) < 0)
			rc = 1;
		free(path);
	}
	free(cmd_dir);
	return rc;
}
