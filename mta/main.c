/*
 * main.c - the one program behind every postkit daemon
 *
 * master starts daemons as this program with argv[0] set to the master.cf
 * command ("smtpd", "qmgr"...), the way OpenSMTPD's smtpctl serves several
 * names: one binary to install and to find, daemons chosen by name.
 */
#include "config.h"

#include <stdio.h>
#include <string.h>
#include <sys/prctl.h>

/* the entry points of the daemons postkit implements (schemas/daemons.def) */
#define DAEMON_YES(command, entry) int entry(int argc, char **argv);
#define DAEMON_NO(command, entry)
#define DAEMON(command, entry, flags, impl, desc) DAEMON_##impl(command, entry)
#include "../schemas/daemons.def"
#undef DAEMON
#undef DAEMON_YES

static const struct {
	const char *name;
	int (*run)(int argc, char **argv);
} daemons[] = {
#define DAEMON_YES(command, entry) {command, entry},
#define DAEMON(command, entry, flags, impl, desc) DAEMON_##impl(command, entry)
#include "../schemas/daemons.def"
#undef DAEMON
#undef DAEMON_YES
#undef DAEMON_NO
};

int postkit_daemon(int argc, char **argv);

/* postkit_daemon - run the daemon named by argv[0], or by the first argument */
int postkit_daemon(int argc, char **argv)
{
	const char *name = argc > 0 ? argv[0] : "";
	const char *slash = strrchr(name, '/');

	if (slash)
		name = slash + 1;
	for (size_t i = 0; i < sizeof(daemons) / sizeof(daemons[0]); i++) {
		if (strcmp(daemons[i].name, name) == 0) {
			/* ps and top show the daemon's name, not the program's */
			prctl(PR_SET_NAME, daemons[i].name, 0, 0, 0);
			return daemons[i].run(argc, argv);
		}
	}
	/* "postkit-daemon smtpd -n ..." */
	if (argc > 1)
		for (size_t i = 0; i < sizeof(daemons) / sizeof(daemons[0]); i++)
			if (strcmp(daemons[i].name, argv[1]) == 0)
				return daemons[i].run(argc - 1, argv + 1);
	fprintf(stderr, "usage: postkit-daemon NAME [options]; NAME is one of:");
	for (size_t i = 0; i < sizeof(daemons) / sizeof(daemons[0]); i++)
		fprintf(stderr, " %s", daemons[i].name);
	fputc('\n', stderr);
	return 1;
}

/* main - the program entry: master, or a daemon run by hand */
int main(int argc, char **argv)
{
	return postkit_daemon(argc, argv);
}
