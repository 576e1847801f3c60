/*
 * server.h - the skeleton every postkit daemon runs on
 *
 * One multi-call program holds all daemons; master starts a daemon as
 *   argv: NAME -n SERVICE -t TYPE [master.cf arguments]
 *   fd 3: the service's status pipe to master (write end)
 *   fd 4: the generation pipe (read end); end-of-file means "finish the
 *         work in hand and exit" (reload, stop, master gone)
 *   fd 5...: the service's listening sockets (POSTKIT_LISTEN_FDS of them)
 *   MAIL_CONFIG: the configuration directory
 * The skeleton loads the configuration through libcfg (the service's view,
 * -o overrides included), configures logging, changes to queue_directory,
 * runs pre_init, and as root drops privileges (mail_owner, unless the
 * master.cf entry says unprivileged=n).  With chroot = y in the entry (as
 * root, not stand-alone) it first opens the tables and reads the /file
 * list elements the configuration names, then chroots into queue_directory
 * (queue_dir becomes "."); a process that is not root is never jailed.
 * Then it runs one of three shapes:
 *  - MTA_SERVE_CONN: accept connections one at a time, calling serve() for
 *    each (smtpd, cleanup, local, bounce, error, discard), telling master
 *    when it is busy or idle so master can start more processes up to
 *    maxproc; exit after max_use connections or max_idle idle seconds;
 *  - MTA_SERVE_TRIGGER: a long-lived process woken by one-byte triggers on
 *    its socket and by its master.cf wakeup timer (pickup);
 *  - MTA_SERVE_EVENT: the daemon runs its own event loop (qmgr) after
 *    init(); the skeleton only provides the setup.
 */
#ifndef MTA_SERVER_H
#define MTA_SERVER_H

#include <sys/types.h>

#include "cfg/base/strvec.h"
#include "conf.h"

#define MTA_STATUS_FD 3
#define MTA_GEN_FD 4
#define MTA_LISTEN_FD 5
#define MTA_LISTEN_MAX 16

/* status messages on the status pipe */
#define MTA_STAT_AVAIL 1
#define MTA_STAT_BUSY 0

struct mta_status_msg {
	pid_t pid;
	int status;
};

enum mta_serve_shape { MTA_SERVE_CONN, MTA_SERVE_TRIGGER, MTA_SERVE_EVENT };

struct mta_server;

struct mta_server_ops {
	/* pre_init - before privileges are dropped (private keys readable by root only); may be NULL */
	void (*pre_init)(struct mta_server *srv);
	/* init - after configuration, logging and privileges; may be NULL */
	void (*init)(struct mta_server *srv);
	/* serve - one client (MTA_SERVE_CONN); in and out are usually the same socket */
	void (*serve)(struct mta_server *srv, int in, int out);
	/* trigger - one trigger byte arrived, or the wakeup timer fired ('W') */
	void (*trigger)(struct mta_server *srv, char req);
	/* run - the daemon's own loop (MTA_SERVE_EVENT); returns to exit */
	void (*run)(struct mta_server *srv);
	/*
	 * idle - MTA_SERVE_CONN, may be NULL: called with expired=0 before
	 * waiting for the next client, it returns how many milliseconds the
	 * daemon may wait before it has something to do (a cached connection
	 * to close), or -1; called with expired=1 when that time passed
	 * without a client, and once before the process exits
	 */
	long (*idle)(struct mta_server *srv, int expired);
};

struct mta_server {
	const char *name; /* program name, "smtpd" */
	struct mta_conf conf;
	const char *service;    /* master.cf service name ("smtp", "127.0.0.1:2525") */
	const char *type;       /* "inet", "unix" ... */
	struct cfg_strvec args; /* arguments after the generic options */
	const char *queue_dir;  /* queue_directory */
	int listen_fd;          /* the first listening socket, -1 when standalone */
	int nlisten;            /* how many (fds listen_fd ... listen_fd + nlisten - 1) */
	int status_fd;
	int gen_fd;
	int standalone; /* not started by master */
	int stopping;   /* the generation pipe closed */
	long wakeup;    /* seconds, 0 none (trigger servers) */
	long max_use;
	long max_idle;
	long ipc_timeout;
	int privileged; /* still root (unprivileged=n entries) */
	void *ctx;      /* the daemon's own state */
};

/*
 * mta_server_main - parse the generic options, set everything up and run
 * the given shape.  Returns the exit status for main().
 * Generic options: -n service, -t type, -c config_dir, -S (standalone:
 * serve stdin/stdout once, for sendmail -bs), -v (ignored), -o name=value
 * (extra override, like master.cf's).
 */
int mta_server_main(int argc, char **argv, const char *name, enum mta_serve_shape shape,
                    const struct mta_server_ops *ops, void *ctx);
/* mta_server_status - tell master we are busy/available (no-op standalone) */
void mta_server_status(struct mta_server *srv, int status);
/* mta_server_drop_privileges - switch to mail_owner when running as root; fatal on failure */
void mta_server_drop_privileges(struct mta_server *srv);
/*
 * mta_server_jailed - 1 once the process is chrooted in queue_directory
 * (master.cf chroot = y, as root): names relative to queue_directory are
 * then relative to "/", and absolute ones outside it are out of reach
 */
int mta_server_jailed(void);
/* mta_ignore_signals - SIGPIPE ignored, as every daemon needs */
void mta_ignore_signals(void);

#endif
