/* master.c - the process manager: event loop, signals, reload, stop (see master.h) */
#include "config.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pwd.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#include "cfg/base/xalloc.h"
#include "event.h"
#include "log.h"
#include "master.h"
#include "qfile.h"

static volatile sig_atomic_t got_term, got_hup, got_chld;
static struct master M;
static int pid_fd = -1;
static char *pid_path;

/* on_signal - remember and wake the loop */
static void on_signal(int sig)
{
	if (sig == SIGTERM || sig == SIGINT)
		got_term = sig;
	else if (sig == SIGHUP)
		got_hup = 1;
	else if (sig == SIGCHLD)
		got_chld = 1;
	mta_event_wakeup();
}

/* find_kid - the child record of pid, or NULL */
static struct master_child *find_kid(pid_t pid)
{
	for (size_t i = 0; i < M.nkids; i++)
		if (M.kids[i].pid == pid)
			return &M.kids[i];
	return NULL;
}

/* on_status - busy/idle messages from a service's processes */
static void on_status(int fd, int revents, void *ctx)
{
	struct master_svc *svc = ctx;
	struct mta_status_msg msg;

	(void)revents;
	while (read(fd, &msg, sizeof(msg)) == (ssize_t)sizeof(msg)) {
		struct master_child *k = find_kid(msg.pid);

		if (k == NULL || k->svc != svc)
			continue;
		k->reported = 1;
		if (msg.status == MTA_STAT_AVAIL && !k->avail) {
			k->avail = 1;
			svc->avail++;
		} else if (msg.status == MTA_STAT_BUSY && k->avail) {
			k->avail = 0;
			svc->avail--;
		}
	}
}

/* on_listen - a connection waits and no process is idle: start one */
static void on_listen(int fd, int revents, void *ctx)
{
	struct master_svc *svc = ctx;

	(void)fd;
	(void)revents;
	if (svc->removed || svc->avail > 0 || (svc->maxproc > 0 && svc->total >= svc->maxproc)
	    || mta_now() < svc->throttle_until)
		return;
	master_svc_spawn(&M, svc);
}

/* remove_svc - forget a drained, removed service */
static void remove_svc(struct master_svc *svc)
{
	for (size_t i = 0; i < M.nsvcs; i++) {
		if (M.svcs[i] == svc) {
			M.svcs[i] = M.svcs[--M.nsvcs];
			break;
		}
	}
	master_svc_free(svc);
}

/* reap - collect exited children and log the abnormal ones as Postfix does */
static void reap(void)
{
	pid_t pid;
	int status;

	while ((pid = waitpid(-1, &status, WNOHANG)) > 0) {
		struct master_child *k = find_kid(pid);
		struct master_svc *svc;

		if (k == NULL)
			continue;
		svc = k->svc;
		svc->total--;
		if (k->avail)
			svc->avail--;
		if (!M.stopping && (WIFSIGNALED(status) || WEXITSTATUS(status) != 0)) {
			if (WIFSIGNALED(status))
				mta_warn("process %s/%s pid %ld killed by signal %d", M.daemon_dir,
				         svc->command, (long)pid, WTERMSIG(status));
			else
				mta_warn("process %s/%s pid %ld exit status %d", M.daemon_dir,
				         svc->command, (long)pid, WEXITSTATUS(status));
			if (!k->reported) {
				mta_warn("%s/%s: bad command startup -- throttling", M.daemon_dir,
				         svc->command);
				svc->throttle_until = mta_now() + (double)M.throttle_time;
			} else {
				/* a crash after a good start: back off 1, 2, 4... seconds, up to the throttle time */
				double wait =
				    (double)(1L << (svc->crashes < 10 ? svc->crashes : 10));

				if (wait > (double)M.throttle_time)
					wait = (double)M.throttle_time;
				if (svc->crashes++ > 0 && mta_now() + wait > svc->throttle_until)
					svc->throttle_until = mta_now() + wait;
			}
		} else if (!M.stopping) {
			svc->crashes = 0;
		}
		*k = M.kids[--M.nkids];
		if (svc->removed && svc->total == 0)
			remove_svc(svc);
	}
}

/* watch - decide which listeners master itself must watch */
static void watch(void)
{
	double now = mta_now();

	for (size_t i = 0; i < M.nsvcs; i++) {
		struct master_svc *svc = M.svcs[i];
		int need;

		if (svc->removed)
			continue;
		if (svc->status_pipe[0] >= 0)
			mta_event_fd(svc->status_pipe[0], POLLIN, on_status, svc);
		if (svc->trigger) {
			if (svc->total == 0 && now >= svc->throttle_until && !M.stopping)
				master_svc_spawn(&M, svc);
			continue;
		}
		need = svc->avail == 0 && (svc->maxproc == 0 || svc->total < svc->maxproc)
		       && now >= svc->throttle_until;
		for (int l = 0; l < svc->nlisten; l++) {
			if (need)
				mta_event_fd(svc->listen[l], POLLIN, on_listen, svc);
			else
				mta_event_fd_remove(svc->listen[l]);
		}
	}
}

