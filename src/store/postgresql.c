/*
 * The PostgreSQL store: a profile's tokens in a row of the table
 * zoho_oauth_tokens, shared by every machine whose profile names the same
 * database, so that one sign-in serves a fleet and the fleet refreshes
 * once per window.
 *
 * On each machine the token path holds the non-secret metadata and the
 * access token is cached in $XDG_RUNTIME_DIR (store/local.c), as for the
 * keyring: a cached token is one small read, and the front never loads
 * libpq. The database is asked only when the cache can't answer.
 *
 * The lock is two locks, taken in order: the flock beside the token path
 * (so that the callers of one machine wait on it, and in the front, and
 * one of them talks to the database), then the row, in a transaction
 * (SELECT ... FOR UPDATE with a lock_timeout), so that one machine
 * refreshes and the others read what it stored. A refresher that dies
 * loses its connection, and its row lock with it.
 *
 * The server's clock is the fleet's: every time in the row is by it, and
 * each machine moves the row's times to its own clock as it reads them
 * (learn_clock()), so that no machine's wrong clock decides for the others.
 *
 * Zoho's limits are counted in the row: the times of the access tokens
 * issued for the current refresh token in the last hour. While ten were
 * issued in the last ten minutes (Zoho allows ten), or the live cap in the
 * last hour (Zoho keeps 10, 15 or 30 alive, by which page you read, and
 * silently ends the oldest), nobody refreshes: the current token is
 * served while it is valid, and what is held back says until when. The
 * live cap is the strictest figure unless the login (or migrate) that
 * filled the row was given another (live_tokens in its config): the row
 * keeps it, for every machine, and a machine's own config may only lower
 * it (live_cap()).
 */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "config.h"
#include "core/exit-status.h"
#include "core/lock.h"
#include "core/log.h"
#include "core/module.h"
#include "core/secure-file.h"
#include "core/signals.h"
#include "core/text.h"
#include "core/util.h"
#include "store/backend.h"
#include "store/local.h"
#include "store/postgresql-api.h"
#include "store/remote.h"

#define WINDOW ZOHO_REFRESH_WINDOW
#define WINDOW_CAP ZOHO_REFRESHES_PER_WINDOW
#define LIVE_WINDOW ZOHO_ACCESS_LIFETIME

#define PG_WHY_MAX 512

struct pg_store {
	struct store base;     /* where: the token path (the metadata) */
	char *spec;            /* the connection string; never holds a password */
	const struct pg_api *api;
	struct pgs_conn *conn;
	bool in_transaction;   /* the row is locked (or there was none to lock) */
	struct pg_row row;     /* what the row held when last read */
	bool have_row;
	char *row_refresh;     /* the row's grant when locked (grant_of()), to tell a
	                        * refresh from a new sign-in */
	bool busy_on_row;      /* the last lock() waited out the row, not the flock */
	int64_t deadline_ms;   /* the conversation's (conversation()) */
	int64_t counted_at;    /* this process's refresh, counted in the row before it was
	                        * asked for (the server's time in issued); 0: none */
	char reserved_by[160]; /* and who counted it, as the row says */
	int64_t offset;        /* seconds: the server's clock minus this machine's */
	bool clock_known;      /* offset was measured, or kept in the cache */
	bool ignore_signals;   /* a sign-in's save: waits go on through signals */
};

static struct pg_store *pg_of(struct store *st)
{
	return (struct pg_store *)st;
}

static int stop_waiting(void)
{
	return signals_caught();
}

/* The module, loaded on first use (never unloaded: core/module.h). */
static int need_api(struct pg_store *k)
{
	static const void *api;
	if (!k->api)
		k->api = remote_module(&api, HAVE_POSTGRESQL, "zoho-oauth-postgresql.so", PG_SYMBOL,
			PG_API_VERSION, "PostgreSQL", "meson setup -Dpostgresql=enabled, with libpq-dev");
	return k->api ? ZO_OK : ZO_STORE;
}

static struct pg_call call_for(const struct pg_store *k, char *why, size_t why_len)
{
	const struct waits *w = &k->base.p->waits;
	struct pg_call c = {
		.timeout_ms = (int)w->connect_timeout * 1000,
		.deadline_ms = k->deadline_ms,
		.hold_ms = (int)(w->max_time + 5) * 1000,
		/* Tokens Zoho issued are being saved: a signal waits. */
		.stop = k->ignore_signals ? NULL : stop_waiting,
		.why = why,
		.why_len = why_len,
	};
	why[0] = '\0';
	return c;
}

/* Say why the database can't be used; the exit status for it. */
static int failed(struct pg_store *k, enum pgs_result r, const char *doing, const char *why)
{
	switch (r) {
	case PG_OK:
		return ZO_OK;
	case PG_STOPPED:
		return ZO_INTERRUPTED + signals_caught();
	case PG_TIMEOUT:
		log_error("cannot %s: the database %s did not answer within %ld second%s (%s); "
			"--connect-timeout waits longer", doing, k->spec, k->base.p->waits.connect_timeout,
			plural(k->base.p->waits.connect_timeout),
			why[0] ? why : "no answer");
		return ZO_STORE;
	case PG_DENIED:
		log_error("cannot %s: the database %s refused: %s (the README's 'Sharing a token "
			"across machines' lists what the role needs)", doing, k->spec, why);
		return ZO_STORE;
	case PG_NOT_FOUND:
	case PG_BUSY:
	case PG_FAILED:
		break;
	}
	log_error("cannot %s: the database %s: %s", doing, k->spec, why[0] ? why : "failed");
	return ZO_STORE;
}

/* The one deadline of what is said to the database from now on: the
 * connection (once), every statement and the row's lock within ms, as
 * documented (a read or a write within --connect-timeout, the lock within
 * --lock-timeout more). */
static void conversation(struct pg_store *k, int64_t ms)
{
	k->deadline_ms = monotonic_ms() + ms;
}

static int connect_db(struct pg_store *k, const char *doing)
{
	if (k->conn)
		return ZO_OK;
	int status = need_api(k);
	if (status != ZO_OK)
		return status;
	char why[PG_WHY_MAX], name[96], host[64] = "";
	gethostname(host, sizeof(host) - 1);
	snprintf(name, sizeof(name), "zoho-oauth on %.40s (pid %ld)", host, (long)getpid());
	struct pg_call c = call_for(k, why, sizeof(why));
	return failed(k, k->api->connect(&c, k->spec, name, &k->conn), doing, why);
}

