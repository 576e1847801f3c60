/*
 * strvec.h - growable vector of owned C strings
 *
 * v[n] is always NULL after cfg_strvec_init(), so v can be passed where an
 * argv-style array is expected.  The vector owns every string in it.
 */
#ifndef CFG_STRVEC_H
#define CFG_STRVEC_H

#include <stddef.h>

struct cfg_strvec {
	char **v;
	size_t n;
	size_t cap;
};

/* cfg_strvec_init - make an empty vector */
void cfg_strvec_init(struct cfg_strvec *sv);
/* cfg_strvec_fini - free every string and the array */
void cfg_strvec_fini(struct cfg_strvec *sv);
/* cfg_strvec_clear - free every string, keep the array */
void cfg_strvec_clear(struct cfg_strvec *sv);
/* cfg_strvec_add - append a copy of s */
void cfg_strvec_add(struct cfg_strvec *sv, const char *s);
/* cfg_strvec_addn - append a copy of the first n bytes of s */
void cfg_strvec_addn(struct cfg_strvec *sv, const char *s, size_t n);
/* cfg_strvec_take - append s, taking ownership of it */
void cfg_strvec_take(struct cfg_strvec *sv, char *s);
/* cfg_strvec_sort - sort with strcmp() */
void cfg_strvec_sort(struct cfg_strvec *sv);
/* cfg_strvec_split - append the tokens of s separated by any byte in seps (empty tokens skipped) */
void cfg_strvec_split(struct cfg_strvec *sv, const char *s, const char *seps);
/* cfg_strvec_join - a new string: the elements joined with sep */
char *cfg_strvec_join(const struct cfg_strvec *sv, const char *sep);

#endif
