#ifndef ZOHO_OAUTH_CHILD_H
#define ZOHO_OAUTH_CHILD_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

/*
 * Every program zoho-oauth starts (the browser, curl) is started here,
 * one way (as git's run-command): fork, then in the child only
 * async-signal-safe calls (the descriptors it gets, its own session when
 * asked, default signal handling), exec, and the exec's failure sent back
 * through a close-on-exec pipe, so that "not found" is told apart from a
 * program that ran and failed. The environment is ours less anything
 * secret unless the caller gives one.
 */
#define CHILD_INHERIT (-1)  /* the child's 0, 1 or 2 is ours */
#define CHILD_NULL (-2)     /* ... or /dev/null */
#define CHILD_KEEP_MAX 4

struct child {
	/* What to start (the caller's; kept as they are): */
	const char *path;          /* an executable's path (program_find()) */
	char *const *argv;
	char *const *envp;         /* NULL: program_environment() */
	int in, out, err;          /* a descriptor, CHILD_INHERIT or CHILD_NULL */
	int keep[CHILD_KEEP_MAX];  /* descriptors the program gets as they are numbered */
	size_t n_keep;
	bool new_session;          /* its own session: no terminal signal reaches it */
	/* What was started: */
	pid_t pid;                 /* 0: none (any more) */
	int pidfd;                 /* readable when it exits; -1: unavailable */
};

/*
 * Start c. true once the exec happened; false with *exec_errno (0 when
 * the fork or a pipe failed: errno says why) when it did not.
 */
bool child_start(struct child *c, int *exec_errno);

/*
 * Whether c has ended, without blocking (call when its pidfd is readable,
 * or poll); *wstatus its wait status. c is reaped then: pid 0, pidfd
 * closed.
 */
bool child_ended(struct child *c, int *wstatus);

/* Wait for c to end (EINTR is not the end); its wait status. */
int child_wait(struct child *c);

/* Stop watching c, which goes on running. */
void child_forget(struct child *c);

/*
 * Find prog as execvp would (in $PATH, or /usr/local/bin:/usr/bin:/bin
 * without one; a name with a '/' as it is), but in the parent: after
 * fork() in a threaded process the child may only make async-signal-safe
 * calls. out gets the path of the first executable match.
 */
bool program_find(const char *prog, char *out, size_t out_len);

/*
 * The environment for a program we start: ours, less anything secret
 * (ZOHO_CLIENT_SECRET, should it still be there). The array is the
 * caller's to free(); its strings are environ's.
 */
char **program_environment(void);

#endif
