#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/exit-status.h"
#include "core/log.h"
#include "core/secure-file.h"
#include "core/signals.h"
#include "core/util.h"
#include "store/store.h"

void store_login_hint(const struct settings *s, char *out, size_t len)
{
	if (strcmp(s->profile, "default") == 0)
		snprintf(out, len, "zoho-oauth login");
	else
		snprintf(out, len, "zoho-oauth login --profile %s", s->profile);
}

int store_load(const struct settings *s, struct tokens *out)
{
	char why[160];
	char hint[128];
	unsigned mode = 0, owner = 0;

	switch (tokens_read_file(s->token_file, false, out, &mode, &owner, why, sizeof(why))) {
	case TOKEN_FILE_OK:
		return ZO_OK;
	case TOKEN_FILE_MISSING:
		store_login_hint(s, hint, sizeof(hint));
		log_error("no tokens for profile '%s' (%s does not exist): sign in first with '%s'",
			s->profile, s->token_file, hint);
		return ZO_RELOGIN;
	case TOKEN_FILE_UNREADABLE:
		return ZO_FAILURE;
	case TOKEN_FILE_EXPOSED:
		log_error("%s can be read or changed by other users (mode %04o): refusing to use it; "
			"run 'chmod 600 %s', and consider revoking the tokens it holds",
			s->token_file, mode, s->token_file);
		return ZO_FAILURE;
	case TOKEN_FILE_FOREIGN:
		log_error("%s belongs to another user (uid %u): refusing to use it", s->token_file, owner);
		return ZO_FAILURE;
	case TOKEN_FILE_CORRUPT:
		store_login_hint(s, hint, sizeof(hint));
		log_error("%s is not a valid token file (%s); it was left as it is: look at it, "
			"or remove it and run '%s' again", s->token_file, why, hint);
		return ZO_FAILURE;
	}
	return ZO_FAILURE;
}

int store_save(const char *path, const struct tokens *t)
{
	char *json = tokens_to_json(t);
	if (!json)
		return ZO_FAILURE;
	/* Callers hold the lock: clear what a killed writer left behind. */
	secure_write_clean(path);
	bool ok = secure_write(path, json, strlen(json));
	secret_free(json);
	return ok ? ZO_OK : ZO_FAILURE;
}

int store_lock(const char *path, int *fd)
{
	char lock[4096];
	if ((size_t)snprintf(lock, sizeof(lock), "%s.lock", path) >= sizeof(lock)) {
		log_error("%s: path too long", path);
		return ZO_FAILURE;
	}
	*fd = open(lock, O_RDWR | O_CREAT | O_NOFOLLOW | O_CLOEXEC | O_NOCTTY, 0600);
	if (*fd < 0 && errno == ENOENT) {
		/* The directory is missing: the token file is too. */
		return ZO_RELOGIN;
	}
	if (*fd < 0) {
		log_error("cannot open the lock file %s: %s", lock, strerror(errno));
		return ZO_FAILURE;
	}
	/* flock() is interrupted by our signals (no SA_RESTART). */
	while (flock(*fd, LOCK_EX) != 0) {
		if (errno == EINTR && !signals_caught())
			continue;
		int e = errno;
		close(*fd);
		*fd = -1;
		if (signals_caught())
			return ZO_INTERRUPTED + signals_caught();
		log_error("cannot lock %s: %s", lock, strerror(e));
		return ZO_FAILURE;
	}
	return ZO_OK;
}

void store_unlock(int fd)
{
	if (fd >= 0)
		close(fd); /* releases the flock */
}
