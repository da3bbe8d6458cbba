/* Settings resolution (settings/): the profile handle, its absolute token
 * path and what is derived from it, the waits, and the config file's
 * problems scoped to their section. */
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/exit-status.h"
#include "core/handoff.h"
#include "settings/cli.h"
#include "settings/settings.h"
#include "settings/waits.h"
#include "unit.h"

static char root[PATH_MAX];

static void write_file(const char *path, const char *text)
{
	FILE *f = fopen(path, "w");
	assert_non_null(f);
	fputs(text, f);
	fclose(f);
}

static void config(const char *text)
{
	char path[PATH_MAX + 64];
	snprintf(path, sizeof(path), "%s/config/zoho-oauth", root);
	mkdir(path, 0700);
	snprintf(path, sizeof(path), "%s/config/zoho-oauth/config", root);
	write_file(path, text);
}

/* Resolve a command line (argv without the program's name). */
static int resolve(struct settings *s, const char *const *args, const struct handoff *h)
{
	char *argv[32] = { "zoho-oauth" };
	int argc = 1;
	for (; args[argc - 1]; argc++)
		argv[argc] = (char *)args[argc - 1];
	struct cli cli;
	assert_int_equal(cli_parse(argc, argv, &cli, true), -1);
	struct handoff none = HANDOFF_NONE;
	return settings_resolve(&cli, h ? h : &none, s);
}

static int setup(void **state)
{
	char tmpl[] = "/tmp/zoho-oauth-resolve-XXXXXX";
	assert_non_null(mkdtemp(tmpl));
	snprintf(root, sizeof(root), "%s", tmpl);
	char path[PATH_MAX + 16];
	snprintf(path, sizeof(path), "%s/data", root);
	mkdir(path, 0700);
	setenv("XDG_DATA_HOME", path, 1);
	snprintf(path, sizeof(path), "%s/config", root);
	mkdir(path, 0700);
	setenv("XDG_CONFIG_HOME", path, 1);
	setenv("HOME", root, 1);
	unsetenv("XDG_RUNTIME_DIR");
	unsetenv("ZOHO_OAUTH_PROFILE");
	unsetenv("ZOHO_OAUTH_TOKEN_FILE");
	unsetenv("ZOHO_CLIENT_ID");
	assert_int_equal(chdir(root), 0);
	return 0;
}

static int teardown(void **state)
{
	char cmd[PATH_MAX + 16];
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", root);
	assert_int_equal(system(cmd), 0);
	return 0;
}

static void default_profile_path(void **state)
{
	struct settings s;
	const char *args[] = { "token", NULL };
	assert_int_equal(resolve(&s, args, NULL), ZO_OK);
	char want[PATH_MAX + 64];
	snprintf(want, sizeof(want), "%s/data/zoho-oauth/default.json", root);
	assert_string_equal(s.profile.name, "default");
	assert_string_equal(s.profile.token_path, want);
	assert_false(s.profile.path_given);
	char hint[PROFILE_HINT_MAX];
	profile_command(&s.profile, "login", NULL, hint, sizeof(hint));
	assert_string_equal(hint, "zoho-oauth login");
	settings_finish(&s);
}

