#ifndef ZOHO_OAUTH_WAITS_H
#define ZOHO_OAUTH_WAITS_H

#include "settings/cli.h"
#include "settings/config-file.h"
#include "settings/profile.h"

/*
 * How long a profile's commands wait, resolved the same way by the front
 * (front.c, which needs only the lock's wait, and reads the config only
 * when it must wait) and the full program: the command line, else the
 * profile's config section (cfg may be NULL: none read), else the
 * defaults (settings/defaults.h). waited_ms is what the front waited for
 * the lock already (core/handoff.h): only the rest of --lock-timeout is
 * left. Also the margin a cached token must have left (--min-valid).
 */
void waits_resolve(const struct cli *cli, const struct config_profile *cfg, long waited_ms,
		struct waits *out);
long min_valid_resolve(const struct cli *cli);

/* Whether token, header and curl may renew a token behind the caller
 * (store/ahead.h): not with --no-refresh-ahead; else the profile's
 * refresh_ahead; else yes, unless $CI is set (a CI runner kills the
 * processes a job leaves behind). cfg may be NULL. */
bool refresh_ahead_resolve(const struct cli *cli, const struct config_profile *cfg);

/*
 * A machine's place among a fleet's refresh moments (store/judge.h),
 * 0-1000: the profile's machine_offset (a percentage), else
 * machine_offset_of() this machine's /etc/machine-id and host name (both:
 * containers started from one image share the first, not the second).
 */
int machine_offset_resolve(const struct config_profile *cfg);
/* Spread evenly over 0-1000 by a hash (FNV-1a) of both; the same for the
 * same two, whatever process asks. */
int machine_offset_of(const char *machine_id, const char *host);

#endif
