#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>

#include "core/handoff.h"
#include "core/lock.h"
#include "core/util.h"

#define LOCK_FD_ENV "ZOHO_OAUTH_LOCK_FD"
#define LOCK_WAITED_ENV "ZOHO_OAUTH_LOCK_WAITED"
#define SEEN_ENV "ZOHO_OAUTH_SEEN"

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
	const char *seen = getenv(SEEN_ENV);
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
	unsetenv(LOCK_FD_ENV);
	unsetenv(LOCK_WAITED_ENV);
	unsetenv(SEEN_ENV);
}
