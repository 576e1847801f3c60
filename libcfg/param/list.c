/* list.c - split Postfix list values, keeping {...} groups whole */
#include "config.h"

#include <ctype.h>
#include <string.h>

#include "cfg/param/list.h"

/*
 * next_token - find the next element of s: skip separators, then take text
 * up to the next separator outside braces.  A '}' without an open '{' is
 * ordinary text, and an unclosed '{' takes the rest of the string.  Returns
 * the start (and *len), or NULL at the end.
 */
static const char *next_token(const char **sp, const char *seps, size_t *len)
{
	const char *s = *sp + strspn(*sp, seps), *p;
	int depth = 0;

	if (*s == 0) {
		*sp = s;
		return NULL;
	}
	for (p = s; *p; p++) {
		if (*p == '{')
			depth++;
		else if (depth > 0 && *p == '}')
			depth--;
		else if (depth == 0 && strchr(seps, *p) != NULL)
			break;
	}
	*len = (size_t)(p - s);
	*sp = *p ? p + 1 : p;
	return s;
}

/* balanced - length of the {...} group at the start of s[0..n), braces included, or 0 */
static size_t balanced(const char *s, size_t n)
{
	int depth = 0;

	for (size_t i = 0; i < n; i++) {
		if (s[i] == '{') {
			depth++;
		} else if (s[i] == '}' && --depth == 0) {
			return i + 1;
		}
	}
	return 0;
}

void cfg_list_tokens(const char *value, const char *seps, struct cfg_strvec *out)
{
	const char *tok;
	size_t len;

	while ((tok = next_token(&value, seps, &len)) != NULL)
		cfg_strvec_addn(out, tok, len);
}

int cfg_list_split_sep(const char *value, const char *seps, struct cfg_strvec *out,
                       const char *name, struct cfg_diags *diags)
{
	const char *tok;
	size_t len;
	int ret = 0;

	while ((tok = next_token(&value, seps, &len)) != NULL) {
		const char *in;
		size_t glen, inlen;

		if (*tok != '{') {
			cfg_strvec_addn(out, tok, len);
			continue;
		}
		glen = balanced(tok, len);
		if ((glen == 0 || glen != len) && ret == 0) {
			/* Postfix stops at the first bad group: report only that one */
			cfg_diags_add(diags, CFG_SEV_FATAL, "list-brace", NULL, 0, 0,
			              "%s%s%s '}' in \"%.*s\"", name ? name : "", name ? ": " : "",
			              glen == 0 ? "missing" : "syntax error after", (int)len, tok);
		}
		if (glen == 0 || glen != len)
			ret = -1;
		/* what Postfix keeps: the text inside, as if the group were closed */
		in = tok + 1;
		inlen = glen == 0 ? len - 1 : glen - 2;
		while (inlen > 0 && isspace((unsigned char)in[inlen - 1]))
			inlen--;
		while (inlen > 0 && isspace((unsigned char)*in)) {
			in++;
			inlen--;
		}
		cfg_strvec_addn(out, in, inlen);
	}
	return ret;
}

int cfg_list_split(const char *value, struct cfg_strvec *out, const char *name,
                   struct cfg_diags *diags)
{
	return cfg_list_split_sep(value, CFG_LIST_SEPARATORS, out, name, diags);
}
