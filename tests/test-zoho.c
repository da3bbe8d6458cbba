#include <stdlib.h>
#include <string.h>

#include "unit.h"
#include "zoho/zoho.h"

static void dc_table(void **state)
{
	assert_string_equal(zoho_dc_by_location("us")->accounts, "https://accounts.zoho.com");
	/* The two irregular hosts. */
	assert_string_equal(zoho_dc_by_location("ca")->accounts, "https://accounts.zohocloud.ca");
	assert_string_equal(zoho_dc_by_location("au")->accounts, "https://accounts.zoho.com.au");
	assert_string_equal(zoho_dc_by_location("cn")->api, "https://www.zohoapis.com.cn");
	assert_null(zoho_dc_by_location("xx"));
	assert_null(zoho_dc_by_location(NULL));
	assert_string_equal(zoho_dc_by_accounts("https://ACCOUNTS.zoho.eu/")->location, "eu");
	assert_null(zoho_dc_by_accounts("http://accounts.zoho.eu"));
	assert_null(zoho_dc_by_accounts("https://accounts.zoho.eu.evil.com"));
}

static void accounts_url(void **state)
{
	char *out = NULL;
	char why[512];
	assert_true(zoho_accounts_url_check("https://accounts.zoho.eu/", &out, why, sizeof(why)));
	assert_string_equal(out, "https://accounts.zoho.eu");
	free(out);
	assert_true(zoho_accounts_url_check("http://127.0.0.1:4444", &out, why, sizeof(why)));
	free(out);
	assert_false(zoho_accounts_url_check("http://accounts.zoho.eu", &out, why, sizeof(why)));
	assert_non_null(strstr(why, "https"));
	assert_false(zoho_accounts_url_check("https://accounts.zoho.eu/oauth", &out, why, sizeof(why)));
	assert_false(zoho_accounts_url_check("accounts.zoho.eu", &out, why, sizeof(why)));
}

static void trusted_servers(void **state)
{
	const char *mine = "http://127.0.0.1:4444";
	assert_true(zoho_accounts_server_trusted("https://accounts.zoho.in", mine));
	assert_true(zoho_accounts_server_trusted("http://127.0.0.1:4444/", mine));
	assert_false(zoho_accounts_server_trusted("http://127.0.0.1:4445", mine));
	assert_false(zoho_accounts_server_trusted("http://accounts.zoho.in", mine));
	assert_false(zoho_accounts_server_trusted("https://accounts.zoho.in.evil.com", mine));
	assert_false(zoho_accounts_server_trusted("https://evil.com/https://accounts.zoho.in", mine));
	assert_false(zoho_accounts_server_trusted(NULL, mine));
}

static void scopes(void **state)
{
	const char *items[] = { "ZohoCliq.Channels.READ,ZohoCliq.Messages.CREATE",
		"ZohoCRM.settings.modules.READ", "ZohoCliq.Channels.READ", "openid", "ZohoBooks.fullaccess.all" };
	char *out = NULL;
	char why[512];
	assert_true(zoho_scope_join(items, 5, &out, why, sizeof(why)));
	assert_string_equal(out, "ZohoCliq.Channels.READ,ZohoCliq.Messages.CREATE,"
		"ZohoCRM.settings.modules.READ,openid,ZohoBooks.fullaccess.all");
	free(out);
}

static void bad_scopes(void **state)
{
	static const struct {
		const char *scope;
		const char *words;
	} bad[] = {
		{ "ZohoCliq.Channels.READ ZohoCliq.Messages.CREATE", "space" },
		{ "ZohoCliq.Channels", "missing a part" },
		{ "ZohoCliq.Channels.", "missing its operation" },
		{ "ZohoCliq..READ", "empty part" },
		{ "ZohoCliq.Channels.REED", "not an operation" },
		{ "ZohoCliq.Channels.READ,,ZohoCliq.Users.READ", "empty item" },
		{ "ZohoCliq.Chan\"nels.READ", "contains" },
		{ "", "empty item" },
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		char *out = NULL;
		char why[512] = "";
		assert_false(zoho_scope_join(&bad[i].scope, 1, &out, why, sizeof(why)));
		if (!strstr(why, bad[i].words))
			fail_msg("'%s': '%s' lacks '%s'", bad[i].scope, why, bad[i].words);
	}
}

static void consent_url(void **state)
{
	struct buf b = { 0 };
	struct consent_request req = {
		.accounts = "https://accounts.zoho.eu",
		.client_id = "1000.ABC",
		.redirect_uri = "http://localhost:8976/callback",
		.scope = "ZohoCliq.Channels.READ,ZohoCliq.Messages.CREATE",
		.offline = true,
		.consent_prompt = true,
		.state = "st",
		.code_challenge = "ch",
	};
	assert_true(zoho_consent_url(&req, &b));
	assert_string_equal(b.data, "https://accounts.zoho.eu/oauth/v2/auth?response_type=code&"
		"client_id=1000.ABC&scope=ZohoCliq.Channels.READ%2CZohoCliq.Messages.CREATE&"
		"redirect_uri=http%3A%2F%2Flocalhost%3A8976%2Fcallback&access_type=offline&"
		"prompt=consent&state=st&code_challenge=ch&code_challenge_method=S256");
	buf_finish(&b);

	req.offline = false;
	req.consent_prompt = false;
	req.code_challenge = NULL;
	assert_true(zoho_consent_url(&req, &b));
	assert_null(strstr(b.data, "prompt="));
	assert_null(strstr(b.data, "code_challenge"));
	assert_non_null(strstr(b.data, "access_type=online"));
	buf_finish(&b);
}