static void disconnect(struct pg_store *k)
{
	if (k->conn) {
		char why[256];
		struct pg_call c = call_for(k, why, sizeof(why));
		if (k->in_transaction)
			k->api->finish(&c, k->conn, false);
		k->api->disconnect(k->conn);
	}
	k->conn = NULL;
	k->in_transaction = false;
}

static void drop_row(struct pg_store *k)
{
	if (k->have_row)
		k->api->free_row(&k->row);
	k->have_row = false;
	secret_free(k->row_refresh);
	k->row_refresh = NULL;
}

/*
 * The server's clock is the fleet's (postgresql-api.h): the row's times
 * are the server's, and each machine moves them to its own clock as it
 * reads them and back as it writes, so that what it keeps (the cache) and
 * how it judges (store/judge.h) are by its own clock, and a machine whose
 * clock is off, by seconds or by hours, neither misjudges the fleet's
 * token nor misleads the others. The offset is measured in every
 * transaction and kept in the cache; a new measure replaces the kept one
 * only when they differ by more than a second (the rounding of one round
 * trip), so that one token's times read the same in every process.
 */
static void learn_clock(struct pg_store *k)
{
	int64_t ms;
	if (!k->conn || !k->api->clock_offset(k->conn, &ms))
		return;
	int64_t now = (ms >= 0 ? ms + 500 : ms - 500) / 1000;
	const struct tokens *kept = &k->base.record.tokens;
	if (!k->clock_known && k->base.record.result == TOKEN_FILE_OK &&
			kept->record == RECORD_META && kept->has_clock_offset) {
		k->offset = kept->clock_offset;
		k->clock_known = true;
	}
	if (k->clock_known && llabs(now - k->offset) <= 1)
		return;
	if (now < -1 || now > 1)
		log_debug("this machine's clock is %lld second%s %s the database's (%s): times are "
			"taken by the database's", (long long)llabs(now), plural(llabs(now)),
			now > 0 ? "behind" : "ahead of", k->spec);
	k->offset = now;
	k->clock_known = true;
}

/* A time of the row by this machine's clock, and back (0: none). */
static int64_t to_local(const struct pg_store *k, int64_t server_time)
{
	return server_time ? server_time - k->offset : 0;
}

static int64_t to_server(const struct pg_store *k, int64_t local_time)
{
	return local_time ? local_time + k->offset : 0;
}

/* The row's record for t, whose times are this machine's: the times moved
 * to the server's clock, and no budget (the row counts it each time).
 * NULL when out of memory (said); a secret. */
static char *row_record(const struct pg_store *k, const struct tokens *t)
{
	struct tokens as_row = *t; /* shallow */
	as_row.obtained_at = to_server(k, t->obtained_at);
	as_row.expires_at = to_server(k, t->expires_at);
	as_row.throttled_until = to_server(k, t->throttled_until);
	as_row.reserved_until = to_server(k, t->reserved_until);
	as_row.budget_until = 0;
	return tokens_to_json(&as_row);
}

/* What a row's tokens are renewed with, to tell a refresh from a new
 * sign-in: the refresh token, or a client's credentials (a string of its
 * own); NULL for neither. Owned; a secret. */
static char *grant_of(const struct tokens *t)
{
	if (t->client_credentials && t->client_id) {
		char cc[300];
		snprintf(cc, sizeof(cc), "client credentials of %s", t->client_id);
		return xstrdup(cc);
	}
	return t->refresh_token ? xstrdup(t->refresh_token) : NULL;
}

/* Whether t is renewed with the grant the row held when locked. */
static bool same_grant(const char *row_grant, const struct tokens *t)
{
	char *mine = grant_of(t);
	bool same = row_grant && mine && strcmp(row_grant, mine) == 0;
	secret_free(mine);
	return same;
}

static int by_time(const void *a, const void *b)
{
	int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
	return x < y ? -1 : x > y;
}

/* The live access tokens counted against: the row's figure (the
 * strictest when it has none), or this machine's, when lower. */
static int live_cap(const struct profile *p, int recorded)
{
	int cap = recorded > 0 ? recorded : ZOHO_LIVE_TOKENS_STRICTEST;
	return p->live_tokens > 0 && p->live_tokens < cap ? p->live_tokens : cap;
}

/* How long the row's access tokens live, as Zoho said of the current one
 * (an hour; a token issued longer ago than that is no longer alive, so it
 * doesn't count against the live tokens). */
static int64_t live_window(const struct tokens *t)
{
	int64_t lifetime = t->expires_at - t->obtained_at;
	return lifetime > 0 && lifetime < LIVE_WINDOW ? lifetime : LIVE_WINDOW;
}

/*
 * The budget of the row's refresh token at now (the server's clock):
 * how many access tokens were issued in the window and are still alive
 * (issued within lifetime, the token's: an hour from Zoho),
 * and until when no more may be (0: a refresh may happen now). The times
 * are the server's, written as each token was counted; a row written by
 * an older release may hold times by a machine's clock still to come,
 * and they count (they age out late: safe). Times more than an hour ahead
 * are a clock gone wrong, and ignored. A second's rounding is taken
 * against us.
 */
static int64_t spent_until(const struct pg_row *row, int cap, int64_t lifetime, int64_t now,
		int *in_window, int *live)
{
	int64_t at[PG_MAX_ISSUED], win[2 * PG_MAX_ISSUED];
	int n = 0, w = 0, l = 0;
	for (int i = 0; i < row->n_issued; i++)
		if (row->issued[i] >= now - LIVE_WINDOW && row->issued[i] <= now + LIVE_WINDOW)
			at[n++] = row->issued[i];
	qsort(at, (size_t)n, sizeof(at[0]), by_time);
	for (int i = 0; i < n; i++) {
		if (at[i] >= now - lifetime)
			l++;
		if (at[i] >= now - WINDOW)
			win[w++] = at[i];
	}
	/* A client-credentials row's window counts the client's other such
	 * rows too (Zoho counts the client's grants); its live tokens are its
	 * own. */
	for (int i = 0; i < row->n_shared; i++)
		if (row->shared[i] >= now - WINDOW && row->shared[i] <= now + LIVE_WINDOW)
			win[w++] = row->shared[i];
	qsort(win, (size_t)w, sizeof(win[0]), by_time);
	int64_t until = 0;
	/* Newest last: the one whose ageing out frees a place is the cap-th
	 * newest. */
	if (l >= cap && at[n - cap] + lifetime + 1 > until)
		until = at[n - cap] + lifetime + 1;
	if (w >= WINDOW_CAP && win[w - WINDOW_CAP] + WINDOW + 1 > until)
		until = win[w - WINDOW_CAP] + WINDOW + 1;
	if (in_window)
		*in_window = w;
	if (live)
		*live = l;
	return until;
}

