#include <stdio.h>
#include <string.h>

#include <jansson.h>

#include "core/exit-status.h"
#include "core/log.h"
#include "core/text.h"
#include "core/urlcode.h"
#include "zoho/token-endpoint.h"

static bool looks_like_json(const struct buf *body)
{
	for (size_t i = 0; i < body->len; i++) {
		char c = body->data[i];
		if (c == ' ' || c == '\n' || c == '\r' || c == '\t')
			continue;
		return c == '{' || c == '[';
	}
	return false;
}

bool token_request_url(const char *accounts, enum zoho_grant grant, char *out, size_t out_len)
{
	int n = snprintf(out, out_len, "%s%s", accounts,
		grant == GRANT_DEVICE ? "/oauth/v3/device/token" : "/oauth/v2/token");
	if (n < 0 || (size_t)n >= out_len) {
		log_error("accounts server URL too long");
		return false;
	}
	return true;
}

bool token_request_form(const struct token_request *r, struct buf *form)
{
	static const char *const grant_types[] = {
		[GRANT_AUTHORIZATION_CODE] = "authorization_code",
		/* A console code is exchanged without redirect_uri. */
		[GRANT_SELF_CLIENT_CODE] = "authorization_code",
		[GRANT_REFRESH] = "refresh_token",
		[GRANT_DEVICE] = "device_token",
		[GRANT_CLIENT_CREDENTIALS] = "client_credentials",
	};
	bool ok = form_add(form, "grant_type", grant_types[r->grant]) &&
		form_add(form, "client_id", r->client_id) &&
		form_add(form, "client_secret", r->client_secret);
	switch (r->grant) {
	case GRANT_AUTHORIZATION_CODE:
		ok = ok && form_add(form, "redirect_uri", r->redirect_uri) &&
			form_add(form, "code", r->code) &&
			(!r->code_verifier || form_add(form, "code_verifier", r->code_verifier));
		break;
	case GRANT_SELF_CLIENT_CODE:
	case GRANT_DEVICE:
		ok = ok && form_add(form, "code", r->code);
		break;
	case GRANT_REFRESH:
		ok = ok && form_add(form, "refresh_token", r->refresh_token);
		break;
	case GRANT_CLIENT_CREDENTIALS:
		ok = ok && r->scope && form_add(form, "scope", r->scope) &&
			(!r->soid || form_add(form, "soid", r->soid));
		break;
	}
	if (!ok)
		buf_finish(form);
	return ok;
}

int exchange_post(const char *url, const struct buf *form, const struct net_options *net,
		struct http_answer *a, char *summary, size_t summary_len)
{
	snprintf(summary, summary_len, "could not reach Zoho's accounts server");
	int status = http_post_form(url, form, net, a);
	if (status != ZO_OK) {
		if (status >= ZO_INTERRUPTED)
			snprintf(summary, summary_len, "interrupted");
		return status;
	}
	if (a->status >= 500) {
		log_error("zoho's accounts server failed (HTTP %ld): try again in a few minutes", a->status);
		snprintf(summary, summary_len, "Zoho's server failed (HTTP %ld)", a->status);
		status = ZO_NETWORK;
	} else if (a->body.len == 0) {
		log_error("%s answered HTTP %ld with an empty body", url, a->status);
		snprintf(summary, summary_len, "empty answer from Zoho (HTTP %ld)", a->status);
		status = ZO_NETWORK;
	} else if (!looks_like_json(&a->body)) {
		char ct[64];
		printable_copy(ct, sizeof(ct), a->content_type[0] ? a->content_type : "no content type");
		log_error("%s answered HTTP %ld with a page (%s) instead of JSON: a proxy or captive "
			"portal in the way, or trouble at Zoho; try again later", url, a->status, ct);
		snprintf(summary, summary_len, "Zoho answered with a page, not JSON (HTTP %ld)", a->status);
		status = ZO_NETWORK;
	}
	if (status != ZO_OK)
		http_answer_finish(a);
	return status;
}

