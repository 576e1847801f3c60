/* local_cmd.c - delivery to commands, and local attribute expansion (see local.h) */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <sysexits.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "addr.h"
#include "cfg/base/xalloc.h"
#include "local.h"
#include "log.h"

/* attr - the value of a local attribute for expansion, or NULL */
static const char *attr(const char *name, struct local_dlv *d, const struct local_user *u,
                        struct cfg_buf *tmp)
{
	struct local_cfg *cfg = local_cfg_get();
	const char *delim = cfg->recipient_delimiter;

	cfg_buf_reset(tmp);
	/* the names of the address being delivered, folded, as Postfix's msg_attr */
	if (strcmp(name, "user") == 0)
		return d->user;
	if (strcmp(name, "mailbox") == 0 || strcmp(name, "local") == 0)
		return d->local;
	if (strcmp(name, "extension") == 0)
		return d->extension;
	if (strcmp(name, "recipient_delimiter") == 0) {
		/* the delimiter found in the address, else the setting */
		if (d->extension && d->user && d->local) {
			cfg_buf_addc(tmp, d->local[strlen(d->user)]);
			return tmp->data;
		}
		return *delim ? delim : NULL;
	}
	/* the rights the delivery has */
	if (strcmp(name, "home") == 0)
		return u ? u->home : NULL;
	if (strcmp(name, "shell") == 0)
		return u ? u->shell : NULL;
	if (strcmp(name, "recipient") == 0) {
		addr_externalize(d->addr, tmp);
		return tmp->data;
	}
	if (strcmp(name, "sender") == 0)
		return d->sender;
	if (strcmp(name, "domain") == 0) {
		const char *dom = addr_domain(d->addr);

		return dom ? dom : "";
	}
	return NULL;
}

/* add_filtered - a value into out, what filter does not allow as '_' */
static void add_filtered(struct cfg_buf *out, const char *v, const char *filter)
{
	for (; *v; v++)
		cfg_buf_addc(out, filter == NULL || strchr(filter, *v) ? *v : '_');
}

