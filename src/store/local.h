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
 * Read the record at token_path and, when it is metadata, its cached
 * access token (a missing or stale cache leaves access_token NULL and
 * expires_at 0: refresh). Returns a token_file_result; why and the
 * mode/owner as tokens_read_file() gives them.
 */
enum token_file_result local_read(const char *token_path, struct tokens *out, unsigned *mode,
		unsigned *owner, char *why, size_t why_len);

#endif
