#include <stdio.h>
#include <string.h>

#include "core/urlcode.h"

#define QUERY_MAX_LEN 8192
#define QUERY_MAX_PAIRS 64

static bool is_unreserved(unsigned char c)
{
	return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
		c == '-' || c == '.' || c == '_' || c == '~';
}

bool url_encode_append(struct buf *b, const char *s)
{
	static const char hex[] = "0123456789ABCDEF";
	for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
		if (is_unreserved(*p)) {
			if (!buf_append(b, p, 1))
				return false;
		} else {
			char esc[3] = { '%', hex[*p >> 4], hex[*p & 15] };
			if (!buf_append(b, esc, 3))
				return false;
		}
	}
	return true;
}

bool form_add(struct buf *b, const char *key, const char *value)
{
	if (b->len > 0 && !buf_append(b, "&", 1))
		return false;
	return url_encode_append(b, key) && buf_append(b, "=", 1) && url_encode_append(b, value);
}

int url_hex_value(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* Decode in[0..len) into out (at least len + 1 bytes). Returns the decoded
 * length, or -1 with why set. */
static long decode(const char *in, size_t len, char *out, char *why, size_t why_len)
{
	size_t o = 0;
	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)in[i];
		if (c == '%') {
			if (i + 2 >= len) {
				snprintf(why, why_len, "a '%%' escape is cut short");
				return -1;
			}
			int h = url_hex_value(in[i + 1]), l = url_hex_value(in[i + 2]);
			if (h < 0 || l < 0) {
				snprintf(why, why_len, "a '%%' escape is not followed by two hex digits");
				return -1;
			}
			c = (unsigned char)(h * 16 + l);
			i += 2;
		} else if (c == '+') {
			c = ' ';
		}
		if (c < 0x20 || c == 0x7f) {
			snprintf(why, why_len, "it holds a control character");
			return -1;
		}
		out[o++] = (char)c;
	}
	out[o] = '\0';
	return (long)o;
}

void query_fields_finish(struct query_field *fields, size_t nfields)
{
	for (size_t i = 0; i < nfields; i++) {
		secret_free(fields[i].value);
		fields[i].value = NULL;
	}
}

bool query_parse(const char *query, size_t len, struct query_field *fields, size_t nfields,
		char *why, size_t why_len)
{
	char scratch[QUERY_MAX_LEN + 1];
	size_t pairs = 0;
	bool ok = false;

	for (size_t i = 0; i < nfields; i++)
		fields[i].value = NULL;
	if (len > QUERY_MAX_LEN) {
		snprintf(why, why_len, "the query is longer than %d bytes", QUERY_MAX_LEN);
		goto out;
	}
	if (memchr(query, '\0', len)) {
		snprintf(why, why_len, "the query holds a NUL byte");
		goto out;
	}

	size_t pos = 0;
	while (pos <= len) {
		const char *start = query + pos;
		const char *amp = memchr(start, '&', len - pos);
		size_t plen = amp ? (size_t)(amp - start) : len - pos;
		pos += plen + 1;
		if (plen == 0)
			continue; /* "a=1&&b=2" or a trailing '&' */
		if (++pairs > QUERY_MAX_PAIRS) {
			snprintf(why, why_len, "the query has more than %d parameters", QUERY_MAX_PAIRS);
			goto out;
		}
		const char *eq = memchr(start, '=', plen);
		size_t klen = eq ? (size_t)(eq - start) : plen;
		const char *vstart = eq ? eq + 1 : start + plen;
		size_t vlen = plen - klen - (eq ? 1 : 0);

		char key[64];
		if (klen >= sizeof(key)) {
			/* Nobody we care about has a key this long; still check it. */
			if (decode(start, klen, scratch, why, why_len) < 0)
				goto out;
			continue;
		}
		if (decode(start, klen, key, why, why_len) < 0)
			goto out;
		long vdec = decode(vstart, vlen, scratch, why, why_len);
		if (vdec < 0) {
			size_t used = strlen(why);
			snprintf(why + used, why_len - used, " (in '%s')", key);
			goto out;
		}

		for (size_t f = 0; f < nfields; f++) {
			if (strcmp(fields[f].key, key) != 0)
				continue;
			if (fields[f].value) {
				snprintf(why, why_len, "'%s' is given more than once", key);
				goto out;
			}
			if ((size_t)vdec > fields[f].max_len) {
				snprintf(why, why_len, "'%s' is longer than %zu bytes", key,
					fields[f].max_len);
				goto out;
			}
			fields[f].value = xstrndup(scratch, (size_t)vdec);
			if (!fields[f].value) {
				snprintf(why, why_len, "out of memory");
				goto out;
			}
			break;
		}
	}
	ok = true;
out:
	explicit_bzero(scratch, sizeof(scratch));
	if (!ok)
		query_fields_finish(fields, nfields);
	return ok;
}

/* Whether host is one of the three loopback names we accept. */
static bool host_is_loopback(const char *host)
{
	return ascii_casecmp_eq(host, "localhost") || strcmp(host, "127.0.0.1") == 0 ||
		strcmp(host, "[::1]") == 0;
}

bool origin_parse(const char *url, struct origin *o, const char **rest)
{
	const char *p;
	if (ascii_ncasecmp_eq(url, "https://", 8)) {
		strcpy(o->scheme, "https");
		p = url + 8;
	} else if (ascii_ncasecmp_eq(url, "http://", 7)) {
		strcpy(o->scheme, "http");
		p = url + 7;
	} else {
		return false;
	}

	size_t hlen;
	if (*p == '[') {
		const char *close = strchr(p, ']');
		if (!close)
			return false;
		hlen = (size_t)(close - p) + 1;
		for (const char *c = p + 1; c < close; c++)
			if (!(url_hex_value(*c) >= 0 || *c == ':' || *c == '.'))
				return false;
		if (hlen < 3)
			return false;
	} else {
		hlen = strspn(p, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789.-");
		if (hlen == 0 || p[0] == '.' || p[0] == '-')
			return false;
	}
	if (hlen >= sizeof(o->host))
		return false;
	memcpy(o->host, p, hlen);
	o->host[hlen] = '\0';
	p += hlen;

	o->port = -1;
	if (*p == ':') {
		p++;
		size_t dlen = strspn(p, "0123456789");
		if (dlen == 0 || dlen > 5)
			return false;
		char digits[6];
		memcpy(digits, p, dlen);
		digits[dlen] = '\0';
		if (digits[0] == '0' || !parse_long(digits, 1, 65535, &o->port))
			return false;
		p += dlen;
	}
	/* Only a path, a query or a fragment may follow: not userinfo ("@")
	 * or anything else that a parser elsewhere could read differently. */
	if (*p && *p != '/' && *p != '?' && *p != '#')
		return false;
	o->loopback = host_is_loopback(o->host);
	*rest = p;
	return true;
}
