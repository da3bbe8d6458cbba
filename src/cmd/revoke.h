#ifndef ZOHO_OAUTH_CMD_REVOKE_H
#define ZOHO_OAUTH_CMD_REVOKE_H

#include "settings/settings.h"

/*
 * zoho-oauth revoke: revoke the refresh token at Zoho (which also ends its
 * access tokens), then remove the token file. When Zoho cannot be reached
 * the file is kept (ZO_NETWORK); --local forgets it without asking Zoho.
 */
int cmd_revoke(struct settings *s);

#endif