/* The row's record as tokens, with the budget applied. */
static int row_tokens(struct pg_store *k, struct tokens *out)
{
	char why[TOKENS_WHY_MAX];
	bool ok = tokens_from_json_as(RECORD_FILE, k->row.record, strlen(k->row.record), out, why,
		sizeof(why));
	if (ok && out->record != RECORD_FILE) {
		tokens_finish(out);
		snprintf(why, sizeof(why), "it names another store");
		ok = false;
	}
	if (!ok) {
		log_error("the database %s holds no valid token record for profile '%s' (%s); it was "
			"left as it is", k->spec, k->base.p->name, why);
		return ZO_FAILURE;
	}
	out->obtained_at = to_local(k, out->obtained_at);
	out->expires_at = to_local(k, out->expires_at);
	out->throttled_until = to_local(k, out->throttled_until);
	out->reserved_until = to_local(k, out->reserved_until);
	out->budget_until = to_local(k, spent_until(&k->row, live_cap(k->base.p, out->live_tokens),
		live_window(out), wall_seconds() + k->offset, NULL, NULL));
	return ZO_OK;
}

/* What this machine keeps of t: the cache and the metadata that points
 * the profile at the database. */
static bool write_local(struct pg_store *k, const struct tokens *t, const char *meta_path)
{
	/* Just seen in the row: the next look at it is an interval away. */
	struct tokens seen = *t; /* shallow */
	seen.check_by = wall_seconds() + k->base.p->check_interval;
	/* For the front, which judges without the settings. */
	seen.spread = k->base.p->machine_offset;
	seen.clock_offset = k->offset;
	seen.has_clock_offset = k->clock_known;
	return remote_write(k->base.p, k->spec, &seen, meta_path);
}

/* Read the row (no lock), into k->row, within within_ms (0: within
 * --connect-timeout). */
static int fetch_row_within(struct pg_store *k, bool quiet, int64_t within_ms)
{
	const struct profile *p = k->base.p;
	char why[PG_WHY_MAX];
	conversation(k, within_ms ? within_ms : p->waits.connect_timeout * 1000);
	int status = connect_db(k, "read the tokens");
	if (status != ZO_OK)
		return status;
	struct pg_call c = call_for(k, why, sizeof(why));
	drop_row(k);
	enum pgs_result r = k->api->fetch(&c, k->conn, p->name, false, 0, &k->row);
	learn_clock(k);
	if (r == PG_OK) {
		k->have_row = true;
		return ZO_OK;
	}
	if (r == PG_NOT_FOUND) {
		if (!quiet) {
			char where[PATH_MAX];
			snprintf(where, sizeof(where), "none in the database %s, and none on this machine",
				k->spec);
			store_say_no_tokens(&k->base, where);
		}
		return ZO_RELOGIN;
	}
	return quiet ? ZO_STORE : failed(k, r, "read the tokens", why);
}

static int fetch_row(struct pg_store *k, bool quiet)
{
	return fetch_row_within(k, quiet, 0);
}

/* Whether the record at the token path is this database's metadata. */
static bool record_ours(const struct pg_store *k)
{
	const struct store_record *rec = &k->base.record;
	return rec->result == TOKEN_FILE_OK && rec->tokens.record == RECORD_META &&
		strcmp(rec->tokens.store, k->spec) == 0;
}

static bool pg_has_tokens(struct store *st)
{
	struct pg_store *k = pg_of(st);
	if (record_ours(k))
		return true;
	/* No login on this machine: one elsewhere counts. */
	struct report quiet;
	report_open(&quiet);
	bool there = fetch_row(k, true) == ZO_OK;
	report_drop(&quiet);
	return there;
}

static int pg_load(struct store *st, struct tokens *out)
{
	struct pg_store *k = pg_of(st);
	const struct profile *p = st->p;
	char hint[PROFILE_HINT_MAX];

	/* Under the lock the row is the truth, read with the lock. */
	if (k->in_transaction) {
		if (!k->have_row) {
			profile_command(p, "login", NULL, hint, sizeof(hint));
			log_error("the database %s holds no tokens for profile '%s' (revoked or moved from "
				"another machine?): sign in again with '%s'", k->spec, p->name, hint);
			return ZO_RELOGIN;
		}
		return row_tokens(k, out);
	}
	int status = store_record_usable(st, "metadata file");
	if (status == ZO_OK) {
		if (record_ours(k))
			return tokens_copy(out, &st->record.tokens) ? ZO_OK : ZO_FAILURE;
		log_error("%s does not describe tokens in the database %s", st->where, k->spec);
		return ZO_FAILURE;
	}
	if (status != ZO_RELOGIN)
		return status;

	/* This machine has never used the profile: the row has it, and from
	 * now on this machine keeps the metadata and the cache. */
	status = fetch_row(k, false);
	if (status == ZO_OK)
		status = row_tokens(k, out);
	if (status == ZO_OK && p->client_id && strcmp(out->client_id, p->client_id) != 0) {
		log_error("the database %s holds tokens of client %s for profile '%s', not of %s as "
			"the config says: fix client_id, or use another profile name", k->spec,
			out->client_id, p->name, p->client_id);
		tokens_finish(out);
		status = ZO_FAILURE;
	}
	if (status == ZO_OK && !write_local(k, out, st->where)) {
		tokens_finish(out);
		status = ZO_FAILURE;
	}
	return status;
}

