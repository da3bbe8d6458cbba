#include <string.h>

#include "store/judge.h"

struct token_seen token_seen_of(const struct tokens *t)
{
	struct token_seen s = { 0, 0 };
	if (t->access_token) {
		s.obtained_at = t->obtained_at;
		s.expires_at = t->expires_at;
	}
	return s;
}

enum verdict judge(const struct tokens *held, const struct token_seen *seen, int64_t now,
		const struct judge_ask *ask)
{
	int64_t left = held->access_token ? tokens_time_left(held, now) : 0;
	if (ask->dead)
		return left > 0 && strcmp(held->access_token, ask->dead) != 0 ? VERDICT_SERVE :
			VERDICT_RENEW;
	if (ask->force || left <= 0)
		return VERDICT_RENEW;
	if (!tokens_need_refresh(held, ask->min_valid, now))
		return VERDICT_SERVE;
	/* Renewed: newer than what the first look saw (an older token,
	 * another machine's say, is no renewal). */
	bool renewed = seen && (held->obtained_at > seen->obtained_at ||
		(held->obtained_at == seen->obtained_at && held->expires_at > seen->expires_at));
	return renewed ? VERDICT_SERVE : VERDICT_RENEW;
}
