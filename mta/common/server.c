/* server.c - the skeleton every postkit daemon runs on (see server.h) */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <poll.h>
#include <pwd.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#include "cfg/doc/mastercf.h"
#include "cfg/base/xalloc.h"
#include "ipc.h"
#include "maps.h"
#include "log.h"
#include "proxy.h"
#include "server.h"
#include "tls_cache.h"

void mta_ignore_signals(void)
{
	signal(SIGPIPE, SIG_IGN);
}

void mta_server_status(struct mta_server *srv, int status)
{
	static pid_t pid;
	struct mta_status_msg m;

	if (pid == 0)
		pid = getpid();
	m.pid = pid;
	m.status = status;

	if (srv->status_fd < 0)
		return;
	if (write(srv->status_fd, &m, sizeof(m)) != (ssize_t)sizeof(m)) {
		/* master is gone; the generation pipe will tell us to exit */
	}
}

/* entry_field - a field of our master.cf entry, or NULL */
static const char *entry_field(struct mta_server *srv, enum cfg_master_field f)
{
	const struct cfg_mastercf *mc = cfg_config_mastercf(srv->conf.cfg);
	const struct cfg_service *e;

	if (mc == NULL || srv->standalone)
		return NULL;
	e = cfg_mastercf_find(mc, srv->service, srv->type);
	return e ? e->field[f] : NULL;
}

/* owner_pw - mail_owner's passwd entry, looked up while /etc/passwd is reachable; fatal when bad */
static struct passwd owner_pw(struct mta_server *srv)
{
	const char *owner = mta_conf_str(&srv->conf, CFG_P_mail_owner);
	struct passwd *pw = getpwnam(owner);
	struct passwd copy;

	if (pw == NULL)
		mta_fatal("unknown mail_owner user name value: %s", owner);
	if (pw->pw_uid == 0)
		mta_fatal("mail_owner must not be the super-user");
	copy = *pw;
	copy.pw_name = NULL; /* only the ids are kept: the strings are static */
	return copy;
}

/* keeps_root - 1 when the process keeps its identity (not root, stand-alone, unprivileged=n) */
static int keeps_root(struct mta_server *srv)
{
	const char *unpriv;

	/* stand-alone (sendmail -bs) a daemon runs as the user who started it, as in Postfix */
	if (geteuid() != 0 || srv->standalone)
		return 1;
	unpriv = entry_field(srv, CFG_MF_UNPRIV);
	if (unpriv && strcmp(unpriv, "n") == 0) {
		srv->privileged = 1;
		return 1;
	}
	return 0;
}

/* drop_to - become uid/gid of pw for good */
static void drop_to(struct mta_server *srv, const struct passwd *pw)
{
	if (setgroups(0, NULL) < 0 || setgid(pw->pw_gid) < 0 || setuid(pw->pw_uid) < 0)
		mta_fatal("cannot drop privileges to %s: %m",
		          mta_conf_str(&srv->conf, CFG_P_mail_owner));
}

void mta_server_drop_privileges(struct mta_server *srv)
{
	struct passwd pw;

	if (keeps_root(srv))
		return;
	pw = owner_pw(srv);
	drop_to(srv, &pw);
}

static int in_jail; /* enter_jail() ran */

int mta_server_jailed(void)
{
	return in_jail;
}

/*
 * jailed - 1 when the master.cf entry says chroot = y and we can do it:
 * as root under master (Postfix's default for "-" is n).  A process that is
 * not root cannot chroot; an unprivileged instance runs unjailed.
 */
static int jailed(struct mta_server *srv)
{
	const char *ch = entry_field(srv, CFG_MF_CHROOT);

	return ch != NULL && strcmp(ch, "y") == 0 && geteuid() == 0 && !srv->standalone;
}

/*
 * enter_jail - what needs the world outside queue_directory happens first
 * (tables, time zone, the mail_owner entry, the log), then chroot into the
 * queue directory, and the privileges go.  Inside, queue paths and
 * private/ sockets are relative to the new root, as in Postfix.
 */
