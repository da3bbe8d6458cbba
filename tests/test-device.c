#include <string.h>

#include "signin/device.h"
#include "unit.h"
#include "zoho/tokens.h"

static void start(const char *body, struct device_start_answer *a)
{
	device_parse_start(body, strlen(body), a);
}

static void documented_answer(void **state)
{
	struct device_start_answer a;
	start("{\"user_code\":\"ABCD-EFGH\",\"device_code\":\"1004.dc.xyz\",\"interval\":5000,"
		"\"verification_url\":\"https://accounts.zoho.com/oauth/v3/device\","
		"\"expires_in\":300000}", &a);
	assert_int_equal(a.kind, ANSWER_TOKENS);
	assert_string_equal(a.start.user_code, "ABCD-EFGH");
	assert_string_equal(a.start.device_code, "1004.dc.xyz");
	assert_int_equal(a.start.interval_ms, 5000);
	assert_int_equal(a.start.expires_ms, 300000);
	assert_null(a.start.verification_uri_complete);
	device_start_finish(&a.start);
}

static void seconds_too(void **state)
{
	struct device_start_answer a;
	start("{\"user_code\":\"A\",\"device_code\":\"d\",\"interval\":5,\"expires_in\":300,"
		"\"verification_uri\":\"https://accounts.zoho.eu/oauth/v3/device\","
		"\"verification_uri_complete\":\"https://accounts.zoho.eu/oauth/v3/device?c=A\"}", &a);
	assert_int_equal(a.kind, ANSWER_TOKENS);
	assert_int_equal(a.start.interval_ms, 5000);
	assert_int_equal(a.start.expires_ms, 300000);
	assert_string_equal(a.start.verification_url, "https://accounts.zoho.eu/oauth/v3/device");
	assert_non_null(a.start.verification_uri_complete);
	device_start_finish(&a.start);

	/* No interval or expiry: 5 s and 5 minutes. A tiny interval is raised
	 * to one second, a huge one capped. */
	start("{\"user_code\":\"A\",\"device_code\":\"d\",\"verification_url\":"
		"\"https://accounts.zoho.com/x\"}", &a);
	assert_int_equal(a.start.interval_ms, 5000);
	assert_int_equal(a.start.expires_ms, 300000);
	device_start_finish(&a.start);
	start("{\"user_code\":\"A\",\"device_code\":\"d\",\"interval\":200,\"verification_url\":"
		"\"https://accounts.zoho.com/x\"}", &a);
	assert_int_equal(a.start.interval_ms, 1000);
	device_start_finish(&a.start);
}

static void refused_shapes(void **state)
{
	static const char *const bad[] = {
		"not json",
		"{\"device_code\":\"d\",\"verification_url\":\"https://a.zoho.com/x\"}",
		"{\"user_code\":\"A\",\"verification_url\":\"https://a.zoho.com/x\"}",
		"{\"user_code\":\"A\",\"device_code\":\"d\"}",
		"{\"user_code\":\"A\",\"device_code\":\"d\",\"verification_url\":\"http://evil.com/x\"}",
		"{\"user_code\":\"A\",\"device_code\":\"d\",\"verification_url\":\"javascript:x\"}",
		"{\"user_code\":\"A B\",\"device_code\":\"d\",\"verification_url\":\"https://a.zoho.com/x\"}",
		"{\"user_code\":\"A\",\"device_code\":\"d\",\"verification_url\":\"https://a.zoho.com/x\","
			"\"interval\":\"5\"}",
		"{\"user_code\":\"A\",\"device_code\":\"d\",\"verification_url\":\"https://a.zoho.com/x\","
			"\"expires_in\":-1}",
		"{\"user_code\":\"A\",\"device_code\":\"d\",\"verification_url\":\"https://a.zoho.com/x\","
			"\"verification_uri_complete\":\"ftp://x\"}",
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		struct device_start_answer a;
		start(bad[i], &a);
		if (a.kind != ANSWER_INVALID)
			fail_msg("accepted: %s", bad[i]);
		assert_null(a.start.device_code);
	}
	struct device_start_answer a;
	start("{\"error\":\"invalid_client\"}", &a);
	assert_int_equal(a.kind, ANSWER_ERROR);
	assert_int_equal(a.error, ZOHO_ERR_INVALID_CLIENT);
}

static enum device_poll_kind poll_kind(const char *body, struct device_poll *p)
{
	device_parse_poll(body, strlen(body), 1700000000, p);
	return p->kind;
}

static void poll_answers(void **state)
{
	struct device_poll p;
	assert_int_equal(poll_kind("{\"error\":\"authorization_pending\"}", &p), POLL_PENDING);
	assert_int_equal(poll_kind("{\"error\":\"slow_down\"}", &p), POLL_SLOW_DOWN);
	assert_int_equal(poll_kind("{\"error\":\"access_denied\"}", &p), POLL_DENIED);
	assert_int_equal(poll_kind("{\"error\":\"expired\"}", &p), POLL_EXPIRED);
	assert_int_equal(poll_kind("{\"error\":\"other_dc\",\"user_location\":\"eu\"}", &p), POLL_OTHER_DC);
	assert_string_equal(p.location, "eu");
	assert_int_equal(poll_kind("{\"error\":\"other_dc\"}", &p), POLL_INVALID);
	assert_int_equal(poll_kind("{\"error\":\"other_dc\",\"user_location\":7}", &p), POLL_INVALID);
	assert_int_equal(poll_kind("{\"error\":\"invalid_client_secret\"}", &p), POLL_ERROR);
	assert_int_equal(p.error, ZOHO_ERR_INVALID_CLIENT_SECRET);
	assert_int_equal(poll_kind("{\"access_token\":\"1000.a\",\"expires_in\":3600,"
		"\"refresh_token\":\"1000.r\"}", &p), POLL_TOKENS);
	assert_string_equal(p.answer.tokens.refresh_token, "1000.r");
	tokens_finish(&p.answer.tokens);
	assert_int_equal(poll_kind("{\"access_token\":5}", &p), POLL_INVALID);
	assert_int_equal(poll_kind("<html>", &p), POLL_INVALID);
}

int main(void)
{
	tokens_init_json();
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(documented_answer),
		cmocka_unit_test(seconds_too),
		cmocka_unit_test(refused_shapes),
		cmocka_unit_test(poll_answers),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
