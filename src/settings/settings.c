#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/exit-status.h"
#include "core/log.h"
#include "core/paths.h"
#include "core/text.h"
#include "core/util.h"
#include "settings/config-file.h"
#include "settings/defaults.h"
#include "settings/keys.h"
#include "settings/secret.h"
#include "settings/settings.h"
#include "settings/waits.h"

/* How many names did-you-mean of profile names looks at. */
#define NEAR_NAMES_MAX 128

static const char *first(const char *a, const char *b, const char *c)
{
	return a && *a ? a : b && *b ? b : c && *c ? c : NULL;
}

/* A command that signs in uses the whole of its profile's section. */
static bool signs_in(enum command cmd)
{
	return cmd == CMD_LOGIN || cmd == CMD_EXCHANGE;
}

/*
 * A profile asked for by name that is neither a config section nor a
 * token file: the existing profile nearest to it, for did-you-mean
 * (p->near). The profiles are the config's sections and the token files
 * in the tokens' directory.
 */
static void find_near_profile(const char *config_path, struct profile *p)
{
	char names[NEAR_NAMES_MAX][PROFILE_NAME_MAX + 1];
	struct text_nearest near = { 0 };
	size_t used = config_offer_profiles(config_path, p->name, &near, names, NEAR_NAMES_MAX / 2);
	char *dir = tokens_dir(true);
	DIR *d = dir ? opendir(dir) : NULL;
	for (struct dirent *e; d && used < NEAR_NAMES_MAX && (e = readdir(d));) {
		size_t len = strlen(e->d_name);
		if (len <= 5 || len - 5 > PROFILE_NAME_MAX || strcmp(e->d_name + len - 5, ".json") != 0)
			continue;
		memcpy(names[used], e->d_name, len - 5);
		names[used][len - 5] = '\0';
		if (profile_name_ok(names[used]))
			text_nearest_offer(&near, p->name, strlen(p->name), names[used++]);
	}
	if (d)
		closedir(d);
	free(dir);
	if (near.name && strcmp(near.name, p->name) != 0)
		snprintf(p->near, sizeof(p->near), "%s", near.name);
}

/*
 * The config file's problems, each said once: another profile's section's
 * are warnings (they don't concern this profile); this profile's own, and
 * those of lines in no profile's section, stop a sign-in, which uses all
 * of its section, and are warnings for the other commands (a broken wait
 * is kept, for a command that comes to need it).
 */
static int say_config_problems(struct settings *s, const struct config_profile *cfg)
{
	int kept = cfg->n_problems < CONFIG_PROBLEMS_MAX ? cfg->n_problems : CONFIG_PROBLEMS_MAX;
	int status = ZO_OK;
	for (int i = 0; i < kept; i++) {
		const struct config_problem *pr = &cfg->problems[i];
		/* A line in no profile's section may have been meant for this
		 * one ([work] for [profile work]): a sign-in takes it seriously. */
		bool orphan = strncmp(pr->section, "profile ", 8) != 0;
		if (!pr->mine && !(orphan && signs_in(s->cmd))) {
			if (!orphan)
				log_warn("%s (in [%s], which profile '%s' does not use)", pr->text,
					pr->section, s->profile.name);
			else
				log_warn("%s (in no profile's section: ignored)", pr->text);
		} else if (signs_in(s->cmd)) {
			log_error("%s", pr->text);
			status = ZO_USAGE;
		} else {
			log_warn("%s ('%s' does without it)", pr->text, command_name(s->cmd));
			if (!s->profile.waits_broken && (strcmp(pr->key, "lock_timeout") == 0 ||
					strcmp(pr->key, "keyring_timeout") == 0) &&
					!(s->profile.waits_broken = xstrdup(pr->text)))
				return ZO_FAILURE;
		}
	}
	if (cfg->n_problems > kept)
		log_warn("%s has %d more problems", s->config_path, cfg->n_problems - kept);
	return status;
}

