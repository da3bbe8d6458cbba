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

static void add_budget(cJSON *o, const struct store_budget *b, int64_t now)
{
	if (!b->known)
		return;
	cJSON *j = cJSON_AddObjectToObject(o, "budget");
	cJSON_AddNumberToObject(j, "window_seconds", b->window);
	cJSON_AddNumberToObject(j, "in_window", b->in_window);
	cJSON_AddNumberToObject(j, "window_cap", b->window_cap);
	cJSON_AddNumberToObject(j, "live", b->live);
	cJSON_AddNumberToObject(j, "live_cap", b->live_cap);
	if (b->spent_until > now)
		cJSON_AddNumberToObject(j, "spent_until", (double)b->spent_until);
	else
		cJSON_AddNullToObject(j, "spent_until");
	cJSON_AddStringToObject(j, "updated_by", b->updated_by);
	cJSON_AddNumberToObject(j, "updated_at", (double)b->updated_at);
}

static int print_json(const struct settings *s, const struct tokens *t, const char *store,
		const struct store_budget *b, int64_t now)
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
	add_budget(o, b, now);
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

/* "in 52 minutes (14:05 CET)" or "3 hours ago (2026-12-02 09:10 CET)". */
static void when_text(int64_t when, int64_t now, char *out, size_t len)
{
	char span[32], local[48];
	span_text(when > now ? when - now : now - when, span, sizeof(span));
	local_time_text(when, when < now - 86400 || when > now + 86400, local, sizeof(local));
	snprintf(out, len, when > now ? "in %s (%s)" : "%s ago (%s)", span, local);
}

int cmd_status(const struct settings *s)
{
	struct store *st;
	struct tokens t;
	char store[128];
	int status = store_open(s, &st);
	if (status != ZO_OK)
		return status;
	struct store_budget budget = { 0 };
	status = store_load(st, &t);
	if (status == ZO_OK) {
		/* A shared store's count (a round trip to it): status still says
		 * what this machine knows when the store can't be reached. */
		log_errors_as_warnings(true);
		if (store_budget(st, &budget) != ZO_OK)
			budget.known = false;
		log_errors_as_warnings(false);
	}
	store_describe(st, store, sizeof(store));
	if (s->json)
		snprintf(store, sizeof(store), "%s", store_kind(st));
	store_close(st);
	if (status != ZO_OK)
		return status;

	int64_t now = wall_seconds();
	if (s->json) {
		status = print_json(s, &t, store, &budget, now);
		tokens_finish(&t);
		return status;
	}

	char when[96];
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
	if (budget.known) {
		printf("refresh budget: %d of %d new access tokens in the last %d minutes, %d of %d "
			"alive (for every machine sharing this profile)\n", budget.in_window,
			budget.window_cap, budget.window / 60, budget.live, budget.live_cap);
		if (budget.spent_until > now) {
			when_text(budget.spent_until, now, when, sizeof(when));
			printf("                spent: no refresh until %s\n", when);
		}
		if (budget.updated_by[0]) {
			when_text(budget.updated_at, now, when, sizeof(when));
			printf("last written:   %s, by %s\n", when, budget.updated_by);
		}
	}
	tokens_finish(&t);
	if (fflush(stdout) != 0) {
		log_error("cannot write to standard output: %s", strerror(errno));
		return ZO_FAILURE;
	}
	return ZO_OK;
}
