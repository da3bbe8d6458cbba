#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/ask.h"
#include "core/exit-status.h"
#include "core/lock.h"
#include "core/log.h"
#include "core/secure-file.h"
#include "core/signals.h"
#include "core/util.h"
#include "signin/signin.h"
#include "store/refresh.h"
#include "zoho/scopes.h"
#include "zoho/zoho.h"

/* More scopes than this are checked as far as they go, and sent as given. */
#define SCOPES_CHECKED_MAX 256
#define SCOPE_MAX 96

int signin_check_profile(const struct profile *p, enum signin_kind kind, const char *config_path)
{
	static const char *const client_of[] = {
		[SIGNIN_BROWSER] = "the 'Client ID' of a Server-based client",
		[SIGNIN_DEVICE] = "the 'Client ID' of a Non-browser client",
		[SIGNIN_CODE] = "the Self Client's 'Client ID'",
		[SIGNIN_CLIENT_CREDENTIALS] = "the Self Client's 'Client ID'",
	};
	const char *config = config_path ? config_path : "the config file";
	if (!p->client_id) {
		const struct zoho_dc *dc = p->dc ? p->dc : zoho_dc_by_location("us");
		log_error("no client id: pass --client-id, set ZOHO_CLIENT_ID, or add client_id to "
			"[profile %s] in %s (%s in %s)", p->name, config, client_of[kind], dc->console);
		return ZO_USAGE;
	}
	if (kind != SIGNIN_CODE && !p->scope) {
		log_error("no scope: pass --scope with what the token may do, e.g. "
			"--scope ZohoCliq.Channels.READ,ZohoCliq.Messages.CREATE, or add scope to "
			"[profile %s] in %s", p->name, config);
		return ZO_USAGE;
	}
	return ZO_OK;
}

int signin_check_scopes(char **scope)
{
	char *items[SCOPES_CHECKED_MAX];
	size_t n = 0, len;
	bool changed = false;
	int status = ZO_OK;
	const char *cursor = *scope, *p;

	while (n < SCOPES_CHECKED_MAX && zoho_scope_next(&cursor, false, &p, &len)) {
		char near[SCOPE_MAX], shown[SCOPE_MAX];
		if (!(items[n] = xstrndup(p, len))) {
			status = ZO_FAILURE;
			break;
		}
		if (zoho_scope_suggest(p, len, near, sizeof(near))) {
			printable_copy(shown, sizeof(shown), items[n]);
			if (!ask_possible()) {
				log_warn("scope %s is not one Zoho documents: did you mean %s? (asking for "
					"%s as given, since Zoho does not document whether case matters)",
					shown, near, shown);
			} else {
				char question[256];
				log_warn("scope %s is not one Zoho documents: did you mean %s?", shown, near);
				snprintf(question, sizeof(question), "use %s instead?", near);
				int yes = ask_yes_no(question);
				if (yes < 0) {
					status = ZO_INTERRUPTED + signals_caught();
					n++;
					break;
				}
				if (yes) {
					free(items[n]);
					changed = true;
					if (!(items[n] = xstrdup(near))) {
						status = ZO_FAILURE;
						break;
					}
				}
			}
		}
		n++;
	}
	/* More scopes than items: checked as far as they go, and sent as given. */
	if (status == ZO_OK && changed && !cursor) {
		char why[256], *joined = NULL;
		if (!zoho_scope_join((const char *const *)items, n, &joined, why, sizeof(why))) {
			log_error("--scope: %s", why);
			status = ZO_USAGE;
		} else {
			free(*scope);
			*scope = joined;
		}
	}
	for (size_t i = 0; i < n; i++)
		free(items[i]);
	return status;
}

/* Whether every scope in wanted is in have (Zoho may separate with spaces). */
static bool scopes_cover(const char *have, const char *wanted)
{
	if (!have || !wanted)
		return true; /* unknown: don't second-guess */
	const char *w = wanted, *wi;
	size_t wl;
	while (zoho_scope_next(&w, true, &wi, &wl)) {
		bool found = false;
		const char *h = have, *hi;
		size_t hl;
		while (!found && zoho_scope_next(&h, true, &hi, &hl))
			found = hl == wl && ascii_ncasecmp_eq(hi, wi, wl);
		if (!found)
			return false;
	}
	return true;
}

