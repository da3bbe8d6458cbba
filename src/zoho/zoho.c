#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/text.h"
#include "core/urlcode.h"
#include "zoho/zoho.h"

/*
 * The data centres. Documented on Zoho's Accounts pages: the accounts
 * servers and API domains of us, eu, in, au, jp, ca, sa, uk and cn. Not
 * there: the UAE (ae), whose accounts server, API domain (www.zohoapis.ae),
 * Cliq host (cliq.zoho.ae) and API console (api-console.zoho.ae) are those
 * many community clients use, and which follow the pattern. Cliq's hosts:
 * Cliq's REST API pages list .com, .eu, .in, .com.au, .com.cn and .jp;
 * those for CA, SA, UK and AE follow the accounts servers' pattern
 * (zohocloud.ca, not zoho.ca) and are assumed, not seen documented. So are
 * the API consoles but the first six.
 */
static const struct zoho_dc dcs[] = {
	{ "us", "https://accounts.zoho.com", "https://www.zohoapis.com", "https://cliq.zoho.com", "https://api-console.zoho.com" },
	{ "eu", "https://accounts.zoho.eu", "https://www.zohoapis.eu", "https://cliq.zoho.eu", "https://api-console.zoho.eu" },
	{ "in", "https://accounts.zoho.in", "https://www.zohoapis.in", "https://cliq.zoho.in", "https://api-console.zoho.in" },
	{ "au", "https://accounts.zoho.com.au", "https://www.zohoapis.com.au", "https://cliq.zoho.com.au", "https://api-console.zoho.com.au" },
	{ "jp", "https://accounts.zoho.jp", "https://www.zohoapis.jp", "https://cliq.zoho.jp", "https://api-console.zoho.jp" },
	{ "ca", "https://accounts.zohocloud.ca", "https://www.zohoapis.ca", "https://cliq.zohocloud.ca", "https://api-console.zohocloud.ca" },
	{ "sa", "https://accounts.zoho.sa", "https://www.zohoapis.sa", "https://cliq.zoho.sa", "https://api-console.zoho.sa" },
	{ "uk", "https://accounts.zoho.uk", "https://www.zohoapis.uk", "https://cliq.zoho.uk", "https://api-console.zoho.uk" },
	{ "cn", "https://accounts.zoho.com.cn", "https://www.zohoapis.com.cn", "https://cliq.zoho.com.cn", "https://api-console.zoho.com.cn" },
	{ "ae", "https://accounts.zoho.ae", "https://www.zohoapis.ae", "https://cliq.zoho.ae", "https://api-console.zoho.ae" },
};

#define N_DCS (sizeof(dcs) / sizeof(dcs[0]))

const struct zoho_dc *zoho_dc_by_location(const char *location)
{
	/* Any case: --dc EU is as good as --dc eu. */
	for (size_t i = 0; location && i < N_DCS; i++)
		if (ascii_casecmp_eq(dcs[i].location, location))
			return &dcs[i];
	return NULL;
}

/* Equal as origins: scheme and host compare without case, and one
 * trailing slash on either side does not count. */
static bool same_origin(const char *a, const char *b)
{
	size_t la = strlen(a), lb = strlen(b);
	if (la > 0 && a[la - 1] == '/')
		la--;
	if (lb > 0 && b[lb - 1] == '/')
		lb--;
	return la == lb && ascii_ncasecmp_eq(a, b, la);
}

const struct zoho_dc *zoho_dc_by_accounts(const char *url)
{
	for (size_t i = 0; url && i < N_DCS; i++)
		if (same_origin(dcs[i].accounts, url))
			return &dcs[i];
	return NULL;
}

const char *zoho_dc_list(void)
{
	/* "us, eu, ...", from the table: the one list of data centres. */
	static char list[N_DCS * 4];
	if (!list[0]) {
		size_t o = 0;
		for (size_t i = 0; i < N_DCS; i++)
			o += (size_t)snprintf(list + o, sizeof(list) - o, "%s%s", i ? ", " : "",
				dcs[i].location);
	}
	return list;
}