/* Which profile, where its tokens are, and its config section. */
static int resolve_profile(const struct cli *cli, struct settings *s, struct config_profile *cfg)
{
	struct profile *p = &s->profile;
	const char *env_profile = getenv("ZOHO_OAUTH_PROFILE");

	/* --save-profile NAME: this login's profile is NAME too, so that its
	 * tokens are where "login -p NAME" (and "token -p NAME") look. */
	if (cli->save_profile) {
		if (!profile_name_ok(cli->save_profile)) {
			log_error("--save-profile: profile name '%.64s' is not allowed: use letters, "
				"digits, '.', '_' and '-'", cli->save_profile);
			return ZO_USAGE;
		}
		if (cli->profile && strcmp(cli->profile, cli->save_profile) != 0) {
			log_error("--save-profile NAME is this login's profile too: leave out --profile, "
				"or give it the same name");
			return ZO_USAGE;
		}
		if (!(s->save_profile = xstrdup(cli->save_profile)))
			return ZO_FAILURE;
	}
	s->profile_given = cli->profile || cli->save_profile || (env_profile && *env_profile);

	/* --token-file - (stdout) is a sign-in's choice, not a place. */
	const char *token_file = first(cli->token_file, getenv("ZOHO_OAUTH_TOKEN_FILE"), NULL);
	s->to_stdout = token_file && strcmp(token_file, "-") == 0;
	if (s->to_stdout && !signs_in(s->cmd)) {
		log_error("--token-file - (standard output) is for login and exchange only: '%s' "
			"needs the file", command_name(s->cmd));
		return ZO_USAGE;
	}
	if (!profile_locate(cli->profile ? cli->profile : cli->save_profile,
			s->to_stdout ? NULL : cli->token_file, false, p))
		return ZO_USAGE;
	if (s->to_stdout)
		p->path_given = false;

	s->config_path = config_default_path();
	if (s->config_path && !config_load(s->config_path, p->name, cfg))
		return ZO_USAGE;
	s->config_section = cfg->found;
	int status = say_config_problems(s, cfg);
	if (status != ZO_OK)
		return status;

	/* A profile named that does not exist: a first login makes it, but a
	 * typo of one that does is more likely. */
	if (((cli->profile || (env_profile && *env_profile)) && !p->path_given && !cfg->found &&
			access(p->token_path, F_OK) != 0 && errno == ENOENT))
		find_near_profile(s->config_path, p);

	const char *store = cli->store ? cli->store : cfg->store;
	char why[KEY_WHY_MAX];
	if (store && !key_store(store, &p->store, why, sizeof(why))) {
		log_error("--%s: %s", s->cmd == CMD_MIGRATE ? "to" : "store", why);
		return ZO_USAGE;
	}
	p->live_tokens = cfg->live_tokens > 0 ? (int)cfg->live_tokens : 0;
	p->check_interval = cfg->check_interval > 0 ? cfg->check_interval : DEFAULT_CHECK_INTERVAL;
	p->machine_offset = machine_offset_resolve(cfg);
	return ZO_OK;
}

/* The client, and where its secret comes from. */
static int resolve_client(const struct cli *cli, struct settings *s,
		const struct config_profile *cfg)
{
	char why[KEY_WHY_MAX];
	const char *given = first(cli->client_id, getenv("ZOHO_CLIENT_ID"), NULL);
	const char *client_id = given ? given : cfg->client_id;
	s->client_id_given = given != NULL;
	s->client_id_configured = client_id != NULL;
	if (client_id && !key_client_id(client_id, &s->profile.client_id, why, sizeof(why))) {
		log_error("%s", why);
		return ZO_USAGE;
	}
	/* --client-secret-file, then ZOHO_CLIENT_SECRET, then the config's
	 * client_secret_file, then the prompt. */
	const char *secret_file = cli->client_secret_file;
	if (!secret_file && !secret_in_environment())
		secret_file = cfg->client_secret_file;
	if (secret_file && !(s->client_secret_file = xstrdup(secret_file)))
		return ZO_FAILURE;
	if (secret_file == cli->client_secret_file)
		snprintf(s->client_secret_label, sizeof(s->client_secret_label),
			"the file given with --client-secret-file");
	else
		snprintf(s->client_secret_label, sizeof(s->client_secret_label),
			"the client_secret_file of [profile %s]", s->profile.name);
	return ZO_OK;
}

