#ifndef ZOHO_OAUTH_REDIRECT_H
#define ZOHO_OAUTH_REDIRECT_H

#include <stdbool.h>
#include <stddef.h>

/*
 * A loopback redirect URI, checked: http, one of localhost, 127.0.0.1 or
 * [::1], an explicit port, and a plain path. The URI itself is sent to Zoho
 * byte for byte, since Zoho compares it with the registered one exactly.
 */
struct redirect {
	const char *uri;       /* borrowed: as the user gave it */
	char host[16];         /* as written */
	long port;
	char path[256];        /* "/" when the URI has no path */
	bool listen_v4;        /* 127.0.0.1 */
	bool listen_v6;        /* ::1 */
};

bool redirect_parse(const char *uri, struct redirect *r, char *why, size_t why_len);

/* Whether a request's Host header names this redirect's host and port. */
bool redirect_host_matches(const struct redirect *r, const char *host_header);

/*
 * A pasted address: the redirect URI itself (host and scheme in any case),
 * then '?' and the query, which *query points to. Blanks around it are
 * the caller's to trim. why says what does not fit.
 */
bool redirect_match_pasted(const struct redirect *r, const char *url, const char **query,
		char *why, size_t why_len);

#endif
