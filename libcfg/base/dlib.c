/* dlib.c - client libraries loaded at their first use (see cfg/base/dlib.h) */
#include "config.h"

#include <dlfcn.h>
#include <string.h>

#include "cfg/base/dlib.h"
#include "cfg/base/xalloc.h"

int cfg_dlib_load(struct cfg_dlib *lib)
{
	void *handle;

	if (lib->state != 0)
		return lib->state > 0 ? 0 : -1;
	lib->state = -1;
	if ((handle = dlopen(lib->soname, RTLD_NOW | RTLD_LOCAL)) == NULL) {
		const char *e = dlerror();

		lib->error = cfg_xstrdup(e != NULL ? e : lib->soname);
		return -1;
	}
	for (size_t i = 0; i < lib->count; i++) {
		void *sym = dlsym(handle, lib->names[i]);
		void (*fn)(void);

		if (sym == NULL) {
			lib->error =
			    cfg_xasprintf("%s: undefined symbol: %s", lib->soname, lib->names[i]);
			return -1;
		}
		/* POSIX: a function's address comes back from dlsym() as a void * */
		memcpy(&fn, &sym, sizeof(fn));
		memcpy((char *)lib->slots + i * sizeof(fn), &fn, sizeof(fn));
	}
	lib->state = 1;
	return 0;
}
