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
#include "map_int.h"

/* cfgp_fold_utf8 - append the full case folding of the valid UTF-8 string key */
int cfgp_fold_utf8(const char *key, struct cfg_buf *out)
{
	UErrorCode err = U_ZERO_ERROR;
	UCaseMap *cm = ucasemap_open(NULL, U_FOLD_CASE_DEFAULT, &err);
	int32_t srclen = (int32_t)strlen(key);
	int32_t cap = srclen * 3 + 16;
	int32_t n;

	if (U_FAILURE(err))
		return -1;
	for (;;) {
		size_t base = out->len;

		cfg_buf_reserve(out, (size_t)cap + 1);
		err = U_ZERO_ERROR;
		n = ucasemap_utf8FoldCase(cm, out->data + base, cap, key, srclen, &err);
		if (err == U_BUFFER_OVERFLOW_ERROR && n > cap) {
			cap = n;
			continue;
		}
		if (U_FAILURE(err)) {
			ucasemap_close(cm);
			out->data[base] = 0;
			return -1;
		}
		out->len = base + (size_t)n;
		out->data[out->len] = 0;
		break;
	}
	ucasemap_close(cm);
	return 0;
}
