/* jail.c - the files a chrooted daemon reads, copied into queue_directory (see postfix.h) */
#include "config.h"

#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cfg/base/buf.h"
#include "cfg/base/diag.h"
#include "cfg/base/fileio.h"
#include "cfg/base/xalloc.h"
#include "cfg/doc/mastercf.h"
#include "log.h"
#include "postfix.h"

/*
 * What glibc reads at run time for names, services and the time zone, the
 * list Debian's configure-instance.sh copies before a start
 */
static const char *const jail_files[] = {
    "etc/localtime", "etc/services",      "etc/resolv.conf",     "etc/hosts",
    "etc/host.conf", "etc/nsswitch.conf", "etc/nss_mdns.config", NULL,
};

/* any_chroot - 1 when a master.cf entry has chroot = y (Postfix 3: "-" means n) */
static int any_chroot(struct mta_conf *c)
{
	const struct cfg_mastercf *mc = cfg_config_mastercf(c->cfg);

	for (size_t i = 0; mc != NULL && i < mc->nsvcs; i++) {
		const char *f = mc->svcs[i].field[CFG_MF_CHROOT];

		if (f && strcmp(f, "y") == 0) /* exactly what server.c and check accept */
			return 1;
	}
	return 0;
}

/*
 * root_dirs - 1 when every part of queue_dir/rel that exists is a real
 * directory (no symbolic link) owned by root.  A link planted there (or a
 * directory the mail owner may write, such as private/) would make root
 * write or empty a directory outside the jail.
 */
static int root_dirs(const char *queue_dir, const char *rel)
{
	char *path = cfg_xasprintf("%s/%s", queue_dir, rel);
	size_t base = strlen(queue_dir);
	int ok = 1;

	for (char *s = path + base + 1;; s++) {
		char c = *s;
		struct stat st;

		if (c != '/' && c != '\0')
			continue;
		*s = '\0';
		if (lstat(path, &st) == 0 && (!S_ISDIR(st.st_mode) || st.st_uid != 0)) {
			mta_warn(
			    "chroot jail: %s is not a directory owned by root: not copying into it",
			    path);
			ok = 0;
		}
		*s = c;
		if (!ok || c == '\0')
			break;
	}
	free(path);
	return ok;
}

/* copy_file - src into dst (mode 0644) unless src is no regular file anyone may read */
static int copy_file(const char *src, const char *dst, struct cfg_diags *ds)
{
	struct cfg_buf data;
	struct stat st;
	int rc = 0;

	/* a file not readable by all (a key kept among certificates) stays out of the jail */
	if (stat(src, &st) < 0 || !S_ISREG(st.st_mode) || !(st.st_mode & S_IROTH))
		return 0;
	cfg_buf_init(&data);
	if (cfg_file_read(src, &data, ds) < 0
	    || cfg_file_replace(dst, data.data, data.len, 0644, ds) < 0)
		rc = -1;
	else
		rc = 1;
	cfg_buf_fini(&data);
	return rc;
}

/* copy_one - queue_dir/file from /file when that exists; 1 copied, 0 absent, -1 failed */
static int copy_one(const char *queue_dir, const char *file)
{
	char *src = cfg_xasprintf("/%s", file), *dst = cfg_xasprintf("%s/%s", queue_dir, file);
	struct cfg_diags ds;
	int rc;

	cfg_diags_init(&ds);
	rc = copy_file(src, dst, &ds);
	if (rc < 0)
		mta_warn("%s", ds.n ? ds.v[ds.n - 1].msg : file);
	cfg_diags_fini(&ds);
	free(src);
	free(dst);
	return rc;
}

/* ca_name - 1 for the names OpenSSL's CApath lookup reads: HASH.N (and CRLs HASH.rN), *.pem */
static int ca_name(const char *n)
{
	size_t len = strlen(n), i = 0;

	if (len > 4 && strcmp(n + len - 4, ".pem") == 0)
		return 1;
	while (i < 8 && isxdigit((unsigned char)n[i]))
		i++;
	if (i != 8 || n[i++] != '.')
		return 0;
	if (n[i] == 'r')
		i++;
	if (!isdigit((unsigned char)n[i]))
		return 0;
	while (isdigit((unsigned char)n[i]))
		i++;
	return n[i] == '\0';
}

/* clear_dir - remove dir and the files in it (a CApath copy of ours: no subdirectories) */
static void clear_dir(const char *dir)
{
	DIR *d = opendir(dir);
	struct dirent *e;

	while (d && (e = readdir(d)) != NULL) {
		char *p;

		if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
			continue;
		p = cfg_xasprintf("%s/%s", dir, e->d_name);
		unlink(p);
		free(p);
	}
	if (d)
		closedir(d);
	rmdir(dir);
}

/* mkdirs - every directory of path, as mkdir -p; 0 or -1 */
static int mkdirs(char *path)
{
	for (char *s = strchr(path + 1, '/');; s = strchr(s + 1, '/')) {
		if (s)
			*s = '\0';
		if (mkdir(path, 0755) < 0 && errno != EEXIST)
			return -1;
		if (s == NULL)
			return 0;
		*s = '/';
	}
}

