#ifndef ZOHO_OAUTH_REFRESH_H
#define ZOHO_OAUTH_REFRESH_H

#include "core/handoff.h"
#include "store/judge.h"
#include "store/store.h"

/*
 * The tokens of st's profile, with an access token fit for ask
 * (store/judge.h): what the store holds when it is, else renewed first.
 *
 * A token that is fit costs nothing: the open read it. A refresh happens
 * under the store's lock, after a second read, so that however many
 * processes ask at once, one refreshes and the others use what it wrote.
 * Zoho's answer carries no refresh token; the old one is kept. On failure
 * the store is left as it was.
 *
 * handed (may be NULL): what the front handed over (core/handoff.h). When
 * it took the profile's lock and saw the token before, the open's read
 * was made under that lock: it is the second look, judged against what
 * the front saw, and no third read is made.
 *
 * With ask->ahead_ok, a token past its soft margin (store/judge.h) is
 * served as it is and renewed behind the caller (store/ahead.h), and a
 * failure of an earlier renewal ahead is said as a warning.
 *
 * What goes wrong is said once: as a warning when the access token in
 * hand still has time left and is served anyway (not for a refresh token
 * Zoho no longer honours, nor when interrupted), else as the error.
 *
 * Returns ZO_OK, ZO_RELOGIN (no tokens, no refresh token, or Zoho no
 * longer honours it), ZO_REJECTED (the throttle, a changed secret...),
 * ZO_NETWORK, ZO_BUSY, ZO_STORE, ZO_USAGE (a wait of the profile's config
 * section can't be used), ZO_FAILURE or ZO_INTERRUPTED + signal.
 */
int fresh_tokens(struct store *st, const struct judge_ask *ask, const struct handoff *handed,
		struct tokens *out);

/* How fresh_tokens() came by the token it gave, for -v and for callers
 * that say so. */
enum fresh_source {
	FRESH_CACHED,      /* what the store held */
	FRESH_RENEWED,     /* renewed here, now */
	FRESH_MEANWHILE,   /* renewed by another process while this one waited */
	FRESH_FALLBACK,    /* the renewal failed; the one in hand still has time left */
	FRESH_AHEAD,       /* what the store held, being renewed behind the caller */
};
int fresh_tokens_from(struct store *st, const struct judge_ask *ask, const struct handoff *handed,
		struct tokens *out, enum fresh_source *source);

#endif
