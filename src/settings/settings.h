#ifndef ZOHO_OAUTH_SETTINGS_H
#define ZOHO_OAUTH_SETTINGS_H

#include <stdbool.h>

#include "settings/cli.h"
#include "zoho/http.h"
#include "zoho/zoho.h"

/*
 * What a command runs with, resolved from (strongest first) the command
 * line, the environment, the config file and the defaults. All strings
 * are owned, except curl's, which point into argv.
 */
struct settings {
	enum command cmd;
	char *profile;
	char *token_file;            /* a path, or "-" for stdout */
	char *client_id;             /* NULL: not configured */
	char *client_secret_file;    /* NULL: environment or prompt */
	char *client_secret;         /* login: the token file's, reused for its own
	                              * client when no other source is given; else NULL */
	char client_secret_label[96]; /* where that name came from, for messages */
	char *accounts_url;          /* origin, no trailing slash */
	const struct zoho_dc *dc;    /* the data centre of accounts_url, or NULL */
	char *redirect_uri;
	char *scope;                 /* comma-joined, validated; NULL: none given */
	bool offline;
	bool consent_prompt;
	bool pkce;
	bool open_browser;
	bool preflight;  /* check the client at Zoho before signing in */
	long timeout;                /* seconds to wait for the browser */
	long min_valid;              /* seconds an access token must have left */
	long lock_timeout;           /* seconds to wait for another process's lock */
	long lock_waited;            /* seconds the front waited already (not in the above) */
	long keyring_timeout;        /* seconds to wait for each keyring answer */
	char *store;                 /* where sign-ins put tokens: NULL (file), "keyring",
	                              * a database; where the tokens are is the store's */
	bool force;                  /* login: even over working tokens */
	bool device;                 /* login: the device flow */
	char *code;                  /* exchange: the code, or "-" */
	bool json;                   /* status: as JSON */
	bool all;                    /* status: every profile */
	bool online;                 /* status: ask Zoho (one refresh) */
	bool local;                  /* revoke: without asking Zoho */
	const char *service;         /* curl: the API a path is joined to; NULL: api_domain */
	const char *allow_hosts[CLI_MAX_HOSTS]; /* curl: more hosts the token may go to */
	size_t n_allow_hosts;
	char **curl_args;            /* curl: the URL or path and curl's options (argv's) */
	int n_curl_args;
	struct net_options net;
	char *cacert;
	char *config_path;           /* login: where the config was looked for */
	char *save_profile;          /* login: [profile NAME] to write; NULL: none */
	bool client_id_given;        /* on the command line */
	bool profile_given;          /* --profile, ZOHO_OAUTH_PROFILE or --save-profile */
	char near_profile[72];       /* a profile that exists and is near the one asked
	                              * for, which does not: for did-you-mean; "" */
};

/* Returns ZO_OK, or ZO_USAGE after saying what is wrong. */
int settings_resolve(const struct cli *cli, struct settings *out);
void settings_finish(struct settings *s);

/*
 * The settings of this login as the body of a config section ("key =
 * value" lines): client_id, dc or accounts_url, scope, redirect_uri (not
 * for the device flow), where the secret is read from (client_secret_file,
 * never the secret), access_type, preflight and store when not the
 * defaults. The caller frees it.
 */
char *settings_profile_text(const struct settings *s);


#endif
