/*
 * daemon.h - the programs master.cf may run, from schemas/daemons.def
 *
 * One const row per Postfix 3.7 daemon, sorted by command name: its
 * properties and whether postkit implements it.  postfix check, master,
 * the service-defined parameters (cfg/masterdef.h) and `postfix check
 * --unsupported` read this table; mta/main.c takes the entry points of the
 * implemented ones from the same file.
 */
#ifndef CFG_DAEMON_H
#define CFG_DAEMON_H

#include <stddef.h>

#define CFG_DF_AGENT 0x01u      /* a delivery agent: NAME_destination_concurrency_limit & co */
#define CFG_DF_TIMELIMIT 0x02u  /* its services get NAME_time_limit */
#define CFG_DF_TRIGGER 0x04u    /* one long-lived process woken by triggers and its timer */
#define CFG_DF_INTERNAL 0x08u   /* used only when a setting or a client names the service */
#define CFG_DF_NOTSERVICE 0x10u /* not a master.cf command (master itself) */
#define CFG_DF_DELIVERS 0x20u   /* qmgr may hand mail to it (discard, error, local, smtp...) */

struct cfg_daemon_def {
	const char *command;
	unsigned flags; /* CFG_DF_* */
	int impl;       /* 1 when postkit implements it */
	const char *desc;
};

/* cfg_daemon_find - the row of a master.cf command (exact), or NULL */
const struct cfg_daemon_def *cfg_daemon_find(const char *command);
/* cfg_daemon_at - the i-th row in name order, NULL past the end */
const struct cfg_daemon_def *cfg_daemon_at(size_t i);
/* cfg_is_delivery_agent - 1 when a master.cf command is a delivery agent */
int cfg_is_delivery_agent(const char *command);
/* cfg_daemon_delivers - 1 when qmgr may hand mail to command: DELIVERS and implemented */
int cfg_daemon_delivers(const char *command);

#endif
