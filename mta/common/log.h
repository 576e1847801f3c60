/*
 * log.h - maillog lines in Postfix's format
 *
 * Every postkit daemon and mail command logs through here.  A line is
 *   "Mmm dd hh:mm:ss HOST SYSLOG_NAME/PROG[PID]: [severity: ]text"
 * exactly as Postfix 3.7 writes it, so log tools that read Postfix logs
 * read ours.  HOST is the first label of myhostname.  Lines go to
 * maillog_file (one write() per line, O_APPEND, so concurrent daemons never
 * interleave) or, when maillog_file is empty, to syslog(3).  Copies go to
 * stderr when mta_log_stderr() asked for it (commands on a terminal,
 * start-fg, tests).
 *
 * Process-wide state is fine here: this is program code, not libcfg.
 */
#ifndef MTA_LOG_H
#define MTA_LOG_H

#include <stdarg.h>
#include <stddef.h>

struct cfg_buf;

/* mta_log_init - early logging: stderr only, tag "postfix/PROG" */
void mta_log_init(const char *prog);
/*
 * mta_log_config - switch to the configured destination.  syslog_name is
 * the prefix ("postfix"), maillog_file empty means syslog with facility
 * (e.g. "mail").  Returns 0, or -1 when maillog_file cannot be opened
 * (logging then stays on stderr/syslog).
 */
int mta_log_config(const char *syslog_name, const char *maillog_file, const char *hostname,
                   const char *facility);
/*
 * mta_log_utf8 - whether log lines keep UTF-8 (smtputf8_enable, as Postfix's
 * util_utf8_enable); on until a configuration says otherwise
 */
void mta_log_utf8(int on);
/*
 * mta_printable - append text as Postfix's logs show it: printable ASCII
 * stays, a UTF-8 sequence stays while mta_log_utf8 is on, every other byte
 * (controls, newlines, tabs, stray 8-bit bytes) becomes '?'.  Every log
 * line goes through it; callers that log raw header text use it too, so a
 * NUL byte in that text becomes '?' instead of ending the line early.
 */
void mta_printable(struct cfg_buf *out, const char *text, size_t len);
/* mta_log_stderr - also copy every line to stderr ("PROG: text" by default) */
void mta_log_stderr(int on);
/* mta_log_stderr_tag - the prefix of stderr copies (NULL: the program name) */
void mta_log_stderr_tag(const char *t);
/* mta_log_prog - change the program part of the tag ("postfix-script") */
void mta_log_prog(const char *prog);
/* mta_log_prog_name - the current program part of the tag (borrowed) */
const char *mta_log_prog_name(void);
/* mta_log_tag - the current "syslog_name/prog" tag (borrowed) */
const char *mta_log_tag(void);

/*
 * mta_log_jail - the process is about to chroot: keep writing to the open
 * maillog_file (or the connected syslog socket) and no longer follow a
 * rotation by name; the process's successors open the new file
 */
void mta_log_jail(void);
/* mta_log_child - a forked child that goes on logging: its lines carry its own pid */
void mta_log_child(void);
/* mta_log_forget - a forked child: forget the descriptors without closing them */
void mta_log_forget(void);

/* mta_info - an informational line */
void mta_info(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* mta_warn - "warning: ..." */
void mta_warn(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* mta_error - "error: ..." */
void mta_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* mta_fatal - "fatal: ...", then exit(1) */
_Noreturn void mta_fatal(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* mta_panic - "panic: ...", then abort() */
_Noreturn void mta_panic(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* mta_vlog - level 0 info, 1 warning, 2 error, 3 fatal (no exit), 4 panic (no abort) */
void mta_vlog(int level, const char *fmt, va_list ap) __attribute__((format(printf, 2, 0)));

#endif
