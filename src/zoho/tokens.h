#ifndef ZOHO_OAUTH_TOKENS_H
#define ZOHO_OAUTH_TOKENS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "zoho/zoho.h"

/*
 * What the token file holds. Every string is owned, NUL-terminated and
 * printable ASCII; tokens_finish() wipes and frees them.
 */
struct tokens {
	char *access_token;
	char *refresh_token;    /* NULL for online access */
	char *token_type;
	char *api_domain;
	char *scope;
	char *client_id;
	char *client_secret;    /* kept so that a refresh needs nothing else */
	char *accounts_server;
	char *location;         /* NULL when unknown */
	int64_t expires_at;     /* Unix seconds */
	int64_t obtained_at;    /* Unix seconds */
};

void tokens_finish(struct tokens *t);

struct cJSON;

/* Parse text as exactly one JSON object (white space around it only); NULL
 * with why set otherwise. The caller frees with cJSON_Delete(). */
struct cJSON *json_object_parse(const char *text, size_t len, char *why, size_t why_len);

/* The string member name of obj, or NULL when absent or not a string. */
const char *json_string(const struct cJSON *obj, const char *name);

/* Classify Zoho's {"error": ...} answer in obj (see zoho_error_classify)
 * and copy its error text, made printable, to text. */
enum zoho_error json_zoho_error(const struct cJSON *obj, char *text, size_t text_len);

/* Set up cJSON to wipe every block it frees: its strings hold tokens. */
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
	char why[160];              /* ANSWER_INVALID: what was wrong */
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

enum token_file_result {
	TOKEN_FILE_OK,
	TOKEN_FILE_MISSING,
	TOKEN_FILE_UNREADABLE,   /* reported (open, read, a symlink, too big) */
	TOKEN_FILE_EXPOSED,      /* others may read or write it: mode in *mode */
	TOKEN_FILE_FOREIGN,      /* another user owns it: uid in *owner */
	TOKEN_FILE_CORRUPT,      /* why says what is wrong */
};

/*
 * Read and check a token file: a regular file (no symbolic link), at most
 * 32 KiB, mode without group or other bits, owned by us, and valid. Only
 * TOKEN_FILE_UNREADABLE has been reported (unless quiet); the caller
 * explains the rest.
 */
enum token_file_result tokens_read_file(const char *path, bool quiet, struct tokens *out,
		unsigned *mode, unsigned *owner, char *why, size_t why_len);

/* Serialize for the token file (JSON, one field per line). The caller
 * frees with secret_free(). */
char *tokens_to_json(const struct tokens *t);

#endif
