#include <stdio.h>
#include <stdlib.h>
#include <stdint.h>
#include <string.h>
#include <unistd.h>

#include "core/log.h"
#include "core/text.h"
#include "unit.h"
#include "zoho/zoho.h"

/* Escape a string literal (sizeof - 1: NULs inside count) into a big buffer. */
#define ESC(lit) escaped(lit, sizeof(lit) - 1)

static const char *escaped(const char *in, size_t len)
{
	static char out[1024];
	size_t n = text_escape(out, sizeof(out), in, len);
	assert_int_equal(n, strlen(out));
	return out;
}

static void printable_text_is_kept(void **state)
{
	assert_string_equal(ESC("plain text, 100% ASCII ~!"), "plain text, 100% ASCII ~!");
	/* é, €, a CJK character, an emoji, NBSP (U+00A0, just past C1). */
	assert_string_equal(ESC("caf\xc3\xa9 \xe2\x82\xac \xe4\xb8\xad \xf0\x9f\x98\x80 \xc2\xa0"),
		"caf\xc3\xa9 \xe2\x82\xac \xe4\xb8\xad \xf0\x9f\x98\x80 \xc2\xa0");
	assert_string_equal(ESC(""), "");
	/* A backslash stays, so that escaping twice changes nothing. */
	assert_string_equal(ESC("C:\\dir \\x1b"), "C:\\dir \\x1b");
}

static void c0_and_del_are_escaped(void **state)
{
	assert_string_equal(ESC("a\x1b[31mb"), "a\\x1b[31mb");
	assert_string_equal(ESC("\x1b]0;title\x07"), "\\x1b]0;title\\x07");
	assert_string_equal(ESC("line\nnext\r\tx"), "line\\nnext\\r\\tx");
	assert_string_equal(ESC("\x01\x08\x1f\x7f"), "\\x01\\x08\\x1f\\x7f");
	assert_string_equal(ESC("a\0b"), "a\\x00b");
}

static void c1_is_escaped_raw_and_encoded(void **state)
{
	/* Raw C1 bytes: CSI, NEL, the first and the last. */
	assert_string_equal(ESC("\x9b" "2J"), "\\x9b" "2J");
	assert_string_equal(ESC("\x80\x85\x9f"), "\\x80\\x85\\x9f");
	/* The same as UTF-8: U+009B, U+0080, U+0085, U+009F. */
	assert_string_equal(ESC("\xc2\x9b" "2J"), "\\u009b" "2J");
	assert_string_equal(ESC("\xc2\x80\xc2\x85\xc2\x9f"), "\\u0080\\u0085\\u009f");
}

static void invalid_utf8_is_escaped_bytewise(void **state)
{
	assert_string_equal(ESC("\xff\xfe"), "\\xff\\xfe");
	assert_string_equal(ESC("\xa0"), "\\xa0");                   /* lone continuation */
	assert_string_equal(ESC("\xc0\xaf"), "\\xc0\\xaf");           /* overlong '/' */
	assert_string_equal(ESC("\xc1\x9b"), "\\xc1\\x9b");           /* overlong CSI */
	assert_string_equal(ESC("\xe0\x82\x9b"), "\\xe0\\x82\\x9b");   /* overlong U+009B */
	assert_string_equal(ESC("\xe0\x80\xaf"), "\\xe0\\x80\\xaf");
	assert_string_equal(ESC("\xf0\x80\x80\xaf"), "\\xf0\\x80\\x80\\xaf");
	assert_string_equal(ESC("\xed\xa0\x80"), "\\xed\\xa0\\x80");   /* a surrogate */
	assert_string_equal(ESC("\xf4\x90\x80\x80"), "\\xf4\\x90\\x80\\x80"); /* > U+10FFFF */
	assert_string_equal(ESC("\xf5\x80\x80\x80"), "\\xf5\\x80\\x80\\x80");
	/* Cut short, at the end or by another character: the start byte is
	 * escaped and what follows is read afresh. */
	assert_string_equal(ESC("\xe2\x82"), "\\xe2\\x82");
	assert_string_equal(ESC("\xe2\x82" "A\xe2\x82\xac"), "\\xe2\\x82" "A\xe2\x82\xac");
	assert_string_equal(ESC("\xc3\x1b"), "\\xc3\\x1b");
	/* The highest code points that are valid. */
	assert_string_equal(ESC("\xf4\x8f\xbf\xbf \xef\xbf\xbd"), "\xf4\x8f\xbf\xbf \xef\xbf\xbd");
}

