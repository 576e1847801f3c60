/* strvec.c - growable vector of owned strings (see cfg/strvec.h) */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "cfg/base/buf.h"
#include "cfg/base/strvec.h"
#include "cfg/base/xalloc.h"

/* an empty vector shares this terminator until its first element: init never allocates */
static char *empty[1];

void cfg_strvec_init(struct cfg_strvec *sv)
{
	sv->cap = 0;
	sv->n = 0;
	sv->v = empty;
}

void cfg_strvec_clear(struct cfg_strvec *sv)
{
	for (size_t i = 0; i < sv->n; i++)
		free(sv->v[i]);
	sv->n = 0;
	if (sv->cap > 0)
		sv->v[0] = NULL;
}

void cfg_strvec_fini(struct cfg_strvec *sv)
{
	if (sv->v == NULL)
		return;
	cfg_strvec_clear(sv);
	if (sv->cap > 0)
		free(sv->v);
	sv->v = NULL;
	sv->cap = 0;
}

void cfg_strvec_take(struct cfg_strvec *sv, char *s)
{
	if (sv->cap == 0) {
		sv->cap = 8;
		sv->v = cfg_xcalloc(sv->cap, sizeof(*sv->v));
	} else if (sv->n + 1 >= sv->cap) {
		sv->cap *= 2;
		sv->v = cfg_xreallocarray(sv->v, sv->cap, sizeof(*sv->v));
	}
	sv->v[sv->n++] = s;
	sv->v[sv->n] = NULL;
}

void cfg_strvec_add(struct cfg_strvec *sv, const char *s)
{
	cfg_strvec_take(sv, cfg_xstrdup(s));
}

void cfg_strvec_addn(struct cfg_strvec *sv, const char *s, size_t n)
{
	cfg_strvec_take(sv, cfg_xstrndup(s, n));
}

static int cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

void cfg_strvec_sort(struct cfg_strvec *sv)
{
	if (sv->n > 1)
		qsort(sv->v, sv->n, sizeof(*sv->v), cmp);
}

void cfg_strvec_split(struct cfg_strvec *sv, const char *s, const char *seps)
{
	while (*s) {
		size_t skip = strspn(s, seps);
		size_t len;

		s += skip;
		if (*s == '\0')
			break;
		len = strcspn(s, seps);
		cfg_strvec_addn(sv, s, len);
		s += len;
	}
}

char *cfg_strvec_join(const struct cfg_strvec *sv, const char *sep)
{
	struct cfg_buf b;

	cfg_buf_init(&b);
	for (size_t i = 0; i < sv->n; i++) {
		if (i)
			cfg_buf_adds(&b, sep);
		cfg_buf_adds(&b, sv->v[i]);
	}
	return cfg_buf_take(&b);
}