void local_expand(const char *t, struct local_dlv *d, const struct local_user *u,
                  const char *filter, struct cfg_buf *out)
{
	struct cfg_buf tmp;

	cfg_buf_init(&tmp);
	while (*t) {
		char name[64];
		const char *v, *alt = NULL;
		size_t altlen = 0;
		int op = 0;
		size_t n;

		if (*t != '$') {
			cfg_buf_addc(out, *t++);
			continue;
		}
		t++;
		if (*t == '$') {
			cfg_buf_addc(out, *t++);
			continue;
		}
		if (*t == '{' || *t == '(') {
			char close = *t == '{' ? '}' : ')';
			const char *e = strchr(t, close);

			if (e == NULL)
				break;
			n = strcspn(t + 1, "?:}) ");
			snprintf(name, sizeof(name), "%.*s",
			         (int)(n < sizeof(name) ? n : sizeof(name) - 1), t + 1);
			if (t[1 + n] == '?' || t[1 + n] == ':') {
				op = t[1 + n];
				alt = t + 2 + n;
				altlen = (size_t)(e - alt);
			}
			t = e + 1;
		} else {
			n = strspn(
			    t, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_");
			snprintf(name, sizeof(name), "%.*s",
			         (int)(n < sizeof(name) ? n : sizeof(name) - 1), t);
			t += n;
		}
		v = attr(name, d, u, &tmp);
		if (op == '?') {
			if (v && *v)
				cfg_buf_add(out, alt, altlen);
		} else if (op == ':') {
			if (!(v && *v))
				cfg_buf_add(out, alt, altlen);
		} else if (v) {
			add_filtered(out, v, filter);
		}
	}
	cfg_buf_fini(&tmp);
}

/* set_env - the environment a delivery command sees */
static void set_env(struct local_dlv *d, const struct local_user *u)
{
	struct cfg_buf tmp, ext;
	const char *v;

	clearenv();
	setenv("PATH", "/usr/bin:/bin", 1);
	if (u->home)
		setenv("HOME", u->home, 1);
	setenv("USER", d->user ? d->user : "", 1);
	setenv("LOGNAME", d->user ? d->user : "", 1);
	if (u->shell)
		setenv("SHELL", u->shell, 1);
	cfg_buf_init(&tmp);
	cfg_buf_init(&ext);
	setenv("SENDER", d->sender, 1);
	addr_externalize(d->addr, &ext);
	setenv("RECIPIENT", ext.data, 1);
	cfg_buf_reset(&ext);
	addr_externalize(d->orig, &ext);
	setenv("ORIGINAL_RECIPIENT", ext.data, 1);
	if ((v = attr("local", d, u, &tmp)) != NULL)
		setenv("LOCAL", v, 1);
	if ((v = attr("domain", d, u, &tmp)) != NULL)
		setenv("DOMAIN", v, 1);
	if ((v = attr("extension", d, u, &tmp)) != NULL)
		setenv("EXTENSION", v, 1);
	cfg_buf_fini(&tmp);
	cfg_buf_fini(&ext);
}

/* child_fatal - Postfix's fatal line from the command's process; the delivery is deferred */
static _Noreturn void child_fatal(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static _Noreturn void child_fatal(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	mta_vlog(3, fmt, ap);
	va_end(ap);
	_exit(EX_TEMPFAIL);
}

/* child - the command's process: the user's rights for good, then the shell */
static _Noreturn void child(struct local_dlv *d, const struct local_user *u, const char *cmd,
                            const char *dir, uid_t uid, gid_t gid, int in, int out)
{
	mta_log_child();
	signal(SIGPIPE, SIG_DFL);
	umask(077);
	/* what the command writes may not grow past mailbox_size_limit */
	mbx_file_limit();
	if (local_drop(uid, gid) < 0)
		_exit(EX_TEMPFAIL);
	/* command_execution_directory, else where the agent is: the queue directory */
	if (dir && chdir(dir) < 0) {
		int e = errno;

		child_fatal("cannot change directory to \"%s\" for uid=%ld gid=%ld: %s", dir,
		            (long)uid, (long)gid, strerror(e));
	}
	if (dup2(in, 0) < 0 || dup2(out, 1) < 0 || dup2(out, 2) < 0)
		_exit(EX_TEMPFAIL);
	set_env(d, u);
	execl("/bin/sh", "sh", "-c", cmd, (char *)NULL);
	_exit(EX_TEMPFAIL);
}

/*
 * pump - feed msg to the command and keep at most 2 KB of what it says,
 * until it closes its output or the time limit; 1 when it timed out.
 */
static int pump(int in, int out, const struct cfg_buf *msg, struct cfg_buf *output, pid_t pid)
{
	struct local_cfg *cfg = local_cfg_get();
	time_t deadline =
	    time(NULL) + (cfg->command_time_limit > 0 ? cfg->command_time_limit : 1000);
	size_t off = 0;

	fcntl(in, F_SETFL, O_NONBLOCK);
	fcntl(out, F_SETFL, O_NONBLOCK);
	for (;;) {
		struct pollfd p[2] = {{.fd = out, .events = POLLIN}, {.fd = in, .events = POLLOUT}};
		int np = in >= 0 ? 2 : 1;
		char buf[4096];
		ssize_t n;

		if (time(NULL) > deadline) {
			kill(pid, SIGKILL);
			if (in >= 0)
				close(in);
			return 1;
		}
		if (poll(p, (nfds_t)np, 1000) < 0 && errno != EINTR)
			break;
		if (np == 2 && (p[1].revents & (POLLOUT | POLLERR | POLLHUP))) {
			n = write(in, msg->data + off, msg->len - off);
			if (n > 0)
				off += (size_t)n;
			if ((n < 0 && errno != EAGAIN) || off == msg->len) {
				close(in);
				in = -1;
			}
		}
		if (p[0].revents) {
			n = read(out, buf, sizeof(buf));
			if (n > 0) {
				if (output->len < 2048)
					cfg_buf_add(output, buf, (size_t)n);
			} else if (n == 0 || errno != EAGAIN) {
				break;
			}
		}
	}
	if (in >= 0)
		close(in);
	return 0;
}

/* verdict - the outcome from how the command ended */
static void verdict(const char *cmd, int status, int timed_out, struct cfg_buf *output,
                    struct mbx_result *res)
{
	/* Postfix's words for the sysexits.h codes EX_USAGE (64) ... EX_CONFIG (78) */
	static const struct {
		const char *dsn, *text;
	} sysexits[] = {
	    {"5.3.0", "command line usage error"},  {"5.6.0", "data format error"},
	    {"5.3.0", "cannot open input"},         {"5.1.1", "user unknown"},
	    {"5.1.2", "host name unknown"},         {"5.3.0", "service unavailable"},
	    {"5.3.0", "internal software error"},   {"4.3.0", "system resource problem"},
	    {"5.3.0", "critical OS file missing"},  {"5.2.0", "can't create user output file"},
	    {"5.3.0", "input/output error"},        {"4.3.0", "temporary failure"},
	    {"5.5.0", "remote error in protocol"},  {"5.7.0", "permission denied"},
	    {"5.3.5", "local configuration error"},
	};
	const char *more = output->len ? ". Command output: " : "";
	int ex = WIFEXITED(status) ? WEXITSTATUS(status) : -1;

	/* each line of the output ends with a space, the last one too, as in Postfix */
	for (size_t i = 0; i < output->len; i++)
		if (output->data[i] == '\n' || output->data[i] == '\r')
			output->data[i] = ' ';
	cfg_buf_adds(output, "");
	if (timed_out) {
		mbx_result_set(res, 5, "5.3.0", "Command time limit exceeded: \"%s\"", cmd);
	} else if (ex == 0) {
		mbx_result_set(res, 0, "2.0.0", "delivered to command: %s", cmd);
	} else if (WIFSIGNALED(status)) {
		mbx_result_set(res, 4, "4.3.0", "Command died with signal %d: \"%s\"%s%s",
		               WTERMSIG(status), cmd, more, output->data);
	} else if (ex >= 64 && ex < 64 + (int)(sizeof(sysexits) / sizeof(sysexits[0]))) {
		const char *dsn = sysexits[ex - 64].dsn;

		mbx_result_set(res, dsn[0] == '4' ? 4 : 5, dsn, "%s%s%s", sysexits[ex - 64].text,
		               more, output->data);
	} else {
		mbx_result_set(res, 5, "5.3.0", "Command died with status %d: \"%s\"%s%s", ex, cmd,
		               more, output->data);
	}
}

/* run - pipe the message into cmd as uid/gid */
static void run(struct local_dlv *d, const struct local_user *u, const char *cmd, const char *dir,
                uid_t uid, gid_t gid, struct mbx_result *res)
{
	struct cfg_buf msg, output;
	int in[2], out[2], status = 0, timed_out;
	struct mbx_copy c;
	pid_t pid;

	cfg_buf_init(&msg);
	cfg_buf_init(&output);
	local_copy(d, u, &c);
	if (mbx_message(&c, MBX_FROM, &msg) < 0) {
		mbx_result_set(res, 4, "4.3.0", "cannot read queue file: %s", strerror(errno));
		goto done;
	}
	if (pipe2(in, O_CLOEXEC) < 0) {
		mbx_result_set(res, 4, "4.3.0", "pipe: %s", strerror(errno));
		goto done;
	}
	if (pipe2(out, O_CLOEXEC) < 0) {
		mbx_result_set(res, 4, "4.3.0", "pipe: %s", strerror(errno));
		close(in[0]);
		close(in[1]);
		goto done;
	}
	pid = fork();
	if (pid == 0)
		child(d, u, cmd, dir, uid, gid, in[0], out[1]);
	close(in[0]);
	close(out[1]);
	if (pid < 0) {
		mbx_result_set(res, 4, "4.3.0", "fork: %s", strerror(errno));
		close(in[1]);
		close(out[0]);
		goto done;
	}
	timed_out = pump(in[1], out[0], &msg, &output, pid);
	close(out[0]);
	while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
		;
	verdict(cmd, status, timed_out, &output, res);
done:
	cfg_buf_fini(&msg);
	cfg_buf_fini(&output);
}

void local_command(struct local_dlv d, struct local_user u, const char *cmd)
{
	struct local_cfg *cfg = local_cfg_get();
	struct mbx_result res;
	struct cfg_buf dir;
	uid_t uid;
	gid_t gid;

	d.level++;
	if (local_been_here(&d, "command %s:%ld %s", d.user ? d.user : "", (long)u.uid, cmd))
		return;
	if (local_verify_sent(&d, "delivers to command: %s", cmd))
		return;
	cfg_buf_init(&res.text);
	/* never as root: a root recipient's commands get default_privs, as in Postfix */
	if (local_rights(&u, &uid, &gid) < 0) {
		mta_warn("command %s: refusing to run with a privileged user or group ID", cmd);
		mbx_result_set(&res, 4, "4.3.5", "mail system configuration error");
	} else {
		cfg_buf_init(&dir);
		if (*cfg->exec_dir)
			local_expand(cfg->exec_dir, &d, &u, cfg->exec_filter, &dir);
		run(&d, &u, cmd, dir.len ? dir.data : NULL, uid, gid, &res);
		cfg_buf_fini(&dir);
	}
	local_leaf(&d, &res);
	cfg_buf_fini(&res.text);
}
