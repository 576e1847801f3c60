/*
 * check_fs.c - the file system in the spirit of `postfix check`: the queue
 * directory and its subdirectories exist; run as root, their owners and
 * modes are what the daemons expect (postfix-script's check-warn), and so
 * are the group and set-gid bit of postdrop and postqueue (those of
 * $command_directory when main.cf sets it, else the installed ones); the
 * directories main.cf names exist; maillog_file is allowed and has its
 * postlog service; bounce_template_file reads as the bounce daemon will
 * read it.  Without root privileges the ownership checks are
 * skipped with a note (or silently with CFG_CHECK_UNPRIVILEGED).
 */
#include "config.h"

#include <dirent.h>
#include <errno.h>
#include <grp.h>
#include <pwd.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cfg/param/bouncexp.h"
#include "cfg/param/list.h"
#include "cfg/param/units.h"
#include "cfg/base/xalloc.h"
#include "check_int.h"

/* The queue subdirectories Postfix creates, and who owns them. */
static const struct qdir {
	const char *name;
	int root_owned;  /* owned by root, not mail_owner */
	int setgid_grp;  /* group is setgid_group */
	int group_write; /* group write access is intended */
} qdirs[] = {
    {"active", 0, 0, 0},   {"bounce", 0, 0, 0}, {"corrupt", 0, 0, 0}, {"defer", 0, 0, 0},
    {"deferred", 0, 0, 0}, {"flush", 0, 0, 0},  {"hold", 0, 0, 0},    {"incoming", 0, 0, 0},
    {"maildrop", 0, 1, 1}, {"pid", 1, 0, 0},    {"private", 0, 0, 0}, {"public", 0, 1, 0},
    {"saved", 0, 0, 0},    {"trace", 0, 0, 0},
};

/* add_dir - a finding about a directory, on the line that sets it (or on main.cf) */
static void add_dir(struct cfgp_check *ck, enum cfg_severity sev, const char *code,
                    const char *param, const char *fmt, ...) __attribute__((format(printf, 5, 6)));
static void add_dir(struct cfgp_check *ck, enum cfg_severity sev, const char *code,
                    const char *param, const char *fmt, ...)
{
	struct cfg_diag *d;
	va_list ap;

	va_start(ap, fmt);
	d = cfgp_check_vadd(ck, sev, code, cfgp_check_setting(ck, param), NULL, 0, 0, fmt, ap);
	va_end(ap);
	if (d != NULL && d->param == NULL)
		d->param = cfg_xstrdup(param);
}

/* check_owner - postfix-script's ownership and mode warnings for one directory */
static void check_owner(struct cfgp_check *ck, const char *path, const struct stat *st, uid_t uid,
                        const char *user, int want_gid, gid_t gid, const char *group,
                        int group_write)
{
	if (st->st_uid != uid)
		add_dir(ck, CFG_SEV_WARNING, "fs-owner", "queue_directory", "not owned by %s: %s",
		        user, path);
	if (want_gid && st->st_gid != gid)
		add_dir(ck, CFG_SEV_WARNING, "fs-owner", "queue_directory",
		        "not owned by group %s: %s", group, path);
	if ((st->st_mode & S_IWOTH) || (!group_write && (st->st_mode & S_IWGRP)))
		add_dir(ck, CFG_SEV_WARNING, "fs-mode", "queue_directory",
		        "group or other writable: %s", path);
}

/* check_corrupt - messages the queue manager set aside as damaged */
static void check_corrupt(struct cfgp_check *ck, const char *queue)
{
	char *path = cfg_xasprintf("%s/corrupt", queue);
	struct cfg_strvec names;
	struct dirent *de;
	DIR *d = opendir(path);

	cfg_strvec_init(&names);
	while (d != NULL && (de = readdir(d)) != NULL)
		if (de->d_name[0] != '.')
			cfg_strvec_add(&names, de->d_name);
	if (d != NULL)
		closedir(d);
	cfg_strvec_sort(&names);
	for (size_t i = 0; i < names.n; i++)
		add_dir(ck, CFG_SEV_WARNING, "fs-corrupt", "queue_directory",
		        "damaged message: corrupt/%s", names.v[i]);
	cfg_strvec_fini(&names);
	free(path);
}

