#ifndef ZOHO_OAUTH_PORTAL_H
#define ZOHO_OAUTH_PORTAL_H

#include <stdbool.h>

/*
 * Opening the browser through the desktop portal (org.freedesktop.portal
 * OpenURI, via libportal), which is how a program in a Flatpak or Snap
 * sandbox reaches the user's browser. libportal lives in a module that is
 * loaded only then. Without libportal (-Dportal=disabled) both say no.
 */

/* Whether we run in a sandbox with a session bus to ask the portal on. */
bool portal_wanted(void);

/* Ask the portal to open url. Waits at most 30 seconds (the portal may let
 * the user choose an application) and stops early on a signal. */
bool portal_open_uri(const char *url);

/* Whether this build has libportal. */
bool portal_available(void);

#endif
