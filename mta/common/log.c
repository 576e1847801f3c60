/* log.c - maillog lines in Postfix's format (see log.h) */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <syslog.h>
#include <time.h>
#include <unistd.h>

#include "cfg/base/buf.h"
#include "cfg/base/xalloc.h"
#include "log.h"

#define LOG_RECLEN 2000 /* longer texts are truncated, as Postfix does */

static char *prog_name;   /* "smtpd" */
static char *tag;         /* "postfix/smtpd" */
static char *host_label;  /* "mail" */
static int file_fd = -1;  /* maillog_file, or -1 */
static char *file_path;   /* its name, to follow a rotation (postfix logrotate) */
static time_t checked;    /* when we last looked whether the name still is our file */
static int use_syslog;    /* 1 when configured and no maillog_file */
static int to_stderr = 1; /* copy to stderr */
static char *err_tag;     /* prefix of stderr copies, NULL: prog_name */
static char *sys_name;    /* syslog_name */
static long my_pid;       /* cached: getpid() is a system call, the pid changes only at fork */
static int keep_utf8 = 1; /* smtputf8_enable */

static const char *const sev_name[] = {"", "warning: ", "error: ", "fatal: ", "panic: "};
static const int sev_prio[] = {LOG_INFO, LOG_WARNING, LOG_ERR, LOG_CRIT, LOG_CRIT};

static const struct {
	const char *name;
	int code;
} facilities[] = {
    {"mail", LOG_MAIL},     {"daemon", LOG_DAEMON}, {"user", LOG_USER},     {"local0", LOG_LOCAL0},
    {"local1", LOG_LOCAL1}, {"local2", LOG_LOCAL2}, {"local3", LOG_LOCAL3}, {"local4", LOG_LOCAL4},
    {"local5", LOG_LOCAL5}, {"local6", LOG_LOCAL6}, {"local7", LOG_LOCAL7},
};

/* set_str - replace an owned string */
static void set_str(char **dst, const char *src)
{
	char *old = *dst;

	*dst = cfg_xstrdup(src);
	free(old);
}

/*
 * follow_rotation - once a second at most: when maillog_file's name no
 * longer is the file we write (postfix logrotate renamed it), write to the
 * file of that name from now on, if we may open it
 */
static void follow_rotation(time_t now)
{
	struct stat named, ours;
	int fd;

	if (now == checked || file_path == NULL)
		return;
	checked = now;
	if (stat(file_path, &named) == 0 && fstat(file_fd, &ours) == 0
	    && named.st_dev == ours.st_dev && named.st_ino == ours.st_ino)
		return;
	fd =
	    open(file_path, O_WRONLY | O_APPEND | O_CLOEXEC | (geteuid() == 0 ? O_CREAT : 0), 0644);
	if (fd < 0)
		return;
	if (dup3(fd, file_fd, O_CLOEXEC) < 0) {
		/* keep the old file */
	}
	close(fd);
}

void mta_log_init(const char *prog)
{
	const char *slash = strrchr(prog, '/');

	set_str(&prog_name, slash ? slash + 1 : prog);
	my_pid = (long)getpid();
	free(tag);
	tag = cfg_xasprintf("postfix/%s", prog_name);
	if (host_label == NULL)
		set_str(&host_label, "localhost");
}

int mta_log_config(const char *syslog_name, const char *maillog_file, const char *hostname,
                   const char *facility)
{
	int fac = LOG_MAIL;

	if (prog_name == NULL)
		mta_log_init("postkit");
	set_str(&sys_name, syslog_name && *syslog_name ? syslog_name : "postfix");
	free(tag);
	tag = cfg_xasprintf("%s/%s", sys_name, prog_name);
	if (hostname && *hostname) {
		free(host_label);
		host_label = cfg_xstrndup(hostname, strcspn(hostname, "."));
	}
	if (file_fd >= 0) {
		close(file_fd);
		file_fd = -1;
	}
	use_syslog = 0;
	if (maillog_file && *maillog_file) {
		set_str(&file_path, maillog_file);
		file_fd = open(maillog_file, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0644);
		if (file_fd < 0)
			return -1;
		return 0;
	}
	for (size_t i = 0; facility && i < sizeof(facilities) / sizeof(facilities[0]); i++)
		if (strcasecmp(facility, facilities[i].name) == 0)
			fac = facilities[i].code;
	openlog(tag, LOG_PID | LOG_NDELAY, fac);
	use_syslog = 1;
	return 0;
}

