#include <limits.h>
#include <string.h>
#include <unistd.h>

#include "core/log.h"
#include "core/secure-file.h"
#include "core/util.h"
#include "store/local.h"

/* The cache at path, when it is this profile's and safe to use. */
static bool read_cache(const char *path, const char *token_path, struct tokens *cache)
{
	unsigned mode, owner;
	char why[TOKENS_WHY_MAX];
	/* A cache that is missing, torn, unsafe or someone else's is no
	 * cache: it costs a refresh, nothing more. */
	if (tokens_read_file_as(RECORD_CACHE, path, true, cache, &mode, &owner, why, sizeof(why)) !=
			TOKEN_FILE_OK)
		return false;
	if (strcmp(cache->cache_for, token_path) == 0)
		return true;
	tokens_finish(cache);
	return false;
}

/* A token file's cache. Written over this very record (it names the
 * record's obtained_at), it is the newer: a refresh writes only the
 * cache. Else the record was written since (a sign-in removes the cache,
 * but an older release rewrites the whole file): the newer access token
 * of the two is the one, and what a refresh ahead left is the record's no
 * more. */
static void merge_cache(struct tokens *record, struct tokens *cache)
{
	int64_t now = wall_seconds();
	bool over = cache->record_at == record->record_at;
	/* (A record whose times can't be believed, written while the clock
	 * was ahead, loses to a cache that can be.) */
	bool newer = over || !record->access_token || cache->obtained_at > record->obtained_at ||
		(tokens_time_left(record, now) == 0 && tokens_time_left(cache, now) > 0);
	if (newer) {
		secret_free(record->access_token);
		record->access_token = cache->access_token;
		cache->access_token = NULL;
		record->expires_at = cache->expires_at;
		record->obtained_at = cache->obtained_at;
	}
	if (cache->throttled_until > record->throttled_until)
		record->throttled_until = cache->throttled_until;
	if (cache->ahead_failed_at && over) {
		record->ahead_failed_at = cache->ahead_failed_at;
		record->ahead_status = cache->ahead_status;
		record->ahead_retry_at = cache->ahead_retry_at;
		record->ahead_error = cache->ahead_error;
		cache->ahead_error = NULL;
	}
	tokens_finish(cache);
}

enum token_file_result local_read(const struct profile *p, struct tokens *out, unsigned *mode,
		unsigned *owner, char *why, size_t why_len)
{
	enum token_file_result r = tokens_read_file(p->token_path, false, out, mode, owner, why,
		why_len);
	if (r != TOKEN_FILE_OK)
		return r;
	struct tokens cache;
	if (out->record == RECORD_META) {
		if (read_cache(out->access_cache, p->token_path, &cache))
			tokens_take_cache(out, &cache);
	} else {
		char path[PATH_MAX];
		out->record_at = out->obtained_at;
		if (profile_cache_path(p, path, sizeof(path)) &&
				read_cache(path, p->token_path, &cache))
			merge_cache(out, &cache);
	}
	return r;
}

bool local_write_cache(const struct profile *p, const char *path, const struct tokens *t)
{
	char own[PATH_MAX];
	if (!path) {
		if (!profile_cache_path(p, own, sizeof(own))) {
			log_error("%s: path too long", p->token_path);
			return false;
		}
		path = own;
	}
	if (!secure_dirs_for(path))
		return false;
	char *json = tokens_to_json_as(RECORD_CACHE, t, p->token_path);
	bool ok = json && cache_write(path, json, strlen(json));
	secret_free(json);
	return ok;
}

void local_forget_cache(const struct profile *p)
{
	char path[PATH_MAX];
	if (profile_cache_path(p, path, sizeof(path)))
		unlink(path);
}
