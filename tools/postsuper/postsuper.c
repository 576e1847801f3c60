/*
 * postsuper - the queue superintendent: delete, hold, release, requeue and repair
 *
 * postsuper [-psSv] [-c config_dir] [-d queue_id] [-h queue_id]
 *           [-H queue_id] [-r queue_id] [queue...]
 * As Postfix's: reserved for root, works as mail_owner; a queue ID of "-"
 * reads IDs from standard input, "ALL" means every message of the named
 * queues (default: all of them; as in Postfix, -h leaves maildrop files
 * alone and -H takes only the hold queue); each message operated on by ID is
 * logged ("ID: placed on hold"), every action ends with a summary
 * ("Placed on hold: 2 messages") on stderr and in the log.  -s and -p
 * (the default) repair the queue before anything else.
 * -e and -f (forced expiration) are refused: postkit's queue manager does
 * not honour the mark.  postkit's own: --help, --version; and the owner of an
 * instance of their own (queue_directory belongs to them) may run it.
 * Every fatal error exits 1.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <utime.h>

#include "cfg/base/xalloc.h"
#include "conf.h"
#include "log.h"
#include "opts.h"
#include "postsuper.h"
#include "qfile.h"
#include "server.h"
#include "submit.h"

#define SYNOPSIS                                                                                   \
	"[-psSv] [-c config_dir] [-d queue_id] [-h queue_id] [-H queue_id] [-r queue_id] "         \
	"[queue...]"

/* the options; --help is made from this table */
static const struct tool_opt options[] = {
    {'c', NULL, "config_dir", "use the main.cf file in config_dir"},
    {'d', NULL, "queue_id", "delete the message (- reads IDs from stdin, ALL: every message)"},
    {'e', NULL, "queue_id", "expire the message (not implemented by postkit)"},
    {'f', NULL, "queue_id", "expire and release the message (not implemented by postkit)"},
    {'h', NULL, "queue_id", "put the message on hold (- and ALL as with -d)"},
    {'H', NULL, "queue_id", "release the message from hold (- and ALL as with -d)"},
    {'p', NULL, NULL, "purge temporary files left over by crashes"},
    {'r', NULL, "queue_id",
     "requeue the message through pickup and cleanup (- and ALL as with -d)"},
    {'s', NULL, NULL, "structure check and repair: file names match inodes, files in place"},
    {'S', NULL, NULL, "the same as -s"},
    {'v', NULL, NULL, "more verbose logging"},
    {TOOL_OPT_NOTE, "queue...", NULL, "the queues to work on (default: all of them)"},
    TOOL_OPT_STANDARD,
    {0, NULL, NULL, NULL},
};

/* the operations by queue ID; bit i of an operation mask is PS_OPS[i] */
static const char PS_OPS[] = "dhHr";

/* the default queues, log queues before message queues as Postfix orders them */
static const char *const default_queues[] = {"defer",    "bounce", "maildrop", "incoming", "active",
                                             "deferred", "hold",   "flush",    NULL};

static struct ps_count N;

/* usage - Postfix's usage message */
static _Noreturn void usage(void)
{
	mta_fatal("usage: postsuper [-c config_dir] [-d queue_id (delete)] [-e queue_id (expire)] "
	          "[-f queue_id (expire and/or un-hold)] [-h queue_id (hold)] [-H queue_id "
	          "(un-hold)] [-p (purge temporary files)] [-r queue_id (requeue)] [-s "
	          "(structure fix)] [-S (redundant structure fix)][-v (verbose)] [queue...]");
}

/*
 * ready - ps_ready for a queue ID given by name; what is there but is no
 * regular file (directory, symlink, fifo) gets Postfix's warning, which
 * Postfix prints twice except for -H
 */
static int ready(const char *path, int warnings)
{
	struct stat st;

	if (lstat(path, &st) == 0 && !S_ISREG(st.st_mode)) {
		while (warnings-- > 0)
			mta_warn("%s: uid %ld: not a regular file", path, (long)st.st_uid);
		return -1;
	}
	return ps_ready(path);
}

/*
 * move_one - move message id from the first of queues (skipping skip1 and
 * skip2) where it is ready into queue to; 1 when moved
 */
static int move_one(const char *const *queues, const char *id, const char *to, const char *skip1,
                    const char *skip2)
{
	for (const char *const *q = queues; *q; q++) {
		char *from, *dest;
		int fd, moved;

		if (!ps_message_queue(*q) || (skip1 && strcmp(*q, skip1) == 0)
		    || (skip2 && strcmp(*q, skip2) == 0))
			continue;
		from = cfg_xasprintf("%s/%s", *q, id);
		dest = cfg_xasprintf("%s/%s", to, id);
		fd = ready(from, strcmp(to, QF_DEFERRED) == 0 ? 1 : 2);
		moved = fd >= 0 && ps_rename(from, dest) == 0;
		if (moved && strcmp(to, QF_MAILDROP) == 0 && utime(dest, NULL) < 0)
			mta_warn("%s: reset time stamps: %m", dest);
		if (fd >= 0)
			close(fd);
		free(from);
		free(dest);
		if (moved)
			return 1;
	}
	return 0;
}

