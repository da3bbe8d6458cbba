#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/ask.h"
#include "core/exit-status.h"
#include "core/log.h"
#include "core/paths.h"
#include "core/signals.h"
#include "core/util.h"
#include "settings/config-file.h"
#include "settings/defaults.h"
#include "settings/secret.h"
#include "settings/settings.h"
#include "zoho/scopes.h"


static const char *first(const char *a, const char *b, const char *c)
{
	return a && *a ? a : b && *b ? b : c && *c ? c : NULL;
}

/*
 * Hold the scopes asked for against those Zoho documents: a near miss of
 * a documented one (ZohoCliq.channels.read) gets a did-you-mean. Zoho
 * does not say whether case matters, so on a pipe that is a warning and
 * the scope goes as given; on a terminal the user chooses.
 */
static int check_scopes(struct settings *s)
{
	char *items[CLI_MAX_SCOPES * 4];
	size_t n = 0;
	bool changed = false;
	int status = ZO_OK;

	if (!s->scope)
		return ZO_OK;
	for (const char *p = s->scope; *p && n < sizeof(items) / sizeof(items[0]);) {
		size_t len = strcspn(p, ",");
		char near[96], shown[96];
		items[n] = xstrndup(p, len);
		if (!items[n]) {
			status = ZO_FAILURE;
			break;
		}
		if (zoho_scope_suggest(p, len, near, sizeof(near))) {
			printable_copy(shown, sizeof(shown), items[n]);
			if (!ask_possible()) {
				log_warn("scope %s is not one Zoho documents: did you mean %s? (asking for "
					"%s as given, since Zoho does not document whether case matters)",
					shown, near, shown);
			} else {
				char question[256];
				log_warn("scope %s is not one Zoho documents: did you mean %s?", shown,
					near);
				snprintf(question, sizeof(question), "use %s instead?", near);
				int yes = ask_yes_no(question);
				if (yes < 0) {
					status = ZO_INTERRUPTED + signals_caught();
					n++;
					break;
				}
				if (yes) {
					free(items[n]);
					items[n] = xstrdup(near);
					changed = true;
					if (!items[n]) {
						status = ZO_FAILURE;
						break;
					}
				}
			}
		}
		n++;
		p += len + (p[len] == ',');
	}
	if (status == ZO_OK && changed) {
		char why[256], *joined = NULL;
		if (!zoho_scope_join((const char *const *)items, n, &joined, why, sizeof(why))) {
			log_error("--scope: %s", why);
			status = ZO_USAGE;
		} else {
			free(s->scope);
			s->scope = joined;
		}
	}
	for (size_t i = 0; i < n; i++)
		free(items[i]);
	return status;
}