/* load_settings - the master's own parameters */
static void load_settings(void)
{
	struct mta_setting tab[] = {
	    MTA_SET(CFG_P_queue_directory, &M.queue_dir),
	    MTA_SET(CFG_P_daemon_directory, &M.daemon_dir),
	    MTA_SET(CFG_P_default_process_limit, &M.default_maxproc),
	    MTA_SET(CFG_P_service_throttle_time, &M.throttle_time),
	    MTA_SETTINGS_END,
	};

	mta_conf_get(&M.conf, tab);
	M.owner_uid = (uid_t)-1;
	M.owner_gid = (gid_t)-1;
	if (geteuid() == 0) {
		const char *owner = mta_conf_str(&M.conf, CFG_P_mail_owner);
		struct passwd *pw = getpwnam(owner);

		if (pw == NULL)
			mta_fatal("unknown mail_owner user name value: %s", owner);
		M.owner_uid = pw->pw_uid;
		M.owner_gid = pw->pw_gid;
	}
}

/* reload - SIGHUP: read the configuration again, keep what did not change */
static void reload(void)
{
	struct mta_conf fresh;
	struct cfg_buf why;
	const char *version;

	cfg_buf_init(&why);
	if (mta_conf_try(&fresh, M.config_dir, NULL, NULL, &why) < 0) {
		mta_warn("reload failed, keeping the old configuration: %s", why.data);
		cfg_buf_fini(&why);
		return;
	}
	mta_conf_close(&M.conf);
	M.conf = fresh;
	mta_conf_log(&M.conf);
	load_settings();
	master_svc_load(&M, &why);
	version = mta_conf_str(&M.conf, CFG_P_mail_version);
	mta_info("reload -- version %s, configuration %s", version, M.config_dir);
	cfg_buf_fini(&why);
	for (size_t i = 0; i < M.nsvcs;) {
		struct master_svc *svc = M.svcs[i];

		if (svc->removed && svc->total == 0) {
			remove_svc(svc);
			continue;
		}
		i++;
	}
}

/* release - free what master holds before it exits */
static void release(void)
{
	mta_conf_close(&M.conf);
	free(M.svcs);
	free(M.kids);
	free(M.self);
	free((char *)M.config_dir);
	free(pid_path);
	pid_path = NULL;
	M.svcs = NULL;
	M.kids = NULL;
	M.self = NULL;
	M.config_dir = NULL;
	if (pid_fd >= 0)
		close(pid_fd);
}

/* stop - SIGTERM: stop every process, remove the pid file, exit */
static void stop(int sig)
{
	double deadline;

	M.stopping = 1;
	mta_info("terminating on signal %d", sig);
	for (size_t i = 0; i < M.nsvcs; i++)
		master_svc_close(M.svcs[i]);
	for (size_t i = 0; i < M.nkids; i++)
		kill(M.kids[i].pid, SIGTERM);
	deadline = mta_now() + 5.0;
	while (M.nkids > 0 && mta_now() < deadline) {
		reap();
		if (M.nkids)
			poll(NULL, 0, 20);
	}
	for (size_t i = 0; i < M.nkids; i++)
		kill(M.kids[i].pid, SIGKILL);
	reap();
	if (pid_path)
		unlink(pid_path);
	for (size_t i = 0; i < M.nsvcs; i++)
		master_svc_free(M.svcs[i]);
	M.nsvcs = 0;
	release();
	exit(0);
}

/* lock_pid - take the master lock (the pid file); 0, or -1 when another master runs */
static int lock_pid(void)
{
	pid_path = cfg_xasprintf("%s/pid/master.pid", M.queue_dir);
	pid_fd = open(pid_path, O_RDWR | O_CREAT | O_CLOEXEC, 0644);
	if (pid_fd < 0)
		mta_fatal("open lock file %s: %m", pid_path);
	if (flock(pid_fd, LOCK_EX | LOCK_NB) < 0) {
		close(pid_fd);
		pid_fd = -1;
		return -1;
	}
	return 0;
}

/* write_pid - Postfix's format: the pid right-aligned in 32 columns */
static void write_pid(void)
{
	char buf[64];
	int n = snprintf(buf, sizeof(buf), "%*lu\n", 32, (unsigned long)getpid());

	if (ftruncate(pid_fd, 0) < 0 || pwrite(pid_fd, buf, (size_t)n, 0) != n)
		mta_fatal("write lock file %s: %m", pid_path);
}

