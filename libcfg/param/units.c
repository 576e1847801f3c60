/* units.c - times and sizes in parameter values (see cfg/param/units.h) */
#include "config.h"

#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <stdlib.h>

#include "cfg/param/units.h"

/* cfg_time_unit_seconds - s m h d w */
long cfg_time_unit_seconds(char unit)
{
	switch (unit) {
	case 's':
		return 1;
	case 'm':
		return 60;
	case 'h':
		return 3600;
	case 'd':
		return 86400;
	case 'w':
		return 604800;
	default:
		return 0;
	}
}

/* cfg_time_conv - number, at most one unit letter, int range */
enum cfg_time_status cfg_time_conv(const char *s, char default_unit, long *seconds, char *unit)
{
	char *end;
	long n, mul;
	char u = default_unit;

	if (*s == 0 || isspace((unsigned char)*s))
		return CFG_TIME_NO_NUMBER;
	errno = 0;
	n = strtol(s, &end, 10);
	if (end == s)
		return CFG_TIME_NO_NUMBER;
	if (errno == ERANGE || n < INT_MIN || n > INT_MAX)
		return CFG_TIME_RANGE;
	if (*end != 0) {
		if (end[1] != 0)
			return CFG_TIME_BAD_UNIT;
		u = *end;
	}
	if (unit)
		*unit = u;
	if ((mul = cfg_time_unit_seconds(u)) == 0)
		return CFG_TIME_BAD_UNIT;
	if (n > INT_MAX / mul || n < INT_MIN / mul)
		return CFG_TIME_RANGE;
	*seconds = n * mul;
	return CFG_TIME_OK;
}

/* cfg_time_parse - 0 or -1 */
int cfg_time_parse(const char *s, char default_unit, long *seconds)
{
	return cfg_time_conv(s, default_unit, seconds, NULL) == CFG_TIME_OK ? 0 : -1;
}

/* cfg_size_parse - a decimal number and nothing else */
int cfg_size_parse(const char *s, long *out)
{
	char *end;
	long v;

	while (isspace((unsigned char)*s))
		s++;
	if (*s == '\0')
		return -1;
	errno = 0;
	v = strtol(s, &end, 10);
	if (errno != 0 || end == s || *end != '\0' || !isdigit((unsigned char)end[-1]))
		return -1;
	*out = v;
	return 0;
}

/* cfg_number_parse - cfg_size_parse() without a blank before the number */
int cfg_number_parse(const char *s, long *out)
{
	if (isspace((unsigned char)*s))
		return -1;
	return cfg_size_parse(s, out);
}
