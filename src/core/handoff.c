#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/handoff.h"
#include "core/lock.h"
#include "core/util.h"

#define LOCK_FD_ENV "ZOHO_OAUTH_LOCK_FD"
#define LOCK_WAITED_ENV "ZOHO_OAUTH_LOCK_WAITED"
#define SEEN_ENV "ZOHO_OAUTH_SEEN"
#define AHEAD_ENV "ZOHO_OAUTH_AHEAD"
#define ADDED_MAX 4
#define ADDED_LEN 64

bool handoff_give(const struct handoff *h)
{
	char value[64];
	if (h->lock_fd >= 0) {
		int flags = fcntl(h->lock_fd, F_GETFD);
		snprintf(value, sizeof(value), "%d", h->lock_fd);
		if (flags < 0 || fcntl(h->lock_fd, F_SETFD, flags & ~FD_CLOEXEC) != 0 ||
				setenv(LOCK_FD_ENV, value, 1) != 0)
			return false;
	}
	if (h->waited_ms > 0) {
		snprintf(value, sizeof(value), "%ld", h->waited_ms);
		if (setenv(LOCK_WAITED_ENV, value, 1) != 0)
			return false;
	}
	if (h->seen) {
		snprintf(value, sizeof(value), "%" PRId64 ":%" PRId64, h->seen_obtained_at,
			h->seen_expires_at);
		if (setenv(SEEN_ENV, value, 1) != 0)
			return false;
	}
	return true;
}

void handoff_take(struct handoff *out)
{
	const char *fd = getenv(LOCK_FD_ENV), *waited = getenv(LOCK_WAITED_ENV);
	const char *seen = getenv(SEEN_ENV), *ahead = getenv(AHEAD_ENV);
	long n;
	*out = (struct handoff)HANDOFF_NONE;
	/* Close-on-exec again: no program started later holds the lock. */
	if (fd && parse_long(fd, 3, 1 << 20, &n) && fcntl((int)n, F_SETFD, FD_CLOEXEC) == 0) {
		out->lock_fd = (int)n;
		lock_adopt(out->lock_fd);
	}
	if (waited && parse_long(waited, 0, 3600L * 1000, &n))
		out->waited_ms = n;
	long long obtained, expires;
	char end;
	if (seen && sscanf(seen, "%lld:%lld%c", &obtained, &expires, &end) == 2 && obtained >= 0 &&
			expires >= 0) {
		out->seen = true;
		out->seen_obtained_at = obtained;
		out->seen_expires_at = expires;
	}
	out->ahead = ahead && strcmp(ahead, "1") == 0;
	unsetenv(LOCK_FD_ENV);
	unsetenv(LOCK_WAITED_ENV);
	unsetenv(SEEN_ENV);
	unsetenv(AHEAD_ENV);
}

static bool ours(const char *entry)
{
	static const char *const names[] = {
		LOCK_FD_ENV "=", LOCK_WAITED_ENV "=", SEEN_ENV "=", AHEAD_ENV "=",
		"ZOHO_CLIENT_SECRET=",
	};
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if (strncmp(entry, names[i], strlen(names[i])) == 0)
			return true;
	return false;
}

char **handoff_environment(const struct handoff *h, int fd_number)
{
	size_t n = 0;
	while (environ[n])
		n++;
	/* One block: the array, then the text of what is added, so that one
	 * free() ends it all. */
	size_t slots = n + ADDED_MAX + 1;
	char **env = calloc(1, slots * sizeof(*env) + ADDED_MAX * ADDED_LEN);
	if (!env)
		return NULL;
	char *text = (char *)(env + slots);
	size_t o = 0;
	if (h->lock_fd >= 0)
		snprintf(text + o * ADDED_LEN, ADDED_LEN, LOCK_FD_ENV "=%d", fd_number), o++;
	if (h->waited_ms > 0)
		snprintf(text + o * ADDED_LEN, ADDED_LEN, LOCK_WAITED_ENV "=%ld", h->waited_ms), o++;
	if (h->seen)
		snprintf(text + o * ADDED_LEN, ADDED_LEN, SEEN_ENV "=%" PRId64 ":%" PRId64,
			h->seen_obtained_at, h->seen_expires_at), o++;
	if (h->ahead)
		snprintf(text + o * ADDED_LEN, ADDED_LEN, AHEAD_ENV "=1"), o++;
	for (size_t i = 0; i < o; i++)
		env[i] = text + i * ADDED_LEN;
	for (size_t i = 0; i < n; i++)
		if (!ours(environ[i]))
			env[o++] = environ[i];
	env[o] = NULL;
	return env;
}
