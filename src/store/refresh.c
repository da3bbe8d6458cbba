#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "core/exit-status.h"
#include "core/log.h"
#include "core/urlcode.h"
#include "core/util.h"
#include "store/refresh.h"
#include "store/store.h"
#include "zoho/token-endpoint.h"

static bool fresh_enough(const struct tokens *t, long min_valid)
{
	return t->expires_at - wall_seconds() >= min_valid;
}

/* Replace *dst with *src when Zoho sent one. */
static void take(char **dst, char **src)
{
	if (!*src)
		return;
	secret_free(*dst);
	*dst = *src;
	*src = NULL;
}

/* Ask Zoho for a new access token and merge it into t. */
static int refresh_now(const struct settings *s, struct tokens *t)
{
	struct buf form = { 0 };
	struct tokens fresh;
	char summary[512];
	char hint[128];

	if (!t->refresh_token) {
		store_login_hint(s, hint, sizeof(hint));
		log_error("the access token for profile '%s' %s and there is no refresh token "
			"(online access): run '%s' again", s->profile,
			t->expires_at > wall_seconds() ? "is about to expire" : "has expired", hint);
		return ZO_RELOGIN;
	}
	if (!form_add(&form, "grant_type", "refresh_token") ||
			!form_add(&form, "client_id", t->client_id) ||
			!form_add(&form, "client_secret", t->client_secret) ||
			!form_add(&form, "refresh_token", t->refresh_token)) {
		buf_finish(&form);
		return ZO_FAILURE;
	}
	log_debug("refreshing the access token of profile '%s'", s->profile);
	int status = exchange_tokens(t->accounts_server, &form, GRANT_REFRESH, &s->net, &fresh,
		summary, sizeof(summary));
	buf_finish(&form);
	if (status == ZO_RELOGIN) {
		store_login_hint(s, hint, sizeof(hint));
		log_error("profile '%s' needs a new sign-in: run '%s'", s->profile, hint);
	}
	if (status != ZO_OK)
		return status;

	/* The answer has no refresh token (if it ever has one, take it). */
	take(&t->access_token, &fresh.access_token);
	take(&t->refresh_token, &fresh.refresh_token);
	take(&t->api_domain, &fresh.api_domain);
	take(&t->scope, &fresh.scope);
	take(&t->token_type, &fresh.token_type);
	t->expires_at = fresh.expires_at;
	t->obtained_at = fresh.obtained_at;
	tokens_finish(&fresh);
	return ZO_OK;
}

int fresh_tokens(const struct settings *s, long min_valid, bool force, struct tokens *out)
{
	int lock = -1;
	int status = store_load(s, out);

	/* The common case: one small file read, nothing else. */
	if (status != ZO_OK || (!force && fresh_enough(out, min_valid)))
		return status;
	tokens_finish(out);

	status = store_lock(s->token_file, &lock);
	if (status != ZO_OK) {
		if (status == ZO_RELOGIN)
			status = store_load(s, out); /* says what is missing */
		return status;
	}
	/* Someone may have refreshed while we waited for the lock. */
	status = store_load(s, out);
	if (status == ZO_OK && (force || !fresh_enough(out, min_valid))) {
		status = refresh_now(s, out);
		if (status == ZO_OK)
			status = store_save(s->token_file, out);
	}
	store_unlock(lock);
	if (status != ZO_OK)
		tokens_finish(out);
	return status;
}
