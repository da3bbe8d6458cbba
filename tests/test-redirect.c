#include <string.h>

#include "unit.h"
#include "zoho/redirect.h"

static void localhost_listens_on_both(void **state)
{
	struct redirect r;
	char why[512];
	assert_true(redirect_parse("http://localhost:8976/callback", &r, why, sizeof(why)));
	assert_string_equal(r.host, "localhost");
	assert_int_equal(r.port, 8976);
	assert_string_equal(r.path, "/callback");
	assert_true(r.listen_v4);
	assert_true(r.listen_v6);
	assert_true(redirect_host_matches(&r, "localhost:8976"));
	assert_true(redirect_host_matches(&r, "LOCALHOST:8976"));
	assert_false(redirect_host_matches(&r, "localhost"));
	assert_false(redirect_host_matches(&r, "127.0.0.1:8976"));
	assert_false(redirect_host_matches(&r, "evil.example:8976"));
	assert_false(redirect_host_matches(&r, NULL));
}

static void literal_addresses(void **state)
{
	struct redirect r;
	char why[512];
	assert_true(redirect_parse("http://127.0.0.1:9000/cb/", &r, why, sizeof(why)));
	assert_true(r.listen_v4);
	assert_false(r.listen_v6);
	assert_string_equal(r.path, "/cb/");
	assert_true(redirect_parse("http://[::1]:9000", &r, why, sizeof(why)));
	assert_false(r.listen_v4);
	assert_true(r.listen_v6);
	assert_string_equal(r.path, "/");
	assert_true(redirect_host_matches(&r, "[::1]:9000"));
}

static void refused(void **state)
{
	static const struct {
		const char *uri;
		const char *words;
	} bad[] = {
		{ "https://localhost:8976/callback", "plain http" },
		{ "http://example.com:8976/callback", "not on this machine" },
		{ "http://0.0.0.0:8976/callback", "not on this machine" },
		{ "http://127.0.0.2:8976/callback", "not on this machine" },
		{ "http://localhost/callback", "no port" },
		{ "http://localhost:8976/call back", "path" },
		{ "http://localhost:8976/callback?x=1", "path" },
		{ "http://localhost:8976/callback#x", "path" },
		{ "http://localhost:8976/a%20b", "path" },
		{ "localhost:8976/callback", "not an http URL" },
		{ "http://user@localhost:8976/", "not an http URL" },
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		struct redirect r;
		char why[512] = "";
		assert_false(redirect_parse(bad[i].uri, &r, why, sizeof(why)));
		if (!strstr(why, bad[i].words))
			fail_msg("%s: '%s' lacks '%s'", bad[i].uri, why, bad[i].words);
	}
}

static void pasted(void **state)
{
	struct redirect r;
	char why[256];
	const char *q;
	assert_true(redirect_parse("http://localhost:8976/callback", &r, why, sizeof(why)));
	assert_true(redirect_match_pasted(&r, "http://localhost:8976/callback?state=s&code=c", &q,
		why, sizeof(why)));
	assert_string_equal(q, "state=s&code=c");
	assert_true(redirect_match_pasted(&r, "HTTP://LocalHost:8976/callback?x", &q, why, sizeof(why)));
	static const char *const bad[] = {
		"http://localhost:8976/callback",          /* no query */
		"http://localhost:8977/callback?x",         /* other port */
		"http://127.0.0.1:8976/callback?x",         /* other host */
		"http://localhost:8976/Callback?x",         /* path is case-sensitive */
		"http://localhost:8976/callback/?x",
		"https://localhost:8976/callback?x",
		"http://localhost:8976/callback?x#frag",
		"state=s&code=c",
		"",
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		if (redirect_match_pasted(&r, bad[i], &q, why, sizeof(why)))
			fail_msg("accepted: %s", bad[i]);
	assert_true(redirect_parse("http://[::1]:9000", &r, why, sizeof(why)));
	assert_true(redirect_match_pasted(&r, "http://[::1]:9000/?state=s", &q, why, sizeof(why)));
	assert_true(redirect_match_pasted(&r, "http://[::1]:9000?state=s", &q, why, sizeof(why)));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(localhost_listens_on_both),
		cmocka_unit_test(literal_addresses),
		cmocka_unit_test(refused),
		cmocka_unit_test(pasted),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
