#include <dirent.h>
#include <errno.h>
#include <stdlib.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>

#include "cmd/status.h"
#include "core/exit-status.h"
#include "core/log.h"
#include "core/paths.h"
#include "core/secure-file.h"
#include "core/text.h"
#include "core/util.h"
#include "settings/config-file.h"
#include "store/refresh.h"
#include "store/store.h"
#include "zoho/token-endpoint.h"
#include "zoho/zoho.h"

/* What --online found: whether Zoho still honours the refresh token, and
 * whose account it is. */
struct online {
	bool asked;
	int status;        /* of the refresh: ZO_OK, ZO_RELOGIN... */
	int64_t checked_at;
	bool user_asked;   /* the scope allows it */
	struct zoho_user user;
};

/* status --json. Text that is not valid UTF-8 (a path, say) is shown
 * escaped, as on the terminal, rather than left out. */
static json_t *text_value(const char *s)
{
	if (!s)
		return json_null();
	json_t *v = json_string(s);
	if (!v) {
		char shown[1024];
		text_escape(shown, sizeof(shown), s, strlen(s));
		v = json_string(shown);
	}
	return v;
}

static void put(json_t *o, const char *name, json_t *value)
{
	json_object_set_new(o, name, value);
}

static void put_text(json_t *o, const char *name, const char *s)
{
	put(o, name, text_value(s));
}

static void put_number(json_t *o, const char *name, int64_t n)
{
	put(o, name, json_integer((json_int_t)n));
}

/* A new object or array in o, or NULL. */
static json_t *put_child(json_t *o, const char *name, json_t *child)
{
	/* o holds the one reference: child lives as long as o. */
	return json_object_set_new(o, name, child) == 0 ? child : NULL;
}

/*
 * status --json prints entries, one object per profile, in the shape
 * zoho-oauth(1) documents under JSON OUTPUT (tests/harness/schema.py holds
 * the output against the page): every key in every entry, in this order,
 * null where the entry's state has no value for it, and so in each object
 * inside. SCHEMA goes up when a key is removed, renamed or changes its
 * type or meaning, or state gets a new value; a new key goes after the
 * others of its object.
 */
#define SCHEMA 1

static const char *const entry_keys[] = {
	"profile", "state", "schema", "status", "error", "login", "token_file", "store", "client_id",
	"accounts_server", "location", "api_domain", "scopes", "refresh_token",
	"access_token_valid", "expires_at", "expires_in", "obtained_at", "throttled_until",
	"budget", "online", "ahead", "grant", "soid",
};

/* An entry with every key, null but those every state has. A value set
 * later keeps its key's place: Jansson keeps the order keys were added
 * in, and replacing a value does not move its key. */
static json_t *new_entry(const char *profile, const char *state, int status,
		const char *token_file)
{
	json_t *o = json_object();
	if (!o)
		return NULL;
	for (size_t i = 0; i < sizeof(entry_keys) / sizeof(entry_keys[0]); i++)
		put(o, entry_keys[i], json_null());
	put_text(o, "profile", profile);
	put_text(o, "state", state);
	put_number(o, "schema", SCHEMA);
	put_number(o, "status", status);
	put_text(o, "token_file", token_file);
	return o;
}

static void put_time(json_t *o, const char *name, int64_t when, bool known)
{
	if (known)
		put_number(o, name, when);
	else
		put(o, name, json_null());
}

static void add_budget(json_t *o, const struct store_budget *b, int64_t now)
{
	if (!b || !b->known)
		return;
	json_t *j = put_child(o, "budget", json_object());
	if (!j)
		return;
	put_number(j, "window_seconds", b->window);
	put_number(j, "in_window", b->in_window);
	put_number(j, "window_cap", b->window_cap);
	put_number(j, "live", b->live);
	put_number(j, "live_cap", b->live_cap);
	put_time(j, "spent_until", b->spent_until, b->spent_until > now);
	put_text(j, "updated_by", b->updated_by[0] ? b->updated_by : NULL);
	put_number(j, "updated_at", b->updated_at);
}