static void enter_jail(struct mta_server *srv)
{
	struct passwd pw;
	int drop = !keeps_root(srv);

	memset(&pw, 0, sizeof(pw));
	if (drop)
		pw = owner_pw(srv);
	tzset();
	mta_maps_preopen(&srv->conf);
	mta_log_jail();
	mta_tls_cache_jail();
	if (chroot(srv->queue_dir) < 0)
		mta_fatal("chroot(%s): %m", srv->queue_dir);
	if (chdir("/") < 0)
		mta_fatal("chdir(/): %m");
	srv->queue_dir = ".";
	in_jail = 1;
	if (drop)
		drop_to(srv, &pw);
}

/* gen_closed - 1 when the generation pipe says "exit" */
static int gen_closed(struct mta_server *srv)
{
	struct pollfd p = {.fd = srv->gen_fd, .events = POLLIN};

	if (srv->gen_fd < 0)
		return 0;
	if (poll(&p, 1, 0) > 0) {
		srv->stopping = 1;
		return 1;
	}
	return 0;
}

/* wait_listen - poll the listeners and the generation pipe; the ready listener, -1 timeout, -2 stop */
static int wait_listen(struct mta_server *srv, int timeout_ms)
{
	struct pollfd p[MTA_LISTEN_MAX + 1];
	int n, i;

	for (;;) {
		for (i = 0; i < srv->nlisten; i++) {
			p[i].fd = srv->listen_fd + i;
			p[i].events = POLLIN;
			p[i].revents = 0;
		}
		p[i].fd = srv->gen_fd;
		p[i].events = POLLIN;
		p[i].revents = 0;
		n = poll(p, (nfds_t)srv->nlisten + (srv->gen_fd >= 0 ? 1 : 0), timeout_ms);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			mta_fatal("poll: %m");
		if (n == 0)
			return -1;
		if (srv->gen_fd >= 0 && p[srv->nlisten].revents) {
			srv->stopping = 1;
			return -2;
		}
		for (i = 0; i < srv->nlisten; i++)
			if (p[i].revents)
				return p[i].fd;
	}
}

/*
 * listen_epoll - an epoll set where a new connection wakes one idle process
 * of the service, not all of them: with poll() every idle smtpd (or smtp
 * agent) woke for each connection and all but one found nothing to accept.
 * A process busy serving is not waiting, so the kernel passes the wakeup on
 * to one that is (EPOLLEXCLUSIVE).  -1 when unavailable: poll() then.
 */
static int listen_epoll(struct mta_server *srv)
{
#ifdef EPOLLEXCLUSIVE
	struct epoll_event ev;
	int ep = epoll_create1(EPOLL_CLOEXEC);

	if (ep < 0)
		return -1;
	for (int i = 0; i < srv->nlisten; i++) {
		memset(&ev, 0, sizeof(ev));
		ev.events = EPOLLIN | EPOLLEXCLUSIVE;
		ev.data.fd = srv->listen_fd + i;
		if (epoll_ctl(ep, EPOLL_CTL_ADD, ev.data.fd, &ev) < 0) {
			close(ep);
			return -1;
		}
	}
	if (srv->gen_fd >= 0) {
		memset(&ev, 0, sizeof(ev));
		ev.events = EPOLLIN;
		ev.data.fd = srv->gen_fd;
		if (epoll_ctl(ep, EPOLL_CTL_ADD, srv->gen_fd, &ev) < 0) {
			close(ep);
			return -1;
		}
	}
	return ep;
#else
	(void)srv;
	return -1;
#endif
}

/* wait_epoll - wait_listen's answer from the epoll set: the ready listener, -1 timeout, -2 stop */
static int wait_epoll(struct mta_server *srv, int ep, int timeout_ms)
{
	struct epoll_event ev[MTA_LISTEN_MAX + 1];
	int n, lfd = -1;

	for (;;) {
		n = epoll_wait(ep, ev, MTA_LISTEN_MAX + 1, timeout_ms);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			mta_fatal("epoll_wait: %m");
		if (n == 0)
			return -1;
		for (int i = 0; i < n; i++) {
			if (ev[i].data.fd == srv->gen_fd) {
				srv->stopping = 1;
				return -2;
			}
			lfd = ev[i].data.fd;
		}
		if (lfd >= 0)
			return lfd;
	}
}

