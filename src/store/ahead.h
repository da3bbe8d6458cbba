#ifndef ZOHO_OAUTH_AHEAD_H
#define ZOHO_OAUTH_AHEAD_H

#include <stdbool.h>
#include <stdint.h>

#include "settings/profile.h"
#include "zoho/tokens.h"

/*
 * Refresh ahead: a caller served a token past its soft margin
 * (VERDICT_SERVE_AHEAD, store/judge.h) has it renewed behind its back, so
 * that no caller waits for Zoho while its token is valid. Used alike by
 * the front and the full program (token, header, curl).
 *
 * The caller tries the profile's lock without waiting. Held: someone is
 * renewing already, and nothing is started. Taken: the full program is
 * started detached (core/detach.h) as 'refresh' with the lock handed
 * over (core/handoff.h, ZOHO_OAUTH_AHEAD): it renews unless someone did
 * since the caller looked, under the lock, with every deadline of a
 * refresh in the foreground, and says nothing; what goes wrong it writes
 * to the cache (tokens.h: ahead_*), and no refresh ahead starts again
 * before its ahead_retry_at: the end of Zoho's throttle or of a spent
 * budget, a new sign-in for a refresh token Zoho no longer honours or a
 * client it refuses, else AHEAD_RETRY_S. The next caller and 'status' say
 * what happened.
 */
#define AHEAD_RETRY_S 60

enum ahead_start {
	AHEAD_STARTED,    /* the refresher runs, with the lock */
	AHEAD_BUSY,       /* the lock is held: someone is renewing */
	AHEAD_HELD_BACK,  /* a failure remembered says not yet */
	AHEAD_FAILED,     /* it could not be started (not said: the caller was served) */
};

/* Whether the failure t remembers (ahead_*) holds a refresh ahead back at
 * now. */
bool ahead_held_back(const struct tokens *t, int64_t now);

/* Say, as a warning, the failure t remembers and what comes next. */
void ahead_say_failure(const struct profile *p, const struct tokens *t, int64_t now);

/* Start the refresher, program being the full program's path, for the
 * token the caller saw (t): see above. */
enum ahead_start ahead_start(const struct profile *p, const char *program,
		const struct tokens *t);

/* The retry time to remember after a refresh ahead that ended in status
 * (held: the tokens as they stand after it, with any throttle or budget
 * it found). */
int64_t ahead_retry_at(int status, const struct tokens *held, int64_t now);

#endif
