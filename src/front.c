/*
 * zoho-oauth's front: the program users run. Scripts call 'zoho-oauth
 * token' before every request, so the common case (a cached access token
 * with time left) is served here, by a small binary that links only libc
 * and cJSON: no libcurl, libmicrohttpd, TLS or GLib to load and relocate.
 *
 * It serves exactly one case: 'token' or 'header' with nothing but
 * --profile (-p), --token-file, --min-valid, -q and -v, and a token file that
 * reads and checks clean with enough time left. For anything else it
 * replaces itself (execv, same argv and environment) with the full
 * program, zoho-oauth-full, which does everything, including every
 * message and exit status. So there is one implementation of each
 * behaviour; this file only knows when it may answer alone.
 */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <unistd.h>

#include "config.h"
#include "core/log.h"
#include "core/paths.h"
#include "core/util.h"
#include "store/local.h"
#include "zoho/tokens.h"

#define DEFAULT_MIN_VALID 300

/* Print the cached token if this invocation may be served here. */
static bool serve_cached(int argc, char **argv)
{
	const char *profile_arg = NULL, *file_arg = NULL, *min_arg = NULL;
	bool header;

	if (argc < 2)
		return false;
	if (strcmp(argv[1], "token") == 0)
		header = false;
	else if (strcmp(argv[1], "header") == 0)
		header = true;
	else
		return false;

	for (int i = 2; i < argc; i++) {
		const char *a = argv[i];
		const char **slot = NULL;
		const char *value = NULL;
		if (strcmp(a, "-q") == 0 || strcmp(a, "--quiet") == 0 || strcmp(a, "-v") == 0 ||
				strcmp(a, "--verbose") == 0)
			continue; /* they change only messages, and this path has none */
		static const struct {
			const char *name;
			size_t len;
		} known[] = { { "--profile", 9 }, { "--token-file", 12 }, { "--min-valid", 11 } };
		for (size_t k = 0; k < sizeof(known) / sizeof(known[0]) && !slot; k++) {
			if (strncmp(a, known[k].name, known[k].len) != 0)
				continue;
			if (a[known[k].len] == '=')
				value = a + known[k].len + 1;
			else if (a[known[k].len] == '\0' && i + 1 < argc)
				value = argv[++i];
			else
				return false;
			slot = k == 0 ? &profile_arg : k == 1 ? &file_arg : &min_arg;
		}
		if (!slot && strcmp(a, "-p") == 0 && i + 1 < argc) {
			value = argv[++i];
			slot = &profile_arg;
		}
		if (!slot)
			return false;
		*slot = value;
	}

	long min_valid = DEFAULT_MIN_VALID;
	if (min_arg && !parse_long(min_arg, 0, 3000, &min_valid))
		return false;
	if (file_arg && (!*file_arg || strcmp(file_arg, "-") == 0))
		return false;
	const char *profile = profile_wanted(profile_arg);
	if (!profile_name_ok(profile))
		return false;
	const char *file = token_file_wanted(file_arg);
	if (file && strcmp(file, "-") == 0)
		return false;
	char *path = file ? strdup(file) : default_token_file(profile, true);
	if (!path)
		return false;

	struct tokens t;
	unsigned mode, owner;
	char why[160];
	bool served = false;
	/* The token file, or another store's metadata and its cached token. */
	if (local_read(path, true, &t, &mode, &owner, why, sizeof(why)) == TOKEN_FILE_OK &&
			t.access_token && !tokens_need_refresh(&t, min_valid, wall_seconds())) {
		/* From here on this is the answer, failure to write included. */
		if (!print_line(header ? "Authorization: Zoho-oauthtoken " : "", t.access_token))
			exit(1);
		served = true;
	}
	tokens_finish(&t);
	free(path);
	return served;
}

/* zoho-oauth-full beside this binary (the build tree, a relocated
 * install), else in LIBEXECDIR. */
static void run_full(char **argv)
{
	char path[PATH_MAX + 32];
	if (path_beside_self("zoho-oauth-full", path, sizeof(path)) && access(path, X_OK) == 0)
		execv(path, argv);
	snprintf(path, sizeof(path), "%s/zoho-oauth-full", LIBEXECDIR);
	execv(path, argv);
	log_error("cannot run %s: %s (is zoho-oauth installed completely?)", path, strerror(errno));
}

int main(int argc, char **argv)
{
	/* As in the full program: this process reads tokens. */
	prctl(PR_SET_DUMPABLE, 0, 0, 0, 0);
	tokens_init_json();
	if (serve_cached(argc, argv))
		return 0;
	run_full(argv);
	return 1;
}