void mta_log_jail(void)
{
	/*
	 * inside the jail maillog_file's name means nothing: keep the open
	 * file and stop looking for a rotation (a stat() that always fails
	 * would reopen, and fail, once a second)
	 */
	free(file_path);
	file_path = NULL;
}

void mta_log_child(void)
{
	my_pid = (long)getpid();
}

void mta_log_forget(void)
{
	if (use_syslog)
		closelog();
	use_syslog = 0;
	file_fd = -1;
	my_pid = (long)getpid();
}

void mta_log_stderr(int on)
{
	to_stderr = on;
}

void mta_log_stderr_tag(const char *t)
{
	free(err_tag);
	err_tag = t ? cfg_xstrdup(t) : NULL;
}

void mta_log_prog(const char *prog)
{
	set_str(&prog_name, prog);
	free(tag);
	tag = cfg_xasprintf("%s/%s", sys_name ? sys_name : "postfix", prog_name);
}

const char *mta_log_prog_name(void)
{
	return prog_name ? prog_name : "postkit";
}

const char *mta_log_tag(void)
{
	return tag ? tag : "postfix";
}

void mta_log_utf8(int on)
{
	keep_utf8 = on;
}

/*
 * mta_printable - as Postfix 3.7.11's printable(): a byte from 0xc2 to
 * 0xfe followed by a continuation byte starts a sequence that stays with
 * all the continuation bytes after it (no further validation: an overlong
 * form or a surrogate stays too); anything else outside printable ASCII
 * becomes '?'
 */
void mta_printable(struct cfg_buf *out, const char *text, size_t len)
{
	const unsigned char *p = (const unsigned char *)text;

	for (size_t i = 0; i < len;) {
		if (p[i] >= 0x20 && p[i] < 0x7f) {
			cfg_buf_addc(out, (char)p[i++]);
		} else if (keep_utf8 && p[i] >= 0xc2 && p[i] <= 0xfe && i + 1 < len
		           && (p[i + 1] & 0xc0) == 0x80) {
			size_t start = i;

			for (i += 2; i < len && (p[i] & 0xc0) == 0x80; i++)
				;
			cfg_buf_add(out, text + start, i - start);
		} else {
			cfg_buf_addc(out, '?');
			i++;
		}
	}
}

void mta_vlog(int level, const char *fmt, va_list ap)
{
	struct cfg_buf raw, text, line;
	int saved = errno;
	char stamp[64];
	time_t now;
	struct tm tm;

	if (level < 0 || level > 4)
		level = 4;
	cfg_buf_init(&raw);
	cfg_buf_vprintf(&raw, fmt, ap);
	cfg_buf_truncate(&raw, LOG_RECLEN);
	/* no newline forges a second log line, no control reaches a terminal */
	cfg_buf_init(&text);
	mta_printable(&text, raw.data, raw.len);
	cfg_buf_fini(&raw);
	cfg_buf_init(&line);
	if (file_fd >= 0) {
		now = time(NULL);
		localtime_r(&now, &tm);
		strftime(stamp, sizeof(stamp), "%b %d %H:%M:%S", &tm);
		cfg_buf_printf(&line, "%s %s %s[%ld]: %s%s\n", stamp, host_label, mta_log_tag(),
		               my_pid ? my_pid : (long)getpid(), sev_name[level], text.data);
		follow_rotation(now);
		if (write(file_fd, line.data, line.len) < 0) {
			/* nowhere better to say it */
		}
	} else if (use_syslog) {
		syslog(sev_prio[level], "%s%s", sev_name[level], text.data);
	}
	if (to_stderr) {
		cfg_buf_reset(&line);
		cfg_buf_printf(&line, "%s: %s%s\n",
		               err_tag     ? err_tag
		               : prog_name ? prog_name
		                           : "postkit",
		               sev_name[level], text.data);
		if (write(STDERR_FILENO, line.data, line.len) < 0) {
			/* stderr closed: nothing to do */
		}
	}
	cfg_buf_fini(&line);
	cfg_buf_fini(&text);
	errno = saved;
}

void mta_info(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	mta_vlog(0, fmt, ap);
	va_end(ap);
}

void mta_warn(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	mta_vlog(1, fmt, ap);
	va_end(ap);
}

void mta_error(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	mta_vlog(2, fmt, ap);
	va_end(ap);
}

void mta_fatal(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	mta_vlog(3, fmt, ap);
	va_end(ap);
	exit(1);
}

void mta_panic(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	mta_vlog(4, fmt, ap);
	va_end(ap);
	abort();
}