static int check_existing(struct signin *si, struct store *current, bool *done)
{
	const struct profile *p = si->p;
	struct tokens t;
	const char *why_new = NULL;
	char hint[PROFILE_HINT_MAX];

	*done = false;
	/* Client credentials make no refresh token: nothing to spare. */
	if (si->ask.force || si->ask.kind == SIGNIN_CLIENT_CREDENTIALS || !store_has_tokens(current))
		return ZO_OK;
	profile_command(p, "login", "--force", hint, sizeof(hint));
	struct report r;
	report_open(&r);
	int status = store_load(current, &t);
	if (status != ZO_OK) {
		char run[PROFILE_HINT_MAX + 64];
		snprintf(run, sizeof(run), "'%s' replaces it with a new sign-in", hint);
		report_fail(&r, run);
		return status;
	}
	report_drop(&r);
	if (!tokens_offline(&t))
		why_new = "they include no refresh token";
	else if (p->client_id && strcmp(t.client_id, p->client_id) != 0)
		why_new = "they are for another client id";
	else if (!scopes_cover(t.scope, p->scope))
		why_new = "they lack scopes this sign-in asks for";
	tokens_finish(&t);
	if (why_new) {
		log_info("profile '%s' holds tokens, but %s: signing in again", p->name, why_new);
		return ZO_OK;
	}

	/* Working? An unexpired access token says so; else try a refresh,
	 * which the user would need next anyway. */
	struct judge_ask any = { .min_valid = 0 };
	report_open(&r);
	status = fresh_tokens(current, &any, NULL, &t);
	tokens_finish(&t);
	if (status == ZO_RELOGIN) {
		report_drop(&r);
		log_info("the stored refresh token no longer works: signing in again");
		return ZO_OK;
	}
	if (status != ZO_OK) {
		char run[PROFILE_HINT_MAX + 160];
		snprintf(run, sizeof(run), "could not check the tokens already stored for profile "
			"'%s'; '%s' signs in anyway", p->name, hint);
		report_fail(&r, run);
		return status;
	}
	report_drop(&r);
	if (current != si->store) {
		char migrate[PROFILE_HINT_MAX], to[PATH_MAX];
		store_describe(si->store, to, sizeof(to));
		profile_command(p, "migrate --to", p->store, migrate, sizeof(migrate));
		log_info("profile '%s' already holds a working refresh token for these scopes, in the "
			"%s store: to keep it in the %s store instead, run '%s' (no new sign-in needed). "
			"Every sign-in makes a new refresh token and Zoho keeps only 20 per user, silently "
			"revoking the oldest; '%s' signs in anyway", p->name, store_kind(current),
			store_kind(si->store), migrate, hint);
	} else {
		log_info("profile '%s' already holds a working refresh token for these scopes (%s): "
			"nothing to do. Every sign-in makes a new refresh token and Zoho keeps only 20 per "
			"user, silently revoking the oldest; '%s' signs in anyway", p->name,
			store_where(si->store), hint);
	}
	*done = true;
	return ZO_OK;
}

int signin_begin(struct signin *si, const struct profile *p, const struct signin_ask *ask,
		struct store *target, struct store *current, bool *done)
{
	memset(si, 0, sizeof(*si));
	si->p = p;
	si->ask = *ask;
	si->store = target;
	*done = false;
	if (!target)
		return ZO_OK;
	int status = check_existing(si, current, done);
	if (status != ZO_OK || *done)
		return status;
	/* A sign-in makes a refresh token at Zoho: make sure it can be kept
	 * before making one. First the profile's file (or the metadata of a
	 * store that keeps its secrets elsewhere), with what to do about it. */
	struct report r;
	report_open(&r);
	if (!secure_write_possible(p->token_path)) {
		report_fail(&r, p->path_given ? "give --token-file a path in a directory you can "
			"write, or fix that directory's permissions" : "fix that directory's "
			"permissions, or sign in with --token-file PATH in a directory you can write (or "
			"XDG_DATA_HOME set to one: the tokens go to $XDG_DATA_HOME/zoho-oauth/)");
		return ZO_FAILURE;
	}
	report_drop(&r);
	return store_prepare(si->store, NULL, 0);
}

static int write_stdout(const struct tokens *t)
{
	char *json = tokens_to_json(t);
	if (!json)
		return ZO_FAILURE;
	bool ok = write_all(STDOUT_FILENO, json, strlen(json));
	if (!ok)
		log_error("cannot write the tokens to stdout: %s", strerror(errno));
	secret_free(json);
	return ok ? ZO_OK : ZO_FAILURE;
}

