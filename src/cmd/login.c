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
#include "settings/secret.h"
#include "signin/browser.h"
#include "signin/callback.h"
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
	const struct profile *p;
	struct redirect redirect;
	struct pkce pkce;
	struct signin si;         /* the store, the secret */
	struct loopback *lb;
	struct callback cb;
	struct browser browser;
	bool browser_tried;       /* it was started, and failed at once */
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

/* The redirect URI this login listens on. */
static int check_redirect(struct login *l)
{
	char why[512];
	if (!redirect_parse(l->p->redirect_uri, &l->redirect, why, sizeof(why))) {
		log_error("--redirect-uri: %s", why);
		return ZO_USAGE;
	}
	return ZO_OK;
}

#define PASTE_MAX 8192

/* Printed even with --quiet: without it nobody can sign in. When the
 * browser failed after it was started, the URL is on the screen already,
 * above: it is not printed again. */
static void paste_instructions(const struct login *l, bool url_shown)
{
	/* Why there is no browser: --no-browser says it itself. */
	const char *why = !l->s->open_browser ? "" : url_shown || l->browser_tried ?
		"The browser could not be started. " : "No browser here. ";
	log_status_end();
	if (url_shown) {
		log_paragraph("%sOpen the URL above in a browser on any machine and sign in to Zoho.",
			why);
	} else {
		log_paragraph("%sOpen this URL in a browser on any machine and sign in to Zoho:", why);
		fprintf(stderr, "\n    %s\n\n", l->url);
	}
	log_paragraph("After 'Accept' that browser goes to %s?... and, unless it runs on this "
		"machine, fails to load it. That is expected: copy the whole address from its address "
		"bar, paste it here and press Enter. (Or forward the port first: "
		"'ssh -L %ld:localhost:%ld ...')",
		l->p->redirect_uri, l->redirect.port, l->redirect.port);
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
	const char *accounts = l->p->accounts_url;
	const char *host = strstr(accounts, "://");
	host = host ? host + 3 : accounts;
	if (log_get_level() < LOG_NORMAL)
		return;
	/* (A prompt's line is ended by the log itself.) */
	log_info("no answer yet. If Zoho shows an error page in the browser:");
	log_info("'Invalid Redirect Uri': the API console's redirect URI for this");
	log_info("  client must be exactly (or pass that one with --redirect-uri):");
	log_info("  %s", l->p->redirect_uri);
	log_info("'Invalid Client': the client is in another data centre (--dc) or");
	log_info("  is not a Server-based client; this login signs in at:");
	if (l->p->dc)
		log_info("  %s (--dc %s)", host, l->p->dc->location);
	else
		log_info("  %s", host);
	log_info("Ctrl-C is safe: nothing is written until the token arrives.");
	if (l->pasting)
		log_prompt("Paste the address here: ");
}

void login_countdown(const char *what, int64_t left_ms)
{
	long sec = (long)((left_ms + 999) / 1000);
	char line[128], left[32];
	if (sec >= 3600)
		snprintf(left, sizeof(left), "%ld:%02ld:%02ld", sec / 3600, sec / 60 % 60, sec % 60);
	else
		snprintf(left, sizeof(left), "%ld:%02ld", sec / 60, sec % 60);
	snprintf(line, sizeof(line), "waiting for %s... %s left (Ctrl-C to stop)", what, left);
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
			"address from the address bar, starting with %s", why, l->p->redirect_uri);
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
			log_error("no answer from the browser within %ld second%s: run login again, "
				"or raise --timeout", l->s->timeout, plural(l->s->timeout));
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
			login_countdown("the sign-in in the browser", left);
			/* Until the seconds shown change. */
			int64_t tick = (left - 1) % 1000 + 1;
			if (tick < wake)
				wake = tick;
		}
		struct pollfd p[4] = {
			{ .fd = loopback_fd(l->lb), .events = POLLIN },
			{ .fd = signals_fd(), .events = POLLIN },
			{ .fd = l->pasting && !l->stdin_closed ? STDIN_FILENO : -1, .events = POLLIN },
			{ .fd = l->browser.child.pidfd, .events = POLLIN },
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
				log_warn("the browser (%s) exited with an error", name);
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
	if (status > ZO_INTERRUPTED)
		log_stopped(status, "nothing was saved");
	return status;
}

/* Where to exchange the code: the redirect's accounts-server when we may
 * trust it with the secret, else the configured one. */
