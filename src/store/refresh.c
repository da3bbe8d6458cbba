#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "core/exit-status.h"
#include "core/lock.h"
#include "core/log.h"
#include "core/util.h"
#include "store/ahead.h"
#include "store/refresh.h"
#include "zoho/token-endpoint.h"

/* How long Zoho's throttle lasts: 10 refreshes per refresh token per 10
 * minutes, then refusals for the rest of the window. */
#define THROTTLE_WINDOW 600
/* "for 4 minutes (until 14:05 CET)" */
#define TIME_LEFT_MAX 96

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
 * whether Zoho refused for too many requests. A refresh token Zoho no
 * longer honours is said with the command that gets a new one. */
static int refresh_now(const struct profile *p, struct tokens *t, bool *throttled)
{
	struct tokens fresh;
	struct report r;
	char summary[ZOHO_SUMMARY_MAX], hint[PROFILE_HINT_MAX];
	enum zoho_error rejected = ZOHO_ERR_OTHER;
	/* A Self Client's client credentials ask again with the secret. */
	struct token_request req = {
		.grant = t->client_credentials ? GRANT_CLIENT_CREDENTIALS : GRANT_REFRESH,
		.client_id = t->client_id,
		.client_secret = t->client_secret,
		.refresh_token = t->refresh_token,
		.scope = t->scope,
		.soid = t->soid,
	};

	*throttled = false;
	if (t->client_credentials && !t->scope) {
		profile_command(p, "login --client-credentials --scope LIST", NULL, hint, sizeof(hint));
		log_error("profile '%s' holds client credentials but no scope to ask for: sign in "
			"again with '%s'", p->name, hint);
		return ZO_RELOGIN;
	}
	log_debug("refreshing the access token of profile '%s'", p->name);
	report_open(&r);
	int status = exchange_tokens(t->accounts_server, &req, &p->net, &fresh, summary,
		sizeof(summary), &rejected);
	profile_command(p, "login", t->client_credentials ? "--client-credentials" : NULL, hint,
		sizeof(hint));
	char run[PROFILE_HINT_MAX + 16];
	snprintf(run, sizeof(run), "run '%s'", hint);
	report_fail(&r, status == ZO_RELOGIN ? run : NULL);
	*throttled = status == ZO_REJECTED && rejected == ZOHO_ERR_THROTTLED;
	if (status != ZO_OK)
		return status;

	/* The answer has no refresh token (if it ever has one, take it). */
	tokens_check_api_domain(&fresh, t->accounts_server);
	take(&t->access_token, &fresh.access_token);
	take(&t->refresh_token, &fresh.refresh_token);
	take(&t->api_domain, &fresh.api_domain);
	/* Client credentials ask again with the scope they asked for, not
	 * Zoho's listing of it. */
	if (!t->client_credentials)
		take(&t->scope, &fresh.scope);
	take(&t->token_type, &fresh.token_type);
	t->expires_at = fresh.expires_at;
	t->obtained_at = fresh.obtained_at;
	t->throttled_until = 0;
	/* Renewed: what a refresh ahead remembered is over. */
	t->ahead_failed_at = 0;
	t->ahead_retry_at = 0;
	t->ahead_status = 0;
	secret_free(t->ahead_error);
	t->ahead_error = NULL;
	tokens_finish(&fresh);
	return ZO_OK;
}

/* "4 minutes (until 14:05 CET)". */
static void time_left_text(int64_t left, int64_t until, char *out, size_t len)
{
	char span[32], when[48];
	span_text(left, span, sizeof(span));
	local_time_text(until, false, when, sizeof(when));
	snprintf(out, len, "%s (until %s)", span, when);
}

/* Zoho's throttle, or a shared store's spent budget, says no refresh yet:
 * said, ZO_REJECTED; else ZO_OK. */
