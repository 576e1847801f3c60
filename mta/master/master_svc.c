/* master_svc.c - master.cf entries become services with sockets and processes (see master.h) */
#include "config.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <signal.h>
#include <unistd.h>

#include "addr.h"
#include "cfg/schema/daemon.h"
#include "cfg/doc/mastercf.h"
#include "cfg/base/xalloc.h"
#include "event.h"
#include "log.h"
#include "master.h"

int master_implemented(const char *command)
{
	const struct cfg_daemon_def *d = cfg_daemon_find(command);

	return d != NULL && d->impl && !(d->flags & CFG_DF_NOTSERVICE);
}

/* is_trigger - qmgr and pickup: exactly one process, always running */
static int is_trigger(const char *command)
{
	const struct cfg_daemon_def *d = cfg_daemon_find(command);

	return d != NULL && (d->flags & CFG_DF_TRIGGER) != 0;
}

/* type_implemented - a service type master serves (schemas/master.def) */
static int type_implemented(const char *type)
{
	const struct cfg_service_type_def *t = cfg_service_type_find(type);

	return t != NULL && t->impl;
}

/* nonblock - set O_NONBLOCK and FD_CLOEXEC */
static void nonblock(int fd)
{
	fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK);
	fcntl(fd, F_SETFD, FD_CLOEXEC);
}

/* listen_unix - a UNIX-domain stream socket at path, owned by mail_owner when root */
static int listen_unix(struct master *m, const char *path, struct cfg_buf *why)
{
	struct sockaddr_un sun;
	int fd;

	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	if (strlen(path) >= sizeof(sun.sun_path)) {
		cfg_buf_printf(why, "unix-domain name too long: %s", path);
		return -1;
	}
	memcpy(sun.sun_path, path, strlen(path) + 1);
	fd = socket(AF_UNIX, SOCK_STREAM, 0);
	if (fd < 0) {
		cfg_buf_printf(why, "socket: %s", strerror(errno));
		return -1;
	}
	unlink(path);
	if (bind(fd, (struct sockaddr *)&sun, sizeof(sun)) < 0) {
		cfg_buf_printf(why, "bind %s: %s", path, strerror(errno));
		close(fd);
		return -1;
	}
	/* public sockets are for anyone on the host (sendmail triggers pickup) */
	chmod(path, strstr(path, "/public/") ? 0666 : 0660);
	if (m->owner_uid != (uid_t)-1 && chown(path, m->owner_uid, m->owner_gid) < 0)
		mta_warn("chown %s: %m", path);
	if (listen(fd, 128) < 0) {
		cfg_buf_printf(why, "listen %s: %s", path, strerror(errno));
		close(fd);
		return -1;
	}
	nonblock(fd);
	return fd;
}

/* listen_inet - one TCP listener; host NULL means any address of the family */
static int listen_inet(struct master_svc *svc, const char *host, const char *port, int family,
                       struct cfg_buf *why)
{
	struct addrinfo hints, *res = NULL, *a;
	int rc;

	memset(&hints, 0, sizeof(hints));
	hints.ai_family = family;
	hints.ai_socktype = SOCK_STREAM;
	hints.ai_flags = AI_PASSIVE | AI_NUMERICHOST;
	if (host && !addr_is_ip(host))
		hints.ai_flags &= ~AI_NUMERICHOST;
	rc = getaddrinfo(host, port, &hints, &res);
	if (rc != 0) {
		if (host)
			cfg_buf_printf(why, "host/service %s/%s not found: %s", host, port,
			               gai_strerror(rc));
		else
			cfg_buf_printf(why, "unknown service: %s/tcp", port);
		return -1;
	}
	for (a = res; a; a = a->ai_next) {
		int fd = socket(a->ai_family, SOCK_STREAM, 0), on = 1;
		char h[NI_MAXHOST], p[NI_MAXSERV];

		if (fd < 0)
			continue;
		setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &on, sizeof(on));
		if (a->ai_family == AF_INET6)
			setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &on, sizeof(on));
		if (bind(fd, a->ai_addr, a->ai_addrlen) < 0 || listen(fd, 128) < 0) {
			getnameinfo(a->ai_addr, a->ai_addrlen, h, sizeof(h), p, sizeof(p),
			            NI_NUMERICHOST | NI_NUMERICSERV);
			cfg_buf_printf(why, "bind %s port %s: %s", h, p, strerror(errno));
			close(fd);
			freeaddrinfo(res);
			return -1;
		}
		nonblock(fd);
		if (svc->nlisten < MTA_LISTEN_MAX)
			svc->listen[svc->nlisten++] = fd;
		else
			close(fd);
	}
	freeaddrinfo(res);
	return 0;
}

