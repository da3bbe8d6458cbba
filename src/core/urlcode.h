#ifndef ZOHO_OAUTH_URLCODE_H
#define ZOHO_OAUTH_URLCODE_H

#include <stdbool.h>
#include <stddef.h>

#include "core/util.h"

/* Append s percent-encoded: everything but RFC 3986's unreserved
 * characters is escaped, so the result is safe in a query and in a form. */
bool url_encode_append(struct buf *b, const char *s);

/* The value of one hex digit (either case), or -1. */
int url_hex_value(char c);

/* Append "key=value" (both encoded) to an application/x-www-form-urlencoded
 * body or a query, with a '&' before it when b is not empty. */
bool form_add(struct buf *b, const char *key, const char *value);

/*
 * One parameter the caller wants from a query. query_parse() fills value
 * (decoded, NUL-terminated, caller frees with secret_free) when the key
 * is present. Unknown keys are skipped.
 */
struct query_field {
	const char *key;
	size_t max_len; /* decoded length limit */
	char *value;
};

/*
 * Parse a query string strictly: '&'-separated key=value pairs, %XX
 * escapes with two hex digits, '+' as a space. Refuses a bad escape, an
 * encoded or raw control character (NUL included), a known key given
 * twice, a value over its limit, more than 64 pairs or a query over 8 KiB.
 * On failure every value is freed and why says what was wrong.
 */
bool query_parse(const char *query, size_t len, struct query_field *fields, size_t nfields,
		char *why, size_t why_len);
void query_fields_finish(struct query_field *fields, size_t nfields);

/*
 * An origin: scheme "http" or "https", a host and an optional port.
 * Hosts are DNS names ([A-Za-z0-9.-]) or an IPv6 literal in brackets.
 */
struct origin {
	char scheme[6];
	char host[256];  /* as written, brackets included for IPv6 */
	long port;       /* -1 when the URL has none */
	bool loopback;   /* localhost, 127.0.0.1 or [::1] */
};

/* Parse "scheme://host[:port]" at the start of url; *rest points after it. */
bool origin_parse(const char *url, struct origin *o, const char **rest);

#endif