static int held_back(const struct profile *p, const struct tokens *t, int64_t now)
{
	char text[TIME_LEFT_MAX];
	if (t->throttled_until > now) {
		time_left_text(t->throttled_until - now, t->throttled_until, text, sizeof(text));
		log_error("zoho is throttling refreshes of profile '%s' (too many in 10 minutes): no "
			"new request for %s", p->name, text);
		return ZO_REJECTED;
	}
	if (t->budget_until > now) {
		bool client = t->client_credentials;
		time_left_text(t->budget_until - now, t->budget_until, text, sizeof(text));
		log_error("the machines sharing profile '%s'%s have used what Zoho allows%s (10 new "
			"access tokens%s in 10 minutes, and only so many alive at once): no %s for %s",
			p->name, client ? " (with the client's other client-credentials profiles in "
			"the database)" : "", client ? "" : " its refresh token", client ?
			" for the client" : "", client ? "renewal" : "refresh", text);
		return ZO_REJECTED;
	}
	return ZO_OK;
}

/*
 * Under the lock, with what the store holds now in t: refresh, and keep
 * the result (a throttle answer is kept too, so that nobody asks again
 * within the window).
 */
static int refresh_locked(struct store *st, const struct judge_ask *ask, struct tokens *t)
{
	const struct profile *p = store_profile(st);
	int64_t now = wall_seconds();
	char hint[PROFILE_HINT_MAX];
	bool throttled;

	if (!tokens_offline(t)) {
		/* (login with online access, or a token file written without one) */
		profile_command(p, "login", "--access-type offline", hint, sizeof(hint));
		if (ask->force)
			log_error("profile '%s' has no refresh token (online access), so there is "
				"nothing to refresh: run '%s' to get one", p->name, hint);
		else
			log_error("the access token for profile '%s' %s and there is no refresh token "
				"(online access): run '%s' to get one", p->name,
				tokens_time_left(t, now) > 0 ? "is about to expire" : "has expired", hint);
		return ZO_RELOGIN;
	}
	if (t->budget_until > now) {
		/* Remembered on this machine (in the cache): its callers don't
		 * ask the database again before then. */
		struct report quiet;
		report_open(&quiet);
		store_note(st, t);
		report_drop(&quiet);
	}
	int status = held_back(p, t, now);
	if (status != ZO_OK)
		return status;
	/* The keyring or the database hands out the refresh token only now,
	 * when it is needed. */
	status = store_load_secrets(st, t);
	if (status != ZO_OK)
		return status;
	/* Before asking Zoho: the answer must have somewhere to go (a full
	 * disk would otherwise spend a refresh, and Zoho allows ten in ten
	 * minutes, on every call). */
	status = store_prepare(st, t, STORE_FOR_REFRESH);
	if (status != ZO_OK)
		return status;
	status = refresh_now(p, t, &throttled);
	if (status == ZO_OK)
		return store_save_access(st, t);
	if (throttled) {
		/* Zoho issued nothing: a shared store's count goes back, the
		 * throttle stays. */
		if (store_shared(st))
			store_abandon_refused(st);
		t->throttled_until = now + THROTTLE_WINDOW;
		if (store_save(st, t) == ZO_OK) {
			char when[48];
			local_time_text(t->throttled_until, false, when, sizeof(when));
			log_info("no call will ask zoho again until %s", when);
		}
	} else if (status == ZO_RELOGIN || status == ZO_REJECTED) {
		/* Zoho answered, and issued nothing. */
		store_abandon_refused(st);
	} else {
		store_abandon(st);
	}
	return status;
}

/*
 * A refresh ahead (store/ahead.h), under the lock: unless a failure
 * remembered says not yet, refresh, and remember what went wrong in the
 * cache, where the next caller and status find it. Its errors are said
 * as ever (to nobody: the refresher's stderr is /dev/null).
 */
