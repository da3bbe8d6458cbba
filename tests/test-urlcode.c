#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/urlcode.h"
#include "unit.h"

static void encode_keeps_unreserved(void **state)
{
	struct buf b = { 0 };
	assert_true(url_encode_append(&b, "AZaz09-._~"));
	assert_string_equal(b.data, "AZaz09-._~");
	buf_finish(&b);
}

static void encode_escapes_the_rest(void **state)
{
	struct buf b = { 0 };
	assert_true(url_encode_append(&b, "a b,c/d?e&f=g+h%\xc3\xa9"));
	assert_string_equal(b.data, "a%20b%2Cc%2Fd%3Fe%26f%3Dg%2Bh%25%C3%A9");
	buf_finish(&b);
}

static void form_joins_pairs(void **state)
{
	struct buf b = { 0 };
	assert_true(form_add(&b, "grant_type", "authorization_code"));
	assert_true(form_add(&b, "redirect_uri", "http://localhost:8976/callback"));
	assert_string_equal(b.data, "grant_type=authorization_code&"
		"redirect_uri=http%3A%2F%2Flocalhost%3A8976%2Fcallback");
	buf_finish(&b);
}

static bool parse(const char *q, struct query_field *f, size_t n, char *why)
{
	return query_parse(q, strlen(q), f, n, why, 160);
}

static void query_decodes(void **state)
{
	struct query_field f[] = { { "a", 64, NULL }, { "b-c", 64, NULL }, { "absent", 8, NULL } };
	char why[160];
	assert_true(parse("a=x%2Fy+z&unknown=1&&b-c=%41%62&", f, 3, why));
	assert_string_equal(f[0].value, "x/y z");
	assert_string_equal(f[1].value, "Ab");
	assert_null(f[2].value);
	query_fields_finish(f, 3);
}

static void query_key_without_value(void **state)
{
	struct query_field f[] = { { "a", 64, NULL } };
	char why[160];
	assert_true(parse("a", f, 1, why));
	assert_string_equal(f[0].value, "");
	query_fields_finish(f, 1);
}

static void query_rejects(void **state)
{
	static const char *const bad[] = {
		"a=%4",          /* cut short */
		"a=%zz",         /* not hex */
		"a=%00",         /* encoded NUL */
		"a=x%0Ay",       /* encoded newline */
		"a=1&a=2",       /* duplicate known key */
		"a=12345678901", /* over the limit (10) */
		"a=%",
		"x=%g0",         /* bad escape in an unknown key's value still counts */
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		struct query_field f[] = { { "a", 10, NULL } };
		char why[160] = "";
		assert_false(parse(bad[i], f, 1, why));
		assert_null(f[0].value);
		assert_true(why[0] != '\0');
	}
}

static void query_rejects_raw_nul(void **state)
{
	struct query_field f[] = { { "a", 10, NULL } };
	char why[160];
	assert_false(query_parse("a=b\0c", 5, f, 1, why, sizeof(why)));
}

static void query_bounds_pairs_and_length(void **state)
{
	struct query_field f[] = { { "a", 10, NULL } };
	char why[160];
	char *many = malloc(65 * 4 + 1);
	char *p = many;
	for (int i = 0; i < 65; i++)
		p += sprintf(p, "x=1&");
	assert_false(parse(many, f, 1, why));
	free(many);

	char *big = malloc(9000);
	memset(big, 'x', 8999);
	big[8999] = '\0';
	assert_false(parse(big, f, 1, why));
	free(big);
}

static void origin_parses(void **state)
{
	struct origin o;
	const char *rest;
	assert_true(origin_parse("https://accounts.zoho.eu", &o, &rest));
	assert_string_equal(o.scheme, "https");
	assert_string_equal(o.host, "accounts.zoho.eu");
	assert_int_equal(o.port, -1);
	assert_string_equal(rest, "");
	assert_false(o.loopback);

	assert_true(origin_parse("http://[::1]:8976/cb?x", &o, &rest));
	assert_string_equal(o.host, "[::1]");
	assert_int_equal(o.port, 8976);
	assert_true(o.loopback);
	assert_string_equal(rest, "/cb?x");

	assert_true(origin_parse("HTTP://LocalHost:1/", &o, &rest));
	assert_true(o.loopback);
}

static void origin_rejects(void **state)
{
	static const char *const bad[] = {
		"ftp://x", "http://", "http://user@host", "http://host:0", "http://host:65536",
		"http://host:08976", "http://host:port", "http://[::1", "http://ho st", "//host",
		"http://-host", "http://host\\evil",
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		struct origin o;
		const char *rest;
		assert_false(origin_parse(bad[i], &o, &rest));
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(encode_keeps_unreserved),
		cmocka_unit_test(encode_escapes_the_rest),
		cmocka_unit_test(form_joins_pairs),
		cmocka_unit_test(query_decodes),
		cmocka_unit_test(query_key_without_value),
		cmocka_unit_test(query_rejects),
		cmocka_unit_test(query_rejects_raw_nul),
		cmocka_unit_test(query_bounds_pairs_and_length),
		cmocka_unit_test(origin_parses),
		cmocka_unit_test(origin_rejects),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
