#ifndef ZOHO_OAUTH_SIGNIN_H
#define ZOHO_OAUTH_SIGNIN_H

#include <stdbool.h>
#include <stdint.h>

#include "settings/settings.h"
#include "zoho/tokens.h"

/*
 * What every way of signing in shares: the browser and its redirect
 * (login), the device flow (login --device) and console codes (exchange).
 */

/* One sign-in, from its checks to its save. */
struct signin {
	const struct settings *s;
	struct store *store;      /* NULL with --token-file - (stdout) */
	char *secret;             /* the client secret; wiped by signin_finish */
	int64_t deadline_ms;      /* monotonic; 0: none. Bounds the wait for the
	                           * store's lock when saving */
	char saved_to[4096];      /* where the tokens went */
};

/*
 * How every sign-in starts. First, that the tokens can be kept: the
 * store's room is made ready now (store_prepare), so that no refresh
 * token is made only to be lost. Then, since each sign-in makes a new
 * refresh token and Zoho keeps 20 per user, silently revoking the oldest:
 * that the profile does not already hold a working one for the same
 * client and scopes (s->scope may be NULL: any); --force and
 * --token-file - skip that. Last, the client secret (secret_obtain()).
 * *done: stop with ZO_OK. Undone by signin_finish() in every case.
 */
int signin_begin(struct signin *si, const struct settings *s, bool *done);

/*
 * Complete the tokens Zoho sent (t: access_token and what came with it)
 * into a token record, and keep it as the settings say: in the store
 * (under its lock) or on stdout. server is the accounts server that
 * issued them; location a hint from Zoho (may be NULL).
 *
 * Tokens Zoho issued are never thrown away: signals are held off while
 * saving, and when the lock can't be had before the deadline (or
 * --lock-timeout) they are written beside the usual place, with a
 * message that says where.
 */
int signin_save(struct signin *si, struct tokens *t, const char *server, const char *location);

/* "signed in: tokens written to PATH". */
void signin_report(const struct signin *si);

void signin_finish(struct signin *si);

#endif
