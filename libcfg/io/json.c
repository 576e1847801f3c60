/* json.c - the Jansson adapter behind cfg/json.h */
#include "config.h"

#include <jansson.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "cfg/io/json.h"
#include "cfg/base/xalloc.h"

/*
 * A struct cfg_json is a json_t: the adapter only renames the type so that
 * no other file needs <jansson.h>.
 */
#define J(p) ((json_t *)(p))
#define C(p) ((const json_t *)(p))
#define W(p) ((struct cfg_json *)(p))

/* need - Jansson returns NULL only when out of memory (or on bad UTF-8 for strings) */
static struct cfg_json *need(json_t *j)
{
	if (j == NULL) {
		/* invalid UTF-8 in a string: keep the bytes visible rather than lose them */
		return NULL;
	}
	return W(j);
}

struct cfg_json *cfg_json_object(void)
{
	json_t *j = json_object();

	if (j == NULL)
		abort();
	return W(j);
}

struct cfg_json *cfg_json_array(void)
{
	json_t *j = json_array();

	if (j == NULL)
		abort();
	return W(j);
}

struct cfg_json *cfg_json_stringn(const char *s, size_t n)
{
	json_t *j = json_stringn(s, n);

	if (j == NULL) {
		/* not valid UTF-8: replace each offending byte with U+FFFD */
		struct cfg_buf b;
		cfg_buf_init(&b);
		for (size_t i = 0; i < n; i++) {
			unsigned char c = (unsigned char)s[i];
			if (c < 0x80)
				cfg_buf_addc(&b, c);
			else
				cfg_buf_adds(&b, "\xef\xbf\xbd");
		}
		j = json_stringn(b.data, b.len);
		cfg_buf_fini(&b);
		if (j == NULL)
			abort();
	}
	return need(j);
}

struct cfg_json *cfg_json_string(const char *s)
{
	return cfg_json_stringn(s, strlen(s));
}

struct cfg_json *cfg_json_integer(long long v)
{
	return need(json_integer(v));
}

struct cfg_json *cfg_json_bool(int v)
{
	return W(json_boolean(v));
}

struct cfg_json *cfg_json_null(void)
{
	return W(json_null());
}

void cfg_json_free(struct cfg_json *j)
{
	if (j != NULL)
		json_decref(J(j));
}

void cfg_json_object_set(struct cfg_json *obj, const char *key, struct cfg_json *val)
{
	json_object_set_new(J(obj), key, J(val));
}

void cfg_json_array_append(struct cfg_json *arr, struct cfg_json *val)
{
	json_array_append_new(J(arr), J(val));
}

enum cfg_json_type cfg_json_typeof(const struct cfg_json *j)
{
	switch (json_typeof(C(j))) {
	case JSON_OBJECT:
		return CFG_JSON_OBJECT;
	case JSON_ARRAY:
		return CFG_JSON_ARRAY;
	case JSON_STRING:
		return CFG_JSON_STRING;
	case JSON_INTEGER:
		return CFG_JSON_INTEGER;
	case JSON_REAL:
		return CFG_JSON_REAL;
	case JSON_TRUE:
		return CFG_JSON_TRUE;
	case JSON_FALSE:
		return CFG_JSON_FALSE;
	default:
		return CFG_JSON_NULL;
	}
}

const char *cfg_json_type_name(enum cfg_json_type t)
{
	static const char *const names[] = {
	    [CFG_JSON_OBJECT] = "object", [CFG_JSON_ARRAY] = "array",
	    [CFG_JSON_STRING] = "string", [CFG_JSON_INTEGER] = "integer",
	    [CFG_JSON_REAL] = "number",   [CFG_JSON_TRUE] = "boolean",
	    [CFG_JSON_FALSE] = "boolean", [CFG_JSON_NULL] = "null",
	};

	return t <= CFG_JSON_NULL ? names[t] : "unknown";
}

const char *cfg_json_string_value(const struct cfg_json *j)
{
	return json_is_string(C(j)) ? json_string_value(C(j)) : NULL;
}

long long cfg_json_integer_value(const struct cfg_json *j)
{
	return json_integer_value(C(j));
}

double cfg_json_real_value(const struct cfg_json *j)
{
	return json_number_value(C(j));
}

