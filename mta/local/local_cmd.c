/* local_cmd.c - delivery to commands and files, and local attribute expansion (see local.h) */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "addr.h"
#include "cfg/xalloc.h"
#include "local.h"
#include "log.h"

/* attr - the value of a local attribute for expansion, or NULL */
static const char *attr(const char *name, struct local_dlv *d, const struct passwd *pw,
                        struct cfg_buf *tmp)
{
	struct local_cfg *cfg = local_cfg_get();
	const char *delim = cfg->recipient_delimiter;

	cfg_buf_reset(tmp);
	if (strcmp(name, "user") == 0 || strcmp(name, "mailbox") == 0)
		return pw ? pw->pw_name : NULL;
	if (strcmp(name, "home") == 0)
		return pw ? pw->pw_dir : NULL;
	if (strcmp(name, "shell") == 0)
		return pw ? pw->pw_shell : NULL;
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
	if (strcmp(name, "local") == 0) {
		addr_localpart(d->addr, tmp);
		return tmp->data;
	}
	if (strcmp(name, "recipient_delimiter") == 0)
		return *delim ? delim : NULL;
	if (strcmp(name, "extension") == 0) {
		size_t cut;

		if (*delim == '\0')
			return NULL;
		addr_localpart(d->addr, tmp);
		cut = strcspn(tmp->data, delim);
		if (cut >= tmp->len)
			return NULL;
		memmove(tmp->data, tmp->data + cut + 1, tmp->len - cut);
		return tmp->data;
	}
	return NULL;
}

void local_expand(const char *t, struct local_dlv *d, const struct passwd *pw, struct cfg_buf *out)
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
		v = attr(name, d, pw, &tmp);
		if (op == '?') {
			if (v && *v)
				cfg_buf_add(out, alt, altlen);
		} else if (op == ':') {
			if (!(v && *v))
				cfg_buf_add(out, alt, altlen);
		} else if (v) {
			cfg_buf_adds(out, v);
		}
	}
	cfg_buf_fini(&tmp);
}

/* set_env - the environment a delivery command sees */
static void set_env(struct local_dlv *d, const struct passwd *pw)
{
	struct cfg_buf tmp, ext;
	const char *v;

	clearenv();
	setenv("PATH", "/usr/bin:/bin", 1);
	if (pw) {
		setenv("HOME", pw->pw_dir, 1);
		setenv("USER", pw->pw_name, 1);
		setenv("LOGNAME", pw->pw_name, 1);
		setenv("SHELL", pw->pw_shell, 1);
	}
	cfg_buf_init(&tmp);
	cfg_buf_init(&ext);
	setenv("SENDER", d->sender, 1);
	addr_externalize(d->addr, &ext);
	setenv("RECIPIENT", ext.data, 1);
	cfg_buf_reset(&ext);
	addr_externalize(d->orig, &ext);
	setenv("ORIGINAL_RECIPIENT", ext.data, 1);
	if ((v = attr("local", d, pw, &tmp)) != NULL)
		setenv("LOCAL", v, 1);
	if ((v = attr("domain", d, pw, &tmp)) != NULL)
		setenv("DOMAIN", v, 1);
	if ((v = attr("extension", d, pw, &tmp)) != NULL)
		setenv("EXTENSION", v, 1);
	cfg_buf_fini(&tmp);
	cfg_buf_fini(&ext);
}