/* delete_one - -d ID */
static void delete_one(const char *const *queues, const char *id)
{
	for (const char *const *q = queues; *q; q++) {
		char *path;
		int fd, gone;

		if (!ps_message_queue(*q))
			continue;
		path = cfg_xasprintf("%s/%s", *q, id);
		fd = ready(path, 2);
		gone = fd >= 0 && ps_remove(path) == 0;
		if (fd >= 0)
			close(fd);
		free(path);
		if (gone) {
			mta_info("%s: removed", id);
			N.deleted++;
			return;
		}
	}
}

/*
 * printable - a copy of s as Postfix shows a bad queue ID: printable ASCII
 * kept, a byte from 0xc2 to 0xfe kept with the continuation bytes after it
 * (at least one), anything else (a CR of CRLF input, a tab) as '?'
 */
static char *printable(const char *s)
{
	unsigned char *out = (unsigned char *)cfg_xstrdup(s);

	for (unsigned char *p = out; *p; p++) {
		if (*p >= 0x20 && *p < 0x7f)
			continue;
		if (*p >= 0xc2 && *p <= 0xfe && (p[1] & 0xc0) == 0x80) {
			while ((p[1] & 0xc0) == 0x80)
				p++;
			continue;
		}
		*p = '?';
	}
	return (char *)out;
}

/* one - one operation on one named message */
static void one(int op, const char *const *queues, const char *id)
{
	if (!qf_pf_id_ok(id)) {
		char *shown = printable(id);

		mta_warn("invalid mail queue id: %s", shown);
		free(shown);
		return;
	}
	switch (op) {
	case 'd':
		delete_one(queues, id);
		break;
	case 'h':
		/* maildrop files are not sanitised yet: they never go on hold, as in Postfix */
		if (move_one(queues, id, QF_HOLD, QF_MAILDROP, QF_HOLD)) {
			mta_info("%s: placed on hold", id);
			N.held++;
		}
		break;
	case 'H':
		for (const char *const *q = queues; *q; q++)
			if (strcmp(*q, QF_HOLD) == 0
			    && move_one((const char *const[]){QF_HOLD, NULL}, id, QF_DEFERRED, NULL,
			                NULL)) {
				mta_info("%s: released from hold", id);
				N.released++;
				break;
			}
		break;
	case 'r':
		if (move_one(queues, id, QF_MAILDROP, QF_MAILDROP, NULL)) {
			mta_info("%s: requeued", id);
			N.requeued++;
		}
		break;
	}
}

/* by_id - an operation on the ID given, "-" (IDs on stdin, one a line) or ALL */
static void by_id(int op, const char *arg, const char *const *queues)
{
	static const struct {
		int op;
		unsigned all;
	} wild[] = {
	    {'d', PS_DELETE_ALL}, {'h', PS_HOLD_ALL}, {'H', PS_RELEASE_ALL}, {'r', PS_REQUEUE_ALL}};
	char *line = NULL;
	size_t cap = 0;
	ssize_t n;

	if (strcmp(arg, "ALL") == 0) {
		for (size_t i = 0; i < sizeof(wild) / sizeof(wild[0]); i++)
			if (wild[i].op == op)
				ps_super(queues, wild[i].all, &N);
	} else if (strcmp(arg, "-") == 0) {
		while ((n = getline(&line, &cap, stdin)) > 0) {
			if (line[n - 1] == '\n')
				line[n - 1] = '\0';
			one(op, queues, line);
		}
		free(line);
	} else {
		one(op, queues, arg);
	}
}

/*
 * first_pass - what is asked, checked before anything is done; the repairs
 * asked; *ind: where the queue names start.  Exits after --help, --version.
 */
