/* opts.c - command line options from a table (see opts.h) */
#include "config.h"

#include <stdio.h>
#include <string.h>

#include "cfg/schema/registry.h"
#include "opts.h"

/* tool_opt_init - start at argv[1] */
void tool_opt_init(struct tool_opt_state *st, int argc, char **argv, const char *prog)
{
	memset(st, 0, sizeof(*st));
	st->argc = argc;
	st->argv = argv;
	st->prog = prog;
	st->ind = 1;
}

/* find_short - the row of a short option letter, or NULL */
static const struct tool_opt *find_short(const struct tool_opt *tab, int c)
{
	for (; tab->key; tab++)
		if (tab->key == c && c < TOOL_OPT_LONG)
			return tab;
	return NULL;
}

/*
 * find_long - the row of "--name" (n bytes) in *out: an exact name, or else
 * the only one it begins; 1 found, 0 unknown, -1 ambiguous (said)
 */
static int find_long(const struct tool_opt_state *st, const struct tool_opt *tab, const char *word,
                     size_t n, const struct tool_opt **out)
{
	int count = 0;

	for (const struct tool_opt *o = tab; o->key; o++) {
		if (o->name == NULL || o->key == TOOL_OPT_NOTE || strncmp(o->name, word, n) != 0)
			continue;
		if (strlen(o->name) == n) {
			*out = o;
			return 1;
		}
		*out = o;
		count++;
	}
	if (count <= 1)
		return count;
	/* getopt_long's words */
	fflush(stdout);
	fprintf(stderr, "%s: option '--%.*s' is ambiguous; possibilities:", st->prog, (int)n, word);
	for (const struct tool_opt *o = tab; o->key; o++)
		if (o->name != NULL && o->key != TOOL_OPT_NOTE && strncmp(o->name, word, n) == 0)
			fprintf(stderr, " '--%s'", o->name);
	fputc('\n', stderr);
	return -1;
}

/* long_opt - "--name", "--name=value" or "--name value" (a unique prefix of name will do) */
static int long_opt(struct tool_opt_state *st, const struct tool_opt *tab)
{
	const char *word = st->argv[st->ind++] + 2;
	size_t n = strcspn(word, "=");
	const struct tool_opt *o = NULL;
	int found = find_long(st, tab, word, n, &o);

	if (found == 0) {
		fflush(stdout);
		fprintf(stderr, "%s: unrecognized option '--%.*s'\n", st->prog, (int)n, word);
	}
	if (found <= 0)
		return TOOL_OPT_ERROR;
	if (o->arg == NULL) {
		if (word[n] == '=') {
			fflush(stdout);
			fprintf(stderr, "%s: option '--%s' doesn't allow an argument\n", st->prog,
			        o->name);
			return TOOL_OPT_ERROR;
		}
		return o->key;
	}
	if (word[n] == '=') {
		st->arg = word + n + 1;
	} else if (st->ind < st->argc) {
		st->arg = st->argv[st->ind++];
	} else {
		fflush(stdout);
		fprintf(stderr, "%s: option '--%s' requires an argument\n", st->prog, o->name);
		return TOOL_OPT_ERROR;
	}
	return o->key;
}

/* tool_opt_next - the next option, as glibc's getopt with a leading '+' */
int tool_opt_next(struct tool_opt_state *st, const struct tool_opt *tab)
{
	const struct tool_opt *o;
	const char *w;
	int c;

	st->arg = NULL;
	if (st->pos == 0) {
		if (st->ind >= st->argc)
			return TOOL_OPT_END;
		w = st->argv[st->ind];
		if (w[0] != '-' || w[1] == '\0')
			return TOOL_OPT_END;
		if (strcmp(w, "--") == 0) {
			st->ind++;
			return TOOL_OPT_END;
		}
		if (w[1] == '-')
			return long_opt(st, tab);
		st->pos = 1;
	}
	w = st->argv[st->ind];
	c = (unsigned char)w[st->pos++];
	if (w[st->pos] == '\0') {
		st->ind++;
		st->pos = 0;
	}
	if ((o = find_short(tab, c)) == NULL) {
		fflush(stdout);
		fprintf(stderr, "%s: invalid option -- '%c'\n", st->prog, c);
		return TOOL_OPT_ERROR;
	}
	if (o->arg == NULL)
		return c;
	if (st->pos != 0) {
		/* the rest of the cluster is the argument */
		st->arg = w + st->pos;
		st->ind++;
		st->pos = 0;
	} else if (st->ind < st->argc) {
		st->arg = st->argv[st->ind++];
	} else {
		fflush(stdout);
		fprintf(stderr, "%s: option requires an argument -- '%c'\n", st->prog, c);
		return TOOL_OPT_ERROR;
	}
	return c;
}

/* left_column - "-c config_dir", "--strict", "--output FILE" into buf */
static void left_column(const struct tool_opt *o, char *buf, size_t len)
{
	if (o->key == TOOL_OPT_NOTE)
		snprintf(buf, len, "%s", o->name);
	else if (o->key < TOOL_OPT_LONG)
		snprintf(buf, len, "-%c%s%s", o->key, o->arg ? " " : "", o->arg ? o->arg : "");
	else
		snprintf(buf, len, "    --%s%s%s", o->name, o->arg ? " " : "",
		         o->arg ? o->arg : "");
}

/* tool_opt_help - the usage line and one aligned line per listed option */
void tool_opt_help(FILE *out, const char *prog, const char *synopsis, const struct tool_opt *tab)
{
	char left[64];
	int width = 0;

	fprintf(out, "usage: %s %s\n\n", prog, synopsis);
	for (const struct tool_opt *o = tab; o->key; o++) {
		if (o->help == NULL)
			continue;
		left_column(o, left, sizeof(left));
		if ((int)strlen(left) > width)
			width = (int)strlen(left);
	}
	for (const struct tool_opt *o = tab; o->key; o++) {
		if (o->help == NULL)
			continue;
		left_column(o, left, sizeof(left));
		fprintf(out, "  %-*s  %s\n", width, left, o->help);
		if (o->key < TOOL_OPT_LONG && o->name != NULL) {
			snprintf(left, sizeof(left), "    --%s", o->name);
			fprintf(out, "  %-*s  (the same)\n", width, left);
		}
	}
}

/* tool_opt_version - postkit's version and the Postfix version it follows */
void tool_opt_version(FILE *out, const char *prog)
{
	const struct cfg_param_def *v = cfg_registry_find("mail_version");

	fprintf(out, "%s (postkit) %s, compatible with Postfix %s\n", prog, PACKAGE_VERSION,
	        v && v->defval ? v->defval : "3.7");
}

/* tool_opt_standard - --help and --version */
int tool_opt_standard(int key, const char *prog, const char *synopsis, const struct tool_opt *tab)
{
	if (key == TOOL_OPT_HELP)
		tool_opt_help(stdout, prog, synopsis, tab);
	else if (key == TOOL_OPT_VERSION)
		tool_opt_version(stdout, prog);
	else
		return -1;
	return fflush(stdout) == 0 ? 0 : 1;
}
