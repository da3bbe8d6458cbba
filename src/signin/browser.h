#ifndef ZOHO_OAUTH_BROWSER_H
#define ZOHO_OAUTH_BROWSER_H

#include <stdbool.h>

#include "core/child.h"

/* A browser we started and may hear back from. */
struct browser {
	struct child child; /* pid 0: nothing to watch (none started, or the portal); its
	                     * pidfd is readable when it exits, -1 when unavailable */
	char name[128];     /* what was started, as the user named it: "'firefox' from
	                     * $BROWSER", "xdg-open", "the desktop portal" */
};

/*
 * Open url in the user's browser and return at once. Tried in turn:
 * $BROWSER (a ':'-separated list of commands; "%s" in one is replaced by
 * the URL, otherwise the URL is appended); the desktop portal's OpenURI
 * when running in a Flatpak or Snap sandbox (with libportal); xdg-open when
 * there is a display. A program runs without a shell, in its own session
 * with stdio on /dev/null, and is never waited for; the secret is not in
 * its environment. url goes on a command line, where every local user can
 * read it; the portal, which is asked over the user's own session bus, is
 * given private_url instead when that is not NULL (login: the consent URL
 * itself, where the others get a one-time link). Returns whether something
 * was started; the caller prints the URL either way.
 */
bool browser_open(const char *url, const char *private_url, struct browser *b);

/*
 * Whether browser_open() has anything to try: a $BROWSER command that is
 * on $PATH, the portal in a sandbox, or xdg-open with a display. Instant
 * and local: login asks it before anything goes to Zoho, so that nobody
 * waits on a sign-in nobody can open.
 */
bool browser_possible(void);

/*
 * Call when b->child.pidfd is readable: reap the program and say whether it
 * failed (a non-zero exit, as xdg-open gives when it finds no browser).
 */
bool browser_failed(struct browser *b);

/*
 * Whether the program browser_open() just started is running, or ended
 * well, rather than failed at once: "opened your browser" is said only
 * then. Waits at most half a second, less when it ends, done_fd (the
 * listener's, -1 for none) is readable or a signal comes (the caller's
 * wait deals with those). A failure has been reaped: b watches nothing.
 */
bool browser_started(struct browser *b, int done_fd);

/* Stop watching (the program keeps running). */
void browser_forget(struct browser *b);

#endif
