#ifndef ZOHO_OAUTH_SIGNIN_H
#define ZOHO_OAUTH_SIGNIN_H

#include <limits.h>
#include <stdbool.h>
#include <stdint.h>

#include "settings/profile.h"
#include "store/store.h"
#include "zoho/tokens.h"

/*
 * What every way of signing in shares: the browser and its redirect
 * (login), the device flow (login --device), console codes (exchange) and
 * client credentials (login --client-credentials).
 * A sign-in gets the profile and the open stores from its command, and
 * the command's choices as arguments.
 */
enum signin_kind {
	SIGNIN_BROWSER,   /* a Server-based client and its redirect URI */
	SIGNIN_DEVICE,    /* a Non-browser client */
	SIGNIN_CODE,      /* a Self Client's code from the API console */
	SIGNIN_CLIENT_CREDENTIALS, /* a Self Client's own credentials: no user */
};

/* What a sign-in asks for, beyond the profile. */
struct signin_ask {
	enum signin_kind kind;
	bool offline;            /* access_type=offline */
	bool consent_prompt;     /* prompt=consent */
	bool force;              /* even over a working refresh token */
};

/* One sign-in, from its checks to its save. */
struct signin {
	const struct profile *p;
	struct signin_ask ask;
	struct store *store;      /* where the tokens go; NULL: stdout (--token-file -) */
	char *secret;             /* the client secret; wiped by signin_finish */
	int64_t deadline_ms;      /* monotonic; 0: none. Bounds the wait for the
	                           * store's lock when saving */
	char saved_to[PATH_MAX + 64]; /* where the tokens went */
};

/*
 * What the kind of sign-in needs from the profile before anything starts:
 * a client ID (and for the browser and the device, scopes). Said, with
 * where to get it (config_path may be NULL), and ZO_USAGE when missing.
 */
int signin_check_profile(const struct profile *p, enum signin_kind kind, const char *config_path);

/*
 * Hold the scopes asked for (*scope, comma-joined) against those Zoho
 * documents: a near miss of a documented one (ZohoCliq.channels.read)
 * gets a did-you-mean. Zoho does not say whether case matters, so on a
 * pipe that is a warning and the scope goes as given; on a terminal the
 * user chooses, and *scope may be replaced.
 */
int signin_check_scopes(char **scope);

/*
 * How every sign-in starts. First, since each sign-in makes a new
 * refresh token and Zoho keeps 20 per user, silently revoking the oldest:
 * that the profile does not already hold a working one for the same
 * client and scopes, in current (the store its tokens are in now; read
 * once, when it was opened) — ask->force skips that, and so does a
 * sign-in to stdout (target NULL). Then that the tokens can be kept: the
 * target store's room is made ready (store_prepare), so that no refresh
 * token is made only to be lost. *done: stop with ZO_OK (said). The
 * caller puts the client secret in si->secret next. Undone by
 * signin_finish() in every case; target is the sign-in's from then on.
 */
int signin_begin(struct signin *si, const struct profile *p, const struct signin_ask *ask,
		struct store *target, struct store *current, bool *done);

/*
 * Complete the tokens Zoho sent (t: access_token and what came with it)
 * into a token record, and keep it: in the store (under its lock) or on
 * stdout. server is the accounts server that issued them; location a
 * hint from Zoho (may be NULL).
 *
 * Tokens Zoho issued are never thrown away: signals are held off while
 * saving, and when the lock can't be had before the deadline (or
 * --lock-timeout) they are written beside the usual place, with a
 * message that says where.
 */
int signin_save(struct signin *si, struct tokens *t, const char *server, const char *location);

/* "signed in: tokens written to PATH". */
void signin_report(const struct signin *si);

/* What a signal that stopped the sign-in leaves behind, for the line
 * that says so: "nothing was saved", or where the tokens went. */
const char *signin_saved(const struct signin *si, char *out, size_t len);

void signin_finish(struct signin *si);

#endif
