#ifndef ZOHO_OAUTH_STORE_LOCAL_H
#define ZOHO_OAUTH_STORE_LOCAL_H

#include <stdbool.h>
#include <stddef.h>

#include "settings/profile.h"
#include "zoho/tokens.h"

/*
 * What every store keeps on this machine, read by the front too: at the
 * profile's token path, the token file itself (the file store), or the
 * metadata of a store that keeps its secrets elsewhere (the keyring, a
 * database): which store, the client and its server, the scopes, where
 * the access token is cached, and no secret (RECORD_META). That cache is
 * 0600, in $XDG_RUNTIME_DIR/zoho-oauth/ (a per-user tmpfs) when there is
 * one, else beside the metadata (profile_cache_path(); RECORD_CACHE; an
 * access token lives an hour).
 *
 * This is what the front reads; what those two stores share beyond it is
 * store/remote.h's.
 */

/*
 * Read the record at the profile's token path and its cached access
 * token: for metadata, the cache it names (a missing or stale cache
 * leaves access_token NULL and expires_at 0: refresh); for a token file,
 * the cache at profile_cache_path(), whose access token is taken when it
 * is the newer (the file's own is the first cache: a token file that a
 * refresh never rewrote, or one an older release wrote whole). Returns a
 * token_file_result; why and the mode/owner as tokens_read_file() gives
 * them.
 */
enum token_file_result local_read(const struct profile *p, struct tokens *out, unsigned *mode,
		unsigned *owner, char *why, size_t why_len);

/*
 * Write t's access token, its times and what a refresh made ahead of
 * time left (RECORD_CACHE) to the cache at path (NULL: the token file's,
 * profile_cache_path()): atomic and 0600, but not synced to the disk (a
 * cache lost costs one refresh). Said when it fails.
 */
bool local_write_cache(const struct profile *p, const char *path, const struct tokens *t);

/* Remove a token file's cache (a sign-in or a migration wrote the record
 * anew; a revocation). */
void local_forget_cache(const struct profile *p);

#endif
