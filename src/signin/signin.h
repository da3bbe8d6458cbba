#ifndef ZOHO_OAUTH_SIGNIN_H
#define ZOHO_OAUTH_SIGNIN_H

#include <stdbool.h>

#include "settings/settings.h"
#include "zoho/tokens.h"

/*
 * What every way of signing in shares: the browser and its redirect
 * (login), the device flow (login --device) and console codes (exchange).
 */

/*
 * How every sign-in starts. First, that the token file can be written at
 * all, so that no refresh token is made only to be lost. Then, since each
 * sign-in makes a new refresh token and Zoho keeps 20 per user, silently
 * revoking the oldest: that the profile does not already hold a working
 * one for the same client and scopes (s->scope may be NULL: any); --force
 * and --token-file - skip that. Last, the client secret (secret_obtain()).
 * *done: stop with ZO_OK. *secret is the caller's to free with
 * secret_free().
 */
int signin_begin(const struct settings *s, bool *done, char **secret);

/*
 * Complete the tokens Zoho sent (t: access_token and what came with it)
 * into a token file record, and write it as the settings say: to the
 * token file (atomically, 0600, under the store's lock) or to stdout.
 * server is the accounts server that issued them; location a hint from
 * Zoho (may be NULL). Takes ownership of nothing; wipes nothing of t.
 */
int signin_save(const struct settings *s, struct tokens *t, const char *secret, const char *server,
		const char *location);

/* "signed in: tokens written to PATH". */
void signin_report(const struct settings *s);

#endif
