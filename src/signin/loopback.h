#ifndef ZOHO_OAUTH_LOOPBACK_H
#define ZOHO_OAUTH_LOOPBACK_H

#include <stdbool.h>

#include "signin/callback.h"
#include "signin/pages.h"
#include "zoho/redirect.h"

/*
 * The listener that catches Zoho's redirect on the loopback interface.
 *
 * It answers GET on the redirect path only (other paths 404, other methods
 * 405), checks the Host header against the redirect's host:port (DNS
 * rebinding), and passes each query to callback_parse(). Bad requests get
 * a 400 page and the wait goes on. The first request with the right state
 * is claimed: its connection is held open (suspended) until the program
 * calls loopback_finish(), which sends the browser (303) to the bare
 * redirect path, where the outcome page is then shown. Later callbacks
 * are told that the sign-in was already handled.
 */
struct loopback;

/*
 * Listen on the redirect's port: 127.0.0.1 and/or ::1, never any other
 * address. Returns ZO_OK, or ZO_FAILURE after saying why (port in use).
 * The listener's threads never take SIGINT/SIGTERM/SIGHUP.
 */
int loopback_start(const struct redirect *r, const char *state, struct loopback **out);

/* Readable when a callback has been claimed (see loopback_take). */
int loopback_fd(const struct loopback *lb);

/* Move the claimed callback into out; false when there is none (yet). */
bool loopback_take(struct loopback *lb, struct callback *out);

/*
 * Claim the flow for another source (a pasted URL): false when a callback
 * already claimed it. From then on callbacks are turned away.
 */
bool loopback_claim(struct loopback *lb);

/* Set the outcome: answer the held browser request, if any, and serve the
 * page at the bare redirect path from now on. detail may be NULL. */
void loopback_finish(struct loopback *lb, const struct page *outcome, const char *detail);

/* Wait up to ms for the browser to fetch the outcome page (at once when
 * no browser request was held: the answer came pasted). */
void loopback_linger(struct loopback *lb, int ms);

/* Stop listening and free; the port is released. NULL is fine. */
void loopback_destroy(struct loopback *lb);

#endif