/* What the last renewal ahead that failed left (store/ahead.h). */
static void add_ahead(json_t *o, const struct tokens *t)
{
	if (!t->ahead_failed_at)
		return;
	json_t *j = put_child(o, "ahead", json_object());
	if (!j)
		return;
	put_number(j, "failed_at", t->ahead_failed_at);
	put_number(j, "exit_status", t->ahead_status);
	put_text(j, "error", t->ahead_error);
	put_time(j, "retry_at", t->ahead_retry_at, t->ahead_retry_at != 0);
}

static void add_online(json_t *o, const struct online *on)
{
	if (!on || !on->asked)
		return;
	json_t *j = put_child(o, "online", json_object());
	if (!j)
		return;
	put(j, "refresh_token_works", json_boolean(on->status == ZO_OK));
	put_number(j, "status", on->status);
	put_number(j, "checked_at", on->checked_at);
	if (!on->user.known) {
		put(j, "account", json_null());
		return;
	}
	json_t *u = put_child(j, "account", json_object());
	if (u) {
		put_text(u, "display_name", on->user.display_name[0] ? on->user.display_name : NULL);
		put_text(u, "email", on->user.email[0] ? on->user.email : NULL);
	}
}

/* The entry of a profile whose tokens were read (state signed_in). */
static json_t *json_of(const char *profile, const char *token_file, const struct tokens *t,
		const char *store, int64_t now, const struct online *on, const struct store_budget *b)
{
	json_t *o = new_entry(profile, "signed_in", ZO_OK, token_file);
	if (!o)
		return NULL;
	put_text(o, "store", store);
	put_text(o, "client_id", t->client_id);
	put_text(o, "accounts_server", t->accounts_server);
	put_text(o, "location", t->location);
	put_text(o, "api_domain", t->api_domain);
	json_t *scopes = put_child(o, "scopes", json_array());
	/* Zoho may answer with spaces or commas between scopes. */
	const char *cursor = t->scope, *item;
	size_t n;
	while (scopes && zoho_scope_next(&cursor, true, &item, &n)) {
		char *one = xstrndup(item, n);
		if (one)
			json_array_append_new(scopes, text_value(one));
		free(one);
	}
	put(o, "refresh_token", json_boolean(t->refresh_token || t->refresh_elsewhere));
	put(o, "access_token_valid", json_boolean(tokens_time_left(t, now) > 0));
	/* No access token: none cached on this machine (another store's
	 * profile). */
	bool cached = t->access_token != NULL;
	put_time(o, "expires_at", t->expires_at, cached);
	put_time(o, "expires_in", t->expires_at - now, cached);
	put_time(o, "obtained_at", t->obtained_at, cached);
	put_time(o, "throttled_until", t->throttled_until, t->throttled_until > now);
	add_budget(o, b, now);
	add_online(o, on);
	add_ahead(o, t);
	put_text(o, "grant", t->client_credentials ? "client_credentials" :
		tokens_offline(t) ? "refresh_token" : "none");
	put_text(o, "soid", t->soid);
	return o;
}

/* The entry of a profile whose tokens can't be used (state error). */
static json_t *json_error(const struct profile *p, int status, const char *error)
{
	char shown[64];
	json_t *o = new_entry(p->name, "error", status, p->token_path);
	if (!o)
		return NULL;
	if (!error[0]) {
		snprintf(shown, sizeof(shown), "cannot be read (exit status %d)", status);
		error = shown;
	}
	put_text(o, "error", error);
	return o;
}

/* Print a JSON value and a newline; o is deleted. Anything but ASCII as a
 * \u escape: a path's C1 control (U+009B is CSI) never reaches the
 * terminal raw, and a JSON reader gets the same text back. */
