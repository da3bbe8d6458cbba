#ifndef ZOHO_OAUTH_FUZZ_H
#define ZOHO_OAUTH_FUZZ_H

/*
 * libFuzzer targets for the parsers of untrusted input. Built with clang
 * when -Dfuzz=enabled; each runs over its seeds in tests/fuzz/corpus/NAME
 * under 'meson test', and for a bounded time in CI.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "core/log.h"
#include "zoho/tokens.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerInitialize(int *argc, char ***argv);

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	log_set_level(LOG_SILENT);
	tokens_init_json();
	return 0;
}

/* A NUL-terminated copy, for the parsers that also take C strings. */
static inline char *fuzz_string(const uint8_t *data, size_t size)
{
	char *s = malloc(size + 1);
	if (!s)
		abort();
	memcpy(s, data, size);
	s[size] = '\0';
	return s;
}

#endif