int token_request_post(const char *accounts, const struct token_request *r,
		const struct net_options *net, struct http_answer *a, char *summary, size_t summary_len)
{
	char url[ZOHO_URL_MAX];
	struct buf form = { 0 };
	memset(a, 0, sizeof(*a));
	snprintf(summary, summary_len, "out of memory");
	if (!token_request_url(accounts, r->grant, url, sizeof(url)) || !token_request_form(r, &form))
		return ZO_FAILURE;
	int status = exchange_post(url, &form, net, a, summary, summary_len);
	buf_finish(&form);
	return status;
}

int exchange_tokens(const char *accounts, const struct token_request *r,
		const struct net_options *net, struct tokens *out, char *summary, size_t summary_len,
		enum zoho_error *rejected)
{
	enum zoho_grant grant = r->grant;
	struct http_answer a;
	struct token_answer ans;
	int status;

	memset(out, 0, sizeof(*out));
	/* A token's life begins when Zoho issues it, no earlier than the
	 * request leaves: counted from here, its expiry can't come late,
	 * however long the answer takes to arrive or this process is stopped
	 * before it reads it. */
	int64_t sent = wall_seconds();
	status = token_request_post(accounts, r, net, &a, summary, summary_len);
	if (status != ZO_OK)
		return status;

	tokens_parse_answer(a.body.data, a.body.len, sent, &ans);
	switch (ans.kind) {
	case ANSWER_ERROR: {
		char line[ZOHO_EXPLAIN_MAX];
		zoho_error_explain(ans.error, grant, ans.error_text, accounts, line, sizeof(line));
		if (ans.error_description[0])
			log_error("%s (zoho says: %s)", line, ans.error_description);
		else
			log_error("%s", line);
		snprintf(summary, summary_len, "%s", line);
		if (rejected)
			*rejected = ans.error;
		/* A refresh token, or a client's credentials, no longer honoured:
		 * a new sign-in. */
		status = ((grant == GRANT_REFRESH && ans.error == ZOHO_ERR_INVALID_CODE) ||
				(grant == GRANT_CLIENT_CREDENTIALS &&
				 (ans.error == ZOHO_ERR_INVALID_CODE ||
				  ans.error == ZOHO_ERR_INVALID_CLIENT_SECRET))) ? ZO_RELOGIN : ZO_REJECTED;
		break;
	}
	case ANSWER_INVALID:
		log_error("zoho's answer (HTTP %ld) is not one this tool understands: %s", a.status, ans.why);
		snprintf(summary, summary_len, "unexpected answer from Zoho: %s", ans.why);
		status = ZO_NETWORK;
		break;
	case ANSWER_TOKENS:
		if (a.status < 200 || a.status > 299) {
			log_error("zoho sent tokens with HTTP status %ld: not trusting them", a.status);
			snprintf(summary, summary_len, "unexpected answer from Zoho (HTTP %ld)", a.status);
			tokens_finish(&ans.tokens);
			status = ZO_NETWORK;
			break;
		}
		*out = ans.tokens;
		status = ZO_OK;
		break;
	}
	http_answer_finish(&a);
	return status;
}

int device_code_post(const char *accounts, const struct device_code_request *r,
		const struct net_options *net, struct http_answer *a, char *summary, size_t summary_len)
{
	char url[ZOHO_URL_MAX];
	struct buf form = { 0 };
	memset(a, 0, sizeof(*a));
	if ((size_t)snprintf(url, sizeof(url), "%s/oauth/v3/device/code", accounts) >= sizeof(url)) {
		log_error("accounts server URL too long");
		return ZO_FAILURE;
	}
	if (!form_add(&form, "client_id", r->client_id) ||
			!form_add(&form, "grant_type", "device_request") ||
			!form_add(&form, "scope", r->scope) ||
			!form_add(&form, "access_type", r->offline ? "offline" : "online") ||
			(r->consent_prompt && !form_add(&form, "prompt", "consent"))) {
		buf_finish(&form);
		return ZO_FAILURE;
	}
	int status = exchange_post(url, &form, net, a, summary, summary_len);
	buf_finish(&form);
	return status;
}

