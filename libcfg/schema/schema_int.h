/*
 * schema_int.h - what the schema tables share: every table of schemas/ is a
 * sorted array of rows, each with its name at some offset
 */
#ifndef CFG_SCHEMA_INT_H
#define CFG_SCHEMA_INT_H

#include <stddef.h>

/*
 * cfgp_rows_find - binary search of name in n rows of size bytes, sorted
 * by the const char * at name_off in each row (strcmp, or strcasecmp with nocase);
 * the row, or NULL (also for a NULL name)
 */
const void *cfgp_rows_find(const void *rows, size_t n, size_t size, size_t name_off,
                           const char *name, int nocase);

#endif
