#ifndef ZOHO_OAUTH_HTTP_H
#define ZOHO_OAUTH_HTTP_H

#include <stdbool.h>

#include "core/util.h"

/* How we talk to Zoho. */
struct net_options {
	const char *cacert;      /* extra CA bundle, or NULL for the system's */
	long connect_timeout;    /* seconds */
	long max_time;           /* seconds, whole request */
};

#define HTTP_MAX_ANSWER (64 * 1024) /* bytes; Zoho's answers are < 2 KiB */

struct http_answer {
	long status;
	struct buf body;          /* may hold tokens: http_answer_finish wipes */
	char content_type[64];
};

/*
 * POST an application/x-www-form-urlencoded body to url (never anything in
 * its query: secrets stay out of URLs). Redirects are not followed. Only
 * the url's own scheme is allowed. Returns ZO_OK with the answer (any
 * status), ZO_NETWORK with the error reported, or ZO_INTERRUPTED + signal.
 */
int http_post_form(const char *url, const struct buf *form, const struct net_options *net,
		struct http_answer *out);

/* GET url with one more header line (may be NULL), as http_post_form()
 * otherwise: the same limits, no redirects, the same returns. */
int http_get(const char *url, const char *header, const struct net_options *net,
		struct http_answer *out);

void http_answer_finish(struct http_answer *a);

/* Set libcurl up now rather than on the first request (a login does it
 * before the browser opens, so the exchange starts at once). Reports and
 * returns false when it can't. */
bool http_prepare(void);

/* Release libcurl's global state (at exit). */
void http_cleanup(void);

#endif
