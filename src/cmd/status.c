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

static void utc(int64_t when, char *out, size_t len)
{
	time_t t = (time_t)when;
	struct tm tm;
	if (!gmtime_r(&t, &tm) || !strftime(out, len, "%Y-%m-%d %H:%M:%S UTC", &tm))
		snprintf(out, len, "%lld", (long long)when);
}

/* "52 minutes", "3 hours", "2 days". */
static void span(int64_t seconds, char *out, size_t len)
{
	if (seconds < 120)
		snprintf(out, len, "%lld seconds", (long long)seconds);
	else if (seconds < 2 * 3600)
		snprintf(out, len, "%lld minutes", (long long)(seconds / 60));
	else if (seconds < 2 * 86400)
		snprintf(out, len, "%lld hours", (long long)(seconds / 3600));
	else
		snprintf(out, len, "%lld days", (long long)(seconds / 86400));
}

static int print_json(const struct settings *s, const struct tokens *t, int64_t now)
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
	cJSON_AddBoolToObject(o, "refresh_token", t->refresh_token != NULL);
	cJSON_AddBoolToObject(o, "access_token_valid", t->expires_at > now);
	cJSON_AddNumberToObject(o, "expires_at", (double)t->expires_at);
	cJSON_AddNumberToObject(o, "expires_in", (double)(t->expires_at - now));
	cJSON_AddNumberToObject(o, "obtained_at", (double)t->obtained_at);
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

int cmd_status(const struct settings *s)
{
	struct store *st;
	struct tokens t;
	int status = store_open(s, &st);
	if (status != ZO_OK)
		return status;
	status = store_load(st, &t);
	store_close(st);
	if (status != ZO_OK)
		return status;

	int64_t now = wall_seconds();
	if (s->json) {
		status = print_json(s, &t, now);
		tokens_finish(&t);
		return status;
	}

	char when[64], left[32], signed_in[64];
	const struct zoho_dc *dc = zoho_dc_by_accounts(t.accounts_server);
	const char *location = t.location ? t.location : dc ? dc->location : NULL;
	utc(t.expires_at, when, sizeof(when));
	utc(t.obtained_at, signed_in, sizeof(signed_in));

	printf("profile:        %s\n", s->profile);
	printf("token file:     %s\n", s->token_file);
	printf("client id:      %s\n", t.client_id);
	printf("accounts:       %s%s%s%s\n", t.accounts_server, location ? " (" : "",
		location ? location : "", location ? ")" : "");
	printf("api domain:     %s\n", t.api_domain ? t.api_domain : "(unknown)");
	printf("scopes:         %s\n", t.scope ? t.scope : "(unknown)");
	printf("refresh token:  %s\n", t.refresh_token ? "yes (offline access)" :
		"no (online access: sign in again when the access token expires)");
	if (t.expires_at > now) {
		span(t.expires_at - now, left, sizeof(left));
		printf("access token:   valid for %s (until %s)\n", left, when);
	} else {
		span(now - t.expires_at, left, sizeof(left));
		printf("access token:   expired %s ago (%s)%s\n", left, when,
			t.refresh_token ? "; 'zoho-oauth token' refreshes it" : "");
	}
	printf("obtained:       %s\n", signed_in);
	tokens_finish(&t);
	if (fflush(stdout) != 0) {
		log_error("cannot write to standard output: %s", strerror(errno));
		return ZO_FAILURE;
	}
	return ZO_OK;
}
