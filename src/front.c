/*
 * zoho-oauth's front: the program users run. Scripts call 'zoho-oauth
 * token' before every request, so the common case (a cached access token
 * with time left) is served here, by a small binary that links only libc,
 * Jansson and inih: no libcurl, libmicrohttpd, TLS or GLib to load and
 * relocate. Where Debian's static archives allow it and no sanitizer is
 * on, it is linked statically (-static-pie, -Dstatic_front): no dynamic
 * loader runs at all. So it uses nothing that needs one: the home
 * directory comes from $HOME or $XDG_DATA_HOME, else the full program
 * asks the password database.
 *
 * It serves 'token' and 'header' with nothing but --profile,
 * --token-file, --min-valid, --lock-timeout, --no-refresh-ahead, -q and -v
 * (before the command or after it), when the token file (or another
 * store's metadata) and the cached token read and check clean: with
 * enough time left at once, and past the soft margin with the token
 * renewed behind the caller (store/ahead.h: the full program, started
 * detached); when the token needs a refresh and another process is
 * refreshing it, after waiting (bounded) for that one and reading what it
 * stored.
 * Only the one process that must refresh goes on to the full program,
 * handing it the lock. argv is parsed with the full program's own parser
 * and defaults (settings/cli.c, settings/defaults.h). For anything else
 * the front replaces itself (execv, same argv and environment) with the
 * full program, zoho-oauth-full ($ZOHO_OAUTH_FULL, else beside it, else
 * in libexecdir), which does everything, including every message and
 * exit status. So there is one implementation of each behaviour; this
 * file only knows when it may answer alone.
 */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <unistd.h>

#include "config.h"
#include "core/exit-status.h"
#include "core/handoff.h"
#include "core/lock.h"
#include "core/log.h"
#include "core/util.h"
#include "settings/cli.h"
#include "settings/config-file.h"
#include "settings/profile.h"
#include "settings/waits.h"
#include "store/ahead.h"
#include "store/judge.h"
#include "store/local.h"
#include "zoho/tokens.h"

/* What the front may be asked and still answer alone: what changes only
 * messages, where the token is, how fresh it must be, how long to wait. */
static const char *const served_options[] = {
	"profile", "token-file", "min-valid", "lock-timeout", "no-refresh-ahead", "quiet", "verbose",
	NULL,
};

struct ask {
	const struct cli *cli;
	const struct profile *p;
	struct judge_ask judge;
};

/* The token at the path: the token file, or another store's metadata and
 * its cached token. */
static bool read_tokens(const struct ask *a, struct tokens *t)
{
	unsigned mode, owner;
	char why[TOKENS_WHY_MAX];
	struct report quiet;
	report_open(&quiet);
	bool ok = local_read(a->p, t, &mode, &owner, why, sizeof(why)) == TOKEN_FILE_OK;
	report_drop(&quiet);
	if (!ok)
		tokens_finish(t);
	return ok;
}

/* What the full program's -v says of where the token came from (cmd/token.c). */
static void say_source(const struct ask *a, const struct tokens *t, const char *from)
{
	char span[32];
	span_text(tokens_time_left(t, wall_seconds()), span, sizeof(span));
	log_debug("profile '%s': %s, valid for %s (%s)", a->p->name, from, span, a->p->token_path);
}

static void print_token(const struct ask *a, const struct tokens *t)
{
	/* From here on this is the answer, failure to write included. */
	if (!print_line(a->cli->cmd == CMD_HEADER ? "Authorization: Zoho-oauthtoken " : "",
			t->access_token))
		exit(1);
}

/* The profile's config section, quietly (the full program says what is
 * wrong with it); read only when a setting is needed. */
static bool load_config(const struct ask *a, struct config_profile *cfg)
{
	char *config = config_default_path();
	struct report quiet;
	report_open(&quiet);
	bool loaded = config && config_load(config, a->p->name, cfg);
	report_drop(&quiet);
	free(config);
	return loaded;
}