#ifndef POSTKIT_SBINDIR
#define POSTKIT_SBINDIR "/usr/sbin"
#endif

/* check_programs - postdrop and postqueue: group setgid_group, set-gid, executable by all */
static void check_programs(struct cfgp_check *ck, gid_t gid, const char *group)
{
	static const char *const names[] = {"postqueue", "postdrop", NULL};
	struct cfg_buf dir;
	struct stat st;

	cfg_buf_init(&dir);
	if (cfgp_check_setting(ck, "command_directory") == NULL
	    || cfgp_check_effective(ck, "command_directory", &dir) < 0)
		cfg_buf_adds(&dir, POSTKIT_SBINDIR);
	for (size_t i = 0; names[i]; i++) {
		char *p = cfg_xasprintf("%s/%s", dir.data, names[i]);

		/* a build that is not installed has none: nothing to check */
		if (stat(p, &st) == 0) {
			if (st.st_gid != gid)
				add_dir(ck, CFG_SEV_WARNING, "fs-owner", "command_directory",
				        "not owned by group %s: %s", group, p);
			if ((st.st_mode & 02111) != 02111)
				add_dir(ck, CFG_SEV_WARNING, "fs-mode", "command_directory",
				        "not set-gid or not owner+group+world executable: %s", p);
		}
		free(p);
	}
	cfg_buf_fini(&dir);
}

/* made_by_start - a directory postfix start creates: missing, and inside the configuration directory */
static int made_by_start(const struct cfgp_check *ck, const char *path)
{
	size_t n = ck->config_dir ? strlen(ck->config_dir) : 0;

	return errno == ENOENT && n > 0 && strncmp(path, ck->config_dir, n) == 0 && path[n] == '/';
}

/* check_queue - queue_directory and its subdirectories */
static void check_queue(struct cfgp_check *ck, int privileged)
{
	struct cfg_buf q, owner, group;
	struct stat st;
	struct passwd *pw = NULL;
	struct group *gr = NULL;

	cfg_buf_init(&q);
	cfg_buf_init(&owner);
	cfg_buf_init(&group);
	if (cfgp_check_effective(ck, "queue_directory", &q) < 0 || q.len == 0)
		goto out;
	if (q.data[0] != '/') {
		add_dir(ck, CFG_SEV_ERROR, "fs-queue", "queue_directory",
		        "queue_directory %s is not an absolute path name", q.data);
		goto out;
	}
	if (stat(q.data, &st) != 0) {
		if (made_by_start(ck, q.data))
			add_dir(ck, CFG_SEV_NOTE, "fs-queue", "queue_directory",
			        "queue_directory %s does not exist yet: postfix start creates it",
			        q.data);
		else
			add_dir(ck, CFG_SEV_ERROR, "fs-queue", "queue_directory", "chdir(%s): %s",
			        q.data, strerror(errno));
		goto out;
	}
	if (!S_ISDIR(st.st_mode)) {
		add_dir(ck, CFG_SEV_ERROR, "fs-queue", "queue_directory", "chdir(%s): %s", q.data,
		        strerror(ENOTDIR));
		goto out;
	}
	if (privileged) {
		cfgp_check_effective(ck, "mail_owner", &owner);
		cfgp_check_effective(ck, "setgid_group", &group);
		pw = getpwnam(owner.data);
		gr = getgrnam(group.data);
		if (pw == NULL)
			add_dir(ck, CFG_SEV_ERROR, "fs-owner", "mail_owner",
			        "parameter mail_owner: unknown user name value: %s", owner.data);
		if (gr == NULL)
			add_dir(ck, CFG_SEV_ERROR, "fs-owner", "setgid_group",
			        "parameter setgid_group: unknown group name: %s", group.data);
		check_owner(ck, q.data, &st, 0, "root", 0, 0, "", 0);
	}
	for (size_t i = 0; i < sizeof(qdirs) / sizeof(qdirs[0]); i++) {
		char *p = cfg_xasprintf("%s/%s", q.data, qdirs[i].name);

		if (stat(p, &st) != 0 || !S_ISDIR(st.st_mode))
			add_dir(ck, CFG_SEV_WARNING, "fs-queue-subdir", "queue_directory",
			        "missing queue directory %s: the daemons that use it fail", p);
		else if (privileged && pw != NULL)
			check_owner(ck, p, &st, qdirs[i].root_owned ? 0 : pw->pw_uid,
			            qdirs[i].root_owned ? "root" : owner.data,
			            qdirs[i].setgid_grp && gr != NULL, gr ? gr->gr_gid : 0,
			            group.data, qdirs[i].group_write);
		free(p);
	}
	if (privileged && gr != NULL)
		check_programs(ck, gr->gr_gid, group.data);
	check_corrupt(ck, q.data);
out:
	cfg_buf_fini(&q);
	cfg_buf_fini(&owner);
	cfg_buf_fini(&group);
}

