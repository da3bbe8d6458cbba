#ifndef ZOHO_OAUTH_POSTGRESQL_API_H
#define ZOHO_OAUTH_POSTGRESQL_API_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/*
 * What the PostgreSQL module (store/postgresql-pq.c,
 * zoho-oauth-postgresql.so, the one file that links libpq) offers the
 * database store (store/postgresql.c, which loads it only when a
 * profile's tokens are in a database, and only when the local cache
 * can't answer). Plain C across the boundary: no libpq type leaks out.
 *
 * The table is zoho_oauth_tokens, found through the role's search_path;
 * its SQL is in the README and in data/postgresql-table.sql. One row per
 * profile: the token record (JSON, refresh token and client secret
 * included), and the Unix times of the access tokens issued for its
 * current refresh token in the last hour (Zoho's limits are counted from
 * them). Every time in the row is by the server's clock, the fleet's one
 * clock: the issued times and updated_at are the server's
 * clock_timestamp() as the row is written, and each transaction begun
 * measures the server's clock against the machine's (clock_offset), so
 * that the store moves the record's times between the two.
 *
 * Every call is bounded: the connection by timeout_ms (libpq's
 * connect_timeout too, unless the connection string sets its own), each
 * statement by timeout_ms on our side and statement_timeout on the
 * server's; stop() is polled while waiting and ends the wait early (a
 * signal). Errors come back as a result and one line in why (the
 * server's message, made safe to print by the caller); the module prints
 * nothing.
 */
enum pgs_result {
	PG_OK,
	PG_NOT_FOUND,   /* no row for the profile, or no table yet */
	PG_BUSY,        /* the row lock wasn't had within the lock timeout */
	PG_TIMEOUT,     /* no answer in time */
	PG_STOPPED,     /* stop() said so */
	PG_DENIED,      /* the role may not do this (permissions) */
	PG_FAILED,      /* anything else, the connection included: why says */
};

struct pg_call {
	int timeout_ms;     /* connecting, and each statement */
	int64_t deadline_ms; /* monotonic milliseconds (CLOCK_MONOTONIC): the whole
	                     * conversation ends by then, the name lookup, the
	                     * connection, every statement and the lock included;
	                     * 0: none beyond timeout_ms */
	int hold_ms;        /* the most a locked row may wait for us (a request to Zoho) */
	bool client_lock;   /* a locked fetch that may count a refresh: a client-credentials
	                     * row takes its client's lock too (the client's other such rows
	                     * count with it), until the transaction ends */
	int (*stop)(void);
	char *why;
	size_t why_len;
};

#define PG_MAX_ISSUED 64

/* What the row holds. */
struct pg_row {
	char *record;              /* JSON; secret: free with free_row() */
	int64_t issued[PG_MAX_ISSUED];
	int n_issued;
	/* A client-credentials row: the access tokens issued in the last
	 * hour to the other client-credentials rows of the same client and
	 * data centre (Zoho counts a client's grants together), oldest
	 * first; read under the client's lock when the row is locked. */
	int64_t shared[PG_MAX_ISSUED];
	int n_shared;
	char updated_by[128];      /* who wrote it last (host, pid), for status */
	int64_t updated_at;        /* Unix seconds, by the database's clock */
};

/* How a write changes the row's count of issued access tokens. */
enum pg_change {
	PG_SAME,        /* no new access token (a throttle remembered) */
	PG_ONE_MORE,    /* a refresh: now is added, times older than an hour go */
	PG_NEW_REFRESH, /* a new refresh token (a sign-in): the count starts over */
	PG_RELEASE,     /* a refresh counted before it was asked for, which Zoho
	                 * refused: its time (release_at) is taken out */
};

struct pgs_conn;

struct pg_api {
	unsigned version;           /* PG_API_VERSION */
	/* Connect; name is our application_name, for pg_stat_activity. */
	enum pgs_result (*connect)(const struct pg_call *c, const char *conninfo, const char *name,
		struct pgs_conn **out);
	/* The table exists, or is created now (PG_DENIED when the role may
	 * not create it). */
	enum pgs_result (*setup)(const struct pg_call *c, struct pgs_conn *conn);
	/* The profile's row. With lock: in a transaction, FOR UPDATE, waiting
	 * at most lock_ms for another holder (PG_BUSY after); the lock lasts
	 * until finish(). */
	enum pgs_result (*fetch)(const struct pg_call *c, struct pgs_conn *conn, const char *profile,
		bool lock, int lock_ms, struct pg_row *out);
	/* Insert or update the profile's row (in the transaction if one is
	 * open: finish() commits it); a new issued time is the server's now,
	 * and *counted_at (may be NULL) says which it was. */
	enum pgs_result (*put)(const struct pg_call *c, struct pgs_conn *conn, const char *profile,
		const char *client_id, const char *accounts_server, const char *record,
		enum pg_change change, int64_t release_at, int64_t *counted_at, const char *by);
	enum pgs_result (*remove)(const struct pg_call *c, struct pgs_conn *conn, const char *profile);
	/* End the transaction, if one is open: commit or roll back. */
	enum pgs_result (*finish)(const struct pg_call *c, struct pgs_conn *conn, bool commit);
	/* The server's clock minus this machine's (CLOCK_REALTIME), in
	 * milliseconds, as measured when this connection last began a
	 * transaction (halfway through that round trip); false (and 0) when
	 * it hasn't. */
	bool (*clock_offset)(const struct pgs_conn *conn, int64_t *offset_ms);
	void (*disconnect)(struct pgs_conn *conn);
	void (*free_row)(struct pg_row *row);
};

#define PG_API_VERSION 4
#define PG_SYMBOL "zoho_oauth_postgresql"

#endif
