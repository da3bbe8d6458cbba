#ifndef ZOHO_OAUTH_PROFILE_H
#define ZOHO_OAUTH_PROFILE_H

#include <stdbool.h>
#include <stddef.h>

#include "zoho/http.h"
#include "zoho/zoho.h"

/*
 * Who a command is about: one profile, resolved once by settings/ (the
 * full program) or profile_locate() (the front) and read-only below.
 * This is all store/ and signin/ ever see of the settings. Every name
 * derived from a profile (the lock file, the access-token cache, the
 * keyring's attributes, the "run this next" hints) comes from the
 * functions below, from this one value, so it can't be spelled two ways.
 * (A shared database keys its row by the name alone: what every machine
 * of a fleet shares, not a local path.)
 */
#define PROFILE_NAME_MAX 64
/* Room for "zoho-oauth COMMAND --profile NAME --token-file PATH ...". */
#define PROFILE_HINT_MAX 4400

/* How long to wait for what, in seconds: from the command line, the
 * profile's config section and the defaults (waits_resolve(), shared by
 * the front and the full program). */
struct waits {
	long connect_timeout;  /* connecting to Zoho, to a database, each statement */
	long max_time;         /* a whole request to Zoho */
	long lock_timeout;     /* another process's lock: what is left of it */
	long lock_waited;      /* what the front waited already (for messages) */
	long keyring_timeout;  /* each answer from the keyring */
};

struct profile {
	char name[PROFILE_NAME_MAX + 1];
	char *token_path;      /* absolute and normalised: the same file is one profile */
	bool path_given;       /* --token-file or ZOHO_OAUTH_TOKEN_FILE named it: hints say it */
	char near[PROFILE_NAME_MAX + 1]; /* an existing profile close to this name, which
	                        * has no tokens and no section, for did-you-mean; "" */
	char *store;           /* where new tokens go (--store, store =): NULL for the file */
	char *client_id;       /* NULL: none configured */
	char *accounts_url;    /* origin, no trailing slash */
	const struct zoho_dc *dc; /* the data centre of accounts_url, or NULL */
	char *scope;           /* comma-joined; NULL: none configured */
	char *redirect_uri;
	char *cacert;          /* owned; net.cacert points here */
	struct net_options net;
	struct waits waits;
	long check_interval;   /* a shared store: how often, at most, a machine serving its
	                        * cached token asks whether it still stands (seconds) */
	int machine_offset;    /* a shared store: this machine's place among the fleet's
	                        * refresh moments, 0-1000 (store/judge.h; machine_offset =,
	                        * else derived from the machine's ID and host name) */
	int live_tokens;       /* Zoho's limit of live access tokens per refresh token as
	                        * this machine's config sets it (live_tokens =); 0: not
	                        * set. A shared store keeps the figure of the login in
	                        * its row; this may only lower it */
	char *waits_broken;    /* why a wait of the profile's own config section can't be
	                        * used (a command that must wait stops with it); NULL */
};

/* Profile names become file names: [A-Za-z0-9._-], not starting with '.'. */
bool profile_name_ok(const char *name);

/*
 * The profile asked for and its token path, as the front and the full
 * program both find them: the name from --profile, else
 * $ZOHO_OAUTH_PROFILE, else "default"; the path from --token-file, else
 * $ZOHO_OAUTH_TOKEN_FILE, else $XDG_DATA_HOME/zoho-oauth/NAME.json. A
 * relative path is made absolute against the working directory, "." and
 * ".." taken out, and the directory's symbolic links resolved where it
 * exists. Fills p's name, token_path (owned) and path_given. Unless quiet,
 * says what is wrong; false then.
 */
bool profile_locate(const char *cli_profile, const char *cli_token_file, bool quiet,
		struct profile *p);

/*
 * A command to run next, for messages: "zoho-oauth COMMAND", then
 * " --profile NAME" unless the profile is the default, " --token-file
 * PATH" when the path was given, and more (may be NULL), e.g.
 * profile_command(p, "login", "--force", ...).
 */
void profile_command(const struct profile *p, const char *command, const char *more, char *out,
		size_t len);

/* The lock file beside the token path: "PATH.lock". */
bool profile_lock_path(const struct profile *p, char *out, size_t len);

/* Where the access token of a profile whose secrets are kept elsewhere
 * (the keyring, a database) is cached: $XDG_RUNTIME_DIR/zoho-oauth/ when
 * there is one (a per-user tmpfs), named after the token path, else
 * "PATH.cache" beside it. */
bool profile_cache_path(const struct profile *p, char *out, size_t len);

void profile_finish(struct profile *p);

#endif
