/*
 * map_fold.c - Unicode case folding of UTF-8 keys: the one ICU adapter
 *
 * Postfix with smtputf8_enable = yes folds non-ASCII lookup keys with ICU's
 * default full case folding (not the Turkic variant): "Straße" -> "strasse",
 * "ΣΑΣ" -> "σασ", "ﬃ" -> "ffi".  ASCII keys never come here.
 */
#include "config.h"

#include <string.h>

#include <unicode/ucasemap.h>
#include <unicode/uchar.h>

#include "cfg/base/buf.h"
#include "cfg/base/dlib.h"
#include "map_int.h"

/*
 * The ICU functions this file calls, loaded at the first non-ASCII key
 * (cfg/base/dlib.h).  ICU renames them per version (ucasemap_open_72), so
 * they are called as icu_fn.ucasemap_open().
 */
#define ICU_FUNCS(X) X(ucasemap_open) X(ucasemap_utf8FoldCase) X(ucasemap_close)
static struct {
	ICU_FUNCS(CFG_DLIB_SLOT)
} icu_fn;
static const char *const icu_names[] = {ICU_FUNCS(CFG_DLIB_NAME)};
static struct cfg_dlib icu_lib = {ICU_SONAME, icu_names, CFG_DLIB_COUNT(icu_names),
                                  &icu_fn,    0,         NULL};

/* cfgp_fold_utf8 - append the full case folding of the valid UTF-8 string key */
int cfgp_fold_utf8(const char *key, struct cfg_buf *out)
{
	UErrorCode err = U_ZERO_ERROR;
	UCaseMap *cm;
	int32_t srclen = (int32_t)strlen(key);
	int32_t cap = srclen * 3 + 16;
	int32_t n;

	if (cfg_dlib_load(&icu_lib) < 0)
		return -1;
	cm = icu_fn.ucasemap_open(NULL, U_FOLD_CASE_DEFAULT, &err);
	if (U_FAILURE(err))
		return -1;
	for (;;) {
		size_t base = out->len;

		cfg_buf_reserve(out, (size_t)cap + 1);
		err = U_ZERO_ERROR;
		n = icu_fn.ucasemap_utf8FoldCase(cm, out->data + base, cap, key, srclen, &err);
		if (err == U_BUFFER_OVERFLOW_ERROR && n > cap) {
			cap = n;
			continue;
		}
		if (U_FAILURE(err)) {
			icu_fn.ucasemap_close(cm);
			out->data[base] = 0;
			return -1;
		}
		out->len = base + (size_t)n;
		out->data[out->len] = 0;
		break;
	}
	icu_fn.ucasemap_close(cm);
	return 0;
}
