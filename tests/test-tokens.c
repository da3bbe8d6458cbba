#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "core/util.h"
#include "unit.h"
#include "zoho/tokens.h"

#define NOW 1700000000

static void parse(const char *body, struct token_answer *ans)
{
	tokens_parse_answer(body, strlen(body), NOW, ans);
}

static void full_answer(void **state)
{
	struct token_answer a;
	parse("{\"access_token\":\"1000.a\",\"refresh_token\":\"1000.r\",\"api_domain\":"
		"\"https://www.zohoapis.eu\",\"token_type\":\"Bearer\",\"expires_in\":3600,"
		"\"scope\":\"ZohoCliq.Channels.READ\",\"id_token\":\"x\"}", &a);
	assert_int_equal(a.kind, ANSWER_TOKENS);
	assert_string_equal(a.tokens.access_token, "1000.a");
	assert_string_equal(a.tokens.refresh_token, "1000.r");
	assert_string_equal(a.tokens.api_domain, "https://www.zohoapis.eu");
	assert_int_equal(a.tokens.expires_at, NOW + 3600);
	assert_int_equal(a.tokens.obtained_at, NOW);
	tokens_finish(&a.tokens);
}

static void refresh_answer_has_no_refresh_token(void **state)
{
	struct token_answer a;
	parse("{\"access_token\":\"1000.a\",\"expires_in\":3600}", &a);
	assert_int_equal(a.kind, ANSWER_TOKENS);
	assert_null(a.tokens.refresh_token);
	assert_string_equal(a.tokens.token_type, "Bearer");
	tokens_finish(&a.tokens);
}

static void legacy_milliseconds(void **state)
{
	struct token_answer a;
	parse("{\"access_token\":\"1000.a\",\"expires_in\":3600000,\"expires_in_sec\":3600}", &a);
	assert_int_equal(a.kind, ANSWER_TOKENS);
	assert_int_equal(a.tokens.expires_at, NOW + 3600);
	tokens_finish(&a.tokens);
}

static void error_answers(void **state)
{
	struct token_answer a;
	parse("{\"error\":\"invalid_code\"}", &a);
	assert_int_equal(a.kind, ANSWER_ERROR);
	assert_int_equal(a.error, ZOHO_ERR_INVALID_CODE);

	parse("{\"error_description\":\"You have made too many requests continuously. Please try "
		"again after some time.\",\"error\":\"Access Denied\",\"status\":\"failure\"}", &a);
	assert_int_equal(a.kind, ANSWER_ERROR);
	assert_int_equal(a.error, ZOHO_ERR_THROTTLED);

	/* An error wins over anything else in the answer. */
	parse("{\"access_token\":\"1000.a\",\"expires_in\":3600,\"error\":\"invalid_client\"}", &a);
	assert_int_equal(a.kind, ANSWER_ERROR);
	assert_int_equal(a.error, ZOHO_ERR_INVALID_CLIENT);

	parse("{\"error\":\"strange\\u001b[2J\"}", &a);
	assert_int_equal(a.kind, ANSWER_ERROR);
	assert_int_equal(a.error, ZOHO_ERR_OTHER);
	assert_string_equal(a.error_text, "strange\\x1b[2J");
}

static void invalid_answers(void **state)
{
	static const char *const bad[] = {
		"",
		"<html><body>502</body></html>",
		"{\"access_token\":\"1000.a\",\"expires_in\":36",          /* truncated */
		"[1,2]",
		"{}",
		"{\"expires_in\":3600}",                                    /* no token */
		"{\"access_token\":\"1000.a\"}",                            /* no expiry */
		"{\"access_token\":42,\"expires_in\":3600}",                /* wrong type */
		"{\"access_token\":\"1000.a\",\"expires_in\":\"3600\"}",    /* wrong type */
		"{\"access_token\":\"1000.a\",\"expires_in\":-5}",
		"{\"access_token\":\"1000.a\",\"expires_in\":1.5}",
		"{\"access_token\":\"1000.a\",\"expires_in\":1e300}",
		"{\"access_token\":\"\",\"expires_in\":3600}",
		"{\"access_token\":\"a b\",\"expires_in\":3600}",
		"{\"access_token\":\"1000.a\",\"expires_in\":3600,\"refresh_token\":7}",
		"{\"access_token\":\"1000.a\",\"expires_in\":3600} trailing",
		"{\"access_token\":\"1000.a\",\"expires_in\":3600,\"expires_in_sec\":\"x\"}",
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		struct token_answer a;
		parse(bad[i], &a);
		if (a.kind != ANSWER_INVALID)
			fail_msg("accepted: %s", bad[i]);
		assert_true(a.why[0] != '\0');
		assert_null(a.tokens.access_token);
	}
}

static void error_description_kept(void **state)
{
	struct token_answer a;
	parse("{\"error\":\"Access Denied\",\"error_description\":\"Too many\\u001b[2J\"}", &a);
	assert_int_equal(a.kind, ANSWER_ERROR);
	assert_int_equal(a.error, ZOHO_ERR_THROTTLED);
	assert_string_equal(a.error_description, "Too many\\x1b[2J");
	parse("{\"error\":\"invalid_code\"}", &a);
	assert_string_equal(a.error_description, "");
}

/* The api_domain is judged once the accounts server is known: an answer
 * with a strange one still carries usable tokens. */