/* How long to wait for another process's lock, as the full program
 * resolves it (settings/waits.h); the config is read only here, when
 * there is a wait. false when the profile's own lock_timeout is broken:
 * the full program says so. */
static bool lock_timeout(const struct ask *a, long *out)
{
	struct config_profile cfg;
	struct waits w;
	bool ok = true;
	bool loaded = a->cli->lock_timeout < 0 && load_config(a, &cfg);
	if (loaded && config_problem_of(&cfg, "lock_timeout"))
		ok = false;
	waits_resolve(a->cli, loaded ? &cfg : NULL, 0, &w);
	if (loaded)
		config_finish(&cfg);
	*out = w.lock_timeout;
	return ok;
}

/* Where the full program is: $ZOHO_OAUTH_FULL, else beside this binary
 * (the build tree, a relocated install), else in LIBEXECDIR. beside gets
 * the second place looked, for messages. */
static const char *full_program(char *beside, size_t beside_len, char *installed,
		size_t installed_len)
{
	const char *env = getenv("ZOHO_OAUTH_FULL");
	snprintf(installed, installed_len, "%s/zoho-oauth-full", LIBEXECDIR);
	if (!path_beside_self("zoho-oauth-full", beside, beside_len))
		beside[0] = '\0';
	if (env && *env)
		return env;
	return beside[0] && access(beside, X_OK) == 0 ? beside : installed;
}

/* Served past the soft margin: unless turned off, have the token renewed
 * behind the caller, and say what an earlier renewal ahead left. */
static void renew_behind(const struct ask *a, const struct tokens *t)
{
	struct config_profile cfg;
	bool loaded = !a->cli->no_refresh_ahead && load_config(a, &cfg);
	bool on = refresh_ahead_resolve(a->cli, loaded ? &cfg : NULL);
	if (loaded)
		config_finish(&cfg);
	if (!on)
		return;
	if (t->ahead_failed_at)
		ahead_say_failure(a->p, t, wall_seconds());
	char beside[PATH_MAX + 32], installed[PATH_MAX + 32];
	const char *full = full_program(beside, sizeof(beside), installed, sizeof(installed));
	if (ahead_start(a->p, full, t) == AHEAD_STARTED)
		say_source(a, t, "the stored access token, being renewed behind this call");
}

/*
 * The cached token needs a refresh. One process refreshes: whoever gets
 * the lock first hands it over to the full program, which refreshes with
 * it held (its one read, under the lock, is the second look). Everybody
 * else waits here, in the small program, for the lock to be shared, reads
 * the record again and prints what the refresher stored. true: answered.
 */
static bool wait_for_refresher(const struct ask *a, const struct tokens *seen)
{
	char lock[PATH_MAX];
	struct handoff h = HANDOFF_NONE;
	struct token_seen saw = token_seen_of(seen);
	struct tokens now;
	long timeout;
	int fd;
	if (!profile_lock_path(a->p, lock, sizeof(lock)))
		return false;
	enum lock_result r = lock_take(lock, LOCK_EXCLUSIVE, 0, LOCK_QUIET, NULL, 0, &fd);
	if (r == LOCK_TAKEN) {
		h.lock_fd = fd;
		h.seen = true;
		h.seen_obtained_at = saw.obtained_at;
		h.seen_expires_at = saw.expires_at;
		if (!handoff_give(&h))
			lock_release(fd);
		return false;
	}
	if (r != LOCK_BUSY || !lock_timeout(a, &timeout))
		return false;

	int64_t start = monotonic_ms();
	r = lock_take(lock, LOCK_SHARED, timeout * 1000, a->cli->verbosity < 0 ? LOCK_QUIET : 0,
		NULL, 0, &fd);
	if (r != LOCK_TAKEN) {
		h.waited_ms = (long)(monotonic_ms() - start);
		handoff_give(&h);
		return false;
	}
	bool served = false;
	if (read_tokens(a, &now) && judge(&now, &saw, wall_seconds(), &a->judge) == VERDICT_SERVE) {
		say_source(a, &now, "an access token another process refreshed while this one waited");
		print_token(a, &now);
		served = true;
	}
	tokens_finish(&now);
	lock_release(fd);
	return served;
}

