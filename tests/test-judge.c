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
