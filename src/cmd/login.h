#ifndef ZOHO_OAUTH_CMD_LOGIN_H
#define ZOHO_OAUTH_CMD_LOGIN_H

#include <stdint.h>

#include "settings/settings.h"
#include "store/store.h"

/* zoho-oauth login: with the browser and the loopback listener, or with
 * --device the device flow. Returns the exit status. A login may make its
 * profile another one (the answer to "save these settings as a
 * profile?"), and fills in what its old tokens were made with. */
int cmd_login(struct settings *s);

/* login --device (cmd/login-device.c), once login has checked the
 * profile and opened its stores: the sign-in into target, current holding
 * the profile's tokens now. */
int login_device(const struct settings *s, struct store *target, struct store *current,
		const char *old_secret);

/* login --client-credentials (cmd/login-client.c), the same way: no
 * browser, no user, no refresh token. */
int login_client_credentials(const struct settings *s, struct store *target,
		struct store *current, const char *old_secret);

/* The client secret of a sign-in: the one kept with the old tokens of
 * the same client (old_secret, may be NULL), else from where the settings
 * say (settings/secret.h). The caller wipes *out. */
int login_secret(const struct settings *s, const char *old_secret, char **out);

/* The countdown line of a sign-in's wait, on a terminal only
 * (log_status_possible()): "waiting for WHAT... 4:59 left (Ctrl-C to
 * stop)", the same for the browser and the device flow. */
void login_countdown(const char *what, int64_t left_ms);

#endif
