#include <stdio.h>
#include <string.h>

#include "core/urlcode.h"
#include "core/util.h"
#include "zoho/redirect.h"

#define PATH_CHARS "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-._~/"

bool redirect_parse(const char *uri, struct redirect *r, char *why, size_t why_len)
{
	struct origin o;
	const char *rest;

	memset(r, 0, sizeof(*r));
	r->uri = uri;
	if (!origin_parse(uri, &o, &rest)) {
		snprintf(why, why_len, "'%s' is not an http URL of the form http://localhost:PORT/PATH", uri);
		return false;
	}
	if (strcmp(o.scheme, "http") != 0) {
		snprintf(why, why_len, "'%s' uses %s: the redirect reaches this tool on your own machine, "
			"over plain http (register http://localhost:PORT/PATH)", uri, o.scheme);
		return false;
	}
	if (!o.loopback) {
		snprintf(why, why_len, "'%s' is not on this machine: the host must be localhost, 127.0.0.1 "
			"or [::1] (register http://localhost:PORT/PATH)", uri);
		return false;
	}
	if (o.port < 0) {
		snprintf(why, why_len, "'%s' has no port: Zoho matches the URI exactly, so register one "
			"with a fixed port, e.g. http://localhost:8976/callback", uri);
		return false;
	}
	if (*rest == '\0') {
		rest = "/";
	} else if (*rest != '/' || strspn(rest, PATH_CHARS) != strlen(rest)) {
		snprintf(why, why_len, "'%s': the path may hold only letters, digits, '/', '-', '.', "
			"'_' and '~' (no query, fragment or escapes)", uri);
		return false;
	}
	if (strlen(rest) >= sizeof(r->path)) {
		snprintf(why, why_len, "'%s': the path is too long", uri);
		return false;
	}
	strcpy(r->path, rest);
	strcpy(r->host, o.host);
	r->port = o.port;
	/* Browsers resolve "localhost" to either address, so listen on both;
	 * the literal addresses need only their own. */
	r->listen_v4 = strcmp(o.host, "[::1]") != 0;
	r->listen_v6 = strcmp(o.host, "127.0.0.1") != 0;
	return true;
}

bool redirect_host_matches(const struct redirect *r, const char *host_header)
{
	char expected[sizeof(r->host) + 8];
	if (!host_header)
		return false;
	snprintf(expected, sizeof(expected), "%s:%ld", r->host, r->port);
	return ascii_casecmp_eq(host_header, expected);
}

bool redirect_match_pasted(const struct redirect *r, const char *url, const char **query,
		char *why, size_t why_len)
{
	struct origin o;
	const char *rest;

	if (!origin_parse(url, &o, &rest) || strcmp(o.scheme, "http") != 0 ||
			!ascii_casecmp_eq(o.host, r->host) || o.port != r->port) {
		snprintf(why, why_len, "it does not start with %s", r->uri);
		return false;
	}
	size_t plen = strcspn(rest, "?#");
	const char *path = plen ? rest : "/";
	size_t want = strlen(r->path);
	if ((plen ? plen : 1) != want || memcmp(path, r->path, want) != 0) {
		snprintf(why, why_len, "its path is not %s", r->path);
		return false;
	}
	rest += plen;
	if (*rest != '?') {
		snprintf(why, why_len, "it has no query (the part after '?' holds what Zoho sent)");
		return false;
	}
	if (strchr(rest, '#')) {
		snprintf(why, why_len, "it has a '#' part, which Zoho's redirect never has");
		return false;
	}
	*query = rest + 1;
	return true;
}
