/* submit.c - local mail submission helpers (see submit.h) */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pwd.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "cfg/param/list.h"
#include "cfg/doc/maincf.h"
#include "cfg/base/strvec.h"
#include "cfg/base/xalloc.h"
#include "log.h"
#include "match.h"
#include "qfile.h"
#include "submit.h"

#ifndef POSTKIT_SBINDIR
#define POSTKIT_SBINDIR "/usr/sbin"
#endif

#define FLUSH_AT 65536

int submit_privileged(void)
{
	return getuid() != geteuid() || getgid() != getegid();
}

#ifdef __SANITIZE_ADDRESS__
/*
 * __lsan_is_turned_off - LeakSanitizer's hook: it cannot inspect a set-gid
 * process (not dumpable) and would fail the run; everywhere else it checks.
 */
int __lsan_is_turned_off(void);
int __lsan_is_turned_off(void)
{
	return submit_privileged();
}
#endif

/* read_file - the whole file into out; 0, or -1 with errno */
static int read_file(const char *path, struct cfg_buf *out)
{
	char chunk[8192];
	ssize_t n;
	int fd = open(path, O_RDONLY | O_CLOEXEC);

	if (fd < 0)
		return -1;
	while ((n = read(fd, chunk, sizeof(chunk))) != 0) {
		if (n < 0) {
			int e = errno;

			if (e == EINTR)
				continue;
			close(fd);
			errno = e;
			return -1;
		}
		cfg_buf_add(out, chunk, (size_t)n);
	}
	close(fd);
	return 0;
}

/* listed - 1 when dir is a word of the value of a directory-list setting */
static int listed(const struct cfg_maincf *doc, const char *dir)
{
	struct cfg_strvec w;
	int found = 0;

	cfg_strvec_init(&w);
	/* every definition counts, as Postfix reads the file line by line */
	for (size_t i = 0; doc && i < doc->nents && !found; i++) {
		const struct cfg_maincf_entry *e = &doc->ents[i];

		if (strcmp(e->name, "alternate_config_directories") != 0
		    && strcmp(e->name, "multi_instance_directories") != 0)
			continue;
		cfg_strvec_clear(&w);
		cfg_list_tokens(e->value, CFG_LIST_SEPARATORS, &w);
		for (size_t k = 0; k < w.n && !found; k++)
			found = strcmp(w.v[k], dir) == 0;
	}
	cfg_strvec_fini(&w);
	return found;
}

int submit_config_dir_ok(const char *dir, struct cfg_buf *error, struct cfg_buf *fatal)
{
	const char *path = SUBMIT_DEF_CONFIG_DIR "/main.cf";
	struct cfg_maincf *doc = NULL;
	struct cfg_buf text;
	int found;

	cfg_buf_init(&text);
	if (read_file(path, &text) < 0) {
		cfg_buf_printf(fatal, "open file %s: %s", path, strerror(errno));
		cfg_buf_fini(&text);
		return -1;
	}
	cfg_maincf_parse(path, text.data ? text.data : "", text.len, &doc, NULL);
	found = listed(doc, dir);
	cfg_maincf_free(doc);
	cfg_buf_fini(&text);
	if (found)
		return 0;
	cfg_buf_printf(error, "unauthorized configuration directory name: %s", dir);
	cfg_buf_printf(fatal,
	               "specify \"alternate_config_directories = %s\" or "
	               "\"multi_instance_directories = %s\" in %s",
	               dir, dir, path);
	return -1;
}

