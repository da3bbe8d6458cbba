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

static int signin_check_existing(const struct settings *s, bool *done)
{
	struct tokens t;
	const char *why_new = NULL;

	*done = false;
	/* A sign-in makes a refresh token at Zoho: make sure it can be kept
	 * before making one. */
	if (strcmp(s->token_file, "-") != 0 && !secure_write_possible(s->token_file))
		return ZO_FAILURE;
	if (s->force || strcmp(s->token_file, "-") == 0 || access(s->token_file, F_OK) != 0)
		return ZO_OK;
	int status = store_load(s, &t);
	if (status != ZO_OK) {
		log_error("pass --force to replace it with a new sign-in");
		return status;
	}
	if (!t.refresh_token)
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
		log_error("could not check the tokens already stored for profile '%s'; pass --force "
			"to sign in anyway", s->profile);
		return status;
	}
	log_info("profile '%s' already holds a working refresh token for these scopes (%s): "
		"nothing to do. Every sign-in makes a new refresh token and Zoho keeps only 20 per "
		"user, silently revoking the oldest; pass --force to sign in anyway", s->profile,
		s->token_file);
	*done = true;
	return ZO_OK;
}

int signin_begin(const struct settings *s, bool *done, char **secret)
{
	*secret = NULL;
	int status = signin_check_existing(s, done);
	if (status != ZO_OK || *done)
		return status;
	return secret_obtain(s->client_secret_file, secret);
}

static int write_out(const struct settings *s, const struct tokens *t)
{
	char *json = tokens_to_json(t);
	bool ok;
	if (!json)
		return ZO_FAILURE;
	if (strcmp(s->token_file, "-") == 0) {
		ok = write_all(STDOUT_FILENO, json, strlen(json));
		if (!ok)
			log_error("cannot write the tokens to stdout: %s", strerror(errno));
	} else {
		/* Under the store's lock: a refresh running now must not write the
		 * old tokens over ours. No directory yet means no file to race. */
		int lock = -1;
		int status = store_lock(s->token_file, &lock);
		if (status != ZO_OK && status != ZO_RELOGIN) {
			secret_free(json);
			return status;
		}
		if (lock >= 0)
			secure_write_clean(s->token_file);
		ok = secure_write(s->token_file, json, strlen(json));
		store_unlock(lock);
	}
	secret_free(json);
	return ok ? ZO_OK : ZO_FAILURE;
}

int signin_save(const struct settings *s, struct tokens *t, const char *secret, const char *server,
		const char *location)
{
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
	t->client_secret = xstrdup(secret);
	t->accounts_server = xstrndup(server, len);
	t->location = loc ? xstrdup(loc) : NULL;
	if (!t->api_domain && dc)
		t->api_domain = xstrdup(dc->api);
	if (!t->scope && s->scope)
		t->scope = xstrdup(s->scope);
	if (!t->client_id || !t->client_secret || !t->accounts_server || (loc && !t->location))
		return ZO_FAILURE;
	if (s->cmd == CMD_EXCHANGE && !t->refresh_token)
		log_warn("zoho sent no refresh token for this code: the access token works for an "
			"hour, then you need a new code");
	if (s->cmd == CMD_LOGIN && !s->device && s->offline && !t->refresh_token)
		log_warn("zoho sent no refresh token although offline access was asked for: "
			"without prompt=consent Zoho only sends one at the first consent; sign in "
			"again without --no-consent-prompt if you need one");
	return write_out(s, t);
}

void signin_report(const struct settings *s)
{
	if (strcmp(s->token_file, "-") != 0)
		log_info("signed in: tokens written to %s", s->token_file);
	else
		log_info("signed in: tokens written to stdout");
}
