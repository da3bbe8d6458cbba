#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "core/exit-status.h"
#include "core/lock.h"
#include "core/log.h"
#include "core/signals.h"
#include "core/secure-file.h"
#include "core/util.h"
#include "store/backend.h"
#include "store/local.h"

static bool is_database(const char *name)
{
	return strncmp(name, "postgresql://", 13) == 0 || strncmp(name, "postgres://", 11) == 0 ||
		strncmp(name, "service=", 8) == 0;
}

/* Read the record at the token path into st->record: the token file, or
 * a store's metadata with its cached access token. What a failure says is
 * kept for store_load() to say: opening says nothing. */
static void read_record(struct store *st)
{
	struct store_record *rec = &st->record;
	struct report quiet;
	tokens_finish(&rec->tokens);
	rec->why[0] = '\0';
	rec->under_lock = lock_handed_for(st->lock_path);
	report_open(&quiet);
	rec->result = local_read(st->p, &rec->tokens, &rec->mode, &rec->owner, rec->why,
		sizeof(rec->why));
	if (rec->result == TOKEN_FILE_UNREADABLE)
		report_take(&quiet, rec->why, sizeof(rec->why));
	else
		report_drop(&quiet);
}

/* The backend for a store's name (NULL, "file": the file). */
static struct store *backend_for(const char *name)
{
	if (!name || strcmp(name, "file") == 0)
		return store_file_new();
	if (strcmp(name, "keyring") == 0)
		return store_keyring_new();
	return store_postgresql_new(name);
}

static int make(const struct profile *p, const char *name, struct store **out)
{
	*out = NULL;
	if (name && strcmp(name, "file") != 0 && strcmp(name, "keyring") != 0 && !is_database(name)) {
		log_error("unknown store '%.40s': file, keyring, postgresql://... or service=NAME", name);
		return ZO_USAGE;
	}
	struct store *st = backend_for(name);
	if (!st) {
		log_error("out of memory");
		return ZO_FAILURE;
	}
	st->p = p;
	st->where = p->token_path;
	st->name = xstrdup(name ? name : "file");
	st->lock_fd = -1;
	st->record.result = TOKEN_FILE_MISSING;
	if (!st->name || !profile_lock_path(p, st->lock_path, sizeof(st->lock_path))) {
		log_error("%s: path too long", p->token_path);
		store_close(st);
		return ZO_FAILURE;
	}
	*out = st;
	return ZO_OK;
}

int store_open(const struct profile *p, unsigned flags, struct store **out)
{
	/* The record names its store; it is read once, by a file store first
	 * (which has the lock path, and reads the same way), and handed to the
	 * store it names. */
	struct store *probe;
	int status = make(p, NULL, &probe);
	if (status != ZO_OK)
		return status;
	read_record(probe);
	const char *name = (flags & STORE_AS_RECORDED) ? NULL : p->store;
	if (probe->record.result == TOKEN_FILE_OK)
		name = probe->record.tokens.record == RECORD_META ? probe->record.tokens.store : NULL;
	else if (probe->record.result != TOKEN_FILE_MISSING)
		name = NULL; /* a record that can't be used is the file store's to say */
	if (!name || strcmp(name, "file") == 0) {
		*out = probe;
		return ZO_OK;
	}
	status = make(p, name, out);
	if (status == ZO_OK) {
		(*out)->record = probe->record;
		memset(&probe->record.tokens, 0, sizeof(probe->record.tokens));
	}
	store_close(probe);
	return status;
}

int store_open_other(const struct store *st, const char *kind, struct store **out)
{
	int status = make(st->p, kind, out);
	if (status != ZO_OK)
		return status;
	struct store_record *rec = &(*out)->record;
	*rec = st->record;
	rec->under_lock = false;
	memset(&rec->tokens, 0, sizeof(rec->tokens));
	if (st->record.result == TOKEN_FILE_OK && !tokens_copy(&rec->tokens, &st->record.tokens)) {
		store_close(*out);
		*out = NULL;
		return ZO_FAILURE;
	}
	return ZO_OK;
}

int store_open_like(const struct store *st, const struct profile *p, struct store **out)
{
	struct store *probe;
	int status = make(p, NULL, &probe);
	if (status != ZO_OK)
		return status;
	read_record(probe);
	if (strcmp(st->name, "file") == 0) {
		*out = probe;
		return ZO_OK;
	}
	status = make(p, st->name, out);
	if (status == ZO_OK) {
		(*out)->record = probe->record;
		memset(&probe->record.tokens, 0, sizeof(probe->record.tokens));
	}
	store_close(probe);
	return status;
}

