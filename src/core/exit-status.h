#ifndef ZOHO_OAUTH_EXIT_STATUS_H
#define ZOHO_OAUTH_EXIT_STATUS_H

/*
 * The outcome of a command, which is also its exit status. Functions that
 * can fail in more than one user-visible way return one of these; main()
 * hands it to exit(). The values are documented in the README and in
 * zoho-oauth(1), so never renumber them.
 */
enum zo_status {
	ZO_OK = 0,
	ZO_FAILURE = 1,      /* I/O, busy port, internal error */
	ZO_USAGE = 2,        /* usage or configuration error */
	ZO_REFUSED = 3,      /* the user refused access in the browser */
	ZO_TIMEOUT = 4,      /* nothing arrived before the deadline */
	ZO_REJECTED = 5,     /* Zoho answered with an error (throttle included) */
	ZO_NETWORK = 6,      /* network, TLS or server failure */
	ZO_RELOGIN = 7,      /* no usable tokens: run login again */
	ZO_BUSY = 8,         /* another process held the lock past --lock-timeout */
	ZO_STORE = 9,        /* the token store (keyring, database) can't be used */
	ZO_NO_PROGRAM = 127, /* a program we run (curl) is not there, or won't start */
	ZO_INTERRUPTED = 128, /* plus the signal number: 130 for SIGINT */
};

#endif
