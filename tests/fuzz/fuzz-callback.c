/* The callback's query, as the listener and a pasted address see it. */
#include "fuzz.h"
#include "signin/callback.h"
#include "zoho/redirect.h"

#define STATE "0123456789abcdefghijklmnopqrstuvwxyzABCDEFG"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct callback cb;
	char why[256];
	enum callback_verdict v = callback_parse((const char *)data, size, STATE, &cb, why, sizeof(why));
	if (v == CALLBACK_CODE && !cb.code)
		abort();
	if (v == CALLBACK_ERROR && !cb.error)
		abort();
	callback_finish(&cb);

	/* The same bytes as a pasted address. */
	struct redirect r;
	const char *query;
	char *text = fuzz_string(data, size);
	if (!redirect_parse("http://localhost:8976/callback", &r, why, sizeof(why)))
		abort();
	if (redirect_match_pasted(&r, text, &query, why, sizeof(why))) {
		v = callback_parse(query, strlen(query), STATE, &cb, why, sizeof(why));
		callback_finish(&cb);
	}
	/* And as a redirect URI given by the user. */
	redirect_parse(text, &r, why, sizeof(why));
	free(text);
	return 0;
}
