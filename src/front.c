/*
 * zoho-oauth's front: the program users run. Scripts call 'zoho-oauth
 * token' before every request, so the common case (a cached access token
 * with time left) is served here, by a small binary that links only libc
 * and cJSON: no libcurl, libmicrohttpd, TLS or GLib to load and relocate.
 *
 * It serves exactly one case: 'token' or 'header' with nothing but
 * --profile, --token-file, --min-valid, -q and -v, and a token file (or
 * another store's metadata and cached token) that reads and checks clean
 * with enough time left. It parses argv with the full program's own
 * parser and defaults (settings/cli.c, settings/defaults.h). For anything else it
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
#include "settings/cli.h"
#include "settings/defaults.h"
#include "store/local.h"
#include "zoho/tokens.h"

/* What the front may be asked and still answer alone: what changes only
 * messages, or where the token is and how fresh it must be. */
static const char *const served_options[] = {
	"profile", "token-file", "min-valid", "quiet", "verbose", NULL,
};

/* Print the cached token if this invocation may be served here. */
static bool serve_cached(int argc, char **argv)
{
	struct cli cli;

	/* The full program's own parser, told to say nothing: anything it
	 * would complain about (or print help for) goes to the full program,
	 * which says it. */
	if (argc < 2 || (strcmp(argv[1], "token") != 0 && strcmp(argv[1], "header") != 0))
		return false;
	if (cli_parse(argc, argv, &cli, true) >= 0 || !cli_only(&cli, served_options))
		return false;
	long min_valid = cli.min_valid >= 0 ? cli.min_valid : DEFAULT_MIN_VALID;
	if (cli.token_file && (!*cli.token_file || strcmp(cli.token_file, "-") == 0))
		return false;
	const char *profile = profile_wanted(cli.profile);
	if (!profile_name_ok(profile))
		return false;
	const char *file = token_file_wanted(cli.token_file);
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
		if (!print_line(cli.cmd == CMD_HEADER ? "Authorization: Zoho-oauthtoken " : "",
				t.access_token))
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
