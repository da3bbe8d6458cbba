#ifndef ZOHO_OAUTH_REFRESH_H
#define ZOHO_OAUTH_REFRESH_H

#include <stdbool.h>

#include "settings/settings.h"
#include "zoho/tokens.h"

/*
 * The profile's tokens with at least min_valid seconds left on the access
 * token, refreshed first when needed (or always, with force).
 *
 * A token with time left costs one file read: no lock, no network. A
 * refresh happens under the store's lock, after reading the file again,
 * so however many processes ask at once, one refreshes and the others use
 * what it wrote. Zoho's answer carries no refresh token; the old one is
 * kept. On failure the file is left as it was.
 *
 * Returns ZO_OK, ZO_RELOGIN (no tokens, no refresh token, or Zoho no
 * longer honours it), ZO_REJECTED (the throttle, a changed secret...),
 * ZO_NETWORK, ZO_FAILURE or ZO_INTERRUPTED + signal; messages are out.
 */
int fresh_tokens(const struct settings *s, long min_valid, bool force, struct tokens *out);

/*
 * After an API refused the access token dead (Zoho silently ends the
 * oldest of a refresh token's live access tokens): a new one, however
 * much time dead had left. Single-flight as above: when the store holds
 * another access token with time left by the first look or once the lock
 * is held (someone refreshed after the refusal), that one is used and
 * Zoho is not asked. dead is never served. Same returns as fresh_tokens().
 */
int fresh_tokens_instead_of(const struct settings *s, const char *dead, struct tokens *out);

#endif
