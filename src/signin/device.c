#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "core/exit-status.h"
#include "core/log.h"
#include "core/urlcode.h"
#include "core/util.h"
#include "signin/device.h"
#include "zoho/token-endpoint.h"
#include "zoho/zoho.h"

#define DEFAULT_INTERVAL_MS 5000
#define DEFAULT_EXPIRES_MS (300 * 1000)

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