static void errors(void **state)
{
	assert_int_equal(zoho_error_classify("invalid_code", NULL, NULL), ZOHO_ERR_INVALID_CODE);
	assert_int_equal(zoho_error_classify("invalid_client", NULL, NULL), ZOHO_ERR_INVALID_CLIENT);
	assert_int_equal(zoho_error_classify("invalid_client_secret", NULL, NULL),
		ZOHO_ERR_INVALID_CLIENT_SECRET);
	assert_int_equal(zoho_error_classify("invalid_redirect_uri", NULL, NULL),
		ZOHO_ERR_INVALID_REDIRECT_URI);
	/* The throttle, in English and in another language. */
	assert_int_equal(zoho_error_classify("Access Denied", "You have made too many requests "
		"continuously.", "failure"), ZOHO_ERR_THROTTLED);
	assert_int_equal(zoho_error_classify("Zugriff verweigert", "Zu viele Anfragen.", "failure"),
		ZOHO_ERR_THROTTLED);
	/* A machine code with status failure is not the throttle. */
	assert_int_equal(zoho_error_classify("invalid_scope", "x", "failure"), ZOHO_ERR_OTHER);
	/* ... and without the status: the error text is enough. */
	assert_int_equal(zoho_error_classify("Access Denied", "You have made too many requests "
		"continuously.", NULL), ZOHO_ERR_THROTTLED);
	assert_int_equal(zoho_error_classify("Access Denied", NULL, NULL), ZOHO_ERR_THROTTLED);
	assert_int_equal(zoho_error_classify("access denied", NULL, NULL), ZOHO_ERR_THROTTLED);
	/* Words alone, in another language, say too little. */
	assert_int_equal(zoho_error_classify("Zugriff verweigert", NULL, NULL), ZOHO_ERR_OTHER);
	assert_int_equal(zoho_error_classify("", "x", "failure"), ZOHO_ERR_OTHER);
	assert_int_equal(zoho_error_classify(NULL, NULL, NULL), ZOHO_ERR_OTHER);
}

static void api_domains(void **state)
{
	const char *zoho = "https://accounts.zoho.eu";
	const char *mock = "http://127.0.0.1:4000";
	assert_true(zoho_api_domain_ok("https://www.zohoapis.eu", zoho));
	assert_true(zoho_api_domain_ok("https://www.zohoapis.com.au/", zoho));
	assert_true(zoho_api_domain_ok("https://WWW.ZohoAPIs.ca", zoho));
	/* Any data centre's: a multi-DC client's user may live elsewhere. */
	assert_true(zoho_api_domain_ok("https://www.zohoapis.com", zoho));
	static const char *const bad[] = {
		"http://www.zohoapis.eu", "https://www.zohoapis.eu.evil.com", "https://evil.com",
		"https://user@www.zohoapis.eu", "https://www.zohoapis.eu:8443", "https://www.zohoapis.eu/x",
		"javascript:alert(1)", "https://zohoapis.eu", "https://www.zohoapis.xx", "",
		"http://127.0.0.1:4000",
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		if (zoho_api_domain_ok(bad[i], zoho))
			fail_msg("accepted %s", bad[i]);
	/* Loopback only beside a loopback accounts server (the tests' mock). */
	assert_true(zoho_api_domain_ok("http://127.0.0.1:4001", mock));
	assert_true(zoho_api_domain_ok("https://www.zohoapis.com", mock));
	assert_false(zoho_api_domain_ok("https://evil.com", mock));
	assert_false(zoho_api_domain_ok(NULL, mock));
}

static void explanations(void **state)
{
	char line[512];
	zoho_error_explain(ZOHO_ERR_INVALID_CODE, GRANT_AUTHORIZATION_CODE, NULL, "x", line, sizeof(line));
	assert_non_null(strstr(line, "expired or was already used"));
	zoho_error_explain(ZOHO_ERR_INVALID_CODE, GRANT_REFRESH, NULL, "x", line, sizeof(line));
	assert_non_null(strstr(line, "login"));
	zoho_error_explain(ZOHO_ERR_INVALID_CLIENT, GRANT_AUTHORIZATION_CODE, NULL,
		"https://accounts.zoho.com", line, sizeof(line));
	assert_non_null(strstr(line, "data centre"));
	assert_non_null(strstr(line, "https://accounts.zoho.com"));
	zoho_error_explain(ZOHO_ERR_THROTTLED, GRANT_REFRESH, NULL, "x", line, sizeof(line));
	assert_non_null(strstr(line, "10 minutes"));
	zoho_error_explain(ZOHO_ERR_OTHER, GRANT_REFRESH, "weird_error", "x", line, sizeof(line));
	assert_non_null(strstr(line, "weird_error"));
}

static void printable(void **state)
{
	char out[16];
	/* Escaped visibly (core/text.h; test-text has the details). */
	printable_copy(out, sizeof(out), "a\x1b[31mb");
	assert_string_equal(out, "a\\x1b[31mb");
	printable_copy(out, 8, "abcdefghijkl");
	assert_string_equal(out, "abcd...");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(dc_table),
		cmocka_unit_test(accounts_url),
		cmocka_unit_test(trusted_servers),
		cmocka_unit_test(scopes),
		cmocka_unit_test(bad_scopes),
		cmocka_unit_test(consent_url),
		cmocka_unit_test(errors),
		cmocka_unit_test(api_domains),
		cmocka_unit_test(explanations),
		cmocka_unit_test(printable),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
