#include <dlfcn.h>
#include <stdio.h>
#include <unistd.h>

#include "config.h"
#include "core/module.h"
#include "core/util.h"

void *module_symbol(const char *file, const char *symbol, char *where, size_t where_len, char *why,
		size_t why_len)
{
	void *h = NULL;
	if (path_beside_self(file, where, where_len) && access(where, R_OK) == 0)
		h = dlopen(where, RTLD_NOW | RTLD_LOCAL);
	if (!h) {
		snprintf(where, where_len, "%s/%s", PKGLIBDIR, file);
		h = dlopen(where, RTLD_NOW | RTLD_LOCAL);
	}
	if (!h) {
		const char *e = dlerror();
		snprintf(why, why_len, "%s", e ? e : "cannot load it");
		return NULL;
	}
	void *sym = dlsym(h, symbol);
	if (!sym)
		snprintf(why, why_len, "%s has no %s", where, symbol);
	return sym;
}
