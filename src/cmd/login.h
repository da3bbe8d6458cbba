#ifndef ZOHO_OAUTH_CMD_LOGIN_H
#define ZOHO_OAUTH_CMD_LOGIN_H

#include "settings/settings.h"

/* zoho-oauth login: with the browser and the loopback listener, or with
 * --device the device flow. Returns the exit status. */
int cmd_login(const struct settings *s);

#endif
