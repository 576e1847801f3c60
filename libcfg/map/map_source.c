/* map_source.c - source-text helpers shared by the table backends and builders (see map_int.h) */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cfg/base/xalloc.h"
#include "map_int.h"

/* is_space - Postfix's ISSPACE in the C locale */
static int is_space(int c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' || c == '\f';
}

int cfgp_mapsrc_next(struct cfg_lines *lr, struct cfg_lline *ll, const char *name,
                     struct cfg_diags *diags)
{
	int more = cfg_lines_next(lr, ll);

	if (ll->orphan_line > 0)
		cfg_diags_add(diags, CFG_SEV_WARNING, "map-orphan", name, ll->orphan_line, 0,
		              "%s: logical line must not start with whitespace: \"%.30s%s\"", name,
		              ll->orphan.data, ll->orphan.len > 30 ? "..." : "");
	return more;
}

char *cfgp_trim_right(char *s)
{
	size_t n = strlen(s);

	while (n > 0 && is_space((unsigned char)s[n - 1]))
		s[--n] = 0;
	return s;
}

int cfgp_mapsrc_split(char *line, char **key, char **value, int *aliasfmt, struct cfg_buf *why)
{
	int in_quotes = 0;
	char *p;

	*aliasfmt = 0;
	cfg_buf_reset(why);
	for (p = line; *p; p++) {
		if (*p == '\\') {
			if (*++p == 0)
				break;
		} else if (is_space((unsigned char)*p)) {
			if (!in_quotes)
				break;
		} else if (*p == '"') {
			in_quotes = !in_quotes;
		}
	}
	if (in_quotes) {
		cfg_buf_printf(why, "unbalanced '\"' in '%s' -- ignoring this line", line);
		return 0;
	}
	if (*p)
		*p++ = 0;
	while (is_space((unsigned char)*p))
		p++;
	cfgp_trim_right(p);
	*key = line;
	*value = p;
	if (*line == 0 || *p == 0) {
		cfg_buf_adds(why, "expected format: key whitespace value");
		return 0;
	}
	*aliasfmt = line[strlen(line) - 1] == ':';
	return 1;
}

/* read_error - "read PATH: ERR", or Postfix's "TYPE map PATH: read error: ERR" */
static void read_error(const char *path, const char *type, int err, struct cfg_diags *diags)
{
	if (type)
		cfg_diags_add(diags, CFG_SEV_FATAL, "map-read", path, 0, 0,
		              "%s map %s: read error: %s", type, path, strerror(err));
	else
		cfg_diags_add(diags, CFG_SEV_FATAL, "map-read", path, 0, 0, "read %s: %s", path,
		              strerror(err));
}

int cfgp_read_source(const char *path, const char *type, struct cfg_buf *out,
                     struct cfg_diags *diags)
{
	/* O_NONBLOCK: opening a FIFO nobody writes to would wait forever */
	int fd = open(path, O_RDONLY | O_NONBLOCK | O_NOCTTY | O_CLOEXEC);
	struct stat st;
	char chunk[65536];
	ssize_t n;

	if (fd < 0) {
		cfg_diags_add(diags, CFG_SEV_FATAL, "map-open", path, 0, 0, "open %s: %s", path,
		              strerror(errno));
		return -1;
	}
	if (fstat(fd, &st) < 0) {
		read_error(path, type, errno, diags);
		close(fd);
		return -1;
	}
	if (S_ISDIR(st.st_mode)) {
		/* reading a directory fails with EISDIR: what Postfix reports */
		read_error(path, type, EISDIR, diags);
		close(fd);
		return -1;
	}
	if (!S_ISREG(st.st_mode)) {
		cfg_diags_add(diags, CFG_SEV_FATAL, "map-not-regular", path, 0, 0,
		              "open %s: not a regular file", path);
		close(fd);
		return -1;
	}
	(void)fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) & ~O_NONBLOCK);
	while ((n = read(fd, chunk, sizeof(chunk))) != 0) {
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			read_error(path, type, errno, diags);
			close(fd);
			return -1;
		}
		cfg_buf_add(out, chunk, (size_t)n);
	}
	close(fd);
	return 0;
}