/* The refresh token and the client secret: the row holds them. */
static int pg_load_secrets(struct store *st, struct tokens *t)
{
	struct pg_store *k = pg_of(st);
	if ((t->refresh_token || !t->refresh_elsewhere) && t->client_secret)
		return ZO_OK;
	int status = k->in_transaction ? (k->have_row ? ZO_OK : ZO_RELOGIN) : fetch_row(k, false);
	struct tokens row;
	if (status == ZO_OK)
		status = row_tokens(k, &row);
	if (status != ZO_OK)
		return status;
	if (strcmp(row.client_id, t->client_id) != 0) {
		log_error("the database %s holds tokens of another client for profile '%s' (%s): "
			"sign in again", k->spec, st->p->name, row.client_id);
		tokens_finish(&row);
		return ZO_RELOGIN;
	}
	if (!t->refresh_token && row.refresh_token) {
		t->refresh_token = row.refresh_token;
		row.refresh_token = NULL;
	}
	if (!t->client_secret && row.client_secret) {
		t->client_secret = row.client_secret;
		row.client_secret = NULL;
	}
	tokens_finish(&row);
	return ZO_OK;
}

/* After the lock file's lock: the row's, in a transaction. */
/*
 * The row, locked (in a transaction), once nobody's refresh is counted in
 * it and unconfirmed (reserve()): while one is, the lock is let go and
 * taken again, within timeout_ms: at once at first (the refresher is
 * about to hold the row again, and the next try waits on its lock), then
 * less and less often, up to every RESERVED_POLL_MS (its refresher died).
 * ZO_BUSY after, holder saying whose.
 */
#define RESERVED_FIRST_MS 5
#define RESERVED_POLL_MS 200

/* Sleep ms, in slices, unless a signal ends the wait: true then. */
static bool pause_ms(const struct pg_store *k, int64_t ms)
{
	int64_t until = monotonic_ms() + ms;
	for (int64_t now = monotonic_ms(); now < until; now = monotonic_ms()) {
		if (!k->ignore_signals && stop_waiting())
			return true;
		int64_t slice = until - now < 50 ? until - now : 50;
		struct timespec ts = { 0, (long)slice * 1000000L };
		nanosleep(&ts, NULL);
	}
	return !k->ignore_signals && stop_waiting();
}
/* count: the row is locked for a refresh that may be counted (for a
 * client-credentials row, the client's lock goes with it). */
static int lock_row(struct pg_store *k, int64_t timeout_ms, bool count, char *holder,
		size_t holder_len)
{
	const struct profile *p = k->base.p;
	int64_t start = monotonic_ms();
	int64_t pause = RESERVED_FIRST_MS;
	char why[PG_WHY_MAX];
	for (;;) {
		int status = connect_db(k, "lock the tokens");
		if (status != ZO_OK)
			return status;
		struct pg_call c = call_for(k, why, sizeof(why));
		c.client_lock = count;
		int64_t left = timeout_ms - (monotonic_ms() - start);
		drop_row(k);
		enum pgs_result r = k->api->fetch(&c, k->conn, p->name, true,
			left > 1000 ? (int)left : 1000, &k->row);
		learn_clock(k);
		k->in_transaction = r == PG_OK || r == PG_NOT_FOUND;
		if (r == PG_NOT_FOUND)
			return ZO_OK; /* a first sign-in; a load says there is nothing */
		if (r == PG_BUSY) {
			snprintf(holder, holder_len, "another machine's zoho-oauth");
			k->busy_on_row = true;
			return ZO_BUSY;
		}
		if (r != PG_OK)
			return failed(k, r, "lock the tokens", why);
		struct tokens t;
		k->have_row = true;
		status = row_tokens(k, &t);
		if (status != ZO_OK)
			return status;
		bool theirs = t.reserved_until > wall_seconds() &&
			(!t.reserved_by || strcmp(t.reserved_by, k->reserved_by) != 0);
		if (!theirs) {
			k->row_refresh = grant_of(&t);
			/* What the row holds now, for the front too, unless this
			 * machine has a newer token (one the database would not
			 * take). */
			const struct tokens *here = store_local(&k->base);
			if (here && t.obtained_at > here->obtained_at &&
					!write_local(k, &t, k->base.where))
				status = ZO_FAILURE;
			tokens_finish(&t);
			return status;
		}
		/* Another machine's refresh is counted and on its way to Zoho:
		 * wait for its token (or for the count to die), not the row. */
		char shown[160], until[48];
		text_escape(shown, sizeof(shown), t.reserved_by, strlen(t.reserved_by));
		local_time_text(t.reserved_until, false, until, sizeof(until));
		tokens_finish(&t);
		c = call_for(k, why, sizeof(why));
		k->api->finish(&c, k->conn, false);
		k->in_transaction = false;
		drop_row(k);
		left = timeout_ms - (monotonic_ms() - start);
		if (left <= 0) {
			snprintf(holder, holder_len, "a refresh by %s, counted until %s", shown, until);
			k->busy_on_row = true;
			return ZO_BUSY;
		}
		log_debug("a refresh by %s is on its way (counted until %s): waiting for it", shown,
			until);
		if (pause_ms(k, left < pause ? left : pause))
			return ZO_INTERRUPTED + signals_caught();
		pause = pause * 2 < RESERVED_POLL_MS ? pause * 2 : RESERVED_POLL_MS;
	}
}

/* After the lock file's lock: the row's, in a transaction. */
static int pg_lock(struct store *st, int64_t timeout_ms, unsigned flags, char *holder,
		size_t holder_len)
{
	struct pg_store *k = pg_of(st);
	k->busy_on_row = false;
	k->ignore_signals = flags & STORE_LOCK_KEEP_SIGNALS;
	conversation(k, timeout_ms + st->p->waits.connect_timeout * 1000);
	int status = lock_row(k, timeout_ms, true, holder, holder_len);
	if (status != ZO_OK) {
		disconnect(k);
		drop_row(k);
	}
	return status;
}

static void pg_unlock(struct store *st)
{
	struct pg_store *k = pg_of(st);
	disconnect(k); /* rolls back what nobody committed: the row lock goes */
	/* What the row held under the lock is history now (a refresh changed
	 * it): whoever asks again reads it again. */
	drop_row(k);
	k->ignore_signals = false;
}

static void host_and_pid(char *out, size_t len)
{
	char host[64] = "";
	gethostname(host, sizeof(host) - 1);
	snprintf(out, len, "%.60s (pid %ld)", host[0] ? host : "?", (long)getpid());
}

