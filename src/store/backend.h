#ifndef ZOHO_OAUTH_STORE_BACKEND_H
#define ZOHO_OAUTH_STORE_BACKEND_H

#include <limits.h>

#include "core/log.h"
#include "store/store.h"

/*
 * What a backend implements (store.h says what each does). Backends are
 * peers: store.c reads the record, picks one and calls through this
 * table, and nothing above store/ knows which it holds. What every
 * backend shares is store.c's: the record read once at the token path,
 * the lock file beside it, the path a sign-in's tokens go to when the
 * lock can't be had. What the stores that keep their secrets elsewhere
 * share (metadata, cache, module) is store/local.c's.
 */
struct store_ops {
	const char *kind;
	bool shared;   /* the tokens are elsewhere, and any machine may use them: the
	                * lock file's directory is made when there is none */
	/* NULL: the record at the token path says whether there are tokens */
	bool (*has_tokens)(struct store *st);
	int (*load)(struct store *st, struct tokens *out);
	int (*load_secrets)(struct store *st, struct tokens *t);  /* NULL: load has all */
	/* Whether the tokens still stand in a shared store (NULL: none;
	 * store_check()) */
	int (*check)(struct store *st);
	/* A shared copy read without a lock (NULL: none; store_peek()) */
	int (*peek)(struct store *st);
	/* After the lock file's lock (NULL: nothing more): a database's row. */
	int (*lock)(struct store *st, int64_t timeout_ms, unsigned flags, char *holder,
		size_t holder_len);
	void (*unlock)(struct store *st);
	int (*prepare)(struct store *st, const struct tokens *current, unsigned flags);
	void (*abandon)(struct store *st);
	void (*refused)(struct store *st);  /* NULL: abandon */
	int (*save)(struct store *st, const struct tokens *t);
	int (*save_access)(struct store *st, const struct tokens *t);   /* NULL: save */
	int (*save_aside)(struct store *st, const struct tokens *t, char *where, size_t where_len);
	int (*forget)(struct store *st, unsigned flags);
	void (*describe)(const struct store *st, char *out, size_t len);  /* NULL: kind */
	int (*budget)(struct store *st, struct store_budget *out);         /* NULL: none */
	void (*lock_name)(const struct store *st, char *out, size_t len); /* NULL: the lock file */
	void (*restore_hint)(const struct store *st, const char *aside, char *out,
		size_t len);                                                  /* NULL: mv */
	void (*destroy)(struct store *st);                                /* the backend's part */
};

/* What the open (or a reload) read at the token path. */
struct store_record {
	enum token_file_result result;
	struct tokens tokens;     /* TOKEN_FILE_OK: the record (a store's metadata with its
	                           * cached access token) */
	unsigned mode, owner;     /* EXPOSED, FOREIGN */
	char why[REPORT_HELD_MAX]; /* CORRUPT: what is wrong; UNREADABLE: what was said */
	bool under_lock;          /* read while the lock the front handed over was held */
};

/* The part every backend's state starts with. */
struct store {
	const struct store_ops *ops;
	const struct profile *p;
	const char *where;        /* p->token_path */
	char *name;               /* "file", "keyring", or the database's connection string */
	char lock_path[PATH_MAX];
	int lock_fd;
	struct store_record record;
};

/* The backends' constructors: the state, with base filled in by store.c. */
struct store *store_file_new(void);
struct store *store_keyring_new(void);
/* spec: the database's connection string. */
struct store *store_postgresql_new(const char *spec);

/* The record as read, said as the command's error when it can't be used:
 * ZO_OK; ZO_RELOGIN for no record (not said: the backend says where it
 * looked); ZO_FAILURE. what names the record ("token file", "metadata
 * file"). */
int store_record_usable(struct store *st, const char *what);

/* "no tokens for profile 'p' (PATH does not exist): sign in first with
 * 'zoho-oauth login --profile p'", with did-you-mean; ZO_RELOGIN. */
int store_say_no_tokens(const struct store *st, const char *where_looked);

/* "PATH.new-20261206-141516" (-N when taken): where a sign-in's tokens
 * go when they can't go to PATH. false (said) when none is free. */
bool store_aside_path(const struct store *st, char *out, size_t len);

#endif
