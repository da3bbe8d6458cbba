#include <errno.h>
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <nettle/sha2.h>

#include "core/log.h"
#include "core/module.h"
#include "core/secure-file.h"
#include "core/util.h"
#include "store/local.h"
#include "store/remote.h"

bool remote_write(const struct profile *p, const char *store, const struct tokens *t,
		const char *meta_path)
{
	char cache_path[PATH_MAX];
	if (!profile_cache_path(p, cache_path, sizeof(cache_path))) {
		log_error("%s: path too long", p->token_path);
		return false;
	}
	struct tokens meta = *t; /* shallow: only the store's fields differ */
	meta.record = RECORD_META;
	meta.store = (char *)store;
	meta.access_cache = cache_path;
	meta.refresh_elsewhere = t->refresh_token || t->refresh_elsewhere;
	meta.refresh_token = NULL;
	meta.client_secret = NULL;
	char fingerprint[FINGERPRINT_HEX + 1];
	if (t->refresh_token) {
		remote_fingerprint(t->refresh_token, fingerprint);
		meta.refresh_fingerprint = fingerprint;
	}
	if (!secure_dirs_for(meta_path))
		return false;
	if (meta.access_token && !local_write_cache(p, cache_path, &meta))
		return false;
	char *json = tokens_to_json_as(RECORD_META, &meta, NULL);
	if (!json)
		return false;
	/* A refresh changes the cache only: the metadata is written when it
	 * says something new (a sign-in, a migration). */
	struct buf was = { 0 };
	struct report quiet;
	report_open(&quiet);
	bool same = secure_read(meta_path, NULL, strlen(json) + 1, false, &was, NULL) == READ_OK &&
		was.len == strlen(json) && memcmp(was.data, json, was.len) == 0;
	report_drop(&quiet);
	buf_finish(&was);
	bool ok = same || secure_write(meta_path, json, strlen(json));
	secret_free(json);
	return ok;
}

void remote_forget(const struct profile *p, const char *store)
{
	struct tokens t;
	unsigned mode, owner;
	char why[TOKENS_WHY_MAX], cache_path[PATH_MAX];
	bool cache_taken = false;
	if (!profile_cache_path(p, cache_path, sizeof(cache_path)))
		return;
	if (tokens_read_file(p->token_path, true, &t, &mode, &owner, why, sizeof(why)) ==
			TOKEN_FILE_OK) {
		bool ours = t.record == RECORD_META && strcmp(t.store, store) == 0;
		/* Another store's metadata (a migration): the cache it names is
		 * its own now. */
		cache_taken = !ours && t.record == RECORD_META && strcmp(t.access_cache, cache_path) == 0;
		tokens_finish(&t);
		if (ours && unlink(p->token_path) != 0 && errno != ENOENT)
			log_warn("cannot remove %s: %s", p->token_path, strerror(errno));
	}
	if (!cache_taken && unlink(cache_path) != 0 && errno != ENOENT)
		log_warn("cannot remove %s: %s", cache_path, strerror(errno));
}

const void *remote_module(const void **slot, bool built, const char *file, const char *symbol,
		unsigned version, const char *what, const char *build_hint)
{
	if (!built) {
		log_error("this zoho-oauth was built without %s support (%s)", what, build_hint);
		return NULL;
	}
	if (!*slot)
		*slot = module_api(file, symbol, version, what);
	return *slot;
}

void remote_fingerprint(const char *refresh_token, char out[FINGERPRINT_HEX + 1])
{
	static const char hex[] = "0123456789abcdef";
	struct sha256_ctx ctx;
	uint8_t digest[SHA256_DIGEST_SIZE];
	sha256_init(&ctx);
	sha256_update(&ctx, strlen(refresh_token), (const uint8_t *)refresh_token);
	sha256_digest(&ctx, sizeof(digest), digest);
	for (int i = 0; i < FINGERPRINT_HEX / 2; i++) {
		out[2 * i] = hex[digest[i] >> 4];
		out[2 * i + 1] = hex[digest[i] & 15];
	}
	out[FINGERPRINT_HEX] = '\0';
	explicit_bzero(digest, sizeof(digest));
	explicit_bzero(&ctx, sizeof(ctx));
}
