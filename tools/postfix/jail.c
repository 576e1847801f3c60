/* jail.c - the files a chrooted daemon reads, copied into queue_directory (see postfix.h) */
#include "config.h"

#include <errno.h>
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

		if (f && (f[0] == 'y' || f[0] == 'Y') && f[1] == '\0')
			return 1;
	}
	return 0;
}

/* copy_one - queue_dir/file from /file when that exists; 1 copied, 0 absent, -1 failed */
static int copy_one(const char *queue_dir, const char *file)
{
	char *src = cfg_xasprintf("/%s", file), *dst = cfg_xasprintf("%s/%s", queue_dir, file);
	struct cfg_buf data;
	struct cfg_diags ds;
	struct stat st;
	int rc = 0;

	cfg_buf_init(&data);
	cfg_diags_init(&ds);
	if (stat(src, &st) == 0 && S_ISREG(st.st_mode)) {
		rc = 1;
		if (cfg_file_read(src, &data, &ds) < 0
		    || cfg_file_replace(dst, data.data, data.len, 0644, &ds) < 0) {
			mta_warn("%s", ds.n ? ds.v[ds.n - 1].msg : file);
			rc = -1;
		}
	}
	cfg_diags_fini(&ds);
	cfg_buf_fini(&data);
	free(src);
	free(dst);
	return rc;
}

int pfx_jail_files(struct mta_conf *c, const char *queue_dir)
{
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
	free(etc);
	cfg_buf_init(&done);
	for (size_t i = 0; jail_files[i]; i++) {
		int r = copy_one(queue_dir, jail_files[i]);

		if (r < 0)
			rc = -1;
		else if (r > 0)
			cfg_buf_printf(&done, "%s%s", done.len ? " " : "", jail_files[i]);
	}
	if (done.len)
		mta_info("chroot jail %s: copied %s", queue_dir, done.data);
	cfg_buf_fini(&done);
	return rc;
}