/* Where the client is: a data centre, or an accounts server (us when
 * neither is given; a login may take its old tokens' instead). */
static int resolve_server(const struct cli *cli, struct settings *s,
		const struct config_profile *cfg)
{
	struct profile *p = &s->profile;
	char why[KEY_WHY_MAX];
	const char *url = cli->accounts_url;
	const char *dc = cli->dc;
	if (!url && !dc) {
		url = cfg->accounts_url;
		dc = cfg->dc;
	}
	s->server_given = url || dc;
	if (url) {
		if (!key_accounts_url(url, &p->accounts_url, why, sizeof(why))) {
			log_error("--accounts-url: %s", why);
			return ZO_USAGE;
		}
		p->dc = zoho_dc_by_accounts(p->accounts_url);
		if (dc)
			log_warn("--accounts-url overrides --dc");
		return ZO_OK;
	}
	if (!key_dc(dc ? dc : "us", &p->dc, why, sizeof(why))) {
		log_error("%s", why);
		return ZO_USAGE;
	}
	return (p->accounts_url = xstrdup(p->dc->accounts)) ? ZO_OK : ZO_FAILURE;
}

/* What a sign-in asks Zoho for. */
static int resolve_signin(const struct cli *cli, struct settings *s,
		const struct config_profile *cfg)
{
	struct profile *p = &s->profile;
	char why[KEY_WHY_MAX];
	const char *redirect = first(cli->redirect_uri, cfg->redirect_uri, NULL);
	s->redirect_given = redirect != NULL;
	if (!key_redirect_uri(redirect ? redirect : DEFAULT_REDIRECT_URI, &p->redirect_uri, why,
			sizeof(why))) {
		log_error("--redirect-uri: %s", why);
		return ZO_USAGE;
	}
	if (cli->n_scopes > 0) {
		if (!key_scope(cli->scopes, cli->n_scopes, &p->scope, why, sizeof(why))) {
			log_error("--scope: %s", why);
			return ZO_USAGE;
		}
	} else if (cfg->scope && !(p->scope = xstrdup(cfg->scope))) {
		return ZO_FAILURE;
	}
	const char *access_type = first(cli->access_type, cfg->access_type, "offline");
	if (!key_access_type(access_type, &s->offline, why, sizeof(why))) {
		log_error("--access-type %s", why);
		return ZO_USAGE;
	}
	s->consent_prompt = !cli->no_consent_prompt;
	s->pkce = !cli->no_pkce;
	s->open_browser = !cli->no_browser;
	s->preflight = !cli->no_preflight && !cfg->no_preflight;
	s->timeout = cli->timeout > 0 ? cli->timeout : DEFAULT_TIMEOUT;
	s->device = cli->device;
	s->client_credentials = cli->client_credentials;
	if (cli->soid && !cli->client_credentials) {
		log_error("--soid goes with --client-credentials");
		return ZO_USAGE;
	}
	if (cli->client_credentials && cli->device) {
		log_error("--client-credentials and --device are two ways of signing in: choose one");
		return ZO_USAGE;
	}
	if (cli->soid && !zoho_soid_ok(cli->soid)) {
		char shown[64];
		printable_copy(shown, sizeof(shown), cli->soid);
		log_error("--soid: '%.40s' is not SERVICE.ORG_ID (such as ZohoCRM.600000434)", shown);
		return ZO_USAGE;
	}
	if (cli->soid && !(s->soid = xstrdup(cli->soid)))
		return ZO_FAILURE;
	s->force = cli->force;
	if (cli->code && !(s->code = xstrdup(cli->code)))
		return ZO_FAILURE;
	return ZO_OK;
}

