/*
 * postfix - start, stop and control the postkit mail system
 *
 * postfix [-c config_dir] [-Dv] command      (and --help, --version)
 *   start, start-fg, stop, abort, reload, status, flush, check,
 *   set-permissions, upgrade-configuration (perms.c, upgrade.c), logrotate,
 *   route (route.c), simulate (simulate.c), test (ptest.c)
 * Messages and exit statuses are Postfix's: the script-level ones are
 * logged as postfix/postfix-script and copied to stderr when it is a
 * terminal ("starting the Postfix mail system", "the Postfix mail system
 * is running: PID: N"...); errors of the command itself always go to stderr.
 * The master's pid file is $queue_directory/pid/master.pid, locked while
 * master runs.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <pwd.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "cfg/base/xalloc.h"
#include "cfg/check/check.h"
#include "check.h"
#include "conf.h"
#include "explain.h"
#include "ipc.h"
#include "log.h"
#include "opts.h"
#include "postfix.h"
#include "qfile.h"
#include "server.h"

#ifndef POSTKIT_BUILD_MTA
#define POSTKIT_BUILD_MTA ""
#endif

struct pfx {
	const char *config_dir;
	struct mta_conf conf;
	const char *queue_dir;
	int argc;
	char **argv;
};

/* script - a postfix-script message: logged, and shown on a terminal */
static void script(int fatal, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void script(int fatal, const char *fmt, ...)
{
	va_list ap;

	mta_log_prog("postfix-script");
	mta_log_stderr_tag("postfix/postfix-script");
	mta_log_stderr(isatty(STDERR_FILENO));
	va_start(ap, fmt);
	mta_vlog(fatal ? 3 : 0, fmt, ap);
	va_end(ap);
	mta_log_prog("postfix");
	mta_log_stderr_tag(NULL);
	mta_log_stderr(1);
}

/* master_pid - the running master's pid, or 0 when none holds the lock */
static long master_pid(struct pfx *p)
{
	char *path = cfg_xasprintf("%s/pid/master.pid", p->queue_dir);
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	char buf[64];
	ssize_t n;
	long pid = 0;

	free(path);
	if (fd < 0)
		return 0;
	if (flock(fd, LOCK_SH | LOCK_NB) == 0) {
		/* nobody holds it: a stale file */
		close(fd);
		return 0;
	}
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n > 0) {
		buf[n] = '\0';
		pid = strtol(buf, NULL, 10);
	}
	return pid > 0 ? pid : 0;
}

/* daemon_program - where postkit-daemon is: $POSTKIT_DAEMON_DIR, installed, or the build tree */
static char *daemon_program(void)
{
	const char *env = getenv("POSTKIT_DAEMON_DIR");
	char *p;

	if (env && *env)
		return cfg_xasprintf("%s/postkit-daemon", env);
	p = cfg_xasprintf("%s/postkit-daemon", POSTKIT_LIBEXECDIR);
	if (access(p, X_OK) == 0 || *POSTKIT_BUILD_MTA == '\0')
		return p;
	free(p);
	return cfg_xasprintf("%s/postkit-daemon", POSTKIT_BUILD_MTA);
}

/* run_master - master with extra options; its exit status (foreground: never returns) */
static int run_master(struct pfx *p, const char *mode, int foreground)
{
	char *prog = daemon_program();
	struct cfg_strvec argv;
	pid_t pid;
	int status;

	cfg_strvec_init(&argv);
	cfg_strvec_add(&argv, "master");
	cfg_strvec_add(&argv, "-c");
	cfg_strvec_add(&argv, p->config_dir);
	cfg_strvec_add(&argv, mode);
	setenv("MAIL_CONFIG", p->config_dir, 1);
	if (foreground) {
		execv(prog, argv.v);
		mta_fatal("execute %s: %m", prog);
	}
	pid = fork();
	if (pid < 0)
		mta_fatal("fork: %m");
	if (pid == 0) {
		execv(prog, argv.v);
		_exit(127);
	}
	free(prog);
	cfg_strvec_fini(&argv);
	while (waitpid(pid, &status, 0) < 0)
		if (errno != EINTR)
			return 1;
	return WIFEXITED(status) ? WEXITSTATUS(status) : 1;
}

