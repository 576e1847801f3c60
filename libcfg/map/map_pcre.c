/*
 * map_pcre.c - pcre:FILE and pcre:{ {rule}, ... }: Perl-compatible regular expressions
 *
 * The rules (pcre_table(5)) are regexp:'s, parsed by map_regexp.c; this
 * file is the PCRE2 engine behind them and the only one to include
 * <pcre2.h>.  Differences from regexp: no "!/pattern2/" second pattern,
 * the flags i (PCRE2_CASELESS, on by default), s (PCRE2_DOTALL, on), m, x,
 * A (anchored), E (dollar matches only at the end), U (ungreedy), and X,
 * which Postfix built with PCRE2 ignores with a warning.
 */
#include "config.h"

#define PCRE2_CODE_UNIT_WIDTH 8
#include <pcre2.h>
#include <stdlib.h>

#include "cfg/base/dlib.h"
#include "cfg/base/xalloc.h"
#include "map_int.h"

/* the PCRE2 (8-bit: the names after pcre2.h's renaming) functions this file calls, loaded at the first open (cfg/base/dlib.h) */
#define PC_FUNCS(X)                                                                                \
	X(pcre2_code_free_8)                                                                       \
	X(pcre2_compile_8)                                                                         \
	X(pcre2_get_error_message_8)                                                               \
	X(pcre2_get_ovector_count_8)                                                               \
	X(pcre2_get_ovector_pointer_8)                                                             \
	X(pcre2_match_8)                                                                           \
	X(pcre2_match_data_create_from_pattern_8)                                                  \
	X(pcre2_match_data_free_8)                                                                 \
	X(pcre2_pattern_info_8)
static struct {
	PC_FUNCS(CFG_DLIB_SLOT)
} pc_fn;
static const char *const pc_names[] = {PC_FUNCS(CFG_DLIB_NAME)};
static struct cfg_dlib pc_lib = {PCRE2_SONAME, pc_names, CFG_DLIB_COUNT(pc_names), &pc_fn, 0, NULL};
#define pcre2_code_free_8 (pc_fn.pcre2_code_free_8)
#define pcre2_compile_8 (pc_fn.pcre2_compile_8)
#define pcre2_get_error_message_8 (pc_fn.pcre2_get_error_message_8)
#define pcre2_get_ovector_count_8 (pc_fn.pcre2_get_ovector_count_8)
#define pcre2_get_ovector_pointer_8 (pc_fn.pcre2_get_ovector_pointer_8)
#define pcre2_match_8 (pc_fn.pcre2_match_8)
#define pcre2_match_data_create_from_pattern_8 (pc_fn.pcre2_match_data_create_from_pattern_8)
#define pcre2_match_data_free_8 (pc_fn.pcre2_match_data_free_8)
#define pcre2_pattern_info_8 (pc_fn.pcre2_pattern_info_8)

/* a compiled pattern with the match data its captures need */
struct pc {
	pcre2_code *code;
	pcre2_match_data *md;
};

/* error_text - append PCRE2's message for err */
static void error_text(int err, struct cfg_buf *why)
{
	PCRE2_UCHAR buf[256];

	if (pcre2_get_error_message(err, buf, sizeof(buf)) > 0)
		cfg_buf_adds(why, (const char *)buf);
	else
		cfg_buf_printf(why, "unexpected pcre2 error code %d", err);
}

/* pcre_flag - toggle one pcre: flag */
static int pcre_flag(char c, unsigned *opts)
{
	static const struct {
		char c;
		unsigned opt;
	} flags[] = {
	    {'i', PCRE2_CASELESS},       {'m', PCRE2_MULTILINE}, {'s', PCRE2_DOTALL},
	    {'x', PCRE2_EXTENDED},       {'A', PCRE2_ANCHORED},  {'U', PCRE2_UNGREEDY},
	    {'E', PCRE2_DOLLAR_ENDONLY},
	};

	if (c == 'X')
		return 2;
	for (size_t i = 0; i < sizeof(flags) / sizeof(flags[0]); i++)
		if (flags[i].c == c) {
			*opts ^= flags[i].opt;
			return 1;
		}
	return 0;
}