static int renew_ahead(struct store *st, const struct judge_ask *ask, struct tokens *held)
{
	int64_t now = wall_seconds();
	if (ahead_held_back(held, now))
		return ZO_OK; /* another refresher failed meanwhile: its word stands */
	struct report r;
	char why[REPORT_HELD_MAX];
	report_open(&r);
	int status = refresh_locked(st, ask, held);
	report_copy(&r, why, sizeof(why));
	report_fail(&r, NULL);
	if (status == ZO_OK || status >= ZO_INTERRUPTED)
		return status;
	now = wall_seconds();
	secret_free(held->ahead_error);
	if (strlen(why) >= AHEAD_ERROR_MAX)
		why[AHEAD_ERROR_MAX - 1] = '\0';
	/* The cache holds ASCII: anything else (Zoho's words, escaped once
	 * already) becomes '?'. */
	for (char *c = why; *c; c++)
		if ((unsigned char)*c < 0x20 || (unsigned char)*c >= 0x7f)
			*c = '?';
	held->ahead_error = xstrdup(why[0] ? why : "it failed");
	held->ahead_failed_at = now;
	held->ahead_status = status;
	held->ahead_retry_at = ahead_retry_at(status, held, now);
	store_note(st, held);
	return status;
}

/* A token served past its soft margin: renewed behind the caller, by
 * this very program started anew (store/ahead.h). */
static void behind(struct store *st, const struct tokens *held, enum fresh_source *source)
{
	const struct profile *p = store_profile(st);
	char self[PATH_MAX];
	if (held->ahead_failed_at)
		ahead_say_failure(p, held, wall_seconds());
	ssize_t n = readlink("/proc/self/exe", self, sizeof(self) - 1);
	if (n <= 0)
		return;
	self[n] = '\0';
	if (ahead_start(p, self, held) == AHEAD_STARTED)
		*source = FRESH_AHEAD;
}

/* The lock, the second look and, when it is still needed, the refresh:
 * *held ends up with what the store holds last. */
static int renew(struct store *st, const struct judge_ask *ask, const struct token_seen *seen,
		struct tokens *held, enum fresh_source *source, bool may_serve)
{
	const struct profile *p = store_profile(st);
	char holder[LOCK_HOLDER_MAX], lock_name[PATH_MAX + 128];
	/* What this machine remembers (Zoho's throttle, a spent budget) is
	 * enough to say no: no lock, no database. */
	int no = held_back(p, held, wall_seconds());
	if (no != ZO_OK)
		return no;
	/* A database's row read first, without locking it: another machine
	 * may have renewed the token already, and then nobody locks the row. */
	if (!ask->force && store_peek(st) == ZO_OK) {
		struct tokens peeked;
		struct report quiet;
		report_open(&quiet);
		int loaded = store_load(st, &peeked);
		report_drop(&quiet);
		if (loaded == ZO_OK && judge(&peeked, seen, wall_seconds(), ask) == VERDICT_SERVE) {
			tokens_finish(held);
			*held = peeked;
			*source = FRESH_MEANWHILE;
			return ZO_OK;
		}
		if (loaded == ZO_OK)
			tokens_finish(&peeked);
	}
	if (p->waits_broken) {
		log_error("cannot wait for another process's lock: %s", p->waits_broken);
		return ZO_USAGE;
	}
	int status = store_lock(st, p->waits.lock_timeout * 1000, 0, holder, sizeof(holder));
	if (status == ZO_BUSY) {
		long waited = p->waits.lock_timeout + p->waits.lock_waited;
		store_lock_name(st, lock_name, sizeof(lock_name));
		if (may_serve)
			log_error("%s has held the lock %s for %ld second%s", holder, lock_name, waited,
				plural(waited));
		else
			log_error("gave up after %ld second%s waiting for %s, which holds the lock %s (a "
				"zoho-oauth still refreshing, or one that is stuck); --lock-timeout waits "
				"longer", waited, plural(waited), holder, lock_name);
		return ZO_BUSY;
	}
	if (status == ZO_RELOGIN) {
		/* Removed since it was read: say what is there now. */
		struct tokens gone;
		store_reload(st);
		status = store_load(st, &gone);
		tokens_finish(&gone);
		return status == ZO_OK ? ZO_FAILURE : status;
	}
	if (status != ZO_OK)
		return status;
	store_reload(st);
	struct tokens now_held;
	status = store_load(st, &now_held);
	if (status == ZO_OK) {
		tokens_finish(held);
		*held = now_held;
		if (judge(held, seen, wall_seconds(), ask) == VERDICT_SERVE) {
			*source = FRESH_MEANWHILE;
		} else if (ask->ahead) {
			status = renew_ahead(st, ask, held);
			*source = FRESH_RENEWED;
		} else {
			status = refresh_locked(st, ask, held);
			*source = FRESH_RENEWED;
		}
	}
	store_unlock(st);
	return status;
}

