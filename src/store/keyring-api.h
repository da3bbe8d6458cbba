#ifndef ZOHO_OAUTH_KEYRING_API_H
#define ZOHO_OAUTH_KEYRING_API_H

#include <stdbool.h>
#include <stddef.h>

/*
 * What the keyring module (store/keyring-secret.c, zoho-oauth-keyring.so,
 * which links libsecret and so GLib and D-Bus) offers the keyring store
 * (store/keyring.c, which loads it only when a profile's tokens are in
 * the keyring). Plain C across the boundary: no GLib type leaks out.
 *
 * Every call has a deadline: timeout_ms for each D-Bus exchange, and
 * prompt_ms for a prompt the user must answer (unlocking the keyring),
 * which is only shown when prompting is allowed. stop() is polled while
 * waiting and ends the wait early (a signal). Errors come back as a
 * result and one line in why; the module prints nothing.
 */
enum kr_result {
	KR_OK,
	KR_NOT_FOUND,   /* no such item */
	KR_NO_BUS,      /* no session bus to talk to */
	KR_NO_SERVICE,  /* no Secret Service on the bus */
	KR_LOCKED,      /* the keyring is locked and can't be unlocked here */
	KR_TIMEOUT,     /* no answer in time */
	KR_STOPPED,     /* stop() said so */
	KR_FAILED,      /* anything else: why says */
};

/* Which item: the attributes it is stored and found with. */
struct kr_item {
	const char *profile;
	const char *file;             /* the profile's token path */
	const char *client_id;
	const char *accounts_server;
	const char *kind;             /* "refresh-token" or "client-secret" */
};

struct kr_call {
	int timeout_ms;
	int prompt_ms;
	bool may_prompt;
	int (*stop)(void);
	char *why;
	size_t why_len;
};

struct kr_api {
	unsigned version;           /* KR_API_VERSION */
	/* The service answers and its default collection is (or, when
	 * allowed, gets) unlocked. */
	enum kr_result (*check)(const struct kr_call *c);
	/* Store secret for item, replacing one with the same attributes. */
	enum kr_result (*store)(const struct kr_call *c, const struct kr_item *item, const char *label,
		const char *secret);
	/* *secret is allocated; free it with free_secret(), which wipes. */
	enum kr_result (*lookup)(const struct kr_call *c, const struct kr_item *item, char **secret);
	/* Remove every item of the profile and kind (whatever client). */
	enum kr_result (*clear)(const struct kr_call *c, const struct kr_item *item);
	void (*free_secret)(char *secret);
};

#define KR_API_VERSION 1
#define KR_SYMBOL "zoho_oauth_keyring"

#endif
