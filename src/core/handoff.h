#ifndef ZOHO_OAUTH_HANDOFF_H
#define ZOHO_OAUTH_HANDOFF_H

#include <stdbool.h>
#include <stdint.h>

/*
 * Everything the front (front.c) hands the full program (main.c) when it
 * execs it, in one place. The front answers a cached token alone; when it
 * must refresh it takes the profile's lock first (so that no other waiter
 * wakes up to refresh again) and hands over, across exec, in the
 * environment:
 *
 *  - the lock it holds (ZOHO_OAUTH_LOCK_FD: a descriptor that survives the
 *    exec), which lock_take() of that lock file then uses once;
 *  - how long it waited for another process's lock already
 *    (ZOHO_OAUTH_LOCK_WAITED, milliseconds), so that --lock-timeout bounds
 *    the whole wait, not each program's;
 *  - the times of the token it saw before the lock (ZOHO_OAUTH_SEEN,
 *    "OBTAINED:EXPIRES"), so that the full program's one read, made under
 *    the lock, is the second look and no third is needed;
 *  - whether the program is a refresh ahead of time, started detached by
 *    a caller that was served (ZOHO_OAUTH_AHEAD=1; store/ahead.h).
 *
 * Nothing secret is handed over. handoff_take() takes all of it out of
 * the environment, so no program started later (a browser, curl) sees it.
 */
struct handoff {
	int lock_fd;            /* -1: none */
	long waited_ms;         /* 0: none */
	bool seen;              /* the front looked before taking the lock */
	int64_t seen_obtained_at, seen_expires_at;
	bool ahead;             /* a refresh ahead of time, behind a served caller */
};

#define HANDOFF_NONE { .lock_fd = -1, .waited_ms = 0, .seen = false, .ahead = false }

/* The front, just before exec: into the environment (the lock's
 * descriptor made to survive the exec). */
bool handoff_give(const struct handoff *h);

/* The full program, first thing in main(), before any thread or child. */
void handoff_take(struct handoff *out);

/*
 * For a program started rather than exec'd (a refresh ahead): our
 * environment less anything secret and any hand-off of our own, with h's
 * added, its lock as descriptor fd_number in the new program. One block,
 * the caller's to free(); NULL when out of memory.
 */
char **handoff_environment(const struct handoff *h, int fd_number);

#endif
