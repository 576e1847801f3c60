/*
 * fuzz_local.c - libFuzzer target for local's list parser (mta/local/local_token.c)
 *
 * Every input is parsed as an alias value and as a .forward/:include: file
 * (with Postfix's line_length_limit and with a tiny one, so long lines are
 * cut into pieces).  Nothing may crash, leak or read out of bounds (run it
 * under ASan/UBSan), the same text must give the same list twice, and each
 * destination must be what its kind says: a file starts with '/', a home
 * file with '~', an address starts with none of '/', '~', '|' and is not a
 * :include:, and no destination is longer than the input that made it.  A
 * violated property aborts, which libFuzzer and the smoke driver
 * (fuzz_smoke.c) report as a failure.
 */
#include "config.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "local_token.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* check_dests - the properties of one parsed list */
static void check_dests(const struct local_dests *d, size_t size)
{
	if (d->n > size)
		abort();
	for (size_t i = 0; i < d->n; i++) {
		const char *t = d->v[i].text;
		size_t n;

		if (t == NULL)
			abort();
		n = strlen(t);
		/* a domain literal gets its brackets back: at most two more bytes */
		if (n > size + 2)
			abort();
		switch (d->v[i].kind) {
		case LOCAL_FILE:
			if (t[0] != '/')
				abort();
			break;
		case LOCAL_HOME:
			if (t[0] != '~')
				abort();
			break;
		case LOCAL_ADDR:
			if (t[0] == '/' || t[0] == '~' || t[0] == '|'
			    || strncasecmp(t, ":include:", 9) == 0)
				abort();
			break;
		case LOCAL_COMMAND:
		case LOCAL_INCLUDE:
			break;
		default:
			abort();
		}
	}
}

/* same - two parses of one text agree */
static void same(const struct local_dests *a, const struct local_dests *b)
{
	if (a->n != b->n)
		abort();
	for (size_t i = 0; i < a->n; i++)
		if (a->v[i].kind != b->v[i].kind || strcmp(a->v[i].text, b->v[i].text) != 0)
			abort();
}

/* LLVMFuzzerTestOneInput - the libFuzzer entry point */
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const size_t limits[] = {2048, 7, 0};
	const char *text = (const char *)data;
	struct local_dests a, b;

	local_dests_init(&a);
	local_dests_init(&b);
	local_parse_list(text, size, &a);
	local_parse_list(text, size, &b);
	check_dests(&a, size);
	same(&a, &b);
	local_dests_fini(&a);
	local_dests_fini(&b);
	for (size_t i = 0; i < sizeof(limits) / sizeof(limits[0]); i++) {
		local_parse_file(text, size, limits[i], &a);
		check_dests(&a, size);
		local_dests_fini(&a);
	}
	return 0;
}
