#ifndef ZOHO_OAUTH_TOKENS_H
#define ZOHO_OAUTH_TOKENS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "zoho/zoho.h"

/*
 * The records this tool writes about a profile, all JSON:
 *  - the token file of the file store: everything;
 *  - the metadata of another store (the keyring, a database), at the same
 *    path: where the tokens are, and nothing secret;
 *  - the access-token cache, on this machine: where a refresh puts the
 *    new access token, for every store (the file store's record, like
 *    another store's metadata, is written only by a sign-in, a migration
 *    or a revocation), with what the last refresh made ahead of time
 *    behind a caller's back could not do.
 */
enum token_record {
	RECORD_FILE,
	RECORD_META,
	RECORD_CACHE,
};

/*
 * What the token file holds. Every string is owned, NUL-terminated and
 * printable ASCII; tokens_finish() wipes and frees them.
 */
struct tokens {
	enum token_record record; /* what it was read from */
	char *access_token;
	char *refresh_token;    /* NULL for online access */
	char *token_type;
	char *api_domain;
	char *scope;
	char *client_id;
	char *client_secret;    /* kept so that a refresh needs nothing else */
	char *accounts_server;
	char *location;         /* NULL when unknown */
	char *redirect_uri;     /* the browser login's, for the next login; NULL:
	                         * not recorded (device flow, exchange, older files) */
	bool client_credentials; /* a Self Client's client-credentials grant: no refresh
	                         * token; the client secret gets each access token
	                         * ("grant": "client_credentials") */
	char *soid;             /* with it: "SERVICE.ORG_ID" sent along; NULL: none */
	int64_t expires_at;     /* Unix seconds */
	int64_t obtained_at;    /* Unix seconds, by the clock of whoever got it */
	int64_t throttled_until; /* Unix seconds; 0: not throttled. Zoho refused a
	                          * refresh as too many: no request before then */
	int live_tokens;        /* a shared store's record: the figure of Zoho's live access
	                         * tokens per refresh token its login was given
	                         * (live_tokens =); 0: not recorded (the strictest) */
	int64_t budget_until;   /* Unix seconds; 0: none. A shared store counted
	                         * Zoho's limits spent: no refresh before then (a
	                         * machine's cache remembers it, so that its callers
	                         * don't ask the database again meanwhile) */
	/* Another store's record (RECORD_META): */
	char *store;            /* "keyring", or a database's connection string */
	char *access_cache;     /* where the access token is cached, absolute */
	bool refresh_elsewhere; /* a refresh token is held in the store; not here */
	char *cache_for;        /* RECORD_CACHE: the metadata path it belongs to */
	int64_t check_by;       /* RECORD_CACHE of a shared store: when this machine asks the
	                         * store again whether the tokens still stand (revoked
	                         * or replaced elsewhere); 0: never */
	int64_t clock_offset;   /* RECORD_CACHE of a shared store: the store's clock minus this
	                         * machine's, in seconds, when has_clock_offset (the times
	                         * here are by this machine's clock) */
	bool has_clock_offset;
	int spread;             /* RECORD_CACHE of a shared store: this machine's place among
	                         * the fleet's refresh moments (store/judge.h), 1-1000, for
	                         * the front; 0: none */
	int64_t reserved_until; /* RECORD_FILE in a shared store's row: a refresh counted before
	                         * it was asked for, not yet confirmed: the others wait for
	                         * it until then (0: none) */
	char *reserved_by;      /* who counted it ("host (pid N) #nonce"); NULL: none */
	int64_t record_at;      /* a token file's: the obtained_at of the record itself, which
	                         * its cache names (written over that record); 0: unknown */
	/* RECORD_CACHE: the last refresh made ahead of time that failed
	 * (ahead_failed_at 0: none since the last success or sign-in). */
	int64_t ahead_failed_at; /* Unix seconds */
	int ahead_status;       /* its exit status (core/exit-status.h) */
	char *ahead_error;      /* what went wrong, printable */
	int64_t ahead_retry_at; /* no new one before (0: not before a new sign-in) */
	char *refresh_fingerprint; /* RECORD_META: the refresh token's fingerprint (the
	                         * hex of SHA-256's first 16 bytes), written when it is
	                         * stored, to tell this profile's keyring items from
	                         * another's; NULL: not recorded (older records) */
};

/* Room for what the parsers say is wrong with a record or an answer. */
#define TOKENS_WHY_MAX 160
/* The longest ahead_error a cache may hold. */
#define AHEAD_ERROR_MAX 1024

/* Whether the profile's access token can be renewed without the user: it
 * has a refresh token (here, or in its store), or client credentials. */
bool tokens_offline(const struct tokens *t);

/* Whether two of a record's strings are the same (both NULL included). */
bool tokens_same_text(const char *a, const char *b);

/* A deep copy of src into dst (finished by the caller); false (said) when
 * out of memory. */
bool tokens_copy(struct tokens *dst, const struct tokens *src);

/* Move the cached access token (and its times) into the metadata record;
 * cache is finished. */
void tokens_take_cache(struct tokens *meta, struct tokens *cache);

