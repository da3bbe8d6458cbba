#ifndef ZOHO_OAUTH_STORE_REMOTE_H
#define ZOHO_OAUTH_STORE_REMOTE_H

#include <stdbool.h>
#include <stddef.h>

#include "settings/profile.h"
#include "zoho/tokens.h"

/*
 * The base of the stores that keep their secrets elsewhere (the keyring,
 * a database), what both would otherwise write twice: this machine's
 * metadata and cache (store/local.h says what they are), forgetting them,
 * loading the store's module, and the refresh token's fingerprint.
 */

/*
 * The metadata of t (which names store) at meta_path (the token path, or
 * one beside it), with the fingerprint of t's refresh token when t has
 * one, and its access token in the cache: the cache first, then the
 * metadata that points at it. Directories are made as needed.
 */
bool remote_write(const struct profile *p, const char *store, const struct tokens *t,
		const char *meta_path);

/*
 * Forget what this machine keeps for a store: the metadata, if the record
 * at the token path still names store, and the cache, unless another
 * store's metadata there names it (after a migration to the keyring or a
 * database the cache is the new store's).
 */
void remote_forget(const struct profile *p, const char *store);

/*
 * A store module's table of functions (core/module.h), loaded once into
 * *slot: NULL after saying why (not built: which meson option and package
 * build it; or can't be loaded).
 */
const void *remote_module(const void **slot, bool built, const char *file, const char *symbol,
		unsigned version, const char *what, const char *build_hint);

/* The fingerprint of a refresh token, as the metadata records it (hex of
 * the first 16 bytes of its SHA-256): it tells this profile's secrets
 * from another's without holding them. */
#define FINGERPRINT_HEX 32
void remote_fingerprint(const char *refresh_token, char out[FINGERPRINT_HEX + 1]);

#endif
