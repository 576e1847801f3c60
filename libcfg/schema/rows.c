/* rows.c - name lookup in the sorted tables of schemas/ (see schema_int.h) */
#include "config.h"

#include <string.h>
#include <strings.h>

#include "schema_int.h"

const void *cfgp_rows_find(const void *rows, size_t n, size_t size, size_t name_off,
                           const char *name, int nocase)
{
	const char *base = rows;
	size_t lo = 0, hi = n;

	if (name == NULL)
		return NULL;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		const char *row_name =
		    *(const char *const *)(const void *)(base + mid * size + name_off);
		int c = nocase ? strcasecmp(name, row_name) : strcmp(name, row_name);

		if (c == 0)
			return base + mid * size;
		if (c < 0)
			hi = mid;
		else
			lo = mid + 1;
	}
	return NULL;
}
