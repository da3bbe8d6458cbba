#include <stdbool.h>
#include <ctype.h>
#include <stdint.h>
#include <string.h>

#include "core/text.h"

/*
 * The length of the valid UTF-8 sequence at s[0..len), RFC 3629 strictly
 * (no overlong forms, no surrogates, nothing past U+10FFFF), or 0. *cp
 * gets its code point.
 */
static size_t utf8_sequence(const unsigned char *s, size_t len, unsigned long *cp)
{
	unsigned char c = s[0];
	size_t n;
	unsigned char lo = 0x80, hi = 0xbf; /* the allowed range of the second byte */

	if (c >= 0xc2 && c <= 0xdf) {
		n = 2;
	} else if (c >= 0xe0 && c <= 0xef) {
		n = 3;
		if (c == 0xe0)
			lo = 0xa0; /* overlong below U+0800 */
		else if (c == 0xed)
			hi = 0x9f; /* surrogates U+D800-U+DFFF */
	} else if (c >= 0xf0 && c <= 0xf4) {
		n = 4;
		if (c == 0xf0)
			lo = 0x90; /* overlong below U+10000 */
		else if (c == 0xf4)
			hi = 0x8f; /* past U+10FFFF */
	} else {
		return 0;
	}
	if (len < n || s[1] < lo || s[1] > hi)
		return 0;
	unsigned long v = c & (0x7fu >> n);
	for (size_t i = 1; i < n; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0;
		v = v << 6 | (s[i] & 0x3fu);
	}
	*cp = v;
	return n;
}

size_t text_escape(char *out, size_t out_len, const char *in, size_t in_len)
{
	static const char hex[] = "0123456789abcdef";
	const unsigned char *s = (const unsigned char *)in;
	size_t o = 0;
	/* The end of the last whole unit after which "..." still fits. */
	size_t mark = 0;

	if (out_len == 0)
		return 0;
	for (size_t i = 0; i < in_len;) {
		char rep[8];
		size_t rlen, used;
		unsigned long cp;
		unsigned char c = s[i];

		if (c == '\n' || c == '\r' || c == '\t') {
			rep[0] = '\\';
			rep[1] = c == '\n' ? 'n' : c == '\r' ? 'r' : 't';
			rlen = 2;
			used = 1;
		} else if (c >= 0x20 && c < 0x7f) {
			rep[0] = (char)c;
			rlen = 1;
			used = 1;
		} else if (c >= 0x80 && (used = utf8_sequence(s + i, in_len - i, &cp)) != 0) {
			if (cp <= 0x9f) {
				/* A C1 control, encoded: U+0080-U+009F. */
				memcpy(rep, "\\u00", 4);
				rep[4] = hex[(cp >> 4) & 15];
				rep[5] = hex[cp & 15];
				rlen = 6;
			} else {
				memcpy(rep, s + i, used);
				rlen = used;
			}
		} else {
			/* C0, DEL, a raw C1 byte, or a byte of no valid sequence. */
			rep[0] = '\\';
			rep[1] = 'x';
			rep[2] = hex[c >> 4];
			rep[3] = hex[c & 15];
			rlen = 4;
			used = 1;
		}

		if (o + rlen > out_len - 1) {
			/* Does not fit: cut at the last unit that leaves room for
			 * the dots, or where it stands when there is none. */
			if (out_len >= 4) {
				memcpy(out + mark, "...", 3);
				o = mark + 3;
			}
			break;
		}
		memcpy(out + o, rep, rlen);
		o += rlen;
		if (o + 3 <= out_len - 1)
			mark = o;
		i += used;
	}
	out[o] = '\0';
	return o;
}

size_t text_distance(const char *a, size_t a_len, const char *b)
{
	enum { MAX = 63 };
	size_t b_len = strlen(b);
	if (a_len > MAX || b_len > MAX)
		return SIZE_MAX;
	/* Three rows of the optimal-string-alignment table. */
	size_t rows[3][MAX + 2];
	size_t *two = rows[0], *prev = rows[1], *cur = rows[2];
	for (size_t j = 0; j <= b_len; j++)
		prev[j] = j;
	for (size_t i = 1; i <= a_len; i++) {
		cur[0] = i;
		for (size_t j = 1; j <= b_len; j++) {
			bool same = tolower((unsigned char)a[i - 1]) == tolower((unsigned char)b[j - 1]);
			size_t best = prev[j - 1] + !same;
			if (prev[j] + 1 < best)
				best = prev[j] + 1;
			if (cur[j - 1] + 1 < best)
				best = cur[j - 1] + 1;
			if (i > 1 && j > 1 &&
			    tolower((unsigned char)a[i - 1]) == tolower((unsigned char)b[j - 2]) &&
			    tolower((unsigned char)a[i - 2]) == tolower((unsigned char)b[j - 1]) &&
			    two[j - 2] + 1 < best)
				best = two[j - 2] + 1;
			cur[j] = best;
		}
		size_t *t = two;
		two = prev;
		prev = cur;
		cur = t;
	}
	return prev[b_len];
}

static bool near_enough(size_t d, size_t len, const char *name)
{
	size_t allowed = len < 4 ? 1 : len / 3 + 1;
	return d <= allowed && d < strlen(name);
}

bool text_near(const char *typo, size_t len, const char *name)
{
	return near_enough(text_distance(typo, len, name), len, name);
}

void text_nearest_offer(struct text_nearest *n, const char *typo, size_t len, const char *name)
{
	size_t d = text_distance(typo, len, name);
	if (near_enough(d, len, name) && (!n->name || d < n->distance)) {
		n->name = name;
		n->distance = d;
	}
}
