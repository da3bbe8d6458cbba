#ifndef ZOHO_OAUTH_TEXT_H
#define ZOHO_OAUTH_TEXT_H

#include <stdbool.h>
#include <stddef.h>

/*
 * Copy untrusted text (anything that came from the network, a file or
 * another program) for display on a terminal, so that it cannot move the
 * cursor, retitle the window, or hide or fake a line:
 *
 *  - valid, printable UTF-8 is kept as it is;
 *  - C0 controls and DEL become \t, \n, \r or \xHH (ESC is \x1b);
 *  - C1 controls become \xHH as raw bytes (0x80-0x9f, which are never
 *    valid UTF-8 on their own) and \u00HH when validly UTF-8-encoded
 *    (U+0080-U+009F: \u009b is CSI);
 *  - any other byte that is not part of a valid UTF-8 sequence (overlong
 *    forms, surrogates, beyond U+10FFFF, cut short) becomes \xHH.
 *
 * A backslash is kept as it is, so the escaping is idempotent: text
 * escaped once (say into a message) is unchanged by a second pass (the log
 * layer escapes every message). in[0..in_len) may hold NUL bytes (\x00).
 *
 * out (out_len bytes) always ends up NUL-terminated when out_len > 0. When
 * the whole does not fit, it is cut between two characters or escapes,
 * never inside one, and ends in "..." (when out_len is at least 4).
 * Returns the length written, without the NUL.
 */
size_t text_escape(char *out, size_t out_len, const char *in, size_t in_len);

/*
 * How many one-letter edits (insert, delete, substitute, swap two
 * neighbours) turn a[0..a_len) into b, ASCII case ignored; strings longer
 * than 63 bytes count as far apart (SIZE_MAX). For did-you-mean.
 */
size_t text_distance(const char *a, size_t a_len, const char *b);

/* Whether a typo of length len is near enough to a name to suggest it. */
bool text_near(const char *typo, size_t len, const char *name);

/* The nearest of the names offered that is near enough, for did-you-mean:
 * start with { 0 }, offer each name, then name is the suggestion or NULL. */
struct text_nearest {
	const char *name;
	size_t distance;
};
void text_nearest_offer(struct text_nearest *n, const char *typo, size_t len, const char *name);

/* The most text_escape() writes for in_len bytes of input, NUL included. */
#define TEXT_ESCAPE_MAX(in_len) (4 * (in_len) + 1)

#endif
