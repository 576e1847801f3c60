/*
 * dlib.h - a shared library loaded at its first use, not at program start
 *
 * Linking every client library (libpq, libmariadb, libldap, ICU...) into
 * every program made each `postconf NAME` spend most of its time in the
 * dynamic loader.  A module that calls a library only when a feature is
 * used lists the functions it calls and resolves them on first use:
 *
 *     #define PQ_FUNCS(X) X(PQexec) X(PQclear)
 *     static struct { PQ_FUNCS(CFG_DLIB_SLOT) } pq_fn;
 *     static const char *const pq_names[] = {PQ_FUNCS(CFG_DLIB_NAME)};
 *     static struct cfg_dlib pq_lib = {PQ_SONAME, pq_names, CFG_DLIB_COUNT(pq_names), &pq_fn};
 *     #define PQexec (pq_fn.PQexec)
 *
 * and calls cfg_dlib_load(&pq_lib) before the first call.  The table is
 * filled once per process and never changes after; the library stays
 * loaded until exit.  The slots struct must hold only pointers (to
 * functions, or to the odd variable), in the order of the names.  Where a
 * library renames its functions per version with macros (ICU's
 * ucasemap_open is ucasemap_open_72), the module calls icu_fn.fn(...)
 * instead of #defining fn; configure names the files (PK_SONAME).
 */
#ifndef CFG_DLIB_H
#define CFG_DLIB_H

#include <stddef.h>

/* CFG_DLIB_SLOT - one typed function pointer named like the function */
#define CFG_DLIB_SLOT(fn) __typeof__(&fn) fn;
/* CFG_DLIB_NAME - the symbol name of a function, for dlsym(), after the library's own renaming
 * macros (ICU's ucasemap_open is ucasemap_open_72) */
#define CFG_DLIB_NAME(fn) CFG_DLIB_STR(fn),
#define CFG_DLIB_STR(fn) #fn
/* CFG_DLIB_COUNT - the number of names in a names array */
#define CFG_DLIB_COUNT(names) (sizeof(names) / sizeof((names)[0]))

struct cfg_dlib {
	const char *soname;       /* the file dlopen() looks for, e.g. "libpq.so.5" */
	const char *const *names; /* the functions, in slot order */
	size_t count;
	void *slots; /* a struct of count function pointers */
	int state;   /* 0 not tried, 1 loaded, -1 failed */
	char *error; /* after a failure: what went wrong (owned, kept until exit) */
};

/*
 * cfg_dlib_load - load lib->soname and fill lib->slots once; 0, or -1 with
 * lib->error set ("libpq.so.5: cannot open shared object file...")
 */
int cfg_dlib_load(struct cfg_dlib *lib);

#endif
