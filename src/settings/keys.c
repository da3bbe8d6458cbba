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
	 * a keyword string; libpq decodes %XX in a URI, so look at it decoded and
	 * in any case. Checked first: the message to give is where a password
	 * goes instead, whatever else is wrong. */
	char plain[1025];
	size_t n = 0;
	for (const char *p = spec; *p && n < sizeof(plain) - 1; p++) {
		int hi, lo;
		if (p[0] == '%' && (hi = url_hex_value(p[1])) >= 0 && (lo = url_hex_value(p[2])) >= 0) {
			plain[n++] = (char)(hi * 16 + lo);
			p += 2;
		} else {
			plain[n++] = *p;
		}
	}
	plain[n] = '\0';
	for (size_t i = 0; i < n; i++)
		plain[i] = (char)tolower((unsigned char)plain[i]);
	const char *at = uri ? strchr(spec, '@') : NULL;
	const char *colon = uri ? strchr(strstr(spec, "://") + 3, ':') : NULL;
	bool has_password = (at && colon && colon < at) || strstr(plain, "password") != NULL;
	explicit_bzero(plain, sizeof(plain));
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
