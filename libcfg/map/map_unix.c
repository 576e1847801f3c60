/*
 * map_unix.c - unix:passwd.byname and unix:group.byname: the system's user
 * and group databases, with results in /etc/passwd and /etc/group line format
 */
#include "config.h"

#include <grp.h>
#include <pwd.h>
#include <stdlib.h>
#include <string.h>

#include "cfg/base/xalloc.h"
#include "map_int.h"

enum unix_kind { UNIX_PASSWD = 1, UNIX_GROUP = 2 };

struct unixmap {
	enum unix_kind kind;
	struct cfg_buf result;
};

/* unix_open - only the two names Postfix knows */
static int unix_open(struct cfg_map *m, struct cfg_diags *diags)
{
	struct unixmap *u;
	enum unix_kind kind;

	if (strcmp(m->name, "passwd.byname") == 0) {
		kind = UNIX_PASSWD;
	} else if (strcmp(m->name, "group.byname") == 0) {
		kind = UNIX_GROUP;
	} else {
		cfg_diags_add(diags, CFG_SEV_FATAL, "map-unix", NULL, 0, 0,
		              "unknown table: unix:%s", m->name);
		return -1;
	}
	u = cfg_xcalloc(1, sizeof(*u));
	u->kind = kind;
	cfg_buf_init(&u->result);
	m->priv = u;
	return 0;
}

/* unix_lookup - getpwnam()/getgrnam(), formatted as a passwd/group file line */
static int unix_lookup(struct cfg_map *m, const char *key, const char **value,
                       struct cfg_diags *diags)
{
	struct unixmap *u = m->priv;

	(void)diags;
	cfg_buf_reset(&u->result);
	if (u->kind == UNIX_PASSWD) {
		struct passwd *pw = getpwnam(key);

		if (pw == NULL)
			return 0;
		cfg_buf_printf(&u->result, "%s:%s:%ld:%ld:%s:%s:%s", pw->pw_name, pw->pw_passwd,
		               (long)pw->pw_uid, (long)pw->pw_gid, pw->pw_gecos, pw->pw_dir,
		               pw->pw_shell);
	} else {
		struct group *gr = getgrnam(key);

		if (gr == NULL)
			return 0;
		cfg_buf_printf(&u->result, "%s:%s:%ld:", gr->gr_name, gr->gr_passwd,
		               (long)gr->gr_gid);
		for (char **mem = gr->gr_mem; *mem; mem++) {
			if (mem != gr->gr_mem)
				cfg_buf_addc(&u->result, ',');
			cfg_buf_adds(&u->result, *mem);
		}
	}
	*value = u->result.data;
	return 1;
}

/* unix_close - free the result buffer */
static void unix_close(struct cfg_map *m)
{
	struct unixmap *u = m->priv;

	if (u) {
		cfg_buf_fini(&u->result);
		free(u);
	}
}

const struct cfgp_map_ops cfgp_map_unix_ops = {
    .type = "unix",
    .open = unix_open,
    .lookup = unix_lookup,
    .close = unix_close,
};