/* clean_incoming - unsealed files in incoming/ belong to writers that died */
static void clean_incoming(void)
{
	char *dir = cfg_xasprintf("%s/%s", M.queue_dir, QF_INCOMING);
	DIR *d = opendir(dir);
	struct dirent *de;

	while (d && (de = readdir(d)) != NULL) {
		struct stat st;
		char *path;

		if (de->d_name[0] == '.')
			continue;
		path = cfg_xasprintf("%s/%s", dir, de->d_name);
		if (lstat(path, &st) == 0 && S_ISREG(st.st_mode) && !(st.st_mode & S_IXUSR)) {
			mta_warn("removing incomplete queue file %s", path);
			unlink(path);
		}
		free(path);
	}
	if (d)
		closedir(d);
	free(dir);
}

/* self_path - the program to exec for daemons: this one */
static char *self_path(const char *argv0)
{
	char buf[4096];
	ssize_t n = readlink("/proc/self/exe", buf, sizeof(buf) - 1);

	if (n > 0) {
		buf[n] = '\0';
		return cfg_xstrdup(buf);
	}
	return cfg_xstrdup(argv0);
}

/* usage - the master's options */
static void usage(void)
{
	mta_fatal("usage: master [-c config_dir] [-d] [-t] [-w]");
}

int master_main(int argc, char **argv);
int master_main(int argc, char **argv)
{
	int foreground = 0, test = 0, wait_up = 0, ready[2] = {-1, -1};
	const char *config_dir = getenv("MAIL_CONFIG");
	struct cfg_buf why;
	struct sigaction sa;
	const char *version;

	mta_log_init("master");
	mta_ignore_signals();
	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "-c") == 0 && i + 1 < argc)
			config_dir = argv[++i];
		else if (strcmp(argv[i], "-d") == 0 || strcmp(argv[i], "-i") == 0
		         || strcmp(argv[i], "-s") == 0)
			foreground = 1;
		else if (strcmp(argv[i], "-t") == 0)
			test = 1;
		else if (strcmp(argv[i], "-w") == 0)
			wait_up = 1;
		else if (strcmp(argv[i], "-v") == 0 || strcmp(argv[i], "-D") == 0)
			continue;
		else
			usage();
	}
	/* the argv strings are contiguous: children write their own command line there */
	M.title = argv[0];
	M.title_len = (size_t)(argv[argc - 1] + strlen(argv[argc - 1]) - argv[0]);
	mta_conf_open(&M.conf, config_dir, NULL, NULL);
	M.config_dir = cfg_xstrdup(mta_conf_dir(&M.conf));
	load_settings();
	M.self = self_path(argv[0]);
	if (test) {
		/* exit 0 when no master holds the lock */
		int rc = lock_pid() == 0 ? 0 : 1;

		release();
		return rc;
	}
	if (!foreground) {
		pid_t pid;

		if (wait_up && pipe2(ready, O_CLOEXEC) < 0)
			mta_fatal("pipe: %m");
		pid = fork();
		if (pid < 0)
			mta_fatal("fork: %m");
		if (pid > 0) {
			char c = '1';

			if (wait_up) {
				close(ready[1]);
				if (read(ready[0], &c, 1) != 1)
					c = '1';
			}
			release();
			return c == '0' ? 0 : 1;
		}
		if (ready[0] >= 0)
			close(ready[0]);
		setsid();
		{
			int null = open("/dev/null", O_RDWR);

			if (null >= 0) {
				dup2(null, 0);
				dup2(null, 1);
				dup2(null, 2);
				if (null > 2)
					close(null);
			}
		}
		mta_log_stderr(0);
	}
	mta_conf_log(&M.conf);
	if (chdir(M.queue_dir) < 0)
		mta_fatal("chdir(%s): %m", M.queue_dir);
	if (lock_pid() < 0)
		mta_fatal("the Postfix mail system is already running");
	write_pid();
	cfg_buf_init(&why);
	if (qf_make_dirs(M.queue_dir, (uid_t)-1, (gid_t)-1, &why) < 0)
		mta_fatal("%s", why.data);
	clean_incoming();
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sigemptyset(&sa.sa_mask);
	sa.sa_flags = SA_RESTART;
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGHUP, &sa, NULL);
	sigaction(SIGCHLD, &sa, NULL);
	master_svc_load(&M, &why);
	cfg_buf_fini(&why);
	version = mta_conf_str(&M.conf, CFG_P_mail_version);
	mta_info("daemon started -- version %s, configuration %s", version, M.config_dir);
	if (ready[1] >= 0) {
		if (write(ready[1], "0", 1) != 1) {
			/* the starter went away; keep running */
		}
		close(ready[1]);
	}
	for (;;) {
		watch();
		mta_event_run(1.0);
		if (got_chld) {
			got_chld = 0;
			reap();
		}
		if (got_term)
			stop(got_term);
		if (got_hup) {
			got_hup = 0;
			reload();
		}
	}
}
