/* The config file: every section's values and problems, kept apart. */
#include "fuzz.h"
#include "settings/config-file.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct config_profile c;
	config_parse((const char *)data, size, "fuzz", "default", &c);
	config_finish(&c);
	return 0;
}