static const char *pick_accounts_server(const struct login *l)
{
	const char *configured = l->p->accounts_url;
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
	if (zoho_accounts_shape(named))
		log_warn("the redirect names '%s' as your account's accounts server: a Zoho data "
			"centre this zoho-oauth does not know (its table has %s), so the client secret "
			"does not go there; exchanging the code at %s, which may refuse it. If that data "
			"centre is real, sign in with --accounts-url %s", shown, zoho_dc_list(),
			configured, shown);
	else
		log_warn("the redirect names '%s' as the accounts server, which is not a Zoho "
			"accounts server: ignored, exchanging the code at %s", shown, configured);
	return configured;
}

static int exchange_code(struct login *l, char *summary, size_t summary_len)
{
	const struct settings *s = l->s;
	const struct profile *p = l->p;
	const char *server = pick_accounts_server(l);
	struct tokens t;
	int status;

	if (loopback_aborted(l->lb)) {
		l->link_reused = true;
		return ZO_REFUSED;
	}
	struct token_request req = {
		.grant = GRANT_AUTHORIZATION_CODE,
		.client_id = p->client_id,
		.client_secret = l->si.secret,
		.redirect_uri = p->redirect_uri,
		.code = l->cb.code,
		.code_verifier = s->pkce ? l->pkce.verifier : NULL,
	};
	log_info("exchanging the code at %s", server);
	struct report r;
	enum zoho_error rejected = ZOHO_ERR_OTHER;
	char hint[PROFILE_HINT_MAX], again[PROFILE_HINT_MAX + 32];
	profile_command(p, "login", NULL, hint, sizeof(hint));
	snprintf(again, sizeof(again), "run '%s' again", hint);
	report_open(&r);
	status = exchange_tokens(server, &req, &p->net, &t, summary, summary_len, &rejected);
	report_fail(&r, status == ZO_REJECTED && rejected == ZOHO_ERR_INVALID_CODE ? again : NULL);
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



int login_secret(const struct settings *s, const char *old_secret, char **out)
{
	if (old_secret)
		return (*out = xstrdup(old_secret)) ? ZO_OK : ZO_FAILURE;
	return secret_obtain(s->client_secret_file, s->client_secret_label, out);
}

static int login_browser(const struct settings *s, struct store *target, struct store *current,
		const char *old_secret)
{
	const struct profile *p = &s->profile;
	struct login l = { .s = s, .p = p };
	struct buf url = { 0 };
	int status;

	status = check_redirect(&l);
	if (status != ZO_OK)
		return status;
	bool done;
	struct signin_ask ask = {
		.kind = SIGNIN_BROWSER,
		.offline = s->offline,
		.consent_prompt = s->consent_prompt,
		.force = s->force || s->to_stdout,
	};
	status = signin_begin(&l.si, p, &ask, target, current, &done);
	/* Nothing to start a browser with and nobody at a terminal: known
	 * here, locally, before the secret is read or anything goes to Zoho. */
	if (status == ZO_OK && !done && nobody_to_sign_in(&l) && !browser_possible())
		status = stop_nobody_to_sign_in();
	if (status == ZO_OK && !done)
		status = login_secret(s, old_secret, &l.si.secret);
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
	status = loopback_start(&l.redirect, l.pkce.state, p->name, &l.lb);
	if (status != ZO_OK)
		goto out;
	/* A wrong client ID, data centre, secret or redirect URI would show
	 * as an error page in the browser, or after consent: ask Zoho now,
	 * once the port is ours. */
	if (s->preflight) {
		status = token_preflight(p->accounts_url, GRANT_AUTHORIZATION_CODE, p->client_id,
			l.si.secret, p->redirect_uri, &p->net);
		if (status != ZO_OK)
			goto out;
	}

	struct consent_request req = {
		.accounts = p->accounts_url,
		.client_id = p->client_id,
		.redirect_uri = p->redirect_uri,
		.scope = p->scope,
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
		if (opened && !browser_started(&l.browser, loopback_fd(l.lb))) {
			log_warn("the browser (%s) exited with an error", l.browser.name);
			opened = false;
			l.browser_tried = true;
		}
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
	/* (Ctrl-C is said once: on the countdown's line, where there is one.) */
	log_info("waiting up to %ld second%s for Zoho to send you back to %s%s", s->timeout,
		plural(s->timeout), p->redirect_uri,
		log_status_possible() && !l.pasting ? "" : " (Ctrl-C to stop)");
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

	char summary[ZOHO_SUMMARY_MAX];
	status = exchange_code(&l, summary, sizeof(summary));
	if (l.link_reused) {
		status = stop_link_reused(&l);
		goto out;
	}
	if (status != ZO_OK) {
		loopback_finish(l.lb, &page_failed, summary);
		if (status < ZO_INTERRUPTED) {
			loopback_linger(l.lb, LINGER_MS);
		} else {
			char saved[PATH_MAX + 64];
			log_stopped(status, "%s", signin_saved(&l.si, saved, sizeof(saved)));
		}
		goto out;
	}
	char detail[128];
	snprintf(detail, sizeof(detail), "Profile: %s", p->name);
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
	if (!s->client_secret_file && (!s->profile.store || strcmp(s->profile.store, "file") == 0))
		log_info("(the client secret is not in the config file: the token file keeps it)");
	else if (!s->client_secret_file)
		log_info("(the client secret is not saved: next time it comes from ZOHO_CLIENT_SECRET "
			"or the prompt, or add client_secret_file = PATH to the section)");
	/* The line to use next time goes out even with --quiet. */
	fprintf(stderr, "next time: zoho-oauth login -p %s\n", name);
	return ZO_OK;
}

/* Whether profile name may take this login's tokens: none of its own. */
static int take_tokens(struct settings *s, struct store *st, const char *name)
{
	struct profile to = { .waits = s->profile.waits, .net = s->profile.net };
	struct store *dst = NULL;
	bool copied = false;
	int status = profile_locate(name, NULL, false, &to) ? ZO_OK : ZO_USAGE;
	if (status == ZO_OK)
		status = store_open_like(st, &to, &dst);
	if (status == ZO_OK && store_has_tokens(dst)) {
		log_error("profile '%s' holds tokens already (%s): pick another name", name,
			store_where(dst));
		status = ZO_USAGE;
	}
	if (status == ZO_OK)
		status = store_move(st, dst, 0, &copied);
	if (status == ZO_OK)
		log_info("moved the tokens of this login to profile '%s' (%s)", name,
			store_where(dst));
	else if (copied)
		log_warn("the tokens of this login are in profile '%s' (%s), and may still be in "
			"profile '%s' too", name, store_where(dst), s->profile.name);
	store_close(dst);
	profile_finish(&to);
	return copied ? ZO_OK : status;
}

/*
 * At a terminal, after a sign-in with a client given on the command line
 * and no profile: offer to keep the settings as a profile, and the
 * tokens with them, where 'token -p NAME' finds them.
 */
static int offer_profile(struct settings *s, struct store *st)
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
		if (strcmp(name, s->profile.name) == 0)
			return ZO_OK; /* (default, as it is) */
		char *body = settings_profile_text(s);
		if (!body)
			return ZO_FAILURE;
		int status = ZO_USAGE;
		if (config_save_section(s->config_path, name, body, true) >= 0)
			status = take_tokens(s, st, name);
		if (status == ZO_OK)
			status = save_profile(s, name, body);
		free(body);
		if (status != ZO_USAGE)
			return status;
	}
	return ZO_OK;
}

