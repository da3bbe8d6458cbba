#include <malloc.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <unistd.h>

#include <jansson.h>

#include "core/log.h"
#include "core/secure-file.h"
#include "core/util.h"
#include "zoho/redirect.h"
#include "zoho/tokens.h"

#define TOKEN_MAX 4096        /* longest token we accept */
#define FIELD_MAX 512         /* other strings */
#define SOID_MAX 128
#define EXPIRES_MAX (366L * 24 * 3600)
#define CLOCK_OFFSET_MAX (10LL * 366 * 24 * 3600)

static void wiping_free(void *p)
{
	if (p) {
		explicit_bzero(p, malloc_usable_size(p));
		free(p);
	}
}

void tokens_init_json(void)
{
	json_set_alloc_funcs(malloc, wiping_free);
	/* The hash seed from one getrandom() (Jansson would open
	 * /dev/urandom itself: three system calls on every cached token). */
	size_t seed = 0;
	if (getrandom(&seed, sizeof(seed), GRND_NONBLOCK) != (ssize_t)sizeof(seed))
		seed = 0; /* (0: Jansson finds its own) */
	json_object_seed(seed);
}

void tokens_finish(struct tokens *t)
{
	secret_free(t->access_token);
	secret_free(t->refresh_token);
	secret_free(t->token_type);
	secret_free(t->api_domain);
	secret_free(t->scope);
	secret_free(t->client_id);
	secret_free(t->client_secret);
	secret_free(t->accounts_server);
	secret_free(t->location);
	secret_free(t->redirect_uri);
	free(t->soid);
	free(t->store);
	free(t->access_cache);
	free(t->cache_for);
	free(t->refresh_fingerprint);
	free(t->ahead_error);
	free(t->reserved_by);
	memset(t, 0, sizeof(*t));
}

static bool printable(const char *s, bool spaces)
{
	for (; *s; s++)
		if ((unsigned char)*s < (spaces ? 0x20 : 0x21) || (unsigned char)*s >= 0x7f)
			return false;
	return true;
}

/*
 * Fetch member name as a string. Absent: true with *out NULL (unless
 * required). Present with another type, empty, too long or unprintable:
 * false with why set.
 */
static bool get_string(const json_t *obj, const char *name, bool required, size_t max, bool spaces,
		char **out, char *why, size_t why_len)
{
	const json_t *item = json_object_get(obj, name);
	*out = NULL;
	if (!item || json_is_null(item)) {
		if (required)
			snprintf(why, why_len, "it has no %s", name);
		return !required;
	}
	if (!json_is_string(item)) {
		snprintf(why, why_len, "its %s is not a string", name);
		return false;
	}
	/* (Jansson refuses \u0000 in strings: the length is the string's.) */
	const char *value = json_string_value(item);
	size_t len = json_string_length(item);
	if (len == 0 || len > max || !printable(value, spaces)) {
		snprintf(why, why_len, "its %s is empty, too long or not printable", name);
		return false;
	}
	*out = xstrdup(value);
	if (!*out) {
		snprintf(why, why_len, "out of memory");
		return false;
	}
	return true;
}

/* A positive whole number within [1, max]. */
static bool get_seconds(const json_t *item, const char *name, long max, long *out, char *why,
		size_t why_len)
{
	if (!json_is_number(item)) {
		snprintf(why, why_len, "its %s is not a number", name);
		return false;
	}
	double v = json_number_value(item);
	if (!whole_number(v, 1, (double)max)) {
		snprintf(why, why_len, "its %s is out of range", name);
		return false;
	}
	*out = (long)v;
	return true;
}