/* How far the clock that wrote a token file may be ahead of ours before
 * its times are not believed (seconds). */
#define TOKENS_CLOCK_SKEW 60

/*
 * Seconds the access token has left by our clock, or 0 when its times
 * can't be believed: obtained in the future (a clock that was ahead, or
 * ours went back), or expiring before it was obtained. Such a token is
 * treated as expired: refreshed, never served.
 */
int64_t tokens_time_left(const struct tokens *t, int64_t now);

/*
 * Drop t->api_domain (with a warning) unless it is https on a Zoho API
 * host of a known data centre, or a loopback URL while the accounts
 * server is one (the tests' mock). The tokens stay usable without it.
 */
void tokens_check_api_domain(struct tokens *t, const char *accounts_server);

void tokens_finish(struct tokens *t);

struct json_t;

/* Parse text as exactly one JSON object (white space around it only, no
 * member twice); NULL with why set otherwise. The caller frees with
 * json_decref(). */
struct json_t *zjson_parse_object(const char *text, size_t len, char *why, size_t why_len);

/* The string member name of obj, or NULL when absent or not a string. */
const char *zjson_string(const struct json_t *obj, const char *name);

/* Classify Zoho's {"error": ...} answer in obj (see zoho_error_classify)
 * and copy its error text, made printable, to text. */
enum zoho_error zjson_zoho_error(const struct json_t *obj, char *text, size_t text_len);
/* Its error_description, made printable ("" when it has none). */
void zjson_zoho_description(const struct json_t *obj, char *text, size_t text_len);

/* Set up Jansson to wipe every block it frees: its strings hold tokens. */
void tokens_init_json(void);

enum answer_kind {
	ANSWER_TOKENS,  /* access_token and friends filled in */
	ANSWER_ERROR,   /* Zoho's {"error": ...} */
	ANSWER_INVALID, /* not JSON, or not the shape Zoho documents */
};

struct token_answer {
	enum answer_kind kind;
	struct tokens tokens;       /* ANSWER_TOKENS: access_token, refresh_token,
	                             * token_type, api_domain, scope, expires_at,
	                             * obtained_at */
	enum zoho_error error;      /* ANSWER_ERROR */
	char error_text[160];       /* ANSWER_ERROR: Zoho's words, printable */
	char error_description[256]; /* ANSWER_ERROR: error_description, printable; "" */
	char why[TOKENS_WHY_MAX];              /* ANSWER_INVALID: what was wrong */
};

/*
 * Parse the body of a token endpoint answer, received at time now (Unix
 * seconds). expires_in is seconds, except that an answer that also has
 * expires_in_sec carries milliseconds in expires_in: then expires_in_sec
 * wins. The caller calls tokens_finish(&ans->tokens).
 */
void tokens_parse_answer(const char *body, size_t len, int64_t now, struct token_answer *ans);

/*
 * Parse a token file written by tokens_to_json(). Strict: every field has
 * its type, the client and the server are there, the numbers are whole.
 * Unknown members are ignored (a newer version may add some). On failure
 * why names the first problem.
 */
bool tokens_from_json(const char *text, size_t len, struct tokens *out, char *why, size_t why_len);
/* The same for a given record: RECORD_CACHE reads a cache; RECORD_FILE
 * and RECORD_META both read whatever is at a token path (a record that
 * names a store is metadata), and out->record says which it was. */
bool tokens_from_json_as(enum token_record kind, const char *text, size_t len, struct tokens *out,
		char *why, size_t why_len);

enum token_file_result {
	TOKEN_FILE_OK,
	TOKEN_FILE_MISSING,
	TOKEN_FILE_UNREADABLE,   /* reported (open, read, a symlink, too big) */
	TOKEN_FILE_EXPOSED,      /* others may read or write it: mode in *mode */
	TOKEN_FILE_FOREIGN,      /* another user owns it: uid in *owner */
	TOKEN_FILE_CORRUPT,      /* why says what is wrong */
};

/*
 * Read and check a token file: in a directory only we (or root) can
 * change (secure_dir_ok), a regular file (no symbolic link), at most
 * 32 KiB, mode without group or other bits, owned by us, and valid. Only
 * TOKEN_FILE_UNREADABLE has been reported (unless quiet); the caller
 * explains the rest.
 */
enum token_file_result tokens_read_file(const char *path, bool quiet, struct tokens *out,
		unsigned *mode, unsigned *owner, char *why, size_t why_len);
enum token_file_result tokens_read_file_as(enum token_record kind, const char *path, bool quiet,
		struct tokens *out, unsigned *mode, unsigned *owner, char *why, size_t why_len);

/* Serialize for the token file (JSON, one field per line), and check that
 * tokens_from_json() takes it back: never write a file this tool would
 * refuse to read. NULL (reported) otherwise. The caller frees with
 * secret_free(). */
char *tokens_to_json(const struct tokens *t);
/* The same for a record; cache_for names the metadata path of a cache. */
char *tokens_to_json_as(enum token_record kind, const struct tokens *t, const char *cache_for);

#endif