bool zoho_api_domain_ok(const char *api_domain, const char *accounts_server)
{
	struct origin o, a;
	const char *rest, *arest;
	if (!api_domain || !origin_parse(api_domain, &o, &rest) ||
			!(*rest == '\0' || strcmp(rest, "/") == 0))
		return false;
	if (o.loopback)
		return accounts_server && origin_parse(accounts_server, &a, &arest) && a.loopback;
	if (strcmp(o.scheme, "https") != 0 || o.port != -1)
		return false;
	for (size_t i = 0; i < N_DCS; i++)
		if (ascii_casecmp_eq(o.host, dcs[i].api + strlen("https://")))
			return true;
	return false;
}

const struct zoho_dc *zoho_dc_of(const char *accounts_server, const char *location)
{
	struct origin o;
	const char *rest;
	const struct zoho_dc *dc = zoho_dc_by_accounts(accounts_server);
	if (dc || !accounts_server || !origin_parse(accounts_server, &o, &rest) || o.loopback)
		return dc;
	return zoho_dc_by_location(location);
}

static const char *const services[] = { "api", "cliq" };

const char *zoho_service_origin(const struct zoho_dc *dc, const char *service)
{
	if (!dc || !service)
		return NULL;
	if (strcmp(service, services[0]) == 0)
		return dc->api;
	if (strcmp(service, services[1]) == 0)
		return dc->cliq;
	return NULL;
}

bool zoho_service_known(const char *service)
{
	for (size_t i = 0; service && i < sizeof(services) / sizeof(services[0]); i++)
		if (strcmp(service, services[i]) == 0)
			return true;
	return false;
}

/* host equals the host of the https origin o_url (no port). */
static bool host_of(const char *o_url, const char *host)
{
	return o_url && ascii_casecmp_eq(host, o_url + strlen("https://"));
}

enum zoho_url_check zoho_token_url_check(const char *url, const struct zoho_dc *dc,
		const char *api_domain, const char *accounts_server, const char *const *allowed,
		size_t n_allowed, char *host, size_t host_len)
{
	struct origin o, a;
	const char *rest, *arest;

	if (host_len > 0)
		host[0] = '\0';
	if (!url || !origin_parse(url, &o, &rest))
		return ZOHO_URL_MALFORMED;
	printable_copy(host, host_len, o.host);
	bool extra = false;
	for (size_t i = 0; i < n_allowed && !extra; i++)
		extra = ascii_casecmp_eq(o.host, allowed[i]);
	if (o.loopback) {
		bool test_server = accounts_server && origin_parse(accounts_server, &a, &arest) &&
			a.loopback;
		return test_server || extra ? ZOHO_URL_OK : ZOHO_URL_FOREIGN;
	}
	/* Anywhere but loopback, a token in plain http crosses the network as
	 * it is: not even to an allowed host. */
	if (strcmp(o.scheme, "https") != 0)
		return ZOHO_URL_INSECURE;
	if (extra)
		return ZOHO_URL_OK;
	if (o.port != -1 && o.port != 443)
		return ZOHO_URL_FOREIGN;
	if (dc && (host_of(dc->api, o.host) || host_of(dc->cliq, o.host)))
		return ZOHO_URL_OK;
	/* Where Zoho said this profile's APIs are, when that passed the check
	 * on arrival (a Zoho API host of some data centre). */
	struct origin d;
	const char *drest;
	if (zoho_api_domain_ok(api_domain, accounts_server) && origin_parse(api_domain, &d, &drest) &&
			!d.loopback && ascii_casecmp_eq(o.host, d.host))
		return ZOHO_URL_OK;
	return ZOHO_URL_FOREIGN;
}

