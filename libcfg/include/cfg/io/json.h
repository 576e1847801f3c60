/*
 * json.h - a small JSON document API (the Jansson adapter)
 *
 * libcfg/json.c is the only file that includes <jansson.h>; everything else
 * builds and reads JSON through this interface.  Objects keep insertion
 * order, so output built in a defined order is byte-stable.
 *
 * Ownership: constructors return a new value; cfg_json_object_set() and
 * cfg_json_array_append() take ownership of the value passed in; getters
 * return borrowed values that live as long as their container.
 */
#ifndef CFG_JSON_H
#define CFG_JSON_H

#include <stddef.h>

#include "cfg/base/buf.h"
#include "cfg/base/diag.h"

struct cfg_json;

enum cfg_json_type {
	CFG_JSON_OBJECT,
	CFG_JSON_ARRAY,
	CFG_JSON_STRING,
	CFG_JSON_INTEGER,
	CFG_JSON_REAL,
	CFG_JSON_TRUE,
	CFG_JSON_FALSE,
	CFG_JSON_NULL,
};

/* dump flags */
#define CFG_JSON_COMPACT 0x0u   /* one line, ", " and ": " separators as Jansson's default */
#define CFG_JSON_PRETTY 0x1u    /* two-space indentation */
#define CFG_JSON_SORT_KEYS 0x2u /* sort object keys instead of insertion order */
#define CFG_JSON_TIGHT 0x4u     /* no spaces after separators */

/* constructors: each returns a new value */
struct cfg_json *cfg_json_object(void);
struct cfg_json *cfg_json_array(void);
struct cfg_json *cfg_json_string(const char *s);
struct cfg_json *cfg_json_stringn(const char *s, size_t n);
struct cfg_json *cfg_json_integer(long long v);
struct cfg_json *cfg_json_bool(int v);
struct cfg_json *cfg_json_null(void);
/* cfg_json_free - release a value and everything in it; NULL is a no-op */
void cfg_json_free(struct cfg_json *j);

/* cfg_json_object_set - set key to val (taken); replaces an existing key in place */
void cfg_json_object_set(struct cfg_json *obj, const char *key, struct cfg_json *val);
/* cfg_json_array_append - append val (taken) */
void cfg_json_array_append(struct cfg_json *arr, struct cfg_json *val);

/* inspection */
enum cfg_json_type cfg_json_typeof(const struct cfg_json *j);
const char *cfg_json_type_name(enum cfg_json_type t);
/* cfg_json_string_value - the string (borrowed), or NULL when not a string */
const char *cfg_json_string_value(const struct cfg_json *j);
long long cfg_json_integer_value(const struct cfg_json *j);
double cfg_json_real_value(const struct cfg_json *j);
/* cfg_json_size - number of elements of an array or members of an object, else 0 */
size_t cfg_json_size(const struct cfg_json *j);
/* cfg_json_array_get - element i (borrowed) or NULL */
struct cfg_json *cfg_json_array_get(const struct cfg_json *arr, size_t i);
/* cfg_json_object_get - member key (borrowed) or NULL */
struct cfg_json *cfg_json_object_get(const struct cfg_json *obj, const char *key);
/*
 * cfg_json_object_next - iterate members in order: start with *pos = 0
 * and pass it back unchanged (it is an opaque cursor); returns 1 with *key
 * and *val borrowed, 0 at the end.  The object must not change meanwhile.
 */
int cfg_json_object_next(const struct cfg_json *obj, size_t *pos, const char **key,
                         struct cfg_json **val);

/* cfg_json_dump - append the serialisation of j to out (no trailing newline) */
void cfg_json_dump(const struct cfg_json *j, unsigned flags, struct cfg_buf *out);
/*
 * cfg_json_quote - append s as a JSON string literal to out, escaped as
 * Postfix's postconf -j does (DEL as \u007F, "/" and UTF-8 left as they are)
 */
void cfg_json_quote(const char *s, struct cfg_buf *out);
/*
 * cfg_json_parse - parse one JSON document.  Duplicate object keys are an
 * error.  On error returns NULL and appends "SOURCE:LINE:COL: MESSAGE"
 * information as a diagnostic (file = source, line, col set; code
 * "json-syntax").
 */
struct cfg_json *cfg_json_parse(const char *text, size_t len, const char *source,
                                struct cfg_diags *diags);

#endif
