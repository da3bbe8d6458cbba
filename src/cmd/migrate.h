#ifndef ZOHO_OAUTH_CMD_MIGRATE_H
#define ZOHO_OAUTH_CMD_MIGRATE_H

#include "settings/settings.h"

/*
 * zoho-oauth migrate --to STORE: move a profile's tokens to another store
 * without a new sign-in. The new copy is written and read back before the
 * old one is removed, under the profile's lock, so an interruption leaves
 * the old one usable.
 */
int cmd_migrate(struct settings *s);

#endif
