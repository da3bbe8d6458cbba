#include <stdio.h>
#include <string.h>

#include "cmd/migrate.h"
#include "core/exit-status.h"
#include "core/log.h"
#include "core/util.h"
#include "store/store.h"

static bool same(const char *a, const char *b)
{
	return (!a && !b) || (a && b && strcmp(a, b) == 0);
}

/* Whether what dst gives back is what was put there. */
static bool read_back(struct store *dst, const struct tokens *want)
{
	struct tokens got;
	if (store_load(dst, &got) != ZO_OK)
		return false;
	bool ok = store_load_secrets(dst, &got) == ZO_OK && same(got.refresh_token, want->refresh_token) &&
		same(got.client_secret, want->client_secret) && same(got.client_id, want->client_id) &&
		same(got.accounts_server, want->accounts_server) &&
		(!want->access_token || same(got.access_token, want->access_token));
	if (!ok)
		log_error("what %s gives back is not what was written to it: the tokens stay where "
			"they were", store_where(dst));
	tokens_finish(&got);
	return ok;
}

int cmd_migrate(const struct settings *s)
{
	struct store *src = NULL, *dst = NULL;
	struct tokens t = { 0 };
	char holder[96], from[1100], to[128], lock_name[4200];

	if (!s->store) {
		log_error("where to? pass --to keyring, --to file, or --to postgresql://...");
		return ZO_USAGE;
	}
	const char *now = store_where_now(s, from, sizeof(from));
	if (strcmp(s->store, now ? now : "file") == 0) {
		log_info("profile '%s' is kept in the %s store already: nothing to do", s->profile,
			now ? now : "file");
		return ZO_OK;
	}
	int status = store_open_named(s, now, &src);
	if (status == ZO_OK)
		status = store_open_named(s, s->store, &dst);
	if (status != ZO_OK)
		goto out;
	/* One lock for both: they are the same profile at the same path. */
	status = store_lock(src, s->lock_timeout * 1000, false, holder, sizeof(holder));
	if (status == ZO_BUSY)
		log_error("gave up after %ld seconds waiting for %s, which holds the lock %s; "
			"nothing was moved", s->lock_timeout, holder,
			store_lock_name(src, lock_name, sizeof(lock_name)));
	if (status == ZO_RELOGIN)
		status = store_load(src, &t); /* says there is nothing */
	if (status != ZO_OK)
		goto out;

	status = store_load(src, &t);
	if (status == ZO_OK)
		status = store_load_secrets(src, &t);
	/* The new copy is written and read back before the old one goes: an
	 * interruption leaves the old one usable. */
	if (status == ZO_OK)
		status = store_prepare(dst, NULL);
	if (status == ZO_OK)
		status = store_save(dst, &t);
	if (status == ZO_OK && !read_back(dst, &t))
		status = ZO_STORE;
	if (status == ZO_OK)
		status = store_forget(src);
	store_unlock(src);
	if (status == ZO_OK) {
		store_describe(dst, to, sizeof(to));
		log_info("moved the tokens of profile '%s' from the %s store to the %s", s->profile,
			store_kind(src), to);
	}
out:
	tokens_finish(&t);
	store_close(dst);
	store_close(src);
	return status;
}
