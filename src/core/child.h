#ifndef ZOHO_OAUTH_CHILD_H
#define ZOHO_OAUTH_CHILD_H

#include <stdbool.h>
#include <stddef.h>

/*
 * Find prog as execvp would (in $PATH, or /usr/local/bin:/usr/bin:/bin
 * without one; a name with a '/' as it is), but in the parent: after
 * fork() in a threaded process the child may only make async-signal-safe
 * calls. out gets the path of the first executable match.
 */
bool program_find(const char *prog, char *out, size_t out_len);

/*
 * The environment for a program we start: ours, less anything secret
 * (ZOHO_CLIENT_SECRET, should it still be there). The array is the
 * caller's to free(); its strings are environ's.
 */
char **program_environment(void);

#endif
