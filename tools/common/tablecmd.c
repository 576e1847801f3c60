/* tablecmd.c - the engine of postmap/postalias -q, -d and -s (see tablecmd.h) */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "cfg/map/map.h"
#include "cfg/base/xalloc.h"
#include "tablecmd.h"

/* report - hand pending diagnostics to the caller */
static void report(const struct tool_tablecmd *c, struct cfg_diags *diags)
{
	if (c->report && diags && diags->n)
		c->report(c->ctx, diags);
}

/* has_fatal - does diags hold a fatal diagnostic? */
static int has_fatal(const struct cfg_diags *diags)
{
	for (size_t i = 0; diags && i < diags->n; i++)
		if (diags->v[i].sev >= CFG_SEV_ERROR)
			return 1;
	return 0;
}

/* open_spec - open "[type:]name" (default type for a plain name) */
static int open_spec(const struct tool_tablecmd *c, const char *spec, enum cfg_map_mode mode,
                     struct cfg_map **m, struct cfg_diags *diags)
{
	const char *colon = strchr(spec, ':');

	if (colon == NULL)
		return cfg_map_open_type(c->default_type, spec, mode, c->flags, m, diags);
	if (!cfg_map_proxy_approved(spec, mode, c->proxy_read_maps, c->proxy_write_maps, 0,
	                            diags)) {
		*m = NULL;
		return -1;
	}
	return cfg_map_open(spec, mode, c->flags, m, diags);
}

/* op_error - Postfix's fatal "table T:N: OP error[: REASON]" */
static int op_error(struct cfg_map *m, const char *op, struct cfg_diags *diags)
{
	const char *why = cfg_map_error(m);

	if (has_fatal(diags))
		return -1;
	if (*why)
		cfg_diags_add(diags, CFG_SEV_FATAL, "map-error", NULL, 0, 0,
		              "table %s: %s error: %s", cfg_map_label(m), op, why);
	else
		cfg_diags_add(diags, CFG_SEV_FATAL, "map-error", NULL, 0, 0, "table %s: %s error",
		              cfg_map_label(m), op);
	return -1;
}

/* empty_result - Postfix's two warnings about an empty lookup result */
static void empty_result(const char *label, const char *key, struct cfg_diags *diags)
{
	cfg_diags_add(diags, CFG_SEV_WARNING, "map-empty-result", NULL, 0, 0,
	              "table %s: key %s: empty string result is not allowed", label, key);
	cfg_diags_add(diags, CFG_SEV_WARNING, "map-empty-result", NULL, 0, 0,
	              "table %s should return NO RESULT in case of NOT FOUND", label);
}

int tool_tablecmd_query(const struct tool_tablecmd *c, char *const *specs, size_t n,
                        const char *key, struct cfg_diags *diags)
{
	for (size_t i = 0; i < n; i++) {
		struct cfg_map *m;
		const char *value;
		int r;

		if (open_spec(c, specs[i], CFG_MAP_READ, &m, diags) < 0)
			return -1;
		report(c, diags);
		r = cfg_map_lookup(m, key, &value, diags);
		if (r == 1) {
			if (*value == 0) {
				struct cfg_buf label;

				cfg_buf_init(&label);
				cfg_buf_printf(&label, "%s:%s", cfg_map_type(m), cfg_map_name(m));
				empty_result(label.data, key, diags);
				cfg_buf_fini(&label);
			}
			report(c, diags);
			c->found(c->ctx, key, value);
		} else if (r < 0) {
			op_error(m, "query", diags);
		}
		cfg_map_free(m);
		if (r != 0)
			return r;
		report(c, diags);
	}
	return 0;
}