/* serve_conns - the accept loop of MTA_SERVE_CONN */
static void serve_conns(struct mta_server *srv, const struct mta_server_ops *ops)
{
	long uses = 0;
	int ep = listen_epoll(srv);

	while (uses < srv->max_use && !srv->stopping) {
		long tmo = srv->max_idle * 1000, own = ops->idle ? ops->idle(srv, 0) : -1;
		int ms = (int)(own >= 0 && own < tmo ? own : tmo), fd;
		int lfd = ep >= 0 ? wait_epoll(srv, ep, ms) : wait_listen(srv, ms);

		if (lfd == -1 && ms < tmo) {
			ops->idle(srv, 1); /* the daemon's own time limit, not max_idle */
			continue;
		}
		if (lfd < 0)
			break; /* idle too long, or told to stop */
		fd = accept4(lfd, NULL, NULL, SOCK_CLOEXEC);
		if (fd < 0) {
			if (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR
			    || errno == ECONNABORTED)
				continue; /* another process took it */
			mta_fatal("accept connection: %m");
		}
		mta_server_status(srv, MTA_STAT_BUSY);
		ops->serve(srv, fd, fd);
		close(fd);
		mta_server_status(srv, MTA_STAT_AVAIL);
		uses++;
		gen_closed(srv);
	}
	if (ep >= 0)
		close(ep);
	if (ops->idle)
		ops->idle(srv, 1);
}

/* serve_triggers - the loop of MTA_SERVE_TRIGGER */
static void serve_triggers(struct mta_server *srv, const struct mta_server_ops *ops)
{
	/* a first run at startup picks up whatever is waiting */
	ops->trigger(srv, 'W');
	while (!srv->stopping) {
		int lfd = wait_listen(srv, srv->wakeup > 0 ? (int)srv->wakeup * 1000 : -1), fd, n;
		char req[16];

		if (lfd == -2)
			break;
		if (lfd == -1) {
			ops->trigger(srv, 'W');
			continue;
		}
		fd = accept4(lfd, NULL, NULL, SOCK_CLOEXEC | SOCK_NONBLOCK);
		if (fd < 0)
			continue;
		/* drain every pending trigger before doing the work once */
		n = ipc_trigger_read(fd, req, sizeof(req));
		close(fd);
		while ((fd = accept4(lfd, NULL, NULL, SOCK_CLOEXEC | SOCK_NONBLOCK)) >= 0)
			close(fd);
		ops->trigger(srv, n > 0 ? req[0] : 'W');
	}
}

/*
 * register_proxy - under master, proxy: tables go through the proxymap
 * service when master.cf has it (its socket is in private/); proxymap
 * itself opens the tables it serves
 */
static void register_proxy(struct mta_server *srv)
{
	const char *svc = mta_conf_str(&srv->conf, CFG_P_proxymap_service_name);
	char *path = cfg_xasprintf("private/%s", svc);

	if (!srv->standalone && strcmp(srv->name, "proxymap") != 0 && access(path, F_OK) == 0)
		mta_proxy_register(NULL, svc,
		                   mta_conf_str(&srv->conf, CFG_P_proxywrite_service_name),
		                   (int)srv->ipc_timeout);
	free(path);
}

