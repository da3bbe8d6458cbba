#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "core/exit-status.h"
#include "core/log.h"
#include "core/signals.h"
#include "core/urlcode.h"
#include "core/util.h"
#include "signin/browser.h"
#include "signin/device.h"
#include "signin/signin.h"
#include "zoho/token-endpoint.h"
#include "zoho/zoho.h"

#define DEFAULT_INTERVAL_MS 5000
#define DEFAULT_EXPIRES_MS (300 * 1000)
#define SLOW_DOWN_MS 30000 /* Zoho: two polls within 30 s get slow_down */

static bool printable_ascii(const char *s, size_t max)
{
	size_t len = strlen(s);
	if (len == 0 || len > max)
		return false;
	for (; *s; s++)
		if ((unsigned char)*s <= 0x20 || (unsigned char)*s >= 0x7f)
			return false;
	return true;
}

/* A number of milliseconds from a value that may be milliseconds or
 * seconds; threshold: the smallest value read as milliseconds. */
static bool millis(const json_t *item, double threshold, long fallback, long *out)
{
	if (!item) {
		*out = fallback;
		return true;
	}
	if (!json_is_number(item))
		return false;
	double v = json_number_value(item);
	if (!whole_number(v, 1, 1e9 - 1))
		return false;
	*out = v >= threshold ? (long)v : (long)v * 1000;
	return true;
}

void device_start_finish(struct device_start *d)
{
	secret_free(d->user_code);
	secret_free(d->device_code);
	secret_free(d->verification_url);
	secret_free(d->verification_uri_complete);
	memset(d, 0, sizeof(*d));
}

static bool url_ok(const char *url)
{
	struct origin o;
	const char *rest;
	return printable_ascii(url, 1024) && origin_parse(url, &o, &rest) &&
		(strcmp(o.scheme, "https") == 0 || o.loopback);
}

void device_parse_start(const char *body, size_t len, struct device_start_answer *out)
{
	memset(out, 0, sizeof(*out));
	out->kind = ANSWER_INVALID;
	json_t *root = zjson_parse_object(body, len, out->why, sizeof(out->why));
	if (!root)
		return;

	if (json_object_get(root, "error")) {
		out->kind = ANSWER_ERROR;
		out->error = zjson_zoho_error(root, out->error_text, sizeof(out->error_text));
		json_decref(root);
		return;
	}

	const char *user = zjson_string(root, "user_code");
	const char *device = zjson_string(root, "device_code");
	/* Zoho says verification_url; RFC 8628 says verification_uri. */
	const char *url = zjson_string(root, "verification_url");
	if (!url)
		url = zjson_string(root, "verification_uri");
	const char *complete = zjson_string(root, "verification_uri_complete");
	struct device_start *d = &out->start;

	if (!user || !printable_ascii(user, 64))
		snprintf(out->why, sizeof(out->why), "it has no usable user_code");
	else if (!device || !printable_ascii(device, 1024))
		snprintf(out->why, sizeof(out->why), "it has no usable device_code");
	else if (!url || !url_ok(url))
		snprintf(out->why, sizeof(out->why), "it has no https verification_url");
	else if (complete && !url_ok(complete))
		snprintf(out->why, sizeof(out->why), "its verification_uri_complete is not an https URL");
	else if (!millis(json_object_get(root, "interval"), 100, DEFAULT_INTERVAL_MS,
			&d->interval_ms))
		snprintf(out->why, sizeof(out->why), "its interval is not a positive whole number");
	else if (!millis(json_object_get(root, "expires_in"), 1801, DEFAULT_EXPIRES_MS,
			&d->expires_ms))
		snprintf(out->why, sizeof(out->why), "its expires_in is not a positive whole number");
	else {
		d->user_code = xstrdup(user);
		d->device_code = xstrdup(device);
		d->verification_url = xstrdup(url);
		d->verification_uri_complete = complete ? xstrdup(complete) : NULL;
		if (d->interval_ms < 1000)
			d->interval_ms = 1000;
		if (d->interval_ms > 120000)
			d->interval_ms = 120000;
		if (d->expires_ms > 3600 * 1000)
			d->expires_ms = 3600 * 1000;
		if (d->user_code && d->device_code && d->verification_url && (!complete ||
				d->verification_uri_complete))
			out->kind = ANSWER_TOKENS;
		else
			device_start_finish(d);
	}
	json_decref(root);
}

void device_parse_poll(const char *body, size_t len, int64_t now, struct device_poll *out)
{
	memset(out, 0, sizeof(*out));
	out->kind = POLL_INVALID;
	json_t *root = zjson_parse_object(body, len, out->why, sizeof(out->why));
	if (!root)
		return;
	const json_t *err = json_object_get(root, "error");
	if (!err) {
		json_decref(root);
		tokens_parse_answer(body, len, now, &out->answer);
		if (out->answer.kind == ANSWER_TOKENS) {
			out->kind = POLL_TOKENS;
		} else {
			snprintf(out->why, sizeof(out->why), "%s", out->answer.why);
			tokens_finish(&out->answer.tokens);
		}
		return;
	}
	const char *e = json_is_string(err) ? json_string_value(err) : "";
	static const struct {
		const char *code;
		enum device_poll_kind kind;
	} flow[] = {
		{ "authorization_pending", POLL_PENDING },
		{ "slow_down", POLL_SLOW_DOWN },
		{ "other_dc", POLL_OTHER_DC },
		{ "access_denied", POLL_DENIED },
		{ "expired", POLL_EXPIRED },
		{ "expired_token", POLL_EXPIRED },
	};
	out->kind = POLL_ERROR;
	for (size_t i = 0; i < sizeof(flow) / sizeof(flow[0]); i++)
		if (strcmp(e, flow[i].code) == 0)
			out->kind = flow[i].kind;
	if (out->kind == POLL_OTHER_DC) {
		const char *loc = zjson_string(root, "user_location");
		if (!loc || !printable_ascii(loc, sizeof(out->location) - 1)) {
			out->kind = POLL_INVALID;
			snprintf(out->why, sizeof(out->why), "other_dc without a usable user_location");
		} else {
			snprintf(out->location, sizeof(out->location), "%s", loc);
		}
	}
	if (out->kind == POLL_ERROR)
		out->error = zjson_zoho_error(root, out->error_text, sizeof(out->error_text));
	json_decref(root);
}

