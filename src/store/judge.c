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

void judge_margins(const struct tokens *t, long min_valid, int spread, int64_t *hard,
		int64_t *soft)
{
	int64_t lifetime = t->expires_at - t->obtained_at;
	if (lifetime < 0)
		lifetime = 0;
	if (spread < 0 || spread > JUDGE_SPREAD_MAX)
		spread = 0;
	*hard = min_valid < lifetime / 2 ? min_valid : lifetime / 2;
	*soft = *hard + (lifetime - *hard) / 4;
	int64_t earlier = (*soft - *hard) / 2 * spread / JUDGE_SPREAD_MAX;
	*hard += earlier;
	*soft += earlier;
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
	/* Renewed: newer than what the first look saw (an older token,
	 * another machine's say, is no renewal). */
	bool renewed = seen && (held->obtained_at > seen->obtained_at ||
		(held->obtained_at == seen->obtained_at && held->expires_at > seen->expires_at));
	if (ask->ahead)
		return renewed ? VERDICT_SERVE : VERDICT_RENEW;
	int64_t hard, soft;
	judge_margins(held, ask->min_valid, ask->spread, &hard, &soft);
	if (left >= hard)
		return ask->ahead_ok && !seen && left < soft ? VERDICT_SERVE_AHEAD : VERDICT_SERVE;
	return renewed ? VERDICT_SERVE : VERDICT_RENEW;
}