static void escaping_twice_changes_nothing(void **state)
{
	static const char *const inputs[] = {
		"a\x1b[31mb", "\x9b\xc2\x9b\xff", "caf\xc3\xa9\n", "\\x1b", "\\u009b\\",
	};
	for (size_t i = 0; i < sizeof(inputs) / sizeof(inputs[0]); i++) {
		char once[256], twice[256];
		text_escape(once, sizeof(once), inputs[i], strlen(inputs[i]));
		text_escape(twice, sizeof(twice), once, strlen(once));
		assert_string_equal(once, twice);
	}
}

static void length_is_bounded(void **state)
{
	char out[8];
	memset(out, 'Z', sizeof(out));
	assert_int_equal(text_escape(out, sizeof(out), "abcdefghijkl", 12), 7);
	assert_string_equal(out, "abcd...");
	/* It fits exactly: no dots. */
	assert_int_equal(text_escape(out, sizeof(out), "abcdefg", 7), 7);
	assert_string_equal(out, "abcdefg");
	/* Never half an escape... */
	text_escape(out, sizeof(out), "ab\x1b\x1b", 4);
	assert_string_equal(out, "ab...");
	text_escape(out, sizeof(out), "\x1b\x1b", 2);
	assert_string_equal(out, "\\x1b...");
	text_escape(out, sizeof(out), "a\x1b[31mb", 8);
	assert_string_equal(out, "a...");
	text_escape(out, 5, "\x1b\x1b", 2);
	assert_string_equal(out, "...");
	/* ...nor half a character. */
	text_escape(out, 6, "a\xe2\x82\xac\xe2\x82\xac", 7);
	assert_string_equal(out, "a...");
	text_escape(out, sizeof(out), "a\xe2\x82\xac\xe2\x82\xac", 7);
	assert_string_equal(out, "a\xe2\x82\xac\xe2\x82\xac");
	/* Too small for the dots: cut at a character. */
	assert_int_equal(text_escape(out, 3, "abcdef", 6), 2);
	assert_string_equal(out, "ab");
	assert_int_equal(text_escape(out, 3, "\x1b", 1), 0);
	assert_string_equal(out, "");
	assert_int_equal(text_escape(out, 1, "abc", 3), 0);
	assert_string_equal(out, "");
	out[0] = 'Z';
	assert_int_equal(text_escape(out, 0, "abc", 3), 0);
	assert_int_equal(out[0], 'Z');
}

/* Whether s is valid UTF-8 holding no control character (C0, DEL, C1). */
static bool safe_for_terminal(const unsigned char *s, size_t len)
{
	for (size_t i = 0; i < len;) {
		unsigned c = s[i];
		if (c < 0x20 || c == 0x7f)
			return false;
		if (c < 0x80) {
			i++;
			continue;
		}
		size_t n = c >= 0xf0 ? 4 : c >= 0xe0 ? 3 : c >= 0xc2 ? 2 : 0;
		if (n == 0 || c > 0xf4 || i + n > len)
			return false;
		unsigned cp = c & (0x7f >> n);
		for (size_t k = 1; k < n; k++) {
			if ((s[i + k] & 0xc0) != 0x80)
				return false;
			cp = cp << 6 | (s[i + k] & 0x3f);
		}
		if ((n == 3 && cp < 0x800) || (n == 4 && (cp < 0x10000 || cp > 0x10ffff)) ||
				(cp >= 0xd800 && cp <= 0xdfff) || (cp >= 0x80 && cp <= 0x9f))
			return false;
		i += n;
	}
	return true;
}

