#ifndef ZOHO_OAUTH_LOGIN_H
#define ZOHO_OAUTH_LOGIN_H

#include "settings/settings.h"

/* zoho-oauth login: returns the exit status. */
int cmd_login(const struct settings *s);

#endif
