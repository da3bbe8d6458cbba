/*
 * login --device: the device flow (Zoho's "non-browser" client type). The
 * user opens a URL on any device and enters a code; we poll Zoho no
 * faster than it asks, follow it to the user's data centre, and keep the
 * tokens as every sign-in does. The answers are parsed by signin/device.c.
 */
#include <errno.h>
#include <limits.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>

#include "cmd/login.h"
#include "core/exit-status.h"
#include "core/log.h"
#include "core/signals.h"
#include "core/util.h"
#include "signin/browser.h"
#include "signin/device.h"
#include "signin/signin.h"
#include "zoho/token-endpoint.h"
#include "zoho/zoho.h"

#define SLOW_DOWN_MS 30000 /* Zoho: two polls within 30 s get slow_down */

/* Wait ms, or less if a signal comes; on a terminal, with the countdown
 * to deadline (monotonic) redrawn as its seconds change. */
static int sleep_ms(long ms, int64_t deadline, bool countdown)
{
	int64_t until = monotonic_ms() + ms;
	for (;;) {
		if (signals_caught())
			return ZO_INTERRUPTED + signals_caught();
		int64_t now = monotonic_ms();
		int64_t left = until - now;
		if (left <= 0)
			return ZO_OK;
		if (countdown) {
			login_countdown("the sign-in with the code", deadline - now);
			int64_t tick = (deadline - now - 1) % 1000 + 1;
			if (tick < left)
				left = tick;
		}
		struct pollfd p = { .fd = signals_fd(), .events = POLLIN };
		poll(&p, 1, (int)left);
	}
}

/* The accounts server of the data centre Zoho named for the user: a
 * location from the table, or an accounts server we may trust (one of the
 * table's, or the configured one). The answer is always the table's or the
 * settings' own string, never location itself: location lives in one poll's
 * answer, while the server is used by every later poll and stored in the
 * token file. It is also the canonical spelling (no trailing slash). */
static const char *other_dc_server(const struct profile *p, const char *location)
{
	const struct zoho_dc *dc = zoho_dc_by_location(location);
	if (!dc)
		dc = zoho_dc_by_accounts(location);
	if (dc)
		return dc->accounts;
	if (zoho_accounts_server_trusted(location, p->accounts_url))
		return p->accounts_url;
	return NULL;
}

static int request_codes(const struct settings *s, struct device_start *d)
{
	const struct profile *p = &s->profile;
	char summary[ZOHO_SUMMARY_MAX];
	struct http_answer a;
	struct device_start_answer ans;
	struct device_code_request req = {
		.client_id = p->client_id,
		.scope = p->scope,
		.offline = s->offline,
		.consent_prompt = s->consent_prompt,
	};

	int status = device_code_post(p->accounts_url, &req, &p->net, &a, summary, sizeof(summary));
	if (status != ZO_OK)
		return status;
	device_parse_start(a.body.data, a.body.len, &ans);
	http_answer_finish(&a);
	switch (ans.kind) {
	case ANSWER_TOKENS:
		*d = ans.start;
		return ZO_OK;
	case ANSWER_ERROR: {
		char line[ZOHO_EXPLAIN_MAX];
		zoho_error_explain(ans.error, GRANT_DEVICE, ans.error_text, p->accounts_url, line,
			sizeof(line));
		if (ans.error == ZOHO_ERR_INVALID_CLIENT)
			log_error("%s (the device flow needs a client of type 'Non-browser "
				"Applications')", line);
		else
			log_error("%s", line);
		return ZO_REJECTED;
	}
	case ANSWER_INVALID:
		log_error("zoho's answer to the device code request is not one this tool "
			"understands: %s", ans.why);
		return ZO_NETWORK;
	}
	return ZO_FAILURE;
}

