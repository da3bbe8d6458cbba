#ifndef ZOHO_OAUTH_LOCK_H
#define ZOHO_OAUTH_LOCK_H

#include <stdbool.h>
#include <stdint.h>

/*
 * A lock file beside what it protects (an flock on "PATH.lock"), taken
 * with a deadline. Shared by the full program and the small front, so
 * that both wait the same way:
 *
 *  - the wait is bounded, and ends early on SIGINT, SIGTERM or SIGHUP
 *    when the caller set up signals (core/signals.h);
 *  - after a second of waiting it says once, on stderr, who holds the
 *    lock (from /proc/locks) unless quiet;
 *  - a lock file that was removed or replaced while we waited (by revoke)
 *    is noticed once the lock is ours, and the lock is taken again on the
 *    file now at the path: two processes never both believe they hold it.
 *
 * The lock file must be a regular file; it is created with mode 0600.
 */
enum lock_result {
	LOCK_TAKEN,
	LOCK_BUSY,         /* the deadline passed: someone else holds it */
	LOCK_NO_DIRECTORY, /* the directory does not exist (nothing to protect) */
	LOCK_INTERRUPTED,  /* a signal: see signals_caught() */
	LOCK_FAILED,       /* reported */
};

enum lock_mode {
	LOCK_EXCLUSIVE,  /* to write */
	LOCK_SHARED,     /* to read what a writer finished, alongside others */
};

enum lock_flags {
	LOCK_QUIET = 1,          /* say nothing while waiting (errors still) */
	LOCK_IGNORE_SIGNALS = 2, /* keep waiting through SIGINT/SIGTERM/SIGHUP
	                          * (to keep tokens Zoho already issued) */
};

/* Room for who holds a lock: "process 123 (zoho-oauth-full)". */
#define LOCK_HOLDER_MAX 96

/*
 * Lock path (the lock file itself) in mode, waiting at most timeout_ms
 * (0: try once). *fd, on LOCK_TAKEN, is for lock_release(). On LOCK_BUSY
 * holder (when not NULL) says who holds it (see lock_describe_holder).
 */
enum lock_result lock_take(const char *path, enum lock_mode mode, int64_t timeout_ms,
		unsigned flags, char *holder, size_t holder_len, int *fd);

/*
 * A lock the front handed over (core/handoff.h): fd holds the lock on
 * some lock file; lock_take() of that lock file uses it, once, if it
 * really is the lock on that path and holds it. lock_handed_for() says
 * whether the lock on path is the one handed over (and so held since
 * before this program started).
 */
void lock_adopt(int fd);
bool lock_handed_for(const char *path);

/* Release (and close) a lock; -1 is fine. */
void lock_release(int fd);

/*
 * Who holds the lock on the file open at fd, for messages: "process 123
 * (zoho-oauth-full)", or "another process" when the OS does not say.
 * The name is made safe to print.
 */
void lock_describe_holder(int fd, char *out, size_t out_len);

/* "PATH.lock" for path; false when too long. */
bool lock_path_for(const char *path, char *out, size_t out_len);

#endif
