#include <errno.h>
#include <stdlib.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <cjson/cJSON.h>

#include "cmd/status.h"
#include "core/exit-status.h"
#include "core/log.h"
#include "core/secure-file.h"
#include "core/util.h"
#include "store/store.h"
#include "zoho/zoho.h"

static int print_json(const struct settings *s, const struct tokens *t, const char *store,
		int64_t now)
{
	cJSON *o = cJSON_CreateObject();
	cJSON *scopes = cJSON_AddArrayToObject(o, "scopes");
	const char *p = t->scope ? t->scope : "";
	while (*p) {
		/* Zoho may answer with spaces or commas between scopes. */
		size_t n = strcspn(p, ", ");
		if (n) {
			char *one = xstrndup(p, n);
			if (one)
				cJSON_AddItemToArray(scopes, cJSON_CreateString(one));
			free(one);
		}
		p += n + (p[n] != '\0');
	}
	cJSON_AddStringToObject(o, "profile", s->profile);
	cJSON_AddStringToObject(o, "token_file", s->token_file);
	cJSON_AddStringToObject(o, "client_id", t->client_id);
	cJSON_AddStringToObject(o, "accounts_server", t->accounts_server);
	if (t->location)
		cJSON_AddStringToObject(o, "location", t->location);
	else
		cJSON_AddNullToObject(o, "location");
	if (t->api_domain)
		cJSON_AddStringToObject(o, "api_domain", t->api_domain);
	else
		cJSON_AddNullToObject(o, "api_domain");
	cJSON_AddStringToObject(o, "store", store);
	cJSON_AddBoolToObject(o, "refresh_token", tokens_offline(t));
	cJSON_AddBoolToObject(o, "access_token_valid", tokens_time_left(t, now) > 0);
	if (t->access_token) {
		cJSON_AddNumberToObject(o, "expires_at", (double)t->expires_at);
		cJSON_AddNumberToObject(o, "expires_in", (double)(t->expires_at - now));
		cJSON_AddNumberToObject(o, "obtained_at", (double)t->obtained_at);
	} else {
		/* Not cached on this machine (another store's profile). */
		cJSON_AddNullToObject(o, "expires_at");
		cJSON_AddNullToObject(o, "expires_in");
		cJSON_AddNullToObject(o, "obtained_at");
	}
	if (t->throttled_until > now)
		cJSON_AddNumberToObject(o, "throttled_until", (double)t->throttled_until);
	char *text = cJSON_Print(o);
	cJSON_Delete(o);
	if (!text) {
		log_error("out of memory");
		return ZO_FAILURE;
	}
	bool ok = print_line("", text);
	cJSON_free(text);
	return ok ? ZO_OK : ZO_FAILURE;
}

/* "2026-12-02 17:20:05 CET (in 59 minutes)" or "... (3 minutes ago)": the
 * local time with its zone, then how long until or ago. */
static void when_text(int64_t when, int64_t now, char *out, size_t len)
{
	char span[32], local[64];
	time_t tt = (time_t)when;
	struct tm tm;
	span_text(when > now ? when - now : now - when, span, sizeof(span));
	if (!localtime_r(&tt, &tm) || !strftime(local, sizeof(local), "%Y-%m-%d %H:%M:%S %Z", &tm))
		snprintf(local, sizeof(local), "%lld", (long long)when);
	if (when == now)
		snprintf(out, len, "%s (now)", local);
	else
		snprintf(out, len, when > now ? "%s (in %s)" : "%s (%s ago)", local, span);
}

int cmd_status(const struct settings *s)
{
	struct store *st;
	struct tokens t;
	char store[128];
	int status = store_open(s, &st);
	if (status != ZO_OK)
		return status;
	status = store_load(st, &t);
	store_describe(st, store, sizeof(store));
	if (s->json)
		snprintf(store, sizeof(store), "%s", store_kind(st));
	store_close(st);
	if (status != ZO_OK)
		return status;

	int64_t now = wall_seconds();
	if (s->json) {
		status = print_json(s, &t, store, now);
		tokens_finish(&t);
		return status;
	}

	char when[128];
	const struct zoho_dc *dc = zoho_dc_by_accounts(t.accounts_server);
	const char *location = t.location ? t.location : dc ? dc->location : NULL;

	printf("profile:        %s\n", s->profile);
	printf("store:          %s\n", store);
	printf("token file:     %s\n", s->token_file);
	printf("client id:      %s\n", t.client_id);
	printf("accounts:       %s%s%s%s\n", t.accounts_server, location ? " (" : "",
		location ? location : "", location ? ")" : "");
	printf("api domain:     %s\n", t.api_domain ? t.api_domain : "(unknown)");
	printf("scopes:         %s\n", t.scope ? t.scope : "(unknown)");
	printf("refresh token:  %s\n", tokens_offline(&t) ? "yes (offline access)" :
		"no (online access: sign in again when the access token expires)");
	if (!t.access_token) {
		printf("access token:   none cached on this machine%s\n",
			tokens_offline(&t) ? "; 'zoho-oauth token' gets one" : "");
	} else if (tokens_time_left(&t, now) > 0) {
		when_text(t.expires_at, now, when, sizeof(when));
		printf("access token:   valid, expires %s\n", when);
	} else {
		when_text(t.expires_at, now, when, sizeof(when));
		printf("access token:   expired%s %s%s\n", t.expires_at > now ? " (its times are "
			"in the future: not trusted)," : "", when,
			tokens_offline(&t) ? "; 'zoho-oauth token' refreshes it" : "");
	}
	if (t.access_token) {
		when_text(t.obtained_at, now, when, sizeof(when));
		printf("obtained:       %s\n", when);
	}
	if (t.throttled_until > now) {
		when_text(t.throttled_until, now, when, sizeof(when));
		printf("throttled:      zoho refused refreshes as too many; no request until %s\n",
			when);
	}
	tokens_finish(&t);
	if (fflush(stdout) != 0) {
		log_error("cannot write to standard output: %s", strerror(errno));
		return ZO_FAILURE;
	}
	return ZO_OK;
}