/*
 * Logging in again: what the profile's tokens were made with is used for
 * what is not given anew (the command line, the environment, the config
 * file), and said so, in one line. The file store keeps the secret with
 * the tokens: their client comes with its secret, unless a client is given
 * anew (then it is given whole: its secret too).
 */
static int reuse_old(struct settings *s, const struct tokens *old, char **secret)
{
	struct profile *p = &s->profile;
	const char *reused[4], *opts[4];
	size_t n = 0;
	char why[512];

	*secret = NULL;
	/* A profile of client credentials signs in again as one, for the
	 * same organisation, unless told to use the device flow. */
	if (old->client_credentials && !s->device && !s->client_credentials) {
		s->client_credentials = true;
		log_info("profile '%s' holds client credentials: signing in with them again",
			p->name);
	}
	if (old->client_credentials && s->client_credentials && !s->soid && old->soid &&
			!(s->soid = xstrdup(old->soid)))
		return ZO_FAILURE;
	if (!p->client_id) {
		if (!(p->client_id = xstrdup(old->client_id)))
			return ZO_FAILURE;
		reused[n] = "client";
		opts[n++] = "--client-id";
	}
	if (!s->server_given) {
		char *url = NULL;
		if (!zoho_accounts_url_check(old->accounts_server, &url, why, sizeof(why)))
			return ZO_OK; /* (checked when it was read) */
		free(p->accounts_url);
		p->accounts_url = url;
		p->dc = zoho_dc_by_accounts(url);
		reused[n] = "data centre";
		opts[n++] = "--dc";
	}
	if (!p->scope && old->scope) {
		/* Zoho may list a token's scopes with spaces. */
		const char *cursor = old->scope, *item;
		size_t len;
		struct buf joined = { 0 };
		bool ok = true;
		while (ok && zoho_scope_next(&cursor, true, &item, &len))
			ok = (!joined.len || buf_append(&joined, ",", 1)) && buf_append(&joined, item, len);
		const char *items[1] = { joined.data };
		if (ok && joined.data && zoho_scope_join(items, 1, &p->scope, why, sizeof(why))) {
			reused[n] = "scope";
			opts[n++] = "--scope";
		}
		buf_finish(&joined);
	}
	if (!s->redirect_given && old->redirect_uri && !s->device && !s->client_credentials) {
		free(p->redirect_uri);
		if (!(p->redirect_uri = xstrdup(old->redirect_uri)))
			return ZO_FAILURE;
		reused[n] = "redirect URI";
		opts[n++] = "--redirect-uri";
	}
	if (!s->client_secret_file && !secret_in_environment() && old->client_secret &&
			!s->client_id_given && strcmp(p->client_id, old->client_id) == 0 &&
			!(*secret = xstrdup(old->client_secret)))
		return ZO_FAILURE;
	if (n > 0) {
		char what[96], options[96];
		size_t o = 0, q = 0;
		what[0] = options[0] = '\0';
		for (size_t i = 0; i < n; i++) {
			const char *sep = i == 0 ? "" : i + 1 == n ? " and " : ", ";
			const char *osep = i == 0 ? "" : i + 1 == n ? " or " : ", ";
			o += (size_t)snprintf(what + o, sizeof(what) - o, "%s%s", sep, reused[i]);
			q += (size_t)snprintf(options + q, sizeof(options) - q, "%s%s", osep, opts[i]);
		}
		if (p->path_given)
			log_info("using the %s of the tokens in %s (give %s to change %s)", what,
				p->token_path, options, n > 1 ? "them" : "it");
		else
			log_info("using the %s of the existing profile '%s' (give %s to change %s)",
				what, p->name, options, n > 1 ? "them" : "it");
	}
	return ZO_OK;
}