/*
 * copy_capath - the certificates of CApath dir into queue_dir/dir, the way
 * Debian's configure-instance.sh does (links followed): a new copy next to
 * the old one, then swapped in; 1 copied, 0 nothing to do, -1 failed
 */
static int copy_capath(const char *queue_dir, const char *dir)
{
	char *dst, *tmp, *old;
	struct cfg_diags ds;
	struct dirent *e;
	DIR *d;
	int rc = 1;

	if (dir == NULL || dir[0] != '/')
		return 0;
	if ((d = opendir(dir)) == NULL) {
		if (errno != ENOENT)
			mta_warn("open directory %s: %m", dir);
		return errno == ENOENT ? 0 : -1;
	}
	/* the copy, the new copy and the old one: real directories of root's, or nothing */
	dst = cfg_xasprintf("%s.new", dir + 1);
	tmp = cfg_xasprintf("%s.old", dir + 1);
	rc =
	    root_dirs(queue_dir, dir + 1) && root_dirs(queue_dir, dst) && root_dirs(queue_dir, tmp);
	free(dst);
	free(tmp);
	if (!rc) {
		closedir(d);
		return -1;
	}
	dst = cfg_xasprintf("%s%s", queue_dir, dir);
	tmp = cfg_xasprintf("%s.new", dst);
	old = cfg_xasprintf("%s.old", dst);
	clear_dir(tmp);
	cfg_diags_init(&ds);
	if (mkdirs(tmp) < 0) {
		mta_warn("mkdir %s: %m", tmp);
		rc = -1;
	}
	while (rc > 0 && (e = readdir(d)) != NULL) {
		char *src = cfg_xasprintf("%s/%s", dir, e->d_name);
		char *to = cfg_xasprintf("%s/%s", tmp, e->d_name);

		if (ca_name(e->d_name) && copy_file(src, to, &ds) < 0) {
			mta_warn("%s", ds.n ? ds.v[ds.n - 1].msg : src);
			rc = -1;
		}
		free(src);
		free(to);
	}
	closedir(d);
	clear_dir(old);
	if (rc > 0 && rename(dst, old) < 0 && errno != ENOENT) {
		mta_warn("rename %s %s: %m", dst, old);
		rc = -1;
	} else if (rc > 0 && rename(tmp, dst) < 0) {
		mta_warn("rename %s %s: %m", tmp, dst);
		(void)rename(old, dst); /* the previous copy stays in use */
		rc = -1;
	}
	clear_dir(old);
	if (rc < 0)
		clear_dir(tmp);
	cfg_diags_fini(&ds);
	free(dst);
	free(tmp);
	free(old);
	return rc;
}

int pfx_jail_files(struct mta_conf *c, const char *queue_dir)
{
	static const enum cfg_param_id capaths[] = {CFG_P_smtp_tls_CApath, CFG_P_smtpd_tls_CApath,
	                                            CFG_P_lmtp_tls_CApath};
	struct cfg_buf done;
	char *etc;
	int rc = 0;

	if (geteuid() != 0 || !any_chroot(c))
		return 0;
	etc = cfg_xasprintf("%s/etc", queue_dir);
	if (mkdir(etc, 0755) < 0 && errno != EEXIST) {
		mta_warn("mkdir %s: %m", etc);
		free(etc);
		return -1;
	}
	if (!root_dirs(queue_dir, "etc")) {
		free(etc);
		return -1;
	}
	free(etc);
	cfg_buf_init(&done);
	for (size_t i = 0; jail_files[i]; i++) {
		int r = copy_one(queue_dir, jail_files[i]);

		if (r < 0)
			rc = -1;
		else if (r > 0)
			cfg_buf_printf(&done, "%s%s", done.len ? " " : "", jail_files[i]);
	}
	for (size_t i = 0; i < sizeof(capaths) / sizeof(capaths[0]); i++) {
		const char *dir = mta_conf_str(c, capaths[i]);
		int r = 0;

		/* each directory once (smtp and smtpd often name the same) */
		for (size_t k = 0; k < i && r == 0; k++)
			if (strcmp(mta_conf_str(c, capaths[k]), dir) == 0)
				r = 2;
		/* a CApath inside the queue directory is in the jail already */
		if (r == 0
		    && !(strncmp(dir, queue_dir, strlen(queue_dir)) == 0
		         && (dir[strlen(queue_dir)] == '/' || dir[strlen(queue_dir)] == '\0')))
			r = copy_capath(queue_dir, dir);
		if (r < 0)
			rc = -1;
		else if (r == 1)
			cfg_buf_printf(&done, "%s%s", done.len ? " " : "", dir + 1);
	}
	if (done.len)
		mta_info("chroot jail %s: copied %s", queue_dir, done.data);
	cfg_buf_fini(&done);
	return rc;
}
