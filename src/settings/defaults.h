#ifndef ZOHO_OAUTH_DEFAULTS_H
#define ZOHO_OAUTH_DEFAULTS_H

/*
 * What the options default to, in one place for the full program
 * (settings/settings.c) and the front (front.c), which serves cached
 * tokens by the same rules.
 */
#define DEFAULT_REDIRECT_URI "http://localhost:8976/callback"
#define DEFAULT_TIMEOUT 300          /* seconds for the browser */
#define DEFAULT_CONNECT_TIMEOUT 10   /* seconds */
#define DEFAULT_MAX_TIME 30          /* seconds for a whole request */
#define DEFAULT_MIN_VALID 300        /* seconds an access token must have left */
#define DEFAULT_KEYRING_TIMEOUT 5    /* seconds for each keyring answer */
#define DEFAULT_CHECK_INTERVAL 60    /* seconds between a fleet machine's looks at its row */
/* The lock: a little more than a healthy refresher needs. */
#define DEFAULT_LOCK_TIMEOUT(max_time) ((max_time) + 5)

#endif
