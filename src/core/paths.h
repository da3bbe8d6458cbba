#ifndef ZOHO_OAUTH_PATHS_H
#define ZOHO_OAUTH_PATHS_H

#include <stdbool.h>

/*
 * Where things are: the home directory and the tokens' directory.
 * Shared by the full program and the small front that serves cached
 * tokens (front.c), so both find the same file (settings/profile.h makes
 * a profile's path of them).
 */

/* $HOME, or the password database's home; NULL when neither is absolute. */
const char *home_dir(void);

/* ${XDG_DATA_HOME:-$HOME/.local/share}/zoho-oauth/PROFILE.json; caller
 * frees. Reports (unless quiet) and gives NULL on failure. */
char *default_token_file(const char *profile, bool quiet);

/* $XDG_RUNTIME_DIR when it is what the spec promises (an absolute
 * directory of ours, mode 0700: a per-user tmpfs), else NULL. */
const char *runtime_dir(void);

/* The directory of the default token files (where default_token_file()
 * puts them); caller frees; NULL as above. */
char *tokens_dir(bool quiet);

#endif
