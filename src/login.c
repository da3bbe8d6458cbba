#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "browser.h"
#include "callback.h"
#include "exchange.h"
#include "log.h"
#include "login.h"
#include "loopback.h"
#include "pkce.h"
#include "redirect.h"
#include "refresh.h"
#include "secret.h"
#include "secure-file.h"
#include "signals.h"
#include "status.h"
#include "store.h"
#include "tokens.h"
#include "urlcode.h"
#include "util.h"

/* How long the browser gets to fetch the outcome page before we exit. */
#define LINGER_MS 2000

/*
 * Everything one login holds. Secrets in it are wiped by login_finish().
 */
struct login {
	const struct settings *s;
	struct redirect redirect;
	struct pkce pkce;
	char *secret;
	struct loopback *lb;
	struct callback cb;
};

static void login_finish(struct login *l)
{
	loopback_destroy(l->lb);
	callback_finish(&l->cb);
	secret_free(l->secret);
	pkce_finish(&l->pkce);
}

/* Check what login needs before anything is started. */
static int check_settings(struct login *l)
{
	const struct settings *s = l->s;
	char why[512];

	if (!s->client_id) {
		log_error("no client id: pass --client-id, set ZOHO_CLIENT_ID, or add client_id to "
			"[profile %s] in %s (the \"Client ID\" of a Server-based client in "
			"https://api-console.zoho.com)", s->profile, s->config_path ? s->config_path : "the config");
		return ZO_USAGE;
	}
	if (!s->scope) {
		log_error("no scope: pass --scope with what the token may do, e.g. "
			"--scope ZohoCliq.Channels.READ,ZohoCliq.Messages.CREATE, or add scope to "
			"[profile %s] in %s", s->profile, s->config_path ? s->config_path : "the config");
		return ZO_USAGE;
	}
	if (!redirect_parse(s->redirect_uri, &l->redirect, why, sizeof(why))) {
		log_error("--redirect-uri: %s", why);
		return ZO_USAGE;
	}
	return ZO_OK;
}

/* Whether every scope in wanted is in have (Zoho may separate with spaces). */
static bool scopes_cover(const char *have, const char *wanted)
{
	if (!have)
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

/*
 * Each sign-in makes a new refresh token, and Zoho keeps 20 per user,
 * silently revoking the oldest: don't make one when the profile already
 * holds a working one for the same client and scopes. *done says to stop.
 */
static int check_existing(const struct settings *s, bool *done)
{
	struct tokens t;
	const char *why_new = NULL;

	*done = false;
	if (s->force || strcmp(s->token_file, "-") == 0 || access(s->token_file, F_OK) != 0)
		return ZO_OK;
	int status = store_load(s, &t);
	if (status != ZO_OK) {
		log_error("pass --force to replace it with a new sign-in");
		return status;
	}
	if (!t.refresh_token)
		why_new = "they include no refresh token";
	else if (strcmp(t.client_id, s->client_id) != 0)
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

/* Wait for the claimed callback, a signal or the deadline. */
static int wait_for_callback(struct login *l)
{
	int64_t deadline = monotonic_ms() + l->s->timeout * 1000;
	for (;;) {
		if (signals_caught())
			return ZO_INTERRUPTED + signals_caught();
		if (loopback_take(l->lb, &l->cb))
			return ZO_OK;
		int64_t left = deadline - monotonic_ms();
		if (left <= 0) {
			log_error("no answer from the browser within %ld seconds: run login again, "
				"or raise --timeout", l->s->timeout);
			return ZO_TIMEOUT;
		}
		struct pollfd p[2] = {
			{ .fd = loopback_fd(l->lb), .events = POLLIN },
			{ .fd = signals_fd(), .events = POLLIN },
		};
		if (poll(p, 2, left > 60000 ? 60000 : (int)left) < 0 && errno != EINTR) {
			log_error("poll: %s", strerror(errno));
			return ZO_FAILURE;
		}
	}
}

/* Where to exchange the code: the redirect's accounts-server when we may
 * trust it with the secret, else the configured one. */
static const char *pick_accounts_server(const struct login *l)
{
	const char *configured = l->s->accounts_url;
	const char *named = l->cb.accounts_server;
	if (!named)
		return configured;
	if (zoho_accounts_server_trusted(named, configured)) {
		if (!zoho_dc_by_accounts(named) || zoho_dc_by_accounts(named) != zoho_dc_by_accounts(configured))
			log_debug("zoho sent you back from %s; exchanging the code there", named);
		return named;
	}
	char shown[128];
	printable_copy(shown, sizeof(shown), named);
	log_warn("the redirect names '%s' as the accounts server, which is not a Zoho accounts "
		"server: ignored, exchanging the code at %s", shown, configured);
	return configured;
}

static int save(const struct settings *s, struct tokens *t)
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
		ok = secure_write(s->token_file, json, strlen(json));
		store_unlock(lock);
	}
	secret_free(json);
	return ok ? ZO_OK : ZO_FAILURE;
}