int fresh_tokens_from(struct store *st, const struct judge_ask *asked,
		const struct handoff *handed, struct tokens *out, enum fresh_source *source)
{
	const struct profile *p = store_profile(st);
	struct tokens held;
	/* A fleet's machine renews at its own moment (store/judge.h). */
	struct judge_ask spread = *asked;
	spread.spread = store_shared(st) ? p->machine_offset : 0;
	const struct judge_ask *ask = &spread;
	*source = FRESH_CACHED;
	memset(out, 0, sizeof(*out));
	/* A fleet's machine looks at the row now and then: revoked or
	 * replaced elsewhere, its cached token is served no more. */
	int status = store_check(st);
	if (status != ZO_OK)
		return status;
	status = store_load(st, &held);
	if (status != ZO_OK)
		return status;
	struct token_seen seen = token_seen_of(&held);
	bool was_handed = handed && handed->lock_fd >= 0 && handed->seen;
	if (was_handed) {
		/* The front judged its own look; the open's read was the second. */
		seen.obtained_at = handed->seen_obtained_at;
		seen.expires_at = handed->seen_expires_at;
	} else {
		enum verdict v = judge(&held, NULL, wall_seconds(), ask);
		if (v == VERDICT_SERVE_AHEAD)
			behind(st, &held, source);
		if (v != VERDICT_RENEW) {
			*out = held;
			return ZO_OK;
		}
	}

	/* From here on a failure may still end in the token in hand, while it
	 * has time left: what goes wrong is held until that is known. */
	bool may_serve = !ask->force && !ask->dead && tokens_time_left(&held, wall_seconds()) > 0;
	struct report r;
	report_open(&r);
	status = renew(st, ask, &seen, &held, source, may_serve);
	int64_t left = tokens_time_left(&held, wall_seconds());
	if (status != ZO_OK && may_serve && held.access_token && left > 0 &&
			status != ZO_RELOGIN && status < ZO_INTERRUPTED) {
		char why[REPORT_HELD_MAX], text[TIME_LEFT_MAX];
		report_take(&r, why, sizeof(why));
		time_left_text(left, held.expires_at, text, sizeof(text));
		log_warn("could not refresh the access token of profile '%s' (%s); it is still valid "
			"for %s: using it", p->name, why[0] ? why : "see above", text);
		*source = FRESH_FALLBACK;
		status = ZO_OK;
	} else if (status == ZO_OK) {
		/* Nothing that went wrong on the way stopped it. */
		char why[REPORT_HELD_MAX];
		report_take(&r, why, sizeof(why));
		if (why[0])
			log_warn("%s", why);
	} else {
		report_fail(&r, NULL);
	}
	if (status == ZO_OK)
		*out = held;
	else
		tokens_finish(&held);
	return status;
}

int fresh_tokens(struct store *st, const struct judge_ask *ask, const struct handoff *handed,
		struct tokens *out)
{
	enum fresh_source source;
	return fresh_tokens_from(st, ask, handed, out, &source);
}