/* lookup_all - one key against the lazily opened tables; 1, 0 or -1 */
static int lookup_all(const struct tool_tablecmd *c, char *const *specs, struct cfg_map **maps,
                      size_t n, const char *key, struct cfg_diags *diags)
{
	for (size_t i = 0; i < n; i++) {
		const char *value;
		int r;

		if (maps[i] == NULL) {
			if (open_spec(c, specs[i], CFG_MAP_READ, &maps[i], diags) < 0)
				return -1;
			report(c, diags);
		}
		r = cfg_map_lookup(maps[i], key, &value, diags);
		if (r == 1) {
			if (*value == 0)
				empty_result(cfg_map_label(maps[i]), key, diags);
			report(c, diags);
			c->found(c->ctx, key, value);
			return 1;
		}
		if (r < 0)
			return op_error(maps[i], "query", diags);
		report(c, diags);
	}
	return 0;
}

/* free_maps - close n tables and the array */
static void free_maps(struct cfg_map **maps, size_t n)
{
	for (size_t i = 0; i < n; i++)
		cfg_map_free(maps[i]);
	free(maps);
}

/* read_line - the next line of in without its newline; 0 at EOF */
static int read_line(FILE *in, struct cfg_buf *line)
{
	int ch;

	cfg_buf_reset(line);
	while ((ch = getc(in)) != EOF) {
		if (ch == '\n')
			return 1;
		cfg_buf_addc(line, ch);
	}
	return line->len > 0;
}

int tool_tablecmd_query_stream(const struct tool_tablecmd *c, char *const *specs, size_t n,
                               FILE *in, struct cfg_diags *diags)
{
	struct cfg_map **maps = cfg_xcalloc(n ? n : 1, sizeof(*maps));
	struct cfg_buf line;
	int found = 0, r = 0;

	cfg_buf_init(&line);
	while (read_line(in, &line)) {
		if ((r = lookup_all(c, specs, maps, n, line.data, diags)) < 0)
			break;
		found |= r;
	}
	cfg_buf_fini(&line);
	free_maps(maps, n);
	return r < 0 ? -1 : found;
}

/* is_header - "name:" with a name of printable non-space ASCII (white space before ':' ok) */
static int is_header(const char *s)
{
	const char *p = s;

	while (*p && *p != ':' && (unsigned char)*p > ' ' && (unsigned char)*p < 0x7f)
		p++;
	if (p == s)
		return 0;
	while (*p == ' ' || *p == '\t')
		p++;
	return *p == ':';
}

int tool_tablecmd_query_message(const struct tool_tablecmd *c, char *const *specs, size_t n,
                                FILE *in, unsigned what, struct cfg_diags *diags)
{
	struct cfg_map **maps = cfg_xcalloc(n ? n : 1, sizeof(*maps));
	struct cfg_buf line, header;
	int found = 0, r = 0, in_header = 1, have_header = 0;

	cfg_buf_init(&line);
	cfg_buf_init(&header);
	while (r >= 0 && read_line(in, &line)) {
		if (in_header) {
			if (have_header && (line.data[0] == ' ' || line.data[0] == '\t')) {
				cfg_buf_addc(&header, '\n');
				cfg_buf_add(&header, line.data, line.len);
				continue;
			}
			if (have_header && (what & TOOL_TABLECMD_HEADERS)) {
				if ((r = lookup_all(c, specs, maps, n, header.data, diags)) < 0)
					break;
				found |= r;
			}
			have_header = 0;
			if (is_header(line.data)) {
				cfg_buf_reset(&header);
				cfg_buf_add(&header, line.data, line.len);
				have_header = 1;
				continue;
			}
			/* end of the primary headers */
			in_header = 0;
			if (!(what & TOOL_TABLECMD_BODY))
				break;
			if (line.len > 0) {
				/* the header/body separator Postfix's MIME engine supplies */
				if ((r = lookup_all(c, specs, maps, n, "", diags)) < 0)
					break;
				found |= r;
			}
		}
		if ((r = lookup_all(c, specs, maps, n, line.data, diags)) < 0)
			break;
		found |= r;
	}
	if (r >= 0 && in_header && have_header && (what & TOOL_TABLECMD_HEADERS)) {
		r = lookup_all(c, specs, maps, n, header.data, diags);
		if (r >= 0)
			found |= r;
	}
	cfg_buf_fini(&line);
	cfg_buf_fini(&header);
	free_maps(maps, n);
	return r < 0 ? -1 : found;
}

