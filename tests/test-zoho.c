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
	/* The UAE: not on Zoho's Accounts pages, of the documented pattern. */
	const struct zoho_dc *ae = zoho_dc_by_location("AE");
	assert_non_null(ae);
	assert_string_equal(ae->accounts, "https://accounts.zoho.ae");
	assert_string_equal(ae->api, "https://www.zohoapis.ae");
	assert_string_equal(ae->cliq, "https://cliq.zoho.ae");
	assert_string_equal(ae->console, "https://api-console.zoho.ae");
	assert_ptr_equal(zoho_dc_by_accounts("https://accounts.zoho.ae"), ae);
	assert_true(zoho_api_domain_ok("https://www.zohoapis.ae", "https://accounts.zoho.ae"));
}

static void accounts_shape(void **state)
{
	/* A Zoho accounts host the table may lack: said as such, never
	 * trusted for that. */
	assert_true(zoho_accounts_shape("https://accounts.zoho.sg"));
	assert_true(zoho_accounts_shape("https://accounts.zoho.com.br/"));
	assert_true(zoho_accounts_shape("https://accounts.zohocloud.us"));
	assert_true(zoho_accounts_shape("https://accounts.zoho.eu"));
	assert_false(zoho_accounts_server_trusted("https://accounts.zoho.sg", "https://accounts.zoho.com"));
	assert_false(zoho_accounts_shape("http://accounts.zoho.sg"));
	assert_false(zoho_accounts_shape("https://accounts.zoho.sg:8443"));
	assert_false(zoho_accounts_shape("https://accounts.zoho.sg/x"));
	assert_false(zoho_accounts_shape("https://accounts.zoho.evil.com"));
	assert_false(zoho_accounts_shape("https://accounts.zoho.s1"));
	assert_false(zoho_accounts_shape("https://evil.com"));
	assert_false(zoho_accounts_shape(NULL));
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

static void cliq_hosts(void **state)
{
	/* Every data centre has a Cliq host, named after its accounts host. */
	static const char *const expected[][2] = {
		{ "us", "https://cliq.zoho.com" }, { "eu", "https://cliq.zoho.eu" },
		{ "in", "https://cliq.zoho.in" }, { "au", "https://cliq.zoho.com.au" },
		{ "jp", "https://cliq.zoho.jp" }, { "ca", "https://cliq.zohocloud.ca" },
		{ "sa", "https://cliq.zoho.sa" }, { "uk", "https://cliq.zoho.uk" },
		{ "cn", "https://cliq.zoho.com.cn" }, { "ae", "https://cliq.zoho.ae" },
	};
	for (size_t i = 0; i < sizeof(expected) / sizeof(expected[0]); i++) {
		const struct zoho_dc *dc = zoho_dc_by_location(expected[i][0]);
		assert_non_null(dc);
		assert_string_equal(zoho_service_origin(dc, "cliq"), expected[i][1]);
		assert_string_equal(zoho_service_origin(dc, "api"), dc->api);
	}
	assert_null(zoho_service_origin(zoho_dc_by_location("eu"), "crm"));
	assert_null(zoho_service_origin(NULL, "cliq"));
	assert_true(zoho_service_known("cliq"));
	assert_false(zoho_service_known("Cliq"));
	/* A profile's data centre: its accounts server's, else its location
	 * unless the server is loopback. */
	assert_string_equal(zoho_dc_of("https://accounts.zoho.eu", "us")->location, "eu");
	assert_string_equal(zoho_dc_of("https://accounts.example.net", "jp")->location, "jp");
	assert_null(zoho_dc_of("http://127.0.0.1:4000", "us"));
	assert_null(zoho_dc_of(NULL, NULL));
}

static void token_urls(void **state)
{
	const struct zoho_dc *eu = zoho_dc_by_location("eu");
	const char *zoho = "https://accounts.zoho.eu", *mock = "http://127.0.0.1:4000";
	const char *api = "https://www.zohoapis.eu";
	const char *extra[] = { "api.example.org", "localhost" };
	char host[64];
	static const char *const ok[] = {
		"https://www.zohoapis.eu/crm/v2/Leads", "https://cliq.zoho.eu/api/v2/channels",
		"https://CLIQ.ZOHO.EU", "https://cliq.zoho.eu:443/x", "https://cliq.zoho.eu?x=1",
		"https://cliq.zoho.eu#f", "https://api.example.org:8443/v1", "http://localhost:9/x",
	};
	for (size_t i = 0; i < sizeof(ok) / sizeof(ok[0]); i++)
		if (zoho_token_url_check(ok[i], eu, api, zoho, extra, 2, host, sizeof(host)) != ZOHO_URL_OK)
			fail_msg("refused %s", ok[i]);
	static const char *const foreign[] = {
		"https://cliq.zoho.com/x", "https://www.zohoapis.com/x", "https://cliq.zoho.eu.evil.com/",
		"https://cliq.zoho.eu./x", "https://cliq.zoho.eu:8443/x", "https://evil.com/",
		"https://zohoapis.eu/", "http://127.0.0.1:4001/x", "https://[::1]/x",
	};
	for (size_t i = 0; i < sizeof(foreign) / sizeof(foreign[0]); i++)
		if (zoho_token_url_check(foreign[i], eu, api, zoho, NULL, 0, host, sizeof(host)) !=
				ZOHO_URL_FOREIGN)
			fail_msg("did not refuse %s as foreign", foreign[i]);
	assert_int_equal(zoho_token_url_check("https://evil.com/x", eu, api, zoho, NULL, 0, host,
		sizeof(host)), ZOHO_URL_FOREIGN);
	assert_string_equal(host, "evil.com");
	static const char *const malformed[] = {
		"https://www.zohoapis.eu@evil.com/", "https://user@cliq.zoho.eu/", "ftp://cliq.zoho.eu/",
		"cliq.zoho.eu/x", "https://cliq.zoho.eu\\@evil.com/", "https://cliq.zoho.eu%2f@evil.com",
		"https://cliq.zoho.eu:0/", "https://{a,b}.zoho.eu/", "https://[cliq.zoho.eu]/", "",
	};
	for (size_t i = 0; i < sizeof(malformed) / sizeof(malformed[0]); i++)
		if (zoho_token_url_check(malformed[i], eu, api, zoho, extra, 2, host, sizeof(host)) !=
				ZOHO_URL_MALFORMED)
			fail_msg("did not refuse %s as malformed", malformed[i]);
	/* Plain http only on loopback, whoever allowed the host. */
	assert_int_equal(zoho_token_url_check("http://cliq.zoho.eu/", eu, api, zoho, NULL, 0, host,
		sizeof(host)), ZOHO_URL_INSECURE);
	assert_int_equal(zoho_token_url_check("http://api.example.org/", eu, api, zoho, extra, 2,
		host, sizeof(host)), ZOHO_URL_INSECURE);
	/* api_domain's host counts when it passes its own check, as for a user
	 * of a multi-DC client who lives in another data centre. */
	assert_int_equal(zoho_token_url_check("https://www.zohoapis.com/x", eu,
		"https://www.zohoapis.com", zoho, NULL, 0, host, sizeof(host)), ZOHO_URL_OK);
	assert_int_equal(zoho_token_url_check("https://evil.com/x", eu, "https://evil.com", zoho,
		NULL, 0, host, sizeof(host)), ZOHO_URL_FOREIGN);
	/* Beside a loopback test server: loopback hosts, and no data centre. */
	assert_int_equal(zoho_token_url_check("http://127.0.0.1:4001/x", NULL,
		"http://127.0.0.1:4001", mock, NULL, 0, host, sizeof(host)), ZOHO_URL_OK);
	assert_int_equal(zoho_token_url_check("http://[::1]:4001/x", NULL, NULL, mock, NULL, 0, host,
		sizeof(host)), ZOHO_URL_OK);
	assert_int_equal(zoho_token_url_check("https://cliq.zoho.eu/x", NULL, NULL, mock, NULL, 0,
		host, sizeof(host)), ZOHO_URL_FOREIGN);
}

static void explanations(void **state)
{
	char line[512];
	zoho_error_explain(ZOHO_ERR_INVALID_CODE, GRANT_AUTHORIZATION_CODE, NULL, "x", line, sizeof(line));
	assert_non_null(strstr(line, "expired or was already used"));
	/* Revoked; the command to run is the caller's, which knows the profile. */
	zoho_error_explain(ZOHO_ERR_INVALID_CODE, GRANT_REFRESH, NULL, "x", line, sizeof(line));
	assert_non_null(strstr(line, "revoked"));
	assert_null(strstr(line, "zoho-oauth login"));
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
		cmocka_unit_test(accounts_shape),
		cmocka_unit_test(accounts_url),
		cmocka_unit_test(trusted_servers),
		cmocka_unit_test(scopes),
		cmocka_unit_test(bad_scopes),
		cmocka_unit_test(consent_url),
		cmocka_unit_test(errors),
		cmocka_unit_test(api_domains),
		cmocka_unit_test(cliq_hosts),
		cmocka_unit_test(token_urls),
		cmocka_unit_test(explanations),
		cmocka_unit_test(printable),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
