/* The token file: whatever parses must survive a write and a read back. */
#include "fuzz.h"

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
	if (strcmp(t.access_token, again.access_token) != 0 || t.expires_at != again.expires_at ||
			strcmp(t.client_secret, again.client_secret) != 0 ||
			(t.refresh_token == NULL) != (again.refresh_token == NULL))
		abort();
	free(json);
	tokens_finish(&t);
	tokens_finish(&again);
	return 0;
}
