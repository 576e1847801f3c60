/*
 * postfix.h - the postfix command's subcommands that change an installation
 *
 * perms.c: create-missing and set-permissions (Postfix's postfix-files
 * owners and modes); upgrade.c: upgrade-configuration (the master.cf and
 * main.cf fixes of Postfix's post-install); jail.c: the chroot jail's etc files.  Each returns the exit status
 * part it is responsible for: 0, or 1 after printing what failed.
 */
#ifndef PFX_POSTFIX_H
#define PFX_POSTFIX_H

#include "conf.h"

/* pfx_create_missing - the queue directories that do not exist yet; 0 or -1 */
int pfx_create_missing(struct mta_conf *c, const char *config_dir, const char *queue_dir);
/* pfx_set_permissions - postfix set-permissions */
int pfx_set_permissions(struct mta_conf *c, const char *config_dir, const char *queue_dir);
/* pfx_upgrade_configuration - postfix upgrade-configuration */
int pfx_upgrade_configuration(struct mta_conf *c, const char *config_dir, const char *queue_dir);
/*
 * pfx_jail_files - as root, when a master.cf entry has chroot = y: copy the
 * files glibc reads at run time (etc/resolv.conf, etc/hosts, etc/localtime,
 * ...; those that exist) atomically into queue_dir/etc, as Debian's Postfix
 * does before a start, and log which; 0, or -1 after a warning
 */
int pfx_jail_files(struct mta_conf *c, const char *queue_dir);

#endif