/* open_inet - listeners for "[host:]port" per inet_interfaces and inet_protocols */
static int open_inet(struct master *m, struct master_svc *svc, struct cfg_buf *why)
{
	char host[512] = "", *port;
	char buf[512];
	struct cfg_strvec ifs, protos;
	int v4 = 0, v6 = 0, rc = 0;

	snprintf(buf, sizeof(buf), "%s", svc->name);
	cfg_strvec_init(&ifs);
	cfg_strvec_init(&protos);
	mta_conf_list(&m->conf, CFG_P_inet_protocols, &protos);
	for (size_t i = 0; i < protos.n; i++) {
		if (strcasecmp(protos.v[i], "all") == 0)
			v4 = v6 = 1;
		else if (strcasecmp(protos.v[i], "ipv4") == 0)
			v4 = 1;
		else if (strcasecmp(protos.v[i], "ipv6") == 0)
			v6 = 1;
	}
	if (buf[0] == '[') {
		char *end = strchr(buf, ']');

		if (end == NULL || end[1] != ':') {
			cfg_buf_printf(why, "%s: bad inet service address", svc->name);
			rc = -1;
			goto out;
		}
		*end = '\0';
		snprintf(host, sizeof(host), "%s", buf + 1);
		port = end + 2;
	} else if ((port = strrchr(buf, ':')) != NULL) {
		*port++ = '\0';
		snprintf(host, sizeof(host), "%s", buf);
	} else {
		port = buf;
	}
	if (*host) {
		rc = listen_inet(svc, host, port, AF_UNSPEC, why);
		goto out;
	}
	/* no host in the entry: inet_interfaces decides */
	mta_conf_list(&m->conf, CFG_P_inet_interfaces, &ifs);
	for (size_t i = 0; i < ifs.n && rc == 0; i++) {
		const char *h = ifs.v[i];

		if (strcasecmp(h, "all") == 0) {
			if (v4)
				rc = listen_inet(svc, NULL, port, AF_INET, why);
			if (v6 && rc == 0)
				rc = listen_inet(svc, NULL, port, AF_INET6, why);
		} else if (strcasecmp(h, "loopback-only") == 0) {
			if (v4)
				rc = listen_inet(svc, "127.0.0.1", port, AF_INET, why);
			if (v6 && rc == 0)
				rc = listen_inet(svc, "::1", port, AF_INET6, why);
		} else {
			rc = listen_inet(svc, h, port,
			                 v4 && !v6   ? AF_INET
			                 : v6 && !v4 ? AF_INET6
			                             : AF_UNSPEC,
			                 why);
		}
	}
out:
	cfg_strvec_fini(&ifs);
	cfg_strvec_fini(&protos);
	return rc;
}

/* field - a master.cf field with "-" meaning the default */
static const char *field(const struct cfg_service *e, enum cfg_master_field f, const char *dflt)
{
	const char *v = e->field[f];

	return v == NULL || strcmp(v, "-") == 0 ? dflt : v;
}

/* find_svc - an existing service by name and type */
static struct master_svc *find_svc(struct master *m, const char *name, const char *type)
{
	for (size_t i = 0; i < m->nsvcs; i++)
		if (!m->svcs[i]->removed && strcmp(m->svcs[i]->name, name) == 0
		    && strcmp(m->svcs[i]->type, type) == 0)
			return m->svcs[i];
	return NULL;
}

/* open_svc - sockets and pipes of a new service */
static int open_svc(struct master *m, struct master_svc *svc, const struct cfg_service *e,
                    struct cfg_buf *why)
{
	if (strcmp(svc->type, "inet") == 0) {
		if (open_inet(m, svc, why) < 0)
			return -1;
	} else {
		const char *priv = field(e, CFG_MF_PRIVATE, "y");
		int fd;

		svc->sockpath =
		    cfg_xasprintf("%s/%s/%s", m->queue_dir,
		                  strcmp(priv, "n") == 0 ? "public" : "private", svc->name);
		fd = listen_unix(m, svc->sockpath, why);
		if (fd < 0)
			return -1;
		svc->listen[svc->nlisten++] = fd;
	}
	if (pipe2(svc->status_pipe, O_CLOEXEC | O_NONBLOCK) < 0
	    || pipe2(svc->gen_pipe, O_CLOEXEC) < 0) {
		cfg_buf_printf(why, "pipe: %s", strerror(errno));
		return -1;
	}
	return 0;
}

