/* units.c - times and sizes in parameter values (see cfg/param/units.h) */
#include "config.h"

#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <stdlib.h>

#include "cfg/param/units.h"

/* cfg_time_parse - number and unit to seconds */
int cfg_time_parse(const char *s, char default_unit, long *seconds)
{
	char *end;
	long v, mult;

	while (isspace((unsigned char)*s))
		s++;
	if (!isdigit((unsigned char)*s) && *s != '-')
		return -1;
	errno = 0;
	v = strtol(s, &end, 10);
	if (errno != 0 || end == s)
		return -1;
	switch (*end ? *end : default_unit) {
	case 's':
		mult = 1;
		break;
	case 'm':
		mult = 60;
		break;
	case 'h':
		mult = 3600;
		break;
	case 'd':
		mult = 86400;
		break;
	case 'w':
		mult = 604800;
		break;
	default:
		return -1;
	}
	if (*end && end[1] != '\0')
		return -1;
	if (v > LONG_MAX / mult || v < LONG_MIN / mult)
		return -1;
	*seconds = v * mult;
	return 0;
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
