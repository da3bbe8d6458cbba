#include <stdio.h>
#include <string.h>

#include "core/exit-status.h"
#include "core/log.h"
#include "store/backend.h"

void store_login_hint(const struct settings *s, char *out, size_t len)
{
	if (strcmp(s->profile, "default") == 0)
		snprintf(out, len, "zoho-oauth login");
	else
		snprintf(out, len, "zoho-oauth login --profile %s", s->profile);
}

int store_open(const struct settings *s, struct store **out)
{
	return store_file_open(s, s->token_file, out);
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
