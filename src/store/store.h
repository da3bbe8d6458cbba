#ifndef ZOHO_OAUTH_STORE_H
#define ZOHO_OAUTH_STORE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "settings/profile.h"
#include "zoho/tokens.h"

/*
 * Where a profile's tokens live. Every command goes through this
 * interface; only the backends (store/file.c, keyring.c, postgresql.c)
 * know where that is. A command opens its profile's store once and passes
 * it down.
 *
 * Opening reads the record at the profile's token path, once: it names
 * the store the tokens are in (the file itself, or the metadata of the
 * keyring or a database), and what it said is kept, so that nothing
 * below reads it again before the lock. A change (a refresh, a sign-in,
 * a revocation, a migration) happens under the store's exclusive lock,
 * taken with a deadline, and after a second read (store_reload), so that
 * any number of processes refresh once and nobody overwrites what another
 * just wrote.
 *
 * Every function says its own errors (once, core/log.h: a caller that may
 * fall back holds them in a report) and returns an exit status
 * (core/exit-status.h), except where it says otherwise.
 */
struct store;

/*
 * The profile's store: the one the record at its token path names, else
 * (no record) the one p->store names, where new tokens go, else the file.
 * With STORE_AS_RECORDED, only what the record names counts (a migration:
 * p->store is where they go, not where they are). ZO_OK also when there
 * are no tokens (store_has_tokens() says); a record that can't be used is
 * said by store_load(). p must outlive the store.
 */
enum store_open_flags {
	STORE_AS_RECORDED = 1,
};
int store_open(const struct profile *p, unsigned flags, struct store **out);

/* The record the open read at the token path when there was a usable one
 * (a token file, or a store's metadata with its cached access token), for
 * a look that costs nothing (login's reuse of what its old tokens were
 * made with); NULL otherwise. */
const struct tokens *store_local(const struct store *st);

/*
 * Another store for the same profile ("file", "keyring", a database):
 * where a migration or a sign-in with --store puts the tokens. What st
 * read is shared, not read again.
 */
int store_open_other(const struct store *st, const char *kind, struct store **out);

/* The same kind of store as st (the same database) for another profile,
 * with nothing read yet of p's record but what its open reads. */
int store_open_like(const struct store *st, const struct profile *p, struct store **out);

/* The kind of store a name gives ("file" for NULL): for comparing where
 * tokens are with where they are asked to go. */
bool store_same_kind(const struct store *st, const char *name);

void store_close(struct store *st);

const struct profile *store_profile(const struct store *st);
/* Where the tokens are, for messages ("/home/me/.local/share/..."). */
const char *store_where(const struct store *st);
/* Which backend: "file", "keyring", "postgresql". */
const char *store_kind(const struct store *st);
/* Whether many machines share the tokens (a database): they spread their
 * refresh moments (store/judge.h). */
bool store_shared(const struct store *st);
/* How status names it: "file", "keyring (Secret Service)", ... (room:
 * STORE_DESCRIBE_MAX; a database's connection string may be cut). */
#define STORE_DESCRIBE_MAX 128
void store_describe(const struct store *st, char *out, size_t len);

/*
 * Whether the profile has tokens in this store: what the open read (or,
 * for a shared database the machine has never used, whether the database
 * has them: one quiet round trip). No message either way.
 */
bool store_has_tokens(struct store *st);

/*
 * The stored tokens: what the open (or the last reload) read, and for a
 * store that keeps them elsewhere, as far as this machine knows them (the
 * access token from the cache; the secrets by store_load_secrets()). The
 * caller finishes *out. ZO_RELOGIN when there are none (said, with the
 * command that makes them).
 */
int store_load(struct store *st, struct tokens *out);

/*
 * What store_load() leaves out because the backend keeps it elsewhere
 * and fetching it costs a round trip (the keyring, a database): the
 * refresh token and the client secret, for a refresh or a revocation.
 * ZO_OK at once for the file store.
 */
int store_load_secrets(struct store *st, struct tokens *t);

enum store_lock_flags {
	STORE_LOCK_KEEP_SIGNALS = 1, /* wait on through SIGINT/SIGTERM/SIGHUP: tokens Zoho
	                              * issued are being saved */
};

/*
 * Take the exclusive lock, waiting at most timeout_ms. ZO_OK; ZO_BUSY when
 * someone else held it all that time (not said: the caller decides;
 * holder says who); ZO_RELOGIN when there is nothing to lock (no tokens);
 * ZO_INTERRUPTED + signal; ZO_FAILURE.
 */
int store_lock(struct store *st, int64_t timeout_ms, unsigned flags, char *holder,
		size_t holder_len);
void store_unlock(struct store *st);

