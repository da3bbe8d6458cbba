#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <ini.h>

#include "core/log.h"
#include "core/paths.h"
#include "core/secure-file.h"
#include "core/text.h"
#include "core/urlcode.h"
#include "core/util.h"
#include "settings/config-file.h"
#include "zoho/redirect.h"
#include "zoho/zoho.h"

#define CONFIG_MAX (64 * 1024)

struct parse {
	const char *path;
	const char *profile;
	struct config_profile *out;
	/* The reader's view of the text, for line numbers inih doesn't give. */
	const char *text;
	size_t len;
	size_t pos;
	int line;
	bool continuation;     /* the current line starts with blanks */
	/* Per section: which keys were set, to refuse duplicates. */
	char section[80];
	char seen[16][24];
	int n_seen;
	bool error;
	/* config_profile_names(): every section's profile, in order. */
	char **names;
	size_t n_names;
	bool collect;
};

static void fail(struct parse *p, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void fail(struct parse *p, const char *fmt, ...)
{
	char msg[512];
	va_list ap;
	if (p->error)
		return; /* the first error is the one to fix */
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	log_error("%s:%d: %s", p->path, p->line, msg);
	p->error = true;
}

/* inih's reader: hands out one line at a time and counts them, refusing
 * lines longer than inih's buffer instead of letting it cut them. */
static char *reader(char *str, int num, void *stream)
{
	struct parse *p = stream;
	if (p->pos >= p->len || p->error)
		return NULL;
	const char *start = p->text + p->pos;
	const char *nl = memchr(start, '\n', p->len - p->pos);
	size_t n = nl ? (size_t)(nl - start) + 1 : p->len - p->pos;
	p->pos += n;
	p->line++;
	if (memchr(start, '\0', n)) {
		fail(p, "the line holds a NUL byte");
		return NULL;
	}
	if (n >= (size_t)num) {
		fail(p, "the line is longer than %d characters: split a long scope list over "
			"several lines, indenting the continued ones", num - 2);
		return NULL;
	}
	memcpy(str, start, n);
	str[n] = '\0';
	p->continuation = n > 0 && (start[0] == ' ' || start[0] == '\t');
	return str;
}

static char *expand_home(struct parse *p, const char *value)
{
	char path[4096];
	if (value[0] == '/')
		return xstrdup(value);
	if (value[0] == '~' && value[1] == '/') {
		const char *home = home_dir();
		if (home && (size_t)snprintf(path, sizeof(path), "%s%s", home, value + 1) < sizeof(path))
			return xstrdup(path);
	}
	fail(p, "client_secret_file must be an absolute path or start with ~/");
	return NULL;
}

static bool store(struct parse *p, char **slot, char *value)
{
	if (!value)
		return false;
	free(*slot);
	*slot = value;
	return true;
}

static int handler(void *user, const char *section, const char *name, const char *value)
{
	struct parse *p = user;
	char why[512];

	if (p->error)
		return 0;
	if (strcmp(section, p->section) != 0) {
		/* inih never passes NULL; GCC cannot know that under -fsanitize. */
		snprintf(p->section, sizeof(p->section), "%s", section ? section : "");
		p->n_seen = 0;
	}
	if (strncmp(section, "profile ", 8) != 0 || !profile_name_ok(section + 8)) {
		if (!*section)
			fail(p, "'%s' comes before any [profile NAME] section", name);
		else
			fail(p, "[%s] is not a section this file has: use [profile NAME] (letters, "
				"digits, '.', '_', '-')", section);
		return 0;
	}
	if (p->collect && (p->n_names == 0 || strcmp(p->names[p->n_names - 1], section + 8) != 0)) {
		bool known = false;
		for (size_t i = 0; i < p->n_names && !known; i++)
			known = strcmp(p->names[i], section + 8) == 0;
		char **more = known ? p->names : realloc(p->names, (p->n_names + 1) * sizeof(*more));
		char *copy = known ? NULL : xstrdup(section + 8);
		if (!known && (!more || !copy)) {
			free(copy);
			if (more)
				p->names = more;
			fail(p, "out of memory");
			return 0;
		}
		if (!known) {
			p->names = more;
			p->names[p->n_names++] = copy;
		}
	}
	bool mine = strcmp(section + 8, p->profile) == 0;
	if (mine)
		p->out->found = true;

	/* A key given again is a continuation only for scope, on an indented
	 * line; anything else given twice is an error. */
	bool again = false;
	for (int i = 0; i < p->n_seen; i++)
		if (strcmp(p->seen[i], name) == 0)
			again = true;
	if (again && p->continuation && strcmp(name, "scope") != 0) {
		fail(p, "only scope may go on over indented lines ('%s' does here)", name);
		return 0;
	}
	if (again && !p->continuation) {
		fail(p, "'%s' is set twice in [%s]", name, section);
		return 0;
	}
	if (!again && p->n_seen < 16)
		snprintf(p->seen[p->n_seen++], sizeof(p->seen[0]), "%s", name);

	struct config_profile scratch = { .lock_timeout = -1, .keyring_timeout = -1 };
	struct config_profile *c = mine ? p->out : &scratch;
	bool ok = true;

	if (strcmp(name, "client_id") == 0) {
		if (!zoho_client_id_ok(value)) {
			fail(p, "client_id '%s' does not look like one from Zoho's API console", value);
			return 0;
		}
		ok = store(p, &c->client_id, xstrdup(value));
	} else if (strcmp(name, "dc") == 0) {
		if (!zoho_dc_by_location(value)) {
			fail(p, "unknown data centre '%s': use one of %s", value, zoho_dc_list());
			return 0;
		}
		ok = store(p, &c->dc, xstrdup(value));
	} else if (strcmp(name, "accounts_url") == 0) {
		char *url = NULL;
		if (!zoho_accounts_url_check(value, &url, why, sizeof(why))) {
			fail(p, "accounts_url: %s", why);
			return 0;
		}
		ok = store(p, &c->accounts_url, url);
	} else if (strcmp(name, "scope") == 0) {
		char *joined = NULL;
		const char *items[2] = { c->scope, value };
		/* A continued list may end its line with a comma. */
		char *trimmed = xstrdup(value);
		if (!trimmed)
			return 0;
		size_t tl = strlen(trimmed);
		if (tl > 0 && trimmed[tl - 1] == ',')
			trimmed[tl - 1] = '\0';
		items[1] = trimmed;
		bool valid = zoho_scope_join(c->scope ? items : items + 1, c->scope ? 2 : 1, &joined,
			why, sizeof(why));
		free(trimmed);
		if (!valid) {
			fail(p, "scope: %s", why);
			return 0;
		}
		ok = store(p, &c->scope, joined);
	} else if (strcmp(name, "redirect_uri") == 0) {
		struct redirect r;
		if (!redirect_parse(value, &r, why, sizeof(why))) {
			fail(p, "redirect_uri: %s", why);
			return 0;
		}
		ok = store(p, &c->redirect_uri, xstrdup(value));
	} else if (strcmp(name, "client_secret_file") == 0) {
		char *path = expand_home(p, value);
		if (!path)
			return 0;
		ok = store(p, &c->client_secret_file, path);
	} else if (strcmp(name, "access_type") == 0) {
		if (strcmp(value, "offline") != 0 && strcmp(value, "online") != 0) {
			fail(p, "access_type is offline or online, not '%s'", value);
			return 0;
		}
		ok = store(p, &c->access_type, xstrdup(value));
	} else if (strcmp(name, "lock_timeout") == 0) {
		if (!parse_long(value, 0, 3600, &c->lock_timeout)) {
			fail(p, "lock_timeout is a whole number of seconds from 0 to 3600, not '%s'", value);
			return 0;
		}
	} else if (strcmp(name, "keyring_timeout") == 0) {
		if (!parse_long(value, 1, 600, &c->keyring_timeout)) {
			fail(p, "keyring_timeout is a whole number of seconds from 1 to 600, not '%s'", value);
			return 0;
		}
	} else if (strcmp(name, "preflight") == 0) {
		if (strcmp(value, "yes") != 0 && strcmp(value, "no") != 0) {
			fail(p, "preflight is yes or no, not '%s'", value);
			return 0;
		}
		c->no_preflight = strcmp(value, "no") == 0;
	} else if (strcmp(name, "store") == 0) {
		if (!store_spec_ok(value, why, sizeof(why))) {
			fail(p, "store: %s", why);
			return 0;
		}
		ok = store(p, &c->store, xstrdup(value));
	} else if (strcmp(name, "client_secret") == 0) {
		fail(p, "the client secret does not belong in the config file: put it in a file "
			"of its own (chmod 600) and name that with client_secret_file");
		return 0;
	} else {
		fail(p, "unknown setting '%s' (known: client_id, dc, accounts_url, scope, "
			"redirect_uri, client_secret_file, access_type, lock_timeout, store, "
			"keyring_timeout, preflight)", name);
		return 0;
	}
	if (!ok) {
		fail(p, "out of memory");
		config_finish(&scratch);
		return 0;
	}
	if (c->dc && c->accounts_url) {
		fail(p, "[%s] sets both dc and accounts_url: keep one", section);
		return 0;
	}
	config_finish(&scratch);
	return ok;
}

bool store_spec_ok(const char *spec, char *why, size_t why_len)
{
	if (strcmp(spec, "file") == 0 || strcmp(spec, "keyring") == 0)
		return true;
	bool uri = strncmp(spec, "postgresql://", 13) == 0 || strncmp(spec, "postgres://", 11) == 0;
	if (!uri && strncmp(spec, "service=", 8) != 0) {
		snprintf(why, why_len, "'%.40s' is not a store: use file, keyring, postgresql://... or "
			"service=NAME", spec);
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
	return true;
}

char *config_default_path(void)
{
	char path[4096];
	const char *base = getenv("XDG_CONFIG_HOME");
	int n;
	if (base && base[0] == '/') {
		n = snprintf(path, sizeof(path), "%s/zoho-oauth/config", base);
	} else {
		const char *home = home_dir();
		if (!home)
			return NULL;
		n = snprintf(path, sizeof(path), "%s/.config/zoho-oauth/config", home);
	}
	return n > 0 && (size_t)n < sizeof(path) ? xstrdup(path) : NULL;
}

static bool parse_text(const char *text, size_t len, const char *name, const char *profile,
		struct config_profile *out, char ***names, size_t *n_names);

bool config_parse(const char *text, size_t len, const char *name, const char *profile,
		struct config_profile *out)
{
	return parse_text(text, len, name, profile, out, NULL, NULL);
}

void config_names_free(char **names, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(names[i]);
	free(names);
}

bool config_profile_names(const char *path, char ***names, size_t *n)
{
	struct buf text = { 0 };
	struct config_profile none;
	*names = NULL;
	*n = 0;
	switch (secure_read(path, NULL, CONFIG_MAX, true, &text, NULL)) {
	case READ_MISSING:
		return true;
	case READ_FAILED:
		return false;
	case READ_OK:
		break;
	}
	/* No profile is named "": only the names are kept. */
	bool ok = parse_text(text.data, text.len, path, "", &none, names, n);
	buf_finish(&text);
	if (ok)
		config_finish(&none);
	return ok;
}

static bool parse_text(const char *text, size_t len, const char *name, const char *profile,
		struct config_profile *out, char ***names, size_t *n_names)
{
	memset(out, 0, sizeof(*out));
	out->lock_timeout = -1;
	out->keyring_timeout = -1;
	struct parse p = {
		.path = name, .profile = profile, .out = out,
		.text = text, .len = len,
		.section = "\x01",
		.collect = names != NULL,
	};
	int rc = ini_parse_stream(reader, &p, handler, &p);
	if (rc != 0 && !p.error) {
		/* inih found a syntax error itself (a line without '=', an
		 * unclosed '['); its count matches ours since no line was cut. */
		p.line = rc;
		fail(&p, "not a 'name = value' line or a [section] header");
	}
	if (p.error) {
		config_finish(out);
		config_names_free(p.names, p.n_names);
		return false;
	}
	if (names) {
		*names = p.names;
		*n_names = p.n_names;
	}
	return true;
}

bool config_load(const char *path, const char *profile, struct config_profile *out)
{
	struct buf text = { 0 };
	memset(out, 0, sizeof(*out));
	out->lock_timeout = -1;
	out->keyring_timeout = -1;

	switch (secure_read(path, NULL, CONFIG_MAX, true, &text, NULL)) {
	case READ_MISSING:
		return true;
	case READ_FAILED:
		return false;
	case READ_OK:
		break;
	}
	bool ok = config_parse(text.data, text.len, path, profile, out);
	buf_finish(&text);
	return ok;
}

void config_finish(struct config_profile *c)
{
	free(c->client_id);
	free(c->dc);
	free(c->accounts_url);
	free(c->scope);
	free(c->redirect_uri);
	free(c->client_secret_file);
	free(c->access_type);
	free(c->store);
	memset(c, 0, sizeof(*c));
	c->lock_timeout = -1;
	c->keyring_timeout = -1;
}

size_t config_offer_profiles(const char *path, const char *typo, struct text_nearest *near,
		char (*names)[65], size_t n)
{
	char **all;
	size_t count, used = 0;
	if (!path || !config_profile_names(path, &all, &count))
		return 0;
	for (size_t i = 0; i < count && used < n; i++) {
		if (strlen(all[i]) >= sizeof(names[0]))
			continue;
		memcpy(names[used], all[i], strlen(all[i]) + 1);
		text_nearest_offer(near, typo, strlen(typo), names[used++]);
	}
	config_names_free(all, count);
	return used;
}

static bool same_text(const char *a, const char *b)
{
	return (!a && !b) || (a && b && strcmp(a, b) == 0);
}

static bool same_profile(const struct config_profile *a, const struct config_profile *b)
{
	return same_text(a->client_id, b->client_id) && same_text(a->dc, b->dc) &&
		same_text(a->accounts_url, b->accounts_url) && same_text(a->scope, b->scope) &&
		same_text(a->redirect_uri, b->redirect_uri) &&
		same_text(a->client_secret_file, b->client_secret_file) &&
		same_text(a->access_type, b->access_type) && a->lock_timeout == b->lock_timeout &&
		a->keyring_timeout == b->keyring_timeout && a->no_preflight == b->no_preflight &&
		same_text(a->store, b->store);
}

int config_save_section(const char *path, const char *name, const char *body, bool dry_run)
{
	struct buf old = { 0 }, text = { 0 };
	struct config_profile had, want;
	int result = -1;

	switch (secure_read(path, NULL, CONFIG_MAX, true, &old, NULL)) {
	case READ_FAILED:
		return -1;
	case READ_MISSING:
	case READ_OK:
		break;
	}
	/* The new section as the reader will see it: first on its own, so
	 * that a mistake is ours to report, not a line of the user's file. */
	bool ok = buf_append_str(&text, "[profile ") && buf_append_str(&text, name) &&
		buf_append_str(&text, "]\n") && buf_append_str(&text, body);
	if (!ok) {
		log_error("out of memory");
		goto out;
	}
	if (!config_parse(text.data, text.len, "the new profile", name, &want)) {
		log_error("the settings of this login cannot be written as [profile %s]", name);
		goto out;
	}
	if (!config_parse(old.data ? old.data : "", old.len, path, name, &had)) {
		config_finish(&want);
		goto out;
	}
	if (had.found) {
		result = same_profile(&had, &want) ? 1 : -1;
		if (result < 0)
			log_error("%s already has a [profile %s] section with other settings: pick "
				"another name for --save-profile, or change that section yourself", path, name);
	} else if (dry_run) {
		result = secure_write_possible(path) ? 0 : -1;
	} else {
		struct buf all = { 0 };
		ok = true;
		if (old.len > 0) {
			ok = buf_append(&all, old.data, old.len) &&
				(old.data[old.len - 1] == '\n' || buf_append_str(&all, "\n")) &&
				buf_append_str(&all, "\n");
		}
		ok = ok && buf_append(&all, text.data, text.len);
		if (!ok)
			log_error("out of memory");
		else if (secure_write(path, all.data, all.len))
			result = 0;
		buf_finish(&all);
	}
	config_finish(&had);
	config_finish(&want);
out:
	buf_finish(&old);
	buf_finish(&text);
	return result;
}
