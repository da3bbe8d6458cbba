#ifndef ZOHO_OAUTH_CMD_EXCHANGE_H
#define ZOHO_OAUTH_CMD_EXCHANGE_H

#include "settings/settings.h"

/* zoho-oauth exchange --code CODE: a code generated in the API console for
 * a "Self Client", exchanged at once and stored like login's tokens. */
int cmd_exchange(struct settings *s);

#endif
