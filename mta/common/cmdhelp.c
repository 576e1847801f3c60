/* cmdhelp.c - "--help" for the mail commands (see cmdhelp.h) */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cmdhelp.h"

void cmd_help(int argc, char **argv, const char *usage, const struct cmd_opt *opts)
{
	int width = 0, asked = 0;

	for (int i = 1; i < argc && !asked && strcmp(argv[i], "--") != 0; i++)
		asked = strcmp(argv[i], "--help") == 0;
	if (!asked)
		return;
	for (const struct cmd_opt *o = opts; o->flag; o++)
		if ((int)strlen(o->flag) > width)
			width = (int)strlen(o->flag);
	printf("usage: %s\n\n", usage);
	for (const struct cmd_opt *o = opts; o->flag; o++)
		printf("  %-*s  %s\n", width, o->flag, o->text);
	printf("  %-*s  %s\n", width, "--help", "show this help and exit");
	exit(fflush(stdout) == 0 ? 0 : 1);
}