/*
 * Count before you ask: the refresh about to be asked for is counted in
 * the row (its issued times, by the server's clock) and marked as on its
 * way (reserved_until: --max-time + 5 s on, reserved_by: this process),
 * and that is committed before the request leaves this machine; so no
 * kill or freeze at any moment leaves a token Zoho issued uncounted. The
 * row is then locked again, in a transaction of its own, while Zoho
 * answers: the others wait on that lock and wake when the token is
 * stored. A refresher that dies loses that lock, not its mark: the others,
 * finding the mark, don't ask Zoho until it dies (lock_row()); the count
 * stays for its window either way. Confirmed by the save (save_to()),
 * taken back by release() when
 * Zoho clearly refused. Under the row's lock; a row that can't be written
 * means no request (status 9): a refresh nobody counted could go past
 * Zoho's limits for the whole fleet.
 */
#define HOLD_AGAIN_MS 2000
#define MARK_SLACK 5 /* seconds the mark outlives --max-time */
static void release(struct pg_store *k, bool uncount);

/* Milliseconds on a clock that goes on while the machine sleeps (a
 * suspended machine is a stopped process too). */
static int64_t boot_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_BOOTTIME, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Of the mark's MARK_SLACK seconds beyond --max-time, up to two go in
 * rounding: its time is in whole seconds, and moved between this
 * machine's clock and the database's by an offset kept within a second. */
#define SEND_WITHIN_MS ((MARK_SLACK - 2) * 1000)

/*
 * The mark covers a request that leaves within MARK_SLACK seconds of it
 * (less the rounding: SEND_WITHIN_MS): curl's --max-time then ends before
 * the mark does. One that would leave
 * later (this process was stopped, SIGSTOP or a suspended machine, or the
 * database was slow) could still be at Zoho when another machine, finding
 * the mark over, counts and asks anew: it goes only while this process
 * still holds the row (the others wait on its lock whatever the mark says),
 * which one round trip confirms. Otherwise nothing is asked, and the count
 * goes back.
 */
static int late_to_send(struct pg_store *k, int64_t marked_ms, bool held)
{
	const struct profile *p = k->base.p;
	int64_t late = boot_ms() - marked_ms;
	if (late <= SEND_WITHIN_MS)
		return ZO_OK;
	char why[PG_WHY_MAX] = "";
	if (held) {
		struct pg_row still;
		conversation(k, p->waits.connect_timeout * 1000);
		struct pg_call c = call_for(k, why, sizeof(why));
		enum pgs_result r = k->api->fetch(&c, k->conn, p->name, false, 0, &still);
		if (r == PG_OK)
			k->api->free_row(&still);
		held = r == PG_OK;
		if (!held)
			disconnect(k);
	}
	if (held)
		return ZO_OK;
	release(k, true);
	log_error("the refresh counted in the database %s was ready to go %lld seconds after it "
		"was marked as on its way, and the row is no longer held (this process was stopped, "
		"or the database slow): the mark may be over, so another machine may be asking; "
		"nothing was asked of zoho", k->spec, (long long)(late / 1000));
	return ZO_STORE;
}
static int reserve(struct pg_store *k)
{
	const struct profile *p = k->base.p;
	if (!k->in_transaction || !k->have_row)
		return ZO_OK;
	struct tokens t;
	int status = row_tokens(k, &t);
	if (status != ZO_OK)
		return status;
	char host[64] = "", why[PG_WHY_MAX], by[96];
	uint32_t nonce = 0;
	gethostname(host, sizeof(host) - 1);
	random_bytes(&nonce, sizeof(nonce));
	snprintf(k->reserved_by, sizeof(k->reserved_by), "%.60s (pid %ld) #%08x",
		host[0] ? host : "?", (long)getpid(), (unsigned)nonce);
	free(t.reserved_by);
	t.reserved_by = xstrdup(k->reserved_by);
	int64_t marked_ms = boot_ms();
	t.reserved_until = wall_seconds() + p->waits.max_time + MARK_SLACK;
	char *record = row_record(k, &t);
	struct pg_call c = call_for(k, why, sizeof(why));
	host_and_pid(by, sizeof(by));
	enum pgs_result r = record ? k->api->put(&c, k->conn, p->name, t.client_id,
		t.accounts_server, record, PG_ONE_MORE, 0, &k->counted_at, by) : PG_FAILED;
	if (r == PG_OK)
		r = k->api->finish(&c, k->conn, true);
	k->in_transaction = false;
	secret_free(record);
	tokens_finish(&t);
	if (r == PG_OK && k->counted_at) {
		log_debug("refresh counted in the database %s before asking zoho", k->spec);
		/* And the row held again while Zoho answers, in a transaction
		 * of its own that the save commits: the others wait on its lock
		 * and wake as it ends, as for any refresh; the mark is for a
		 * holder that died. Not had at once (one of them looks at the
		 * row now): they poll the mark instead. */
		conversation(k, p->waits.connect_timeout * 1000 + HOLD_AGAIN_MS);
		c = call_for(k, why, sizeof(why));
		char *refresh = k->row_refresh; /* (what the save tells a refresh by) */
		k->row_refresh = NULL;
		drop_row(k);
		k->row_refresh = refresh;
		r = k->api->fetch(&c, k->conn, p->name, true, HOLD_AGAIN_MS, &k->row);
		k->in_transaction = r == PG_OK;
		k->have_row = r == PG_OK;
		learn_clock(k);
		struct tokens now;
		if (r == PG_OK && row_tokens(k, &now) == ZO_OK) {
			/* What the save tells a refresh by: the row as it is now. */
			secret_free(k->row_refresh);
			k->row_refresh = grant_of(&now);
			tokens_finish(&now);
		}
		if (r == PG_STOPPED) {
			/* Nothing was asked: the count goes back. */
			disconnect(k);
			release(k, true);
			return ZO_INTERRUPTED + signals_caught();
		}
		if (r != PG_OK)
			disconnect(k);
		return late_to_send(k, marked_ms, r == PG_OK);
	}
	k->counted_at = 0;
	k->reserved_by[0] = '\0';
	if (r == PG_OK)
		snprintf(why, sizeof(why), "the database did not say when");
	return failed(k, r == PG_OK ? PG_FAILED : r, "count the refresh in the database before "
		"asking zoho (nothing was asked)", why);
}