static void random_bytes_come_out_safe(void **state)
{
	/* Bytes from a fixed LCG, biased towards the interesting ranges. */
	static const unsigned char pool[] = { 0x00, 0x07, 0x0a, 0x1b, 0x20, 0x41, 0x5c, 0x7f, 0x80,
		0x9b, 0x9f, 0xa0, 0xbf, 0xc0, 0xc2, 0xdf, 0xe0, 0xed, 0xef, 0xf0, 0xf4, 0xf5, 0xff };
	unsigned long x = 12345;
	for (int round = 0; round < 20000; round++) {
		unsigned char in[16];
		char out[TEXT_ESCAPE_MAX(sizeof(in))];
		size_t len = (size_t)(round % (int)sizeof(in));
		for (size_t i = 0; i < len; i++) {
			x = x * 6364136223846793005UL + 1442695040888963407UL;
			in[i] = (x >> 33) & 1 ? pool[(x >> 40) % sizeof(pool)] : (unsigned char)(x >> 48);
		}
		size_t n = text_escape(out, sizeof(out), (const char *)in, len);
		assert_int_equal(n, strlen(out));
		assert_true(n < sizeof(out));
		assert_true(safe_for_terminal((const unsigned char *)out, n));
		/* Nothing was cut: the bound holds. */
		char roomy[2 * sizeof(out)];
		text_escape(roomy, sizeof(roomy), (const char *)in, len);
		assert_string_equal(out, roomy);
		/* Small buffers stay safe and terminated too. */
		char small[7];
		n = text_escape(small, sizeof(small), (const char *)in, len);
		assert_true(n < sizeof(small) && n == strlen(small));
		assert_true(safe_for_terminal((const unsigned char *)small, n));
	}
}

static void printable_copy_escapes(void **state)
{
	char out[16];
	printable_copy(out, sizeof(out), "a\x1b[31mb");
	assert_string_equal(out, "a\\x1b[31mb");
	printable_copy(out, 8, "abcdefghijkl");
	assert_string_equal(out, "abcd...");
	printable_copy(out, sizeof(out), NULL);
	assert_string_equal(out, "");
	char big[64];
	printable_copy(big, sizeof(big), "Access \xc2\x9b" "Denied\x9b \xc3\xa9");
	assert_string_equal(big, "Access \\u009bDenied\\x9b \xc3\xa9");
}

/* What the log layer wrote to stderr while fn ran. */
static char *capture_stderr(void (*fn)(void))
{
	fflush(stderr);
	FILE *tmp = tmpfile();
	assert_non_null(tmp);
	int saved = dup(STDERR_FILENO);
	assert_true(saved >= 0);
	assert_true(dup2(fileno(tmp), STDERR_FILENO) >= 0);
	fn();
	fflush(stderr);
	assert_true(dup2(saved, STDERR_FILENO) >= 0);
	close(saved);
	assert_int_equal(fseek(tmp, 0, SEEK_END), 0);
	long size = ftell(tmp);
	assert_true(size >= 0);
	char *text = calloc(1, (size_t)size + 1);
	assert_non_null(text);
	rewind(tmp);
	assert_int_equal(fread(text, 1, (size_t)size, tmp), (size_t)size);
	fclose(tmp);
	return text;
}

static void distance_counts_edits(void **state)
{
	(void)state;
	assert_int_equal(text_distance("token", 5, "token"), 0);
	assert_int_equal(text_distance("TOKEN", 5, "token"), 0);   /* case is free */
	assert_int_equal(text_distance("tokn", 4, "token"), 1);    /* a letter left out */
	assert_int_equal(text_distance("tkoen", 5, "token"), 1);   /* two swapped */
	assert_int_equal(text_distance("tokens", 6, "token"), 1);
	assert_int_equal(text_distance("", 0, "curl"), 4);
	assert_int_equal(text_distance("status", 6, "revoke"), 6);
	char longer[80];
	memset(longer, 'a', sizeof(longer) - 1);
	longer[sizeof(longer) - 1] = '\0';
	assert_true(text_distance(longer, strlen(longer), "a") == SIZE_MAX);
	assert_true(text_near("lock-timout", 11, "lock-timeout"));
	assert_false(text_near("xyzzyq", 6, "token"));
	assert_false(text_near("a", 1, "b"));   /* every letter changed is no suggestion */
}

static void log_some(void)
{
	log_set_level(LOG_VERBOSE);
	log_debug("listener: refused a request for host '%s'", "localhost:1\x1b[2J\x9b" "1m\xc2\x9b");
	log_warn("zoho said: %s", "line one\nline two\ttab");
	/* Longer than the log layer's first buffer. */
	char long_text[1500];
	memset(long_text, 'x', sizeof(long_text) - 1);
	long_text[sizeof(long_text) - 1] = '\0';
	long_text[1000] = '\x1b';
	log_error("%s", long_text);
	log_set_level(LOG_NORMAL);
}

