#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/text.h"
#include "core/urlcode.h"
#include "core/util.h"
#include "settings/keys.h"
#include "zoho/redirect.h"

static bool copied(const char *value, char **out, char *why, size_t why_len)
{
	*out = xstrdup(value);
	if (!*out)
		snprintf(why, why_len, "out of memory");
	return *out != NULL;
}

bool key_client_id(const char *value, char **out, char *why, size_t why_len)
{
	if (!zoho_client_id_ok(value)) {
		char shown[80];
		printable_copy(shown, sizeof(shown), value);
		snprintf(why, why_len, "client id '%.64s' does not look like one from Zoho's API "
			"console (letters, digits, '.', '_', '-')", shown);
		return false;
	}
	return copied(value, out, why, why_len);
}

bool key_dc(const char *value, const struct zoho_dc **out, char *why, size_t why_len)
{
	*out = zoho_dc_by_location(value);
	if (!*out) {
		char shown[24];
		printable_copy(shown, sizeof(shown), value);
		snprintf(why, why_len, "unknown data centre '%.16s': use one of %s", shown,
			zoho_dc_list());
		return false;
	}
	return true;
}

bool key_accounts_url(const char *value, char **out, char *why, size_t why_len)
{
	return zoho_accounts_url_check(value, out, why, why_len);
}

bool key_scope(const char *const *items, size_t n, char **out, char *why, size_t why_len)
{
	return zoho_scope_join(items, n, out, why, why_len);
}

bool key_redirect_uri(const char *value, char **out, char *why, size_t why_len)
{
	struct redirect r;
	return redirect_parse(value, &r, why, why_len) && copied(value, out, why, why_len);
}

bool key_access_type(const char *value, bool *offline, char *why, size_t why_len)
{
	if (strcmp(value, "offline") != 0 && strcmp(value, "online") != 0) {
		char shown[24];
		printable_copy(shown, sizeof(shown), value);
		snprintf(why, why_len, "is offline or online, not '%.16s'", shown);
		return false;
	}
	*offline = strcmp(value, "offline") == 0;
	return true;
}

bool key_yes_no(const char *value, bool *out, char *why, size_t why_len)
{
	if (strcmp(value, "yes") != 0 && strcmp(value, "no") != 0) {
		char shown[24];
		printable_copy(shown, sizeof(shown), value);
		snprintf(why, why_len, "is yes or no, not '%.16s'", shown);
		return false;
	}
	*out = strcmp(value, "yes") == 0;
	return true;
}

bool key_seconds(const char *value, long min, long max, long *out, char *why, size_t why_len)
{
	if (!parse_long(value, min, max, out)) {
		char shown[24];
		printable_copy(shown, sizeof(shown), value);
		snprintf(why, why_len, "is a whole number of seconds from %ld to %ld, not '%.16s'", min, max,
			shown);
		return false;
	}
	return true;
}

bool key_count(const char *value, long min, long max, long *out, char *why, size_t why_len)
{
	if (!parse_long(value, min, max, out)) {
		char shown[24];
		printable_copy(shown, sizeof(shown), value);
		snprintf(why, why_len, "is a whole number from %ld to %ld, not '%.16s'", min, max, shown);
		return false;
	}
	return true;
}

/* Whether the n bytes at key, %-decoded, are "password" in any case. */
static bool is_password_key(const char *key, size_t n)
{
	static const char want[] = "password";
	size_t k = 0;
	for (size_t i = 0; i < n; i++) {
		int c = (unsigned char)key[i], hi, lo;
		if (c == '%' && i + 2 < n + 0 && (hi = url_hex_value(key[i + 1])) >= 0 &&
				(lo = url_hex_value(key[i + 2])) >= 0) {
			c = hi * 16 + lo;
			i += 2;
		}
		if (k >= sizeof(want) - 1 || tolower(c) != want[k++])
			return false;
	}
	return k == sizeof(want) - 1;
}

/* A URI's password: in its userinfo (user:PASSWORD@), or a password=
 * parameter of its query. */
static bool uri_has_password(const char *spec)
{
	const char *authority = strstr(spec, "://") + 3;
	size_t len = strcspn(authority, "/?");
	const char *at = NULL;
	for (const char *p = authority; p < authority + len; p++)
		if (*p == '@')
			at = p;
	if (at && memchr(authority, ':', (size_t)(at - authority)))
		return true;
	const char *query = strchr(spec, '?');
	for (const char *p = query ? query + 1 : NULL; p && *p;) {
		size_t item = strcspn(p, "&");
		size_t key = strcspn(p, "=&");
		if (key < item + 1 && is_password_key(p, key))
			return true;
		p += item + (p[item] == '&');
	}
	return false;
}

/* A keyword string's password=... (keywords are separated by blanks; a
 * value may be quoted, with \\ escapes). */
static bool keywords_have_password(const char *spec)
{
	const char *p = spec;
	while (*p) {
		p += strspn(p, " \t");
		size_t key = strcspn(p, "= \t");
		if (p[key] == '\0')
			return false;
		bool match = is_password_key(p, key);
		p += key;
		p += strspn(p, " \t");
		if (*p != '=')
			continue;
		if (match)
			return true;
		p++;
		p += strspn(p, " \t");
		if (*p == '\'') {
			for (p++; *p && *p != '\''; p++)
				if (*p == '\\' && p[1])
					p++;
			if (*p)
				p++;
		} else {
			p += strcspn(p, " \t");
		}
	}
	return false;
}

bool key_store(const char *spec, char **out, char *why, size_t why_len)
{
	if (strcmp(spec, "file") == 0 || strcmp(spec, "keyring") == 0)
		return copied(spec, out, why, why_len);
	bool uri = strncmp(spec, "postgresql://", 13) == 0 || strncmp(spec, "postgres://", 11) == 0;
	if (!uri && strncmp(spec, "service=", 8) != 0) {
		char shown[48];
		printable_copy(shown, sizeof(shown), spec);
		snprintf(why, why_len, "'%.40s' is not a store: use file, keyring, postgresql://... or "
			"service=NAME", shown);
		return false;
	}
	/* postgresql://user:PASSWORD@host/db, ?password=... or password=... in
	 * a keyword string (libpq decodes %XX in a URI, and takes keywords in
	 * any case): checked first, since where a password goes instead is the
	 * message to give, whatever else is wrong. Only a password counts: a
	 * database or user named "passwords" is no password. */
	bool has_password = uri ? uri_has_password(spec) : keywords_have_password(spec);
	if (has_password) {
		snprintf(why, why_len, "the database connection string holds a password, which would "
			"show in ps, in shell history or in this file: put it in ~/.pgpass (or the file "
			"PGPASSFILE names), or use a service file (service=NAME)");
		return false;
	}
	for (const char *p = spec; *p; p++) {
		if ((unsigned char)*p <= ' ' || (unsigned char)*p >= 0x7f) {
			snprintf(why, why_len, "the database connection string holds a space or a control "
				"character");
			return false;
		}
	}
	if (strlen(spec) > 1024) {
		snprintf(why, why_len, "the database connection string is longer than 1024 characters");
		return false;
	}
	return copied(spec, out, why, why_len);
}
