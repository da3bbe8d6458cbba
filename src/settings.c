#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "log.h"
#include "settings.h"
#include "status.h"
#include "util.h"

#define DEFAULT_REDIRECT_URI "http://localhost:8976/callback"
#define DEFAULT_TIMEOUT 300
#define DEFAULT_CONNECT_TIMEOUT 10
#define DEFAULT_MAX_TIME 30

bool profile_name_ok(const char *name)
{
	size_t len = strlen(name);
	return len > 0 && len <= 64 && name[0] != '.' &&
		strspn(name, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._-") == len;
}

static const char *home_dir(void)
{
	const char *home = getenv("HOME");
	if (home && home[0] == '/')
		return home;
	struct passwd *pw = getpwuid(getuid());
	return pw && pw->pw_dir && pw->pw_dir[0] == '/' ? pw->pw_dir : NULL;
}

char *default_token_file(const char *profile)
{
	char path[4096];
	const char *data = getenv("XDG_DATA_HOME");
	int n;
	/* The XDG spec says to ignore a relative value. */
	if (data && data[0] == '/') {
		n = snprintf(path, sizeof(path), "%s/zoho-oauth/%s.json", data, profile);
	} else {
		const char *home = home_dir();
		if (!home) {
			log_error("cannot find your home directory: set HOME or XDG_DATA_HOME, "
				"or pass --token-file");
			return NULL;
		}
		n = snprintf(path, sizeof(path), "%s/.local/share/zoho-oauth/%s.json", home, profile);
	}
	if (n < 0 || (size_t)n >= sizeof(path)) {
		log_error("the token file path is too long: pass --token-file");
		return NULL;
	}
	return xstrdup(path);
}

static bool client_id_ok(const char *id)
{
	size_t len = strlen(id);
	return len > 0 && len <= 256 &&
		strspn(id, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._-") == len;
}

static char *dup_or_null(const char *s)
{
	return s ? xstrdup(s) : NULL;
}

int settings_resolve(const struct cli *cli, struct settings *s)
{
	char why[512];
	memset(s, 0, sizeof(*s));
	s->cmd = cli->cmd;

	log_set_level(cli->verbosity < 0 ? LOG_QUIET : cli->verbosity > 0 ? LOG_VERBOSE : LOG_NORMAL);

	const char *profile = cli->profile ? cli->profile : "default";
	if (!profile_name_ok(profile)) {
		log_error("profile name '%.64s' is not allowed: use letters, digits, '.', '_' and '-'",
			profile);
		return ZO_USAGE;
	}
	if (!(s->profile = xstrdup(profile)))
		return ZO_FAILURE;

	if (cli->token_file) {
		if (!*cli->token_file) {
			log_error("--token-file is empty");
			return ZO_USAGE;
		}
		s->token_file = xstrdup(cli->token_file);
	} else {
		s->token_file = default_token_file(s->profile);
	}
	if (!s->token_file)
		return ZO_FAILURE;

	const char *client_id = cli->client_id ? cli->client_id : getenv("ZOHO_CLIENT_ID");
	if (client_id && *client_id) {
		if (!client_id_ok(client_id)) {
			log_error("client id '%.64s' does not look like one from Zoho's API console "
				"(letters, digits, '.', '_', '-')", client_id);
			return ZO_USAGE;
		}
		s->client_id = xstrdup(client_id);
	}
	s->client_secret_file = dup_or_null(cli->client_secret_file);

	if (cli->accounts_url) {
		if (!zoho_accounts_url_check(cli->accounts_url, &s->accounts_url, why, sizeof(why))) {
			log_error("--accounts-url: %s", why);
			return ZO_USAGE;
		}
		s->dc = zoho_dc_by_accounts(s->accounts_url);
		if (cli->dc)
			log_warn("--accounts-url overrides --dc");
	} else {
		const char *dc = cli->dc ? cli->dc : "us";
		s->dc = zoho_dc_by_location(dc);
		if (!s->dc) {
			log_error("unknown data centre '%.16s': use one of %s", dc, zoho_dc_list());
			return ZO_USAGE;
		}
		s->accounts_url = xstrdup(s->dc->accounts);
	}

	s->redirect_uri = xstrdup(cli->redirect_uri ? cli->redirect_uri : DEFAULT_REDIRECT_URI);

	if (cli->n_scopes > 0 && !zoho_scope_join(cli->scopes, cli->n_scopes, &s->scope, why, sizeof(why))) {
		log_error("--scope: %s", why);
		return ZO_USAGE;
	}

	const char *access_type = cli->access_type ? cli->access_type : "offline";
	if (strcmp(access_type, "offline") == 0) {
		s->offline = true;
	} else if (strcmp(access_type, "online") != 0) {
		log_error("--access-type is offline or online, not '%.16s'", access_type);
		return ZO_USAGE;
	}
	s->consent_prompt = !cli->no_consent_prompt;
	s->pkce = !cli->no_pkce;
	s->open_browser = !cli->no_browser;
	s->timeout = cli->timeout > 0 ? cli->timeout : DEFAULT_TIMEOUT;
	s->net.connect_timeout = cli->connect_timeout > 0 ? cli->connect_timeout : DEFAULT_CONNECT_TIMEOUT;
	s->net.max_time = cli->max_time > 0 ? cli->max_time : DEFAULT_MAX_TIME;
	if (cli->cacert) {
		if (access(cli->cacert, R_OK) != 0) {
			log_error("--cacert %s cannot be read", cli->cacert);
			return ZO_USAGE;
		}
		s->cacert = xstrdup(cli->cacert);
		s->net.cacert = s->cacert;
	}
	if (!s->redirect_uri || !s->accounts_url)
		return ZO_FAILURE;
	return ZO_OK;
}

void settings_finish(struct settings *s)
{
	free(s->profile);
	free(s->token_file);
	free(s->client_id);
	free(s->client_secret_file);
	free(s->accounts_url);
	free(s->redirect_uri);
	free(s->scope);
	free(s->cacert);
	memset(s, 0, sizeof(*s));
}