json_t *zjson_parse_object(const char *body, size_t len, char *why, size_t why_len)
{
	json_error_t err;
	/* Any JSON value, so that "not an object" can be told apart; a member
	 * twice would leave the reader to guess which one counts. Jansson
	 * refuses anything but white space after the value, and \u0000. */
	json_t *root = json_loadb(body, len, JSON_DECODE_ANY | JSON_REJECT_DUPLICATES, &err);
	if (!root) {
		switch (json_error_code(&err)) {
		case json_error_end_of_input_expected:
			snprintf(why, why_len, "it has data after the JSON value");
			break;
		case json_error_invalid_utf8:
			snprintf(why, why_len, "it is not valid UTF-8");
			break;
		case json_error_duplicate_key:
			snprintf(why, why_len, "it has a member twice");
			break;
		default:
			snprintf(why, why_len, "it is not JSON");
			break;
		}
		return NULL;
	}
	if (!json_is_object(root)) {
		snprintf(why, why_len, "it is JSON but not an object");
		json_decref(root);
		return NULL;
	}
	return root;
}

const char *zjson_string(const json_t *obj, const char *name)
{
	return json_string_value(json_object_get(obj, name));
}

void zjson_zoho_description(const json_t *obj, char *text, size_t text_len)
{
	const char *d = zjson_string(obj, "error_description");
	printable_copy(text, text_len, d ? d : "");
}

enum zoho_error zjson_zoho_error(const json_t *obj, char *text, size_t text_len)
{
	const char *e = zjson_string(obj, "error");
	printable_copy(text, text_len, e && *e ? e : "(not a string)");
	return zoho_error_classify(e, zjson_string(obj, "error_description"),
		zjson_string(obj, "status"));
}

void tokens_parse_answer(const char *body, size_t len, int64_t now, struct token_answer *ans)
{
	memset(ans, 0, sizeof(*ans));
	ans->kind = ANSWER_INVALID;

	json_t *root = zjson_parse_object(body, len, ans->why, sizeof(ans->why));
	if (!root)
		return;

	if (json_object_get(root, "error")) {
		ans->kind = ANSWER_ERROR;
		ans->error = zjson_zoho_error(root, ans->error_text, sizeof(ans->error_text));
		zjson_zoho_description(root, ans->error_description, sizeof(ans->error_description));
		json_decref(root);
		return;
	}

	struct tokens *t = &ans->tokens;
	char *why = ans->why;
	size_t wl = sizeof(ans->why);
	long expires = 0;
	const json_t *sec = json_object_get(root, "expires_in_sec");
	const json_t *in = json_object_get(root, "expires_in");

	if (!get_string(root, "access_token", true, TOKEN_MAX, false, &t->access_token, why, wl) ||
			!get_string(root, "refresh_token", false, TOKEN_MAX, false, &t->refresh_token, why, wl) ||
			!get_string(root, "token_type", false, 32, false, &t->token_type, why, wl) ||
			!get_string(root, "api_domain", false, FIELD_MAX, false, &t->api_domain, why, wl) ||
			!get_string(root, "scope", false, TOKEN_MAX, true, &t->scope, why, wl))
		goto invalid;
	if (sec) {
		/* Legacy answer: expires_in is in milliseconds, expires_in_sec
		 * in seconds. Zoho's own SDKs trust expires_in_sec. */
		if (!get_seconds(sec, "expires_in_sec", EXPIRES_MAX, &expires, why, wl))
			goto invalid;
	} else if (in) {
		if (!get_seconds(in, "expires_in", EXPIRES_MAX, &expires, why, wl))
			goto invalid;
	} else {
		snprintf(why, wl, "it has no expires_in");
		goto invalid;
	}
	if (!t->token_type && !(t->token_type = xstrdup("Bearer")))
		goto invalid;
	t->obtained_at = now;
	t->expires_at = now + expires;
	ans->kind = ANSWER_TOKENS;
	json_decref(root);
	return;
invalid:
	tokens_finish(t);
	ans->kind = ANSWER_INVALID;
	json_decref(root);
}

/* A whole number of Unix seconds up to the year 5138. Any clock may have
 * written it, one stuck in 1970 included: what the times mean is judged
 * by tokens_time_left(), not here. */
