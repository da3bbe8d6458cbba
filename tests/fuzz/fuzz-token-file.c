/* The token file: whatever parses must survive a write and a read back. */
#include "fuzz.h"

/* Equal strings, or both absent (a record may have no access token). */
static bool same(const char *a, const char *b)
{
	return (a == NULL || b == NULL) ? a == b : strcmp(a, b) == 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct tokens t, again;
	char why[160];
	if (!tokens_from_json((const char *)data, size, &t, why, sizeof(why)))
		return 0;
	char *json = tokens_to_json(&t);
	if (!json)
		abort();
	if (!tokens_from_json(json, strlen(json), &again, why, sizeof(why)))
		abort();
	if (!same(t.access_token, again.access_token) || t.expires_at != again.expires_at ||
			!same(t.client_secret, again.client_secret) ||
			!same(t.refresh_token, again.refresh_token))
		abort();
	free(json);
	tokens_finish(&t);
	tokens_finish(&again);
	return 0;
}