#define RELEASE_LOCK_MS 2000
/* The refresh counted by reserve() ended without a token: its mark goes,
 * and when Zoho clearly refused (uncount), its count too. Quietly: what
 * is left is a count that dies with its window, a mark at its time. */
static void release(struct pg_store *k, bool uncount)
{
	const struct profile *p = k->base.p;
	if (!k->counted_at)
		return;
	int64_t at = k->counted_at;
	k->counted_at = 0;
	struct report quiet;
	report_open(&quiet);
	char holder[160], why[PG_WHY_MAX], by[96];
	/* Through a signal too (it is why we are here, often), and briefly:
	 * a mark left behind dies by itself. */
	bool ignoring = k->ignore_signals;
	k->ignore_signals = true;
	conversation(k, p->waits.connect_timeout * 1000 + RELEASE_LOCK_MS);
	int status = k->in_transaction ? ZO_OK :
		lock_row(k, RELEASE_LOCK_MS, false, holder, sizeof(holder));
	struct tokens t;
	if (status == ZO_OK && k->have_row && row_tokens(k, &t) == ZO_OK) {
		bool ours = t.reserved_by && strcmp(t.reserved_by, k->reserved_by) == 0;
		if (ours) {
			free(t.reserved_by);
			t.reserved_by = NULL;
			t.reserved_until = 0;
		}
		char *record = row_record(k, &t);
		struct pg_call c = call_for(k, why, sizeof(why));
		host_and_pid(by, sizeof(by));
		enum pgs_result r = record && (ours || uncount) ? k->api->put(&c, k->conn, p->name,
			t.client_id, t.accounts_server, record, uncount ? PG_RELEASE : PG_SAME, at, NULL,
			by) : PG_OK;
		if (r == PG_OK)
			k->api->finish(&c, k->conn, true);
		k->in_transaction = false;
		secret_free(record);
		tokens_finish(&t);
	}
	report_drop(&quiet);
	k->ignore_signals = ignoring;
	k->reserved_by[0] = '\0';
}

static void pg_abandon(struct store *st)
{
	release(pg_of(st), false);
}

static void pg_refused(struct store *st)
{
	release(pg_of(st), true);
}

/*
 * Before a sign-in or a migration into the database (current NULL): it
 * answers, and the table is there (made now where the role may), so that
 * nobody consents only for the tokens to have nowhere to go.
 */
static int pg_prepare(struct store *st, const struct tokens *current, unsigned flags)
{
	struct pg_store *k = pg_of(st);
	char cache[PATH_MAX];
	if (!profile_cache_path(st->p, cache, sizeof(cache)) || !secure_dirs_for(st->where) ||
			!secure_dirs_for(cache))
		return ZO_FAILURE;
	if (current)
		return flags & STORE_FOR_REFRESH ? reserve(k) : ZO_OK;
	conversation(k, st->p->waits.connect_timeout * 1000);
	int status = connect_db(k, "use the database");
	if (status != ZO_OK)
		return status;
	char why[PG_WHY_MAX];
	struct pg_call c = call_for(k, why, sizeof(why));
	enum pgs_result r = k->api->setup(&c, k->conn);
	if (r == PG_DENIED) {
		log_error("the database %s has no table zoho_oauth_tokens and this role may not create "
			"it (%s): ask its administrator to create it (the README's 'Sharing a token "
			"across machines' has the SQL)", k->spec, why);
		disconnect(k);
		return ZO_STORE;
	}
	status = failed(k, r, "use the database", why);
	/* A migration in must not replace the fleet's tokens unasked (they
	 * serve this machine as they are). */
	if (status == ZO_OK && (flags & STORE_KEEP_EXISTING)) {
		drop_row(k);
		r = k->api->fetch(&c, k->conn, st->p->name, false, 0, &k->row);
		if (r == PG_OK) {
			char hint[PROFILE_HINT_MAX];
			k->have_row = true;
			profile_command(st->p, "token", NULL, hint, sizeof(hint));
			log_error("the database %s already holds tokens for profile '%s' (last written by "
				"%s): this machine can use them as they are (remove %s, then run '%s'), or "
				"pass --force to replace them with these", k->spec, st->p->name,
				k->row.updated_by[0] ? k->row.updated_by : "?", st->where, hint);
			status = ZO_USAGE;
		} else if (r != PG_NOT_FOUND) {
			status = failed(k, r, "use the database", why);
		}
		drop_row(k);
	}
	/* The sign-in (a browser, minutes) comes next: a connection left idle
	 * that long may be ended by the server or a proxy. The save connects
	 * again. */
	disconnect(k);
	return status;
}

/* Into the row (committed when the row was locked), then this machine's
 * cache and metadata at meta_path. */
