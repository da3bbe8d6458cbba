#ifndef ZOHO_OAUTH_STORE_BACKEND_H
#define ZOHO_OAUTH_STORE_BACKEND_H

#include "store/store.h"

/*
 * What a backend implements (store.h says what each does). Backends are
 * peers: store.c picks one and calls through this table, and nothing
 * above store/ knows which it holds.
 */
struct store_ops {
	const char *kind;
	bool (*exists)(struct store *st);
	int (*load)(struct store *st, struct tokens *out);
	int (*load_secrets)(struct store *st, struct tokens *t);  /* NULL: load has all */
	int (*lock)(struct store *st, int64_t timeout_ms, bool ignore_signals, char *holder,
		size_t holder_len);
	void (*unlock)(struct store *st);
	int (*prepare)(struct store *st, const struct tokens *current);
	void (*abandon)(struct store *st);
	int (*save)(struct store *st, const struct tokens *t);
	int (*save_aside)(struct store *st, const struct tokens *t, char *where, size_t where_len);
	int (*forget)(struct store *st);
	void (*describe)(const struct store *st, char *out, size_t len);  /* NULL: kind */
	int (*budget)(struct store *st, struct store_budget *out);         /* NULL: none */
	void (*lock_name)(const struct store *st, char *out, size_t len); /* NULL: PATH.lock */
	void (*restore_hint)(const struct store *st, const char *aside, char *out,
		size_t len);                                                  /* NULL: mv */
	void (*destroy)(struct store *st);
};

/* The part every backend's state starts with. */
struct store {
	const struct store_ops *ops;
	const struct settings *s;
	char *where;   /* for messages; owned */
};

/* The exclusive lock on the lock file at path (core/lock.h), as an exit
 * status: what store_lock() returns. */
int store_lock_file(const char *path, int64_t timeout_ms, bool ignore_signals, char *holder,
		size_t holder_len, int *fd);

/* Say why the local metadata at path (store/local.h) can't be used, for
 * local_read()'s r other than OK and MISSING; ZO_FAILURE. */
int store_local_refused(enum token_file_result r, const char *path, unsigned mode, unsigned owner,
		const char *why);

/* The token file (store/file.c). */
int store_file_open(const struct settings *s, const char *path, struct store **out);
/* The keyring (store/keyring.c). */
int store_keyring_open(const struct settings *s, const char *path, struct store **out);
/* A PostgreSQL database (store/postgresql.c); spec is its connection string. */
int store_postgresql_open(const struct settings *s, const char *path, const char *spec,
		struct store **out);

#endif
