/* The refresh decision (store/judge.c), shared by the front and the full
 * program: every case of serve or renew. */
#include <string.h>

#include "store/judge.h"
#include "unit.h"

#define NOW 1700000000

/* An access token obtained `ago` seconds before NOW, living `life`. */
static struct tokens token(const char *access, int64_t ago, int64_t life)
{
	struct tokens t;
	memset(&t, 0, sizeof(t));
	t.access_token = (char *)access;
	t.obtained_at = NOW - ago;
	t.expires_at = NOW - ago + life;
	return t;
}

static void fresh_is_served(void **state)
{
	struct judge_ask ask = { .min_valid = 300 };
	struct tokens t = token("a", 600, 3600);
	assert_int_equal(judge(&t, NULL, NOW, &ask), VERDICT_SERVE);
}

static void inside_the_margin_is_renewed(void **state)
{
	struct judge_ask ask = { .min_valid = 300 };
	struct tokens t = token("a", 3400, 3600); /* 200 s left */
	assert_int_equal(judge(&t, NULL, NOW, &ask), VERDICT_RENEW);
}

static void expired_or_none_is_renewed(void **state)
{
	struct judge_ask ask = { .min_valid = 0 };
	struct tokens t = token("a", 3700, 3600);
	assert_int_equal(judge(&t, NULL, NOW, &ask), VERDICT_RENEW);
	struct tokens none = token(NULL, 0, 3600);
	assert_int_equal(judge(&none, NULL, NOW, &ask), VERDICT_RENEW);
}

static void margin_is_at_most_half_the_life(void **state)
{
	/* A 60 s token with 40 s left is served for a 300 s margin: renewing
	 * it would make every caller renew. */
	struct judge_ask ask = { .min_valid = 300 };
	struct tokens t = token("a", 20, 60);
	assert_int_equal(judge(&t, NULL, NOW, &ask), VERDICT_SERVE);
	t = token("a", 40, 60); /* 20 s left: under half */
	assert_int_equal(judge(&t, NULL, NOW, &ask), VERDICT_RENEW);
}

static void past_the_soft_margin_is_served_ahead(void **state)
{
	/* A one-hour token, a 300 s margin: the soft one is 300 + 3,300 / 4
	 * = 1,125 s before it expires. */
	struct judge_ask ask = { .min_valid = 300, .ahead_ok = true };
	struct tokens t = token("a", 3600 - 1200, 3600);
	assert_int_equal(judge(&t, NULL, NOW, &ask), VERDICT_SERVE);
	t = token("a", 3600 - 1000, 3600);
	assert_int_equal(judge(&t, NULL, NOW, &ask), VERDICT_SERVE_AHEAD);
	/* Not for a caller that doesn't allow it, nor on the second look. */
	struct token_seen seen = token_seen_of(&t);
	assert_int_equal(judge(&t, &seen, NOW, &ask), VERDICT_SERVE);
	ask.ahead_ok = false;
	assert_int_equal(judge(&t, NULL, NOW, &ask), VERDICT_SERVE);
}

static void a_fleet_machine_renews_earlier(void **state)
{
	/* Half the distance between the margins of a one-hour token is
	 * (1,125 - 300) / 2 = 412 s: the machine furthest out (1000) moves
	 * both by all of it, one half-way (500) by 206 s. */
	struct judge_ask ask = { .min_valid = 300, .spread = 1000 };
	struct tokens t = token("a", 3600 - 600, 3600);
	int64_t hard, soft;
	judge_margins(&t, 300, 1000, &hard, &soft);
	assert_int_equal(hard, 712);
	assert_int_equal(soft, 1537);
	assert_int_equal(judge(&t, NULL, NOW, &ask), VERDICT_RENEW);
	ask.spread = 0;
	assert_int_equal(judge(&t, NULL, NOW, &ask), VERDICT_SERVE);
	ask.spread = 500;
	assert_int_equal(judge(&t, NULL, NOW, &ask), VERDICT_SERVE);
	t = token("a", 3600 - 500, 3600);
	assert_int_equal(judge(&t, NULL, NOW, &ask), VERDICT_RENEW);
	/* The soft margin too: renewed behind the caller from 1,537 s left. */
	ask = (struct judge_ask){ .min_valid = 300, .ahead_ok = true, .spread = 1000 };
	t = token("a", 3600 - 1500, 3600);
	assert_int_equal(judge(&t, NULL, NOW, &ask), VERDICT_SERVE_AHEAD);
	ask.spread = 0;
	assert_int_equal(judge(&t, NULL, NOW, &ask), VERDICT_SERVE);
}