static bool get_time(const json_t *obj, const char *name, bool required, int64_t *out, char *why,
		size_t why_len)
{
	const json_t *item = json_object_get(obj, name);
	*out = 0;
	if (!item && !required)
		return true;
	if (!json_is_number(item)) {
		snprintf(why, why_len, "%s %s", name, item ? "is not a number" : "is missing");
		return false;
	}
	double v = json_number_value(item);
	if (!whole_number(v, 0, 1e11)) {
		snprintf(why, why_len, "%s is not a plausible time", name);
		return false;
	}
	*out = (int64_t)v;
	return true;
}

/* A count from 1 to max, when present (0 when absent). */
static bool get_count(const json_t *obj, const char *name, int max, int *out, char *why,
		size_t why_len)
{
	const json_t *item = json_object_get(obj, name);
	*out = 0;
	if (!item)
		return true;
	if (!json_is_integer(item) || json_integer_value(item) < 1 ||
			json_integer_value(item) > max) {
		snprintf(why, why_len, "%s is not a whole number from 1 to %d", name, max);
		return false;
	}
	*out = (int)json_integer_value(item);
	return true;
}

static bool bad(char *why, size_t why_len, const char *what)
{
	snprintf(why, why_len, "%s", what);
	return false;
}

/* Which record the JSON in root is: a store other than the file names
 * itself; everything else is a token file. */
static enum token_record record_kind(const json_t *root)
{
	const char *store = zjson_string(root, "store");
	return store && strcmp(store, "file") != 0 ? RECORD_META : RECORD_FILE;
}

/* A store's name in a metadata record: "keyring", or a PostgreSQL
 * connection string (which never holds a password: it was refused). */
static bool store_name_ok(const char *s)
{
	return strcmp(s, "keyring") == 0 || strncmp(s, "postgresql://", 13) == 0 ||
		strncmp(s, "postgres://", 11) == 0 || strncmp(s, "service=", 8) == 0;
}

static bool client_fields(const json_t *root, struct tokens *out, char *why, size_t why_len)
{
	if (!get_string(root, "client_id", true, 256, false, &out->client_id, why, why_len) ||
			!get_string(root, "accounts_server", true, FIELD_MAX, false, &out->accounts_server, why,
				why_len) ||
			!get_string(root, "location", false, 16, false, &out->location, why, why_len) ||
			!get_string(root, "redirect_uri", false, FIELD_MAX, false, &out->redirect_uri, why,
				why_len) ||
			!get_string(root, "soid", false, SOID_MAX, false, &out->soid, why, why_len))
		return false;
	const json_t *grant = json_object_get(root, "grant");
	if (grant && !(json_is_string(grant) &&
			strcmp(json_string_value(grant), "client_credentials") == 0))
		return bad(why, why_len, "grant is not \"client_credentials\"");
	out->client_credentials = grant != NULL;
	if (out->soid && !zoho_soid_ok(out->soid))
		return bad(why, why_len, "soid is not SERVICE.ORG_ID");
	if (out->soid && !out->client_credentials)
		return bad(why, why_len, "soid belongs to client credentials only");
	struct redirect r;
	char scratch_why[256];
	if (out->redirect_uri && !redirect_parse(out->redirect_uri, &r, scratch_why, sizeof(scratch_why)))
		return bad(why, why_len, "redirect_uri is not a loopback http URI");
	if (!zoho_client_id_ok(out->client_id))
		return bad(why, why_len, "client_id is malformed");
	char *origin = NULL;
	char scratch[256];
	bool ok = zoho_accounts_url_check(out->accounts_server, &origin, scratch, sizeof(scratch));
	free(origin);
	if (!ok)
		return bad(why, why_len, "accounts_server is not an https URL");
	return true;
}

