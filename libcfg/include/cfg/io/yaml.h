/*
 * yaml.h - YAML output of a JSON tree (cfg/json.h)
 *
 * The emitter writes block style with two-space indentation, keys in the
 * tree's order, and every string double-quoted with JSON escapes (a valid
 * YAML double-quoted scalar), so no YAML 1.1 reader can take "no", "on",
 * "1h", "0777" or "012" for anything but a string.  Same tree, same bytes.
 */
#ifndef CFG_YAML_H
#define CFG_YAML_H

#include "cfg/base/buf.h"
#include "cfg/io/json.h"

/* cfg_yaml_emit - append j as a YAML document ("---" line first, newline at the end) to out */
void cfg_yaml_emit(const struct cfg_json *j, struct cfg_buf *out);

#endif