bool zoho_accounts_url_check(const char *url, char **out, char *why, size_t why_len)
{
	struct origin o;
	const char *rest;

	if (!origin_parse(url, &o, &rest) || !(*rest == '\0' || strcmp(rest, "/") == 0)) {
		snprintf(why, why_len, "'%s' is not an accounts server URL such as "
			"https://accounts.zoho.eu (scheme and host, no path)", url);
		return false;
	}
	if (strcmp(o.scheme, "https") != 0 && !o.loopback) {
		snprintf(why, why_len, "'%s' uses plain http: the client secret would cross the "
			"network unencrypted; use https (http is allowed only on localhost)", url);
		return false;
	}
	size_t len = strlen(url) - (*rest == '/');
	*out = xstrndup(url, len);
	if (!*out) {
		snprintf(why, why_len, "out of memory");
		return false;
	}
	return true;
}

bool zoho_accounts_shape(const char *server)
{
	struct origin o;
	const char *rest;
	if (!server || !origin_parse(server, &o, &rest) || strcmp(o.scheme, "https") != 0 ||
			o.port != -1 || !(*rest == '\0' || strcmp(rest, "/") == 0))
		return false;
	/* accounts.zoho.TLD, accounts.zoho.com.TLD, accounts.zohocloud.TLD:
	 * two to three lower-case letters a label. */
	const char *h = o.host;
	const char *tail = NULL;
	if (ascii_ncasecmp_eq(h, "accounts.zohocloud.", 19))
		tail = h + 19;
	else if (ascii_ncasecmp_eq(h, "accounts.zoho.com.", 18))
		tail = h + 18;
	else if (ascii_ncasecmp_eq(h, "accounts.zoho.", 14))
		tail = h + 14;
	size_t n = tail ? strlen(tail) : 0;
	if (n < 2 || n > 3)
		return false;
	for (size_t i = 0; i < n; i++)
		if (!((tail[i] >= 'a' && tail[i] <= 'z') || (tail[i] >= 'A' && tail[i] <= 'Z')))
			return false;
	return true;
}

bool zoho_accounts_server_trusted(const char *server, const char *configured)
{
	if (!server)
		return false;
	if (configured && same_origin(server, configured))
		return true;
	/* The table holds https origins only, so this also demands https. */
	return zoho_dc_by_accounts(server) != NULL;
}

/* --- scopes --- */

static const char *const operations[] = {
	"ALL", "READ", "CREATE", "UPDATE", "DELETE", "WRITE", "CUSTOM",
};
static const char *const bare_scopes[] = { "openid", "email", "profile" };

static bool scope_check(const char *s, size_t len, char *why, size_t why_len)
{
	char item[256];
	if (len == 0) {
		snprintf(why, why_len, "the scope list has an empty item (two commas in a row?)");
		return false;
	}
	if (len >= sizeof(item)) {
		snprintf(why, why_len, "scope '%.40s...' is too long", s);
		return false;
	}
	memcpy(item, s, len);
	item[len] = '\0';
	char safe[sizeof(item)]; /* the item as it may be printed */
	printable_copy(safe, sizeof(safe), item);

	for (size_t i = 0; i < sizeof(bare_scopes) / sizeof(bare_scopes[0]); i++)
		if (strcmp(item, bare_scopes[i]) == 0)
			return true;

	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)item[i];
		if (c == ' ' || c == '\t') {
			snprintf(why, why_len, "scope '%s' contains a space: separate scopes with commas only", safe);
			return false;
		}
		if (!((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
				c == '.' || c == '_' || c == '-')) {
			char shown[8];
			printable_copy(shown, sizeof(shown), (char[]){ (char)c, 0 });
			snprintf(why, why_len, "scope '%s' contains '%s': a scope is made of letters, digits, "
				"'_' and '-' joined by dots", safe, shown[0] ? shown : "?");
			return false;
		}
	}

	/* Service.scope.OPERATION: at least three non-empty parts. */
	const char *last = strrchr(item, '.');
	size_t parts = 1;
	for (const char *p = item; *p; p++) {
		if (*p == '.') {
			parts++;
			if (p == item || p[1] == '.' || p[1] == '\0') {
				if (p[1] == '\0') {
					snprintf(why, why_len, "scope '%s' is missing its operation after the last dot "
						"(e.g. %sREAD)", safe, safe);
				} else {
					snprintf(why, why_len, "scope '%s' has an empty part between dots", safe);
				}
				return false;
			}
		}
	}
	if (parts < 3) {
		snprintf(why, why_len, "scope '%s' is missing a part: the shape is Service.scope.OPERATION, "
			"e.g. ZohoCliq.Channels.READ", safe);
		return false;
	}
	for (size_t i = 0; i < sizeof(operations) / sizeof(operations[0]); i++)
		if (ascii_casecmp_eq(last + 1, operations[i]))
			return true;
	snprintf(why, why_len, "scope '%s' ends in '%s', which is not an operation (ALL, READ, CREATE, "
		"UPDATE, DELETE, WRITE or CUSTOM)", safe, last + 1);
	return false;
}