int cfgp_extpar(const char *s, struct cfg_buf *out)
{
	int level = 0;
	const char *p, *end = NULL, *b, *e;

	cfg_buf_reset(out);
	for (p = s; *p; p++) {
		if (*p == '{') {
			level++;
		} else if (*p == '}' && --level == 0) {
			end = p;
			break;
		}
	}
	if (end == NULL) {
		cfg_buf_printf(out, "missing '}' in \"%s\"", s);
		return -1;
	}
	if (end[1] != 0) {
		cfg_buf_printf(out, "syntax error after '}' in \"%s\"", s);
		return -1;
	}
	b = s + 1;
	e = end;
	while (b < e && is_space((unsigned char)*b))
		b++;
	while (e > b && is_space((unsigned char)e[-1]))
		e--;
	cfg_buf_add(out, b, (size_t)(e - b));
	return 0;
}

int cfgp_brace_words(const char *s, struct cfg_strvec *out)
{
	const char *p = s;

	for (;;) {
		const char *start;
		int level = 0;

		while (*p && (*p == ',' || is_space((unsigned char)*p)))
			p++;
		if (*p == 0)
			return 0;
		start = p;
		for (; *p; p++) {
			if (*p == '{') {
				level++;
			} else if (*p == '}') {
				if (level == 0)
					return -1;
				level--;
			} else if (level == 0 && (*p == ',' || is_space((unsigned char)*p))) {
				break;
			}
		}
		if (level != 0)
			return -1;
		cfg_strvec_addn(out, start, (size_t)(p - start));
	}
}

int cfgp_inline_rules(const char *type, const char *name, struct cfg_buf *out,
                      struct cfg_diags *diags)
{
	struct cfg_buf inner, word;
	struct cfg_strvec words;
	int ret = 1;

	if (name[0] != '{')
		return 0;
	cfg_buf_init(&inner);
	cfg_buf_init(&word);
	cfg_strvec_init(&words);
	if (cfgp_extpar(name, &inner) < 0) {
		cfg_diags_add(diags, CFG_SEV_FATAL, "map-inline", NULL, 0, 0, "%s map: %s", type,
		              inner.data);
		ret = -1;
		goto out;
	}
	if (cfgp_brace_words(inner.data, &words) < 0) {
		cfg_diags_add(diags, CFG_SEV_FATAL, "map-inline", NULL, 0, 0,
		              "%s map: missing '}' in \"%s\"", type, name);
		ret = -1;
		goto out;
	}
	for (size_t i = 0; i < words.n; i++) {
		if (words.v[i][0] != '{') {
			cfg_diags_add(diags, CFG_SEV_FATAL, "map-inline", NULL, 0, 0,
			              "%s map: no '{' at start of text in \"%s\"", type,
			              words.v[i]);
			ret = -1;
			goto out;
		}
		if (cfgp_extpar(words.v[i], &word) < 0) {
			cfg_diags_add(diags, CFG_SEV_FATAL, "map-inline", NULL, 0, 0, "%s map: %s",
			              type, word.data);
			ret = -1;
			goto out;
		}
		cfg_buf_add(out, word.data, word.len);
		cfg_buf_addc(out, '\n');
	}
out:
	cfg_buf_fini(&inner);
	cfg_buf_fini(&word);
	cfg_strvec_fini(&words);
	return ret;
}

/* cfgp_ifs_push - open an IF block */
void cfgp_ifs_push(struct cfgp_ifs *s, size_t rule, unsigned line)
{
	if (s->depth == s->cap) {
		s->cap = s->cap ? s->cap * 2 : 8;
		s->rule = cfg_xreallocarray(s->rule, s->cap, sizeof(*s->rule));
		s->line = cfg_xreallocarray(s->line, s->cap, sizeof(*s->line));
	}
	s->rule[s->depth] = rule;
	s->line[s->depth++] = line;
}

/* cfgp_ifs_pop - close the innermost IF block */
size_t cfgp_ifs_pop(struct cfgp_ifs *s, unsigned *line)
{
	if (s->depth == 0)
		return CFGP_NO_ENDIF;
	s->depth--;
	if (line != NULL)
		*line = s->line[s->depth];
	return s->rule[s->depth];
}

/* cfgp_ifs_fini - free the stack */
void cfgp_ifs_fini(struct cfgp_ifs *s)
{
	free(s->rule);
	free(s->line);
}

/* cfgp_if_next - skip a block whose IF failed */
size_t cfgp_if_next(size_t block_end, size_t n)
{
	return block_end == CFGP_NO_ENDIF ? n - 1 : block_end;
}
