#ifndef ZOHO_OAUTH_TOKEN_ENDPOINT_H
#define ZOHO_OAUTH_TOKEN_ENDPOINT_H

#include <stdbool.h>
#include <stddef.h>

#include "core/util.h"
#include "zoho/http.h"
#include "zoho/tokens.h"
#include "zoho/zoho.h"

/*
 * Zoho's endpoints that take a form: the token endpoint (every grant),
 * the device flow's two, and revocation. Each request's form is built
 * here and only here, as a POST body (never a query string: secrets stay
 * out of URLs).
 */

/* Room for an endpoint's URL (an accounts server's origin and its path),
 * and for the one line an exchange's failure is summed up in (the
 * browser's page shows it). */
#define ZOHO_URL_MAX 600
#define ZOHO_SUMMARY_MAX 512

/* What goes to the token endpoint; the grant says which fields count. */
struct token_request {
	enum zoho_grant grant;
	const char *client_id;
	const char *client_secret;
	const char *code;            /* the code grants; the device code */
	const char *redirect_uri;    /* GRANT_AUTHORIZATION_CODE */
	const char *code_verifier;   /* GRANT_AUTHORIZATION_CODE with PKCE */
	const char *refresh_token;   /* GRANT_REFRESH */
	const char *scope;           /* GRANT_CLIENT_CREDENTIALS: comma-joined */
	const char *soid;            /* GRANT_CLIENT_CREDENTIALS: "SERVICE.ORG_ID"; NULL: none */
};

/* {accounts}/oauth/v2/token, or /oauth/v3/device/token for GRANT_DEVICE. */
bool token_request_url(const char *accounts, enum zoho_grant grant, char *out, size_t out_len);

/* The form body of r. The caller wipes it with buf_finish(). */
bool token_request_form(const struct token_request *r, struct buf *form);

/*
 * POST form to url and check the answer at the HTTP level: a 5xx, an empty
 * body or one that is not JSON (a proxy's HTML page) is reported and
 * gives ZO_NETWORK. On ZO_OK the caller owns *a (http_answer_finish) and
 * interprets the JSON.
 */
int exchange_post(const char *url, const struct buf *form, const struct net_options *net,
		struct http_answer *a, char *summary, size_t summary_len);

/* Send r and check the answer at the HTTP level (exchange_post): for the
 * device flow, whose answers are interpreted by its own parser. */
int token_request_post(const char *accounts, const struct token_request *r,
		const struct net_options *net, struct http_answer *a, char *summary, size_t summary_len);

/*
 * Send r to {accounts}/oauth/v2/token and interpret the answer the way
 * Zoho gives it: failures mostly come as HTTP 200 with {"error": ...}, so
 * an answer counts only when it carries an access token.
 *
 * On ZO_OK, out holds access_token, refresh_token (when Zoho sent one),
 * token_type, api_domain, scope, expires_at and obtained_at. Otherwise
 * the error has been reported on stderr (with Zoho's error_description)
 * and summary holds one line for the browser page. Returns ZO_OK,
 * ZO_REJECTED (Zoho said no; the throttle too), ZO_RELOGIN (a refresh
 * token Zoho no longer honours), ZO_NETWORK (unreachable, TLS, 5xx, HTML
 * or malformed answers) or ZO_INTERRUPTED + signal. When Zoho answered
 * with an error, *rejected (if not NULL) says which.
 */
int exchange_tokens(const char *accounts, const struct token_request *r,
		const struct net_options *net, struct tokens *out, char *summary, size_t summary_len,
		enum zoho_error *rejected);

/*
 * The pre-flight check: before the browser opens (or the device code is
 * asked for, or a console code is used), a request of the flow's own kind
 * with a code that can't exist and the real client ID and secret: an
 * authorization_code grant with the redirect URI (GRANT_AUTHORIZATION_CODE),
 * a device-token poll (GRANT_DEVICE), an authorization_code grant without
 * one (GRANT_SELF_CLIENT_CODE). It stops (said, with what to fix and at
 * which API console; ZO_REJECTED) only on an answer that can only mean the
 * user's mistake: invalid_client, invalid_client_secret, and for the
 * browser's flow invalid_redirect_uri. Network trouble and any other
 * answer are a warning and ZO_OK. A signal gives ZO_INTERRUPTED + signal.
 * redirect_uri is used for GRANT_AUTHORIZATION_CODE only.
 */
int token_preflight(const char *accounts, enum zoho_grant grant, const char *client_id,
		const char *client_secret, const char *redirect_uri, const struct net_options *net);

/* What the device flow's first request asks for. */
struct device_code_request {
	const char *client_id;
	const char *scope;
	bool offline;
	bool consent_prompt;
};

/* POST {accounts}/oauth/v3/device/code, checked as exchange_post(). */
int device_code_post(const char *accounts, const struct device_code_request *r,
		const struct net_options *net, struct http_answer *a, char *summary, size_t summary_len);

/* POST {accounts}/oauth/v2/token/revoke with the refresh token, in the
 * body (Zoho documents a query parameter; the endpoint reads either).
 * The answer is the caller's to interpret. */
int revoke_post(const char *accounts, const char *refresh_token, const struct net_options *net,
		struct http_answer *a);

/* Whether scope (comma- or space-separated) lets the access token ask
 * whose account it is: AaaServer.profile.Read (or .ALL), any case. */
bool zoho_scope_has_user_info(const char *scope);

/* Whose account a token is, as GET {accounts}/oauth/user/info tells. */
struct zoho_user {
	bool known;              /* the answer named someone */
	char display_name[1040]; /* Display_Name, made printable; "" if none */
	char email[1040];        /* Email, the same */
};

/*
 * GET {accounts}/oauth/user/info with "Authorization: Zoho-oauthtoken
 * access_token" (Zoho's OAuth pages don't document it; its sign-in
 * libraries use it). Any answer but HTTP 200 with a JSON object holding a
 * string Display_Name or Email (each at most 256 bytes) leaves out
 * unknown and gives ZO_OK; ZO_NETWORK (reported) or ZO_INTERRUPTED +
 * signal when there was no answer. Bounded as every request (64 KiB,
 * --max-time).
 */
int zoho_user_info(const char *accounts, const char *access_token, const struct net_options *net,
		struct zoho_user *out);

#endif