/* check_dirs - directories main.cf sets explicitly must exist (postfix-script's wording) */
static void check_dirs(struct cfgp_check *ck)
{
	static const struct {
		const char *param;
		const char *what;      /* "daemon" in "no Postfix daemon directory DIR!" */
		enum cfg_severity sev; /* postfix-script stops, or creates it (data) */
	} dirs[] = {
	    {"command_directory", "command", CFG_SEV_ERROR},
	    {"daemon_directory", "daemon", CFG_SEV_ERROR},
	    {"data_directory", "data", CFG_SEV_WARNING},
	    {"meta_directory", "meta", CFG_SEV_ERROR},
	    {"shlib_directory", "shared-library", CFG_SEV_ERROR},
	};

	for (size_t i = 0; i < sizeof(dirs) / sizeof(dirs[0]); i++) {
		const struct cfgp_setting *s = cfgp_check_setting(ck, dirs[i].param);
		struct cfg_buf b;
		struct stat st;

		if (s == NULL)
			continue;
		cfg_buf_init(&b);
		if (cfgp_check_expand(ck, s, s->value, &b) == 0 && b.len > 0
		    && strcmp(b.data, "no") != 0) {
			if (b.data[0] != '/')
				cfgp_check_add(ck, dirs[i].sev, "fs-directory", s,
				               "%s %s is not an absolute path name", s->name,
				               b.data);
			else if (dirs[i].sev == CFG_SEV_WARNING && stat(b.data, &st) != 0
			         && made_by_start(ck, b.data))
				cfgp_check_add(ck, CFG_SEV_NOTE, "fs-directory", s,
				               "%s %s does not exist yet: postfix start creates it",
				               s->name, b.data);
			else if (stat(b.data, &st) != 0 || !S_ISDIR(st.st_mode))
				cfgp_check_add(ck, dirs[i].sev, "fs-directory", s,
				               "no Postfix %s directory %s!%s", dirs[i].what,
				               b.data,
				               dirs[i].sev == CFG_SEV_WARNING
				                   ? " (it is created when Postfix starts)"
				                   : "");
		}
		cfg_buf_fini(&b);
	}
}

/* check_maillog - maillog_file is under an allowed prefix and has a postlog service */
static void check_maillog(struct cfgp_check *ck)
{
	const struct cfgp_setting *s = cfgp_check_setting(ck, "maillog_file");
	struct cfg_buf file, prefixes;
	struct cfg_strvec w;
	int ok = 0, postlog = 0;

	if (s == NULL)
		return;
	cfg_buf_init(&file);
	cfg_buf_init(&prefixes);
	cfg_strvec_init(&w);
	if (cfgp_check_expand(ck, s, s->value, &file) < 0 || file.len == 0)
		goto out;
	if (cfgp_check_effective(ck, "maillog_file_prefixes", &prefixes) == 0)
		cfg_list_tokens(prefixes.data, CFG_LIST_SEPARATORS, &w);
	for (size_t i = 0; i < w.n && !ok; i++)
		ok = strncmp(file.data, w.v[i], strlen(w.v[i])) == 0;
	if (!ok)
		cfgp_check_add(ck, CFG_SEV_ERROR, "fs-maillog", s,
		               "maillog_file value '%s' does not match any prefix in "
		               "maillog_file_prefixes",
		               file.data);
	for (size_t i = 0; i < ck->master->nsvcs; i++) {
		const struct cfg_service *svc = &ck->master->svcs[i];

		if (strcmp(svc->field[CFG_MF_SERVICE], "postlog") == 0
		    && strcmp(svc->field[CFG_MF_TYPE], "unix-dgram") == 0)
			postlog = 1;
	}
	if (!postlog)
		cfgp_check_add(ck, CFG_SEV_ERROR, "fs-maillog", s,
		               "missing 'postlog' service in master.cf - run 'postfix "
		               "upgrade-configuration' (maillog_file needs a postlog unix-dgram "
		               "service)");
out:
	cfg_strvec_fini(&w);
	cfg_buf_fini(&file);
	cfg_buf_fini(&prefixes);
}