/* pcre_compile_re - pcre2_compile(), or NULL with Postfix's "error in regex" text */
static void *pcre_compile_re(const char *text, unsigned opts, struct cfg_buf *why)
{
	PCRE2_SIZE off;
	int err;
	pcre2_code *code =
	    pcre2_compile((PCRE2_SPTR)text, PCRE2_ZERO_TERMINATED, opts, &err, &off, NULL);
	struct pc *p;

	if (code == NULL) {
		cfg_buf_printf(why, "error in regex at offset %lu: ", (unsigned long)off);
		error_text(err, why);
		return NULL;
	}
	p = cfg_xmalloc(sizeof(*p));
	p->code = code;
	p->md = pcre2_match_data_create_from_pattern(code, NULL);
	if (p->md == NULL)
		abort(); /* out of memory, as cfg_xmalloc would */
	return p;
}

/* pcre_nsub - the number of capturing groups */
static size_t pcre_nsub(const void *re)
{
	const struct pc *p = re;
	uint32_t n = 0;

	pcre2_pattern_info(p->code, PCRE2_INFO_CAPTURECOUNT, &n);
	return n;
}

/* pcre_exec_re - pcre2_match(); spans of groups that did not take part are -1 */
static int pcre_exec_re(void *re, const char *key, struct cfgp_rx_span *spans, size_t n,
                        struct cfg_buf *why)
{
	struct pc *p = re;
	int rc = pcre2_match(p->code, (PCRE2_SPTR)key, PCRE2_ZERO_TERMINATED, 0, 0, p->md, NULL);
	PCRE2_SIZE *ov;
	size_t have;

	if (rc == PCRE2_ERROR_NOMATCH)
		return 0;
	if (rc < 0) {
		error_text(rc, why);
		return -1;
	}
	ov = pcre2_get_ovector_pointer(p->md);
	have = rc == 0 ? pcre2_get_ovector_count(p->md) : (size_t)rc;
	for (size_t i = 0; i < n; i++) {
		if (i < have && ov[2 * i] != PCRE2_UNSET) {
			spans[i].so = (long)ov[2 * i];
			spans[i].eo = (long)ov[2 * i + 1];
		} else {
			spans[i].so = spans[i].eo = -1;
		}
	}
	return 1;
}

/* pcre_free_re - the code and its match data */
static void pcre_free_re(void *re)
{
	struct pc *p = re;

	pcre2_match_data_free(p->md);
	pcre2_code_free(p->code);
	free(p);
}

static const struct cfgp_rx_engine pcre_engine = {
    .type = "pcre",
    .second_pattern = 0,
    .no_delim = "ignoring this rule",
    .out_of_range = "out of range",
    .default_opts = PCRE2_CASELESS | PCRE2_DOTALL,
    .flag = pcre_flag,
    .compile = pcre_compile_re,
    .nsub = pcre_nsub,
    .exec = pcre_exec_re,
    .free = pcre_free_re,
};

/* pcre_open - read FILE, or the inline {rule} list */
static int pcre_open(struct cfg_map *m, struct cfg_diags *diags)
{
	if (cfgp_map_dlib(m, &pc_lib, diags) < 0)
		return -1;
	return cfgp_rx_open(m, &pcre_engine, diags);
}

/* pcre_open_text - rules given in memory */
static int pcre_open_text(struct cfg_map *m, const char *text, size_t len, struct cfg_diags *diags)
{
	if (cfgp_map_dlib(m, &pc_lib, diags) < 0)
		return -1;
	return cfgp_rx_load(m, &pcre_engine, text, len, diags);
}

const struct cfgp_map_ops cfgp_map_pcre_ops = {
    .type = "pcre",
    .open = pcre_open,
    .open_text = pcre_open_text,
    .lookup = cfgp_rx_lookup,
    .close = cfgp_rx_close,
};