int revoke_post(const char *accounts, const char *refresh_token, const struct net_options *net,
		struct http_answer *a)
{
	char url[ZOHO_URL_MAX];
	struct buf form = { 0 };
	memset(a, 0, sizeof(*a));
	if ((size_t)snprintf(url, sizeof(url), "%s/oauth/v2/token/revoke", accounts) >= sizeof(url)) {
		log_error("accounts server URL too long");
		return ZO_FAILURE;
	}
	if (!form_add(&form, "token", refresh_token)) {
		buf_finish(&form);
		return ZO_FAILURE;
	}
	int status = http_post_form(url, &form, net, a);
	buf_finish(&form);
	return status;
}

/* Where to fix a client: the API console of the accounts server's data
 * centre, or a generic pointer for a server that is none of them. */
static const char *console_of(const char *accounts)
{
	const struct zoho_dc *dc = zoho_dc_by_accounts(accounts);
	return dc ? dc->console : "your data centre's API console (https://api-console.zoho.com, .eu, ...)";
}

/* The made-up code of a pre-flight: nobody was ever given it, and the
 * mock (and a reader of Zoho's logs) can tell it apart. */
#define PREFLIGHT_CODE "1000.zoho-oauth-preflight.0000000000000000"

int token_preflight(const char *accounts, enum zoho_grant grant, const char *client_id,
		const char *client_secret, const char *redirect_uri, const struct net_options *net)
{
	/* A request of the flow's own kind, with a code that can't exist:
	 * Zoho looks at the client (and for the browser's flow the redirect
	 * URI) before the code, so only those can fail here. The device flow
	 * polls its own endpoint; a console code is exchanged without a
	 * redirect URI. */
	struct token_request r = {
		.grant = grant,
		.client_id = client_id,
		.client_secret = client_secret,
		.code = PREFLIGHT_CODE,
		.redirect_uri = grant == GRANT_AUTHORIZATION_CODE ? redirect_uri : NULL,
	};
	struct http_answer a;
	struct token_answer ans;
	char summary[ZOHO_SUMMARY_MAX];

	struct report held;
	report_open(&held);
	int status = token_request_post(accounts, &r, net, &a, summary, sizeof(summary));
	if (status >= ZO_INTERRUPTED) {
		report_drop(&held);
		return status;
	}
	if (status != ZO_OK) {
		char why[REPORT_HELD_MAX];
		report_take(&held, why, sizeof(why));
		log_warn("could not check the client with Zoho before signing in (%s); going on",
			why[0] ? why : summary);
		return ZO_OK;
	}
	report_drop(&held);
	tokens_parse_answer(a.body.data, a.body.len, wall_seconds(), &ans);
	http_answer_finish(&a);
	if (ans.kind == ANSWER_TOKENS) {
		/* Never expected; tokens for a code nobody had are not kept. */
		tokens_finish(&ans.tokens);
		log_warn("zoho accepted a made-up code in the pre-flight check; going on");
		return ZO_OK;
	}
	if (ans.kind != ANSWER_ERROR) {
		log_warn("zoho's answer to the pre-flight check is not one this tool understands "
			"(%s); going on", ans.why);
		return ZO_OK;
	}
	const char *console = console_of(accounts);
	switch (ans.error) {
	case ZOHO_ERR_INVALID_CLIENT:
		log_error("zoho at %s does not know client ID %s: the client was registered in another "
			"data centre (try --dc), or as another client type (%s); check it at %s, before "
			"%s (--no-preflight skips this check)", accounts, client_id,
			grant == GRANT_DEVICE ? "login --device needs a Non-browser Applications client" :
			grant == GRANT_SELF_CLIENT_CODE ? "exchange needs a Self Client" :
			"login needs a Server-based Applications client", console,
			grant == GRANT_AUTHORIZATION_CODE ? "the browser opens" : "the code is used");
		return ZO_REJECTED;
	case ZOHO_ERR_INVALID_CLIENT_SECRET:
		log_error("zoho refused the client secret for client ID %s: copy the Client Secret "
			"again from %s (the client's page) (--no-preflight skips this check)",
			client_id, console);
		return ZO_REJECTED;
	case ZOHO_ERR_INVALID_REDIRECT_URI:
		if (grant == GRANT_AUTHORIZATION_CODE) {
			log_error("zoho says %s is not a redirect URI registered for client ID %s: it must "
				"match byte for byte (port, path, trailing slash); add it under Authorized "
				"Redirect URIs at %s, or give the registered one with --redirect-uri "
				"(--no-preflight skips this check)", redirect_uri, client_id, console);
			return ZO_REJECTED;
		}
		/* This flow sends no redirect URI: not the user's mistake. */
		log_warn("zoho answered the pre-flight check with invalid_redirect_uri, which does not "
			"concern %s (it sends none); going on", grant == GRANT_DEVICE ?
			"the device flow" : "a console code");
		return ZO_OK;
	case ZOHO_ERR_THROTTLED:
		log_warn("zoho throttled the pre-flight check (too many requests); going on");
		return ZO_OK;
	case ZOHO_ERR_INVALID_CODE:
	case ZOHO_ERR_MISSING_ORG:
		break;
	case ZOHO_ERR_OTHER:
		/* The device flow's own answers to a code it doesn't know. */
		if (grant != GRANT_DEVICE) {
			log_warn("zoho answered the pre-flight check with %s; going on", ans.error_text);
			return ZO_OK;
		}
		break;
	}
	log_debug("pre-flight: zoho knows the client and its secret%s",
		grant == GRANT_AUTHORIZATION_CODE ? " and redirect URI" : "");
	return ZO_OK;
}

