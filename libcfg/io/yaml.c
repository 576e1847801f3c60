/*
 * yaml.c - YAML output of a JSON tree: block style, quoted strings
 */
#include "config.h"

#include <stdio.h>

#include "cfg/base/buf.h"
#include "cfg/io/json.h"
#include "cfg/io/yaml.h"

static void emit_node(const struct cfg_json *j, int indent, int inline_first, struct cfg_buf *out);

/*
 * quote - s as a YAML double-quoted scalar: JSON's escapes, and also the
 * characters a YAML reader refuses raw (C1 controls) or reads as a line
 * break (NEL, U+2028, U+2029) or a byte order mark (U+FEFF), as \uXXXX
 */
static void quote(const char *s, struct cfg_buf *out)
{
	struct cfg_buf q;

	cfg_buf_init(&q);
	cfg_json_quote(s, &q);
	for (size_t i = 0; i < q.len; i++) {
		const unsigned char *c = (const unsigned char *)q.data + i;

		if (c[0] == 0xc2 && i + 1 < q.len && c[1] >= 0x80 && c[1] <= 0x9f) {
			cfg_buf_printf(out, "\\u%04X", (unsigned)c[1]);
			i += 1;
		} else if (c[0] == 0xe2 && i + 2 < q.len && c[1] == 0x80
		           && (c[2] == 0xa8 || c[2] == 0xa9)) {
			cfg_buf_printf(out, "\\u%04X", 0x2000u + (c[2] - 0x80u));
			i += 2;
		} else if (c[0] == 0xef && i + 2 < q.len && c[1] == 0xbb && c[2] == 0xbf) {
			cfg_buf_adds(out, "\\uFEFF");
			i += 2;
		} else {
			cfg_buf_addc(out, c[0]);
		}
	}
	cfg_buf_fini(&q);
}

/* pad - indentation */
static void pad(int indent, struct cfg_buf *out)
{
	for (int i = 0; i < indent; i++)
		cfg_buf_addc(out, ' ');
}

/* is_block - 1 when j is a non-empty container (written on the following lines) */
static int is_block(const struct cfg_json *j)
{
	enum cfg_json_type t = cfg_json_typeof(j);

	return (t == CFG_JSON_OBJECT || t == CFG_JSON_ARRAY) && cfg_json_size(j) > 0;
}

/* emit_scalar - a scalar or an empty container on the current line */
static void emit_scalar(const struct cfg_json *j, struct cfg_buf *out)
{
	switch (cfg_json_typeof(j)) {
	case CFG_JSON_OBJECT:
		cfg_buf_adds(out, "{}");
		break;
	case CFG_JSON_ARRAY:
		cfg_buf_adds(out, "[]");
		break;
	case CFG_JSON_STRING:
		quote(cfg_json_string_value(j), out);
		break;
	case CFG_JSON_INTEGER:
		cfg_buf_printf(out, "%lld", cfg_json_integer_value(j));
		break;
	case CFG_JSON_REAL:
		cfg_buf_printf(out, "%.17g", cfg_json_real_value(j));
		break;
	case CFG_JSON_TRUE:
		cfg_buf_adds(out, "true");
		break;
	case CFG_JSON_FALSE:
		cfg_buf_adds(out, "false");
		break;
	case CFG_JSON_NULL:
		cfg_buf_adds(out, "null");
		break;
	}
}

/* emit_object - the members of a non-empty object; the first goes on the current line if inline_first */
static void emit_object(const struct cfg_json *j, int indent, int inline_first, struct cfg_buf *out)
{
	size_t pos = 0;
	const char *key;
	struct cfg_json *val;
	int first = 1;

	while (cfg_json_object_next(j, &pos, &key, &val)) {
		if (!(first && inline_first))
			pad(indent, out);
		first = 0;
		quote(key, out);
		cfg_buf_addc(out, ':');
		if (is_block(val)) {
			cfg_buf_addc(out, '\n');
			emit_node(val, indent + 2, 0, out);
		} else {
			cfg_buf_addc(out, ' ');
			emit_scalar(val, out);
			cfg_buf_addc(out, '\n');
		}
	}
}

/* emit_array - the elements of a non-empty array, one "- " line each */
static void emit_array(const struct cfg_json *j, int indent, struct cfg_buf *out)
{
	for (size_t i = 0; i < cfg_json_size(j); i++) {
		const struct cfg_json *e = cfg_json_array_get(j, i);

		pad(indent, out);
		cfg_buf_adds(out, "- ");
		if (is_block(e) && cfg_json_typeof(e) == CFG_JSON_OBJECT) {
			emit_object(e, indent + 2, 1, out);
		} else if (is_block(e)) {
			cfg_buf_addc(out, '\n');
			emit_array(e, indent + 2, out);
		} else {
			emit_scalar(e, out);
			cfg_buf_addc(out, '\n');
		}
	}
}

/* emit_node - j starting on a fresh line at indent (or inline after "- ") */
static void emit_node(const struct cfg_json *j, int indent, int inline_first, struct cfg_buf *out)
{
	if (!is_block(j)) {
		emit_scalar(j, out);
		cfg_buf_addc(out, '\n');
	} else if (cfg_json_typeof(j) == CFG_JSON_OBJECT) {
		emit_object(j, indent, inline_first, out);
	} else {
		emit_array(j, indent, out);
	}
}

/* cfg_yaml_emit - append j as a YAML document */
void cfg_yaml_emit(const struct cfg_json *j, struct cfg_buf *out)
{
	cfg_buf_adds(out, "---\n");
	emit_node(j, 0, 0, out);
}