bool zoho_scope_next(const char **cursor, bool lenient, const char **item, size_t *len)
{
	const char *p = *cursor;
	while (p) {
		while (*p == ' ' || *p == '\t')
			p++;
		size_t n = strcspn(p, lenient ? ", \t" : ",");
		const char *next = p + n;
		/* Blanks before the comma are not the item's. */
		while (n > 0 && (p[n - 1] == ' ' || p[n - 1] == '\t'))
			n--;
		*cursor = *next ? next + 1 : NULL;
		if (n > 0 || !lenient) {
			*item = p;
			*len = n;
			return true;
		}
		p = *cursor;
	}
	return false;
}

bool zoho_scope_join(const char *const *items, size_t n, char **out, char *why, size_t why_len)
{
	struct buf b = { 0 };
	for (size_t i = 0; i < n; i++) {
		const char *cursor = items[i], *p;
		size_t len;
		while (zoho_scope_next(&cursor, false, &p, &len)) {
			if (!scope_check(p, len, why, why_len)) {
				buf_finish(&b);
				return false;
			}
			/* Skip duplicates: compare against what is already joined. */
			bool dup = false;
			const char *q, *seen = b.data;
			size_t ql;
			while (zoho_scope_next(&seen, false, &q, &ql))
				dup = dup || (ql == len && memcmp(q, p, len) == 0);
			if (!dup && ((b.len && !buf_append(&b, ",", 1)) || !buf_append(&b, p, len))) {
				buf_finish(&b);
				snprintf(why, why_len, "out of memory");
				return false;
			}
		}
	}
	if (!b.data) {
		snprintf(why, why_len, "no scope given");
		return false;
	}
	*out = b.data;
	return true;
}

bool zoho_consent_url(const struct consent_request *req, struct buf *out)
{
	struct buf q = { 0 };
	bool ok = form_add(&q, "response_type", "code") &&
		form_add(&q, "client_id", req->client_id) &&
		form_add(&q, "scope", req->scope) &&
		form_add(&q, "redirect_uri", req->redirect_uri) &&
		form_add(&q, "access_type", req->offline ? "offline" : "online") &&
		(!req->consent_prompt || form_add(&q, "prompt", "consent")) &&
		form_add(&q, "state", req->state) &&
		(!req->code_challenge || (form_add(&q, "code_challenge", req->code_challenge) &&
			form_add(&q, "code_challenge_method", "S256"))) &&
		buf_append_str(out, req->accounts) &&
		buf_append_str(out, "/oauth/v2/auth?") &&
		buf_append(out, q.data, q.len);
	buf_finish(&q);
	return ok;
}

/* --- errors --- */

static bool is_machine_code(const char *s)
{
	if (!*s)
		return false;
	for (; *s; s++)
		if (!((*s >= 'a' && *s <= 'z') || (*s >= '0' && *s <= '9') || *s == '_'))
			return false;
	return true;
}

