/*
 * postfix.h - the postfix command's subcommands that change an installation
 *
 * perms.c: create-missing and set-permissions (Postfix's postfix-files
 * owners and modes); upgrade.c: upgrade-configuration (the master.cf and
 * main.cf fixes of Postfix's post-install).  Each returns the exit status
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

#endif