void master_svc_new_generation(struct master_svc *svc)
{
	if (svc->gen_pipe[1] >= 0)
		close(svc->gen_pipe[1]);
	if (svc->gen_pipe[0] >= 0)
		close(svc->gen_pipe[0]);
	svc->gen_pipe[0] = svc->gen_pipe[1] = -1;
	if (!svc->removed && pipe2(svc->gen_pipe, O_CLOEXEC) < 0)
		mta_warn("pipe: %m");
}

void master_svc_close(struct master_svc *svc)
{
	for (int i = 0; i < svc->nlisten; i++) {
		mta_event_fd_remove(svc->listen[i]);
		close(svc->listen[i]);
	}
	svc->nlisten = 0;
	if (svc->sockpath)
		unlink(svc->sockpath);
	svc->removed = 1;
	master_svc_new_generation(svc);
}

void master_svc_free(struct master_svc *svc)
{
	if (svc == NULL)
		return;
	if (svc->status_pipe[0] >= 0) {
		mta_event_fd_remove(svc->status_pipe[0]);
		close(svc->status_pipe[0]);
		close(svc->status_pipe[1]);
	}
	free(svc->name);
	free(svc->type);
	free(svc->command);
	free(svc->sig);
	free(svc->sockpath);
	cfg_strvec_fini(&svc->argv);
	free(svc);
}

/* signature - the parts of an entry that decide its listeners */
static char *signature(const struct cfg_service *e)
{
	return cfg_xasprintf("%s %s %s", e->field[CFG_MF_SERVICE], e->field[CFG_MF_TYPE],
	                     field(e, CFG_MF_PRIVATE, "y"));
}

int master_svc_load(struct master *m, struct cfg_buf *why)
{
	const struct cfg_mastercf *mc = cfg_config_mastercf(m->conf.cfg);
	int rc = 0;

	for (size_t i = 0; i < m->nsvcs; i++)
		m->svcs[i]->seen = 0;
	for (size_t i = 0; mc && i < mc->nsvcs; i++) {
		const struct cfg_service *e = &mc->svcs[i];
		const char *name = e->field[CFG_MF_SERVICE], *type = e->field[CFG_MF_TYPE];
		const char *cmd = e->argv.n ? e->argv.v[0] : "";
		const char *maxp = field(e, CFG_MF_MAXPROC, NULL);
		struct master_svc *svc;
		char *sig;
		int known = 0;

		/* only the last of duplicate entries counts, as master(5) says */
		for (size_t k = i + 1; k < mc->nsvcs; k++)
			if (strcmp(mc->svcs[k].field[CFG_MF_SERVICE], name) == 0
			    && strcmp(mc->svcs[k].field[CFG_MF_TYPE], type) == 0)
				known = 1;
		if (known)
			continue;
		/*
		 * postfix check refuses an entry postkit cannot serve when anything
		 * uses it; the others (tlsmgr, verify, postlog... of a stock
		 * master.cf) are left alone without a word
		 */
		if (!master_implemented(cmd) || !type_implemented(type))
			continue;
		sig = signature(e);
		svc = find_svc(m, name, type);
		if (svc && strcmp(svc->sig, sig) != 0) {
			/* the listener changed: start over with a new service */
			master_svc_close(svc);
			svc = NULL;
		}
		if (svc == NULL) {
			svc = cfg_xcalloc(1, sizeof(*svc));
			svc->name = cfg_xstrdup(name);
			svc->type = cfg_xstrdup(type);
			svc->sig = sig;
			sig = NULL;
			svc->status_pipe[0] = svc->status_pipe[1] = -1;
			svc->gen_pipe[0] = svc->gen_pipe[1] = -1;
			cfg_strvec_init(&svc->argv);
			if (open_svc(m, svc, e, why) < 0) {
				mta_fatal("%s", why->data);
			}
			if (m->nsvcs == m->capsvcs) {
				m->capsvcs = m->capsvcs ? m->capsvcs * 2 : 16;
				m->svcs = cfg_xreallocarray(m->svcs, m->capsvcs, sizeof(*m->svcs));
			}
			m->svcs[m->nsvcs++] = svc;
		} else {
			/* same listener: new settings for the processes started from now on */
			master_svc_new_generation(svc);
		}
		free(sig);
		free(svc->command);
		svc->command = cfg_xstrdup(cmd);
		cfg_strvec_clear(&svc->argv);
		for (size_t k = 0; k < e->argv.n; k++)
			cfg_strvec_add(&svc->argv, e->argv.v[k]);
		svc->maxproc = maxp ? strtol(maxp, NULL, 10) : m->default_maxproc;
		svc->trigger = is_trigger(cmd);
		if (svc->trigger)
			svc->maxproc = 1;
		svc->seen = 1;
	}
	for (size_t i = 0; i < m->nsvcs; i++)
		if (!m->svcs[i]->seen && !m->svcs[i]->removed)
			master_svc_close(m->svcs[i]);
	return rc;
}

