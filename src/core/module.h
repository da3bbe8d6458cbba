#ifndef ZOHO_OAUTH_MODULE_H
#define ZOHO_OAUTH_MODULE_H

#include <stddef.h>

/*
 * An optional part's module (zoho-oauth-portal.so, -keyring.so,
 * -postgresql.so), loaded with dlopen only when it is used: from beside
 * the program (the build tree, a relocated install), else from where
 * meson installed it. Modules are never unloaded (GLib registers types
 * for the life of the process).
 *
 * The address of symbol in file, or NULL with why (dlerror's text, or
 * which symbol is missing) and the path tried last in where.
 */
void *module_symbol(const char *file, const char *symbol, char *where, size_t where_len, char *why,
		size_t why_len);

/*
 * A store module's table of functions: file's symbol is a function that
 * returns it, and the table starts with its version (an unsigned), which
 * must be version. NULL, reported ("the keyring module": what), when it
 * can't be loaded or is another build's.
 */
const void *module_api(const char *file, const char *symbol, unsigned version, const char *what);

#endif
