#include <limits.h>
#include <stdio.h>
#include <string.h>

#include "core/exit-status.h"
#include "core/log.h"
#include "core/util.h"
#include "store/refresh.h"
#include "store/store.h"
#include "zoho/token-endpoint.h"

/* How long Zoho's throttle lasts: 10 refreshes per refresh token per 10
 * minutes, then refusals for the rest of the window. */
#define THROTTLE_WINDOW 600

/* Replace *dst with *src when Zoho sent one. */
static void take(char **dst, char **src)
{
	if (!*src)
		return;
	secret_free(*dst);
	*dst = *src;
	*src = NULL;
}

/* Ask Zoho for a new access token and merge it into t. *throttled says
 * whether Zoho refused for too many requests. */
static int refresh_now(const struct settings *s, struct tokens *t, bool *throttled)
{
	struct tokens fresh;
	char summary[512];
	enum zoho_error rejected = ZOHO_ERR_OTHER;
	struct token_request req = {
		.grant = GRANT_REFRESH,
		.client_id = t->client_id,
		.client_secret = t->client_secret,
		.refresh_token = t->refresh_token,
	};

	*throttled = false;
	log_debug("refreshing the access token of profile '%s'", s->profile);
	int status = exchange_tokens(t->accounts_server, &req, &s->net, &fresh, summary,
		sizeof(summary), &rejected);
	if (status == ZO_RELOGIN && !log_errors_are_warnings()) {
		char hint[128];
		store_login_hint(s, hint, sizeof(hint));
		log_error("profile '%s' needs a new sign-in: run '%s'", s->profile, hint);
	}
	*throttled = status == ZO_REJECTED && rejected == ZOHO_ERR_THROTTLED;
	if (status != ZO_OK)
		return status;

	/* The answer has no refresh token (if it ever has one, take it). */
	tokens_check_api_domain(&fresh, t->accounts_server);
	take(&t->access_token, &fresh.access_token);
	take(&t->refresh_token, &fresh.refresh_token);
	take(&t->api_domain, &fresh.api_domain);
	take(&t->scope, &fresh.scope);
	take(&t->token_type, &fresh.token_type);
	t->expires_at = fresh.expires_at;
	t->obtained_at = fresh.obtained_at;
	t->throttled_until = 0;
	tokens_finish(&fresh);
	return ZO_OK;
}

/* "for 4 minutes (until 14:05 CET)". */
static void time_left_text(int64_t left, int64_t until, char *out, size_t len)
{
	char span[32], when[48];
	span_text(left, span, sizeof(span));
	local_time_text(until, false, when, sizeof(when));
	snprintf(out, len, "%s (until %s)", span, when);
}

/*
 * The refresh failed (status) but t's access token still has time left:
 * say so and use it. Interruptions and a refresh token Zoho no longer
 * honours are not papered over.
 */
static bool serve_anyway(const struct settings *s, int status, const struct tokens *t)
{
	int64_t now = wall_seconds();
	int64_t left = tokens_time_left(t, now);
	if (status == ZO_RELOGIN || status >= ZO_INTERRUPTED || left <= 0)
		return false;
	char text[96];
	time_left_text(left, t->expires_at, text, sizeof(text));
	log_warn("could not refresh the access token of profile '%s'; it is still valid for %s: "
		"using it", s->profile, text);
	return true;
}

/* Zoho throttled this refresh token at some point before t->throttled_until. */
static void say_throttled(const struct settings *s, const struct tokens *t, int64_t now)
{
	char text[96];
	time_left_text(t->throttled_until - now, t->throttled_until, text, sizeof(text));
	log_error("zoho is throttling refreshes of profile '%s' (too many in 10 minutes): no "
		"new request for %s", s->profile, text);
}

/*
 * Under the lock, with what the store holds now in t: refresh, and keep
 * the result (a throttle answer is kept too, so that nobody asks again
 * within the window).
 */
static int refresh_locked(struct store *st, const struct settings *s, struct tokens *t)
{
	int64_t now = wall_seconds();
	bool throttled;

	if (!tokens_offline(t)) {
		char hint[128];
		store_login_hint(s, hint, sizeof(hint));
		/* (login with online access, or a token file written without one) */
		if (s->cmd == CMD_REFRESH)
			log_error("profile '%s' has no refresh token (online access), so there is "
				"nothing to refresh: run '%s --access-type offline' to get one",
				s->profile, hint);
		else
			log_error("the access token for profile '%s' %s and there is no refresh token "
				"(online access): run '%s --access-type offline' to get one",
				s->profile, tokens_time_left(t, now) > 0 ? "is about to expire" :
				"has expired", hint);
		return ZO_RELOGIN;
	}
	if (t->throttled_until > now) {
		say_throttled(s, t, now);
		return ZO_REJECTED;
	}
	if (t->budget_until > now) {
		char text[96];
		time_left_text(t->budget_until - now, t->budget_until, text, sizeof(text));
		log_error("the machines sharing profile '%s' have used what Zoho allows its refresh "
			"token (10 new access tokens in 10 minutes, and only so many alive at once): no "
			"refresh for %s", s->profile, text);
		return ZO_REJECTED;
	}
	/* The keyring or the database hands out the refresh token only now,
	 * when it is needed. */
	int status = store_load_secrets(st, t);
	if (status != ZO_OK)
		return status;
	/* Before asking Zoho: the answer must have somewhere to go (a full
	 * disk would otherwise spend a refresh, and Zoho allows ten in ten
	 * minutes, on every call). */
	status = store_prepare(st, t);
	if (status != ZO_OK)
		return status;
	status = refresh_now(s, t, &throttled);
	if (status == ZO_OK)
		return store_save(st, t);
	if (throttled) {
		t->throttled_until = now + THROTTLE_WINDOW;
		if (store_save(st, t) == ZO_OK) {
			char when[48];
			local_time_text(t->throttled_until, false, when, sizeof(when));
			log_info("no call will ask zoho again until %s", when);
		}
	} else {
		store_abandon(st);
	}
	return status;
}