void master_svc_spawn(struct master *m, struct master_svc *svc)
{
	pid_t pid;
	struct master_child *k;

	pid = fork();
	if (pid < 0) {
		mta_warn("fork: %m");
		return;
	}
	if (pid == 0) {
		char nl[16];
		struct cfg_strvec av;
		int fds[MTA_LISTEN_MAX + 2];
		int n = 0;

		/* collect first: the targets 3, 4, 5... may be taken by other descriptors */
		fds[n++] = fcntl(svc->status_pipe[1], F_DUPFD_CLOEXEC, 64);
		fds[n++] = fcntl(svc->gen_pipe[0], F_DUPFD_CLOEXEC, 64);
		for (int i = 0; i < svc->nlisten; i++)
			fds[n++] = fcntl(svc->listen[i], F_DUPFD_CLOEXEC, 64);
		for (int i = 0; i < n; i++) {
			if (dup2(fds[i], MTA_STATUS_FD + i) < 0)
				_exit(127);
			fcntl(MTA_STATUS_FD + i, F_SETFD, 0);
		}
		snprintf(nl, sizeof(nl), "%d", svc->nlisten);
		setenv("POSTKIT_LISTEN_FDS", nl, 1);
		setenv("MAIL_CONFIG", m->config_dir, 1);
		cfg_strvec_init(&av);
		cfg_strvec_add(&av, svc->command);
		cfg_strvec_add(&av, "-n");
		cfg_strvec_add(&av, svc->name);
		cfg_strvec_add(&av, "-t");
		cfg_strvec_add(&av, svc->type);
		for (size_t i = 1; i < svc->argv.n; i++)
			cfg_strvec_add(&av, svc->argv.v[i]);
		/*
		 * The daemons live in this very program: run one without exec.
		 * That skips the dynamic loader (most of a process start here);
		 * what master holds is dropped first: its descriptors, signal
		 * handlers, event loop and log state.
		 */
		mta_log_forget();
		mta_event_forget();
		if (m->title && m->title_len > 1) {
			/* what ps shows: "smtpd -n smtp -t inet", as with Postfix */
			char *t = cfg_strvec_join(&av, " ");

			memset(m->title, 0, m->title_len);
			memcpy(m->title, t,
			       strlen(t) < m->title_len ? strlen(t) : m->title_len - 1);
			free(t);
		}
		close_range(MTA_STATUS_FD + (unsigned)n, ~0U, 0);
		{
			struct sigaction sa;
			sigset_t none;

			memset(&sa, 0, sizeof(sa));
			sa.sa_handler = SIG_DFL;
			sigaction(SIGTERM, &sa, NULL);
			sigaction(SIGINT, &sa, NULL);
			sigaction(SIGHUP, &sa, NULL);
			sigaction(SIGCHLD, &sa, NULL);
			sigemptyset(&none);
			sigprocmask(SIG_SETMASK, &none, NULL);
		}
		_exit(postkit_daemon((int)av.n, av.v));
	}
	if (m->nkids == m->capkids) {
		m->capkids = m->capkids ? m->capkids * 2 : 32;
		m->kids = cfg_xreallocarray(m->kids, m->capkids, sizeof(*m->kids));
	}
	k = &m->kids[m->nkids++];
	k->pid = pid;
	k->svc = svc;
	k->avail = 1; /* counted idle until it says busy, so one connection starts one process */
	k->reported = 0;
	k->started = mta_now();
	svc->total++;
	svc->avail++;
}
