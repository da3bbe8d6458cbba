#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "core/exit-status.h"
#include "core/log.h"
#include "core/secure-file.h"
#include "core/util.h"
#include "settings/secret.h"
#include "signin/signin.h"
#include "store/refresh.h"
#include "store/store.h"
#include "zoho/zoho.h"

/* Whether every scope in wanted is in have (Zoho may separate with spaces). */
static bool scopes_cover(const char *have, const char *wanted)
{
	if (!have || !wanted)
		return true; /* unknown: don't second-guess */
	for (const char *w = wanted; *w;) {
		size_t wl = strcspn(w, ",");
		bool found = false;
		for (const char *h = have; *h && !found;) {
			size_t hl = strcspn(h, ", ");
			found = hl == wl && ascii_ncasecmp_eq(h, w, wl);
			h += hl + (h[hl] != '\0');
		}
		if (!found)
			return false;
		w += wl + (w[wl] != '\0');
	}
	return true;
}

static int signin_check_existing(struct signin *si, struct store *current, bool *done)
{
	const struct settings *s = si->s;
	struct tokens t;
	const char *why_new = NULL;

	*done = false;
	if (s->force || !store_exists(current))
		return ZO_OK;
	int status = store_load(current, &t);
	if (status != ZO_OK) {
		log_info("(login --force replaces it with a new sign-in)");
		return status;
	}
	if (!tokens_offline(&t))
		why_new = "they include no refresh token";
	else if (s->client_id && strcmp(t.client_id, s->client_id) != 0)
		why_new = "they are for another client id";
	else if (!scopes_cover(t.scope, s->scope))
		why_new = "they lack scopes this sign-in asks for";
	tokens_finish(&t);
	if (why_new) {
		log_info("profile '%s' holds tokens, but %s: signing in again", s->profile, why_new);
		return ZO_OK;
	}

	/* Working? An unexpired access token says so; else try a refresh,
	 * which the user would need next anyway. */
	status = fresh_tokens(s, 0, false, &t);
	tokens_finish(&t);
	if (status == ZO_RELOGIN) {
		log_info("the stored refresh token no longer works: signing in again");
		return ZO_OK;
	}
	if (status != ZO_OK) {
		log_info("could not check the tokens already stored for profile '%s'; pass --force "
			"to sign in anyway", s->profile);
		return status;
	}
	if (current != si->store)
		log_info("profile '%s' already holds a working refresh token for these scopes, in the "
			"%s store: to keep it in the %s store instead, run 'zoho-oauth migrate --to %s%s%s' "
			"(no new sign-in needed). Every sign-in makes a new refresh token and Zoho keeps "
			"only 20 per user, silently revoking the oldest; pass --force to sign in anyway",
			s->profile, store_kind(current), store_kind(si->store), s->store,
			strcmp(s->profile, "default") ? " --profile " : "",
			strcmp(s->profile, "default") ? s->profile : "");
	else
		log_info("profile '%s' already holds a working refresh token for these scopes (%s): "
			"nothing to do. Every sign-in makes a new refresh token and Zoho keeps only 20 per "
			"user, silently revoking the oldest; pass --force to sign in anyway", s->profile,
			store_where(si->store));
	*done = true;
	return ZO_OK;
}

int signin_begin(struct signin *si, const struct settings *s, bool *done)
{
	memset(si, 0, sizeof(*si));
	si->s = s;
	*done = false;
	if (strcmp(s->token_file, "-") != 0) {
		/* New tokens go where --store (or store = in the config) says, else
		 * where the profile's are now; what it holds now is checked where
		 * it is. */
		char now[1100];
		const char *where_now = store_where_now(s, now, sizeof(now));
		int status = store_open_named(s, s->store ? s->store : where_now, &si->store);
		struct store *current = si->store;
		if (status == ZO_OK && s->store && strcmp(s->store, where_now ? where_now : "file") != 0)
			status = store_open_named(s, where_now, &current);
		if (status == ZO_OK)
			status = signin_check_existing(si, current, done);
		if (current != si->store)
			store_close(current);
		if (status != ZO_OK || *done)
			return status;
		/* A sign-in makes a refresh token at Zoho: make sure it can be
		 * kept before making one. */
		status = store_prepare(si->store, NULL);
		if (status != ZO_OK)
			return status;
	}
	if (s->client_secret) {
		/* The token file's, for its own client (settings_resolve). */
		si->secret = xstrdup(s->client_secret);
		return si->secret ? ZO_OK : ZO_FAILURE;
	}
	return secret_obtain(s->client_secret_file, s->client_secret_label, &si->secret);
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
	const struct settings *s = si->s;
	char holder[96], lock_name[4200];
	int64_t wait_ms = s->lock_timeout * 1000;
	if (si->deadline_ms) {
		int64_t left = si->deadline_ms - monotonic_ms();
		if (left < wait_ms)
			wait_ms = left > 0 ? left : 0;
	}
	/* Signals wait: the tokens exist now, and the code is spent. */
	int status = store_lock(si->store, wait_ms, true, holder, sizeof(holder));
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
	char hint[8400];
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
	/* The store can't be locked (said above): the tokens must not be
	 * lost all the same. */
	log_warn("the new tokens were written to %s instead (mode 0600): they hold a new refresh "
		"token, so keep them; once the store works again, run '%s'", si->saved_to, hint);
	return failed;
}

int signin_save(struct signin *si, struct tokens *t, const char *server, const char *location)
{
	const struct settings *s = si->s;
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
	t->client_id = xstrdup(s->client_id);
	t->client_secret = xstrdup(si->secret);
	t->accounts_server = xstrndup(server, len);
	t->location = loc ? xstrdup(loc) : NULL;
	if (!t->client_id || !t->client_secret || !t->accounts_server || (loc && !t->location))
		return ZO_FAILURE;
	tokens_check_api_domain(t, t->accounts_server);
	if (!t->api_domain && dc)
		t->api_domain = xstrdup(dc->api);
	if (!t->scope && s->scope)
		t->scope = xstrdup(s->scope);
	/* So that the next login needs no --redirect-uri either. */
	secret_free(t->redirect_uri);
	t->redirect_uri = s->cmd == CMD_LOGIN && !s->device ? xstrdup(s->redirect_uri) : NULL;
	if (s->cmd == CMD_EXCHANGE && !t->refresh_token)
		log_warn("zoho sent no refresh token for this code: the access token works for an "
			"hour, then you need a new code");
	if (s->cmd == CMD_LOGIN && !s->device && s->offline && !t->refresh_token) {
		if (!s->consent_prompt)
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

void signin_finish(struct signin *si)
{
	store_close(si->store);
	secret_free(si->secret);
	memset(si, 0, sizeof(*si));
}