/* How we talk to Zoho and wait for others. */
static int resolve_net(const struct cli *cli, struct settings *s, const struct config_profile *cfg)
{
	struct profile *p = &s->profile;
	waits_resolve(cli, cfg, s->handoff.waited_ms, &p->waits);
	p->net.connect_timeout = p->waits.connect_timeout;
	p->net.max_time = p->waits.max_time;
	if (cli->cacert) {
		if (access(cli->cacert, R_OK) != 0) {
			log_error("--cacert %s cannot be read", cli->cacert);
			return ZO_USAGE;
		}
		if (!(p->cacert = xstrdup(cli->cacert)))
			return ZO_FAILURE;
		p->net.cacert = p->cacert;
	}
	return ZO_OK;
}

int settings_resolve(const struct cli *cli, const struct handoff *handoff, struct settings *s)
{
	struct config_profile cfg;
	memset(s, 0, sizeof(*s));
	memset(&cfg, 0, sizeof(cfg));
	s->cmd = cli->cmd;
	s->handoff = *handoff;
	log_set_level(cli->verbosity < 0 ? LOG_QUIET : cli->verbosity > 1 ? LOG_TRACE :
		cli->verbosity > 0 ? LOG_VERBOSE : LOG_NORMAL);

	int status = resolve_profile(cli, s, &cfg);
	if (status == ZO_OK)
		status = resolve_client(cli, s, &cfg);
	if (status == ZO_OK)
		status = resolve_server(cli, s, &cfg);
	if (status == ZO_OK)
		status = resolve_signin(cli, s, &cfg);
	if (status == ZO_OK)
		status = resolve_net(cli, s, &cfg);
	if (status == ZO_OK) {
		s->min_valid = min_valid_resolve(cli);
		s->refresh_ahead = refresh_ahead_resolve(cli, &cfg);
		s->json = cli->json;
		s->all = cli->all;
		s->online = cli->online;
		s->local = cli->local;
		s->service = cli->service;
		s->allow_hosts = cli->allow_hosts;
		s->n_allow_hosts = cli->n_allow_hosts;
		s->curl_args = cli->curl_args;
		s->n_curl_args = cli->n_curl_args;
	}
	config_finish(&cfg);
	return status;
}

void settings_finish(struct settings *s)
{
	profile_finish(&s->profile);
	free(s->client_secret_file);
	free(s->config_path);
	free(s->save_profile);
	secret_free(s->code);
	free(s->soid);
	memset(s, 0, sizeof(*s));
}

char *settings_profile_text(const struct settings *s)
{
	const struct profile *p = &s->profile;
	struct buf b = { 0 };
	bool ok = buf_append_str(&b, "client_id = ") && buf_append_str(&b, p->client_id) &&
		buf_append_str(&b, "\n");
	if (p->dc && strcmp(p->accounts_url, p->dc->accounts) == 0)
		ok = ok && buf_append_str(&b, "dc = ") && buf_append_str(&b, p->dc->location);
	else
		ok = ok && buf_append_str(&b, "accounts_url = ") && buf_append_str(&b, p->accounts_url);
	ok = ok && buf_append_str(&b, "\n");
	/* One scope a line, the continued ones indented: a long list stays
	 * within the reader's line length. */
	const char *cursor = p->scope, *item;
	size_t len;
	bool first_one = true;
	while (ok && zoho_scope_next(&cursor, false, &item, &len)) {
		ok = buf_append_str(&b, first_one ? "scope = " : "        ") &&
			buf_append(&b, item, len) && buf_append_str(&b, cursor ? ",\n" : "\n");
		first_one = false;
	}
	if (!s->device && !s->client_credentials)
		ok = ok && buf_append_str(&b, "redirect_uri = ") &&
			buf_append_str(&b, p->redirect_uri) && buf_append_str(&b, "\n");
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
	if (p->store)
		ok = ok && buf_append_str(&b, "store = ") && buf_append_str(&b, p->store) &&
			buf_append_str(&b, "\n");
	if (!ok) {
		log_error("cannot put this login's settings into words (out of memory, or the "
			"client secret file is gone)");
		buf_finish(&b);
		return NULL;
	}
	return b.data;
}
