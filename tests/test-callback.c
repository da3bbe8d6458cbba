#include <stdio.h>
#include <string.h>

#include "signin/callback.h"
#include "unit.h"

#define STATE "s0m3-St4te_abcdefghijklmnopqrstuvwxyz01234"

static enum callback_verdict parse(const char *q, struct callback *cb, char *why)
{
	return callback_parse(q, strlen(q), STATE, cb, why, 160);
}

static void code_with_state(void **state)
{
	struct callback cb;
	char why[160];
	assert_int_equal(parse("state=" STATE "&code=1000.abc.def&location=eu&"
		"accounts-server=https%3A%2F%2Faccounts.zoho.eu", &cb, why), CALLBACK_CODE);
	assert_string_equal(cb.code, "1000.abc.def");
	assert_string_equal(cb.location, "eu");
	assert_string_equal(cb.accounts_server, "https://accounts.zoho.eu");
	assert_null(cb.error);
	callback_finish(&cb);
}

static void error_with_state(void **state)
{
	struct callback cb;
	char why[160];
	assert_int_equal(parse("error=access_denied&state=" STATE, &cb, why), CALLBACK_ERROR);
	assert_string_equal(cb.error, "access_denied");
	assert_null(cb.code);
	callback_finish(&cb);
}

static void bad_shapes(void **state)
{
	static const char *const bad[] = {
		"code=1000.abc",                                   /* no state */
		"state=wrong&code=1000.abc",                       /* wrong state */
		"state=" STATE "x&code=1000.abc",                  /* longer state */
		"state=s0m3-St4te_abcdefghijklmnopqrstuvwxyz01235&code=1", /* last char off */
		"state=t0m3-St4te_abcdefghijklmnopqrstuvwxyz01234&code=1", /* first char off */
		"state=" STATE,                                    /* neither code nor error */
		"state=" STATE "&code=",                           /* empty code */
		"state=" STATE "&code=a%20b",                      /* space in code */
		"state=" STATE "&code=a<b",                        /* odd character */
		"state=" STATE "&code=1&code=2",                   /* duplicate code */
		"state=" STATE "&state=" STATE "&code=1",          /* duplicate state */
		"state=" STATE "&code=1&error=access_denied",      /* both */
		"state=" STATE "&code=1%00",                       /* encoded NUL */
		"state=" STATE "&error=%C3%A9",                    /* non-ASCII error */
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		struct callback cb;
		char why[160] = "";
		assert_int_equal(parse(bad[i], &cb, why), CALLBACK_BAD);
		assert_null(cb.code);
		assert_true(why[0] != '\0');
	}
}

static void odd_location_is_dropped(void **state)
{
	struct callback cb;
	char why[160];
	assert_int_equal(parse("state=" STATE "&code=1&location=E%3Cu", &cb, why), CALLBACK_CODE);
	assert_null(cb.location);
	callback_finish(&cb);
}

static void overlong_code(void **state)
{
	char q[2200];
	struct callback cb;
	char why[160];
	int n = snprintf(q, sizeof(q), "state=%s&code=", STATE);
	memset(q + n, 'a', 1100);
	q[n + 1100] = '\0';
	assert_int_equal(parse(q, &cb, why), CALLBACK_BAD);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(code_with_state),
		cmocka_unit_test(error_with_state),
		cmocka_unit_test(bad_shapes),
		cmocka_unit_test(odd_location_is_dropped),
		cmocka_unit_test(overlong_code),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