bool store_same_kind(const struct store *st, const char *name)
{
	if (!name || strcmp(name, "file") == 0)
		return strcmp(st->ops->kind, "file") == 0;
	if (strcmp(name, "keyring") == 0)
		return strcmp(st->ops->kind, "keyring") == 0;
	/* A database: the same one. */
	return st->record.result == TOKEN_FILE_OK && st->record.tokens.store &&
		strcmp(st->record.tokens.store, name) == 0;
}

void store_close(struct store *st)
{
	if (!st)
		return;
	lock_release(st->lock_fd);
	tokens_finish(&st->record.tokens);
	free(st->name);
	st->ops->destroy(st);
}

const struct tokens *store_local(const struct store *st)
{
	return st->record.result == TOKEN_FILE_OK ? &st->record.tokens : NULL;
}

const struct profile *store_profile(const struct store *st)
{
	return st->p;
}

const char *store_where(const struct store *st)
{
	return st->where;
}

const char *store_kind(const struct store *st)
{
	return st->ops->kind;
}

bool store_shared(const struct store *st)
{
	return st->ops->shared;
}

void store_describe(const struct store *st, char *out, size_t len)
{
	if (st->ops->describe)
		st->ops->describe(st, out, len);
	else
		snprintf(out, len, "%s", st->ops->kind);
}

bool store_has_tokens(struct store *st)
{
	if (st->ops->has_tokens)
		return st->ops->has_tokens(st);
	return st->record.result != TOKEN_FILE_MISSING;
}

int store_load(struct store *st, struct tokens *out)
{
	memset(out, 0, sizeof(*out));
	return st->ops->load(st, out);
}

int store_load_secrets(struct store *st, struct tokens *t)
{
	return st->ops->load_secrets ? st->ops->load_secrets(st, t) : ZO_OK;
}

int store_lock(struct store *st, int64_t timeout_ms, unsigned flags, char *holder,
		size_t holder_len)
{
	if (holder && holder_len)
		holder[0] = '\0';
	/* A machine's first use of a shared store's profile may have no
	 * directory yet. */
	if (st->ops->shared && !secure_dirs_for(st->where))
		return ZO_FAILURE;
	int64_t start = monotonic_ms();
	int status = ZO_FAILURE;
	switch (lock_take(st->lock_path, LOCK_EXCLUSIVE, timeout_ms,
			(flags & STORE_LOCK_KEEP_SIGNALS) ? LOCK_IGNORE_SIGNALS : 0, holder, holder_len,
			&st->lock_fd)) {
	case LOCK_TAKEN:
		status = ZO_OK;
		break;
	case LOCK_BUSY:
		return ZO_BUSY;
	case LOCK_NO_DIRECTORY:
		return ZO_RELOGIN; /* nothing to protect */
	case LOCK_INTERRUPTED:
		return ZO_INTERRUPTED + signals_caught();
	case LOCK_FAILED:
		return ZO_FAILURE;
	}
	if (st->ops->lock) {
		int64_t left = timeout_ms - (monotonic_ms() - start);
		status = st->ops->lock(st, left > 0 ? left : 0, flags, holder, holder_len);
		if (status != ZO_OK) {
			lock_release(st->lock_fd);
			st->lock_fd = -1;
		}
	}
	return status;
}

void store_unlock(struct store *st)
{
	if (st->ops->unlock)
		st->ops->unlock(st);
	lock_release(st->lock_fd);
	st->lock_fd = -1;
}

int store_reload(struct store *st)
{
	/* Once: a lock taken again later is an ordinary one. */
	if (st->record.under_lock)
		st->record.under_lock = false;
	else
		read_record(st);
	return ZO_OK;
}

int store_prepare(struct store *st, const struct tokens *current, unsigned flags)
{
	return st->ops->prepare(st, current, flags);
}

void store_abandon(struct store *st)
{
	if (st->ops->abandon)
		st->ops->abandon(st);
}

void store_abandon_refused(struct store *st)
{
	if (st->ops->refused)
		st->ops->refused(st);
	else
		store_abandon(st);
}