/* Whether t holds an access token with time left other than dead: someone
 * refreshed after dead was refused. */
static bool replaced(const struct tokens *t, const char *dead)
{
	return t->access_token && strcmp(t->access_token, dead) != 0 &&
		tokens_time_left(t, wall_seconds()) > 0;
}

/* fresh_tokens(), and with dead: refresh unless the stored access token is
 * no longer that one. */
static int fresh(const struct settings *s, long min_valid, bool force, const char *dead,
		struct tokens *out)
{
	struct store *st = NULL;
	struct tokens seen = { 0 };
	char holder[96], lock_name[PATH_MAX + 64];
	int status;

	memset(out, 0, sizeof(*out));
	status = store_open(s, &st);
	if (status != ZO_OK)
		return status;
	status = store_load(st, &seen);
	/* The common case: one small file read, nothing else. */
	if (status != ZO_OK || (dead ? replaced(&seen, dead) :
			!force && !tokens_need_refresh(&seen, min_valid, wall_seconds()))) {
		if (status == ZO_OK)
			*out = seen;
		store_close(st);
		return status;
	}

	/* From here on a failure may still end in the token we have, while it
	 * has time left: what goes wrong is a warning then. */
	bool fallback = !force && tokens_time_left(&seen, wall_seconds()) > 0;
	log_errors_as_warnings(fallback);

	status = store_lock(st, s->lock_timeout * 1000, false, holder, sizeof(holder));
	if (status == ZO_BUSY) {
		if (fallback) {
			log_warn("%s has held the lock %s for %ld seconds", holder,
				store_lock_name(st, lock_name, sizeof(lock_name)),
				s->lock_timeout + s->lock_waited);
		} else {
			log_errors_as_warnings(false);
			log_error("gave up after %ld seconds waiting for %s, which holds the lock %s "
				"(a zoho-oauth still refreshing, or one that is stuck); --lock-timeout waits "
				"longer", s->lock_timeout + s->lock_waited, holder,
				store_lock_name(st, lock_name, sizeof(lock_name)));
		}
	} else if (status == ZO_RELOGIN) {
		/* Removed since we read it: say what is there now. */
		struct tokens gone;
		tokens_finish(&seen);
		log_errors_as_warnings(false);
		status = store_load(st, &gone);
		tokens_finish(&gone);
		if (status == ZO_OK)
			status = ZO_FAILURE;
	} else if (status == ZO_OK) {
		/* The second look: someone may have refreshed while we waited. A
		 * token refreshed meanwhile is used whatever its lifetime, so
		 * that short-lived tokens don't make every caller refresh. */
		struct tokens now_held;
		status = store_load(st, &now_held);
		if (status == ZO_OK) {
			int64_t now = wall_seconds();
			bool refreshed = now_held.obtained_at != seen.obtained_at ||
				(now_held.access_token && (!seen.access_token ||
					strcmp(now_held.access_token, seen.access_token) != 0));
			if (dead ? replaced(&now_held, dead) :
					!force && ((refreshed && tokens_time_left(&now_held, now) > 0) ||
					!tokens_need_refresh(&now_held, min_valid, now)))
				status = ZO_OK;
			else
				status = refresh_locked(st, s, &now_held);
			tokens_finish(&seen);
			seen = now_held;
		}
		store_unlock(st);
	}
	log_errors_as_warnings(false);

	/* What was said as a warning, in the hope of serving the token, was an
	 * error after all: say so once more, as one. */
	if (status == ZO_RELOGIN && fallback && tokens_offline(&seen)) {
		char hint[128];
		store_login_hint(s, hint, sizeof(hint));
		log_error("profile '%s' needs a new sign-in: run '%s'", s->profile, hint);
	}
	if (status != ZO_OK && !force && seen.access_token && serve_anyway(s, status, &seen))
		status = ZO_OK;
	if (status == ZO_OK)
		*out = seen;
	else
		tokens_finish(&seen);
	store_close(st);
	return status;
}

int fresh_tokens(const struct settings *s, long min_valid, bool force, struct tokens *out)
{
	return fresh(s, min_valid, force, NULL, out);
}

int fresh_tokens_instead_of(const struct settings *s, const char *dead, struct tokens *out)
{
	return fresh(s, 0, true, dead, out);
}