int mta_server_main(int argc, char **argv, const char *name, enum mta_serve_shape shape,
                    const struct mta_server_ops *ops, void *ctx)
{
	struct mta_server srv;
	const char *config_dir = NULL;
	struct cfg_strvec overrides;
	int i;

	memset(&srv, 0, sizeof(srv));
	srv.name = name;
	srv.ctx = ctx;
	srv.listen_fd = MTA_LISTEN_FD;
	srv.status_fd = MTA_STATUS_FD;
	srv.gen_fd = MTA_GEN_FD;
	cfg_strvec_init(&srv.args);
	cfg_strvec_init(&overrides);
	mta_log_init(name);
	mta_ignore_signals();
	for (i = 1; i < argc; i++) {
		const char *a = argv[i];

		if (strcmp(a, "-n") == 0 && i + 1 < argc) {
			srv.service = argv[++i];
		} else if (strcmp(a, "-t") == 0 && i + 1 < argc) {
			srv.type = argv[++i];
		} else if (strcmp(a, "-c") == 0 && i + 1 < argc) {
			config_dir = argv[++i];
		} else if (strcmp(a, "-o") == 0 && i + 1 < argc) {
			cfg_strvec_add(&overrides, argv[++i]);
		} else if (strcmp(a, "-S") == 0) {
			srv.standalone = 1;
		} else if (strcmp(a, "-v") == 0 || strcmp(a, "-D") == 0) {
			/* verbose/debug: accepted, not implemented */
		} else {
			cfg_strvec_add(&srv.args, a);
		}
	}
	{
		const char *nl = getenv("POSTKIT_LISTEN_FDS");

		srv.nlisten = nl ? (int)strtol(nl, NULL, 10) : 1;
		if (srv.nlisten < 1 || srv.nlisten > MTA_LISTEN_MAX)
			srv.nlisten = 1;
	}
	if (srv.standalone || srv.service == NULL) {
		srv.standalone = 1;
		srv.nlisten = 0;
		srv.listen_fd = srv.status_fd = srv.gen_fd = -1;
		mta_conf_open(&srv.conf, config_dir, NULL, NULL);
		/* master.cf -o overrides arrive with -n; standalone ones on the command line */
		for (size_t k = 0; k < overrides.n; k++) {
			char *eq = strchr(overrides.v[k], '=');

			if (eq) {
				*eq = '\0';
				cfg_config_override(srv.conf.cfg, overrides.v[k], eq + 1);
			}
		}
	} else {
		mta_log_stderr(0);
		mta_conf_open(&srv.conf, config_dir, srv.service, srv.type);
	}
	if (srv.standalone)
		mta_log_stderr(0); /* sendmail -bs: the log only, not the client's stderr */
	mta_conf_log(&srv.conf);
	mta_maps_proxy(mta_conf_text(&srv.conf, CFG_P_proxy_read_maps),
	               mta_conf_text(&srv.conf, CFG_P_proxy_write_maps));
	srv.queue_dir = mta_conf_str(&srv.conf, CFG_P_queue_directory);
	srv.max_use = mta_conf_long(&srv.conf, CFG_P_max_use);
	srv.max_idle = mta_conf_time(&srv.conf, CFG_P_max_idle);
	srv.ipc_timeout = mta_conf_time(&srv.conf, CFG_P_ipc_timeout);
	if (srv.max_use <= 0)
		srv.max_use = 1L << 30;
	{
		const char *w = entry_field(&srv, CFG_MF_WAKEUP);

		if (w && *w >= '0' && *w <= '9')
			srv.wakeup = strtol(w, NULL, 10);
	}
	if (chdir(srv.queue_dir) < 0)
		mta_fatal("chdir(%s): %m", srv.queue_dir);
	register_proxy(&srv);
	if (ops->pre_init)
		ops->pre_init(&srv);
	if (jailed(&srv))
		enter_jail(&srv);
	else
		mta_server_drop_privileges(&srv);
	if (ops->init)
		ops->init(&srv);
	/* tell master that startup worked (it throttles services that die before this) */
	mta_server_status(&srv, MTA_STAT_AVAIL);
	if (srv.standalone) {
		if (ops->serve)
			ops->serve(&srv, STDIN_FILENO, STDOUT_FILENO);
		else if (ops->run)
			ops->run(&srv);
		else if (ops->trigger)
			ops->trigger(&srv, 'W');
	} else if (shape == MTA_SERVE_CONN) {
		serve_conns(&srv, ops);
	} else if (shape == MTA_SERVE_TRIGGER) {
		serve_triggers(&srv, ops);
	} else {
		ops->run(&srv);
	}
	mta_proxy_unregister();
	cfg_strvec_fini(&overrides);
	cfg_strvec_fini(&srv.args);
	mta_conf_close(&srv.conf);
	return 0;
}