int store_save(struct store *st, const struct tokens *t)
{
	return st->ops->save(st, t);
}

int store_check(struct store *st)
{
	const struct tokens *t = &st->record.tokens;
	if (!st->ops->check || st->record.result != TOKEN_FILE_OK || t->record != RECORD_META ||
			!t->check_by || wall_seconds() < t->check_by)
		return ZO_OK;
	int status = st->ops->check(st);
	if (status == ZO_OK)
		read_record(st);
	return status;
}

int store_peek(struct store *st)
{
	if (!st->ops->peek)
		return ZO_OK;
	struct report quiet;
	report_open(&quiet);
	int status = st->ops->peek(st);
	report_drop(&quiet);
	if (status == ZO_OK)
		read_record(st);
	return status;
}

int store_save_access(struct store *st, const struct tokens *t)
{
	return st->ops->save_access ? st->ops->save_access(st, t) : st->ops->save(st, t);
}

int store_note(struct store *st, const struct tokens *t)
{
	const struct tokens *rec = &st->record.tokens;
	bool meta = st->record.result == TOKEN_FILE_OK && rec->record == RECORD_META;
	/* What this machine's cache keeps of a shared store beyond the
	 * tokens (the next look at the row, the place among the fleet's
	 * refresh moments, the clock's offset): kept, so that the front
	 * judges as the full program does. */
	struct tokens noted = *t; /* shallow */
	if (meta) {
		if (!noted.check_by)
			noted.check_by = rec->check_by;
		if (!noted.spread)
			noted.spread = rec->spread;
		if (!noted.has_clock_offset) {
			noted.clock_offset = rec->clock_offset;
			noted.has_clock_offset = rec->has_clock_offset;
		}
	}
	return local_write_cache(st->p, meta ? rec->access_cache : NULL, &noted) ? ZO_OK :
		ZO_FAILURE;
}

int store_save_aside(struct store *st, const struct tokens *t, char *where, size_t where_len)
{
	return st->ops->save_aside(st, t, where, where_len);
}

int store_forget(struct store *st, unsigned flags)
{
	int status = st->ops->forget(st, flags);
	/* Safe while we hold it: whoever waits on this lock file notices,
	 * once it is theirs, that it is gone, and locks the new one. */
	if (status == ZO_OK)
		unlink(st->lock_path);
	return status;
}

int store_budget(struct store *st, struct store_budget *out)
{
	if (st->ops->budget)
		return st->ops->budget(st, out);
	memset(out, 0, sizeof(*out));
	return ZO_OK;
}

const char *store_lock_name(const struct store *st, char *buf, size_t len)
{
	if (st->ops->lock_name)
		st->ops->lock_name(st, buf, len);
	else
		snprintf(buf, len, "%s", st->lock_path);
	return buf;
}

void store_restore_hint(const struct store *st, const char *aside, char *out, size_t len)
{
	if (st->ops->restore_hint)
		st->ops->restore_hint(st, aside, out, len);
	else
		snprintf(out, len, "mv %s %s", aside, st->where);
}

/* Whether what dst gives back is what was put there. */
static bool read_back(struct store *dst, const struct tokens *want)
{
	struct tokens got;
	store_reload(dst);
	if (store_load(dst, &got) != ZO_OK)
		return false;
	bool ok = store_load_secrets(dst, &got) == ZO_OK &&
		tokens_same_text(got.refresh_token, want->refresh_token) &&
		tokens_same_text(got.client_secret, want->client_secret) &&
		tokens_same_text(got.client_id, want->client_id) &&
		tokens_same_text(got.accounts_server, want->accounts_server) &&
		(!want->access_token || tokens_same_text(got.access_token, want->access_token));
	if (!ok)
		log_error("what %s gives back is not what was written to it: the tokens stay where "
			"they were", store_where(dst));
	tokens_finish(&got);
	return ok;
}