static int save_to(struct pg_store *k, const struct tokens *t, const char *meta_path)
{
	const struct profile *p = k->base.p;
	char why[PG_WHY_MAX] = "", by[96];
	struct tokens full = *t; /* shallow: the secrets may come from the row */
	char *refresh = NULL, *secret = NULL;

	/* A refresh counted before it was asked for (reserve()) let the row
	 * go: take it again, to confirm. */
	bool counted = k->counted_at != 0;
	int relocked = ZO_OK;
	if (counted && !k->in_transaction) {
		char holder[160] = "";
		conversation(k, (p->waits.connect_timeout + p->waits.lock_timeout) * 1000);
		relocked = lock_row(k, p->waits.lock_timeout * 1000, false, holder, sizeof(holder));
		if (relocked == ZO_BUSY)
			snprintf(why, sizeof(why), "held by %s", holder);
	}

	if ((!t->refresh_token && t->refresh_elsewhere) || !t->client_secret) {
		struct tokens row;
		if (k->have_row && row_tokens(k, &row) == ZO_OK) {
			if (!t->refresh_token && t->refresh_elsewhere) {
				full.refresh_token = refresh = row.refresh_token;
				row.refresh_token = NULL;
			}
			if (!t->client_secret) {
				full.client_secret = secret = row.client_secret;
				row.client_secret = NULL;
			}
			tokens_finish(&row);
		}
	}
	full.record = RECORD_FILE;
	full.store = NULL;
	full.access_cache = NULL;
	full.refresh_elsewhere = false;
	full.refresh_fingerprint = NULL;
	full.budget_until = 0; /* counted from the row each time, not kept */
	full.reserved_until = 0; /* a count confirmed, or none */
	full.reserved_by = NULL;

	/* A new refresh token (a login, a migration) brings this machine's
	 * figure of live tokens to the row; the same one keeps the row's. */
	enum pg_change change = PG_NEW_REFRESH;
	full.live_tokens = p->live_tokens;
	if (same_grant(k->row_refresh, &full)) {
		struct tokens was;
		change = PG_ONE_MORE;
		if (k->have_row && row_tokens(k, &was) == ZO_OK) {
			if (was.access_token && full.access_token &&
					strcmp(was.access_token, full.access_token) == 0)
				change = PG_SAME;
			full.live_tokens = was.live_tokens;
			tokens_finish(&was);
		}
	}

	if (counted) {
		k->counted_at = 0;
		k->reserved_by[0] = '\0';
		bool same = relocked == ZO_OK && k->have_row && same_grant(k->row_refresh, &full);
		if (!same) {
			/* Zoho issued it, and it is counted: this machine uses it. */
			log_warn("the new access token could not be stored in the database %s (%s): this "
				"machine uses it, the others don't see it", k->spec, relocked != ZO_OK ?
				(why[0] ? why : "it failed") : "its tokens changed meanwhile: a new sign-in "
				"or a revoke");
			int status = write_local(k, &full, meta_path) ? ZO_OK : ZO_FAILURE;
			secret_free(refresh);
			secret_free(secret);
			return status;
		}
		change = PG_SAME;
	}
	if (!k->clock_known)
		log_debug("the database %s's clock is not known yet: times written by this machine's",
			k->spec);
	int status = ZO_FAILURE;
	char *record = row_record(k, &full);
	/* Whatever the lock's conversation had left: a write of its own. */
	conversation(k, p->waits.connect_timeout * 1000);
	if (record)
		status = connect_db(k, "store the tokens");
	if (status == ZO_OK) {
		struct pg_call c = call_for(k, why, sizeof(why));
		host_and_pid(by, sizeof(by));
		enum pgs_result r = k->api->put(&c, k->conn, p->name, full.client_id,
			full.accounts_server, record, change, 0, NULL, by);
		if (r == PG_NOT_FOUND) {
			/* The table went (or never was): make it, where allowed. */
			r = k->api->setup(&c, k->conn);
			if (r == PG_OK)
				r = k->api->put(&c, k->conn, p->name, full.client_id, full.accounts_server,
					record, change, 0, NULL, by);
		}
		if (r == PG_OK && k->in_transaction) {
			r = k->api->finish(&c, k->conn, true);
			k->in_transaction = false;
		}
		if (r != PG_OK && (change == PG_ONE_MORE || counted) && r != PG_STOPPED) {
			/* Zoho issued this access token: the database wouldn't keep
			 * it, but this machine can use it for its hour. */
			log_warn("the new access token could not be stored in the database %s (%s): this "
				"machine uses it, the others don't see it%s", k->spec,
				why[0] ? why : "it failed", counted ? "" :
				", and it is not counted against Zoho's limits");
			r = PG_OK;
		}
		status = failed(k, r, "store the tokens", why);
	}
	secret_free(record);
	if (status == ZO_OK && !write_local(k, &full, meta_path))
		status = ZO_FAILURE;
	if (status == ZO_OK) {
		secret_free(k->row_refresh);
		k->row_refresh = grant_of(&full);
	}
	secret_free(refresh);
	secret_free(secret);
	return status;
}

/* Where new tokens go when they can't go where they belong: a token file
 * beside the metadata (0600), never over it. */
static int keep_aside(struct pg_store *k, const struct tokens *t, char *where, size_t where_len)
{
	struct store *file = NULL;
	int status = store_open_other(&k->base, "file", &file);
	if (status == ZO_OK)
		status = store_save_aside(file, t, where, where_len);
	store_close(file);
	return status;
}

static int pg_save(struct store *st, const struct tokens *t)
{
	struct pg_store *k = pg_of(st);
	bool new_refresh = t->refresh_token && !same_grant(k->row_refresh, t);
	int status = save_to(k, t, st->where);
	if (status == ZO_OK || !new_refresh)
		return status;
	/* A new refresh token the database wouldn't take: it must not be
	 * lost (Zoho keeps 20 per user and the code is spent). */
	char where[PATH_MAX + 64], hint[PROFILE_HINT_MAX + PATH_MAX];
	if (keep_aside(k, t, where, sizeof(where)) == ZO_OK) {
		store_restore_hint(st, where, hint, sizeof(hint));
		log_warn("the new tokens were written to %s instead (mode 0600): they hold a new "
			"refresh token, so keep them; once the database works, run '%s'", where, hint);
	}
	return status;
}

static int pg_save_aside(struct store *st, const struct tokens *t, char *where, size_t where_len)
{
	return keep_aside(pg_of(st), t, where, where_len);
}

static int pg_forget(struct store *st, unsigned flags)
{
	struct pg_store *k = pg_of(st);
	char why[PG_WHY_MAX];
	if (flags & STORE_FORGET_HERE) {
		/* This machine forgets; the fleet's row stays. */
		remote_forget(st->p, k->spec);
		return ZO_OK;
	}
	conversation(k, st->p->waits.connect_timeout * 1000);
	int status = connect_db(k, "remove the tokens");
	if (status == ZO_OK) {
		struct pg_call c = call_for(k, why, sizeof(why));
		enum pgs_result r = k->api->remove(&c, k->conn, st->p->name);
		if (r == PG_OK && k->in_transaction) {
			r = k->api->finish(&c, k->conn, true);
			k->in_transaction = false;
		}
		status = failed(k, r, "remove the tokens from the database", why);
	}
	if (status != ZO_OK)
		return status;
	drop_row(k);
	remote_forget(st->p, k->spec);
	return ZO_OK;
}

static void pg_describe(const struct store *st, char *out, size_t len)
{
	snprintf(out, len, "PostgreSQL (%s)", ((const struct pg_store *)st)->spec);
}

