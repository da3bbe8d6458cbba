#ifndef ZOHO_OAUTH_CALLBACK_H
#define ZOHO_OAUTH_CALLBACK_H

#include <stdbool.h>
#include <stddef.h>

/* What Zoho's redirect back carries, checked. */
struct callback {
	char *code;            /* NULL for a refusal */
	char *error;           /* NULL unless refused; printable ASCII */
	char *location;        /* NULL unless a known shape ([a-z]{2,8}) */
	char *accounts_server; /* NULL unless given; not yet trusted */
};

enum callback_verdict {
	CALLBACK_CODE,   /* state matches, a code to exchange */
	CALLBACK_ERROR,  /* state matches, the user refused */
	CALLBACK_BAD,    /* anything else: answer 400 and keep waiting */
};

/*
 * Parse the query of a redirect (without the '?') and check its state
 * against ours in constant time. Only a matching state lets a code or an
 * error through: any local process can send a request, and that must
 * not end the user's login. why says what was wrong for CALLBACK_BAD.
 */
enum callback_verdict callback_parse(const char *query, size_t len, const char *expected_state,
		struct callback *out, char *why, size_t why_len);

/* Move src into dst (dst was empty). */
void callback_move(struct callback *dst, struct callback *src);
/* Wipe and free. */
void callback_finish(struct callback *cb);

#endif