bool tokens_from_json_as(enum token_record kind, const char *text, size_t len, struct tokens *out,
		char *why, size_t why_len)
{
	memset(out, 0, sizeof(*out));
	json_t *root = zjson_parse_object(text, len, why, why_len);
	if (!root)
		return false;
	if (kind != RECORD_CACHE)
		kind = record_kind(root);
	out->record = kind;

	bool ok = get_string(root, "token_type", false, 32, false, &out->token_type, why, why_len) &&
		get_string(root, "api_domain", false, FIELD_MAX, false, &out->api_domain, why, why_len) &&
		get_string(root, "scope", false, TOKEN_MAX, true, &out->scope, why, why_len) &&
		get_time(root, "throttled_until", false, &out->throttled_until, why, why_len);
	switch (kind) {
	case RECORD_FILE:
		/* A record may have no access token (the cache has it): then
		 * no times either. */
		ok = ok && get_string(root, "access_token", false, TOKEN_MAX, false, &out->access_token,
				why, why_len) &&
			get_string(root, "refresh_token", false, TOKEN_MAX, false, &out->refresh_token, why,
				why_len) &&
			get_string(root, "client_secret", true, 512, false, &out->client_secret, why,
				why_len) &&
			client_fields(root, out, why, why_len) &&
			get_time(root, "expires_at", out->access_token, &out->expires_at, why, why_len) &&
			get_time(root, "obtained_at", out->access_token, &out->obtained_at, why, why_len) &&
			get_count(root, "live_tokens", ZOHO_LIVE_TOKENS_MOST, &out->live_tokens, why,
				why_len) &&
			get_time(root, "reserved_until", false, &out->reserved_until, why, why_len) &&
			get_string(root, "reserved_by", out->reserved_until != 0, 160, true,
				&out->reserved_by, why, why_len);
		break;
	case RECORD_META: {
		/* Where the tokens are, and nothing secret. */
		const json_t *refresh = json_object_get(root, "refresh_token");
		ok = ok && get_string(root, "store", true, 1024, false, &out->store, why, why_len) &&
			get_string(root, "access_cache", true, 4096, false, &out->access_cache, why,
				why_len) &&
			get_string(root, "refresh_fingerprint", false, 64, false, &out->refresh_fingerprint,
				why, why_len) &&
			client_fields(root, out, why, why_len);
		if (ok && out->refresh_fingerprint && (strlen(out->refresh_fingerprint) != 32 ||
				strspn(out->refresh_fingerprint, "0123456789abcdef") != 32))
			ok = bad(why, why_len, "refresh_fingerprint is not 32 hex digits");
		if (ok && !store_name_ok(out->store))
			ok = bad(why, why_len, "store names no store this tool knows");
		else if (ok && out->access_cache[0] != '/')
			ok = bad(why, why_len, "access_cache is not an absolute path");
		else if (ok && (json_object_get(root, "access_token") ||
				json_object_get(root, "client_secret") ||
				(refresh && !json_is_boolean(refresh))))
			ok = bad(why, why_len, "it names another store but holds secrets");
		out->refresh_elsewhere = ok && json_is_true(refresh);
		break;
	}
	case RECORD_CACHE:
		ok = ok && get_string(root, "access_token", true, TOKEN_MAX, false, &out->access_token, why,
				why_len) &&
			get_string(root, "for", true, 4096, false, &out->cache_for, why, why_len) &&
			get_time(root, "expires_at", true, &out->expires_at, why, why_len) &&
			get_time(root, "obtained_at", true, &out->obtained_at, why, why_len) &&
			get_time(root, "ahead_failed_at", false, &out->ahead_failed_at, why, why_len) &&
			get_time(root, "record_at", false, &out->record_at, why, why_len) &&
			get_time(root, "budget_until", false, &out->budget_until, why, why_len) &&
			get_time(root, "check_by", false, &out->check_by, why, why_len);
		ok = ok && get_count(root, "spread", 1000, &out->spread, why, why_len);
		const json_t *offset = json_object_get(root, "clock_offset");
		if (ok && offset && (!json_is_integer(offset) ||
				llabs(json_integer_value(offset)) > CLOCK_OFFSET_MAX))
			ok = bad(why, why_len, "clock_offset is not a whole number of seconds within "
				"ten years");
		out->has_clock_offset = ok && offset;
		out->clock_offset = out->has_clock_offset ? json_integer_value(offset) : 0;
		if (ok && out->ahead_failed_at) {
			const json_t *status = json_object_get(root, "ahead_status");
			ok = get_string(root, "ahead_error", true, AHEAD_ERROR_MAX, true, &out->ahead_error,
					why, why_len) &&
				get_time(root, "ahead_retry_at", true, &out->ahead_retry_at, why, why_len);
			if (ok && (!json_is_integer(status) || json_integer_value(status) < 1 ||
					json_integer_value(status) > 255))
				ok = bad(why, why_len, "ahead_status is not an exit status");
			else if (ok)
				out->ahead_status = (int)json_integer_value(status);
		}
		break;
	}
	if (ok && kind != RECORD_CACHE && out->api_domain &&
			!zoho_api_domain_ok(out->api_domain, out->accounts_server))
		ok = bad(why, why_len, "api_domain is not a Zoho API host");
	json_decref(root);
	if (!ok)
		tokens_finish(out);
	return ok;
}