static int print_json(json_t *o)
{
	char *text = o ? json_dumps(o, JSON_INDENT(2) | JSON_ENSURE_ASCII) : NULL;
	json_decref(o);
	if (!text) {
		log_error("out of memory");
		return ZO_FAILURE;
	}
	bool ok = print_line("", text);
	free(text);
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

/* The text status of one profile's tokens. */
static void print_text(const struct profile *p, const struct tokens *t, const char *store,
		int64_t now, const struct store_budget *b)
{
	char when[128], token[PROFILE_HINT_MAX];
	profile_command(p, "token", NULL, token, sizeof(token));
	const struct zoho_dc *dc = zoho_dc_by_accounts(t->accounts_server);
	const char *location = t->location ? t->location : dc ? dc->location : NULL;

	printf("profile:        %s\n", p->name);
	printf("store:          %s\n", store);
	printf("token file:     %s\n", p->token_path);
	printf("client id:      %s\n", t->client_id);
	printf("accounts:       %s%s%s%s\n", t->accounts_server, location ? " (" : "",
		location ? location : "", location ? ")" : "");
	printf("api domain:     %s\n", t->api_domain ? t->api_domain : "(unknown)");
	printf("scopes:         %s\n", t->scope ? t->scope : "(unknown)");
	printf("refresh token:  %s\n", t->client_credentials ?
		"none: client credentials (the client secret gets each access token)" :
		tokens_offline(t) ? "yes (offline access)" :
		"no (online access: sign in again when the access token expires)");
	if (t->soid)
		printf("organisation:   %s (soid)\n", t->soid);
	if (!t->access_token) {
		printf("access token:   none cached on this machine%s%s%s\n",
			tokens_offline(t) ? "; '" : "", tokens_offline(t) ? token : "",
			tokens_offline(t) ? "' gets one" : "");
	} else if (tokens_time_left(t, now) > 0) {
		when_text(t->expires_at, now, when, sizeof(when));
		printf("access token:   valid, expires %s\n", when);
	} else {
		when_text(t->expires_at, now, when, sizeof(when));
		printf("access token:   expired%s %s%s%s%s\n", t->expires_at > now ? " (its times are "
			"in the future: not trusted)," : "", when, tokens_offline(t) ? "; '" : "",
			tokens_offline(t) ? token : "", tokens_offline(t) ? "' refreshes it" : "");
	}
	if (t->access_token) {
		when_text(t->obtained_at, now, when, sizeof(when));
		printf("obtained:       %s\n", when);
	}
	if (t->throttled_until > now) {
		when_text(t->throttled_until, now, when, sizeof(when));
		printf("throttled:      zoho refused refreshes as too many; no request until %s\n",
			when);
	}
	if (t->ahead_failed_at) {
		char login[PROFILE_HINT_MAX];
		when_text(t->ahead_failed_at, now, when, sizeof(when));
		printf("renewal ahead:  failed %s:\n                %s\n", when,
			t->ahead_error ? t->ahead_error : "no reason recorded");
		if (t->ahead_retry_at) {
			when_text(t->ahead_retry_at, now, when, sizeof(when));
			printf("                next try after %s\n", when);
		} else {
			profile_command(p, "login", NULL, login, sizeof(login));
			printf("                no new try before a new sign-in ('%s')\n", login);
		}
	}
	if (b && b->known) {
		printf("refresh budget: %d of %d new access tokens in the last %d minutes, %d of %d\n"
			"                alive (%s)\n", b->in_window, b->window_cap, b->window / 60,
			b->live, b->live_cap, t->client_credentials ? "in the window: the client's "
			"client-credentials profiles in the database; alive: this profile's" :
			"for every machine sharing this profile");
		if (b->spent_until > now) {
			when_text(b->spent_until, now, when, sizeof(when));
			printf("                spent: no refresh until %s\n", when);
		}
		if (b->updated_by[0]) {
			when_text(b->updated_at, now, when, sizeof(when));
			printf("last written:   %s,\n                by %s\n", when, b->updated_by);
		}
	}
}

static int flush_stdout(void)
{
	if (fflush(stdout) != 0) {
		log_error("cannot write to standard output: %s", strerror(errno));
		return ZO_FAILURE;
	}
	return ZO_OK;
}

/* --online: one refresh through the locked path (so the new access token
 * is kept), then, where the scope allows, whose account it is. */
static void ask_zoho(struct store *st, struct online *on, struct tokens *fresh)
{
	const struct profile *p = store_profile(st);
	struct judge_ask force = { .force = true };
	memset(on, 0, sizeof(*on));
	on->asked = true;
	on->status = fresh_tokens(st, &force, NULL, fresh);
	on->checked_at = wall_seconds();
	if (on->status != ZO_OK)
		return;
	if (zoho_scope_has_user_info(fresh->scope)) {
		on->user_asked = true;
		int status = zoho_user_info(fresh->accounts_server, fresh->access_token, &p->net,
			&on->user);
		if (status >= ZO_INTERRUPTED)
			on->status = status;
		else if (status != ZO_OK)
			log_warn("could not ask zoho whose account this is: the account is unknown");
	}
}

static void print_online(const struct profile *p, const struct online *on)
{
	char hint[PROFILE_HINT_MAX];
	profile_command(p, "login", NULL, hint, sizeof(hint));
	if (on->status == ZO_OK)
		printf("zoho:           the refresh token works (asked just now, which cost one "
			"refresh; the new access token is kept)\n");
	else if (on->status == ZO_RELOGIN)
		printf("zoho:           the refresh token no longer works (revoked, or the oldest "
			"of 20): run '%s'\n", hint);
	else
		printf("zoho:           could not tell whether the refresh token works (see the "
			"message above; exit status %d)\n", on->status);
	if (on->status != ZO_OK)
		return;
	if (!on->user_asked)
		printf("account:        not asked (the scopes lack AaaServer.profile.Read)\n");
	else if (!on->user.known)
		printf("account:        unknown (zoho's user info did not say)\n");
	else if (on->user.display_name[0] && on->user.email[0])
		printf("account:        %s <%s>\n", on->user.display_name, on->user.email);
	else
		printf("account:        %s\n", on->user.display_name[0] ? on->user.display_name :
			on->user.email);
}

/* What status names the store as: its description, or in JSON its kind. */
static void store_name(const struct store *st, bool json, char *out, size_t len)
{
	if (json)
		snprintf(out, len, "%s", store_kind(st));
	else
		store_describe(st, out, len);
}

/* A shared store's count of Zoho's limits (a round trip to it): when it
 * can't be had, a warning, and status still says what this machine
 * knows. */
static void get_budget(struct store *st, struct store_budget *b)
{
	struct report r;
	char why[REPORT_HELD_MAX];
	report_open(&r);
	if (store_budget(st, b) != ZO_OK)
		b->known = false;
	report_take(&r, why, sizeof(why));
	if (why[0])
		log_warn("%s", why);
}

/* The profiles --all lists: the config's sections and the token files
 * (PROFILE.json) in the tokens directory, sorted, each once. */
static int cmp_names(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static bool add_name(char ***names, size_t *n, const char *name)
{
	for (size_t i = 0; i < *n; i++)
		if (strcmp((*names)[i], name) == 0)
			return true;
	char **more = realloc(*names, (*n + 1) * sizeof(*more));
	char *copy = xstrdup(name);
	if (!more || !copy) {
		free(copy);
		if (more)
			*names = more;
		log_error("out of memory");
		return false;
	}
	*names = more;
	(*names)[(*n)++] = copy;
	return true;
}

static bool all_profiles(const struct settings *s, const char *dir, char ***names, size_t *n)
{
	*names = NULL;
	*n = 0;
	if (s->config_path && !config_profile_names(s->config_path, names, n))
		return false;
	DIR *d = opendir(dir);
	if (!d) {
		if (errno != ENOENT)
			log_warn("cannot list %s: %s (only the config's profiles are shown)", dir,
				strerror(errno));
	} else {
		struct dirent *e;
		bool ok = true;
		while (ok && (e = readdir(d))) {
			size_t len = strlen(e->d_name);
			char name[PROFILE_NAME_MAX + 1];
			if (len <= 5 || strcmp(e->d_name + len - 5, ".json") != 0 ||
					len - 5 >= sizeof(name))
				continue;
			memcpy(name, e->d_name, len - 5);
			name[len - 5] = '\0';
			if (profile_name_ok(name))
				ok = add_name(names, n, name);
		}
		closedir(d);
		if (!ok)
			return false;
	}
	if (*n > 1)
		qsort(*names, *n, sizeof(**names), cmp_names);
	return true;
}

/* What status says of a profile with no tokens: where a sign-in would put
 * them, from its config section. As text, printed; as JSON (json), its
 * entry (state no_tokens), returned. */
static json_t *no_tokens(const struct settings *s, const struct profile *p, bool json)
{
	struct config_profile cfg;
	char hint[PROFILE_HINT_MAX], accounts[300] = "";
	struct report r;
	json_t *o = NULL;
	profile_command(p, "login", NULL, hint, sizeof(hint));
	/* (Its mistakes were said for this command already.) */
	report_open(&r);
	if (!s->config_path || !config_load(s->config_path, p->name, &cfg))
		memset(&cfg, 0, sizeof(cfg));
	report_drop(&r);
	const char *store = cfg.store ? cfg.store : "file";
	bool database = strncmp(store, "postgres", 8) == 0 || strncmp(store, "service=", 8) == 0;
	if (cfg.accounts_url)
		snprintf(accounts, sizeof(accounts), "%s", cfg.accounts_url);
	else if (cfg.dc && zoho_dc_by_location(cfg.dc))
		snprintf(accounts, sizeof(accounts), "%s (%s)", zoho_dc_by_location(cfg.dc)->accounts,
			cfg.dc);
	if (json) {
		/* The store by kind, as a signed-in profile's (store_kind()). */
		o = new_entry(p->name, "no_tokens", ZO_RELOGIN, p->token_path);
		if (o) {
			put_text(o, "login", hint);
			put_text(o, "store", database ? "postgresql" : store);
		}
	} else {
		printf("profile:        %s\n", p->name);
		printf("store:          %s\n", database ? "database" : store);
		printf("token file:     %s\n", p->token_path);
		if (accounts[0])
			printf("accounts:       %s\n", accounts);
		if (cfg.scope)
			printf("scopes:         %s\n", cfg.scope);
		printf("tokens:         none: log in with '%s'\n", hint);
	}
	config_finish(&cfg);
	return o;
}

/* status --json of a profile whose tokens could not be read: its entry
 * (no_tokens, or error with what was said), unless a signal stopped the
 * command. Returns the command's exit status, exit. */
static int print_unread(const struct settings *s, const struct profile *p, int status,
		const char *error, int exit)
{
	if (!s->json || status >= ZO_INTERRUPTED)
		return exit;
	int printed = print_json(status == ZO_RELOGIN ? no_tokens(s, p, true) :
		json_error(p, status, error));
	return printed != ZO_OK ? printed : exit;
}

/* status --all. */
static int status_all(struct settings *s)
{
	char **names;
	size_t n;
	char *dir = tokens_dir(false);
	if (!dir)
		return ZO_FAILURE;
	if (!all_profiles(s, dir, &names, &n)) {
		free(dir);
		return ZO_FAILURE;
	}
	int worst = ZO_OK;
	if (n == 0) {
		log_error("no profiles: the config file (%s) has no [profile NAME] section and %s "
			"holds no tokens; sign in with 'zoho-oauth login'",
			s->config_path ? s->config_path : "none", dir);
		free(dir);
		/* Still an array, for a script to go through. */
		int printed = s->json ? print_json(json_array()) : ZO_OK;
		return printed != ZO_OK ? printed : ZO_RELOGIN;
	}
	json_t *array = s->json ? json_array() : NULL;
	int64_t now = wall_seconds();
	for (size_t i = 0; i < n; i++) {
		/* Each profile as itself, waiting as this command does. */
		struct profile one = { .waits = s->profile.waits, .net = s->profile.net };
		struct tokens t;
		struct store *st = NULL;
		struct report r;
		char store[STORE_DESCRIBE_MAX], error[REPORT_HELD_MAX];
		if (!profile_locate(names[i], NULL, false, &one)) {
			worst = ZO_FAILURE;
			continue;
		}
		/* A profile's error is its entry's, not the command's end. */
		report_open(&r);
		int status = store_open(&one, 0, &st);
		if (status == ZO_OK)
			status = store_load(st, &t);
		if (status == ZO_OK)
			store_name(st, s->json, store, sizeof(store));
		store_close(st);
		report_take(&r, error, sizeof(error));
		if (!array && i > 0)
			printf("\n");
		if (status == ZO_OK) {
			if (array)
				json_array_append_new(array, json_of(one.name, one.token_path, &t, store, now,
					NULL, NULL));
			else
				print_text(&one, &t, store, now, NULL);
			tokens_finish(&t);
		} else if (status == ZO_RELOGIN) {
			if (array)
				json_array_append_new(array, no_tokens(s, &one, true));
			else
				no_tokens(s, &one, false);
			if (worst == ZO_OK)
				worst = ZO_RELOGIN;
		} else {
			if (array) {
				json_array_append_new(array, json_error(&one, status, error));
			} else {
				if (!error[0])
					snprintf(error, sizeof(error), "cannot be read (exit status %d)",
						status);
				printf("profile:        %s\n", one.name);
				printf("token file:     %s\n", one.token_path);
				printf("error:          %s\n", error);
			}
			worst = ZO_FAILURE;
		}
		profile_finish(&one);
	}
	config_names_free(names, n);
	free(dir);
	int status = array ? print_json(array) : flush_stdout();
	return status != ZO_OK ? status : worst;
}

int cmd_status(struct settings *s)
{
	const struct profile *p = &s->profile;
	struct tokens t = { 0 };
	struct online on = { 0 };
	struct store *st = NULL;
	char store[STORE_DESCRIBE_MAX];

	if (s->all && s->profile_given) {
		log_error("status --all lists every profile: drop --profile, or drop --all to see one");
		return ZO_USAGE;
	}
	if (s->all && p->path_given) {
		log_error("status --all lists every profile: drop --token-file, or drop --all to see "
			"one");
		return ZO_USAGE;
	}
	if (s->all && s->online) {
		log_error("status --online asks zoho about one profile (it costs a refresh): drop "
			"--all, and name the profile with --profile");
		return ZO_USAGE;
	}
	if (s->all)
		return status_all(s);
	/* What is said of a profile that can't be read is its entry's error
	 * too (with --json), as well as the command's. */
	struct report r;
	char error[REPORT_HELD_MAX];
	report_open(&r);
	int status = store_open(p, 0, &st);
	report_copy(&r, error, sizeof(error));
	report_fail(&r, NULL);
	if (status != ZO_OK)
		return print_unread(s, p, status, error, status);
	if (s->online) {
		ask_zoho(st, &on, &t);
		if (on.status >= ZO_INTERRUPTED) {
			log_stopped(on.status, "nothing was changed");
			status = on.status;
			goto out;
		}
	}
	if (on.status != ZO_OK || !on.asked) {
		/* When --online failed, its message said why: not again. */
		tokens_finish(&t);
		report_open(&r);
		status = store_load(st, &t);
		report_copy(&r, error, sizeof(error));
		if (on.asked)
			report_drop(&r);
		else
			report_fail(&r, NULL);
		if (status != ZO_OK) {
			status = print_unread(s, p, status, error, on.asked ? on.status : status);
			goto out;
		}
	}
	struct store_budget budget = { 0 };
	get_budget(st, &budget);
	store_name(st, s->json, store, sizeof(store));

	int64_t now = wall_seconds();
	if (s->json) {
		status = print_json(json_of(p->name, p->token_path, &t, store, now, &on, &budget));
	} else {
		print_text(p, &t, store, now, &budget);
		if (on.asked)
			print_online(p, &on);
		status = flush_stdout();
	}
	if (status == ZO_OK)
		status = on.status;
out:
	tokens_finish(&t);
	store_close(st);
	return status;
}