static void pg_restore_hint(const struct store *st, const char *aside, char *out, size_t len)
{
	const struct pg_store *k = (const struct pg_store *)st;
	struct profile there = *st->p; /* the tokens aside are at another path */
	char more[PATH_MAX + 1200];
	there.path_given = false;
	snprintf(more, sizeof(more), "--token-file %s --to %s --force", aside, k->spec);
	profile_command(&there, "migrate", more, out, len);
}

/* This machine's look at the row, when due (store_check()). */
static int pg_check(struct store *st)
{
	struct pg_store *k = pg_of(st);
	const struct profile *p = st->p;
	const struct tokens *here = &st->record.tokens;
	char hint[PROFILE_HINT_MAX];
	struct report quiet;
	report_open(&quiet);
	int status = fetch_row_within(k, true, STORE_CHECK_MS);
	report_drop(&quiet);
	if (status == ZO_RELOGIN) {
		remote_forget(p, k->spec);
		profile_command(p, "login", NULL, hint, sizeof(hint));
		log_error("the tokens of profile '%s' were revoked on another machine (the database %s "
			"no longer holds them); this machine forgot them too: sign in again with '%s'",
			p->name, k->spec, hint);
		return ZO_RELOGIN;
	}
	struct tokens t;
	if (status == ZO_OK) {
		report_open(&quiet);
		status = row_tokens(k, &t);
		report_drop(&quiet);
	}
	if (status != ZO_OK) {
		/* No answer in time: the cached token serves, and the next look
		 * is an interval away (a stalled database delays nobody). */
		log_debug("could not look at the row of profile '%s' in %s: looking again in %ld "
			"second%s", p->name, k->spec, p->check_interval, plural(p->check_interval));
		struct tokens next = *here; /* shallow */
		next.check_by = wall_seconds() + p->check_interval;
		next.spread = p->machine_offset;
		report_open(&quiet);
		if (here->access_token)
			local_write_cache(p, here->access_cache, &next);
		report_drop(&quiet);
		return ZO_OK;
	}
	/* A new sign-in (another refresh token) or a renewal: the row's; else
	 * what this machine has, looked at again later. */
	char fp[FINGERPRINT_HEX + 1] = "";
	if (t.refresh_token)
		remote_fingerprint(t.refresh_token, fp);
	bool replaced = here->refresh_fingerprint && fp[0] &&
		strcmp(fp, here->refresh_fingerprint) != 0;
	bool newer = t.access_token && (!here->access_token || t.obtained_at > here->obtained_at);
	if (replaced)
		log_debug("profile '%s' was signed in again on another machine: using its tokens",
			p->name);
	status = write_local(k, replaced || newer || !here->access_token ? &t : here, st->where) ?
		ZO_OK : ZO_FAILURE;
	tokens_finish(&t);
	return status;
}

/* A plain read of the row (no transaction held, no row lock): when it has
 * a newer access token than this machine's cache, that goes to the cache
 * (store_peek() reads the record again). */
static int pg_peek(struct store *st)
{
	struct pg_store *k = pg_of(st);
	int status = fetch_row(k, true);
	if (status != ZO_OK)
		return status;
	struct tokens t;
	status = row_tokens(k, &t);
	if (status != ZO_OK)
		return status;
	const struct tokens *here = store_local(st);
	if (t.access_token && (!here || !here->access_token || t.obtained_at > here->obtained_at ||
			(t.obtained_at == here->obtained_at && t.expires_at > here->expires_at)) &&
			!write_local(k, &t, st->where))
		status = ZO_FAILURE;
	tokens_finish(&t);
	return status;
}

static void pg_lock_name(const struct store *st, char *out, size_t len)
{
	const struct pg_store *k = (const struct pg_store *)st;
	if (k->busy_on_row)
		snprintf(out, len, "profile '%s''s row in %s", st->p->name, k->spec);
	else
		snprintf(out, len, "%s", st->lock_path);
}

static int pg_budget(struct store *st, struct store_budget *out)
{
	struct pg_store *k = pg_of(st);
	memset(out, 0, sizeof(*out));
	int status = k->have_row ? ZO_OK : fetch_row(k, false);
	if (status != ZO_OK)
		return status;
	int64_t now = wall_seconds() + k->offset;
	out->known = true;
	out->window = WINDOW;
	out->window_cap = WINDOW_CAP;
	/* The row's figure, quietly: a record that can't be read is said by
	 * whoever needs its tokens. */
	struct tokens t;
	char why[TOKENS_WHY_MAX];
	int recorded = 0;
	int64_t lifetime = LIVE_WINDOW;
	if (tokens_from_json_as(RECORD_FILE, k->row.record, strlen(k->row.record), &t, why,
			sizeof(why))) {
		recorded = t.live_tokens;
		lifetime = live_window(&t);
		tokens_finish(&t);
	}
	out->live_cap = live_cap(k->base.p, recorded);
	out->spent_until = to_local(k, spent_until(&k->row, out->live_cap, lifetime, now,
		&out->in_window, &out->live));
	/* Written by whoever may write the table: made safe to print. */
	text_escape(out->updated_by, sizeof(out->updated_by), k->row.updated_by,
		strlen(k->row.updated_by));
	out->updated_at = to_local(k, k->row.updated_at);
	return ZO_OK;
}

static void pg_destroy(struct store *st)
{
	struct pg_store *k = pg_of(st);
	disconnect(k);
	drop_row(k);
	free(k->spec);
	free(k);
}

static const struct store_ops pg_ops = {
	.kind = "postgresql",
	.shared = true,
	.has_tokens = pg_has_tokens,
	.load = pg_load,
	.load_secrets = pg_load_secrets,
	.check = pg_check,
	.peek = pg_peek,
	.lock = pg_lock,
	.unlock = pg_unlock,
	.prepare = pg_prepare,
	.abandon = pg_abandon,
	.refused = pg_refused,
	.save = pg_save,
	.save_aside = pg_save_aside,
	.forget = pg_forget,
	.describe = pg_describe,
	.budget = pg_budget,
	.lock_name = pg_lock_name,
	.restore_hint = pg_restore_hint,
	.destroy = pg_destroy,
};

struct store *store_postgresql_new(const char *spec)
{
	struct pg_store *k = calloc(1, sizeof(*k));
	if (!k || !(k->spec = xstrdup(spec))) {
		free(k);
		return NULL;
	}
	k->base.ops = &pg_ops;
	return &k->base;
}
