#ifndef ZOHO_OAUTH_PATHS_H
#define ZOHO_OAUTH_PATHS_H

#include <stdbool.h>

/*
 * Where things are: the profile, the token file, the home directory.
 * Shared by the full program and the small front that serves cached
 * tokens (front.c), so both find the same file.
 */

/* Profile names become file names: [A-Za-z0-9._-], not starting with '.'. */
bool profile_name_ok(const char *name);

/* The profile asked for: --profile, else $ZOHO_OAUTH_PROFILE, else
 * "default". Not checked. */
const char *profile_wanted(const char *from_cli);

/* The token file asked for: --token-file, else $ZOHO_OAUTH_TOKEN_FILE; NULL
 * means the profile's default. */
const char *token_file_wanted(const char *from_cli);

/* $HOME, or the password database's home; NULL when neither is absolute. */
const char *home_dir(void);

/* ${XDG_DATA_HOME:-$HOME/.local/share}/zoho-oauth/PROFILE.json; caller
 * frees. Reports (unless quiet) and gives NULL on failure. */
char *default_token_file(const char *profile, bool quiet);

#endif