size_t cfg_json_size(const struct cfg_json *j)
{
	if (json_is_array(C(j)))
		return json_array_size(C(j));
	if (json_is_object(C(j)))
		return json_object_size(C(j));
	return 0;
}

struct cfg_json *cfg_json_array_get(const struct cfg_json *arr, size_t i)
{
	return W(json_array_get(C(arr), i));
}

struct cfg_json *cfg_json_object_get(const struct cfg_json *obj, const char *key)
{
	return W(json_object_get(C(obj), key));
}

int cfg_json_object_next(const struct cfg_json *obj, size_t *pos, const char **key,
                         struct cfg_json **val)
{
	/*
	 * *pos holds Jansson's iterator for the next member (0: the first,
	 * SIZE_MAX: the end), so a walk over n members costs n steps, not n^2.
	 */
	void *it;

	if (*pos == SIZE_MAX)
		return 0;
	it = *pos == 0 ? json_object_iter(J(obj)) : (void *)(uintptr_t)*pos;
	if (it == NULL) {
		*pos = SIZE_MAX;
		return 0;
	}
	*key = json_object_iter_key(it);
	*val = W(json_object_iter_value(it));
	it = json_object_iter_next(J(obj), it);
	*pos = it != NULL ? (size_t)(uintptr_t)it : SIZE_MAX;
	return 1;
}

/* dump_cb - Jansson output callback appending to a cfg_buf */
static int dump_cb(const char *p, size_t n, void *data)
{
	cfg_buf_add(data, p, n);
	return 0;
}

void cfg_json_dump(const struct cfg_json *j, unsigned flags, struct cfg_buf *out)
{
	size_t jf = JSON_ENCODE_ANY | JSON_PRESERVE_ORDER;

	if (flags & CFG_JSON_PRETTY)
		jf |= JSON_INDENT(2);
	if (flags & CFG_JSON_SORT_KEYS)
		jf |= JSON_SORT_KEYS;
	if (flags & CFG_JSON_TIGHT)
		jf |= JSON_COMPACT;
	json_dump_callback(C(j), dump_cb, out, jf);
}

/*
 * cfg_json_quote escapes as Postfix 3.11's quote_for_json() (postconf -j):
 * two-letter escapes for \b \f \n \r \t " and backslash, \u00XX with
 * upper-case hex for the other C0 controls and for DEL, "/" and UTF-8 as
 * they are.  Jansson alone would leave DEL raw.  The bytes come through
 * cfg_json_string(), so the literal is always valid UTF-8.
 */
void cfg_json_quote(const char *s, struct cfg_buf *out)
{
	struct cfg_json *j = cfg_json_string(s);

	cfg_buf_addc(out, '"');
	for (const char *p = cfg_json_string_value(j); *p; p++) {
		unsigned char c = (unsigned char)*p;

		switch (c) {
		case '"':
		case '\\':
			cfg_buf_addc(out, '\\');
			cfg_buf_addc(out, c);
			break;
		case '\b':
			cfg_buf_adds(out, "\\b");
			break;
		case '\f':
			cfg_buf_adds(out, "\\f");
			break;
		case '\n':
			cfg_buf_adds(out, "\\n");
			break;
		case '\r':
			cfg_buf_adds(out, "\\r");
			break;
		case '\t':
			cfg_buf_adds(out, "\\t");
			break;
		default:
			if (c < 0x20 || c == 0x7f)
				cfg_buf_printf(out, "\\u%04X", c);
			else
				cfg_buf_addc(out, c);
			break;
		}
	}
	cfg_buf_addc(out, '"');
	cfg_json_free(j);
}

struct cfg_json *cfg_json_parse(const char *text, size_t len, const char *source,
                                struct cfg_diags *diags)
{
	json_error_t err;
	json_t *j = json_loadb(text, len, JSON_REJECT_DUPLICATES | JSON_DECODE_ANY, &err);

	if (j == NULL) {
		unsigned line = err.line > 0 ? (unsigned)err.line : 0;
		unsigned col = err.column > 0 ? (unsigned)err.column : 0;
		struct cfg_diag *d = cfg_diags_add(diags, CFG_SEV_ERROR, "json-syntax", source,
		                                   line, col, "%s", err.text);
		(void)d;
		return NULL;
	}
	return W(j);
}
