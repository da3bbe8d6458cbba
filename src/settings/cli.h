#ifndef ZOHO_OAUTH_CLI_H
#define ZOHO_OAUTH_CLI_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum command {
	CMD_NONE = 0,
	CMD_LOGIN,
	CMD_TOKEN,
	CMD_HEADER,
	CMD_REFRESH,
	CMD_STATUS,
	CMD_REVOKE,
	CMD_EXCHANGE,
	CMD_MIGRATE,
	CMD_CURL,
};

#define CLI_MAX_SCOPES 64
#define CLI_MAX_HOSTS 16

/* What the command line said; NULL / -1 / false mean "not given". Strings
 * point into argv. */
struct cli {
	enum command cmd;
	const char *profile;
	const char *save_profile; /* login: the [profile NAME] to write once signed in */
	const char *token_file;
	const char *client_id;
	const char *client_secret_file;
	const char *dc;
	const char *accounts_url;
	const char *redirect_uri;
	const char *access_type;
	const char *cacert;
	const char *code;
	const char *store;
	const char *scopes[CLI_MAX_SCOPES];
	size_t n_scopes;
	const char *service;   /* curl: the API a path is joined to */
	const char *allow_hosts[CLI_MAX_HOSTS]; /* curl: hosts the token may go to */
	size_t n_allow_hosts;
	char **curl_args;      /* curl: the URL or path and what follows, for curl */
	int n_curl_args;
	long timeout;          /* seconds */
	long connect_timeout;  /* seconds */
	long max_time;         /* seconds */
	long min_valid;        /* seconds */
	long lock_timeout;     /* seconds */
	long keyring_timeout;  /* seconds */
	bool no_consent_prompt;
	bool no_pkce;
	bool no_browser;
	bool no_preflight;
	bool no_refresh_ahead;
	bool force;
	bool device;
	bool client_credentials;
	const char *soid;
	bool json;
	bool all;
	bool online;
	bool local;
	int verbosity;         /* -1 quiet, 0 normal, 1 verbose (-v), 2 -vv */
	uint64_t given;        /* bit i: the i-th option (see cli_given) was given */
};

/*
 * Parse argv. Returns -1 when a command should run, or the exit status
 * to end with at once: 0 after --help or --version, ZO_USAGE after a
 * usage error (already reported). quiet: print nothing, not even help
 * (the front asks whether it may answer alone).
 */
int cli_parse(int argc, char **argv, struct cli *out, bool quiet);

/* Whether every option given is one of names (long names, NULL-ended). */
bool cli_only(const struct cli *c, const char *const *names);

const char *command_name(enum command cmd);

#endif