/* Wait ms, or less if a signal comes. */
static int sleep_ms(long ms)
{
	int64_t until = monotonic_ms() + ms;
	for (;;) {
		if (signals_caught())
			return ZO_INTERRUPTED + signals_caught();
		int64_t left = until - monotonic_ms();
		if (left <= 0)
			return ZO_OK;
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
static const char *other_dc_server(const struct settings *s, const char *location)
{
	const struct zoho_dc *dc = zoho_dc_by_location(location);
	if (!dc)
		dc = zoho_dc_by_accounts(location);
	if (dc)
		return dc->accounts;
	if (zoho_accounts_server_trusted(location, s->accounts_url))
		return s->accounts_url;
	return NULL;
}

static int request_codes(const struct settings *s, struct device_start *d)
{
	char summary[512];
	struct http_answer a;
	struct device_start_answer ans;
	struct device_code_request req = {
		.client_id = s->client_id,
		.scope = s->scope,
		.offline = s->offline,
		.consent_prompt = s->consent_prompt,
	};

	int status = device_code_post(s->accounts_url, &req, &s->net, &a, summary, sizeof(summary));
	if (status != ZO_OK)
		return status;
	device_parse_start(a.body.data, a.body.len, &ans);
	http_answer_finish(&a);
	switch (ans.kind) {
	case ANSWER_TOKENS:
		*d = ans.start;
		return ZO_OK;
	case ANSWER_ERROR: {
		char line[512];
		zoho_error_explain(ans.error, GRANT_DEVICE, ans.error_text, s->accounts_url, line,
			sizeof(line));
		if (ans.error == ZOHO_ERR_INVALID_CLIENT)
			log_error("%s (the device flow needs a client of type \"Non-browser "
				"Applications\")", line);
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

int cmd_login_device(const struct settings *s)
{
	struct device_start d = { 0 };
	struct browser browser = { 0, -1, "" };
	struct signin si = { 0 };
	const char *server = s->accounts_url;
	int status;
	bool done;

	if (!s->client_id) {
		log_error("no client id: pass --client-id, set ZOHO_CLIENT_ID, or add client_id to "
			"[profile %s] in the config (a \"Non-browser\" client in "
			"https://api-console.zoho.com)", s->profile);
		return ZO_USAGE;
	}
	if (!s->scope) {
		log_error("no scope: pass --scope, e.g. --scope ZohoCliq.Channels.READ");
		return ZO_USAGE;
	}
	status = signin_begin(&si, s, &done);
	if (status != ZO_OK || done)
		goto out;

	/* The secret is first used after the user approved: check it (and
	 * the client) now, as a console code is checked, with no redirect. */
	if (s->preflight) {
		status = token_preflight(server, GRANT_DEVICE, s->client_id, si.secret, NULL, &s->net);
		if (status != ZO_OK)
			goto out;
	}
	status = request_codes(s, &d);
	if (status != ZO_OK)
		goto out;

	const char *open_url = d.verification_uri_complete ? d.verification_uri_complete :
		d.verification_url;
	bool opened = s->open_browser && browser_open(open_url, NULL, &browser);
	browser_forget(&browser);
	/* Shown even with --quiet: the user must see the code to type it. */
	fprintf(stderr, "\n    To sign in, open   %s\n    and enter the code %s\n\n",
		d.verification_url, d.user_code);
	log_info("%swaiting up to %ld seconds for the sign-in to be approved (Ctrl-C to stop)",
		opened ? "opened your browser there; " : "", (s->timeout < d.expires_ms / 1000 ?
		s->timeout : d.expires_ms / 1000));

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
				log_error("the code expired before the sign-in was approved: run login "
					"--device again");
			else
				log_error("no approval within %ld seconds: run login --device again, or "
					"raise --timeout", s->timeout);
			status = ZO_TIMEOUT;
			break;
		}
		status = sleep_ms(gap);
		if (status != ZO_OK)
			break;

		char summary[512];
		struct http_answer a;
		struct device_poll poll_answer;
		struct token_request req = {
			.grant = GRANT_DEVICE,
			.client_id = s->client_id,
			.client_secret = si.secret,
			.code = d.device_code,
		};
		status = token_request_post(server, &req, &s->net, &a, summary, sizeof(summary));
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
			log_debug("zoho asks to poll less often: every %ld seconds now", gap / 1000);
			continue;
		case POLL_OTHER_DC: {
			const char *other = other_dc_server(s, poll_answer.location);
			if (!other) {
				log_error("zoho says your account is in data centre '%s', which this tool "
					"does not know", poll_answer.location);
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
			log_error("the code expired before the sign-in was approved: run login --device "
				"again");
			status = ZO_TIMEOUT;
			break;
		case POLL_ERROR: {
			char line[512];
			zoho_error_explain(poll_answer.error, GRANT_DEVICE, poll_answer.error_text, server,
				line, sizeof(line));
			log_error("%s", line);
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
	device_start_finish(&d);
	signin_finish(&si);
	return status;
}
