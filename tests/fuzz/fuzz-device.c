/* The device flow's answers: the codes, and each poll. */
#include "fuzz.h"
#include "signin/device.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct device_start_answer s;
	device_parse_start((const char *)data, size, &s);
	if (s.kind == ANSWER_TOKENS && (!s.start.device_code || s.start.interval_ms < 1000))
		abort();
	device_start_finish(&s.start);

	struct device_poll p;
	device_parse_poll((const char *)data, size, 1700000000, &p);
	if (p.kind == POLL_TOKENS && !p.answer.tokens.access_token)
		abort();
	tokens_finish(&p.answer.tokens);
	return 0;
}
