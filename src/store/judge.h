#ifndef ZOHO_OAUTH_JUDGE_H
#define ZOHO_OAUTH_JUDGE_H

#include <stdbool.h>
#include <stdint.h>

#include "zoho/tokens.h"

/*
 * Whether a stored access token is served or renewed: one decision, made
 * by the front (front.c) and the full program (store/refresh.c) alike,
 * pure, so that both judge a token the same way and a test can hold it
 * to every case.
 */

/* What a caller wants of the access token. */
struct judge_ask {
	long min_valid;     /* seconds it must have left (the margin is at most half
	                     * its lifetime: short-lived tokens are used, not renewed
	                     * by every caller) */
	bool force;         /* renew it whatever is left (refresh, status --online) */
	const char *dead;   /* an access token an API refused: never served; another
	                     * one with time left is (someone renewed it meanwhile) */
	bool ahead_ok;      /* the caller may be served at once and the token renewed
	                     * behind it, past the soft margin (VERDICT_SERVE_AHEAD) */
	bool ahead;         /* this is that renewal: renew unless someone did since
	                     * the first look */
	int spread;         /* a machine of a fleet (a shared store): its place among the
	                     * fleet's refresh moments, 0-1000 (judge_margins()); 0 alone */
};

/* The times of the token a first look saw, for the second look. */
struct token_seen {
	int64_t obtained_at, expires_at;   /* Unix seconds; 0 when it had none */
};

enum verdict {
	VERDICT_SERVE,      /* use it as it is */
	VERDICT_SERVE_AHEAD, /* use it, and have it renewed behind the caller */
	VERDICT_RENEW,      /* ask Zoho for a new one (under the lock) */
};

/*
 * The two margins of a token (seconds before it expires): past the hard
 * one callers wait for a renewal (min_valid, at most half the token's
 * lifetime); past the soft one, a quarter of the rest of the lifetime
 * beyond the hard one (1,125 s for a one-hour token and 300 s), a caller
 * that allows it is served at once and the token renewed behind it.
 * A fleet's machine (spread > 0) moves both earlier by spread thousandths
 * of half the distance between them (up to 412 s for a one-hour token),
 * so that a thousand machines sharing one token don't all reach a margin
 * in the same second: the one furthest out renews, the others find the
 * new token. Never later than alone, so never less safe.
 */
#define JUDGE_SPREAD_MAX 1000
void judge_margins(const struct tokens *t, long min_valid, int spread, int64_t *hard,
		int64_t *soft);

/*
 * held: the tokens as stored now; seen: NULL on the first look (no lock),
 * else what the first look saw, now that the lock is held. A token renewed
 * between the two looks (newer than seen's) is served while it has any
 * time left, whatever its lifetime: whoever renewed it judged it worth it.
 * A token whose times can't be believed (tokens_time_left()) is renewed,
 * never served. On the first look, with ask->ahead_ok, a token past the
 * soft margin but not the hard one is VERDICT_SERVE_AHEAD.
 */
enum verdict judge(const struct tokens *held, const struct token_seen *seen, int64_t now,
		const struct judge_ask *ask);

/* What a first look saw of t. */
struct token_seen token_seen_of(const struct tokens *t);

#endif
