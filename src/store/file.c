/*
 * The file store: everything in one JSON file, mode 0600, in a directory
 * only we can change (zoho/tokens.c reads and writes the format). The
 * lock is an flock on "PATH.lock" beside it (core/lock.c).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "core/exit-status.h"
#include "core/lock.h"
#include "core/log.h"
#include "core/secure-file.h"
#include "core/signals.h"
#include "core/util.h"
#include "store/backend.h"

/* Room kept for a token file beyond what it holds now: a longer access
 * token, a new API domain. Token files are under 2 KiB. */
#define RESERVE_EXTRA 8192

struct file_store {
	struct store base;
	char lock_path[4096];
	int lock_fd;
	struct secure_write pending;
};

static struct file_store *file_of(struct store *st)
{
	return (struct file_store *)st;
}

static bool file_exists(struct store *st)
{
	return access(st->where, F_OK) == 0;
}

static int file_load(struct store *st, struct tokens *out)
{
	const struct settings *s = st->s;
	const char *path = st->where;
	char why[160];
	char hint[128];
	unsigned mode = 0, owner = 0;

	switch (tokens_read_file(path, false, out, &mode, &owner, why, sizeof(why))) {
	case TOKEN_FILE_OK:
		return ZO_OK;
	case TOKEN_FILE_MISSING:
		store_login_hint(s, hint, sizeof(hint));
		if (s->near_profile[0])
			log_error("no profile \"%s\"; did you mean \"%s\"? (no tokens for profile '%s': "
				"%s does not exist; to make it, sign in with '%s')", s->profile,
				s->near_profile, s->profile, path, hint);
		else
			log_error("no tokens for profile '%s' (%s does not exist): sign in first with '%s'",
				s->profile, path, hint);
		return ZO_RELOGIN;
	case TOKEN_FILE_UNREADABLE:
		return ZO_FAILURE;
	case TOKEN_FILE_EXPOSED:
		log_error("%s can be read or changed by other users (mode %04o): refusing to use it; "
			"run 'chmod 600 %s', and consider revoking the tokens it holds",
			path, mode, path);
		return ZO_FAILURE;
	case TOKEN_FILE_FOREIGN:
		log_error("%s belongs to another user (uid %u): refusing to use it", path, owner);
		return ZO_FAILURE;
	case TOKEN_FILE_CORRUPT:
		store_login_hint(s, hint, sizeof(hint));
		log_error("%s is not a valid token file (%s); it was left as it is: look at it, "
			"or remove it and run '%s' again", path, why, hint);
		return ZO_FAILURE;
	}
	return ZO_FAILURE;
}

static int file_lock(struct store *st, int64_t timeout_ms, bool ignore_signals, char *holder,
		size_t holder_len)
{
	struct file_store *f = file_of(st);
	return store_lock_file(f->lock_path, timeout_ms, ignore_signals, holder, holder_len,
		&f->lock_fd);
}

static void file_unlock(struct store *st)
{
	struct file_store *f = file_of(st);
	lock_release(f->lock_fd);
	f->lock_fd = -1;
}

static int file_prepare(struct store *st, const struct tokens *current)
{
	struct file_store *f = file_of(st);
	size_t reserve = RESERVE_EXTRA;
	if (current) {
		char *json = tokens_to_json(current);
		if (!json)
			return ZO_FAILURE;
		reserve += strlen(json);
		secret_free(json);
	}
	secure_write_abort(&f->pending);
	return secure_write_prepare(&f->pending, st->where, reserve) ? ZO_OK : ZO_FAILURE;
}

static void file_abandon(struct store *st)
{
	secure_write_abort(&file_of(st)->pending);
}

/* Write t to path: through the prepared file when there is one. */
static int write_tokens(struct file_store *f, const char *path, const struct tokens *t)
{
	char *json = tokens_to_json(t);
	if (!json) {
		secure_write_abort(&f->pending);
		return ZO_FAILURE;
	}
	bool ok = f->pending.fd >= 0 ? secure_write_commit_as(&f->pending, path, json, strlen(json)) :
		secure_write(path, json, strlen(json));
	secret_free(json);
	return ok ? ZO_OK : ZO_FAILURE;
}

static int file_save(struct store *st, const struct tokens *t)
{
	struct file_store *f = file_of(st);
	/* Under the lock: clear what a killed writer left behind. */
	secure_write_clean(st->where);
	return write_tokens(f, st->where, t);
}

static int file_save_aside(struct store *st, const struct tokens *t, char *where, size_t where_len)
{
	struct file_store *f = file_of(st);
	char stamp[32];
	time_t now = time(NULL);
	struct tm tm;
	if (!localtime_r(&now, &tm) || !strftime(stamp, sizeof(stamp), "%Y%m%d-%H%M%S", &tm))
		snprintf(stamp, sizeof(stamp), "%lld", (long long)now);
	for (int n = 0; n < 100; n++) {
		int len = n ? snprintf(where, where_len, "%s.new-%s-%d", st->where, stamp, n) :
			snprintf(where, where_len, "%s.new-%s", st->where, stamp);
		if (len < 0 || (size_t)len >= where_len) {
			log_error("%s: path too long", st->where);
			return ZO_FAILURE;
		}
		if (access(where, F_OK) != 0)
			return write_tokens(f, where, t);
	}
	log_error("too many saved sign-ins beside %s: remove the old ones", st->where);
	return ZO_FAILURE;
}

static int file_forget(struct store *st)
{
	struct file_store *f = file_of(st);
	struct tokens now;
	unsigned mode, owner;
	char why[160];
	/* After a migration another store's record is at the path: keep it. */
	bool mine = tokens_read_file(st->where, true, &now, &mode, &owner, why, sizeof(why)) !=
		TOKEN_FILE_OK || now.record == RECORD_FILE;
	tokens_finish(&now);
	if (mine && unlink(st->where) != 0 && errno != ENOENT) {
		log_error("cannot remove %s: %s", st->where, strerror(errno));
		return ZO_FAILURE;
	}
	/* Safe while we hold it: whoever waits on this lock file notices,
	 * once it is theirs, that it is gone, and locks the new one. */
	unlink(f->lock_path);
	return ZO_OK;
}

static void file_destroy(struct store *st)
{
	struct file_store *f = file_of(st);
	secure_write_abort(&f->pending);
	lock_release(f->lock_fd);
	free(st->where);
	free(f);
}

static const struct store_ops file_ops = {
	.kind = "file",
	.exists = file_exists,
	.load = file_load,
	.lock = file_lock,
	.unlock = file_unlock,
	.prepare = file_prepare,
	.abandon = file_abandon,
	.save = file_save,
	.save_aside = file_save_aside,
	.forget = file_forget,
	.destroy = file_destroy,
};

int store_file_open(const struct settings *s, const char *path, struct store **out)
{
	struct file_store *f = calloc(1, sizeof(*f));
	*out = NULL;
	if (!f || !(f->base.where = xstrdup(path))) {
		free(f);
		log_error("out of memory");
		return ZO_FAILURE;
	}
	f->base.ops = &file_ops;
	f->base.s = s;
	f->lock_fd = -1;
	f->pending.fd = -1;
	if (!lock_path_for(path, f->lock_path, sizeof(f->lock_path))) {
		log_error("%s: path too long", path);
		file_destroy(&f->base);
		return ZO_FAILURE;
	}
	*out = &f->base;
	return ZO_OK;
}