void local_command(struct local_dlv *d, const char *cmd, uid_t uid, gid_t gid,
                   const struct passwd *pw, struct local_result *res)
{
	struct local_cfg *cfg = local_cfg_get();
	struct cfg_buf msg, output;
	int in[2], out[2], status = 0;
	pid_t pid;
	size_t off = 0;
	time_t deadline;
	int timed_out = 0;

	cfg_buf_init(&msg);
	cfg_buf_init(&output);
	if (local_message(d, LM_FROM, &msg) < 0 || pipe2(in, O_CLOEXEC) < 0) {
		local_result_set(res, 4, "4.3.0", "cannot read queue file: %s", strerror(errno));
		goto done;
	}
	if (pipe2(out, O_CLOEXEC) < 0) {
		close(in[0]);
		close(in[1]);
		local_result_set(res, 4, "4.3.0", "pipe: %s", strerror(errno));
		goto done;
	}
	pid = fork();
	if (pid < 0) {
		local_result_set(res, 4, "4.3.0", "fork: %s", strerror(errno));
		close(in[0]);
		close(in[1]);
		close(out[0]);
		close(out[1]);
		goto done;
	}
	if (pid == 0) {
		dup2(in[0], 0);
		dup2(out[1], 1);
		dup2(out[1], 2);
		signal(SIGPIPE, SIG_DFL);
		if (cfg->root) {
			if (seteuid(0) < 0 || setgroups(0, NULL) < 0 || setgid(gid) < 0
			    || setuid(uid) < 0)
				_exit(75);
		}
		set_env(d, pw);
		if (pw && chdir(pw->pw_dir) < 0 && chdir("/") < 0)
			_exit(75);
		execl("/bin/sh", "sh", "-c", cmd, (char *)NULL);
		_exit(75);
	}
	close(in[0]);
	close(out[1]);
	fcntl(in[1], F_SETFL, O_NONBLOCK);
	fcntl(out[0], F_SETFL, O_NONBLOCK);
	deadline = time(NULL) + (cfg->command_time_limit > 0 ? cfg->command_time_limit : 1000);
	for (;;) {
		struct pollfd p[2] = {{.fd = out[0], .events = POLLIN},
		                      {.fd = in[1], .events = POLLOUT}};
		int np = in[1] >= 0 ? 2 : 1;
		char buf[4096];
		ssize_t n;

		if (time(NULL) > deadline) {
			kill(pid, SIGKILL);
			timed_out = 1;
			break;
		}
		if (poll(p, (nfds_t)np, 1000) < 0 && errno != EINTR)
			break;
		if (np == 2 && (p[1].revents & (POLLOUT | POLLERR | POLLHUP))) {
			n = write(in[1], msg.data + off, msg.len - off);
			if (n > 0)
				off += (size_t)n;
			if (n < 0 && errno != EAGAIN) {
				close(in[1]);
				in[1] = -1;
			} else if (off == msg.len) {
				close(in[1]);
				in[1] = -1;
			}
		}
		if (p[0].revents) {
			n = read(out[0], buf, sizeof(buf));
			if (n > 0) {
				if (output.len < 2048)
					cfg_buf_add(&output, buf, (size_t)n);
			} else if (n == 0 || errno != EAGAIN) {
				break;
			}
		}
	}
	if (in[1] >= 0)
		close(in[1]);
	close(out[0]);
	while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
		;
	for (size_t i = 0; i < output.len; i++)
		if (output.data[i] == '\n' || output.data[i] == '\r')
			output.data[i] = ' ';
	while (output.len && output.data[output.len - 1] == ' ')
		cfg_buf_truncate(&output, output.len - 1);
	if (timed_out) {
		local_result_set(res, 4, "4.3.0", "Command time limit exceeded: \"%s\"", cmd);
	} else if (WIFEXITED(status) && WEXITSTATUS(status) == 0) {
		local_result_set(res, 0, "2.0.0", "delivered to command: %s", cmd);
	} else if (WIFSIGNALED(status)) {
		local_result_set(res, 4, "4.3.0", "Command died with signal %d: \"%s\"",
		                 WTERMSIG(status), cmd);
	} else {
		int ex = WEXITSTATUS(status);
		/* sysexits: temporary failures defer, the rest bounce */
		int temp = ex == 75 || ex == 71 || ex == 74;

		local_result_set(res, temp ? 4 : 5, temp ? "4.3.0" : "5.3.0",
		                 "Command died with status %d: \"%s\"%s%s", ex, cmd,
		                 output.len ? ". Command output: " : "", output.data);
	}
done:
	cfg_buf_fini(&msg);
	cfg_buf_fini(&output);
}

void local_file(struct local_dlv *d, const char *path, uid_t uid, gid_t gid,
                struct local_result *res)
{
	struct cfg_buf msg;
	struct flock fl;
	struct stat st;
	int fd;

	cfg_buf_init(&msg);
	if (local_message(d, LM_MBOX, &msg) < 0) {
		local_result_set(res, 4, "4.3.0", "cannot read queue file: %s", strerror(errno));
		cfg_buf_fini(&msg);
		return;
	}
	if (local_become(uid, gid) < 0) {
		local_result_set(res, 4, "4.3.0", "cannot change privileges: %s", strerror(errno));
		cfg_buf_fini(&msg);
		return;
	}
	fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
	if (fd < 0 || fstat(fd, &st) < 0 || !S_ISREG(st.st_mode)) {
		local_result_set(res, 5, "5.2.0", "cannot append message to file %s: %s", path,
		                 fd < 0 ? strerror(errno) : "not a regular file");
		if (fd >= 0)
			close(fd);
		local_become(0, 0);
		cfg_buf_fini(&msg);
		return;
	}
	memset(&fl, 0, sizeof(fl));
	fl.l_type = F_WRLCK;
	fl.l_whence = SEEK_SET;
	if (fcntl(fd, F_SETLKW, &fl) < 0 || write(fd, msg.data, msg.len) != (ssize_t)msg.len
	    || fsync(fd) < 0) {
		local_result_set(res, 4, "4.2.0", "cannot append message to file %s: %s", path,
		                 strerror(errno));
		if (ftruncate(fd, st.st_size) < 0) {
			/* leave it */
		}
	} else {
		local_result_set(res, 0, "2.0.0", "delivered to file: %s", path);
	}
	close(fd);
	local_become(0, 0);
	cfg_buf_fini(&msg);
}
