#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/ask.h"
#include "core/exit-status.h"
#include "core/log.h"
#include "core/paths.h"
#include "core/signals.h"
#include "core/text.h"
#include "core/util.h"
#include "settings/config-file.h"
#include "settings/defaults.h"
#include "settings/secret.h"
#include "settings/settings.h"
#include "zoho/scopes.h"
#include "zoho/tokens.h"


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
	const char *p = s->scope;
	while (*p && n < sizeof(items) / sizeof(items[0])) {
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
	/* More scopes than items: checked as far as they go, and sent as given. */
	if (status == ZO_OK && changed && !*p) {
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

/* "a", "a and b", "a, b and c". */
static void join_words(char *out, size_t len, const char *const *words, size_t n)
{
	size_t o = 0;
	out[0] = '\0';
	for (size_t i = 0; i < n && o < len; i++)
		o += (size_t)snprintf(out + o, len - o, "%s%s", i == 0 ? "" : i + 1 == n ? " and " : ", ",
			words[i]);
}

/* "or" instead of "and" for the options. */
static void join_options(char *out, size_t len, const char *const *words, size_t n)
{
	size_t o = 0;
	out[0] = '\0';
	for (size_t i = 0; i < n && o < len; i++)
		o += (size_t)snprintf(out + o, len - o, "%s%s", i == 0 ? "" : i + 1 == n ? " or " : ", ",
			words[i]);
}

/* Zoho may list a token's scopes with spaces: as a comma-joined list. */
static char *scope_list_of(const char *scope)
{
	char *copy = xstrdup(scope), *joined = NULL;
	char why[256];
	if (!copy)
		return NULL;
	for (char *p = copy; *p; p++)
		if (*p == ' ')
			*p = ',';
	const char *items[1] = { copy };
	/* Drop the empty items of ", " between scopes. */
	char *w = copy;
	for (char *r = copy; *r; r++)
		if (!(*r == ',' && (w == copy || w[-1] == ',')))
			*w++ = *r;
	if (w > copy && w[-1] == ',')
		w--;
	*w = '\0';
	if (!zoho_scope_join(items, 1, &joined, why, sizeof(why)))
		joined = NULL;
	free(copy);
	return joined;
}

/*
 * A profile asked for by name that is neither a config section nor a
 * token file: the existing profile nearest to it, for did-you-mean
 * (s->near_profile). The profiles are the config's sections and the
 * token files beside the one this profile would have.
 */
static void find_near_profile(struct settings *s)
{
	static char names[128][65];
	struct text_nearest near = { 0 };
	size_t used = 0;

	used = config_offer_profiles(s->config_path, s->profile, &near, names, 64);
	char *mine = default_token_file(s->profile, true);
	char *slash = mine ? strrchr(mine, '/') : NULL;
	DIR *d = NULL;
	if (slash) {
		*slash = '\0';
		d = opendir(mine);
	}
	for (struct dirent *e; d && used < 128 && (e = readdir(d));) {
		size_t len = strlen(e->d_name);
		if (len <= 5 || len - 5 >= 65 || strcmp(e->d_name + len - 5, ".json") != 0)
			continue;
		memcpy(names[used], e->d_name, len - 5);
		names[used][len - 5] = '\0';
		if (profile_name_ok(names[used]))
			text_nearest_offer(&near, s->profile, strlen(s->profile), names[used++]);
	}
	if (d)
		closedir(d);
	free(mine);
	if (near.name && strcmp(near.name, s->profile) != 0)
		snprintf(s->near_profile, sizeof(s->near_profile), "%s", near.name);
}

int settings_resolve(const struct cli *cli, struct settings *s)
{
	struct config_profile cfg = { .lock_timeout = -1 };
	struct tokens old = { 0 };
	bool have_old = false;
	const char *reused[4], *reused_opts[4];
	size_t n_reused = 0;
	char why[512];
	int status = ZO_USAGE;

	memset(s, 0, sizeof(*s));
	s->cmd = cli->cmd;
	log_set_level(cli->verbosity < 0 ? LOG_QUIET : cli->verbosity > 1 ? LOG_TRACE :
		cli->verbosity > 0 ? LOG_VERBOSE : LOG_NORMAL);

	/* --save-profile NAME: this login's profile is NAME too, so that its
	 * tokens are where "login -p NAME" (and "token -p NAME") look. */
	if (cli->save_profile && (!profile_name_ok(cli->save_profile) ||
			(cli->profile && strcmp(cli->profile, cli->save_profile) != 0))) {
		if (!profile_name_ok(cli->save_profile))
			log_error("--save-profile: profile name '%.64s' is not allowed: use letters, "
				"digits, '.', '_' and '-'", cli->save_profile);
		else
			log_error("--save-profile NAME is this login's profile too: leave out --profile, "
				"or give it the same name");
		goto out;
	}
	if (cli->save_profile && !(s->save_profile = xstrdup(cli->save_profile)))
		goto oom;
	const char *env_profile = getenv("ZOHO_OAUTH_PROFILE");
	s->profile_given = cli->profile || cli->save_profile || (env_profile && *env_profile);
	s->client_id_given = cli->client_id != NULL;
	const char *profile = profile_wanted(cli->profile ? cli->profile : cli->save_profile);
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

	/* A profile named that does not exist: a first login makes it, but a
	 * typo of one that does is more likely. */
	if ((cli->profile || (env_profile && *env_profile)) && !token_file && !cfg.found &&
			access(s->token_file, F_OK) != 0 && errno == ENOENT)
		find_near_profile(s);
	if (s->near_profile[0] && s->cmd == CMD_LOGIN) {
		if (!ask_possible()) {
			log_warn("no profile \"%s\"; did you mean \"%s\"? (going on: this login makes "
				"a new profile \"%s\")", s->profile, s->near_profile, s->profile);
		} else {
			char question[160];
			log_warn("no profile \"%s\"; did you mean \"%s\"?", s->profile, s->near_profile);
			snprintf(question, sizeof(question), "use profile \"%s\" instead?", s->near_profile);
			int yes = ask_yes_no(question);
			if (yes < 0) {
				status = ZO_INTERRUPTED + signals_caught();
				goto out;
			}
			if (yes) {
				static char chosen[72];
				struct cli again = *cli;
				snprintf(chosen, sizeof(chosen), "%s", s->near_profile);
				again.profile = chosen;
				config_finish(&cfg);
				settings_finish(s);
				return settings_resolve(&again, s);
			}
		}
	}

	/* Logging in again: what the profile's tokens were made with is used
	 * for what is not given anew (the command line, the environment, the
	 * config file), and said so. */
	if (s->cmd == CMD_LOGIN && strcmp(s->token_file, "-") != 0) {
		unsigned mode = 0, owner = 0;
		char scratch[160];
		have_old = tokens_read_file(s->token_file, true, &old, &mode, &owner, scratch,
			sizeof(scratch)) == TOKEN_FILE_OK;
	}

	const char *client_id = first(cli->client_id, getenv("ZOHO_CLIENT_ID"), cfg.client_id);
	if (!client_id && have_old) {
		client_id = old.client_id;
		reused[n_reused] = "client";
		reused_opts[n_reused++] = "--client-id";
	}
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
	/* The file store keeps the secret with the tokens: their client, taken
	 * from them or named by the config file, comes with its secret. A client
	 * given anew (command line, environment) is given whole. */
	if (!secret_file && !secret_in_environment() && have_old && old.client_secret &&
			s->client_id && !cli->client_id && !getenv("ZOHO_CLIENT_ID") &&
			strcmp(s->client_id, old.client_id) == 0 &&
			!(s->client_secret = xstrdup(old.client_secret)))
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
	if (!url && !dc && have_old) {
		url = old.accounts_server;
		reused[n_reused] = "data centre";
		reused_opts[n_reused++] = "--dc";
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

	const char *redirect_uri = first(cli->redirect_uri, cfg.redirect_uri, NULL);
	if (!redirect_uri && have_old && old.redirect_uri && !cli->device) {
		redirect_uri = old.redirect_uri;
		reused[n_reused] = "redirect URI";
		reused_opts[n_reused++] = "--redirect-uri";
	}
	s->redirect_uri = xstrdup(redirect_uri ? redirect_uri : DEFAULT_REDIRECT_URI);
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
	/* The tokens' scopes were asked for (and checked) before. */
	if (!s->scope && have_old && old.scope && (s->scope = scope_list_of(old.scope))) {
		/* "client, data centre, scope and redirect URI": in that order. */
		size_t at = n_reused;
		if (at > 0 && strcmp(reused[at - 1], "redirect URI") == 0)
			at--;
		for (size_t i = n_reused; i > at; i--) {
			reused[i] = reused[i - 1];
			reused_opts[i] = reused_opts[i - 1];
		}
		reused[at] = "scope";
		reused_opts[at] = "--scope";
		n_reused++;
	}
	if (n_reused > 0) {
		char what[96], opts[96];
		join_words(what, sizeof(what), reused, n_reused);
		join_options(opts, sizeof(opts), reused_opts, n_reused);
		if (token_file)
			log_info("using the %s of the tokens in %s (give %s to change %s)", what,
				s->token_file, opts, n_reused > 1 ? "them" : "it");
		else
			log_info("using the %s of the existing profile \"%s\" (give %s to change %s)",
				what, s->profile, opts, n_reused > 1 ? "them" : "it");
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
	s->all = cli->all;
	s->online = cli->online;
	if (s->all && (cli->profile || cli->token_file)) {
		log_error("status --all lists every profile: drop --%s, or drop --all to see one",
			cli->profile ? "profile" : "token-file");
		goto out;
	}
	if (s->all && s->online) {
		log_error("status --online asks zoho about one profile (it costs a refresh): drop "
			"--all, and name the profile with --profile");
		goto out;
	}
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
	if (have_old)
		tokens_finish(&old);
	config_finish(&cfg);
	return status;
}

void settings_finish(struct settings *s)
{
	free(s->profile);
	free(s->token_file);
	free(s->client_id);
	free(s->client_secret_file);
	secret_free(s->client_secret);
	free(s->accounts_url);
	free(s->redirect_uri);
	free(s->scope);
	free(s->cacert);
	free(s->config_path);
	free(s->store);
	free(s->save_profile);
	secret_free(s->code);
	memset(s, 0, sizeof(*s));
}

char *settings_profile_text(const struct settings *s)
{
	struct buf b = { 0 };
	bool ok = buf_append_str(&b, "client_id = ") && buf_append_str(&b, s->client_id) &&
		buf_append_str(&b, "\n");
	if (s->dc && strcmp(s->accounts_url, s->dc->accounts) == 0)
		ok = ok && buf_append_str(&b, "dc = ") && buf_append_str(&b, s->dc->location);
	else
		ok = ok && buf_append_str(&b, "accounts_url = ") && buf_append_str(&b, s->accounts_url);
	ok = ok && buf_append_str(&b, "\n");
	/* One scope a line, the continued ones indented: a long list stays
	 * within the reader's line length. */
	for (const char *p = s->scope; ok && p && *p;) {
		size_t len = strcspn(p, ",");
		ok = buf_append_str(&b, p == s->scope ? "scope = " : "        ") &&
			buf_append(&b, p, len) && buf_append_str(&b, p[len] ? ",\n" : "\n");
		p += len + (p[len] == ',');
	}
	if (!s->device)
		ok = ok && buf_append_str(&b, "redirect_uri = ") &&
			buf_append_str(&b, s->redirect_uri) && buf_append_str(&b, "\n");
	if (s->client_secret_file) {
		/* The reader wants it absolute. */
		char *abs = realpath(s->client_secret_file, NULL);
		ok = ok && abs && buf_append_str(&b, "client_secret_file = ") &&
			buf_append_str(&b, abs) && buf_append_str(&b, "\n");
		free(abs);
	}
	if (!s->offline)
		ok = ok && buf_append_str(&b, "access_type = online\n");
	if (!s->preflight)
		ok = ok && buf_append_str(&b, "preflight = no\n");
	if (s->store)
		ok = ok && buf_append_str(&b, "store = ") && buf_append_str(&b, s->store) &&
			buf_append_str(&b, "\n");
	if (!ok) {
		log_error("cannot put this login's settings into words (out of memory, or the "
			"client secret file is gone)");
		buf_finish(&b);
		return NULL;
	}
	return b.data;
}
