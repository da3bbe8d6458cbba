#ifndef ZOHO_OAUTH_TOKEN_ENDPOINT_H
#define ZOHO_OAUTH_TOKEN_ENDPOINT_H

#include <stddef.h>

#include "core/util.h"
#include "zoho/http.h"
#include "zoho/tokens.h"
#include "zoho/zoho.h"

/*
 * POST form to {accounts}/oauth/v2/token and interpret the answer the way
 * Zoho gives it: failures mostly come as HTTP 200 with {"error": ...}, so an
 * answer counts only when it carries an access token.
 *
 * On ZO_OK, out holds access_token, refresh_token (when Zoho sent one),
 * token_type, api_domain, scope, expires_at and obtained_at. Otherwise
 * the error has been reported on stderr and summary holds one line for the
 * browser page. Returns ZO_OK, ZO_REJECTED (Zoho said no; the throttle
 * too), ZO_RELOGIN (a refresh token Zoho no longer honours), ZO_NETWORK
 * (unreachable, TLS, 5xx, HTML or malformed answers) or
 * ZO_INTERRUPTED + signal. When Zoho answered with an error, *rejected (if
 * not NULL) says which; it is left alone otherwise.
 */
/*
 * POST form to url and check the answer at the HTTP level: a 5xx, an empty
 * body or one that is not JSON (a proxy's HTML page) is reported and
 * gives ZO_NETWORK. On ZO_OK the caller owns *a (http_answer_finish) and
 * interprets the JSON.
 */
int exchange_post(const char *url, const struct buf *form, const struct net_options *net,
		struct http_answer *a, char *summary, size_t summary_len);

int exchange_tokens(const char *accounts, const struct buf *form, enum zoho_grant grant,
		const struct net_options *net, struct tokens *out, char *summary, size_t summary_len,
		enum zoho_error *rejected);

#endif
