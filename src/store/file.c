/*
 * The file store: everything durable in one JSON file, the record, mode
 * 0600, in a directory only we can change (zoho/tokens.c reads and writes
 * the format), written by a sign-in, a migration and a revocation only,
 * atomically and synced. A refresh writes the new access token to the
 * cache (store/local.h: in $XDG_RUNTIME_DIR, not synced) and never the
 * record, which holds the refresh token: no refresh, killed at any
 * moment, can harm it. The record keeps the access token of its sign-in,
 * so that an older release reads it as the token file it knows (and
 * refreshes it once it has expired). The lock is an flock on "PATH.lock"
 * beside it (store.c, core/lock.c), whichever cache a process uses.
 */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/exit-status.h"
#include "core/log.h"
#include "core/secure-file.h"
#include "core/util.h"
#include "store/backend.h"
#include "store/local.h"

/* Room kept for a token file beyond what it holds now: a longer access
 * token, a new API domain. Token files are under 2 KiB. */
#define RESERVE_EXTRA 8192

struct file_store {
	struct store base;
	struct secure_write pending;
	bool pending_cache;   /* what is prepared is the cache (a refresh), not the record */
};

static struct file_store *file_of(struct store *st)
{
	return (struct file_store *)st;
}

static int file_load(struct store *st, struct tokens *out)
{
	char looked[PATH_MAX + 32];
	int status = store_record_usable(st, "token file");
	if (status == ZO_RELOGIN) {
		snprintf(looked, sizeof(looked), "%s does not exist", st->where);
		return store_say_no_tokens(st, looked);
	}
	if (status != ZO_OK)
		return status;
	if (st->record.tokens.record != RECORD_FILE) {
		log_error("%s describes tokens kept in another store (%s), not a token file", st->where,
			st->record.tokens.store);
		return ZO_FAILURE;
	}
	return tokens_copy(out, &st->record.tokens) ? ZO_OK : ZO_FAILURE;
}

static int file_prepare(struct store *st, const struct tokens *current, unsigned flags)
{
	struct file_store *f = file_of(st);
	size_t reserve = RESERVE_EXTRA;
	secure_write_abort(&f->pending);
	f->pending_cache = false;
	/* A refresh writes the cache, room made first as for the record; where
	 * the cache can't be, the record takes it (as before there was one). */
	if (flags & STORE_FOR_REFRESH) {
		char cache[PATH_MAX];
		struct report quiet;
		report_open(&quiet);
		bool ok = profile_cache_path(st->p, cache, sizeof(cache)) && secure_dirs_for(cache) &&
			secure_write_prepare(&f->pending, cache, reserve);
		report_drop(&quiet);
		if (ok) {
			f->pending.fleeting = true;
			f->pending_cache = true;
			return ZO_OK;
		}
	}
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
	file_of(st)->pending_cache = false;
}

/* Write t to path: through the prepared file when there is one. */
static int write_tokens(struct file_store *f, const char *path, const struct tokens *t)
{
	struct tokens whole = *t; /* shallow: a file holds everything */
	whole.record = RECORD_FILE;
	whole.store = NULL;
	whole.access_cache = NULL;
	whole.refresh_elsewhere = false;
	whole.refresh_fingerprint = NULL;
	whole.budget_until = 0;
	whole.ahead_failed_at = 0; /* the cache's */
	char *json = tokens_to_json(&whole);
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
	/* Under the lock: clear what a killed writer left behind. */
	secure_write_clean(st->where);
	int status = write_tokens(file_of(st), st->where, t);
	/* The record is the newest now: an older cache, or what a refresh
	 * ahead remembered of the tokens it replaces, goes. */
	if (status == ZO_OK)
		local_forget_cache(st->p);
	return status;
}

static int file_save_access(struct store *st, const struct tokens *t)
{
	struct file_store *f = file_of(st);
	/* Under the lock: clear what a killed writer left behind. */
	secure_write_clean(st->where);
	if (f->pending.fd < 0 || !f->pending_cache)
		return file_save(st, t); /* the record was prepared, or nothing */
	secure_write_clean(f->pending.path);
	char *json = tokens_to_json_as(RECORD_CACHE, t, st->where);
	struct report r;
	char why[REPORT_HELD_MAX];
	report_open(&r);
	bool ok = json && secure_write_commit(&f->pending, json, strlen(json));
	report_take(&r, why, sizeof(why));
	secret_free(json);
	if (!json)
		secure_write_abort(&f->pending);
	f->pending_cache = false;
	if (ok)
		return ZO_OK;
	/* Zoho issued it: the record keeps it rather than nobody. */
	log_warn("%s; the token file takes the new access token instead", why[0] ? why : "no cache");
	return file_save(st, t);
}

static int file_save_aside(struct store *st, const struct tokens *t, char *where, size_t where_len)
{
	return store_aside_path(st, where, where_len) ? write_tokens(file_of(st), where, t) :
		ZO_FAILURE;
}

static int file_forget(struct store *st, unsigned flags)
{
	struct tokens now;
	unsigned mode, owner;
	char why[TOKENS_WHY_MAX];
	(void)flags;
	/* After a migration another store's record is at the path: keep it. */
	bool mine = tokens_read_file(st->where, true, &now, &mode, &owner, why, sizeof(why)) !=
		TOKEN_FILE_OK || now.record == RECORD_FILE;
	tokens_finish(&now);
	if (mine && unlink(st->where) != 0 && errno != ENOENT) {
		log_error("cannot remove %s: %s", st->where, strerror(errno));
		return ZO_FAILURE;
	}
	if (mine)
		local_forget_cache(st->p);
	return ZO_OK;
}

static void file_destroy(struct store *st)
{
	struct file_store *f = file_of(st);
	secure_write_abort(&f->pending);
	free(f);
}

static const struct store_ops file_ops = {
	.kind = "file",
	.load = file_load,
	.prepare = file_prepare,
	.abandon = file_abandon,
	.save = file_save,
	.save_access = file_save_access,
	.save_aside = file_save_aside,
	.forget = file_forget,
	.destroy = file_destroy,
};

struct store *store_file_new(void)
{
	struct file_store *f = calloc(1, sizeof(*f));
	if (!f)
		return NULL;
	f->base.ops = &file_ops;
	f->pending.fd = -1;
	return &f->base;
}
