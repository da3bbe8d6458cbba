#include <string.h>

#include "signin/pkce.h"
#include "unit.h"

/* RFC 7636, appendix B. */
static void rfc7636_example(void **state)
{
	char challenge[PKCE_CHALLENGE_LEN + 1];
	pkce_challenge("dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk", challenge);
	assert_string_equal(challenge, "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM");
}

static void fresh_values(void **state)
{
	struct pkce a, b;
	assert_true(pkce_init(&a));
	assert_true(pkce_init(&b));
	assert_int_equal(strlen(a.state), PKCE_STATE_LEN);
	assert_int_equal(strlen(a.verifier), PKCE_VERIFIER_LEN);
	assert_true(strlen(a.verifier) >= 43 && strlen(a.verifier) <= 128);
	assert_int_equal(strspn(a.verifier, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
		"0123456789-_"), PKCE_VERIFIER_LEN);
	assert_string_not_equal(a.state, b.state);
	assert_string_not_equal(a.verifier, b.verifier);
	char c[PKCE_CHALLENGE_LEN + 1];
	pkce_challenge(a.verifier, c);
	assert_string_equal(c, a.challenge);
	pkce_finish(&a);
	assert_int_equal(a.state[0], '\0');
}

static void base64url(void **state)
{
	char out[16];
	assert_int_equal(base64url_encode(out, (const unsigned char *)"\xfb\xff", 2), 3);
	assert_string_equal(out, "-_8");
}

static void constant_time_equal(void **state)
{
	assert_true(secret_equal("abc", "abc"));
	assert_false(secret_equal("abc", "abd"));
	assert_false(secret_equal("abc", "abcd"));
	assert_false(secret_equal("", "a"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(rfc7636_example),
		cmocka_unit_test(fresh_values),
		cmocka_unit_test(base64url),
		cmocka_unit_test(constant_time_equal),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
