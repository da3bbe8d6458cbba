#include <errno.h>
#include <stdarg.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <ini.h>

#include "core/log.h"
#include "core/paths.h"
#include "core/secure-file.h"
#include "core/text.h"
#include "core/util.h"
#include "settings/config-file.h"
#include "settings/keys.h"
#include "settings/profile.h"

#define CONFIG_MAX (64 * 1024)
#define SECTION_MAX 80

/* Every setting a profile's section may hold, for "unknown setting" and
 * its did-you-mean. */
static const char *const known_keys[] = {
	"client_id", "dc", "accounts_url", "scope", "redirect_uri", "client_secret_file",
	"access_type", "lock_timeout", "store", "keyring_timeout", "preflight", "live_tokens",
	"refresh_ahead", "check_interval", "machine_offset",
};

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
	char header[SECTION_MAX]; /* the reader's idea of the section (for lines inih refuses) */
	int problem_line;      /* one problem a line */
	/* Per section: which keys were set, to refuse duplicates. */
	char section[SECTION_MAX];
	char seen[16][CONFIG_KEY_MAX];
	int n_seen;
	char refused_section[SECTION_MAX]; /* a section said to be no profile's, once */
	/* config_profile_names(): every section's profile, in order. */
	char **names;
	size_t n_names;
	bool collect;
};

static bool is_mine(const struct parse *p, const char *section)
{
	return strncmp(section, "profile ", 8) == 0 && strcmp(section + 8, p->profile) == 0;
}

