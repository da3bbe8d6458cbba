#ifndef ZOHO_OAUTH_SIGNALS_H
#define ZOHO_OAUTH_SIGNALS_H

#include <signal.h>
#include <stdbool.h>

/*
 * SIGINT, SIGTERM and SIGHUP do not kill the process: they are recorded,
 * and whoever waits (poll on signals_fd(), curl's progress callback, the
 * secret prompt) stops, cleans up and exits 128 + the signal number.
 * SIGPIPE is ignored.
 */
bool signals_init(void);
/* Readable once a signal has arrived. */
int signals_fd(void);
/* The first signal caught, or 0. */
int signals_caught(void);

/* Block the three signals in the calling thread (before creating threads
 * that must not take them), and restore the mask afterwards. */
void signals_block(sigset_t *old);
void signals_restore(const sigset_t *old);

/* In a forked child, before exec: default dispositions and an empty mask.
 * Async-signal-safe. */
void signals_reset_for_exec(void);

#endif
