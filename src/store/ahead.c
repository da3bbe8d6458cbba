#include <limits.h>
#include <stdio.h>
#include <stdlib.h>

#include "core/detach.h"
#include "core/exit-status.h"
#include "core/handoff.h"
#include "core/lock.h"
#include "core/log.h"
#include "core/util.h"
#include "store/ahead.h"

/* Where the refresher's lock is, in its descriptors (core/detach.h). */
#define AHEAD_LOCK_FD 3

bool ahead_held_back(const struct tokens *t, int64_t now)
{
	if (t->throttled_until > now || t->budget_until > now)
		return true;
	return t->ahead_failed_at && (t->ahead_retry_at == 0 || t->ahead_retry_at > now);
}

void ahead_say_failure(const struct profile *p, const struct tokens *t, int64_t now)
{
	char at[48], next[PROFILE_HINT_MAX + 96], hint[PROFILE_HINT_MAX], span[32];
	if (!t->ahead_failed_at)
		return;
	local_time_text(t->ahead_failed_at, false, at, sizeof(at));
	if (t->ahead_retry_at == 0) {
		profile_command(p, "login", NULL, hint, sizeof(hint));
		snprintf(next, sizeof(next), "no new try before a new sign-in: run '%s'", hint);
	} else if (t->ahead_retry_at > now) {
		char when[48];
		local_time_text(t->ahead_retry_at, false, when, sizeof(when));
		snprintf(next, sizeof(next), "the next try is after %s", when);
	} else {
		snprintf(next, sizeof(next), "trying again");
	}
	span_text(tokens_time_left(t, now), span, sizeof(span));
	log_warn("the access token of profile '%s' could not be renewed ahead of time (at %s: %s); "
		"it is still valid for %s, and %s", p->name, at,
		t->ahead_error ? t->ahead_error : "no reason recorded", span, next);
}

enum ahead_start ahead_start(const struct profile *p, const char *program,
		const struct tokens *t)
{
	char lock[PATH_MAX];
	int fd;
	if (ahead_held_back(t, wall_seconds()))
		return AHEAD_HELD_BACK;
	if (!profile_lock_path(p, lock, sizeof(lock)))
		return AHEAD_FAILED;
	enum lock_result r = lock_take(lock, LOCK_EXCLUSIVE, 0, LOCK_QUIET, NULL, 0, &fd);
	if (r == LOCK_BUSY)
		return AHEAD_BUSY;
	if (r != LOCK_TAKEN)
		return AHEAD_FAILED;
	struct handoff h = HANDOFF_NONE;
	h.lock_fd = fd;
	h.seen = true;
	h.seen_obtained_at = t->access_token ? t->obtained_at : 0;
	h.seen_expires_at = t->access_token ? t->expires_at : 0;
	h.ahead = true;
	char **env = handoff_environment(&h, AHEAD_LOCK_FD);
	/* The profile as the caller named it: the rest is in the environment
	 * and the config, as for the caller. No secret goes on the line. */
	char *argv[] = {
		(char *)program, "refresh", "--profile", (char *)p->name,
		p->path_given ? "--token-file" : NULL, p->token_path, NULL,
	};
	bool started = env && detach_start(program, argv, env, fd);
	free(env);
	/* The refresher holds the lock now (the same open file); ours goes. */
	lock_release(fd);
	if (started)
		log_debug("renewing the access token of profile '%s' behind this call", p->name);
	return started ? AHEAD_STARTED : AHEAD_FAILED;
}

int64_t ahead_retry_at(int status, const struct tokens *held, int64_t now)
{
	if (status == ZO_RELOGIN)
		return 0;
	if (held->throttled_until > now)
		return held->throttled_until;
	if (held->budget_until > now)
		return held->budget_until;
	/* A refusal that is not about how often: a client or secret Zoho no
	 * longer takes. */
	if (status == ZO_REJECTED)
		return 0;
	return now + AHEAD_RETRY_S;
}
