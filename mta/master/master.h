/*
 * master.h - the process manager: services from master.cf
 *
 * master.c runs the event loop (signals, children, reload, stop);
 * master_svc.c turns master.cf entries into services with listening
 * sockets and starts their processes.
 */
#ifndef MASTER_H
#define MASTER_H

#include <sys/types.h>

#include "cfg/base/strvec.h"
#include "conf.h"
#include "server.h"

struct master_svc {
	char *name;             /* master.cf service field */
	char *type;             /* inet, unix ... */
	char *command;          /* argv[0] of the daemon */
	char *sig;              /* what must not change for the listeners to be kept */
	struct cfg_strvec argv; /* command and arguments as master.cf gives them */
	int listen[MTA_LISTEN_MAX];
	int nlisten;
	char *sockpath; /* unix socket path, for removal */
	long maxproc;   /* 0: no limit */
	int trigger;    /* one long-lived process (qmgr, pickup) */
	int status_pipe[2];
	int gen_pipe[2];
	int total;             /* running processes */
	int avail;             /* of which idle */
	double throttle_until; /* no new processes before this (after startup failures) */
	int crashes;           /* abnormal exits in a row, for the restart back-off */
	int removed;           /* gone from master.cf: drain and forget */
	int seen;              /* used while reloading */
};

struct master_child {
	pid_t pid;
	struct master_svc *svc;
	int avail;    /* counted in svc->avail */
	int reported; /* said anything on the status pipe (started fine) */
	double started;
};

struct master {
	struct mta_conf conf;
	const char *config_dir;
	const char *queue_dir;
	const char *daemon_dir; /* only for log messages, as Postfix names its daemons */
	char *self;             /* the daemon program (this one) */
	char *title; /* master's argv strings, reused for the children's process titles */
	size_t title_len;
	struct master_svc **svcs;
	size_t nsvcs, capsvcs;
	struct master_child *kids;
	size_t nkids, capkids;
	uid_t owner_uid; /* mail_owner when running as root, else -1 */
	gid_t owner_gid;
	long default_maxproc;
	long throttle_time;
	int stopping;
};

/* master_svc_load - (re)build the service list from the configuration; -1 on a fatal problem */
int master_svc_load(struct master *m, struct cfg_buf *why);
/* master_svc_spawn - start one process of svc */
void master_svc_spawn(struct master *m, struct master_svc *svc);
/* master_svc_close - close listeners and pipes of a service */
void master_svc_close(struct master_svc *svc);
/* master_svc_free - release a closed service */
void master_svc_free(struct master_svc *svc);
/* master_svc_new_generation - tell the current processes to finish and exit */
void master_svc_new_generation(struct master_svc *svc);
/* postkit_daemon - run the daemon argv[0] names (mta/main.c); its exit status */
int postkit_daemon(int argc, char **argv);
/* master_implemented - 1 when postkit has a daemon for this master.cf command */
int master_implemented(const char *command);

#endif
