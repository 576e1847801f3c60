/*
 * map_inline.c - inline:{ key=value, { key = value with spaces }, ... }
 *
 * The table is the name itself, as in Postfix 3.0 and later: words separated
 * by commas or whitespace, each "name=value" or "{ name = value }"; the last
 * definition of a key wins.  Errors are fatal, worded as Postfix words them:
 *   bad syntax: "inline:NAME"; need "inline:{name=value...}"
 *   missing '=' after attribute name: "inline:NAME"; need "inline:{name=value...}"
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "cfg/base/strvec.h"
#include "map_int.h"

#define INLINE_NEED "need \"inline:{name=value...}\""

/* is_space - whitespace as in the C locale */
static int is_space(int c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' || c == '\f';
}

/* inline_open - parse the words of the name */
static int inline_open(struct cfg_map *m, struct cfg_diags *diags)
{
	struct cfg_buf inner, word;
	struct cfg_strvec words;
	int ret = -1;

	cfg_buf_init(&inner);
	cfg_buf_init(&word);
	cfg_strvec_init(&words);
	cfgp_memtab_new(m);
	if (m->name[0] != '{' || cfgp_extpar(m->name, &inner) < 0 || inner.len == 0
	    || cfgp_brace_words(inner.data, &words) < 0) {
		cfg_diags_add(diags, CFG_SEV_FATAL, "map-inline", NULL, 0, 0,
		              "bad syntax: \"inline:%s\"; " INLINE_NEED, m->name);
		goto out;
	}
	for (size_t i = 0; i < words.n; i++) {
		char *w = words.v[i], *eq, *name, *value;
		size_t n;

		if (w[0] == '{') {
			if (cfgp_extpar(w, &word) < 0) {
				cfg_diags_add(diags, CFG_SEV_FATAL, "map-inline", NULL, 0, 0,
				              "%s: \"inline:%s\"; " INLINE_NEED, word.data,
				              m->name);
				goto out;
			}
			free(words.v[i]);
			w = words.v[i] = cfg_buf_take(&word);
			cfg_buf_init(&word);
		}
		if ((eq = strchr(w, '=')) == NULL) {
			cfg_diags_add(
			    diags, CFG_SEV_FATAL, "map-inline", NULL, 0, 0,
			    "missing '=' after attribute name: \"inline:%s\"; " INLINE_NEED,
			    m->name);
			goto out;
		}
		*eq = 0;
		name = w;
		n = strlen(name);
		while (n > 0 && is_space((unsigned char)name[n - 1]))
			name[--n] = 0;
		value = eq + 1;
		while (is_space((unsigned char)*value))
			value++;
		cfgp_memtab_put(m, name, value);
	}
	ret = 0;
out:
	cfg_buf_fini(&inner);
	cfg_buf_fini(&word);
	cfg_strvec_fini(&words);
	return ret;
}

const struct cfgp_map_ops cfgp_map_inline_ops = {
    .type = "inline",
    .open = inline_open,
    .lookup = cfgp_memtab_lookup,
    .seq = cfgp_memtab_seq,
    .close = cfgp_memtab_close,
};
