#include <stdio.h>
#include <string.h>

#include "core/exit-status.h"
#include "core/lock.h"
#include "core/log.h"
#include "core/signals.h"
#include "store/backend.h"

void store_login_hint(const struct settings *s, char *out, size_t len)
{
	if (strcmp(s->profile, "default") == 0)
		snprintf(out, len, "zoho-oauth login");
	else
		snprintf(out, len, "zoho-oauth login --profile %s", s->profile);
}

static bool is_database(const char *name)
{
	return strncmp(name, "postgresql://", 13) == 0 || strncmp(name, "postgres://", 11) == 0 ||
		strncmp(name, "service=", 8) == 0;
}

int store_open_named(const struct settings *s, const char *name, struct store **out)
{
	*out = NULL;
	if (!name || strcmp(name, "file") == 0)
		return store_file_open(s, s->token_file, out);
	if (strcmp(name, "keyring") == 0)
		return store_keyring_open(s, s->token_file, out);
	if (is_database(name))
		return store_postgresql_open(s, s->token_file, name, out);
	log_error("unknown store '%.40s': file, keyring, postgresql://... or service=NAME", name);
	return ZO_USAGE;
}

const char *store_where_now(const struct settings *s, char *buf, size_t len)
{
	struct tokens peek;
	unsigned mode, owner;
	char why[160];
	const char *name = s->store;
	/* Where the tokens are: the record at the token path names its store
	 * (a problem with it is the file store's to report). */
	enum token_file_result r = tokens_read_file(s->token_file, true, &peek, &mode, &owner, why,
		sizeof(why));
	if (r == TOKEN_FILE_OK) {
		name = peek.record == RECORD_META ? buf : NULL;
		if (name)
			snprintf(buf, len, "%s", peek.store);
		tokens_finish(&peek);
	} else if (r != TOKEN_FILE_MISSING) {
		name = NULL;
	}
	return name;
}

int store_open(const struct settings *s, struct store **out)
{
	char name[1100];
	return store_open_named(s, store_where_now(s, name, sizeof(name)), out);
}

void store_close(struct store *st)
{
	if (st)
		st->ops->destroy(st);
}

const char *store_where(const struct store *st)
{
	return st->where;
}

const char *store_kind(const struct store *st)
{
	return st->ops->kind;
}

bool store_exists(struct store *st)
{
	return st->ops->exists(st);
}

int store_load(struct store *st, struct tokens *out)
{
	return st->ops->load(st, out);
}

int store_load_secrets(struct store *st, struct tokens *t)
{
	return st->ops->load_secrets ? st->ops->load_secrets(st, t) : ZO_OK;
}

void store_describe(const struct store *st, char *out, size_t len)
{
	if (st->ops->describe)
		st->ops->describe(st, out, len);
	else
		snprintf(out, len, "%s", st->ops->kind);
}

int store_lock(struct store *st, int64_t timeout_ms, bool ignore_signals, char *holder,
		size_t holder_len)
{
	if (holder && holder_len)
		holder[0] = '\0';
	return st->ops->lock(st, timeout_ms, ignore_signals, holder, holder_len);
}

void store_unlock(struct store *st)
{
	st->ops->unlock(st);
}

int store_prepare(struct store *st, const struct tokens *current)
{
	return st->ops->prepare(st, current);
}

void store_abandon(struct store *st)
{
	st->ops->abandon(st);
}

int store_save(struct store *st, const struct tokens *t)
{
	return st->ops->save(st, t);
}

int store_save_aside(struct store *st, const struct tokens *t, char *where, size_t where_len)
{
	return st->ops->save_aside(st, t, where, where_len);
}

int store_forget(struct store *st)
{
	return st->ops->forget(st);
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
		snprintf(buf, len, "%s.lock", st->where);
	return buf;
}

void store_restore_hint(const struct store *st, const char *aside, char *out, size_t len)
{
	if (st->ops->restore_hint)
		st->ops->restore_hint(st, aside, out, len);
	else
		snprintf(out, len, "mv %s %s", aside, st->where);
}

int store_lock_file(const char *path, int64_t timeout_ms, bool ignore_signals, char *holder,
		size_t holder_len, int *fd)
{
	switch (lock_take(path, LOCK_EXCLUSIVE, timeout_ms, ignore_signals ? LOCK_IGNORE_SIGNALS : 0,
			holder, holder_len, fd)) {
	case LOCK_TAKEN:
		return ZO_OK;
	case LOCK_BUSY:
		return ZO_BUSY;
	case LOCK_NO_DIRECTORY:
		return ZO_RELOGIN; /* nothing to protect */
	case LOCK_INTERRUPTED:
		return ZO_INTERRUPTED + signals_caught();
	case LOCK_FAILED:
		break;
	}
	return ZO_FAILURE;
}

int store_local_refused(enum token_file_result r, const char *path, unsigned mode, unsigned owner,
		const char *why)
{
	switch (r) {
	case TOKEN_FILE_EXPOSED:
		log_error("%s can be read or changed by other users (mode %04o): refusing to use it; "
			"run 'chmod 600 %s'", path, mode, path);
		break;
	case TOKEN_FILE_FOREIGN:
		log_error("%s belongs to another user (uid %u): refusing to use it", path, owner);
		break;
	case TOKEN_FILE_CORRUPT:
		log_error("%s is not a valid metadata file (%s); it was left as it is", path, why);
		break;
	case TOKEN_FILE_OK:
	case TOKEN_FILE_MISSING:
	case TOKEN_FILE_UNREADABLE: /* said where it was read */
		break;
	}
	return ZO_FAILURE;
}