int store_move(struct store *src, struct store *dst, unsigned prepare_flags, bool *copied)
{
	const struct profile *p = src->p;
	char holder[LOCK_HOLDER_MAX], lock_name[PATH_MAX + 128];
	struct tokens t = { 0 };
	bool two_locks = strcmp(src->lock_path, dst->lock_path) != 0;
	*copied = false;
	if (two_locks && !secure_dirs_for(dst->where))
		return ZO_FAILURE;
	int status = store_lock(src, p->waits.lock_timeout * 1000, 0, holder, sizeof(holder));
	if (status == ZO_OK && two_locks) {
		status = store_lock(dst, p->waits.lock_timeout * 1000, 0, holder, sizeof(holder));
		if (status != ZO_OK) {
			store_unlock(src);
			if (status == ZO_BUSY)
				store_lock_name(dst, lock_name, sizeof(lock_name));
		}
	} else if (status == ZO_BUSY) {
		store_lock_name(src, lock_name, sizeof(lock_name));
	}
	if (status == ZO_BUSY)
		log_error("gave up after %ld second%s waiting for %s, which holds the lock %s; "
			"nothing was moved", p->waits.lock_timeout, plural(p->waits.lock_timeout), holder,
			lock_name);
	if (status == ZO_RELOGIN)
		status = store_load(src, &t); /* says there is nothing */
	if (status != ZO_OK) {
		tokens_finish(&t);
		return status;
	}

	store_reload(src);
	status = store_load(src, &t);
	if (status == ZO_OK)
		status = store_load_secrets(src, &t);
	/* The new copy is written and read back before the old one goes: an
	 * interruption leaves the old one usable. */
	if (status == ZO_OK)
		status = store_prepare(dst, NULL, prepare_flags);
	if (status == ZO_OK)
		status = store_save(dst, &t);
	if (status == ZO_OK && !read_back(dst, &t))
		status = ZO_STORE;
	if (status == ZO_OK) {
		*copied = true;
		status = store_forget(src, 0);
	}
	if (two_locks)
		store_unlock(dst);
	store_unlock(src);
	tokens_finish(&t);
	return status;
}

int store_record_usable(struct store *st, const char *what)
{
	const struct store_record *rec = &st->record;
	const char *path = st->where;
	char hint[PROFILE_HINT_MAX];
	switch (rec->result) {
	case TOKEN_FILE_OK:
		return ZO_OK;
	case TOKEN_FILE_MISSING:
		return ZO_RELOGIN;
	case TOKEN_FILE_UNREADABLE:
		if (rec->why[0])
			log_error("%s", rec->why);
		return ZO_FAILURE;
	case TOKEN_FILE_EXPOSED:
		log_error("%s can be read or changed by other users (mode %04o): refusing to use it; "
			"run 'chmod 600 %s', and consider revoking the tokens it holds", path, rec->mode,
			path);
		return ZO_FAILURE;
	case TOKEN_FILE_FOREIGN:
		log_error("%s belongs to another user (uid %u): refusing to use it", path, rec->owner);
		return ZO_FAILURE;
	case TOKEN_FILE_CORRUPT:
		profile_command(st->p, "login", NULL, hint, sizeof(hint));
		log_error("%s is not a valid %s (%s); it was left as it is: look at it, or remove it "
			"and run '%s' again", path, what, rec->why, hint);
		return ZO_FAILURE;
	}
	return ZO_FAILURE;
}

int store_say_no_tokens(const struct store *st, const char *where_looked)
{
	const struct profile *p = st->p;
	char hint[PROFILE_HINT_MAX];
	profile_command(p, "login", NULL, hint, sizeof(hint));
	if (p->near[0])
		log_error("no profile '%s'; did you mean '%s'? (no tokens for profile '%s': %s; to "
			"make it, sign in with '%s')", p->name, p->near, p->name, where_looked, hint);
	else
		log_error("no tokens for profile '%s' (%s): sign in first with '%s'", p->name,
			where_looked, hint);
	return ZO_RELOGIN;
}

bool store_aside_path(const struct store *st, char *out, size_t len)
{
	char stamp[32];
	time_t now = time(NULL);
	struct tm tm;
	if (!localtime_r(&now, &tm) || !strftime(stamp, sizeof(stamp), "%Y%m%d-%H%M%S", &tm))
		snprintf(stamp, sizeof(stamp), "%lld", (long long)now);
	for (int n = 0; n < 100; n++) {
		int w = n ? snprintf(out, len, "%s.new-%s-%d", st->where, stamp, n) :
			snprintf(out, len, "%s.new-%s", st->where, stamp);
		if (w < 0 || (size_t)w >= len) {
			log_error("%s: path too long", st->where);
			return false;
		}
		if (access(out, F_OK) != 0)
			return true;
	}
	log_error("too many saved sign-ins beside %s: remove the old ones", st->where);
	return false;
}