bool tokens_from_json(const char *text, size_t len, struct tokens *out, char *why, size_t why_len)
{
	return tokens_from_json_as(RECORD_FILE, text, len, out, why, why_len);
}

bool tokens_same_text(const char *a, const char *b)
{
	return (!a && !b) || (a && b && strcmp(a, b) == 0);
}

static bool copy_string(char **dst, const char *src)
{
	*dst = src ? xstrdup(src) : NULL;
	return !src || *dst;
}

bool tokens_copy(struct tokens *dst, const struct tokens *src)
{
	*dst = *src;
	bool ok = copy_string(&dst->access_token, src->access_token) &&
		copy_string(&dst->refresh_token, src->refresh_token) &&
		copy_string(&dst->token_type, src->token_type) &&
		copy_string(&dst->api_domain, src->api_domain) &&
		copy_string(&dst->scope, src->scope) &&
		copy_string(&dst->client_id, src->client_id) &&
		copy_string(&dst->client_secret, src->client_secret) &&
		copy_string(&dst->accounts_server, src->accounts_server) &&
		copy_string(&dst->location, src->location) &&
		copy_string(&dst->redirect_uri, src->redirect_uri) &&
		copy_string(&dst->store, src->store) &&
		copy_string(&dst->access_cache, src->access_cache) &&
		copy_string(&dst->cache_for, src->cache_for) &&
		copy_string(&dst->refresh_fingerprint, src->refresh_fingerprint) &&
		copy_string(&dst->ahead_error, src->ahead_error) &&
		copy_string(&dst->reserved_by, src->reserved_by) &&
		copy_string(&dst->soid, src->soid);
	if (!ok) {
		/* The pointers not yet copied are src's: clear them before
		 * finishing what was. */
		char **fields[] = { &dst->access_token, &dst->refresh_token, &dst->token_type,
			&dst->api_domain, &dst->scope, &dst->client_id, &dst->client_secret,
			&dst->accounts_server, &dst->location, &dst->redirect_uri, &dst->store,
			&dst->access_cache, &dst->cache_for, &dst->refresh_fingerprint, &dst->ahead_error,
			&dst->reserved_by, &dst->soid };
		const char *theirs[] = { src->access_token, src->refresh_token, src->token_type,
			src->api_domain, src->scope, src->client_id, src->client_secret,
			src->accounts_server, src->location, src->redirect_uri, src->store,
			src->access_cache, src->cache_for, src->refresh_fingerprint, src->ahead_error,
			src->reserved_by, src->soid };
		for (size_t i = 0; i < sizeof(fields) / sizeof(fields[0]); i++)
			if (*fields[i] == theirs[i])
				*fields[i] = NULL;
		tokens_finish(dst);
	}
	return ok;
}

bool tokens_offline(const struct tokens *t)
{
	return t->refresh_token || t->refresh_elsewhere || t->client_credentials;
}