/* say - one log line at a level (mta_vlog levels) */
static void say(int level, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void say(int level, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	mta_vlog(level, fmt, ap);
	va_end(ap);
}

void submit_require_config_dir(const char *dir, int status)
{
	struct cfg_buf error, fatal;

	cfg_buf_init(&error);
	cfg_buf_init(&fatal);
	if (submit_config_dir_ok(dir, &error, &fatal) == 0) {
		cfg_buf_fini(&error);
		cfg_buf_fini(&fatal);
		return;
	}
	if (error.len)
		say(2, "%s", error.data);
	say(3, "%s", fatal.data);
	exit(status);
}

/* build_top - the top of the build tree the running program is in, or NULL (new string) */
static char *build_top(void)
{
	char exe[PATH_MAX];
	ssize_t n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
	char *slash, *dir;

	if (n <= 0)
		return NULL;
	exe[n] = '\0';
	/* TOP/mta/postkit-daemon */
	if (n > 19 && strcmp(exe + n - 19, "/mta/postkit-daemon") == 0)
		return cfg_xstrndup(exe, (size_t)n - 19);
	/* TOP/tools/NAME/NAME */
	if ((slash = strrchr(exe, '/')) == NULL || slash == exe)
		return NULL;
	*slash = '\0';
	dir = strrchr(exe, '/');
	if (dir == NULL || strcmp(dir + 1, slash + 1) != 0 || dir - exe < 6
	    || strncmp(dir - 6, "/tools", 6) != 0)
		return NULL;
	return cfg_xstrndup(exe, (size_t)(dir - 6 - exe));
}

char *submit_program(struct mta_conf *c, const char *name)
{
	char *top, *p;

	if (cfg_config_explicit(c->cfg, "command_directory") != NULL)
		return cfg_xasprintf("%s/%s", mta_conf_str(c, CFG_P_command_directory), name);
	if ((top = build_top()) != NULL) {
		p = cfg_xasprintf("%s/tools/%s/%s", top, name, name);
		free(top);
		if (access(p, X_OK) == 0)
			return p;
		free(p);
	}
	return cfg_xasprintf("%s/%s", POSTKIT_SBINDIR, name);
}

const char *submit_user_denied(struct mta_conf *c, const char *param, uid_t uid)
{
	static char name[256];
	struct passwd *pw = getpwuid(uid);
	struct cfg_strvec elems;
	struct match_list *l;
	int rc;

	snprintf(name, sizeof(name), "%s", pw ? pw->pw_name : "unknown");
	cfg_strvec_init(&elems);
	mta_conf_named(c, param, &elems);
	l = match_list_new(param, &elems, 0);
	/* a table that cannot be read denies: fail closed */
	rc = match_domain(l, name);
	match_list_free(l);
	cfg_strvec_fini(&elems);
	return rc == 1 ? NULL : name;
}

/* clean_env - a set-gid program keeps only TZ of its caller's environment */
static void clean_env(void)
{
	char *tz = getenv("TZ") ? cfg_xstrdup(getenv("TZ")) : NULL;

	clearenv();
	if (tz)
		setenv("TZ", tz, 1);
	free(tz);
}

const char *submit_config_dir(int status)
{
	static char *dir;
	const char *env = getenv("MAIL_CONFIG");

	free(dir);
	dir = env ? cfg_xstrdup(env) : NULL;
	if (dir && strcmp(dir, SUBMIT_DEF_CONFIG_DIR) != 0 && submit_privileged() && geteuid() != 0)
		submit_require_config_dir(dir, status);
	if (submit_privileged())
		clean_env();
	return dir;
}

void submit_log(struct mta_conf *c)
{
	mta_log_utf8(mta_conf_bool(c, CFG_P_smtputf8_enable));
	/* no warning when maillog_file is not ours to open: the lines still reach stderr */
	(void)mta_log_config(mta_conf_str(c, CFG_P_syslog_name),
	                     mta_conf_str(c, CFG_P_maillog_file), mta_conf_str(c, CFG_P_myhostname),
	                     mta_conf_str(c, CFG_P_syslog_facility));
}

const char *submit_printable(const char *s)
{
	static struct cfg_buf b;

	if (b.data == NULL)
		cfg_buf_init(&b);
	cfg_buf_reset(&b);
	for (const unsigned char *p = (const unsigned char *)s; *p; p++)
		cfg_buf_addc(&b, *p < 0x20 || *p == 0x7f ? '?' : *p);
	return b.data;
}

int submit_has_control(const char *s)
{
	for (const unsigned char *p = (const unsigned char *)s; *p; p++)
		if (*p < 0x20 || *p == 0x7f)
			return 1;
	return 0;
}

/* flush - write out what is buffered; a dead reader marks the stream broken */
static void flush(struct submit_stream *s)
{
	size_t off = 0;

	while (!s->broken && off < s->out.len) {
		ssize_t n = write(s->fd, s->out.data + off, s->out.len - off);

		if (n < 0) {
			if (errno == EINTR)
				continue;
			s->broken = 1;
			break;
		}
		off += (size_t)n;
	}
	cfg_buf_reset(&s->out);
}

/* read_qid - postdrop's "queue_id=ID" line, then its output is closed */
static void read_qid(struct submit_stream *s, int fd)
{
	char line[sizeof(s->qid) + 16];
	size_t len = 0;
	ssize_t n;

	while (len < sizeof(line) - 1 && (n = read(fd, line + len, 1)) != 0) {
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 || line[len] == '\n')
			break;
		len++;
	}
	line[len] = '\0';
	close(fd);
	if (strncmp(line, "queue_id=", 9) == 0)
		snprintf(s->qid, sizeof(s->qid), "%.*s", (int)sizeof(s->qid) - 1, line + 9);
}