/* Into the store, under its lock, never losing t. */
static int write_store(struct signin *si, const struct tokens *t)
{
	const struct profile *p = si->p;
	char holder[LOCK_HOLDER_MAX], lock_name[PATH_MAX + 128];
	int64_t wait_ms = p->waits.lock_timeout * 1000;
	if (si->deadline_ms) {
		int64_t left = si->deadline_ms - monotonic_ms();
		if (left < wait_ms)
			wait_ms = left > 0 ? left : 0;
	}
	/* Signals wait: the tokens exist now, and the code is spent. */
	int status = store_lock(si->store, wait_ms, STORE_LOCK_KEEP_SIGNALS, holder, sizeof(holder));
	if (status == ZO_OK) {
		status = store_save(si->store, t);
		store_unlock(si->store);
		if (status == ZO_OK)
			snprintf(si->saved_to, sizeof(si->saved_to), "%s", store_where(si->store));
		return status;
	}
	if (status >= ZO_INTERRUPTED)
		return status; /* not while signals are ignored: a lock that can't be had */
	int failed = status;
	char hint[PROFILE_HINT_MAX + PATH_MAX];
	status = store_save_aside(si->store, t, si->saved_to, sizeof(si->saved_to));
	if (status != ZO_OK)
		return status;
	store_restore_hint(si->store, si->saved_to, hint, sizeof(hint));
	if (failed == ZO_BUSY) {
		log_warn("%s holds the lock %s, so the new tokens were written to %s instead "
			"(mode 0600): they hold a new refresh token, so keep them; once that process is "
			"done, run '%s'", holder,
			store_lock_name(si->store, lock_name, sizeof(lock_name)), si->saved_to, hint);
		return ZO_OK;
	}
	/* The store can't be locked (said): the tokens must not be lost all
	 * the same. */
	log_warn("the new tokens were written to %s instead (mode 0600): they hold a new refresh "
		"token, so keep them; once the store works again, run '%s'", si->saved_to, hint);
	return failed;
}

int signin_save(struct signin *si, struct tokens *t, const char *server, const char *location)
{
	const struct profile *p = si->p;
	/* Complete the record so that a later refresh needs nothing else. */
	const struct zoho_dc *dc = zoho_dc_by_accounts(server);
	const struct zoho_dc *named = zoho_dc_by_location(location);
	const char *loc = dc ? dc->location : named ? named->location : NULL;
	size_t len = strlen(server);
	while (len > 0 && server[len - 1] == '/')
		len--;

	secret_free(t->client_id);
	secret_free(t->client_secret);
	secret_free(t->accounts_server);
	secret_free(t->location);
	t->client_id = xstrdup(p->client_id);
	t->client_secret = xstrdup(si->secret);
	t->accounts_server = xstrndup(server, len);
	t->location = loc ? xstrdup(loc) : NULL;
	if (!t->client_id || !t->client_secret || !t->accounts_server || (loc && !t->location))
		return ZO_FAILURE;
	tokens_check_api_domain(t, t->accounts_server);
	if (!t->api_domain && dc)
		t->api_domain = xstrdup(dc->api);
	if (!t->scope && p->scope)
		t->scope = xstrdup(p->scope);
	/* So that the next login needs no --redirect-uri either. */
	secret_free(t->redirect_uri);
	t->redirect_uri = si->ask.kind == SIGNIN_BROWSER ? xstrdup(p->redirect_uri) : NULL;
	if (si->ask.kind == SIGNIN_CODE && !t->refresh_token)
		log_warn("zoho sent no refresh token for this code: the access token works for an "
			"hour, then you need a new code");
	if (si->ask.kind == SIGNIN_BROWSER && si->ask.offline && !t->refresh_token) {
		if (!si->ask.consent_prompt)
			log_warn("zoho sent no refresh token although offline access was asked for: "
				"without prompt=consent Zoho only sends one at the first consent; sign "
				"in again without --no-consent-prompt if you need one");
		else
			log_warn("zoho sent no refresh token although offline access and "
				"prompt=consent were asked for: the access token works for an hour; "
				"run login again for a refresh token, and if Zoho still sends none, "
				"check the client's type in the API console (Server-based)");
	}
	return si->store ? write_store(si, t) : write_stdout(t);
}

void signin_report(const struct signin *si)
{
	if (!si->store)
		log_info("signed in: tokens written to stdout");
	else if (strcmp(si->saved_to, store_where(si->store)) == 0)
		log_info("signed in: tokens written to %s", si->saved_to);
	else
		log_info("signed in: tokens written to %s (see above)", si->saved_to);
}

const char *signin_saved(const struct signin *si, char *out, size_t len)
{
	if (si->saved_to[0])
		snprintf(out, len, "the tokens were saved to %s", si->saved_to);
	else
		snprintf(out, len, "nothing was saved");
	return out;
}

void signin_finish(struct signin *si)
{
	secret_free(si->secret);
	memset(si, 0, sizeof(*si));
}
