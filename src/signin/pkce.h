#ifndef ZOHO_OAUTH_PKCE_H
#define ZOHO_OAUTH_PKCE_H

#include <stdbool.h>
#include <stddef.h>

/* 32 random bytes in base64url without padding: 43 characters. */
#define PKCE_STATE_LEN 43
/* RFC 7636 allows 43 to 128 characters; 64 random bytes give 86. */
#define PKCE_VERIFIER_LEN 86
/* base64url(SHA-256(verifier)) without padding. */
#define PKCE_CHALLENGE_LEN 43

struct pkce {
	char state[PKCE_STATE_LEN + 1];
	char verifier[PKCE_VERIFIER_LEN + 1];
	char challenge[PKCE_CHALLENGE_LEN + 1];
};

/* Fill all three from the kernel's CSPRNG. */
bool pkce_init(struct pkce *p);
/* Wipe. */
void pkce_finish(struct pkce *p);

/* base64url without padding; out must hold 4 * ceil(n / 3) + 1 bytes.
 * Returns the length written (without the NUL). */
size_t base64url_encode(char *out, const unsigned char *in, size_t n);
/* S256 challenge for a verifier (RFC 7636 section 4.2). */
void pkce_challenge(const char *verifier, char out[PKCE_CHALLENGE_LEN + 1]);

/* Constant-time comparison of two NUL-terminated strings: the time taken
 * depends on the lengths, never on where they first differ. */
bool secret_equal(const char *a, const char *b);

#endif
