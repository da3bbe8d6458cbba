#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cmd/login.h"
#include "core/ask.h"
#include "core/exit-status.h"
#include "core/paths.h"
#include "core/log.h"
#include "core/signals.h"
#include "core/util.h"
#include "settings/config-file.h"
#include "signin/browser.h"
#include "signin/callback.h"
#include "signin/device.h"
#include "signin/loopback.h"
#include "signin/pkce.h"
#include "signin/signin.h"
#include "zoho/http.h"
#include "zoho/redirect.h"
#include "zoho/token-endpoint.h"
#include "zoho/tokens.h"

/* How long the browser gets to fetch the outcome page before we exit. */
#define LINGER_MS 2000

/* After this long without an answer, what Zoho's error pages mean. Tests
 * shorten it with $ZOHO_OAUTH_HINT_AFTER (seconds; undocumented). */
#define HINT_AFTER_S 20

/*
 * Everything one login holds. Secrets in it are wiped by login_finish().
 */
struct login {
	const struct settings *s;
	struct redirect redirect;
	struct pkce pkce;
	struct signin si;         /* the store, the secret */
	struct loopback *lb;
	struct callback cb;
	struct browser browser;
	const char *url;          /* the consent URL */
	bool link_reused;         /* the browser's one-time link was opened twice */
	int64_t hint_at;          /* when to explain Zoho's error pages */
	bool hinted;
	/* Pasting the address from another machine's browser. */
	bool pasting;             /* stdin is read for a pasted address */
	bool stdin_closed;
	struct buf line;          /* what has been typed so far */
};

