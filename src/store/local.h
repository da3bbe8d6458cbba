#ifndef ZOHO_OAUTH_STORE_LOCAL_H
#define ZOHO_OAUTH_STORE_LOCAL_H

#include <stdbool.h>
#include <stddef.h>

#include "core/secure-file.h"
#include "zoho/tokens.h"

/*
 * What a store that keeps its secrets elsewhere (the keyring, a
 * database) keeps on this machine, so that a cached access token is still
 * one small read for the front:
 *
 *  - at the profile's token path, the metadata: which store, the client
 *    and its server, the scopes, where the access token is cached, and no
 *    secret (RECORD_META);
 *  - the access-token cache, 0600, in $XDG_RUNTIME_DIR/zoho-oauth/ (a
 *    per-user tmpfs) when there is one, else beside the metadata
 *    (RECORD_CACHE; an access token lives an hour).
 *
 * Both are written atomically; the lock is the token path's, as for the
 * file store.
 */

/* Where the access token of the profile at token_path is cached. */
bool local_cache_path(const char *token_path, char *out, size_t out_len);

/*
 * Read the metadata at token_path and, when there is one for it, the
 * cached access token (a missing or stale cache leaves access_token NULL
 * and expires_at 0: refresh). Returns a token_file_result; why and the
 * mode/owner as tokens_read_file() gives them.
 */
enum token_file_result local_read(const char *token_path, bool quiet, struct tokens *out,
		unsigned *mode, unsigned *owner, char *why, size_t why_len);

/* Write the access-token cache of t, for token_path. */
bool local_write_cache(const char *token_path, const struct tokens *t);
/* Write the metadata of t at path (token_path, or one beside it). */
bool local_write_meta(const char *path, const struct tokens *t);

/* Remove the cache, and the metadata if it still names store (not when
 * another store's record has replaced it: a migration). */
void local_forget(const char *token_path, const char *cache_path, const char *store);

#endif
