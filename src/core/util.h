#ifndef ZOHO_OAUTH_UTIL_H
#define ZOHO_OAUTH_UTIL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* A growable byte buffer, always NUL-terminated when data != NULL. It may
 * hold secrets (form bodies, server answers), so buf_finish() wipes it. */
struct buf {
	char *data;
	size_t len;
	size_t cap;
};

bool buf_append(struct buf *b, const void *data, size_t len);
bool buf_append_str(struct buf *b, const char *s);
void buf_finish(struct buf *b);

/* Wipe then free a NUL-terminated secret; NULL is fine. */
void secret_free(char *s);
/* Wipe then free n bytes. */
void secret_free_n(void *p, size_t n);

/* strdup that says "out of memory" itself. */
char *xstrdup(const char *s);
char *xstrndup(const char *s, size_t n);

/* Milliseconds on CLOCK_MONOTONIC, for deadlines. */
int64_t monotonic_ms(void);
/* Unix seconds. */
int64_t wall_seconds(void);

/* "s" for a count other than one: "%ld second%s", n, plural(n). */
const char *plural(long long n);

/* "45 seconds", "52 minutes", "3 hours", "2 days". */
void span_text(int64_t seconds, char *out, size_t len);
/* A Unix time as local time with the zone: "14:05 CET", or with the date
 * ("2026-12-02 14:05 CET") when with_date. */
void local_time_text(int64_t when, bool with_date, char *out, size_t len);

/* Parse a base-10 integer in [min, max] with nothing after it. */
bool parse_long(const char *s, long min, long max, long *out);

/* Whether v is a whole number in [min, max] (no libm needed). */
bool whole_number(double v, double min, double max);

/* Write prefix, text and a newline to stdout in one go; says why not. */
bool print_line(const char *prefix, const char *text);

/* out = the directory of this program's executable + "/" + name; false
 * when /proc/self/exe can't be read or the path is too long. */
bool path_beside_self(const char *name, char *out, size_t out_len);

/* ASCII case-insensitive comparison; locale-independent. */
bool ascii_casecmp_eq(const char *a, const char *b);
bool ascii_ncasecmp_eq(const char *a, const char *b, size_t n);

/* Fill buf with n bytes from the kernel's CSPRNG (getrandom). */
bool random_bytes(void *buf, size_t n);

#endif