void tokens_take_cache(struct tokens *meta, struct tokens *cache)
{
	secret_free(meta->access_token);
	meta->access_token = cache->access_token;
	cache->access_token = NULL;
	meta->expires_at = cache->expires_at;
	meta->obtained_at = cache->obtained_at;
	meta->throttled_until = cache->throttled_until;
	meta->budget_until = cache->budget_until;
	meta->check_by = cache->check_by;
	meta->spread = cache->spread;
	meta->clock_offset = cache->clock_offset;
	meta->has_clock_offset = cache->has_clock_offset;
	meta->ahead_failed_at = cache->ahead_failed_at;
	meta->ahead_status = cache->ahead_status;
	meta->ahead_retry_at = cache->ahead_retry_at;
	free(meta->ahead_error);
	meta->ahead_error = cache->ahead_error;
	cache->ahead_error = NULL;
	tokens_finish(cache);
}

int64_t tokens_time_left(const struct tokens *t, int64_t now)
{
	if (t->obtained_at > now + TOKENS_CLOCK_SKEW || t->expires_at < t->obtained_at)
		return 0;
	return t->expires_at > now ? t->expires_at - now : 0;
}

void tokens_check_api_domain(struct tokens *t, const char *accounts_server)
{
	if (!t->api_domain || zoho_api_domain_ok(t->api_domain, accounts_server))
		return;
	char shown[128];
	printable_copy(shown, sizeof(shown), t->api_domain);
	log_warn("zoho named '%s' as the API domain, which is not a Zoho API host: not kept "
		"(the tokens are)", shown);
	secret_free(t->api_domain);
	t->api_domain = NULL;
}

#define TOKEN_FILE_MAX (32 * 1024)

enum token_file_result tokens_read_file_as(enum token_record kind, const char *path, bool quiet,
		struct tokens *out, unsigned *mode, unsigned *owner, char *why, size_t why_len)
{
	struct buf text = { 0 };
	struct stat st;
	struct report held;
	enum read_result r;

	memset(out, 0, sizeof(*out));
	if (quiet)
		report_open(&held);
	/* A directory others can change could hold anyone's file: looked at
	 * once there is a file (a missing cache, the common case, costs one
	 * open). */
	r = secure_read(path, NULL, TOKEN_FILE_MAX, false, &text, &st);
	if (r == READ_OK && !secure_dir_ok(path)) {
		buf_finish(&text);
		r = READ_FAILED;
	}
	if (quiet)
		report_drop(&held);
	if (r == READ_MISSING)
		return TOKEN_FILE_MISSING;
	if (r == READ_FAILED)
		return TOKEN_FILE_UNREADABLE;

	enum token_file_result result = TOKEN_FILE_OK;
	*mode = st.st_mode & 07777;
	*owner = (unsigned)st.st_uid;
	if (st.st_mode & 077)
		result = TOKEN_FILE_EXPOSED;
	else if (st.st_uid != geteuid())
		result = TOKEN_FILE_FOREIGN;
	else if (!tokens_from_json_as(kind, text.data, text.len, out, why, why_len))
		result = TOKEN_FILE_CORRUPT;
	buf_finish(&text);
	return result;
}

enum token_file_result tokens_read_file(const char *path, bool quiet, struct tokens *out,
		unsigned *mode, unsigned *owner, char *why, size_t why_len)
{
	return tokens_read_file_as(RECORD_FILE, path, quiet, out, mode, owner, why, why_len);
}

/* null for NULL, as the token file has always had it. */
static bool add_string(json_t *obj, const char *name, const char *value)
{
	/* (json_object_set_new() takes the value, failure included.) */
	return json_object_set_new(obj, name, value ? json_string(value) : json_null()) == 0;
}

static bool add_time(json_t *obj, const char *name, int64_t value)
{
	return json_object_set_new(obj, name, json_integer((json_int_t)value)) == 0;
}