/* prepare - what check-fatal does before a start: a valid configuration and queue dirs */
static int prepare(struct pfx *p)
{
	char check_word[] = "check";
	char *checkargv[] = {check_word, NULL};

	if (pfx_create_missing(&p->conf, p->config_dir, p->queue_dir) < 0) {
		script(1, "mail system startup failed");
		return -1;
	}
	/* the queue directories exist now: check the rest */
	if (pfx_check(p->config_dir, CFG_CHECK_RUN, 1, checkargv) != 0) {
		script(1, "Postfix integrity check failed!");
		return -1;
	}
	if (pfx_jail_files(&p->conf, p->queue_dir) < 0) {
		script(1, "mail system startup failed");
		return -1;
	}
	return 0;
}

/* cmd_start - start (and start-fg) */
static int cmd_start(struct pfx *p, int fg)
{
	if (master_pid(p)) {
		script(1, "the Postfix mail system is already running");
		return 1;
	}
	if (prepare(p) < 0)
		return 1;
	script(0, "starting the Postfix mail system");
	if (fg)
		return run_master(p, "-d", 1);
	if (run_master(p, "-w", 0) != 0) {
		script(1, "mail system startup failed");
		return 1;
	}
	return 0;
}

/* cmd_stop - stop (wait) and abort (don't) */
static int cmd_stop(struct pfx *p, int wait_for_it)
{
	long pid = master_pid(p);

	if (pid == 0) {
		script(1, "the Postfix mail system is not running");
		return 1;
	}
	script(0, wait_for_it ? "stopping the Postfix mail system"
	                      : "aborting the Postfix mail system");
	kill((pid_t)pid, SIGTERM);
	if (!wait_for_it)
		return 0;
	for (int i = 0; i < 100 && master_pid(p); i++)
		usleep(50000);
	if (master_pid(p)) {
		/* as postfix-script: whatever is left of the process group goes */
		kill(-(pid_t)pid, SIGKILL);
		kill((pid_t)pid, SIGKILL);
	}
	return 0;
}

/* cmd_reload - SIGHUP to master */
static int cmd_reload(struct pfx *p)
{
	long pid = master_pid(p);
	char check_word[] = "check";
	char *checkargv[] = {check_word, NULL};

	if (pid == 0) {
		script(1, "the Postfix mail system is not running");
		return 1;
	}
	/* fail closed: a configuration postkit would not honour never replaces the running one */
	if (pfx_check(p->config_dir, CFG_CHECK_RUN, 1, checkargv) != 0) {
		script(1, "Postfix integrity check failed!");
		script(1, "the running configuration is kept");
		return 1;
	}
	pfx_jail_files(&p->conf, p->queue_dir); /* a failure was logged; the old copies stay */
	script(0, "refreshing the Postfix mail system");
	kill((pid_t)pid, SIGHUP);
	return 0;
}

/* cmd_status - running or not */
static int cmd_status(struct pfx *p)
{
	long pid = master_pid(p);

	if (pid == 0) {
		script(0, "the Postfix mail system is not running");
		return 1;
	}
	script(0, "the Postfix mail system is running: PID: %ld", pid);
	return 0;
}

/* cmd_flush - a deferred queue run now (postqueue -f) */
static int cmd_flush(struct pfx *p)
{
	if (master_pid(p) == 0 || ipc_trigger(p->queue_dir, "public", "qmgr", 'F') < 0) {
		fprintf(stderr,
		        "postqueue: fatal: Cannot flush mail queue - mail system is down\n");
		return 1;
	}
	return 0;
}