static void a_fleet_machine_never_renews_later(void **state)
{
	/* Whatever its place, a machine renews no later than alone, and a
	 * place out of range counts as none. */
	for (int64_t left = 1; left <= 3600; left++) {
		struct tokens t = token("a", 3600 - left, 3600);
		struct judge_ask alone = { .min_valid = 300, .ahead_ok = true };
		enum verdict v0 = judge(&t, NULL, NOW, &alone);
		for (int spread = 0; spread <= 1000; spread += 125) {
			struct judge_ask ask = { .min_valid = 300, .ahead_ok = true, .spread = spread };
			enum verdict v = judge(&t, NULL, NOW, &ask);
			if (v0 == VERDICT_RENEW)
				assert_int_equal(v, VERDICT_RENEW);
			if (v0 == VERDICT_SERVE_AHEAD)
				assert_int_not_equal(v, VERDICT_SERVE);
		}
		struct judge_ask wild = { .min_valid = 300, .ahead_ok = true, .spread = 5000 };
		assert_int_equal(judge(&t, NULL, NOW, &wild), v0);
	}
}

static void times_from_the_future_are_not_believed(void **state)
{
	struct judge_ask ask = { .min_valid = 0 };
	struct tokens t = token("a", -3600, 3600); /* obtained an hour from now */
	assert_int_equal(judge(&t, NULL, NOW, &ask), VERDICT_RENEW);
	t = token("a", -30, 3600); /* within the allowed skew */
	assert_int_equal(judge(&t, NULL, NOW, &ask), VERDICT_SERVE);
}

static void force_renews(void **state)
{
	struct judge_ask ask = { .force = true };
	struct tokens t = token("a", 10, 3600);
	assert_int_equal(judge(&t, NULL, NOW, &ask), VERDICT_RENEW);
	struct token_seen seen = token_seen_of(&t);
	assert_int_equal(judge(&t, &seen, NOW, &ask), VERDICT_RENEW);
}

static void renewed_meanwhile_is_served(void **state)
{
	/* The first look saw a token about to expire; under the lock the store
	 * holds a newer one, short-lived: someone renewed it, use it. */
	struct judge_ask ask = { .min_valid = 300 };
	struct tokens old = token("a", 3500, 3600);
	struct token_seen seen = token_seen_of(&old);
	struct tokens now = token("b", 60, 100); /* 40 s left: under half its life */
	assert_int_equal(judge(&now, NULL, NOW, &ask), VERDICT_RENEW);
	assert_int_equal(judge(&now, &seen, NOW, &ask), VERDICT_SERVE);
}

static void the_same_token_again_is_renewed(void **state)
{
	struct judge_ask ask = { .min_valid = 300 };
	struct tokens old = token("a", 3500, 3600);
	struct token_seen seen = token_seen_of(&old);
	assert_int_equal(judge(&old, &seen, NOW, &ask), VERDICT_RENEW);
}

static void an_older_token_is_no_renewal(void **state)
{
	/* Another machine's older token (a database that would not take ours)
	 * differs from what we saw, but is not newer. */
	struct judge_ask ask = { .min_valid = 300 };
	struct tokens mine = token("a", 100, 3600);
	mine.expires_at = NOW + 100; /* due */
	struct token_seen seen = token_seen_of(&mine);
	struct tokens row = token("b", 3400, 3600);
	assert_int_equal(judge(&row, &seen, NOW, &ask), VERDICT_RENEW);
}

static void renewed_but_expired_is_renewed(void **state)
{
	struct judge_ask ask = { .min_valid = 300 };
	struct tokens old = token("a", 3500, 3600);
	struct token_seen seen = token_seen_of(&old);
	struct tokens now = token("b", 0, 0);
	now.obtained_at = NOW - 5;
	now.expires_at = NOW - 1;
	assert_int_equal(judge(&now, &seen, NOW, &ask), VERDICT_RENEW);
}

static void dead_token_is_never_served(void **state)
{
	struct judge_ask ask = { .dead = "a" };
	struct tokens t = token("a", 10, 3600);
	assert_int_equal(judge(&t, NULL, NOW, &ask), VERDICT_RENEW);
	struct token_seen seen = token_seen_of(&t);
	assert_int_equal(judge(&t, &seen, NOW, &ask), VERDICT_RENEW);
	/* Another one, with time left: someone renewed it after the refusal. */
	struct tokens b = token("b", 5, 3600);
	assert_int_equal(judge(&b, NULL, NOW, &ask), VERDICT_SERVE);
	struct tokens dead_b = token("b", 3700, 3600);
	assert_int_equal(judge(&dead_b, &seen, NOW, &ask), VERDICT_RENEW);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(fresh_is_served),
		cmocka_unit_test(inside_the_margin_is_renewed),
		cmocka_unit_test(expired_or_none_is_renewed),
		cmocka_unit_test(margin_is_at_most_half_the_life),
		cmocka_unit_test(past_the_soft_margin_is_served_ahead),
		cmocka_unit_test(a_fleet_machine_renews_earlier),
		cmocka_unit_test(a_fleet_machine_never_renews_later),
		cmocka_unit_test(times_from_the_future_are_not_believed),
		cmocka_unit_test(force_renews),
		cmocka_unit_test(renewed_meanwhile_is_served),
		cmocka_unit_test(the_same_token_again_is_renewed),
		cmocka_unit_test(an_older_token_is_no_renewal),
		cmocka_unit_test(renewed_but_expired_is_renewed),
		cmocka_unit_test(dead_token_is_never_served),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