/* tmpl_lookup - a $name of a template's text: set in main.cf, or known to the bounce daemon */
static const char *tmpl_lookup(void *ctx, const char *name)
{
	const struct cfgp_check *ck = ctx;

	if (cfgp_check_setting(ck, name) == NULL && !cfg_bounce_param(name))
		return NULL;
	return cfgp_check_value(ck, name);
}

/* tmpl_seconds - a time parameter's effective value in seconds (0 when it does not parse) */
static long tmpl_seconds(struct cfgp_check *ck, const char *name, char unit)
{
	struct cfg_buf b;
	long sec = 0;

	cfg_buf_init(&b);
	if (cfgp_check_effective(ck, name, &b) < 0
	    || cfg_time_parse(b.data ? b.data : "", unit, &sec) < 0)
		sec = 0;
	cfg_buf_fini(&b);
	return sec;
}

/* tmpl_report - the bounce daemon's messages about its templates (fatal ones as errors) */
static void tmpl_report(struct cfgp_check *ck, const char *file, const struct cfg_diags *ds)
{
	for (size_t i = 0; i < ds->n; i++) {
		const struct cfg_diag *d = &ds->v[i];

		cfg_diags_add(ck->diags, d->sev == CFG_SEV_FATAL ? CFG_SEV_ERROR : CFG_SEV_WARNING,
		              d->code, file, d->line, 0, "%s",
		              cfgp_check_strip_prefix(d->msg, file));
	}
}

/*
 * check_templates - bounce_template_file: its syntax, its templates, and the
 * $names of the text the file gives (the bounce daemon stops at an error)
 */
static void check_templates(struct cfgp_check *ck)
{
	const struct cfgp_setting *s = cfgp_check_setting(ck, "bounce_template_file");
	struct cfg_expand names = {tmpl_lookup, NULL, ck};
	struct cfg_bounce_times times;
	struct cfg_bounce_set set;
	struct cfg_diags ds;
	struct cfg_buf file, text;

	if (s == NULL)
		return;
	cfg_buf_init(&file);
	cfg_buf_init(&text);
	cfg_diags_init(&ds);
	cfg_bounce_set_init(&set);
	if (cfgp_check_expand(ck, s, s->value, &file) < 0 || file.len == 0)
		goto out;
	if (cfg_bounce_set_load(&set, file.data, &ds, &ds) == 0) {
		times.delay_warning_time = tmpl_seconds(ck, "delay_warning_time", 'h');
		times.maximal_queue_lifetime = tmpl_seconds(ck, "maximal_queue_lifetime", 'd');
		for (int k = 0; k < CFG_BOUNCE_NKINDS; k++)
			if (set.owned & (1u << k))
				(void)cfg_bounce_expand(&set, k, &names, &times, &text, &ds);
	}
	tmpl_report(ck, file.data, &ds);
out:
	cfg_bounce_set_fini(&set);
	cfg_diags_fini(&ds);
	cfg_buf_fini(&text);
	cfg_buf_fini(&file);
}

void cfgp_check_fs(struct cfgp_check *ck)
{
	int forced = (ck->opts->flags & CFG_CHECK_UNPRIVILEGED) != 0;
	int privileged = !forced && geteuid() == 0;

	check_queue(ck, privileged);
	if (!privileged && !forced)
		add_dir(ck, CFG_SEV_NOTE, "fs-unprivileged", "queue_directory",
		        "not running as root: the ownership and permission checks of the queue "
		        "directory were skipped");
	check_dirs(ck);
	check_maillog(ck);
	check_templates(ck);
}