/* cmd_install - set-permissions and upgrade-configuration (no name=value arguments) */
static int cmd_install(struct pfx *p, const char *cmd, int nargs)
{
	if (nargs > 0) {
		/* post-install would change installation parameters in main.cf: not done here */
		fprintf(stderr,
		        "postfix: fatal: %s: name=value arguments are not implemented by "
		        "postkit\n",
		        cmd);
		return 1;
	}
	if (strcmp(cmd, "set-permissions") == 0)
		return pfx_set_permissions(&p->conf, p->config_dir, p->queue_dir);
	return pfx_upgrade_configuration(&p->conf, p->config_dir, p->queue_dir);
}

/* compress - run maillog_file_compressor on file; its error output into err when it fails */
static int compress(const char *compressor, const char *file, struct cfg_buf *err)
{
	int pfd[2], status = 0;
	pid_t pid;
	char buf[512];
	ssize_t n;

	if (pipe2(pfd, O_CLOEXEC) < 0)
		return -1;
	if ((pid = fork()) < 0) {
		close(pfd[0]);
		close(pfd[1]);
		return -1;
	}
	if (pid == 0) {
		dup2(pfd[1], STDOUT_FILENO);
		dup2(pfd[1], STDERR_FILENO);
		execlp(compressor, compressor, file, (char *)NULL);
		dprintf(STDERR_FILENO, "%s: %s", compressor, strerror(errno));
		_exit(127);
	}
	close(pfd[1]);
	while ((n = read(pfd[0], buf, sizeof(buf))) > 0)
		cfg_buf_add(err, buf, (size_t)n);
	close(pfd[0]);
	while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
		;
	while (err->len && err->data[err->len - 1] == '\n')
		cfg_buf_truncate(err, err->len - 1);
	return WIFEXITED(status) && WEXITSTATUS(status) == 0 ? 0 : -1;
}

/* rotate_suffix - the time stamp for the old file: the administrator's format, as date +FORMAT */
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wformat-nonliteral"
static void rotate_suffix(const char *fmt, const struct tm *tm, char *out, size_t len)
{
	if (strftime(out, len, fmt, tm) == 0)
		out[0] = '\0';
}
#pragma GCC diagnostic pop

/*
 * cmd_logrotate - as Postfix 3.7: maillog_file gets a time-stamp suffix
 * (maillog_file_rotate_suffix), master and the daemons write to a new file
 * from the reload on, and after a second the old one is compressed with
 * maillog_file_compressor
 */
static int cmd_logrotate(struct pfx *p, int nargs)
{
	static const int ids[] = {CFG_P_maillog_file, CFG_P_maillog_file_compressor,
	                          CFG_P_maillog_file_rotate_suffix};
	static const char *const names[] = {"maillog_file", "maillog_file_compressor",
	                                    "maillog_file_rotate_suffix"};
	const char *v[3];
	char suffix[256];
	struct tm tm;
	time_t now = time(NULL);
	struct cfg_buf err;
	char *old;
	long pid;
	int rc = 0;

	if (nargs != 0) {
		script(1, "usage postfix logrotate (no arguments)");
		return 1;
	}
	for (int i = 0; i < 3; i++) {
		v[i] = mta_conf_str(&p->conf, ids[i]);
		if (v[i] == NULL || *v[i] == '\0') {
			script(1, "empty '%s' parameter value - logfile rotation failed", names[i]);
			return 1;
		}
	}
	if (strncmp(v[0], "/dev/", 5) == 0) {
		script(1, "not rotating '%s'", v[0]);
		return 1;
	}
	localtime_r(&now, &tm);
	rotate_suffix(v[2], &tm, suffix, sizeof(suffix));
	old = cfg_xasprintf("%s.%s", v[0], suffix);
	cfg_buf_init(&err);
	if (rename(v[0], old) < 0) {
		/* the words of mv(1), which Postfix's script runs */
		if (errno == ENOENT)
			cfg_buf_printf(&err, "mv: cannot stat '%s': %s", v[0], strerror(errno));
		else
			cfg_buf_printf(&err, "mv: cannot move '%s' to '%s': %s", v[0], old,
			               strerror(errno));
		rc = -1;
	} else {
		if ((pid = master_pid(p)) > 0)
			kill((pid_t)pid, SIGHUP);
		sleep(1);
		rc = compress(v[1], old, &err);
	}
	if (rc < 0)
		script(1, "logfile '%s' rotation failed: %s", v[0], err.data);
	cfg_buf_fini(&err);
	free(old);
	return rc < 0 ? 1 : 0;
}

