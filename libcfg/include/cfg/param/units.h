/*
 * units.h - Postfix's numbers with units: times ("300s", "5m", "1h", with a
 * parameter's default unit when none is written) and sizes (decimal byte
 * counts).  One parser for each, used by validation, the typed getters of
 * the service views and postfix check.
 */
#ifndef CFG_UNITS_H
#define CFG_UNITS_H

/*
 * cfg_time_parse - a time value: optional blanks, a decimal number and an
 * optional unit s, m, h, d or w (default_unit when none).  0 with *seconds
 * set, or -1 (not a number, unknown unit, text after the unit, overflow).
 */
int cfg_time_parse(const char *s, char default_unit, long *seconds);
/*
 * cfg_size_parse - a size or count: a decimal number with an optional sign
 * and nothing else (no unit suffix, as Postfix wants).  0 with *out set, or -1.
 */
int cfg_size_parse(const char *s, long *out);

#endif