enum zoho_error zoho_error_classify(const char *error, const char *description, const char *status)
{
	static const struct {
		const char *code;
		enum zoho_error e;
	} known[] = {
		{ "invalid_code", ZOHO_ERR_INVALID_CODE },
		{ "invalid_client", ZOHO_ERR_INVALID_CLIENT },
		{ "invalid_client_secret", ZOHO_ERR_INVALID_CLIENT_SECRET },
		{ "invalid_redirect_uri", ZOHO_ERR_INVALID_REDIRECT_URI },
		{ "missing_org_info", ZOHO_ERR_MISSING_ORG },
	};
	if (error) {
		for (size_t i = 0; i < sizeof(known) / sizeof(known[0]); i++)
			if (strcmp(error, known[i].code) == 0)
				return known[i].e;
	}
	/* {"error":"Access Denied","error_description":"You have made too
	 * many requests continuously...","status":"failure"}, in the user's
	 * language: words where a code belongs, seen with and without the
	 * status. Words alone say too little unless they are these. */
	if (error && *error && !is_machine_code(error) &&
			((status && strcmp(status, "failure") == 0) || (description && *description) ||
			 ascii_casecmp_eq(error, "Access Denied")))
		return ZOHO_ERR_THROTTLED;
	return ZOHO_ERR_OTHER;
}

void zoho_error_explain(enum zoho_error e, enum zoho_grant grant, const char *error_text,
		const char *accounts, char *out, size_t out_len)
{
	switch (e) {
	case ZOHO_ERR_INVALID_CODE:
		if (grant == GRANT_REFRESH)
			snprintf(out, out_len, "zoho says the refresh token is no longer valid: it was revoked, "
				"by you or because more than 20 were issued for your account");
		else if (grant == GRANT_SELF_CLIENT_CODE)
			snprintf(out, out_len, "zoho refused the code: it expired or was already used "
				"(codes from the API console last 3 to 10 minutes and work once); generate "
				"a new one and exchange it at once");
		else if (grant == GRANT_DEVICE)
			snprintf(out, out_len, "zoho refused the device code: it expired or was already used");
		else if (grant == GRANT_CLIENT_CREDENTIALS)
			snprintf(out, out_len, "zoho refused the client credentials: the client secret was "
				"regenerated, or the Self Client deleted");
		else
			snprintf(out, out_len, "zoho refused the authorization code: it expired or was already "
				"used (codes live about a minute and work once)");
		return;
	case ZOHO_ERR_INVALID_CLIENT:
		snprintf(out, out_len, "zoho does not know this client id at %s: usually the client was "
			"registered in another data centre; pass --dc (%s) or check the client id", accounts,
			zoho_dc_list());
		return;
	case ZOHO_ERR_INVALID_CLIENT_SECRET:
		snprintf(out, out_len, "zoho rejected the client secret: copy it again from the API "
			"console (the client's 'Client Secret' tab)");
		return;
	case ZOHO_ERR_INVALID_REDIRECT_URI:
		snprintf(out, out_len, "zoho says the redirect URI is not the one registered for this "
			"client: register it exactly (port, path and trailing slash included) or pass the "
			"registered one with --redirect-uri");
		return;
	case ZOHO_ERR_THROTTLED:
		snprintf(out, out_len, "zoho is throttling this client after too many requests: wait "
			"about 10 minutes before trying again");
		return;
	case ZOHO_ERR_MISSING_ORG:
		snprintf(out, out_len, "zoho needs to know which organisation the token is for "
			"(missing_org_info): this client's service has several; name one with --soid "
			"SERVICE.ORG_ID (such as ZohoCRM.600000434: the service and the organisation's or "
			"portal's ID)");
		return;
	case ZOHO_ERR_OTHER:
		snprintf(out, out_len, "zoho refused the request: %s",
			error_text && *error_text ? error_text : "(no reason given)");
		return;
	}
}

bool zoho_client_id_ok(const char *id)
{
	size_t len = strlen(id);
	return len > 0 && len <= 256 &&
		strspn(id, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._-") == len;
}

bool zoho_soid_ok(const char *soid)
{
	static const char letters[] = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ";
	size_t len = strlen(soid), service = strspn(soid, letters);
	if (len > 128 || service == 0 || soid[service] != '.')
		return false;
	const char *org = soid + service + 1;
	size_t n = strlen(org);
	return n > 0 && strspn(org, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
		"0123456789_-") == n;
}

void printable_copy(char *out, size_t out_len, const char *in)
{
	if (out_len > 0)
		out[0] = '\0';
	if (in)
		text_escape(out, out_len, in, strlen(in));
}
