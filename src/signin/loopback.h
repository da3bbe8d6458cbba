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
 *
 * The browser is not started with the consent URL, whose state and PKCE
 * challenge any local user could then read from its command line, but
 * with a one-time link on this listener (loopback_launch) that redirects
 * there once. A second request for the link stops the sign-in.
 */
struct loopback;

/*
 * Listen on the redirect's port: 127.0.0.1 and/or ::1, never any other
 * address. Returns ZO_OK, or ZO_FAILURE after saying why (port in use:
 * by which of this user's logins, with its pid and profile, when it is
 * one). The port is claimed for profile (core/claim.h) while it is ours.
 * The listener's threads never take SIGINT/SIGTERM/SIGHUP.
 */
int loopback_start(const struct redirect *r, const char *state, const char *profile,
		struct loopback **out);

/* Readable when a callback has been claimed (see loopback_take). */
int loopback_fd(const struct loopback *lb);

/* Move the claimed callback into out; false when there is none (yet). */
bool loopback_take(struct loopback *lb, struct callback *out);

/*
 * Arm the one-time link: a path of 256 random bits (getrandom, base64url)
 * whose first GET is answered 303 to target (the consent URL; copied),
 * with the pages' security headers. out gets the link,
 * http://HOST:PORT/PATH with the redirect URI's host and port (so that the
 * Host check passes). Any second request for it, of any method, before the
 * outcome is committed, stops the sign-in: loopback_aborted() turns true,
 * the waiter is woken, and callbacks and pastes are turned away from then
 * on. false (said why) when out is too small or no random bytes.
 */
bool loopback_launch(struct loopback *lb, const char *target, char *out, size_t out_len);

/* Whether the one-time link was requested twice: stop, saving nothing. */
bool loopback_aborted(struct loopback *lb);

/*
 * Call just before saving the tokens: false when the sign-in was stopped
 * (see loopback_launch), and then nothing must be saved. After true, a
 * request for the link no longer stops anything (it is told the link was
 * used), so that the decision and the outcome cannot disagree.
 */
bool loopback_commit(struct loopback *lb);

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
