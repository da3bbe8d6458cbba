#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>
#include <unistd.h>

#include "core/log.h"
#include "core/util.h"

bool buf_append(struct buf *b, const void *data, size_t len)
{
	if (len > SIZE_MAX / 2 - b->len - 1) {
		log_error("out of memory");
		return false;
	}
	if (b->len + len + 1 > b->cap) {
		size_t cap = b->cap ? b->cap : 256;
		while (cap < b->len + len + 1)
			cap *= 2;
		/* No realloc: the old block may hold a secret and must be wiped. */
		char *p = malloc(cap);
		if (!p) {
			log_error("out of memory");
			return false;
		}
		if (b->data) {
			memcpy(p, b->data, b->len);
			secret_free_n(b->data, b->cap);
		}
		b->data = p;
		b->cap = cap;
	}
	if (len)
		memcpy(b->data + b->len, data, len);
	b->len += len;
	b->data[b->len] = '\0';
	return true;
}

bool buf_append_str(struct buf *b, const char *s)
{
	return buf_append(b, s, strlen(s));
}

void buf_finish(struct buf *b)
{
	if (b->data)
		secret_free_n(b->data, b->cap);
	b->data = NULL;
	b->len = b->cap = 0;
}

void secret_free(char *s)
{
	if (s)
		secret_free_n(s, strlen(s));
}

void secret_free_n(void *p, size_t n)
{
	if (!p)
		return;
	explicit_bzero(p, n);
	free(p);
}

char *xstrdup(const char *s)
{
	char *p = strdup(s);
	if (!p)
		log_error("out of memory");
	return p;
}

char *xstrndup(const char *s, size_t n)
{
	char *p = strndup(s, n);
	if (!p)
		log_error("out of memory");
	return p;
}

int64_t monotonic_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

int64_t wall_seconds(void)
{
	return (int64_t)time(NULL);
}

const char *plural(long long n)
{
	return n == 1 ? "" : "s";
}

void span_text(int64_t seconds, char *out, size_t len)
{
	if (seconds < 0)
		seconds = 0;
	if (seconds < 120)
		snprintf(out, len, "%lld second%s", (long long)seconds, plural(seconds));
	else if (seconds < 2 * 3600)
		snprintf(out, len, "%lld minutes", (long long)(seconds / 60));
	else if (seconds < 2 * 86400)
		snprintf(out, len, "%lld hours", (long long)(seconds / 3600));
	else
		snprintf(out, len, "%lld days", (long long)(seconds / 86400));
}

void local_time_text(int64_t when, bool with_date, char *out, size_t len)
{
	time_t t = (time_t)when;
	struct tm tm;
	if (!localtime_r(&t, &tm) ||
			!strftime(out, len, with_date ? "%Y-%m-%d %H:%M %Z" : "%H:%M %Z", &tm))
		snprintf(out, len, "%lld", (long long)when);
}

bool parse_long(const char *s, long min, long max, long *out)
{
	/* strtol would also take leading blanks and a '+': we don't. */
	if (!s || !(*s == '-' || (*s >= '0' && *s <= '9')))
		return false;
	errno = 0;
	char *end;
	long v = strtol(s, &end, 10);
	if (errno || *end || v < min || v > max)
		return false;
	*out = v;
	return true;
}

bool whole_number(double v, double min, double max)
{
	/* The range check comes first: it also rejects NaN, and keeps the
	 * conversion below defined. */
	return v >= min && v <= max && v == (double)(int64_t)v;
}

bool print_line(const char *prefix, const char *text)
{
	struct buf line = { 0 };
	bool ok = buf_append_str(&line, prefix) && buf_append_str(&line, text) &&
		buf_append(&line, "\n", 1);
	if (ok) {
		const char *p = line.data;
		size_t left = line.len;
		while (left > 0) {
			ssize_t n = write(STDOUT_FILENO, p, left);
			if (n < 0 && errno == EINTR)
				continue;
			if (n < 0) {
				log_error("cannot write to standard output: %s", strerror(errno));
				ok = false;
				break;
			}
			p += n;
			left -= (size_t)n;
		}
	}
	buf_finish(&line);
	return ok;
}

bool path_beside_self(const char *name, char *out, size_t out_len)
{
	char self[4096];
	ssize_t n = readlink("/proc/self/exe", self, sizeof(self) - 1);
	if (n <= 0)
		return false;
	self[n] = '\0';
	char *slash = strrchr(self, '/');
	if (!slash)
		return false;
	*slash = '\0';
	int len = snprintf(out, out_len, "%s/%s", self, name);
	return len > 0 && (size_t)len < out_len;
}

static char ascii_lower(char c)
{
	return (c >= 'A' && c <= 'Z') ? (char)(c - 'A' + 'a') : c;
}

bool ascii_ncasecmp_eq(const char *a, const char *b, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		if (ascii_lower(a[i]) != ascii_lower(b[i]))
			return false;
		if (!a[i])
			return true;
	}
	return true;
}

bool ascii_casecmp_eq(const char *a, const char *b)
{
	size_t la = strlen(a);
	return la == strlen(b) && ascii_ncasecmp_eq(a, b, la);
}

bool random_bytes(void *buf, size_t n)
{
	unsigned char *p = buf;
	while (n > 0) {
		ssize_t got = getrandom(p, n, 0);
		if (got < 0) {
			if (errno == EINTR)
				continue;
			log_error("cannot read random bytes from the kernel: %s", strerror(errno));
			return false;
		}
		p += got;
		n -= (size_t)got;
	}
	return true;
}
