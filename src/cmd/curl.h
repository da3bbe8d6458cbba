#ifndef ZOHO_OAUTH_CMD_CURL_H
#define ZOHO_OAUTH_CMD_CURL_H

#include "settings/settings.h"

/*
 * zoho-oauth curl URL-OR-PATH [CURL OPTIONS...]: run the user's curl with
 * the profile's access token in an Authorization header it reads from a
 * pipe (never argv or the environment), only to Zoho's API hosts of the
 * profile's data centre; on Zoho's 401 INVALID_OAUTHTOKEN refresh once
 * and repeat once, when the first answer never reached the user and the
 * request's body did not come from stdin. Returns curl's exit status once
 * curl ran, else ours.
 */
int cmd_curl(struct settings *s);

#endif
