#include <stdio.h>
#include <string.h>

#include "core/urlcode.h"
#include "core/util.h"
#include "signin/callback.h"
#include "signin/pkce.h"

enum { F_STATE, F_CODE, F_ERROR, F_LOCATION, F_ACCOUNTS_SERVER, F_COUNT };

static bool all_of(const char *s, const char *set)
{
	return strspn(s, set) == strlen(s);
}

#define CODE_CHARS "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-._~"

enum callback_verdict callback_parse(const char *query, size_t len, const char *expected_state,
		struct callback *out, char *why, size_t why_len)
{
	struct query_field f[F_COUNT] = {
		[F_STATE] = { "state", 256, NULL },
		[F_CODE] = { "code", 1024, NULL },
		[F_ERROR] = { "error", 256, NULL },
		[F_LOCATION] = { "location", 16, NULL },
		[F_ACCOUNTS_SERVER] = { "accounts-server", 256, NULL },
	};
	enum callback_verdict v = CALLBACK_BAD;

	memset(out, 0, sizeof(*out));
	if (!query_parse(query, len, f, F_COUNT, why, why_len))
		return CALLBACK_BAD;

	if (!f[F_STATE].value) {
		snprintf(why, why_len, "the request has no state parameter");
		goto out;
	}
	if (!secret_equal(f[F_STATE].value, expected_state)) {
		snprintf(why, why_len, "the state parameter does not match this login "
			"(a stale tab, or a request that did not come from Zoho)");
		goto out;
	}
	if (f[F_CODE].value && f[F_ERROR].value) {
		snprintf(why, why_len, "the request carries both a code and an error");
		goto out;
	}
	if (f[F_ERROR].value) {
		for (const char *p = f[F_ERROR].value; *p; p++)
			if ((unsigned char)*p >= 0x7f) {
				snprintf(why, why_len, "the error parameter is not plain ASCII");
				goto out;
			}
		v = CALLBACK_ERROR;
	} else if (f[F_CODE].value) {
		if (!f[F_CODE].value[0] || !all_of(f[F_CODE].value, CODE_CHARS)) {
			snprintf(why, why_len, "the code parameter is empty or has characters a Zoho code "
				"never has");
			goto out;
		}
		v = CALLBACK_CODE;
	} else {
		snprintf(why, why_len, "the request has neither a code nor an error");
		goto out;
	}

	/* Optional hints: keep them only when they have a sane shape. */
	char *loc = f[F_LOCATION].value;
	if (loc && strlen(loc) >= 2 && all_of(loc, "abcdefghijklmnopqrstuvwxyz")) {
		out->location = loc;
		f[F_LOCATION].value = NULL;
	}
	out->accounts_server = f[F_ACCOUNTS_SERVER].value;
	f[F_ACCOUNTS_SERVER].value = NULL;
	out->code = f[F_CODE].value;
	f[F_CODE].value = NULL;
	out->error = f[F_ERROR].value;
	f[F_ERROR].value = NULL;
out:
	query_fields_finish(f, F_COUNT);
	return v;
}

void callback_move(struct callback *dst, struct callback *src)
{
	*dst = *src;
	memset(src, 0, sizeof(*src));
}

void callback_finish(struct callback *cb)
{
	secret_free(cb->code);
	secret_free(cb->error);
	secret_free(cb->location);
	secret_free(cb->accounts_server);
	memset(cb, 0, sizeof(*cb));
}