static void log_layer_escapes_every_message(void **state)
{
	char *text = capture_stderr(log_some);
	const char *first = "zoho-oauth: debug: listener: refused a request for host "
		"'localhost:1\\x1b[2J\\x9b" "1m\\u009b'\n";
	const char *second = "zoho-oauth: warning: zoho said: line one\\nline two\\ttab\n";
	assert_memory_equal(text, first, strlen(first));
	assert_memory_equal(text + strlen(first), second, strlen(second));
	const char *third = text + strlen(first) + strlen(second);
	assert_memory_equal(third, "zoho-oauth: error: xxx", 22);
	assert_int_equal(strlen(third), strlen("zoho-oauth: error: ") + 1499 + 3 + 1);
	assert_memory_equal(third + strlen("zoho-oauth: error: ") + 1000, "\\x1bxxx", 7);
	/* Every line is whole, with the only raw newline at its end. */
	assert_int_equal(third[strlen(third) - 1], '\n');
	for (const char *p = text; *p; p++)
		assert_true(*p == '\n' || ((unsigned char)*p >= 0x20 && *p != 0x7f &&
			(unsigned char)*p != 0x9b));
	free(text);
}

/* Wrapping (what a terminal gets): at spaces, within the width, the lines
 * after the first indented by two; a wide word whole on its own line;
 * nothing at width 0 (a pipe). */
static const char *wrapped(const char *text, size_t width)
{
	static char out[1024];
	size_t n = log_wrap(text, width, out, sizeof(out));
	assert_int_equal(n, strlen(out));
	return out;
}

static void messages_wrap_at_spaces(void **state)
{
	(void)state;
	const char *text = "zoho-oauth: error: the quick brown fox jumps over the lazy dog";
	assert_string_equal(wrapped(text, 0), text);
	assert_string_equal(wrapped(text, 80), text);
	assert_string_equal(wrapped(text, 30),
		"zoho-oauth: error: the quick\n  brown fox jumps over the\n  lazy dog");
	/* Exactly the width fits. */
	assert_string_equal(wrapped("aaaa bbbb cccc", 9), "aaaa bbbb\n  cccc");
	/* A URL wider than a line is never cut. */
	assert_string_equal(wrapped("open https://accounts.zoho.com/oauth/v2/auth?x=1 now", 20),
		"open\n  https://accounts.zoho.com/oauth/v2/auth?x=1\n  now");
	/* A command in quotes stays whole, to be copied; an apostrophe is no quote. */
	assert_string_equal(wrapped("sign in with 'zoho-oauth login -p work' first", 20),
		"sign in with\n  'zoho-oauth login -p work'\n  first");
	assert_string_equal(wrapped("the README's list of roles", 16),
		"the README's\n  list of roles");
	/* Two spaces at a break go; the message's own leading spaces stay. */
	assert_string_equal(wrapped("  one  two", 6), "  one\n  two");
	/* UTF-8 counts by characters: four "é" take four columns. */
	assert_string_equal(wrapped("\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9 ab", 7),
		"\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9 ab");
	/* Every line of a long message is within 80 columns. */
	char line[600] = "zoho-oauth: error: ";
	while (strlen(line) < 500)
		strcat(line, "word ");
	const char *w = wrapped(line, 80);
	for (const char *p = w; *p;) {
		size_t n = strcspn(p, "\n");
		assert_true(n <= 80);
		p += n + (p[n] == '\n');
		if (p[0])
			assert_memory_equal(p, "  w", 3);
	}
	/* Too small a buffer: cut, terminated, the length needed returned. */
	char small[8];
	assert_int_equal(log_wrap(text, 30, small, sizeof(small)), strlen(wrapped(text, 30)));
	assert_string_equal(small, "zoho-oa");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(printable_text_is_kept),
		cmocka_unit_test(c0_and_del_are_escaped),
		cmocka_unit_test(c1_is_escaped_raw_and_encoded),
		cmocka_unit_test(invalid_utf8_is_escaped_bytewise),
		cmocka_unit_test(escaping_twice_changes_nothing),
		cmocka_unit_test(length_is_bounded),
		cmocka_unit_test(random_bytes_come_out_safe),
		cmocka_unit_test(printable_copy_escapes),
		cmocka_unit_test(log_layer_escapes_every_message),
		cmocka_unit_test(distance_counts_edits),
		cmocka_unit_test(messages_wrap_at_spaces),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
