#ifndef ZOHO_OAUTH_SECRET_H
#define ZOHO_OAUTH_SECRET_H

#include <stdbool.h>

#include "core/exit-status.h"

/*
 * Get the client secret, never from the command line: from the file if
 * one is named (label says where the name came from, for messages that
 * must not repeat it), else from ZOHO_CLIENT_SECRET, else from a prompt that does
 * not echo when stdin is a terminal. The variable is wiped and removed
 * from the environment once read, so no child process inherits it.
 * *out is freed by the caller with secret_free().
 *
 * Returns ZO_OK, ZO_USAGE when there is no way to get one (the message
 * names the three), ZO_FAILURE for an unreadable or malformed file, or
 * ZO_INTERRUPTED + signal for a prompt cut short.
 */
int secret_obtain(const char *file, const char *label, char **out);

/* Take ZOHO_CLIENT_SECRET out of the environment early (before any thread
 * or child exists). Idempotent; secret_obtain() uses what it took. */
void secret_take_from_environment(void);

/* Whether ZOHO_CLIENT_SECRET was set (and taken). */
bool secret_in_environment(void);

/* Wipe what secret_take_from_environment() kept, if unused. */
void secret_forget_environment(void);

#endif