static bool fill(json_t *root, enum token_record kind, const struct tokens *t, const char *cache_for)
{
	switch (kind) {
	case RECORD_FILE:
		if (!(add_string(root, "access_token", t->access_token) &&
				add_string(root, "refresh_token", t->refresh_token)))
			return false;
		break;
	case RECORD_META:
		if (!(add_string(root, "store", t->store) &&
				json_object_set_new(root, "refresh_token",
					json_boolean(t->refresh_token || t->refresh_elsewhere)) == 0 &&
				(!t->refresh_fingerprint ||
					add_string(root, "refresh_fingerprint", t->refresh_fingerprint)) &&
				add_string(root, "access_cache", t->access_cache)))
			return false;
		break;
	case RECORD_CACHE:
		return add_string(root, "for", cache_for) &&
			add_string(root, "access_token", t->access_token) &&
			add_time(root, "expires_at", t->expires_at) &&
			add_time(root, "obtained_at", t->obtained_at) &&
			(!t->throttled_until || add_time(root, "throttled_until", t->throttled_until)) &&
			(!t->record_at || add_time(root, "record_at", t->record_at)) &&
			(!t->budget_until || add_time(root, "budget_until", t->budget_until)) &&
			(!t->check_by || add_time(root, "check_by", t->check_by)) &&
			(!t->spread || add_time(root, "spread", t->spread)) &&
			(!t->has_clock_offset || json_object_set_new(root, "clock_offset",
				json_integer(t->clock_offset)) == 0) &&
			(!t->ahead_failed_at || (add_time(root, "ahead_failed_at", t->ahead_failed_at) &&
				add_time(root, "ahead_status", t->ahead_status) &&
				add_string(root, "ahead_error", t->ahead_error ? t->ahead_error : "?") &&
				add_time(root, "ahead_retry_at", t->ahead_retry_at)));
	}
	return add_string(root, "token_type", t->token_type) &&
		add_string(root, "api_domain", t->api_domain) &&
		(kind != RECORD_FILE || add_time(root, "expires_at", t->expires_at)) &&
		add_string(root, "scope", t->scope) &&
		add_string(root, "client_id", t->client_id) &&
		(kind != RECORD_FILE || add_string(root, "client_secret", t->client_secret)) &&
		add_string(root, "accounts_server", t->accounts_server) &&
		add_string(root, "location", t->location) &&
		(!t->redirect_uri || add_string(root, "redirect_uri", t->redirect_uri)) &&
		(!t->client_credentials || add_string(root, "grant", "client_credentials")) &&
		(!t->soid || add_string(root, "soid", t->soid)) &&
		(kind != RECORD_FILE || add_time(root, "obtained_at", t->obtained_at)) &&
		(kind != RECORD_FILE || !t->throttled_until ||
			add_time(root, "throttled_until", t->throttled_until)) &&
		(kind != RECORD_FILE || !t->live_tokens ||
			add_time(root, "live_tokens", t->live_tokens)) &&
		(kind != RECORD_FILE || !t->reserved_until ||
			(add_time(root, "reserved_until", t->reserved_until) &&
				add_string(root, "reserved_by", t->reserved_by ? t->reserved_by : "?")));
}

char *tokens_to_json_as(enum token_record kind, const struct tokens *t, const char *cache_for)
{
	json_t *root = json_object();
	char *text = NULL;
	if (!root)
		return NULL;
	if (fill(root, kind, t, cache_for)) {
		/* Members in the order added. */
		char *printed = json_dumps(root, JSON_INDENT(2));
		if (printed) {
			/* Jansson allocated it with our malloc; hand back a copy
			 * with a final newline, and wipe theirs. */
			size_t len = strlen(printed);
			text = malloc(len + 2);
			if (text) {
				memcpy(text, printed, len);
				text[len] = '\n';
				text[len + 1] = '\0';
			}
			wiping_free(printed);
		}
	}
	json_decref(root);
	if (!text) {
		log_error("out of memory");
		return NULL;
	}
	/* Never write what we would refuse to read back. */
	struct tokens back;
	char why[TOKENS_WHY_MAX];
	if (!tokens_from_json_as(kind, text, strlen(text), &back, why, sizeof(why)) ||
			back.record != kind) {
		log_error("refusing to write a token file this tool could not read back: %s",
			back.record != kind ? "it reads as another kind of file" : why);
		tokens_finish(&back);
		secret_free(text);
		return NULL;
	}
	tokens_finish(&back);
	return text;
}

char *tokens_to_json(const struct tokens *t)
{
	return tokens_to_json_as(RECORD_FILE, t, NULL);
}