/* Print the cached token if this invocation may be served here. */
static bool serve_cached(int argc, char **argv)
{
	struct cli cli;
	struct profile p;

	/* The full program's own parser, told to say nothing: anything it
	 * would complain about (or print help for) goes to the full program,
	 * which says it. It finds the command as the full program does, after
	 * any options before it ("zoho-oauth -p work token"). */
	if (cli_parse(argc, argv, &cli, true) >= 0 ||
		(cli.cmd != CMD_TOKEN && cli.cmd != CMD_HEADER) || !cli_only(&cli, served_options))
		return false;
	const char *file = cli.token_file ? cli.token_file : getenv("ZOHO_OAUTH_TOKEN_FILE");
	if (file && strcmp(file, "-") == 0)
		return false;
	memset(&p, 0, sizeof(p));
	if (!profile_locate(cli.profile, cli.token_file, true, &p))
		return false;
	log_set_level(cli.verbosity < 0 ? LOG_QUIET : cli.verbosity > 0 ? LOG_VERBOSE : LOG_NORMAL);

	struct ask a = {
		.cli = &cli,
		.p = &p,
		.judge = { .min_valid = min_valid_resolve(&cli), .ahead_ok = true },
	};
	struct tokens t;
	bool served = false;
	/* A fleet machine's look at the row is due: the full program's. */
	if (read_tokens(&a, &t) && !(t.record == RECORD_META && t.check_by &&
			wall_seconds() >= t.check_by)) {
		/* A fleet's machine: its place among the refresh moments, as the
		 * full program last wrote it in the cache. */
		a.judge.spread = t.spread;
		enum verdict v = judge(&t, NULL, wall_seconds(), &a.judge);
		if (v == VERDICT_SERVE) {
			say_source(&a, &t, "the stored access token");
			print_token(&a, &t);
			served = true;
		} else if (v == VERDICT_SERVE_AHEAD) {
			print_token(&a, &t);
			renew_behind(&a, &t);
			served = true;
		} else if (t.throttled_until <= wall_seconds()) {
			/* (Throttled: the full program says until when.) */
			served = wait_for_refresher(&a, &t);
		}
	}
	tokens_finish(&t);
	free(p.token_path);
	return served;
}
/* zoho-oauth-full from $ZOHO_OAUTH_FULL when set, else beside this binary
 * (the build tree, a relocated install), else in LIBEXECDIR. Returns only
 * when none can be run, having said where it looked. */
static void run_full(char **argv)
{
	char beside[PATH_MAX + 32], installed[PATH_MAX + 32];
	const char *env = getenv("ZOHO_OAUTH_FULL");
	const char *full = full_program(beside, sizeof(beside), installed, sizeof(installed));
	execv(full, argv);
	if (env && *env) {
		log_error("cannot run ZOHO_OAUTH_FULL=%s: %s (set it to the path of "
			"zoho-oauth-full, or unset it)", env, strerror(errno));
		return;
	}
	bool near = beside[0] != '\0';
	log_error("cannot run zoho-oauth-full, which does all but serve a cached token (%s): "
		"looked for %s%s%s; copy it beside this program, install zoho-oauth completely, or "
		"set ZOHO_OAUTH_FULL=/path/to/zoho-oauth-full", strerror(errno), near ? beside : "",
		near ? " and " : "", installed);
}

int main(int argc, char **argv)
{
	/* As in the full program: this process reads tokens. */
	prctl(PR_SET_DUMPABLE, 0, 0, 0, 0);
	tokens_init_json();
	if (serve_cached(argc, argv))
		return 0;
	run_full(argv);
	return ZO_NO_PROGRAM;
}
