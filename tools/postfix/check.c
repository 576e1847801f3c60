/*
 * check.c - `postfix check`: validate the configuration before a reload
 *
 *   postfix [-c DIR] check [--json] [--unprivileged] [--unsupported]
 *
 * Prints every finding of cfg_check_dir() as "FILE:LINE[:COL]: severity:
 * message" on stderr (sorted, each once), or with --json the same findings
 * as a JSON array on stdout.  Exit status 0 when there is no error
 * (warnings and notes allowed), 1 when there is one.  --unprivileged skips
 * the root-only ownership checks without the note that says so (what a run
 * without root privileges does anyway).  --unsupported prints, instead of
 * checking, everything postkit does not implement (generated from the
 * tables of schemas/) on stdout, as text or with --json as JSON.
 */
#include "config.h"

#include <stdio.h>
#include <string.h>

#include "cfg/base/buf.h"
#include "cfg/check/check.h"
#include "cfg/base/diag.h"
#include "cfg/check/support.h"
#include "check.h"

/* Options of the check subcommand. */
static const struct option {
	const char *name;
	unsigned flag; /* CFG_CHECK_* or 0 */
} options[] = {
    {"--json", 0},
    {"--unprivileged", CFG_CHECK_UNPRIVILEGED},
    {"--unsupported", 0},
};

/* pfx_check - the check subcommand; returns the exit status */
int pfx_check(const char *config_dir, unsigned flags, int argc, char **argv)
{
	struct cfg_check_opts opts = {flags};
	struct cfg_diags diags;
	struct cfg_buf out;
	int json = 0, unsupported = 0, i = 0;
	size_t errors;

	if (argc > 0 && strcmp(argv[0], "check") == 0)
		i = 1;
	for (; i < argc; i++) {
		size_t k;

		for (k = 0; k < sizeof(options) / sizeof(options[0]); k++)
			if (strcmp(argv[i], options[k].name) == 0)
				break;
		if (k == sizeof(options) / sizeof(options[0])) {
			fprintf(
			    stderr,
			    "postfix: fatal: check: unknown argument: '%s'. Usage: postfix check "
			    "[--json] [--unprivileged] [--unsupported]\n",
			    argv[i]);
			return 1;
		}
		if (strcmp(options[k].name, "--json") == 0)
			json = 1;
		if (strcmp(options[k].name, "--unsupported") == 0)
			unsupported = 1;
		opts.flags |= options[k].flag;
	}
	cfg_buf_init(&out);
	if (unsupported) {
		if (json)
			cfg_unsupported_render_json(&out);
		else
			cfg_unsupported_render_text(&out);
		fwrite(out.data, 1, out.len, stdout);
		cfg_buf_fini(&out);
		return fflush(stdout) == 0 && !ferror(stdout) ? 0 : 1;
	}
	cfg_diags_init(&diags);
	errors = cfg_check_dir(config_dir, &opts, &diags);
	if (json) {
		cfg_check_render_json(&diags, &out);
		fwrite(out.data, 1, out.len, stdout);
		fflush(stdout);
	} else {
		cfg_check_render_text(&diags, &out);
		fwrite(out.data, 1, out.len, stderr);
	}
	cfg_buf_fini(&out);
	cfg_diags_fini(&diags);
	if (ferror(stdout))
		return 1;
	return errors > 0 ? 1 : 0;
}
