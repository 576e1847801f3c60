/*
 * units.h - Postfix's numbers with units: times ("300s", "5m", "1h", with a
 * parameter's default unit when none is written) and sizes (decimal byte
 * counts).  One parser for each, used by validation, the typed getters of
 * the service views and postfix check.
 */
#ifndef CFG_UNITS_H
#define CFG_UNITS_H

/* what cfg_time_conv() found */
enum cfg_time_status {
	CFG_TIME_OK = 0,
	CFG_TIME_NO_NUMBER, /* empty, a blank first, or no digits */
	CFG_TIME_BAD_UNIT,  /* more than one character after the number, or not s m h d w */
	CFG_TIME_RANGE,     /* outside the int range Postfix keeps times in */
};

/*
 * cfg_time_conv - a time as Postfix's conv_time() reads it: a decimal number
 * (int range, optional sign, no blank before it) and at most one unit letter
 * s, m, h, d or w (default_unit when none).  On CFG_TIME_OK *seconds is set;
 * *unit (when not NULL) gets the unit letter that applied or was refused.
 */
enum cfg_time_status cfg_time_conv(const char *s, char default_unit, long *seconds, char *unit);
/* cfg_time_unit_seconds - the seconds in one unit letter, or 0 when it is not one */
long cfg_time_unit_seconds(char unit);
/* cfg_time_parse - cfg_time_conv() for callers that only want 0 or -1 */
int cfg_time_parse(const char *s, char default_unit, long *seconds);
/*
 * cfg_size_parse - a size or count: a decimal number with an optional sign
 * and nothing else (no unit suffix, as Postfix wants).  0 with *out set, or -1.
 */
int cfg_size_parse(const char *s, long *out);
/*
 * cfg_number_parse - a number as Postfix's numerical parameters take it
 * (the typed getters, postfix check): cfg_size_parse() with no blank first
 */
int cfg_number_parse(const char *s, long *out);

#endif