/*
 * For a store that many machines share (a database), when this machine's
 * next look is due (the cache's check_by: at most every check_interval
 * seconds, never on every call): whether its tokens still stand there.
 * Revoked elsewhere (the row is gone): this machine forgets them too,
 * said with the command that signs in again, ZO_RELOGIN. Replaced by a
 * new sign-in, or renewed: this machine takes the row's (its cache), and
 * the record is read again. A store that doesn't answer within
 * STORE_CHECK_MS is asked again at the next look, and the cached token is
 * used meanwhile: ZO_OK. At once for the other stores.
 */
#define STORE_CHECK_MS 1000
int store_check(struct store *st);

/*
 * Before the lock, for a store that many machines share (a database): a
 * plain read of its copy, and when that holds a newer access token than
 * this machine's, the machine takes it (its cache) and the record is read
 * again; so that only a machine that must refresh locks the row. ZO_OK
 * when there is nothing newer too, and at once for the other stores;
 * quiet: what goes wrong is for the lock to find again.
 */
int store_peek(struct store *st);

/*
 * Under the lock: read the record again (the second look), unless the
 * first read was made under this very lock (one the front took before it
 * handed over: then it is the second look already). Returns as
 * store_open().
 */
int store_reload(struct store *st);

/*
 * Make sure that a save will succeed, before doing what the save is for
 * (a refresh at Zoho, a sign-in): room on the disk, a writable directory,
 * a keyring that answers. current (may be NULL) sizes what will be saved.
 * With STORE_KEEP_EXISTING, a shared store that already holds the
 * profile's tokens is not to be replaced (a migration into a fleet's
 * database without --force): said, ZO_USAGE. With STORE_FOR_REFRESH, what
 * follows is store_save_access(), and a shared store counts the refresh
 * against Zoho's limits now, before it is asked for (the row's lock goes
 * with it: others wait for the count to be confirmed). Undone by the save
 * or by store_abandon().
 */
enum store_prepare_flags {
	STORE_KEEP_EXISTING = 1,
	STORE_FOR_REFRESH = 2,
};
int store_prepare(struct store *st, const struct tokens *current, unsigned flags);
void store_abandon(struct store *st);
/* The same, for a refresh Zoho clearly refused (no token was issued): a
 * shared store that counted it before it was asked for takes the count
 * back too. */
void store_abandon_refused(struct store *st);

/* Save t (atomically), as prepared if it was; the caller holds the lock. */
int store_save(struct store *st, const struct tokens *t);

/*
 * After a refresh, under the lock: t's new access token goes to the
 * cache (store/local.h), and the record stays as it is, byte for byte:
 * a refresh never rewrites the refresh token (the file store's record and
 * another store's metadata are written by a sign-in, a migration or a
 * revocation only). A shared database's row, the fleet's cache, takes it
 * too. When the cache can't be written, the record takes it (durably), so
 * that the token Zoho issued is never lost.
 */
int store_save_access(struct store *st, const struct tokens *t);

/* Under the lock: what a refresh ahead left (t's ahead_*, with its access
 * token as it is) goes to the cache. */
int store_note(struct store *st, const struct tokens *t);

/*
 * Save t where the lock doesn't matter, because the lock can't be had and
 * t must not be lost (a sign-in's new refresh token): beside the usual
 * place, never over it. *where says where it went.
 */
int store_save_aside(struct store *st, const struct tokens *t, char *where, size_t where_len);

/*
 * Remove what is stored; the caller holds the lock. STORE_FORGET_HERE
 * forgets what this machine keeps and leaves a shared store's copy (revoke
 * --local of a fleet's profile); after a migration, whatever the new store
 * wrote at the profile's path (its metadata, its cache) is left to it.
 */
enum store_forget_flags {
	STORE_FORGET_HERE = 1,
};
int store_forget(struct store *st, unsigned flags);

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

/*
 * Move what src holds to dst without a new sign-in: another store of the
 * same profile (a migration), or the same kind of store of another
 * profile (login's "save these settings as a profile?"). Under src's lock
 * (and dst's, when it is another file), what src holds is written to dst
 * (prepared with prepare_flags) and read back before src forgets it, so
 * that an interruption leaves src usable. *copied: dst has them (src may
 * too, when it could not forget them). Said when it fails.
 */
int store_move(struct store *src, struct store *dst, unsigned prepare_flags, bool *copied);

/* What store_lock() waited for, for messages: "PATH.lock", or the
 * database row. */
const char *store_lock_name(const struct store *st, char *buf, size_t len);

/* The command that puts tokens saved aside (store_save_aside) where they
 * belong, once whatever stopped them is over: "mv ASIDE PATH", or a
 * migration into the database. */
void store_restore_hint(const struct store *st, const char *aside, char *out, size_t len);

#endif