static unsigned first_pass(int argc, char **argv, unsigned *ops, int *ind)
{
	struct tool_opt_state st;
	unsigned repair = 0;
	int c, status;

	tool_opt_init(&st, argc, argv, "postsuper");
	while ((c = tool_opt_next(&st, options)) != TOOL_OPT_END) {
		switch (c) {
		case 'c':
			if (*st.arg != '/')
				mta_fatal("-c requires absolute pathname");
			setenv("MAIL_CONFIG", st.arg, 1);
			break;
		case 'd':
		case 'h':
		case 'H':
		case 'r':
			*ops |= 1u << (strchr(PS_OPS, c) - PS_OPS);
			break;
		case 'e':
		case 'f':
			/* fail closed: qmgr would never return the message */
			mta_fatal("-%c: forced expiration is not implemented by postkit", c);
		case 'p':
			repair |= PS_PURGE;
			break;
		case 's':
		case 'S':
			repair |= PS_STRUCT;
			break;
		case 'v':
			break;
		default:
			if ((status = tool_opt_standard(c, "postsuper", SYNOPSIS, options)) >= 0)
				exit(status);
			usage();
		}
	}
	*ind = st.ind;
	return repair;
}

/* become_owner - root works as mail_owner, as Postfix's postsuper does */
static void become_owner(struct mta_conf *c, const char *queue_dir)
{
	const char *owner = mta_conf_str(c, CFG_P_mail_owner);
	struct passwd *pw;
	struct stat st;

	if (getuid() != 0) {
		/* postkit: the owner of an instance of their own */
		if (stat(queue_dir, &st) < 0 || st.st_uid != getuid())
			mta_fatal("use of this command is reserved for the superuser");
		return;
	}
	if ((pw = getpwnam(owner)) == NULL)
		mta_fatal("unknown mail_owner user name value: %s", owner);
	if (setgroups(0, NULL) < 0 || setgid(pw->pw_gid) < 0 || setuid(pw->pw_uid) < 0)
		mta_fatal("cannot drop privileges to %s: %m", owner);
}

/* report - the summary lines of the operations asked (a PS_OPS mask), in Postfix's order */
static void report(unsigned ops)
{
#define PLURAL(n) ((n) != 1 ? "s" : "")
	if (ops & 8u)
		mta_info("Requeued: %d message%s", N.requeued, PLURAL(N.requeued));
	if (ops & 1u)
		mta_info("Deleted: %d message%s", N.deleted, PLURAL(N.deleted));
	if (ops & 2u)
		mta_info("Placed on hold: %d message%s", N.held, PLURAL(N.held));
	if (ops & 4u)
		mta_info("Released from hold: %d message%s", N.released, PLURAL(N.released));
	if (N.inode_fixed > 0)
		mta_info("Renamed to match inode number: %d message%s", N.inode_fixed,
		         PLURAL(N.inode_fixed));
	if (N.inode_mismatch > 0 || N.inode_fixed > 0)
		mta_warn("QUEUE FILE NAMES WERE CHANGED TO MATCH INODE NUMBERS");
#undef PLURAL
}

/* main - check everything, repair, then the operations in the order given */
int main(int argc, char **argv)
{
	static struct mta_conf c;
	static char name[] = "postsuper";
	const char *const *queues = default_queues;
	unsigned ops = 0, repair;
	struct tool_opt_state st;
	struct cfg_buf why;
	int opt, first = argc;

	argv[0] = name;
	mta_log_init("postsuper");
	mta_log_stderr(1);
	mta_ignore_signals();
	if (submit_privileged())
		mta_fatal("this postfix command must not run as a set-uid process");
	repair = first_pass(argc, argv, &ops, &first);
	if (ops == 0 && repair == 0)
		repair = PS_REPAIR;
	cfg_buf_init(&why);
	if (mta_conf_try(&c, getenv("MAIL_CONFIG"), NULL, NULL, &why) < 0)
		mta_fatal("%s", why.data);
	cfg_buf_fini(&why);
	submit_log(&c);
	mta_log_stderr(1);
	if (chdir(mta_conf_str(&c, CFG_P_queue_directory)) < 0)
		mta_fatal("chdir %s: %m", mta_conf_str(&c, CFG_P_queue_directory));
	become_owner(&c, ".");
	if (argv[first]) {
		queues = (const char *const *)argv + first;
		for (const char *const *q = queues; *q; q++)
			if (!ps_known_queue(*q))
				mta_fatal("invalid directory name: %s", *q);
	}
	if (repair) {
		ps_super(queues, repair, &N);
		if (N.inode_mismatch > 0) /* a second pass takes the #FIX off the new names */
			ps_super(queues, repair, &N);
	}
	if (ops && (N.inode_mismatch > 0 || N.inode_fixed > 0)) {
		mta_error("QUEUE FILE NAMES WERE CHANGED TO MATCH INODE NUMBERS");
		mta_fatal("CHECK YOUR QUEUE IDS AND RE-ISSUE THE COMMAND");
	}
	tool_opt_init(&st, argc, argv, "postsuper");
	while ((opt = tool_opt_next(&st, options)) != TOOL_OPT_END)
		if (opt < TOOL_OPT_LONG && strchr(PS_OPS, opt))
			by_id(opt, st.arg, queues);
	report(ops);
	return 0;
}
