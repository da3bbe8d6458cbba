#ifndef ZOHO_OAUTH_ZOHO_H
#define ZOHO_OAUTH_ZOHO_H

#include <stdbool.h>
#include <stddef.h>

#include "core/util.h"

/*
 * Zoho's limits on access tokens per refresh token. Its pages agree on the
 * refreshes (10 new access tokens in 10 minutes, then refusals for the
 * rest of the window) but not on how many stay alive at once (the oldest
 * is ended silently past the figure): 30 on Cliq's OAuth walkthrough, 15
 * on CRM's "token validity" page, 10 on the Accounts "token limits" page.
 * The strictest is the default; a user who knows better may set up to the
 * highest (live_tokens in the config).
 */
#define ZOHO_REFRESH_WINDOW 600        /* seconds */
#define ZOHO_REFRESHES_PER_WINDOW 10
#define ZOHO_ACCESS_LIFETIME 3600      /* seconds an access token lives */
#define ZOHO_LIVE_TOKENS_STRICTEST 10
#define ZOHO_LIVE_TOKENS_MOST 30

/* What Zoho's documentation says about its data centres. */
struct zoho_dc {
	const char *location;  /* "us", "eu", ... as in the redirect's location */
	const char *accounts;  /* accounts server origin, no trailing slash */
	const char *api;       /* default API domain */
	const char *cliq;      /* Zoho Cliq's API origin (cliq.zoho.*) */
	const char *console;   /* the API console, where clients are registered */
};

const struct zoho_dc *zoho_dc_by_location(const char *location);
/* The data centre whose accounts server this origin is (any case, one
 * trailing slash allowed); NULL when it is none of them. */
const struct zoho_dc *zoho_dc_by_accounts(const char *url);
/* "us|eu|in|..." for messages. */
const char *zoho_dc_list(void);

/*
 * Whether an api_domain Zoho sent may be kept and used for API calls:
 * exactly the https origin of a known data centre's API host
 * (www.zohoapis.*), or, when the accounts server is a loopback test
 * server, a loopback origin. Userinfo, ports, paths and other hosts are
 * refused.
 */
bool zoho_api_domain_ok(const char *api_domain, const char *accounts_server);

/*
 * The data centre of a profile's tokens: the one whose accounts server
 * they came from; for another server that is not loopback, the one Zoho
 * named as their location; else NULL.
 */
const struct zoho_dc *zoho_dc_of(const char *accounts_server, const char *location);

/* The origin of a service's API in dc: "api" (www.zohoapis.*) or "cliq"
 * (cliq.zoho.*); NULL for an unknown service or no dc. */
const char *zoho_service_origin(const struct zoho_dc *dc, const char *service);
bool zoho_service_known(const char *service);

enum zoho_url_check {
	ZOHO_URL_OK,
	ZOHO_URL_MALFORMED, /* not http(s)://host[:port] then a path, query or end */
	ZOHO_URL_FOREIGN,   /* a host (or port) that may not have the token */
	ZOHO_URL_INSECURE,  /* plain http to a host that is not loopback */
};

/*
 * Whether an access token may go with a request to url: https on the
 * default port to an API host of dc (www.zohoapis.*, cliq.*) or to the
 * host of api_domain when zoho_api_domain_ok() takes it; a loopback host
 * when the accounts server is a loopback test server; or https (any
 * port) or loopback on one of the n_allowed hosts the user named. Plain
 * http is refused on any other host. host gets the URL's host, escaped
 * for messages, when there is one.
 */
enum zoho_url_check zoho_token_url_check(const char *url, const struct zoho_dc *dc,
		const char *api_domain, const char *accounts_server, const char *const *allowed,
		size_t n_allowed, char *host, size_t host_len);

/*
 * Check a user-given accounts server: https, or http on a loopback host
 * (the tests' mock). On success *out is the origin without a trailing
 * slash, which the caller frees.
 */
bool zoho_accounts_url_check(const char *url, char **out, char *why, size_t why_len);