static void login_finish(struct login *l)
{
	browser_forget(&l->browser);
	buf_finish(&l->line);
	loopback_destroy(l->lb);
	callback_finish(&l->cb);
	signin_finish(&l->si);
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

#define PASTE_MAX 8192

/* Printed even with --quiet: without it nobody can sign in. When the
 * browser failed after it was started, the URL is on the screen already,
 * above: it is not printed again. */
static void paste_instructions(const struct login *l, bool browser_failed)
{
	log_status_end();
	if (browser_failed)
		fprintf(stderr, "The browser could not be started. Open the URL above in a browser on "
			"any machine and sign in to Zoho.\n");
	else
		fprintf(stderr, "No browser here. Open this URL in a browser on any machine and sign in "
			"to Zoho:\n\n    %s\n\n", l->url);
	fprintf(stderr, "After \"Accept\" that browser goes to %s?... and, unless it runs on this "
		"machine, fails to load it. That is expected: copy the whole address from its address "
		"bar, paste it here and press Enter. (Or forward the port first: "
		"ssh -L %ld:localhost:%ld ...)\n",
		l->s->redirect_uri, l->redirect.port, l->redirect.port);
}

/* No browser, and neither stdin nor stderr a terminal: nobody can open
 * the URL or paste the address, and waiting for --timeout helps nobody. */
static bool nobody_to_sign_in(const struct login *l)
{
	return l->s->open_browser && !isatty(STDIN_FILENO) && !isatty(STDERR_FILENO);
}

static int stop_nobody_to_sign_in(void)
{
	log_error("no browser could be started, and neither stdin nor stderr is a terminal: nobody "
		"can open the sign-in URL or paste the address back. Sign in with --device (a "
		"Non-browser client), store a Self Client code with 'zoho-oauth exchange', or pass "
		"--no-browser to print the URL and wait for the pasted address");
	return ZO_USAGE;
}

/* What Zoho's error pages mean, once, when no answer came for a while:
 * on a pipe too, where it helps whoever reads the log later. */
static void show_hint(const struct login *l)
{
	const char *accounts = l->s->accounts_url;
	const char *host = strstr(accounts, "://");
	host = host ? host + 3 : accounts;
	if (log_get_level() < LOG_NORMAL)
		return;
	/* (A prompt's line is ended by the log itself.) */
	log_info("no answer yet. If Zoho shows an error page in the browser:");
	log_info("\"Invalid Redirect Uri\": the API console's redirect URI for this");
	log_info("  client must be exactly (or pass that one with --redirect-uri):");
	log_info("  %s", l->s->redirect_uri);
	log_info("\"Invalid Client\": the client is in another data centre (--dc) or");
	log_info("  is not a Server-based client; this login signs in at:");
	if (l->s->dc)
		log_info("  %s (--dc %s)", host, l->s->dc->location);
	else
		log_info("  %s", host);
	log_info("Ctrl-C is safe: nothing is written until the token arrives.");
	if (l->pasting)
		log_prompt("Paste the address here: ");
}

/* The countdown line, on a terminal only (log_status_possible). */
static void show_countdown(int64_t left_ms)
{
	long s = (long)((left_ms + 999) / 1000);
	char line[128], left[32];
	if (s >= 3600)
		snprintf(left, sizeof(left), "%ld:%02ld:%02ld", s / 3600, s / 60 % 60, s % 60);
	else
		snprintf(left, sizeof(left), "%ld:%02ld", s / 60, s % 60);
	snprintf(line, sizeof(line), "waiting for the sign-in in the browser... %s left "
		"(Ctrl-C to stop)", left);
	log_status(line);
}

/* One pasted line: the same checks as a callback on the listener. true
 * when it was accepted (l->cb holds it). */
static bool take_pasted(struct login *l, char *text)
{
	char why[256];
	const char *query;
	struct callback cb;

	while (*text == ' ' || *text == '\t' || *text == '\r')
		text++;
	size_t len = strlen(text);
	while (len > 0 && (text[len - 1] == ' ' || text[len - 1] == '\t' || text[len - 1] == '\r'))
		text[--len] = '\0';
	if (len == 0)
		return false;
	if (!redirect_match_pasted(&l->redirect, text, &query, why, sizeof(why)) ||
			callback_parse(query, strlen(query), l->pkce.state, &cb, why, sizeof(why)) == CALLBACK_BAD) {
		log_error("that is not the address Zoho sent your browser to: %s. Paste the whole "
			"address from the address bar, starting with %s", why, l->s->redirect_uri);
		return false;
	}
	/* First come, first served: the listener may have it already. */
	if (!loopback_claim(l->lb)) {
		callback_finish(&cb);
		return false;
	}
	callback_move(&l->cb, &cb);
	return true;
}

/* Read what stdin has (poll said it is readable). true when a pasted
 * address was accepted. */
static bool read_paste(struct login *l)
{
	char chunk[1024];
	ssize_t n = read(STDIN_FILENO, chunk, sizeof(chunk));
	if (n < 0 && errno == EINTR)
		return false;
	if (n <= 0) {
		/* A closed stdin just means nobody will paste. */
		l->stdin_closed = true;
		log_debug("stdin closed: waiting for the browser only");
		return false;
	}
	bool accepted = false;
	for (ssize_t i = 0; i < n && !accepted; i++) {
		if (chunk[i] == '\n' && isatty(STDIN_FILENO))
			log_prompt_done(); /* the terminal echoed it */
		if (chunk[i] != '\n') {
			if (l->line.len < PASTE_MAX)
				buf_append(&l->line, &chunk[i], 1);
			else if (l->line.len == PASTE_MAX)
				buf_append(&l->line, "", 1); /* mark: too long, said at the newline */
			continue;
		}
		if (l->line.len > PASTE_MAX)
			log_error("that line is longer than %d characters: not the address Zoho sent", PASTE_MAX);
		else if (l->line.data)
			accepted = take_pasted(l, l->line.data);
		buf_finish(&l->line);
	}
	explicit_bzero(chunk, sizeof(chunk));
	return accepted;
}

/* Wait for the claimed callback, a pasted address, a signal or the
 * deadline; also notice a browser command that fails. On a terminal, a
 * countdown line while nobody is asked to paste (its prompt is the line
 * then); the hint after a while. */
static int wait_loop(struct login *l)
{
	int64_t deadline = l->si.deadline_ms;
	bool countdown = log_status_possible();
	for (;;) {
		if (signals_caught())
			return ZO_INTERRUPTED + signals_caught();
		/* Before a callback: one that came with a reused link is not
		 * to be trusted. */
		if (loopback_aborted(l->lb)) {
			l->link_reused = true;
			return ZO_REFUSED;
		}
		if (loopback_take(l->lb, &l->cb))
			return ZO_OK;
		int64_t now = monotonic_ms();
		int64_t left = deadline - now;
		if (left <= 0) {
			log_status_end();
			log_error("no answer from the browser within %ld seconds: run login again, "
				"or raise --timeout", l->s->timeout);
			return ZO_TIMEOUT;
		}
		int64_t wake = left > 60000 ? 60000 : left;
		if (!l->hinted) {
			if (now >= l->hint_at) {
				show_hint(l);
				l->hinted = true;
			} else if (l->hint_at - now < wake) {
				wake = l->hint_at - now;
			}
		}
		if (countdown && !l->pasting) {
			show_countdown(left);
			/* Until the seconds shown change. */
			int64_t tick = (left - 1) % 1000 + 1;
			if (tick < wake)
				wake = tick;
		}
		struct pollfd p[4] = {
			{ .fd = loopback_fd(l->lb), .events = POLLIN },
			{ .fd = signals_fd(), .events = POLLIN },
			{ .fd = l->pasting && !l->stdin_closed ? STDIN_FILENO : -1, .events = POLLIN },
			{ .fd = l->browser.pidfd, .events = POLLIN },
		};
		if (poll(p, 4, (int)wake) < 0 && errno != EINTR) {
			log_error("poll: %s", strerror(errno));
			return ZO_FAILURE;
		}
		if (p[2].revents & (POLLIN | POLLHUP | POLLERR)) {
			if (read_paste(l))
				return ZO_OK;
		}
		if (p[3].revents & POLLIN) {
			char name[sizeof(l->browser.name)];
			memcpy(name, l->browser.name, sizeof(name));
			if (browser_failed(&l->browser) && !l->pasting) {
				log_warn("%s exited with an error", name);
				if (nobody_to_sign_in(l))
					return stop_nobody_to_sign_in();
				paste_instructions(l, true);
				l->pasting = true;
				log_prompt("Paste the address here: ");
			}
		}
	}
}

static int wait_for_callback(struct login *l)
{
	int status = wait_loop(l);
	log_status_end();
	if (status > ZO_INTERRUPTED) {
		int sig = status - ZO_INTERRUPTED;
		if (sig == SIGINT)
			log_info("stopped (Ctrl-C): nothing was saved");
		else
			log_info("stopped (signal %d): nothing was saved", sig);
	}
	return status;
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

static int exchange_code(struct login *l, char *summary, size_t summary_len)
{
	const struct settings *s = l->s;
	const char *server = pick_accounts_server(l);
	struct tokens t;
	int status;

	if (loopback_aborted(l->lb)) {
		l->link_reused = true;
		return ZO_REFUSED;
	}
	struct token_request req = {
		.grant = GRANT_AUTHORIZATION_CODE,
		.client_id = s->client_id,
		.client_secret = l->si.secret,
		.redirect_uri = s->redirect_uri,
		.code = l->cb.code,
		.code_verifier = s->pkce ? l->pkce.verifier : NULL,
	};
	log_info("exchanging the code at %s", server);
	status = exchange_tokens(server, &req, &s->net, &t, summary, summary_len, NULL);
	/* The code has done its job; don't keep it around. */
	secret_free(l->cb.code);
	l->cb.code = NULL;
	if (status != ZO_OK)
		return status;

	/* The link may have been reused while the code was exchanged: then
	 * these may be someone else's tokens, and are dropped. */
	if (!loopback_commit(l->lb)) {
		tokens_finish(&t);
		l->link_reused = true;
		return ZO_REFUSED;
	}
	status = signin_save(&l->si, &t, server, l->cb.location);
	tokens_finish(&t);
	if (status != ZO_OK)
		snprintf(summary, summary_len, "the tokens could not be saved: the terminal says why");
	return status;
}

/* The one-time link the browser was started with was opened a second
 * time (loopback_launch): whoever did may have had our consent URL first. */
static int stop_link_reused(struct login *l)
{
	log_error("the sign-in link given to your browser was opened a second time: another "
		"program on this machine may have read it from the browser's command line and could "
		"sign in in your place. The login was stopped and nothing was saved; run login again");
	loopback_finish(l->lb, &page_stopped, NULL);
	loopback_linger(l->lb, LINGER_MS);
	return ZO_REFUSED;
}

/* Longest one-time link: http://[::1]:65535/ and 43 characters. */
#define LINK_MAX 96

static int login_browser(const struct settings *s)
{
	struct login l = { .s = s };
	struct buf url = { 0 };
	int status;

	status = check_settings(&l);
	if (status != ZO_OK)
		return status;
	bool done;
	status = signin_begin(&l.si, s, &done);
	if (status != ZO_OK || done) {
		login_finish(&l);
		return status;
	}
	/* --timeout bounds the whole wait, the store's lock at the end too. */
	l.si.deadline_ms = monotonic_ms() + s->timeout * 1000;
	if (!pkce_init(&l.pkce)) {
		login_finish(&l);
		return ZO_FAILURE;
	}

	/* libcurl is set up now, not when the code arrives: a code lives a
	 * minute or two, and the exchange should leave at once. */
	if (!http_prepare()) {
		status = ZO_FAILURE;
		goto out;
	}
	/* Listen first: the browser may come back quickly. */
	status = loopback_start(&l.redirect, l.pkce.state, &l.lb);
	if (status != ZO_OK)
		goto out;
	/* A wrong client ID, data centre, secret or redirect URI would show
	 * as an error page in the browser, or after consent: ask Zoho now,
	 * once the port is ours. */
	if (s->preflight) {
		status = token_preflight(s->accounts_url, GRANT_AUTHORIZATION_CODE, s->client_id,
			l.si.secret, s->redirect_uri, &s->net);
		if (status != ZO_OK)
			goto out;
	}

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

	l.url = url.data;
	bool opened = false;
	if (s->open_browser) {
		/* The browser's command line is readable by every local user:
		 * it gets a one-time link to the consent URL, not the URL with
		 * our state and PKCE challenge. The portal is asked over the
		 * user's own session bus, and gets the URL itself. */
		char link[LINK_MAX];
		if (!loopback_launch(l.lb, url.data, link, sizeof(link))) {
			status = ZO_FAILURE;
			goto out;
		}
		opened = browser_open(link, url.data, &l.browser);
		explicit_bzero(link, sizeof(link));
	}
	if (opened) {
		log_info("opened your browser (%s) to sign in to Zoho; if it did not appear, open "
			"this URL:", l.browser.name);
		/* The URL goes out even with --quiet: without it nobody can sign in. */
		fprintf(stderr, "\n    %s\n\n", url.data);
	} else if (nobody_to_sign_in(&l)) {
		status = stop_nobody_to_sign_in();
		goto out;
	} else {
		/* No browser (or --no-browser): the address may come back pasted,
		 * while the listener still waits for ssh -L users and this
		 * machine's own browser. */
		paste_instructions(&l, false);
		l.pasting = true;
	}
	log_info("waiting up to %ld seconds for Zoho to send you back to %s (Ctrl-C to stop)",
		s->timeout, s->redirect_uri);
	if (l.pasting)
		log_prompt("Paste the address here: ");

	long hint_after = HINT_AFTER_S;
	const char *hint_env = getenv("ZOHO_OAUTH_HINT_AFTER");
	if (hint_env && !parse_long(hint_env, 0, 86400, &hint_after))
		hint_after = HINT_AFTER_S;
	l.hint_at = monotonic_ms() + hint_after * 1000;
	status = wait_for_callback(&l);
	if (l.link_reused) {
		status = stop_link_reused(&l);
		goto out;
	}
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
	if (l.link_reused) {
		status = stop_link_reused(&l);
		goto out;
	}
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
	signin_report(&l.si);
	/* A signal after the file was written changes nothing: the tokens are
	 * saved and the code is spent. */
	status = ZO_OK;
out:
	buf_finish(&url);
	login_finish(&l);
	return status;
}

/* Write body as [profile name] into the config file, after a sign-in. */
static int save_profile(const struct settings *s, const char *name, const char *body)
{
	int r = config_save_section(s->config_path, name, body, false);
	if (r < 0) {
		log_error("the tokens were saved, but not the profile: run login with "
			"--save-profile again once that is fixed");
		return ZO_FAILURE;
	}
	if (r == 1)
		log_info("%s has [profile %s] with these settings already", s->config_path, name);
	else
		log_info("saved these settings as [profile %s] in %s", name, s->config_path);
	if (!s->client_secret_file && strcmp(s->profile, name) == 0 &&
			(!s->store || strcmp(s->store, "file") == 0))
		log_info("(the client secret is not in the config file: the token file keeps it)");
	else if (!s->client_secret_file)
		log_info("(the client secret is not saved: next time it comes from ZOHO_CLIENT_SECRET "
			"or the prompt, or add client_secret_file = PATH to the section)");
	if (strcmp(s->profile, name) != 0)
		log_info("(the tokens of this login are in profile \"%s\")", s->profile);
	/* The line to use next time goes out even with --quiet. */
	fprintf(stderr, "next time: zoho-oauth login -p %s\n", name);
	return ZO_OK;
}

/* At a terminal, after a sign-in with a client given on the command line
 * and no profile: offer to keep the settings. */
static int offer_profile(const struct settings *s)
{
	char name[80];
	for (int tries = 0; tries < 3; tries++) {
		int r = ask_line("save these settings as a profile? name (empty for no):", name,
			sizeof(name));
		if (r < 0)
			return ZO_INTERRUPTED + signals_caught();
		if (r == 0 || !name[0])
			return ZO_OK;
		if (!profile_name_ok(name)) {
			fputs("a profile name is letters, digits, '.', '_' and '-' (at most 64)\n", stderr);
			continue;
		}
		char *body = settings_profile_text(s);
		if (!body)
			return ZO_FAILURE;
		int status = config_save_section(s->config_path, name, body, true) < 0 ? ZO_USAGE :
			save_profile(s, name, body);
		free(body);
		if (status != ZO_USAGE)
			return status;
	}
	return ZO_OK;
}

int cmd_login(const struct settings *s)
{
	char *body = NULL;
	/* --save-profile: what would stop the save is found before the sign-in,
	 * which makes a refresh token that should not be made for nothing. */
	if (s->save_profile && s->client_id && s->scope) {
		if (!s->config_path) {
			log_error("--save-profile: cannot find your home directory for the config file");
			return ZO_USAGE;
		}
		if (!(body = settings_profile_text(s)))
			return ZO_FAILURE;
		if (config_save_section(s->config_path, s->save_profile, body, true) < 0) {
			free(body);
			return ZO_USAGE;
		}
	}
	int status = s->device ? cmd_login_device(s) : login_browser(s);
	if (status == ZO_OK && body)
		status = save_profile(s, s->save_profile, body);
	else if (status == ZO_OK && !s->save_profile && s->client_id_given && !s->profile_given &&
			s->config_path && strcmp(s->token_file, "-") != 0 && ask_possible())
		status = offer_profile(s);
	free(body);
	return status;
}
