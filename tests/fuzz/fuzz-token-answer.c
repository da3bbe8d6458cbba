/* What the token endpoint answers. */
#include "fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct token_answer a;
	tokens_parse_answer((const char *)data, size, 1700000000, &a);
	if (a.kind == ANSWER_TOKENS) {
		if (!a.tokens.access_token || a.tokens.expires_at <= 1700000000)
			abort();
		a.tokens.client_id = strdup("1000.FUZZ");
		a.tokens.client_secret = strdup("secret");
		a.tokens.accounts_server = strdup("https://accounts.zoho.com");
		char *json = tokens_to_json(&a.tokens);
		free(json);
	} else if (a.tokens.access_token) {
		abort(); /* a refused answer must leave nothing behind */
	}
	tokens_finish(&a.tokens);
	return 0;
}
