#ifndef ZOHO_OAUTH_DEVICE_H
#define ZOHO_OAUTH_DEVICE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "zoho/tokens.h"

/* Zoho's answer to POST /oauth/v3/device/code, checked. */
struct device_start {
	char *user_code;         /* shown to the user */
	char *device_code;       /* polled with; secret */
	char *verification_url;
	char *verification_uri_complete; /* NULL unless given */
	long interval_ms;        /* at least 1000 */
	long expires_ms;         /* how long the codes live */
};

/*
 * Parse the device-code answer. Zoho documents interval and expires_in in
 * milliseconds; seconds are accepted too, told apart by size (an interval
 * of 100 or more is milliseconds; so is an expiry over 1800). Returns
 * ANSWER_TOKENS for a usable answer (the name is shared with the token
 * parser), ANSWER_ERROR with error/error_text, or ANSWER_INVALID with why.
 */
struct device_start_answer {
	enum answer_kind kind;
	struct device_start start;
	enum zoho_error error;
	char error_text[160];
	char why[TOKENS_WHY_MAX];
};
void device_parse_start(const char *body, size_t len, struct device_start_answer *out);
void device_start_finish(struct device_start *d);

enum device_poll_kind {
	POLL_TOKENS,
	POLL_PENDING,      /* authorization_pending */
	POLL_SLOW_DOWN,
	POLL_OTHER_DC,     /* location holds the user's data centre */
	POLL_DENIED,       /* access_denied */
	POLL_EXPIRED,
	POLL_ERROR,        /* another of Zoho's errors: error, error_text */
	POLL_INVALID,      /* not an answer we understand: why */
};

struct device_poll {
	enum device_poll_kind kind;
	struct token_answer answer;  /* POLL_TOKENS: answer.tokens */
	char location[64];           /* POLL_OTHER_DC: user_location, printable */
	enum zoho_error error;
	char error_text[160];
	char why[TOKENS_WHY_MAX];
};

/* Parse a poll answer received at now (Unix seconds). The caller calls
 * tokens_finish(&out->answer.tokens). */
void device_parse_poll(const char *body, size_t len, int64_t now, struct device_poll *out);

#endif
