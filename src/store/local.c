#include <string.h>

#include "store/local.h"

enum token_file_result local_read(const char *token_path, struct tokens *out, unsigned *mode,
		unsigned *owner, char *why, size_t why_len)
{
	enum token_file_result r = tokens_read_file(token_path, false, out, mode, owner, why, why_len);
	if (r != TOKEN_FILE_OK || out->record != RECORD_META)
		return r;
	struct tokens cache;
	unsigned cmode, cowner;
	char cwhy[TOKENS_WHY_MAX];
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

