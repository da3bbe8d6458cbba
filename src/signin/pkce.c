#include <string.h>

#include <nettle/base64.h>
#include <nettle/memops.h>
#include <nettle/sha2.h>

#include "core/util.h"
#include "signin/pkce.h"

size_t base64url_encode(char *out, const unsigned char *in, size_t n)
{
	struct base64_encode_ctx ctx;
	base64url_encode_init(&ctx);
	size_t len = base64_encode_update(&ctx, out, n, in);
	len += base64_encode_final(&ctx, out + len);
	while (len > 0 && out[len - 1] == '=')
		len--;
	out[len] = '\0';
	return len;
}

void pkce_challenge(const char *verifier, char out[PKCE_CHALLENGE_LEN + 1])
{
	struct sha256_ctx ctx;
	unsigned char digest[SHA256_DIGEST_SIZE];
	char tmp[BASE64_ENCODE_LENGTH(SHA256_DIGEST_SIZE) + BASE64_ENCODE_FINAL_LENGTH + 1];

	sha256_init(&ctx);
	sha256_update(&ctx, strlen(verifier), (const uint8_t *)verifier);
	sha256_digest(&ctx, sizeof(digest), digest);
	base64url_encode(tmp, digest, sizeof(digest));
	memcpy(out, tmp, PKCE_CHALLENGE_LEN);
	out[PKCE_CHALLENGE_LEN] = '\0';
	explicit_bzero(&ctx, sizeof(ctx));
	explicit_bzero(digest, sizeof(digest));
}

static bool random_token(char *out, size_t raw_len)
{
	unsigned char raw[64];
	char tmp[BASE64_ENCODE_LENGTH(sizeof(raw)) + BASE64_ENCODE_FINAL_LENGTH + 1];

	if (raw_len > sizeof(raw) || !random_bytes(raw, raw_len))
		return false;
	size_t len = base64url_encode(tmp, raw, raw_len);
	memcpy(out, tmp, len + 1);
	explicit_bzero(raw, sizeof(raw));
	explicit_bzero(tmp, sizeof(tmp));
	return true;
}

bool pkce_init(struct pkce *p)
{
	/* 256 bits of state (the issue asks for at least 128) and 512 bits of
	 * verifier: 43 and 86 characters. */
	if (!random_token(p->state, 32) || !random_token(p->verifier, 64)) {
		pkce_finish(p);
		return false;
	}
	pkce_challenge(p->verifier, p->challenge);
	return true;
}

void pkce_finish(struct pkce *p)
{
	explicit_bzero(p, sizeof(*p));
}

bool secret_equal(const char *a, const char *b)
{
	size_t la = strlen(a), lb = strlen(b);
	if (la != lb)
		return false;
	return memeql_sec(a, b, la) != 0;
}
