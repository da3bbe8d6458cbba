#ifndef ZOHO_OAUTH_STORE_H
#define ZOHO_OAUTH_STORE_H

#include <stdbool.h>

#include "settings/settings.h"
#include "zoho/tokens.h"

/*
 * The token file of a profile. Its readers and writers agree on one lock
 * (an flock on "PATH.lock" beside it), so that any number of processes
 * refresh once and nobody overwrites tokens another one just wrote.
 */

/*
 * Load the profile's token file. Returns ZO_OK; ZO_RELOGIN when there is
 * none (the message gives the login command that would make it);
 * ZO_FAILURE when it cannot be read, is readable by others or owned by
 * someone else (the message says how to fix it), or is not a valid token
 * file (the message names it; the file is left as it is).
 */
int store_load(const struct settings *s, struct tokens *out);

/* Write the token file atomically with mode 0600; the caller holds the
 * lock (stale temporary files are removed first). ZO_OK or ZO_FAILURE. */
int store_save(const char *path, const struct tokens *t);

/*
 * Take the exclusive lock, waiting for whoever holds it (a refresh is
 * bounded by the network time limits). A signal ends the wait. Returns
 * ZO_OK with *fd to pass to store_unlock(), ZO_FAILURE, or
 * ZO_INTERRUPTED + signal.
 */
int store_lock(const char *path, int *fd);
void store_unlock(int fd);

/* "zoho-oauth login" or "zoho-oauth login --profile NAME", for messages. */
void store_login_hint(const struct settings *s, char *out, size_t len);

#endif
