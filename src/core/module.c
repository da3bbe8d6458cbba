#include <dlfcn.h>
#include <stdio.h>
#include <unistd.h>

#include <limits.h>
#include <string.h>

#include "config.h"
#include "core/log.h"
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

const void *module_api(const char *file, const char *symbol, unsigned version, const char *what)
{
	char path[PATH_MAX + 32], why[256];
	void *sym = module_symbol(file, symbol, path, sizeof(path), why, sizeof(why));
	if (!sym) {
		log_error("cannot load the %s module: %s (is zoho-oauth installed completely?)", what,
			why);
		return NULL;
	}
	const void *(*entry)(void) = NULL;
	/* ISO C has no object-to-function pointer cast; POSIX guarantees this
	 * copy works for what dlsym() returns. */
	memcpy(&entry, &sym, sizeof(entry));
	const void *api = entry();
	if (!api || *(const unsigned *)api != version) {
		log_error("%s is not the %s module of this zoho-oauth", path, what);
		return NULL;
	}
	return api;
}