static void problem(struct parse *p, const char *section, const char *key, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

/* What is wrong on the current line, kept as a problem of its section;
 * the reading goes on. */
static void problem(struct parse *p, const char *section, const char *key, const char *fmt, ...)
{
	char msg[512];
	va_list ap;
	if (p->problem_line == p->line)
		return; /* the first problem of a line is the one to fix */
	p->problem_line = p->line;
	struct config_problem *pr = p->out->n_problems < CONFIG_PROBLEMS_MAX ?
		&p->out->problems[p->out->n_problems] : NULL;
	p->out->n_problems++;
	if (!pr)
		return;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	snprintf(pr->text, sizeof(pr->text), "%.600s:%d: %s", p->path, p->line, msg);
	snprintf(pr->section, sizeof(pr->section), "%s", section);
	snprintf(pr->key, sizeof(pr->key), "%s", key);
	pr->mine = is_mine(p, section);
}

/* The section header on a line of text, if it is one: "[NAME]". */
static bool header_of(const char *line, size_t n, char *out, size_t out_len)
{
	while (n > 0 && (*line == ' ' || *line == '\t')) {
		line++;
		n--;
	}
	while (n > 0 && (line[n - 1] == '\n' || line[n - 1] == '\r' || line[n - 1] == ' ' ||
			line[n - 1] == '\t'))
		n--;
	if (n < 2 || line[0] != '[' || line[n - 1] != ']')
		return false;
	snprintf(out, out_len, "%.*s", (int)(n - 2), line + 1);
	return true;
}

/* inih's reader: hands out one line at a time and counts them. A line
 * longer than inih's buffer, or with a NUL byte, is a problem of its own
 * and handed out blank, so that nothing of it is misread. */
static char *reader(char *str, int num, void *stream)
{
	struct parse *p = stream;
	if (p->pos >= p->len)
		return NULL;
	const char *start = p->text + p->pos;
	const char *nl = memchr(start, '\n', p->len - p->pos);
	size_t n = nl ? (size_t)(nl - start) + 1 : p->len - p->pos;
	p->pos += n;
	p->line++;
	header_of(start, n, p->header, sizeof(p->header));
	if (memchr(start, '\0', n)) {
		problem(p, p->header, "", "the line holds a NUL byte");
		strcpy(str, "\n");
		return str;
	}
	if (n >= (size_t)num) {
		problem(p, p->header, "", "the line is longer than %d characters: split a long scope "
			"list over several lines, indenting the continued ones", num - 2);
		strcpy(str, "\n");
		return str;
	}
	memcpy(str, start, n);
	str[n] = '\0';
	p->continuation = n > 0 && (start[0] == ' ' || start[0] == '\t');
	return str;
}

static char *expand_home(struct parse *p, const char *section, const char *value)
{
	char path[PATH_MAX];
	if (value[0] == '/')
		return xstrdup(value);
	if (value[0] == '~' && value[1] == '/') {
		const char *home = home_dir();
		if (home && (size_t)snprintf(path, sizeof(path), "%s%s", home, value + 1) < sizeof(path))
			return xstrdup(path);
	}
	problem(p, section, "client_secret_file", "client_secret_file must be an absolute path or "
		"start with ~/");
	return NULL;
}

static void store(char **slot, char *value)
{
	free(*slot);
	*slot = value;
}

/* A list of profile names, each once, in the file's order. */
static bool collect_name(struct parse *p, const char *name)
{
	for (size_t i = 0; i < p->n_names; i++)
		if (strcmp(p->names[i], name) == 0)
			return true;
	char **more = realloc(p->names, (p->n_names + 1) * sizeof(*more));
	if (more)
		p->names = more;
	char *copy = more ? xstrdup(name) : NULL;
	if (!copy)
		return false;
	p->names[p->n_names++] = copy;
	return true;
}

/* One setting of a profile's section, checked, into c. */
static void setting(struct parse *p, const char *section, const char *name, const char *value,
		struct config_profile *c)
{
	char why[KEY_WHY_MAX];
	char *text = NULL;
	bool ok = true;

	if (strcmp(name, "client_id") == 0) {
		if ((ok = key_client_id(value, &text, why, sizeof(why))))
			store(&c->client_id, text);
	} else if (strcmp(name, "dc") == 0) {
		const struct zoho_dc *dc;
		if ((ok = key_dc(value, &dc, why, sizeof(why))))
			store(&c->dc, xstrdup(value));
	} else if (strcmp(name, "accounts_url") == 0) {
		if ((ok = key_accounts_url(value, &text, why, sizeof(why))))
			store(&c->accounts_url, text);
	} else if (strcmp(name, "scope") == 0) {
		/* A continued list may end its line with a comma. */
		char *trimmed = xstrdup(value);
		if (!trimmed)
			return;
		size_t tl = strlen(trimmed);
		if (tl > 0 && trimmed[tl - 1] == ',')
			trimmed[tl - 1] = '\0';
		const char *items[2] = { c->scope, trimmed };
		ok = key_scope(c->scope ? items : items + 1, c->scope ? 2 : 1, &text, why, sizeof(why));
		free(trimmed);
		if (ok)
			store(&c->scope, text);
	} else if (strcmp(name, "redirect_uri") == 0) {
		if ((ok = key_redirect_uri(value, &text, why, sizeof(why))))
			store(&c->redirect_uri, text);
	} else if (strcmp(name, "client_secret_file") == 0) {
		if ((text = expand_home(p, section, value)))
			store(&c->client_secret_file, text);
		return;
	} else if (strcmp(name, "access_type") == 0) {
		bool offline;
		if ((ok = key_access_type(value, &offline, why, sizeof(why))))
			store(&c->access_type, xstrdup(value));
	} else if (strcmp(name, "lock_timeout") == 0) {
		ok = key_seconds(value, 0, 3600, &c->lock_timeout, why, sizeof(why));
	} else if (strcmp(name, "keyring_timeout") == 0) {
		ok = key_seconds(value, 1, 600, &c->keyring_timeout, why, sizeof(why));
	} else if (strcmp(name, "live_tokens") == 0) {
		ok = key_count(value, 1, ZOHO_LIVE_TOKENS_MOST, &c->live_tokens, why, sizeof(why));
	} else if (strcmp(name, "check_interval") == 0) {
		ok = key_seconds(value, 1, 3600, &c->check_interval, why, sizeof(why));
	} else if (strcmp(name, "machine_offset") == 0) {
		if (strcmp(value, "auto") == 0)
			c->machine_offset = -1;
		else if (!(ok = key_count(value, 0, 100, &c->machine_offset, why, sizeof(why))))
			snprintf(why, sizeof(why), "is auto or a whole number from 0 to 100");
	} else if (strcmp(name, "refresh_ahead") == 0) {
		bool yes;
		if ((ok = key_yes_no(value, &yes, why, sizeof(why))))
			c->refresh_ahead = yes;
	} else if (strcmp(name, "preflight") == 0) {
		bool yes;
		if ((ok = key_yes_no(value, &yes, why, sizeof(why))))
			c->no_preflight = !yes;
	} else if (strcmp(name, "store") == 0) {
		if ((ok = key_store(value, &text, why, sizeof(why))))
			store(&c->store, text);
	} else if (strcmp(name, "client_secret") == 0) {
		problem(p, section, name, "the client secret does not belong in the config file: put "
			"it in a file of its own (chmod 600) and name that with client_secret_file");
		return;
	} else {
		struct text_nearest near = { 0 };
		for (size_t i = 0; i < sizeof(known_keys) / sizeof(known_keys[0]); i++)
			text_nearest_offer(&near, name, strlen(name), known_keys[i]);
		if (near.name)
			problem(p, section, name, "unknown setting '%s': did you mean '%s'?", name,
				near.name);
		else
			problem(p, section, name, "unknown setting '%s' (known: client_id, dc, "
				"accounts_url, scope, redirect_uri, client_secret_file, access_type, "
				"lock_timeout, store, keyring_timeout, preflight, live_tokens, "
				"refresh_ahead, check_interval, machine_offset)", name);
		return;
	}
	if (!ok)
		problem(p, section, name, strncmp(why, "is ", 3) == 0 ? "%s %s" : "%s: %s", name, why);
	if (c->dc && c->accounts_url)
		problem(p, section, name, "[%s] sets both dc and accounts_url: keep one", section);
}

static int handler(void *user, const char *section, const char *name, const char *value)
{
	struct parse *p = user;

	/* inih never passes NULL; GCC cannot know that under -fsanitize. */
	section = section ? section : "";
	if (strcmp(section, p->section) != 0) {
		snprintf(p->section, sizeof(p->section), "%s", section);
		p->n_seen = 0;
	}
	if (strncmp(section, "profile ", 8) != 0 || !profile_name_ok(section + 8)) {
		if (!*section)
			problem(p, section, name, "'%s' comes before any [profile NAME] section", name);
		else if (strcmp(p->refused_section, section) != 0)
			problem(p, section, "", "[%s] is not a section this file has: use [profile NAME] "
				"(letters, digits, '.', '_', '-')", section);
		snprintf(p->refused_section, sizeof(p->refused_section), "%s", section);
		return 1;
	}
	if (p->collect && !collect_name(p, section + 8)) {
		problem(p, section, "", "out of memory");
		return 1;
	}
	bool mine = is_mine(p, section);
	if (mine)
		p->out->found = true;

	/* A key given again is a continuation only for scope, on an indented
	 * line; anything else given twice is a problem. */
	bool again = false;
	for (int i = 0; i < p->n_seen; i++)
		if (strcmp(p->seen[i], name) == 0)
			again = true;
	if (again && p->continuation && strcmp(name, "scope") != 0) {
		problem(p, section, name, "only scope may go on over indented lines ('%s' does here)",
			name);
		return 1;
	}
	if (again && !p->continuation) {
		problem(p, section, name, "'%s' is set twice in [%s]", name, section);
		return 1;
	}
	if (!again && p->n_seen < 16)
		snprintf(p->seen[p->n_seen++], sizeof(p->seen[0]), "%s", name);

	/* Another profile's settings are checked too (its mistakes are said,
	 * as warnings), and dropped. */
	struct config_profile scratch = { .lock_timeout = -1, .keyring_timeout = -1,
		.live_tokens = -1, .refresh_ahead = -1, .check_interval = -1,
		.machine_offset = -1 };
	setting(p, section, name, value, mine ? p->out : &scratch);
	config_finish(&scratch);
	return 1;
}

const struct config_problem *config_problem_of(const struct config_profile *c, const char *key)
{
	int kept = c->n_problems < CONFIG_PROBLEMS_MAX ? c->n_problems : CONFIG_PROBLEMS_MAX;
	for (int i = 0; i < kept; i++)
		if (c->problems[i].mine && (!key || strcmp(c->problems[i].key, key) == 0))
			return &c->problems[i];
	return NULL;
}

char *config_default_path(void)
{
	char path[PATH_MAX];
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

static void init(struct config_profile *out)
{
	memset(out, 0, sizeof(*out));
	out->lock_timeout = -1;
	out->keyring_timeout = -1;
	out->live_tokens = -1;
	out->refresh_ahead = -1;
	out->check_interval = -1;
	out->machine_offset = -1;
}

static void parse_text(const char *text, size_t len, const char *name, const char *profile,
		struct config_profile *out, char ***names, size_t *n_names)
{
	init(out);
	struct parse p = {
		.path = name, .profile = profile, .out = out,
		.text = text, .len = len,
		.section = "\x01",
		.collect = names != NULL,
	};
	int rc = ini_parse_stream(reader, &p, handler, &p);
	if (rc > 0) {
		/* inih found a line that is none (no '=', an unclosed '['); its
		 * count matches ours since no line was cut. Only the first is
		 * told: whose section is it in? */
		char section[SECTION_MAX] = "";
		size_t pos = 0;
		for (int line = 1; line <= rc && pos < len; line++) {
			const char *start = text + pos;
			const char *nl = memchr(start, '\n', len - pos);
			size_t n = nl ? (size_t)(nl - start) + 1 : len - pos;
			if (line < rc)
				header_of(start, n, section, sizeof(section));
			pos += n;
		}
		p.line = rc;
		problem(&p, section, "", "not a 'name = value' line or a [section] header");
	}
	if (names) {
		*names = p.names;
		*n_names = p.n_names;
	} else {
		config_names_free(p.names, p.n_names);
	}
}

void config_parse(const char *text, size_t len, const char *name, const char *profile,
		struct config_profile *out)
{
	parse_text(text, len, name, profile, out, NULL, NULL);
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
	parse_text(text.data, text.len, path, "", &none, names, n);
	buf_finish(&text);
	config_finish(&none);
	return true;
}

bool config_load(const char *path, const char *profile, struct config_profile *out)
{
	struct buf text = { 0 };
	init(out);
	switch (secure_read(path, NULL, CONFIG_MAX, true, &text, NULL)) {
	case READ_MISSING:
		return true;
	case READ_FAILED:
		return false;
	case READ_OK:
		break;
	}
	config_parse(text.data, text.len, path, profile, out);
	buf_finish(&text);
	return true;
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
	init(c);
}

size_t config_offer_profiles(const char *path, const char *typo, struct text_nearest *near,
		char (*names)[65], size_t n)
{
	char **all;
	size_t count, used = 0;
	struct report quiet;
	report_open(&quiet);
	bool ok = path && config_profile_names(path, &all, &count);
	report_drop(&quiet);
	if (!ok)
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
	config_parse(text.data, text.len, "the new profile", name, &want);
	if (want.n_problems > 0) {
		log_error("the settings of this login cannot be written as [profile %s] (%s)", name,
			want.problems[0].text);
		config_finish(&want);
		goto out;
	}
	/* Another section's mistakes are not this one's business. */
	config_parse(old.data ? old.data : "", old.len, path, name, &had);
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
