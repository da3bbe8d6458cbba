#ifndef ZOHO_OAUTH_STORE_H
#define ZOHO_OAUTH_STORE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "settings/settings.h"
#include "zoho/tokens.h"

/*
 * Where a profile's tokens live. Every command goes through this
 * interface; only the backends (store/file.c, ...) know where that is.
 *
 * A change (a refresh, a sign-in, a revocation) happens under the store's
 * exclusive lock, taken with a deadline, so that any number of processes
 * refresh once and nobody overwrites what another just wrote. Reading
 * takes no lock.
 *
 * Every function reports its own errors (once) and returns an exit status
 * (core/exit-status.h), except where it says otherwise.
 */
struct store;

/*
 * The profile's store: where its tokens are (the record at the token path
 * names it), else where the settings say new ones go (--store, store = in
 * the config), else the file.
 */
int store_open(const struct settings *s, struct store **out);
/* A store by name ("file", "keyring", a database), for the profile. */
int store_open_named(const struct settings *s, const char *name, struct store **out);
/* The name store_open() goes by: NULL for the file; else in buf. */
const char *store_where_now(const struct settings *s, char *buf, size_t len);
void store_close(struct store *st);

/* Where the tokens are, for messages ("/home/me/.local/share/..."). */
const char *store_where(const struct store *st);
/* Which backend: "file", "keyring". */
const char *store_kind(const struct store *st);
/* How status names it: "file", "keyring (Secret Service)", ... */
void store_describe(const struct store *st, char *out, size_t len);

/* Whether anything is stored (no message either way). */
bool store_exists(struct store *st);

/*
 * The stored tokens. ZO_RELOGIN when there are none (the message gives the
 * login command that would make them); ZO_FAILURE when they cannot be read
 * or may not be trusted (the message says how to fix it; nothing is
 * changed).
 */
int store_load(struct store *st, struct tokens *out);

/*
 * What store_load() may leave out because the backend keeps it elsewhere
 * and fetching it costs a round trip (the keyring, a database): the
 * refresh token and the client secret, for a refresh or a revocation.
 * ZO_OK at once for the file store.
 */
int store_load_secrets(struct store *st, struct tokens *t);

/*
 * Take the exclusive lock, waiting at most timeout_ms. ZO_OK; ZO_BUSY when
 * someone else held it all that time (not reported: the caller decides;
 * holder says who); ZO_RELOGIN when there is nothing to lock (no tokens);
 * ZO_INTERRUPTED + signal (unless ignore_signals); ZO_FAILURE.
 */
int store_lock(struct store *st, int64_t timeout_ms, bool ignore_signals, char *holder,
		size_t holder_len);
void store_unlock(struct store *st);

/*
 * Make sure that a save will succeed, before doing what the save is for
 * (a refresh at Zoho, a sign-in): room on the disk, a writable directory.
 * current (may be NULL) sizes what will be saved. Undone by the save or
 * by store_abandon().
 */
int store_prepare(struct store *st, const struct tokens *current);
void store_abandon(struct store *st);

/* Save t (atomically), as prepared if it was; the caller holds the lock. */
int store_save(struct store *st, const struct tokens *t);

/*
 * Save t where the lock doesn't matter, because the lock can't be had and
 * t must not be lost (a sign-in's new refresh token): beside the usual
 * place, never over it. *where says where it went.
 */
int store_save_aside(struct store *st, const struct tokens *t, char *where, size_t where_len);

/* Remove what is stored; the caller holds the lock. */
int store_forget(struct store *st);

/*
 * A shared store's count of Zoho's limits for the profile's refresh
 * token: access tokens issued in the last window (Zoho allows window_cap
 * per window) and in the last hour (live: Zoho keeps only so many alive),
 * and until when no refresh may happen (0: one may now).
 */
struct store_budget {
	bool known;          /* false: this store keeps no count (file, keyring) */
	int window;          /* seconds */
	int in_window, window_cap;
	int live, live_cap;
	int64_t spent_until;
	char updated_by[128];
	int64_t updated_at;
};
int store_budget(struct store *st, struct store_budget *out);

/* What store_lock() waited for, for messages: "PATH.lock", or the
 * database row. */
const char *store_lock_name(const struct store *st, char *buf, size_t len);

/* The command that puts tokens saved aside (store_save_aside) where they
 * belong, once whatever stopped them is over: "mv ASIDE PATH", or a
 * migration into the database. */
void store_restore_hint(const struct store *st, const char *aside, char *out, size_t len);

/* "zoho-oauth login" or "zoho-oauth login --profile NAME", for messages. */
void store_login_hint(const struct settings *s, char *out, size_t len);

#endif