int submit_open(struct submit_stream *s, const char *prog, const char *config_dir)
{
	int in[2], out[2];

	memset(s, 0, sizeof(*s));
	s->fd = -1;
	if (access(prog, X_OK) < 0 || pipe(in) < 0)
		return -1;
	if (pipe(out) < 0) {
		close(in[0]);
		close(in[1]);
		return -1;
	}
	fcntl(in[1], F_SETFD, FD_CLOEXEC);
	fcntl(out[0], F_SETFD, FD_CLOEXEC);
	s->pid = fork();
	if (s->pid == 0) {
		dup2(in[0], STDIN_FILENO);
		dup2(out[1], STDOUT_FILENO);
		if (in[0] > STDOUT_FILENO)
			close(in[0]);
		if (out[1] > STDOUT_FILENO)
			close(out[1]);
		if (config_dir)
			setenv("MAIL_CONFIG", config_dir, 1);
		execl(prog, "postdrop", "-r", (char *)NULL);
		_exit(127);
	}
	close(in[0]);
	close(out[1]);
	if (s->pid < 0) {
		int e = errno;

		close(in[1]);
		close(out[0]);
		errno = e;
		return -1;
	}
	s->fd = in[1];
	cfg_buf_init(&s->out);
	read_qid(s, out[0]);
	return 0;
}

void submit_record(struct submit_stream *s, char type, const char *value)
{
	cfg_buf_addc(&s->out, type);
	if (value)
		qf_escape(&s->out, value);
	cfg_buf_addc(&s->out, '\n');
	if (s->out.len >= FLUSH_AT)
		flush(s);
}

void submit_content(struct submit_stream *s, const void *data, size_t len)
{
	if (len == 0)
		return;
	cfg_buf_printf(&s->out, "D%zu\n", len);
	cfg_buf_add(&s->out, data, len);
	if (s->out.len >= FLUSH_AT)
		flush(s);
}

/* reap - close the pipe and wait; exit status, 128 + signal, or -1 */
static int reap(struct submit_stream *s)
{
	int status;
	pid_t r;

	flush(s);
	close(s->fd);
	s->fd = -1;
	while ((r = waitpid(s->pid, &status, 0)) < 0 && errno == EINTR)
		;
	cfg_buf_fini(&s->out);
	if (r < 0)
		return -1;
	if (WIFSIGNALED(status))
		return 128 + WTERMSIG(status);
	return WEXITSTATUS(status);
}

int submit_finish(struct submit_stream *s)
{
	cfg_buf_adds(&s->out, "E\n");
	return reap(s);
}

void submit_cancel(struct submit_stream *s)
{
	cfg_buf_reset(&s->out);
	(void)reap(s);
}