int login_device(const struct settings *s, struct store *target, struct store *current,
		const char *old_secret)
{
	const struct profile *p = &s->profile;
	struct device_start d = { 0 };
	struct browser browser = { .child = { .pid = 0, .pidfd = -1 } };
	struct signin si = { 0 };
	const char *server = p->accounts_url;
	int status;
	bool done;
	struct signin_ask ask = {
		.kind = SIGNIN_DEVICE,
		.offline = s->offline,
		.consent_prompt = s->consent_prompt,
		.force = s->force || s->to_stdout,
	};

	status = signin_begin(&si, p, &ask, target, current, &done);
	if (status == ZO_OK && !done)
		status = login_secret(s, old_secret, &si.secret);
	if (status != ZO_OK || done)
		goto out;

	/* The secret is first used after the user approved: check it (and
	 * the client) now, as a console code is checked, with no redirect. */
	if (s->preflight) {
		status = token_preflight(server, GRANT_DEVICE, p->client_id, si.secret, NULL, &p->net);
		if (status != ZO_OK)
			goto out;
	}
	status = request_codes(s, &d);
	if (status != ZO_OK)
		goto out;

	const char *open_url = d.verification_uri_complete ? d.verification_uri_complete :
		d.verification_url;
	bool opened = s->open_browser && browser_open(open_url, NULL, &browser);
	if (opened && !browser_started(&browser, -1)) {
		log_warn("the browser (%s) exited with an error", browser.name);
		opened = false;
	}
	browser_forget(&browser);
	/* Shown even with --quiet: the user must see the code to type it. */
	fprintf(stderr, "\n    To sign in, open   %s\n    and enter the code %s\n\n",
		d.verification_url, d.user_code);
	bool countdown = log_status_possible();
	long wait_s = s->timeout < d.expires_ms / 1000 ? s->timeout : d.expires_ms / 1000;
	log_info("%swaiting up to %ld second%s for the sign-in to be approved%s",
		opened ? "opened your browser there; " : "", wait_s, plural(wait_s),
		countdown ? "" : " (Ctrl-C to stop)");

	char again[PROFILE_HINT_MAX];
	profile_command(p, "login --device", NULL, again, sizeof(again));
	/* Deadlines on the monotonic clock: the code's lifetime and --timeout. */
	int64_t start = monotonic_ms();
	int64_t code_deadline = start + d.expires_ms;
	int64_t our_deadline = start + s->timeout * 1000;
	si.deadline_ms = our_deadline;
	long gap = d.interval_ms;
	for (;;) {
		int64_t next = monotonic_ms() + gap;
		if (next > code_deadline || next > our_deadline) {
			if (code_deadline <= our_deadline)
				log_error("the code expired before the sign-in was approved: run '%s' again",
					again);
			else
				log_error("no approval within %ld second%s: run '%s' again, or raise "
					"--timeout", s->timeout, plural(s->timeout), again);
			status = ZO_TIMEOUT;
			break;
		}
		status = sleep_ms(gap, code_deadline < our_deadline ? code_deadline : our_deadline,
			countdown);
		if (status != ZO_OK)
			break;

		char summary[ZOHO_SUMMARY_MAX];
		struct http_answer a;
		struct device_poll poll_answer;
		struct token_request req = {
			.grant = GRANT_DEVICE,
			.client_id = p->client_id,
			.client_secret = si.secret,
			.code = d.device_code,
		};
		status = token_request_post(server, &req, &p->net, &a, summary, sizeof(summary));
		if (status != ZO_OK)
			break;
		device_parse_poll(a.body.data, a.body.len, wall_seconds(), &poll_answer);
		http_answer_finish(&a);

		switch (poll_answer.kind) {
		case POLL_PENDING:
			log_debug("not approved yet");
			continue;
		case POLL_SLOW_DOWN:
			if (gap < SLOW_DOWN_MS)
				gap = SLOW_DOWN_MS;
			log_debug("zoho asks to poll less often: every %ld second%s now", gap / 1000,
				plural(gap / 1000));
			continue;
		case POLL_OTHER_DC: {
			const char *other = other_dc_server(p, poll_answer.location);
			if (!other) {
				log_error("zoho says your account is in data centre '%s', which this "
					"zoho-oauth does not know (its table has %s); if it is real, sign in "
					"with --accounts-url and its accounts server (of the shape "
					"https://accounts.zoho.%s)", poll_answer.location, zoho_dc_list(),
					poll_answer.location);
				status = ZO_REJECTED;
				break;
			}
			log_info("your account is in another data centre (%s): continuing at %s",
				poll_answer.location, other);
			server = other;
			continue;
		}
		case POLL_DENIED:
			log_error("access was refused; nothing was saved");
			status = ZO_REFUSED;
			break;
		case POLL_EXPIRED:
			log_error("the code expired before the sign-in was approved: run '%s' again",
				again);
			status = ZO_TIMEOUT;
			break;
		case POLL_ERROR: {
			char line[ZOHO_EXPLAIN_MAX];
			zoho_error_explain(poll_answer.error, GRANT_DEVICE, poll_answer.error_text, server,
				line, sizeof(line));
			if (poll_answer.error == ZOHO_ERR_INVALID_CODE) {
				log_error("%s; run '%s' again", line, again);
			} else {
				log_error("%s", line);
			}
			status = ZO_REJECTED;
			break;
		}
		case POLL_INVALID:
			log_error("zoho's answer is not one this tool understands: %s", poll_answer.why);
			status = ZO_NETWORK;
			break;
		case POLL_TOKENS:
			status = signin_save(&si, &poll_answer.answer.tokens, server, NULL);
			tokens_finish(&poll_answer.answer.tokens);
			if (status == ZO_OK)
				signin_report(&si);
			break;
		}
		break;
	}
out:
	log_status_end();
	if (status >= ZO_INTERRUPTED) {
		char saved[PATH_MAX + 64];
		log_stopped(status, "%s", signin_saved(&si, saved, sizeof(saved)));
	}
	device_start_finish(&d);
	signin_finish(&si);
	return status;
}