/* usage - the unknown-command message */
static int usage(const char *cmd)
{
	script(1,
	       "unknown command: '%s'. Usage: postfix start (or stop, reload, abort, flush, "
	       "check, status, set-permissions, upgrade-configuration, logrotate)",
	       cmd);
	return 1;
}

/* under - 1 when path is inside dir */
static int under(const char *path, const char *dir)
{
	size_t n = strlen(dir);

	return strncmp(path, dir, n) == 0 && path[n] == '/';
}

/*
 * make_instance_dirs - queue, data and mail spool directories that live
 * under the configuration directory are created when missing (the
 * one-directory instance of examples/); system paths are left alone.
 */
static void make_instance_dirs(struct pfx *p)
{
	static const enum cfg_param_id params[] = {CFG_P_queue_directory, CFG_P_data_directory,
	                                           CFG_P_mail_spool_directory};

	for (size_t i = 0; i < sizeof(params) / sizeof(params[0]); i++) {
		const char *d = mta_conf_str(&p->conf, params[i]);

		/* said on the terminal only: Postfix logs nothing like it (logwatch would not know it) */
		if (under(d, p->config_dir) && mkdir(d, 0755) == 0) {
			fprintf(stderr, "postfix: created %s\n", d);
			/* as Postfix makes it: the daemons keep their caches there */
			if (params[i] == CFG_P_data_directory) {
				const struct passwd *pw =
				    getpwnam(mta_conf_str(&p->conf, CFG_P_mail_owner));

				if (pw != NULL && geteuid() == 0
				    && chown(d, pw->pw_uid, pw->pw_gid) < 0)
					fprintf(stderr, "postfix: warning: chown %s: %s\n", d,
					        strerror(errno));
				(void)chmod(d, 0700);
			}
		}
	}
}

#define USAGE "postfix: fatal: usage: postfix [-c config_dir] [-Dv] command\n"

/* the options and the commands; --help is made from this table */
static const struct tool_opt options[] = {
    {'c', NULL, "config_dir", "use the main.cf file in config_dir"},
    {'D', NULL, NULL, "accepted (Postfix: run the daemons under a debugger)"},
    {'v', NULL, NULL, "more verbose logging"},
    TOOL_OPT_STANDARD,
    {TOOL_OPT_NOTE, "start", NULL, "start the mail system"},
    {TOOL_OPT_NOTE, "start-fg", NULL, "start it in the foreground (master does not detach)"},
    {TOOL_OPT_NOTE, "stop", NULL, "stop it: running deliveries finish first"},
    {TOOL_OPT_NOTE, "abort", NULL, "stop it at once"},
    {TOOL_OPT_NOTE, "reload", NULL, "re-read main.cf and master.cf"},
    {TOOL_OPT_NOTE, "status", NULL, "is it running?"},
    {TOOL_OPT_NOTE, "flush", NULL, "deliver the deferred mail now"},
    {TOOL_OPT_NOTE, "check", NULL, "check the configuration and the file permissions"},
    {TOOL_OPT_NOTE, "set-permissions", NULL, "set the owners and modes of the files"},
    {TOOL_OPT_NOTE, "upgrade-configuration", NULL, "add what a newer version needs"},
    {TOOL_OPT_NOTE, "logrotate", NULL, "rename maillog_file with a time stamp and compress it"},
    {TOOL_OPT_NOTE, "route", NULL, "where mail for an address goes (postkit's own)"},
    {TOOL_OPT_NOTE, "simulate", NULL, "an SMTP session through the restrictions (postkit's own)"},
    {TOOL_OPT_NOTE, "test", NULL, "run a file of routing and restriction tests (postkit's own)"},
    {0, NULL, NULL, NULL},
};

