#ifndef ZOHO_OAUTH_CMD_STATUS_H
#define ZOHO_OAUTH_CMD_STATUS_H

#include "settings/settings.h"

/* zoho-oauth status [--json]: what a profile holds, never a token or the
 * secret. ZO_RELOGIN when there is nothing to show. */
int cmd_status(struct settings *s);

#endif