/*
 * Whether server has the shape of a Zoho accounts server
 * (https://accounts.zoho.TLD, accounts.zoho.com.TLD or
 * accounts.zohocloud.TLD, no port or path), known to the table or not:
 * for saying that a data centre the table lacks was named, rather than a
 * stranger's server. Never a reason to trust it with a secret.
 */
bool zoho_accounts_shape(const char *server);

/*
 * Whether the accounts-server named by a redirect (or a device-flow
 * answer) may receive our client secret: https on a known Zoho accounts
 * host, or exactly the server the user configured.
 */
bool zoho_accounts_server_trusted(const char *server, const char *configured);

/*
 * The next scope of a list at *cursor (NULL: the end), with its length;
 * false at the end. Commas separate scopes, and blanks around one are not
 * part of it ("A.READ, B.CREATE"). A list the user gave is strict: two
 * commas in a row give an empty item (for zoho_scope_join() to refuse). A
 * list Zoho wrote is lenient: blanks separate too, and empty items are
 * skipped. The one way scope lists are taken apart.
 */
bool zoho_scope_next(const char **cursor, bool lenient, const char **item, size_t *len);

/*
 * Validate and join scopes. Each of the n items may itself be a
 * comma-separated list; every scope must have the shape
 * Service.scope.OPERATION (more middle levels allowed) or be one of the
 * OpenID scopes. On success *out is the comma-joined list without
 * duplicates, which the caller frees.
 */
bool zoho_scope_join(const char *const *items, size_t n, char **out, char *why, size_t why_len);

struct consent_request {
	const char *accounts;      /* origin */
	const char *client_id;
	const char *redirect_uri;
	const char *scope;
	bool offline;
	bool consent_prompt;
	const char *state;
	const char *code_challenge; /* NULL: no PKCE */
};

/* {accounts}/oauth/v2/auth?... */
bool zoho_consent_url(const struct consent_request *req, struct buf *out);

/* The token endpoint's documented errors. */
enum zoho_error {
	ZOHO_ERR_INVALID_CODE,
	ZOHO_ERR_INVALID_CLIENT,
	ZOHO_ERR_INVALID_CLIENT_SECRET,
	ZOHO_ERR_INVALID_REDIRECT_URI,
	ZOHO_ERR_THROTTLED,
	ZOHO_ERR_MISSING_ORG,     /* missing_org_info: client credentials need a soid */
	ZOHO_ERR_OTHER,
};

/* Which request an error answered: the same error means different things. */
enum zoho_grant {
	GRANT_AUTHORIZATION_CODE, /* code from the browser redirect */
	GRANT_SELF_CLIENT_CODE,   /* code generated in the API console */
	GRANT_REFRESH,
	GRANT_DEVICE,
	GRANT_CLIENT_CREDENTIALS, /* a Self Client's own: no user, no refresh token */
};

/*
 * Classify an error answer from its "error", "error_description" and
 * "status" members (any may be NULL). The throttle's text is localized,
 * so it is recognised by its shape: words where Zoho's documented errors
 * have a machine code (lower case, digits, '_'), with or without
 * "status":"failure" next to it.
 */
enum zoho_error zoho_error_classify(const char *error, const char *description, const char *status);

/* Room for zoho_error_explain()'s line. */
#define ZOHO_EXPLAIN_MAX 512

/* One line for the user: what happened and, where it is Zoho's to say,
 * what to do (the command to run next is the caller's: it knows the
 * profile). The error text is only used for ZOHO_ERR_OTHER and must
 * already be safe to print. */
void zoho_error_explain(enum zoho_error e, enum zoho_grant grant, const char *error_text,
		const char *accounts, char *out, size_t out_len);

/* A client ID as the API console makes them: letters, digits, '.', '_'
 * and '-', at most 256. */
bool zoho_client_id_ok(const char *id);

/* A client-credentials soid: "SERVICE.ORG_ID", a service name of letters
 * (ZohoCRM) and an organisation's or portal's ID of letters, digits, '_'
 * and '-', at most 128 in all. */
bool zoho_soid_ok(const char *soid);

/* Copy untrusted text for a message, bounded by out_len: text_escape()
 * (core/text.h) of the whole string; NULL gives "". */
void printable_copy(char *out, size_t out_len, const char *in);

#endif
