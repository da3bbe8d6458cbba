#ifndef ZOHO_OAUTH_CMD_TOKEN_H
#define ZOHO_OAUTH_CMD_TOKEN_H

#include "settings/settings.h"

/* zoho-oauth token and header: print a valid access token (or the
 * Authorization header), refreshing it first when needed. */
int cmd_token(struct settings *s);
int cmd_header(struct settings *s);
/* zoho-oauth refresh: get a new access token now. */
int cmd_refresh(struct settings *s);

#endif