bool zoho_scope_has_user_info(const char *scope)
{
	static const char *const wanted[] = { "AaaServer.profile.Read", "AaaServer.profile.ALL" };
	/* Zoho may answer with spaces or commas between scopes. */
	const char *cursor = scope, *item;
	size_t n;
	while (zoho_scope_next(&cursor, true, &item, &n))
		for (size_t i = 0; i < sizeof(wanted) / sizeof(wanted[0]); i++)
			if (n == strlen(wanted[i]) && ascii_ncasecmp_eq(item, wanted[i], n))
				return true;
	return false;
}

/* A string member of the user info, made printable; false when it is not
 * a non-empty string of reasonable length. */
static bool user_field(const json_t *o, const char *name, char *out, size_t out_len)
{
	const char *v = zjson_string(o, name);
	size_t len = v ? strlen(v) : 0;
	out[0] = '\0';
	if (len == 0 || len > 256)
		return false;
	text_escape(out, out_len, v, len);
	return true;
}

int zoho_user_info(const char *accounts, const char *access_token, const struct net_options *net,
		struct zoho_user *out)
{
	char url[ZOHO_URL_MAX];
	struct buf header = { 0 };
	struct http_answer a;
	memset(out, 0, sizeof(*out));
	if ((size_t)snprintf(url, sizeof(url), "%s/oauth/user/info", accounts) >= sizeof(url)) {
		log_error("accounts server URL too long");
		return ZO_FAILURE;
	}
	if (!buf_append_str(&header, "Authorization: Zoho-oauthtoken ") ||
			!buf_append_str(&header, access_token)) {
		buf_finish(&header);
		return ZO_FAILURE;
	}
	int status = http_get(url, header.data, net, &a);
	buf_finish(&header);
	if (status != ZO_OK)
		return status;
	char why[128];
	json_t *o = a.status == 200 && looks_like_json(&a.body) ?
		zjson_parse_object(a.body.data, a.body.len, why, sizeof(why)) : NULL;
	if (o) {
		bool name = user_field(o, "Display_Name", out->display_name, sizeof(out->display_name));
		bool email = user_field(o, "Email", out->email, sizeof(out->email));
		out->known = name || email;
		json_decref(o);
	}
	if (!out->known)
		log_debug("the user info answer (HTTP %ld, %zu bytes) names nobody", a.status, a.body.len);
	http_answer_finish(&a);
	return ZO_OK;
}
