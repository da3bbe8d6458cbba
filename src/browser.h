#ifndef ZOHO_OAUTH_BROWSER_H
#define ZOHO_OAUTH_BROWSER_H

#include <stdbool.h>

/*
 * Open url in the user's browser and return at once: $BROWSER when set (a
 * ':'-separated list of commands; "%s" in one is replaced by the URL,
 * otherwise the URL is appended), else xdg-open. The program runs without
 * a shell, detached in its own session with stdio on /dev/null, and is
 * never waited for. Returns whether one of them could be started; the
 * caller prints the URL either way.
 */
bool browser_open(const char *url);

#endif
