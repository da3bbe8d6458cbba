/* The command line (settings/cli.c): options before the command are the
 * same options as after it, and where that can't run, the usage error. */
#include <string.h>

#include "core/exit-status.h"
#include "settings/cli.h"
#include "unit.h"

/* Parse a command line (argv without the program's name), quietly. */
static int parse(const char *const *args, struct cli *out)
{
	char *argv[32] = { "zoho-oauth" };
	int argc = 1;
	for (; args[argc - 1]; argc++)
		argv[argc] = (char *)args[argc - 1];
	return cli_parse(argc, argv, out, true);
}

static void assert_same(const struct cli *a, const struct cli *b)
{
	assert_int_equal(a->cmd, b->cmd);
	assert_true(a->given == b->given);
	assert_int_equal(a->verbosity, b->verbosity);
	assert_int_equal(a->min_valid, b->min_valid);
	assert_true((a->profile == NULL) == (b->profile == NULL));
	if (a->profile)
		assert_string_equal(a->profile, b->profile);
	assert_true((a->token_file == NULL) == (b->token_file == NULL));
	if (a->token_file)
		assert_string_equal(a->token_file, b->token_file);
}

static void options_before_are_options_after(void **state)
{
	static const struct {
		const char *before[8];
		const char *after[8];
	} same[] = {
		{ { "-p", "work", "token" }, { "token", "-p", "work" } },
		{ { "--profile", "work", "status" }, { "status", "--profile", "work" } },
		{ { "--profile=work", "-q", "header" }, { "header", "--profile=work", "-q" } },
		{ { "--token-file", "x.json", "-vv", "token" }, { "token", "--token-file", "x.json", "-vv" } },
		{ { "-v", "--min-valid", "60", "token", "-p", "w" },
			{ "token", "-v", "--min-valid", "60", "-p", "w" } },
	};
	for (size_t i = 0; i < sizeof(same) / sizeof(same[0]); i++) {
		struct cli a, b;
		assert_int_equal(parse(same[i].before, &a), -1);
		assert_int_equal(parse(same[i].after, &b), -1);
		assert_same(&a, &b);
	}
	struct cli c;
	const char *served[] = { "-p", "work", "token", NULL };
	const char *names[] = { "profile", NULL };
	assert_int_equal(parse(served, &c), -1);
	assert_int_equal(c.cmd, CMD_TOKEN);
	assert_true(cli_only(&c, names));
}

static void curl_after_options_before(void **state)
{
	struct cli c;
	const char *args[] = { "-p", "cliq", "curl", "--service", "cliq", "/api/v2/channels", "-sS",
		NULL };
	assert_int_equal(parse(args, &c), -1);
	assert_int_equal(c.cmd, CMD_CURL);
	assert_string_equal(c.profile, "cliq");
	assert_string_equal(c.service, "cliq");
	assert_int_equal(c.n_curl_args, 2);
	assert_string_equal(c.curl_args[0], "/api/v2/channels");
	assert_string_equal(c.curl_args[1], "-sS");
}

static void usage_errors_before_the_command(void **state)
{
	static const char *const wrong[][6] = {
		{ "--json", "token" },                      /* not token's */
		{ "--client-secret", "s3cr3t", "token" },   /* never on the command line */
		{ "--client-secret=s3cr3t" },
		{ "-p", "work" },                           /* no command */
		{ "-q" },
		{ "-p" },                                   /* no value */
		{ "--frob", "token" },                      /* unknown option */
		{ "-p", "work", "frob" },                   /* unknown command */
		{ "--", "token" },
		{ "--json", "help", "status" },             /* not help's either */
	};
	for (size_t i = 0; i < sizeof(wrong) / sizeof(wrong[0]); i++) {
		struct cli c;
		assert_int_equal(parse(wrong[i], &c), ZO_USAGE);
	}
}

static void help_and_version_before_the_command(void **state)
{
	static const char *const done[][5] = {
		{ "--help", "token" },
		{ "-p", "work", "--help" },
		{ "-q", "help", "token" },
		{ "-v", "--version" },
		{ "-p", "work", "--version", "status" },
	};
	for (size_t i = 0; i < sizeof(done) / sizeof(done[0]); i++) {
		struct cli c;
		assert_int_equal(parse(done[i], &c), ZO_OK);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(options_before_are_options_after),
		cmocka_unit_test(curl_after_options_before),
		cmocka_unit_test(usage_errors_before_the_command),
		cmocka_unit_test(help_and_version_before_the_command),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