/* main - options, configuration, then one command */
int main(int argc, char **argv)
{
	struct pfx p;
	struct tool_opt_state st;
	struct cfg_buf why;
	const char *cmd;
	int i, rc, ch;

	memset(&p, 0, sizeof(p));
	mta_log_init("postfix");
	mta_log_stderr(1);
	mta_ignore_signals();
	p.config_dir = getenv("MAIL_CONFIG");
	tool_opt_init(&st, argc, argv, "postfix");
	while ((ch = tool_opt_next(&st, options)) != TOOL_OPT_END) {
		if (ch == 'c')
			p.config_dir = st.arg;
		else if ((rc = tool_opt_standard(ch, "postfix", "[-c config_dir] [-Dv] command",
		                                 options))
		         >= 0)
			return rc;
		else if (ch == TOOL_OPT_ERROR)
			return 1; /* the option's message only, as Postfix prints */
	}
	if ((i = st.ind) >= argc) {
		fputs(USAGE, stderr);
		return 1;
	}
	cmd = argv[i];
	if (strcmp(cmd, "check") == 0)
		return pfx_check(p.config_dir, 0, argc - i, argv + i);
	if (strcmp(cmd, "route") == 0)
		return pfx_route(p.config_dir, argc - i, argv + i);
	if (strcmp(cmd, "simulate") == 0)
		return pfx_simulate(p.config_dir, argc - i, argv + i);
	if (strcmp(cmd, "test") == 0)
		return pfx_test(p.config_dir, argc - i, argv + i);
	cfg_buf_init(&why);
	if (mta_conf_try(&p.conf, p.config_dir, NULL, NULL, &why) < 0)
		mta_fatal("%s", why.data);
	cfg_buf_fini(&why);
	p.config_dir = mta_conf_dir(&p.conf);
	mta_conf_log(&p.conf);
	mta_log_stderr(1);
	p.queue_dir = mta_conf_str(&p.conf, CFG_P_queue_directory);
	/* a self-contained instance may start from its configuration directory alone */
	if (strcmp(cmd, "start") == 0 || strcmp(cmd, "start-fg") == 0)
		make_instance_dirs(&p);
	if (chdir(p.queue_dir) < 0)
		mta_fatal("chdir(%s): %m", p.queue_dir);
	if (strcmp(cmd, "start") == 0)
		rc = cmd_start(&p, 0);
	else if (strcmp(cmd, "start-fg") == 0)
		rc = cmd_start(&p, 1);
	else if (strcmp(cmd, "stop") == 0)
		rc = cmd_stop(&p, 1);
	else if (strcmp(cmd, "abort") == 0)
		rc = cmd_stop(&p, 0);
	else if (strcmp(cmd, "reload") == 0)
		rc = cmd_reload(&p);
	else if (strcmp(cmd, "status") == 0)
		rc = cmd_status(&p);
	else if (strcmp(cmd, "flush") == 0)
		rc = cmd_flush(&p);
	else if (strcmp(cmd, "set-permissions") == 0 || strcmp(cmd, "upgrade-configuration") == 0)
		rc = cmd_install(&p, cmd, argc - i - 1);
	else if (strcmp(cmd, "logrotate") == 0)
		rc = cmd_logrotate(&p, argc - i - 1);
	else
		rc = usage(cmd);
	mta_conf_close(&p.conf);
	return rc;
}
