/*
 * fuzz_smoke.c - run the fuzz target without libFuzzer (part of make check)
 *
 * Feeds every file of the seed corpus, then a fixed number of deterministic
 * pseudo-random mutations of them, through LLVMFuzzerTestOneInput().  The
 * same seed gives the same inputs on every run, so a failure reproduces;
 * built with --enable-sanitizers it checks for memory errors and leaks too.
 * Usage: fuzz_smoke [CORPUS_DIR [ITERATIONS [SEED]]]; CORPUS_DIR defaults to
 * $top_srcdir/$FUZZ_CORPUS, else $top_srcdir/tests/fuzz/corpus; ITERATIONS to
 * $FUZZ_ITERATIONS, else 20000.  Exit 0 when everything passed.
 */
#include "config.h"

#include <dirent.h>
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cfg/base/buf.h"
#include "cfg/base/diag.h"
#include "cfg/base/fileio.h"
#include "cfg/base/strvec.h"
#include "cfg/base/xalloc.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* tokens a mutation may insert: the syntax both readers care about */
static const char *const tokens[] = {
    "\n", "\r\n", " ", "\t", "=", " = ", "#", "\n#", "\n ", "\n\t", "{", "}", "{ ", " }", "-o",
    " -o ", "-o{", "-vo", "--", "-", "?", "$", "${", "\0", "\xff", "\xc3\xa9", "inet", "unix",
    "unix-dgram", "pass", "fifo", " n ", " y ", " - ", "smtpd", "name=value", "x",
    /* YAML and JSON */
    ": ", "- ", "&a ", "*a", "<<: ", "!!str ", "!!int ", "[", "]", "\"", "'", "---\n", "\\u0000",
    "null", "true", "~", "\n  "};

/* rnd - xorshift64*, deterministic */
static uint64_t rnd(uint64_t *s)
{
	*s ^= *s >> 12;
	*s ^= *s << 25;
	*s ^= *s >> 27;
	return *s * 2685821657736338717ULL;
}

/* mutate - apply 1..8 random edits to b */
static void mutate(struct cfg_buf *b, uint64_t *s, const struct cfg_buf *other)
{
	int edits = 1 + (int)(rnd(s) % 8);

	for (int k = 0; k < edits; k++) {
		size_t pos = b->len ? (size_t)(rnd(s) % (b->len + 1)) : 0;
		struct cfg_buf t;

		cfg_buf_init(&t);
		switch (rnd(s) % 6) {
		case 0: /* flip a byte */
			if (pos < b->len)
				b->data[pos] = (char)rnd(s);
			break;
		case 1: { /* insert a token */
			const char *tok = tokens[rnd(s) % (sizeof(tokens) / sizeof(tokens[0]))];
			size_t n = *tok ? strlen(tok) : 1;

			cfg_buf_add(&t, b->data, pos);
			cfg_buf_add(&t, tok, n);
			cfg_buf_add(&t, b->data + pos, b->len - pos);
			break;
		}
		case 2: { /* delete a range */
			size_t n = (size_t)(rnd(s) % 16);

			if (n > b->len - pos)
				n = b->len - pos;
			cfg_buf_add(&t, b->data, pos);
			cfg_buf_add(&t, b->data + pos + n, b->len - pos - n);
			break;
		}
		case 3: { /* duplicate a range */
			size_t n = (size_t)(rnd(s) % 64);

			if (n > b->len - pos)
				n = b->len - pos;
			cfg_buf_add(&t, b->data, pos + n);
			cfg_buf_add(&t, b->data + pos, b->len - pos);
			break;
		}
		case 4: /* cut */
			cfg_buf_truncate(b, pos);
			break;
		default: { /* splice in part of another input */
			size_t from = other->len ? (size_t)(rnd(s) % other->len) : 0;
			size_t n = (size_t)(rnd(s) % 128);

			if (n > other->len - from)
				n = other->len - from;
			cfg_buf_add(&t, b->data, pos);
			cfg_buf_add(&t, other->data + from, n);
			cfg_buf_add(&t, b->data + pos, b->len - pos);
			break;
		}
		}
		if (t.len > 0 || b->len == 0) {
			cfg_buf_reset(b);
			cfg_buf_add(b, t.data, t.len);
		}
		cfg_buf_fini(&t);
	}
}

/* load_corpus - every regular file of dir, sorted by name */
static int load_corpus(const char *dir, struct cfg_buf **files, size_t *n)
{
	struct cfg_strvec names;
	struct cfg_diags ds;
	struct dirent *de;
	DIR *d = opendir(dir);

	if (d == NULL) {
		fprintf(stderr, "fuzz_smoke: open %s: %s\n", dir, strerror(errno));
		return -1;
	}
	cfg_strvec_init(&names);
	while ((de = readdir(d)) != NULL)
		if (de->d_name[0] != '.')
			cfg_strvec_add(&names, de->d_name);
	closedir(d);
	cfg_strvec_sort(&names);
	cfg_diags_init(&ds);
	*files = cfg_xcalloc(names.n + 1, sizeof(**files));
	*n = 0;
	for (size_t i = 0; i < names.n; i++) {
		char *path = cfg_xasprintf("%s/%s", dir, names.v[i]);

		cfg_buf_init(&(*files)[*n]);
		if (cfg_file_read(path, &(*files)[*n], &ds) == 0)
			(*n)++;
		else
			cfg_buf_fini(&(*files)[*n]);
		free(path);
	}
	cfg_diags_fini(&ds);
	cfg_strvec_fini(&names);
	return 0;
}

int main(int argc, char **argv)
{
	const char *top = getenv("top_srcdir"), *corpus = getenv("FUZZ_CORPUS");
	char *dir = argc > 1 ? cfg_xstrdup(argv[1])
	            : corpus ? cfg_xasprintf("%s/%s", top ? top : ".", corpus)
	                     : cfg_xasprintf("%s/tests/fuzz/corpus", top ? top : ".");
	long iters = argc > 2                    ? strtol(argv[2], NULL, 10)
	             : getenv("FUZZ_ITERATIONS") ? strtol(getenv("FUZZ_ITERATIONS"), NULL, 10)
	                                         : 20000;
	uint64_t seed = argc > 3 ? strtoull(argv[3], NULL, 10) : 0x5eedULL;
	struct cfg_buf *files = NULL;
	struct cfg_buf b;
	size_t n = 0;

	if (seed == 0)
		seed = 1;
	if (load_corpus(dir, &files, &n) < 0 || n == 0) {
		fprintf(stderr, "fuzz_smoke: no corpus in %s\n", dir);
		free(dir);
		free(files);
		return 1;
	}
	for (size_t i = 0; i < n; i++)
		LLVMFuzzerTestOneInput((const uint8_t *)files[i].data, files[i].len);
	LLVMFuzzerTestOneInput((const uint8_t *)"", 0);
	cfg_buf_init(&b);
	for (long it = 0; it < iters; it++) {
		const struct cfg_buf *base = &files[rnd(&seed) % n];

		cfg_buf_reset(&b);
		cfg_buf_add(&b, base->data, base->len);
		mutate(&b, &seed, &files[rnd(&seed) % n]);
		LLVMFuzzerTestOneInput((const uint8_t *)b.data, b.len);
	}
	printf("fuzz_smoke: %zu corpus files and %ld mutations passed\n", n, iters);
	cfg_buf_fini(&b);
	for (size_t i = 0; i < n; i++)
		cfg_buf_fini(&files[i]);
	free(files);
	free(dir);
	return 0;
}
