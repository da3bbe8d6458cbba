#include <string.h>

#include "cmd/curl-args.h"
#include "unit.h"

#define SCAN(out, ...) scan_args(out, (char *[]){ __VA_ARGS__, NULL })

static bool scan_args(struct curl_scan *out, char **args)
{
	int n = 0;
	while (args[n])
		n++;
	return curl_args_scan(args, n, out);
}

static void plain(void **state)
{
	struct curl_scan s;
	assert_true(curl_args_scan(NULL, 0, &s));
	assert_true(SCAN(&s, "-sS", "-H", "Content-Type: application/json", "-d", "{\"a\":1}",
		"-X", "POST", "--max-time", "5", "-w", "%{http_code}", "-i", "-L"));
	assert_false(s.reads_stdin || s.output_elsewhere || s.dump_header || s.fail);
	/* Values that look like URLs are values. */
	assert_true(SCAN(&s, "-e", "https://evil.example/", "--proxy", "http://proxy:3128",
		"-x", "http://p", "--doh-url", "https://dns.example/"));
	/* Short options with their value attached, in a cluster. */
	assert_true(SCAN(&s, "-sSXPOST", "-ofile", "-Hx:y"));
	assert_true(s.output_elsewhere);
}

static void second_urls(void **state)
{
	struct curl_scan s;
	assert_false(SCAN(&s, "https://evil.example/"));
	assert_int_equal(s.refused_at, 1);
	assert_false(SCAN(&s, "-sS", "https://evil.example/"));
	assert_int_equal(s.refused_at, 2);
	assert_false(SCAN(&s, "--url", "https://evil.example/"));
	assert_false(SCAN(&s, "--expand-url", "{{u}}"));
	assert_false(SCAN(&s, "-", "x"));
	assert_false(SCAN(&s, "--", "https://evil.example/"));
	assert_true(SCAN(&s, "--"));
	assert_false(SCAN(&s, "-:", "https://evil.example/"));
	assert_false(SCAN(&s, "-s:"));
	assert_false(SCAN(&s, "--next"));
	assert_false(SCAN(&s, "-K", "cfg"));
	assert_false(SCAN(&s, "-sK-"));
	assert_false(SCAN(&s, "--config", "cfg"));
	assert_false(SCAN(&s, "--location-trusted"));
	/* curl's abbreviations of what is refused. */
	assert_false(SCAN(&s, "--location-t"));
	assert_false(SCAN(&s, "--conf", "cfg"));
	assert_false(SCAN(&s, "--nex"));
	/* An option we don't know takes no value: what follows is a URL. */
	assert_false(SCAN(&s, "--outp", "https://evil.example/"));
	assert_non_null(strstr(s.why, "full"));
	assert_false(SCAN(&s, "--socks5-gssapi", "https://evil.example/"));
	/* Values are never quoted. */
	assert_false(SCAN(&s, "https://secret@evil.example/"));
	assert_null(strstr(s.why, "secret"));
}

static void stdin_bodies(void **state)
{
	struct curl_scan s;
	static const char *const reads[][2] = {
		{ "-d", "@-" }, { "--data", "@-" }, { "--data-binary", "@-" }, { "--data-ascii", "@-" },
		{ "--json", "@-" }, { "--data-urlencode", "@-" }, { "--data-urlencode", "text@-" },
		{ "--url-query", "+q@-" }, { "-F", "file=@-" }, { "-F", "file=@-;type=text/plain" },
		{ "--form", "t=<-" }, { "-T", "-" }, { "--upload-file", "." }, { "-H", "@-" },
		{ "--proxy-header", "@-" }, { "-b", "-" }, { "--variable", "v@-" },
		{ "--expand-data", "{{v}}" },
	};
	for (size_t i = 0; i < sizeof(reads) / sizeof(reads[0]); i++) {
		assert_true(SCAN(&s, (char *)reads[i][0], (char *)reads[i][1]));
		if (!s.reads_stdin)
			fail_msg("%s %s reads stdin", reads[i][0], reads[i][1]);
	}
	assert_true(SCAN(&s, "-sSd@-"));
	assert_true(s.reads_stdin);
	static const char *const no[][2] = {
		{ "-d", "@file" }, { "--data-raw", "@-" }, { "-d", "x@-" }, { "--data-urlencode", "a=b@-" },
		{ "-F", "file=@-x" }, { "-F", "a=b" }, { "-T", "file" }, { "-H", "X: @-" },
		{ "-b", "a=b" }, { "--form-string", "a=@-" }, { "-o", "-" },
	};
	for (size_t i = 0; i < sizeof(no) / sizeof(no[0]); i++) {
		assert_true(SCAN(&s, (char *)no[i][0], (char *)no[i][1]));
		if (s.reads_stdin)
			fail_msg("%s %s does not read stdin", no[i][0], no[i][1]);
	}
}

static void outputs(void **state)
{
	struct curl_scan s;
	static const char *const elsewhere[] = { "-O", "-N", "--no-buffer", "--remote-name",
		"--remote-name-all", "-sO", "--no-buf" };
	for (size_t i = 0; i < sizeof(elsewhere) / sizeof(elsewhere[0]); i++) {
		assert_true(SCAN(&s, (char *)elsewhere[i]));
		if (!s.output_elsewhere)
			fail_msg("%s", elsewhere[i]);
	}
	assert_true(SCAN(&s, "-o", "out.json"));
	assert_true(s.output_elsewhere);
	assert_true(SCAN(&s, "-o", "-"));
	assert_false(s.output_elsewhere);
	assert_true(SCAN(&s, "-D", "h.txt"));
	assert_true(s.dump_header);
	assert_true(SCAN(&s, "-#"));
	assert_true(s.progress_bar);
	assert_true(SCAN(&s, "-fsS"));
	assert_true(s.fail);
	assert_true(SCAN(&s, "--fail-with-body"));
	assert_false(s.fail);
	assert_true(SCAN(&s, "-sv"));
	assert_true(s.shows_token);
	assert_true(SCAN(&s, "--trace-ascii", "t"));
	assert_true(s.shows_token);
	assert_true(SCAN(&s, "--libcurl", "x.c"));
	assert_true(s.shows_token);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(plain),
		cmocka_unit_test(second_urls),
		cmocka_unit_test(stdin_bodies),
		cmocka_unit_test(outputs),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