static void relative_token_file_is_absolute(void **state)
{
	struct settings a, b;
	char dir[PATH_MAX + 16];
	snprintf(dir, sizeof(dir), "%s/project-a", root);
	mkdir(dir, 0700);
	assert_int_equal(chdir(dir), 0);
	const char *args[] = { "token", "--token-file", "./sub/../tok.json", "-p", "dev", NULL };
	assert_int_equal(resolve(&a, args, NULL), ZO_OK);
	char want[PATH_MAX + 64];
	snprintf(want, sizeof(want), "%s/project-a/tok.json", root);
	assert_string_equal(a.profile.token_path, want);
	assert_true(a.profile.path_given);
	/* The same name in another project is another profile: another cache,
	 * another lock. */
	snprintf(dir, sizeof(dir), "%s/project-b", root);
	mkdir(dir, 0700);
	assert_int_equal(chdir(dir), 0);
	const char *args_b[] = { "token", "--token-file", "tok.json", "-p", "dev", NULL };
	assert_int_equal(resolve(&b, args_b, NULL), ZO_OK);
	char ca[PATH_MAX], cb[PATH_MAX], la[PATH_MAX], lb[PATH_MAX];
	assert_true(profile_cache_path(&a.profile, ca, sizeof(ca)));
	assert_true(profile_cache_path(&b.profile, cb, sizeof(cb)));
	assert_string_not_equal(ca, cb);
	assert_true(profile_lock_path(&a.profile, la, sizeof(la)));
	assert_true(profile_lock_path(&b.profile, lb, sizeof(lb)));
	assert_string_not_equal(la, lb);
	/* Every hint names the profile and the file. */
	char hint[PROFILE_HINT_MAX], expect[PROFILE_HINT_MAX];
	profile_command(&a.profile, "revoke --local", NULL, hint, sizeof(hint));
	snprintf(expect, sizeof(expect), "zoho-oauth revoke --local --profile dev --token-file %s",
		want);
	assert_string_equal(hint, expect);
	settings_finish(&a);
	settings_finish(&b);
	assert_int_equal(chdir(root), 0);
}

static void stdout_only_for_signins(void **state)
{
	struct settings s;
	const char *token[] = { "token", "--token-file", "-", NULL };
	assert_int_equal(resolve(&s, token, NULL), ZO_USAGE);
	settings_finish(&s);
	const char *login[] = { "login", "--token-file", "-", NULL };
	assert_int_equal(resolve(&s, login, NULL), ZO_OK);
	assert_true(s.to_stdout);
	settings_finish(&s);
}

static void waits_from_line_config_defaults_and_front(void **state)
{
	struct settings s;
	const char *plain[] = { "token", NULL };
	assert_int_equal(resolve(&s, plain, NULL), ZO_OK);
	assert_int_equal(s.profile.waits.max_time, 30);
	assert_int_equal(s.profile.waits.lock_timeout, 35); /* max time + 5 */
	settings_finish(&s);

	config("[profile default]\nlock_timeout = 60\nkeyring_timeout = 7\n");
	assert_int_equal(resolve(&s, plain, NULL), ZO_OK);
	assert_int_equal(s.profile.waits.lock_timeout, 60);
	assert_int_equal(s.profile.waits.keyring_timeout, 7);
	settings_finish(&s);

	const char *line[] = { "token", "--lock-timeout", "9", NULL };
	assert_int_equal(resolve(&s, line, NULL), ZO_OK);
	assert_int_equal(s.profile.waits.lock_timeout, 9);
	settings_finish(&s);

	/* The front waited 4 s of them already. */
	struct handoff h = HANDOFF_NONE;
	h.waited_ms = 4200;
	assert_int_equal(resolve(&s, line, &h), ZO_OK);
	assert_int_equal(s.profile.waits.lock_timeout, 5);
	assert_int_equal(s.profile.waits.lock_waited, 4);
	settings_finish(&s);
	config("");
}

static void another_sections_problem_is_not_ours(void **state)
{
	struct settings s;
	config("[profile good]\nclient_id = 1000.GOOD\nlock_timeout = 12\n\n"
		"[profile bad]\nscpoe = ZohoCliq.Channels.READ\nlock_timeout = soon\n");
	const char *token[] = { "token", "-p", "good", NULL };
	assert_int_equal(resolve(&s, token, NULL), ZO_OK);
	assert_string_equal(s.profile.client_id, "1000.GOOD");
	assert_int_equal(s.profile.waits.lock_timeout, 12);
	assert_null(s.profile.waits_broken);
	settings_finish(&s);
	/* A sign-in of good is not stopped by bad's mistakes either. */
	const char *login[] = { "login", "-p", "good", NULL };
	assert_int_equal(resolve(&s, login, NULL), ZO_OK);
	settings_finish(&s);
	config("");
}