int cmd_login(struct settings *s)
{
	struct profile *p = &s->profile;
	struct store *current = NULL, *target = NULL;
	char *body = NULL, *old_secret = NULL;
	int status = ZO_OK;

	if (!s->to_stdout) {
		status = store_open(p, 0, &current);
		if (status != ZO_OK)
			return status;
		const struct tokens *old = store_local(current);
		if (old)
			status = reuse_old(s, old, &old_secret);
		else if (p->near[0])
			log_warn("no profile '%s'; did you mean '%s'? (going on: this login makes a "
				"new profile '%s')", p->name, p->near, p->name);
	}
	if (status == ZO_OK)
		status = signin_check_profile(p, s->device ? SIGNIN_DEVICE :
			s->client_credentials ? SIGNIN_CLIENT_CREDENTIALS : SIGNIN_BROWSER,
			s->config_path);
	if (status == ZO_OK)
		status = signin_check_scopes(&p->scope);
	if (status != ZO_OK)
		goto out;

	/* --save-profile: what would stop the save is found before the
	 * sign-in, which makes a refresh token that should not be made for
	 * nothing. */
	if (s->save_profile) {
		if (!s->config_path) {
			log_error("--save-profile: cannot find your home directory for the config file");
			status = ZO_USAGE;
			goto out;
		}
		if (!(body = settings_profile_text(s))) {
			status = ZO_FAILURE;
			goto out;
		}
		if (config_save_section(s->config_path, s->save_profile, body, true) < 0) {
			status = ZO_USAGE;
			goto out;
		}
	}

	/* New tokens go where --store (or store = in the config) says, else
	 * where the profile's are now. */
	target = current;
	if (current && p->store && !store_same_kind(current, p->store)) {
		status = store_open_other(current, p->store, &target);
		if (status != ZO_OK)
			goto out;
	}
	status = s->device ? login_device(s, target, current, old_secret) :
		s->client_credentials ? login_client_credentials(s, target, current, old_secret) :
		login_browser(s, target, current, old_secret);
	if (status == ZO_OK && body)
		status = save_profile(s, s->save_profile, body);
	else if (status == ZO_OK && !s->save_profile && s->client_id_given && !s->profile_given &&
			!p->path_given && s->config_path && target && ask_possible())
		status = offer_profile(s, target);
out:
	free(body);
	secret_free(old_secret);
	if (target != current)
		store_close(target);
	store_close(current);
	return status;
}