int settings_resolve(const struct cli *cli, struct settings *s)
{
	struct config_profile cfg = { .lock_timeout = -1 };
	char why[512];
	int status = ZO_USAGE;

	memset(s, 0, sizeof(*s));
	s->cmd = cli->cmd;
	log_set_level(cli->verbosity < 0 ? LOG_QUIET : cli->verbosity > 0 ? LOG_VERBOSE : LOG_NORMAL);

	const char *profile = profile_wanted(cli->profile);
	if (!profile_name_ok(profile)) {
		log_error("profile name '%.64s' is not allowed: use letters, digits, '.', '_' and '-'",
			profile);
		goto out;
	}
	if (!(s->profile = xstrdup(profile)))
		goto oom;

	const char *token_file = token_file_wanted(cli->token_file);
	if (cli->token_file && !*cli->token_file) {
		log_error("--token-file is empty");
		goto out;
	}
	if (token_file && strcmp(token_file, "-") == 0 && s->cmd != CMD_LOGIN &&
			s->cmd != CMD_EXCHANGE) {
		log_error("--token-file - (standard output) is for login and exchange only: '%s' "
			"needs the file", command_name(s->cmd));
		goto out;
	}
	s->token_file = token_file ? xstrdup(token_file) : default_token_file(s->profile, false);
	if (!s->token_file)
		goto oom;

	/* Every command reads the profile's section: login and exchange use all
	 * of it, the others what says how to wait (the token file has the
	 * rest). A cached token is served by the front without any of this. */
	s->config_path = config_default_path();
	if (s->config_path && !config_load(s->config_path, s->profile, &cfg))
		goto out;

	const char *client_id = first(cli->client_id, getenv("ZOHO_CLIENT_ID"), cfg.client_id);
	if (client_id) {
		if (!zoho_client_id_ok(client_id)) {
			log_error("client id '%.64s' does not look like one from Zoho's API console "
				"(letters, digits, '.', '_', '-')", client_id);
			goto out;
		}
		if (!(s->client_id = xstrdup(client_id)))
			goto oom;
	}
	/* The secret: --client-secret-file, then ZOHO_CLIENT_SECRET, then the
	 * config's client_secret_file, then the prompt. */
	const char *secret_file = cli->client_secret_file;
	if (!secret_file && !secret_in_environment())
		secret_file = cfg.client_secret_file;
	if (secret_file && !(s->client_secret_file = xstrdup(secret_file)))
		goto oom;
	if (secret_file == cli->client_secret_file)
		snprintf(s->client_secret_label, sizeof(s->client_secret_label),
			"the file given with --client-secret-file");
	else
		snprintf(s->client_secret_label, sizeof(s->client_secret_label),
			"the client_secret_file of [profile %s]", s->profile);

	const char *url = cli->accounts_url;
	const char *dc = cli->dc;
	if (!url && !dc) {
		url = cfg.accounts_url;
		dc = cfg.dc;
	}
	if (url) {
		if (!zoho_accounts_url_check(url, &s->accounts_url, why, sizeof(why))) {
			log_error("--accounts-url: %s", why);
			goto out;
		}
		s->dc = zoho_dc_by_accounts(s->accounts_url);
		if (dc)
			log_warn("--accounts-url overrides --dc");
	} else {
		s->dc = zoho_dc_by_location(dc ? dc : "us");
		if (!s->dc) {
			log_error("unknown data centre '%.16s': use one of %s", dc, zoho_dc_list());
			goto out;
		}
		if (!(s->accounts_url = xstrdup(s->dc->accounts)))
			goto oom;
	}

	s->redirect_uri = xstrdup(first(cli->redirect_uri, cfg.redirect_uri, DEFAULT_REDIRECT_URI));
	if (!s->redirect_uri)
		goto oom;

	if (cli->n_scopes > 0) {
		if (!zoho_scope_join(cli->scopes, cli->n_scopes, &s->scope, why, sizeof(why))) {
			log_error("--scope: %s", why);
			goto out;
		}
	} else if (cfg.scope && !(s->scope = xstrdup(cfg.scope))) {
		goto oom;
	}
	if (s->cmd == CMD_LOGIN || s->cmd == CMD_EXCHANGE) {
		int checked = check_scopes(s);
		if (checked != ZO_OK) {
			status = checked;
			goto out;
		}
	}

	const char *access_type = first(cli->access_type, cfg.access_type, "offline");
	if (strcmp(access_type, "offline") == 0) {
		s->offline = true;
	} else if (strcmp(access_type, "online") != 0) {
		log_error("--access-type is offline or online, not '%.16s'", access_type);
		goto out;
	}
	s->consent_prompt = !cli->no_consent_prompt;
	s->pkce = !cli->no_pkce;
	s->open_browser = !cli->no_browser;
	s->preflight = !cli->no_preflight && !cfg.no_preflight;
	s->force = cli->force;
	s->device = cli->device;
	if (cli->code && !(s->code = xstrdup(cli->code)))
		goto oom;
	s->json = cli->json;
	s->local = cli->local;
	s->timeout = cli->timeout > 0 ? cli->timeout : DEFAULT_TIMEOUT;
	s->min_valid = cli->min_valid >= 0 ? cli->min_valid : DEFAULT_MIN_VALID;
	s->net.connect_timeout = cli->connect_timeout > 0 ? cli->connect_timeout : DEFAULT_CONNECT_TIMEOUT;
	s->net.max_time = cli->max_time > 0 ? cli->max_time : DEFAULT_MAX_TIME;
	/* A healthy refresher finishes within its network limits: wait a
	 * little longer than ours by default. */
	s->lock_timeout = cli->lock_timeout >= 0 ? cli->lock_timeout :
		cfg.lock_timeout >= 0 ? cfg.lock_timeout : DEFAULT_LOCK_TIMEOUT(s->net.max_time);
	/* The front waited already (for a refresher that then failed, or past
	 * the limit): only what is left. */
	const char *waited = getenv("ZOHO_OAUTH_LOCK_WAITED");
	long waited_ms;
	if (waited && parse_long(waited, 0, 3600 * 1000, &waited_ms)) {
		s->lock_waited = waited_ms / 1000 < s->lock_timeout ? waited_ms / 1000 : s->lock_timeout;
		s->lock_timeout -= s->lock_waited;
	}
	unsetenv("ZOHO_OAUTH_LOCK_WAITED");
	s->keyring_timeout = cli->keyring_timeout > 0 ? cli->keyring_timeout :
		cfg.keyring_timeout > 0 ? cfg.keyring_timeout : DEFAULT_KEYRING_TIMEOUT;
	const char *store = cli->store ? cli->store : cfg.store;
	if (store) {
		if (!store_spec_ok(store, why, sizeof(why))) {
			log_error("--store: %s", why);
			goto out;
		}
		if (!(s->store = xstrdup(store)))
			goto oom;
	}
	if (cli->service && !zoho_service_known(cli->service)) {
		char shown[24];
		printable_copy(shown, sizeof(shown), cli->service);
		log_error("--service is cliq or api, not '%s'", shown);
		goto out;
	}
	s->service = cli->service;
	for (size_t i = 0; i < cli->n_allow_hosts; i++) {
		const char *h = cli->allow_hosts[i];
		size_t len = strlen(h);
		if (len == 0 || len > 253 || h[0] == '.' || h[0] == '-' ||
				strspn(h, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789.-") != len) {
			log_error("--allow-host wants a host name such as api.example.com (no scheme, port "
				"or path)");
			goto out;
		}
		s->allow_hosts[s->n_allow_hosts++] = h;
	}
	s->curl_args = cli->curl_args;
	s->n_curl_args = cli->n_curl_args;
	if (cli->cacert) {
		if (access(cli->cacert, R_OK) != 0) {
			log_error("--cacert %s cannot be read", cli->cacert);
			goto out;
		}
		if (!(s->cacert = xstrdup(cli->cacert)))
			goto oom;
		s->net.cacert = s->cacert;
	}
	status = ZO_OK;
	goto out;
oom:
	status = ZO_FAILURE;
out:
	config_finish(&cfg);
	return status;
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
	free(s->config_path);
	free(s->store);
	secret_free(s->code);
	memset(s, 0, sizeof(*s));
}
