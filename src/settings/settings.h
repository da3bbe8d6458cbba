#ifndef ZOHO_OAUTH_SETTINGS_H
#define ZOHO_OAUTH_SETTINGS_H

#include <stdbool.h>

#include "core/handoff.h"
#include "settings/cli.h"
#include "settings/profile.h"

/*
 * What a command runs with, resolved once from (strongest first) the
 * command line, the environment, the config file and the defaults: the
 * profile (settings/profile.h: all that the layers below cmd/ get) and
 * the command's own choices, which cmd/ turns into explicit arguments.
 * All strings are owned, except curl's, which point into argv.
 */
struct settings {
	enum command cmd;
	struct profile profile;

	/* Where the profile's values came from: a login reuses what its old
	 * tokens were made with for what was not given anew. */
	bool client_id_given;        /* --client-id or ZOHO_CLIENT_ID: a client given anew,
	                              * which comes with its own secret */
	bool client_id_configured;   /* ... or client_id = in the config */
	bool server_given;           /* --dc, --accounts-url, or dc/accounts_url = */
	bool redirect_given;         /* --redirect-uri or redirect_uri = */
	bool profile_given;          /* --profile, ZOHO_OAUTH_PROFILE or --save-profile */
	bool config_section;         /* the config file has the profile's section */

	/* The client secret's source: a file, else ZOHO_CLIENT_SECRET, else a
	 * prompt (settings/secret.h). */
	char *client_secret_file;
	char client_secret_label[96]; /* where that name came from, for messages */

	/* Sign-ins (login, exchange). */
	bool to_stdout;              /* --token-file -: the tokens go to stdout */
	bool offline;
	bool consent_prompt;
	bool pkce;
	bool open_browser;
	bool preflight;              /* check the client at Zoho before signing in */
	long timeout;                /* seconds to wait for the browser */
	bool force;                  /* even over working tokens; migrate: over a fleet's */
	bool device;                 /* login: the device flow */
	bool client_credentials;     /* login: a Self Client's client credentials */
	char *soid;                  /* with it: "SERVICE.ORG_ID"; NULL: none */
	char *code;                  /* exchange: the code, or "-" */
	char *config_path;           /* where the config is (or would be) */
	char *save_profile;          /* login: [profile NAME] to write; NULL: none */

	long min_valid;              /* token, header, curl: seconds the token must have left */
	bool refresh_ahead;          /* token, header, curl: renew behind the caller */
	bool json;                   /* status: as JSON */
	bool all;                    /* status: every profile */
	bool online;                 /* status: ask Zoho (one refresh) */
	bool local;                  /* revoke: without asking Zoho */
	const char *service;         /* curl: the API a path is joined to; NULL: api_domain */
	const char *const *allow_hosts; /* curl: more hosts the token may go to (argv's) */
	size_t n_allow_hosts;
	char **curl_args;            /* curl: the URL or path and curl's options (argv's) */
	int n_curl_args;

	struct handoff handoff;      /* what the front handed over (core/handoff.h) */
};

/*
 * Resolve the settings of the command cli names, with what the front
 * handed over. Problems of the config file are warnings, except those of
 * the profile's own section for a sign-in, which uses all of it. Returns
 * ZO_OK, or ZO_USAGE after saying what is wrong.
 */
int settings_resolve(const struct cli *cli, const struct handoff *handoff, struct settings *out);
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
