#ifndef ZOHO_OAUTH_KEYS_H
#define ZOHO_OAUTH_KEYS_H

#include <stdbool.h>
#include <stddef.h>

#include "zoho/zoho.h"

/*
 * The values of a profile's settings, checked in one place wherever they
 * come from: the command line, the environment or the config file. Each
 * takes the text, fills *out (owned strings: the caller frees) and
 * returns true, or says in why what is wrong with it and returns false:
 * a sentence of its own, or for access_type, a yes or no and seconds, a
 * predicate the caller puts the option's or key's name in front of ("is
 * yes or no, not 'maybe'").
 */
#define KEY_WHY_MAX 512

bool key_client_id(const char *value, char **out, char *why, size_t why_len);
bool key_dc(const char *value, const struct zoho_dc **out, char *why, size_t why_len);
/* https, or http on loopback (a test server); the origin without a
 * trailing slash. */
bool key_accounts_url(const char *value, char **out, char *why, size_t why_len);
/* items[0..n), each itself a list (commas, and blanks after them): joined
 * into one comma-separated list without duplicates. */
bool key_scope(const char *const *items, size_t n, char **out, char *why, size_t why_len);
bool key_redirect_uri(const char *value, char **out, char *why, size_t why_len);
/* "offline" (true) or "online" (false). */
bool key_access_type(const char *value, bool *offline, char *why, size_t why_len);
/* file, keyring, or a PostgreSQL database without a password in it. */
bool key_store(const char *value, char **out, char *why, size_t why_len);
/* "yes" or "no". */
bool key_yes_no(const char *value, bool *out, char *why, size_t why_len);
/* A whole number of seconds in [min, max]. */
bool key_seconds(const char *value, long min, long max, long *out, char *why, size_t why_len);
/* A whole number from min to max (a count, not a time). */
bool key_count(const char *value, long min, long max, long *out, char *why, size_t why_len);

#endif
