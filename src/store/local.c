#include <errno.h>
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/log.h"
#include "core/secure-file.h"
#include "core/util.h"
#include "store/local.h"

/* $XDG_RUNTIME_DIR, when it is what the spec promises: an absolute
 * directory of ours with mode 0700. */
static const char *runtime_dir(void)
{
	const char *dir = getenv("XDG_RUNTIME_DIR");
	struct stat st;
	if (!dir || dir[0] != '/' || stat(dir, &st) != 0 || !S_ISDIR(st.st_mode) ||
			st.st_uid != geteuid() || (st.st_mode & 077))
		return NULL;
	return dir;
}

bool local_cache_path(const char *token_path, char *out, size_t out_len)
{
	const char *runtime = runtime_dir();
	int n;
	if (runtime) {
		/* One per token path: FNV-1a of it keeps two profiles (or two
		 * --token-file paths of the same name) apart. */
		uint64_t h = 14695981039346656037ULL;
		for (const unsigned char *p = (const unsigned char *)token_path; *p; p++)
			h = (h ^ *p) * 1099511628211ULL;
		const char *slash = strrchr(token_path, '/');
		const char *base = slash ? slash + 1 : token_path;
		n = snprintf(out, out_len, "%s/zoho-oauth/%.64s-%08llx.json", runtime, base,
			(unsigned long long)(h & 0xffffffffULL));
	} else {
		n = snprintf(out, out_len, "%s.cache", token_path);
	}
	return n > 0 && (size_t)n < out_len;
}

enum token_file_result local_read(const char *token_path, bool quiet, struct tokens *out,
		unsigned *mode, unsigned *owner, char *why, size_t why_len)
{
	enum token_file_result r = tokens_read_file(token_path, quiet, out, mode, owner, why, why_len);
	if (r != TOKEN_FILE_OK || out->record != RECORD_META)
		return r;
	struct tokens cache;
	unsigned cmode, cowner;
	char cwhy[160];
	/* A cache that is missing, unsafe or someone else's is no cache. */
	if (tokens_read_file_as(RECORD_CACHE, out->access_cache, true, &cache, &cmode, &cowner, cwhy,
			sizeof(cwhy)) == TOKEN_FILE_OK) {
		if (strcmp(cache.cache_for, token_path) == 0)
			tokens_take_cache(out, &cache);
		else
			tokens_finish(&cache);
	}
	return r;
}

bool local_write_cache(const char *token_path, const struct tokens *t)
{
	if (!t->access_cache || !t->access_token)
		return true;
	char *json = tokens_to_json_as(RECORD_CACHE, t, token_path);
	if (!json)
		return false;
	bool ok = secure_write(t->access_cache, json, strlen(json));
	secret_free(json);
	return ok;
}

bool local_write_meta(const char *path, const struct tokens *t)
{
	char *json = tokens_to_json_as(RECORD_META, t, NULL);
	if (!json)
		return false;
	bool ok = secure_write(path, json, strlen(json));
	secret_free(json);
	return ok;
}

void local_forget(const char *token_path, const char *cache_path, const char *store)
{
	struct tokens t;
	unsigned mode, owner;
	char why[160];
	if (cache_path && unlink(cache_path) != 0 && errno != ENOENT)
		log_warn("cannot remove %s: %s", cache_path, strerror(errno));
	if (tokens_read_file(token_path, true, &t, &mode, &owner, why, sizeof(why)) != TOKEN_FILE_OK)
		return;
	if (t.record == RECORD_META && strcmp(t.store, store) == 0 && unlink(token_path) != 0 &&
			errno != ENOENT)
		log_warn("cannot remove %s: %s", token_path, strerror(errno));
	tokens_finish(&t);
}