static void own_sections_problem(void **state)
{
	struct settings s;
	config("[profile p]\nclient_id = 1000.P\nscpoe = ZohoCliq.Channels.READ\n"
		"lock_timeout = soon\n");
	/* token goes on (it needs no scope), with the wait marked broken. */
	const char *token[] = { "token", "-p", "p", NULL };
	assert_int_equal(resolve(&s, token, NULL), ZO_OK);
	assert_string_equal(s.profile.client_id, "1000.P");
	assert_non_null(s.profile.waits_broken);
	assert_non_null(strstr(s.profile.waits_broken, "lock_timeout"));
	settings_finish(&s);
	/* A sign-in uses the whole section: it stops. */
	const char *login[] = { "login", "-p", "p", NULL };
	assert_int_equal(resolve(&s, login, NULL), ZO_USAGE);
	settings_finish(&s);
	config("");
}

static void orphan_lines_stop_a_signin_only(void **state)
{
	struct settings s;
	config("[work]\nclient_id = 1000.W\n");
	const char *token[] = { "token", "-p", "work", NULL };
	assert_int_equal(resolve(&s, token, NULL), ZO_OK);
	settings_finish(&s);
	const char *login[] = { "login", "-p", "work", NULL };
	assert_int_equal(resolve(&s, login, NULL), ZO_USAGE);
	settings_finish(&s);
	config("");
}

static void near_profile_for_a_named_one(void **state)
{
	struct settings s;
	config("[profile work]\nclient_id = 1000.W\n");
	const char *typo[] = { "token", "-p", "wrok", NULL };
	assert_int_equal(resolve(&s, typo, NULL), ZO_OK);
	assert_string_equal(s.profile.near, "work");
	settings_finish(&s);
	const char *exact[] = { "token", "-p", "work", NULL };
	assert_int_equal(resolve(&s, exact, NULL), ZO_OK);
	assert_string_equal(s.profile.near, "");
	settings_finish(&s);
	config("");
}

static void machine_offset_set_or_derived(void **state)
{
	struct settings s;
	config("[profile fleet]\nmachine_offset = 40\n");
	const char *token[] = { "token", "-p", "fleet", NULL };
	assert_int_equal(resolve(&s, token, NULL), ZO_OK);
	assert_int_equal(s.profile.machine_offset, 400);
	settings_finish(&s);
	config("[profile fleet]\nmachine_offset = auto\n");
	assert_int_equal(resolve(&s, token, NULL), ZO_OK);
	assert_int_equal(s.profile.machine_offset, machine_offset_resolve(NULL));
	settings_finish(&s);
	/* Out of range: said (a warning), and the derived one used. */
	config("[profile fleet]\nmachine_offset = 101\n");
	assert_int_equal(resolve(&s, token, NULL), ZO_OK);
	assert_int_equal(s.profile.machine_offset, machine_offset_resolve(NULL));
	settings_finish(&s);
	config("");

	/* Derived: stable, and spread over the whole range for machines
	 * that share a machine ID (containers of one image) but not a name. */
	assert_int_equal(machine_offset_of("0123456789abcdef", "web-1"),
		machine_offset_of("0123456789abcdef", "web-1"));
	int tenths[10] = { 0 };
	for (int i = 0; i < 1000; i++) {
		char host[32];
		snprintf(host, sizeof(host), "web-%d", i);
		int o = machine_offset_of("0123456789abcdef", host);
		assert_in_range(o, 0, 1000);
		tenths[o == 1000 ? 9 : o / 100]++;
	}
	for (int i = 0; i < 10; i++)
		assert_in_range(tenths[i], 60, 140);
	/* The ID counts too, and the name is not glued to it. */
	assert_int_not_equal(machine_offset_of("a", "web-1"), machine_offset_of("b", "web-1"));
	assert_int_not_equal(machine_offset_of("ab", "c"), machine_offset_of("a", "bc"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(default_profile_path),
		cmocka_unit_test(relative_token_file_is_absolute),
		cmocka_unit_test(stdout_only_for_signins),
		cmocka_unit_test(waits_from_line_config_defaults_and_front),
		cmocka_unit_test(another_sections_problem_is_not_ours),
		cmocka_unit_test(own_sections_problem),
		cmocka_unit_test(orphan_lines_stop_a_signin_only),
		cmocka_unit_test(near_profile_for_a_named_one),
		cmocka_unit_test(machine_offset_set_or_derived),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
