/*
 * fuzz_config.c - libFuzzer target for the main.cf and master.cf readers
 *
 * Every input is parsed both as main.cf and as master.cf.  Neither may
 * crash, leak or read out of bounds (run it under ASan/UBSan), and both
 * documents must render back to exactly the input bytes; entry ranges must
 * be ordered and inside the text.  A violated property aborts, which
 * libFuzzer and the smoke driver (fuzz_smoke.c) report as a failure.
 */
#include "config.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "cfg/base/buf.h"
#include "cfg/base/diag.h"
#include "cfg/doc/maincf.h"
#include "cfg/doc/mastercf.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* same_bytes - render output equals the input */
static void same_bytes(const struct cfg_buf *out, const uint8_t *data, size_t size)
{
	if (out->len != size || (size > 0 && memcmp(out->data, data, size) != 0))
		abort();
}

/* check_diags - every diagnostic has a code and a printable message */
static void check_diags(const struct cfg_diags *ds)
{
	for (size_t i = 0; i < ds->n; i++) {
		if (ds->v[i].code == NULL || ds->v[i].msg == NULL)
			abort();
		for (const char *p = ds->v[i].msg; *p; p++)
			if ((unsigned char)*p < 0x20 || (unsigned char)*p > 0x7e)
				abort();
	}
}

/* fuzz_maincf - parse as main.cf and check the properties */
static void fuzz_maincf(const uint8_t *data, size_t size)
{
	struct cfg_maincf *doc = NULL;
	struct cfg_diags ds;
	struct cfg_buf out;
	size_t prev_end = 0;

	cfg_diags_init(&ds);
	cfg_buf_init(&out);
	(void)cfg_maincf_parse("fuzz/main.cf", (const char *)data, size, &doc, &ds);
	if (doc == NULL)
		abort();
	cfg_maincf_render(doc, &out);
	same_bytes(&out, data, size);
	for (size_t i = 0; i < doc->nents; i++) {
		const struct cfg_maincf_entry *e = &doc->ents[i];

		if (e->start < prev_end || e->end <= e->start || e->end > size || e->last < e->line)
			abort();
		if (e->prev > i || cfg_maincf_get(doc, e->name) == NULL)
			abort();
		prev_end = e->end;
	}
	check_diags(&ds);
	cfg_maincf_free(doc);
	cfg_buf_fini(&out);
	cfg_diags_fini(&ds);
}

/* fuzz_mastercf - parse as master.cf and check the properties */
static void fuzz_mastercf(const uint8_t *data, size_t size)
{
	struct cfg_mastercf *doc = NULL;
	struct cfg_diags ds;
	struct cfg_buf out;
	size_t prev_end = 0;

	cfg_diags_init(&ds);
	cfg_buf_init(&out);
	(void)cfg_mastercf_parse("fuzz/master.cf", (const char *)data, size, &doc, &ds);
	if (doc == NULL)
		abort();
	cfg_mastercf_render(doc, &out);
	same_bytes(&out, data, size);
	for (size_t i = 0; i < doc->nsvcs; i++) {
		const struct cfg_service *s = &doc->svcs[i];

		if (s->start < prev_end || s->end <= s->start || s->end > size)
			abort();
		if (s->argv.n < 1 || s->argv.v[s->argv.n] != NULL)
			abort();
		for (int f = 0; f < CFG_MF_COMMAND; f++)
			if (s->field[f] == NULL || s->field[f][0] == 0)
				abort();
		for (size_t o = 0; o < s->novr; o++)
			if (s->ovr[o].arg >= s->argv.n || s->ovr[o].name[0] == 0)
				abort();
		if (cfg_mastercf_find(doc, s->field[CFG_MF_SERVICE], s->field[CFG_MF_TYPE]) == NULL)
			abort();
		prev_end = s->end;
	}
	check_diags(&ds);
	cfg_mastercf_free(doc);
	cfg_buf_fini(&out);
	cfg_diags_fini(&ds);
}

/* LLVMFuzzerTestOneInput - the libFuzzer entry point */
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	fuzz_maincf(data, size);
	fuzz_mastercf(data, size);
	return 0;
}