static int exchange_code(struct login *l, char *summary, size_t summary_len)
{
	const struct settings *s = l->s;
	const char *server = pick_accounts_server(l);
	struct buf form = { 0 };
	struct tokens t;
	char *accounts = NULL;
	int status;

	if (!form_add(&form, "grant_type", "authorization_code") ||
			!form_add(&form, "client_id", s->client_id) ||
			!form_add(&form, "client_secret", l->secret) ||
			!form_add(&form, "redirect_uri", s->redirect_uri) ||
			!form_add(&form, "code", l->cb.code) ||
			(s->pkce && !form_add(&form, "code_verifier", l->pkce.verifier))) {
		buf_finish(&form);
		snprintf(summary, summary_len, "out of memory");
		return ZO_FAILURE;
	}
	/* The code has done its job; don't keep it around. */
	secret_free(l->cb.code);
	l->cb.code = NULL;

	log_info("exchanging the code at %s", server);
	status = exchange_tokens(server, &form, GRANT_AUTHORIZATION_CODE, &s->net, &t, summary, summary_len);
	buf_finish(&form);
	if (status != ZO_OK)
		return status;

	/* Complete the record so that a later refresh needs nothing else. */
	const struct zoho_dc *dc = zoho_dc_by_accounts(server);
	const struct zoho_dc *named_dc = zoho_dc_by_location(l->cb.location);
	const char *location = dc ? dc->location : named_dc ? named_dc->location : NULL;
	accounts = xstrndup(server, strlen(server) - (server[strlen(server) - 1] == '/'));
	t.client_id = xstrdup(s->client_id);
	t.client_secret = xstrdup(l->secret);
	t.accounts_server = accounts;
	t.location = location ? xstrdup(location) : NULL;
	if (!t.api_domain && dc)
		t.api_domain = xstrdup(dc->api);
	if (!t.scope)
		t.scope = xstrdup(s->scope);
	if (!t.client_id || !t.client_secret || !t.accounts_server || !t.scope) {
		tokens_finish(&t);
		snprintf(summary, summary_len, "out of memory");
		return ZO_FAILURE;
	}
	if (s->offline && !t.refresh_token)
		log_warn("zoho sent no refresh token although offline access was asked for: "
			"without prompt=consent Zoho only sends one at the first consent; run login "
			"again without --no-consent-prompt if you need one");

	status = save(s, &t);
	tokens_finish(&t);
	if (status != ZO_OK)
		snprintf(summary, summary_len, "the tokens could not be saved: the terminal says why");
	return status;
}

int cmd_login(const struct settings *s)
{
	struct login l = { .s = s };
	struct buf url = { 0 };
	int status;

	status = check_settings(&l);
	if (status != ZO_OK)
		return status;
	bool done;
	status = check_existing(s, &done);
	if (status != ZO_OK || done)
		return status;
	status = secret_obtain(s->client_secret_file, &l.secret);
	if (status != ZO_OK)
		return status;
	if (!pkce_init(&l.pkce)) {
		login_finish(&l);
		return ZO_FAILURE;
	}

	/* Listen first: the browser may come back quickly. */
	status = loopback_start(&l.redirect, l.pkce.state, &l.lb);
	if (status != ZO_OK)
		goto out;

	struct consent_request req = {
		.accounts = s->accounts_url,
		.client_id = s->client_id,
		.redirect_uri = s->redirect_uri,
		.scope = s->scope,
		.offline = s->offline,
		.consent_prompt = s->consent_prompt,
		.state = l.pkce.state,
		.code_challenge = s->pkce ? l.pkce.challenge : NULL,
	};
	if (!zoho_consent_url(&req, &url)) {
		status = ZO_FAILURE;
		goto out;
	}

	bool opened = s->open_browser && browser_open(url.data);
	if (opened)
		log_info("opened your browser to sign in to Zoho; if it did not appear, open this URL:");
	else
		log_info("open this URL in a browser on this machine to sign in to Zoho:");
	/* The URL goes out even with --quiet: without it nobody can sign in. */
	fprintf(stderr, "\n    %s\n\n", url.data);
	log_info("waiting up to %ld seconds for Zoho to send you back to %s (Ctrl-C to stop)",
		s->timeout, s->redirect_uri);

	status = wait_for_callback(&l);
	if (status != ZO_OK) {
		loopback_finish(l.lb, &page_failed, "zoho-oauth stopped waiting.");
		goto out;
	}

	if (l.cb.error) {
		char shown[128];
		printable_copy(shown, sizeof(shown), l.cb.error);
		log_error("access was refused in the browser (zoho said: %s); nothing was saved", shown);
		loopback_finish(l.lb, &page_refused, shown);
		loopback_linger(l.lb, LINGER_MS);
		status = ZO_REFUSED;
		goto out;
	}

	char summary[512];
	status = exchange_code(&l, summary, sizeof(summary));
	if (status != ZO_OK) {
		loopback_finish(l.lb, &page_failed, summary);
		if (status < ZO_INTERRUPTED)
			loopback_linger(l.lb, LINGER_MS);
		goto out;
	}
	char detail[128];
	snprintf(detail, sizeof(detail), "Profile: %s", s->profile);
	loopback_finish(l.lb, &page_success, detail);
	loopback_linger(l.lb, LINGER_MS);
	if (strcmp(s->token_file, "-") != 0)
		log_info("signed in: tokens written to %s", s->token_file);
	else
		log_info("signed in: tokens written to stdout");
	/* A signal after the file was written changes nothing: the tokens are
	 * saved and the code is spent. */
	status = ZO_OK;
out:
	buf_finish(&url);
	login_finish(&l);
	return status;
}
