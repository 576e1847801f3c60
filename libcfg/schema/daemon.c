/* daemon.c - the daemon table built from schemas/daemons.def (see cfg/daemon.h) */
#include "config.h"

#include <stddef.h>

#include <string.h>

#include "cfg/schema/daemon.h"
#include "schema_int.h"

#define AGENT CFG_DF_AGENT
#define TIMELIMIT CFG_DF_TIMELIMIT
#define TRIGGER CFG_DF_TRIGGER
#define INTERNAL CFG_DF_INTERNAL
#define NOTSERVICE CFG_DF_NOTSERVICE
#define DELIVERS CFG_DF_DELIVERS
#define YES 1
#define NO 0

static const struct cfg_daemon_def rows[] = {
#define DAEMON(command, entry, flags, impl, desc) {command, flags, impl, desc},
#include "../../schemas/daemons.def"
#undef DAEMON
};

#define NROWS (sizeof(rows) / sizeof(rows[0]))

/* cfg_daemon_find - binary search (the file is in name order) */
const struct cfg_daemon_def *cfg_daemon_find(const char *command)
{
	return cfgp_rows_find(rows, NROWS, sizeof(rows[0]),
	                      offsetof(struct cfg_daemon_def, command), command, 0);
}

/* cfg_daemon_at - the i-th row */
const struct cfg_daemon_def *cfg_daemon_at(size_t i)
{
	return i < NROWS ? &rows[i] : NULL;
}

/* cfg_is_delivery_agent - the AGENT flag of command's row */
int cfg_is_delivery_agent(const char *command)
{
	const struct cfg_daemon_def *d = cfg_daemon_find(command);

	return d != NULL && (d->flags & CFG_DF_AGENT) != 0;
}

/* cfg_daemon_delivers - the DELIVERS flag and impl of command's row */
int cfg_daemon_delivers(const char *command)
{
	const struct cfg_daemon_def *d = cfg_daemon_find(command);

	return d != NULL && d->impl && (d->flags & CFG_DF_DELIVERS) != 0;
}
