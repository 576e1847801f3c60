/* parse_common.c - internals shared by the main.cf and master.cf parsers (see parse_common.h) */
#include "config.h"

#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "cfg/base/buf.h"
#include "cfg/base/xalloc.h"
#include "parse_common.h"

/* cfgp_isspace - space, tab, newline, vertical tab, form feed, carriage return */
int cfgp_isspace(int c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\v' || c == '\f' || c == '\r';
}

/* cfgp_split_nameval - Postfix's name = value split, as ranges into s */
const char *cfgp_split_nameval(const char *s, size_t *name_off, size_t *name_len, size_t *value_off,
                               size_t *value_len)
{
	size_t np = 0, ep, cp, vp, end;

	while (s[np] && cfgp_isspace((unsigned char)s[np]))
		np++;
	if (s[np] == 0 || s[np] == '=')
		return "missing attribute name";
	for (ep = np; s[ep] && !cfgp_isspace((unsigned char)s[ep]) && s[ep] != '='; ep++)
		;
	for (cp = ep; s[cp] && cfgp_isspace((unsigned char)s[cp]); cp++)
		;
	if (s[cp] != '=')
		return "missing '=' after attribute name";
	for (vp = cp + 1; s[vp] && cfgp_isspace((unsigned char)s[vp]); vp++)
		;
	for (end = vp + strlen(s + vp); end > vp && cfgp_isspace((unsigned char)s[end - 1]); end--)
		;
	*name_off = np;
	*name_len = ep - np;
	*value_off = vp;
	*value_len = end - vp;
	return NULL;
}

/* cfgp_printable - Postfix's logger shows non-printable bytes as '?' (UTF-8 too, in postconf) */
void cfgp_printable(char *s)
{
	for (; *s; s++)
		if ((unsigned char)*s < 0x20 || (unsigned char)*s > 0x7e)
			*s = '?';
}

/* cfgp_diag - cfg_diags_add() plus printable message and param */
struct cfg_diag *cfgp_diag(struct cfg_diags *ds, enum cfg_severity sev, const char *code,
                           const char *file, unsigned line, const char *param, const char *fmt, ...)
{
	struct cfg_diag *d;
	struct cfg_buf b;
	va_list ap;

	if (ds == NULL)
		return NULL;
	cfg_buf_init(&b);
	va_start(ap, fmt);
	cfg_buf_vprintf(&b, fmt, ap);
	va_end(ap);
	cfgp_printable(b.data);
	d = cfg_diags_add(ds, sev, code, file, line, 0, "%s", b.data);
	cfg_buf_fini(&b);
	if (param)
		d->param = cfg_xstrdup(param);
	return d;
}

/* cfgp_orphan_warning - Postfix quotes at most 30 bytes of the orphan, then "..." */
void cfgp_orphan_warning(struct cfg_diags *ds, const char *code, const char *path,
                         const struct cfg_lline *ll)
{
	cfgp_diag(ds, CFG_SEV_WARNING, code, path, ll->orphan_line, NULL,
	          "%s: logical line must not start with whitespace: \"%.30s%s\"", path,
	          ll->orphan.data, ll->orphan.len > 30 ? "..." : "");
}

struct cfgp_chunk {
	struct cfgp_chunk *next;
	size_t used;
	size_t cap;
	char data[];
};

/* cfgp_arena_alloc - bump allocation from the newest chunk, a new chunk when full */
char *cfgp_arena_alloc(struct cfgp_arena *a, size_t n)
{
	struct cfgp_chunk *c = a->head;

	if (c == NULL || c->cap - c->used < n) {
		size_t cap = n > 65536 - sizeof(*c) ? n : 65536 - sizeof(*c);

		c = cfg_xmalloc(sizeof(*c) + cap);
		c->used = 0;
		c->cap = cap;
		c->next = a->head;
		a->head = c;
	}
	c->used += n;
	return c->data + c->used - n;
}

/* cfgp_arena_strndup - copy s[0..n) and a NUL */
char *cfgp_arena_strndup(struct cfgp_arena *a, const char *s, size_t n)
{
	char *p = cfgp_arena_alloc(a, n + 1);

	memcpy(p, s, n);
	p[n] = 0;
	return p;
}

/* cfgp_arena_free - release every chunk and the arena */
void cfgp_arena_free(struct cfgp_arena *a)
{
	if (a == NULL)
		return;
	while (a->head) {
		struct cfgp_chunk *c = a->head;

		a->head = c->next;
		free(c);
	}
	free(a);
}