static void api_domain_judged_with_server(void **state)
{
	struct token_answer a;
	parse("{\"access_token\":\"1000.a\",\"expires_in\":3600,\"api_domain\":\"javascript:x\"}",
		&a);
	assert_int_equal(a.kind, ANSWER_TOKENS);
	tokens_check_api_domain(&a.tokens, "https://accounts.zoho.com");
	assert_null(a.tokens.api_domain);
	assert_string_equal(a.tokens.access_token, "1000.a");
	tokens_finish(&a.tokens);
	parse("{\"access_token\":\"1000.a\",\"expires_in\":3600,\"api_domain\":"
		"\"https://www.zohoapis.eu\"}", &a);
	tokens_check_api_domain(&a.tokens, "https://accounts.zoho.eu");
	assert_string_equal(a.tokens.api_domain, "https://www.zohoapis.eu");
	tokens_finish(&a.tokens);
}

static void times_not_believed(void **state)
{
	struct tokens t = { .obtained_at = NOW - 600, .expires_at = NOW + 3000 };
	assert_int_equal(tokens_time_left(&t, NOW), 3000);
	assert_int_equal(tokens_time_left(&t, NOW + 2800), 200);
	/* Written by a clock an hour ahead: its remaining life exceeds its
	 * lifetime. Treated as expired, never served. */
	t.obtained_at = NOW + 3600;
	t.expires_at = NOW + 7200;
	assert_int_equal(tokens_time_left(&t, NOW), 0);
	/* A little skew is fine. */
	t.obtained_at = NOW + 30;
	t.expires_at = NOW + 3630;
	assert_int_equal(tokens_time_left(&t, NOW), 3630);
	/* Expiring before it was obtained. */
	t.obtained_at = NOW;
	t.expires_at = NOW - 1;
	assert_int_equal(tokens_time_left(&t, NOW), 0);
	/* (The margins, at most half a token's lifetime: test-judge.c.) */
}

/* What a clock stuck in 1970 wrote reads back, and is merely expired. */
static void old_clock_round_trip(void **state)
{
	struct tokens t = {
		.access_token = "1000.a", .token_type = "Bearer", .client_id = "1000.C",
		.client_secret = "s", .accounts_server = "https://accounts.zoho.com",
		.expires_at = 3600, .obtained_at = 0, .throttled_until = 600,
	};
	char *json = tokens_to_json(&t);
	assert_non_null(json);
	struct tokens back;
	char why[160];
	assert_true(tokens_from_json(json, strlen(json), &back, why, sizeof(why)));
	assert_int_equal(back.expires_at, 3600);
	assert_int_equal(back.obtained_at, 0);
	assert_int_equal(back.throttled_until, 600);
	assert_int_equal(tokens_time_left(&back, NOW), 0);
	tokens_finish(&back);
	secret_free(json);
	/* What can't be read back is not written. */
	t.accounts_server = "ftp://x";
	assert_null(tokens_to_json(&t));
}

static void serializes_all_fields(void **state)
{
	struct tokens t = {
		.access_token = "1000.a", .refresh_token = NULL, .token_type = "Bearer",
		.api_domain = "https://www.zohoapis.com", .scope = "A.b.READ", .client_id = "1000.C",
		.client_secret = "s\"ecret", .accounts_server = "https://accounts.zoho.com",
		.location = "us", .expires_at = 4102444800LL, .obtained_at = NOW,
	};
	char *json = tokens_to_json(&t);
	assert_non_null(json);
	assert_int_equal(json[strlen(json) - 1], '\n');
	json_t *root = json_loads(json, 0, NULL);
	assert_non_null(root);
	assert_true(json_is_null(json_object_get(root, "refresh_token")));
	assert_string_equal(json_string_value(json_object_get(root, "client_secret")), "s\"ecret");
	/* Past 2038 and still a whole number. */
	assert_non_null(strstr(json, "4102444800"));
	assert_true(json_integer_value(json_object_get(root, "obtained_at")) == NOW);
	json_decref(root);
	secret_free(json);
}

/* The redirect URI a browser login used is kept for the next one: written
 * when known, read back, absent from older files, and checked. */
static void redirect_uri_round_trip(void **state)
{
	struct tokens t = {
		.access_token = "1000.a", .token_type = "Bearer", .client_id = "1000.C",
		.client_secret = "s", .accounts_server = "https://accounts.zoho.com",
		.expires_at = NOW + 3600, .obtained_at = NOW,
	};
	struct tokens back;
	char why[160];
	char *json = tokens_to_json(&t);
	assert_non_null(json);
	assert_null(strstr(json, "redirect_uri"));
	assert_true(tokens_from_json(json, strlen(json), &back, why, sizeof(why)));
	assert_null(back.redirect_uri);
	tokens_finish(&back);
	secret_free(json);

	t.redirect_uri = "http://localhost:8976/callback";
	json = tokens_to_json(&t);
	assert_non_null(json);
	assert_true(tokens_from_json(json, strlen(json), &back, why, sizeof(why)));
	assert_string_equal(back.redirect_uri, "http://localhost:8976/callback");
	tokens_finish(&back);
	secret_free(json);

	/* Not a loopback redirect URI: refused, so never written. */
	t.redirect_uri = "https://example.com/cb";
	assert_null(tokens_to_json(&t));
}

int main(void)
{
	tokens_init_json();
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(full_answer),
		cmocka_unit_test(refresh_answer_has_no_refresh_token),
		cmocka_unit_test(legacy_milliseconds),
		cmocka_unit_test(error_answers),
		cmocka_unit_test(invalid_answers),
		cmocka_unit_test(error_description_kept),
		cmocka_unit_test(api_domain_judged_with_server),
		cmocka_unit_test(times_not_believed),
		cmocka_unit_test(old_clock_round_trip),
		cmocka_unit_test(serializes_all_fields),
		cmocka_unit_test(redirect_uri_round_trip),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