/* delete_one - delete key from m; 1, 0 or -1 */
static int delete_one(struct cfg_map *m, const char *key, struct cfg_diags *diags)
{
	int r = cfg_map_delete(m, key, diags);

	if (r < 0)
		return op_error(m, "delete", diags);
	return r;
}

int tool_tablecmd_delete(const struct tool_tablecmd *c, char *const *specs, size_t n,
                         const char *key, struct cfg_diags *diags)
{
	int found = 0;

	for (size_t i = 0; i < n; i++) {
		struct cfg_map *m;
		int r;

		if (open_spec(c, specs[i], CFG_MAP_UPDATE, &m, diags) < 0)
			return -1;
		r = delete_one(m, key, diags);
		if (r >= 0 && cfg_map_commit(m, 0644, diags) < 0)
			r = -1;
		cfg_map_free(m);
		report(c, diags);
		if (r < 0)
			return -1;
		found |= r;
	}
	return found;
}

int tool_tablecmd_delete_stream(const struct tool_tablecmd *c, char *const *specs, size_t n,
                                FILE *in, struct cfg_diags *diags)
{
	struct cfg_map **maps = cfg_xcalloc(n ? n : 1, sizeof(*maps));
	struct cfg_buf line;
	int found = 0, r = 0;

	for (size_t i = 0; i < n; i++) {
		if (open_spec(c, specs[i], CFG_MAP_UPDATE, &maps[i], diags) < 0) {
			free_maps(maps, n);
			return -1;
		}
	}
	report(c, diags);
	cfg_buf_init(&line);
	while (r >= 0 && read_line(in, &line)) {
		for (size_t i = 0; i < n && r >= 0; i++) {
			r = delete_one(maps[i], line.data, diags);
			if (r > 0)
				found = 1;
		}
		report(c, diags);
	}
	for (size_t i = 0; i < n && r >= 0; i++)
		if (cfg_map_commit(maps[i], 0644, diags) < 0)
			r = -1;
	cfg_buf_fini(&line);
	free_maps(maps, n);
	return r < 0 ? -1 : found;
}

int tool_tablecmd_seq(const struct tool_tablecmd *c, const char *spec, struct cfg_diags *diags)
{
	struct cfg_map *m;
	const char *key, *value;
	struct cfg_buf label;
	int r, first = 1, found = 0;

	if (strncmp(spec, "proxy:", 6) == 0) {
		cfg_diags_add(diags, CFG_SEV_FATAL, "map-proxy", NULL, 0, 0,
		              "can't sequence maps via the proxy service");
		return -1;
	}
	if (open_spec(c, spec, CFG_MAP_READ, &m, diags) < 0)
		return -1;
	report(c, diags);
	cfg_buf_init(&label);
	cfg_buf_printf(&label, "%s:%s", cfg_map_type(m), cfg_map_name(m));
	while ((r = cfg_map_seq(m, first, &key, &value, diags)) == 1) {
		first = 0;
		if (*key == 0) {
			cfg_diags_add(diags, CFG_SEV_WARNING, "map-empty-key", NULL, 0, 0,
			              "table %s: empty lookup key value is not allowed",
			              label.data);
		} else if (*value == 0) {
			empty_result(label.data, key, diags);
		}
		report(c, diags);
		c->found(c->ctx, key, value);
		found = 1;
	}
	if (r < 0)
		op_error(m, "sequence", diags);
	cfg_buf_fini(&label);
	cfg_map_free(m);
	return r < 0 ? -1 : found;
}
