/*
 * The keyring store: the refresh token and the client secret live in the
 * Secret Service (GNOME Keyring, KeePassXC, KWallet), never on disk; the
 * token path holds the non-secret metadata and the access token is cached
 * in $XDG_RUNTIME_DIR (store/local.c), so a cached token stays one small
 * read. libsecret is in a module (store/keyring-secret.c), loaded only
 * when a secret is needed.
 *
 * Nothing here falls back to a file: a keyring that can't be used is an
 * error with its reason (exit status 9), and nothing is written
 * elsewhere instead.
 */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "config.h"
#include "core/exit-status.h"
#include "core/lock.h"
#include "core/module.h"
#include "core/log.h"
#include "core/secure-file.h"
#include "core/signals.h"
#include "core/util.h"
#include "store/backend.h"
#include "store/keyring-api.h"
#include "store/local.h"

#define PROMPT_MS (120 * 1000) /* a person typing the keyring's password */

struct keyring_store {
	struct store base;
	char lock_path[PATH_MAX];
	char cache_path[PATH_MAX];
	int lock_fd;
	const struct kr_api *api;
	char *held_refresh;   /* what the keyring holds, once looked up */
	char *held_secret;
};

static struct keyring_store *keyring_of(struct store *st)
{
	return (struct keyring_store *)st;
}

static int stop_waiting(void)
{
	return signals_caught();
}

#if HAVE_KEYRING
/* The module, once: never unloaded (core/module.h). */
static const struct kr_api *load_module(void)
{
	static const struct kr_api *api;
	if (!api)
		api = module_api("zoho-oauth-keyring.so", KR_SYMBOL, KR_API_VERSION, "keyring");
	return api;
}
#endif

/* The module, loaded on first use. */
static int need_api(struct keyring_store *k)
{
#if HAVE_KEYRING
	if (!k->api && !(k->api = load_module()))
		return ZO_STORE;
	return ZO_OK;
#else
	log_error("this zoho-oauth was built without keyring support (meson setup -Dkeyring=enabled, "
		"with libsecret-1-dev)");
	return ZO_STORE;
#endif
}

static struct kr_call call_for(const struct settings *s, char *why, size_t why_len)
{
	struct kr_call c = {
		.timeout_ms = (int)s->keyring_timeout * 1000,
		.prompt_ms = PROMPT_MS,
		/* The keyring's unlock prompt is a window of the desktop. */
		.may_prompt = getenv("DISPLAY") || getenv("WAYLAND_DISPLAY"),
		.stop = stop_waiting,
		.why = why,
		.why_len = why_len,
	};
	why[0] = '\0';
	return c;
}

/* Say why the keyring can't be used; the exit status for it. */
static int failed(const struct settings *s, enum kr_result r, const char *doing, const char *why)
{
	switch (r) {
	case KR_OK:
		return ZO_OK;
	case KR_STOPPED:
		return ZO_INTERRUPTED + signals_caught();
	case KR_TIMEOUT:
		log_error("cannot %s: the keyring did not answer within %ld seconds (%s); "
			"--keyring-timeout waits longer. Nothing was written elsewhere", doing,
			s->keyring_timeout, why[0] ? why : "no answer");
		return ZO_STORE;
	case KR_NO_BUS:
	case KR_NO_SERVICE:
		log_error("cannot %s: %s. The keyring needs a desktop session's D-Bus and a Secret "
			"Service (GNOME Keyring, KeePassXC or KWallet); nothing was written elsewhere",
			doing, why[0] ? why : "no Secret Service");
		return ZO_STORE;
	case KR_LOCKED:
	case KR_NOT_FOUND:
	case KR_FAILED:
		break;
	}
	log_error("cannot %s: %s; nothing was written elsewhere", doing,
		why[0] ? why : "the keyring refused");
	return ZO_STORE;
}

static struct kr_item item_for(struct store *st, const struct tokens *t, const char *kind)
{
	struct kr_item item = {
		.profile = st->s->profile,
		.file = st->where,
		.client_id = t->client_id,
		.accounts_server = t->accounts_server,
		.kind = kind,
	};
	return item;
}

static bool keyring_exists(struct store *st)
{
	return access(st->where, F_OK) == 0;
}

static int keyring_load(struct store *st, struct tokens *out)
{
	const struct settings *s = st->s;
	char why[160], hint[128];
	unsigned mode = 0, owner = 0;

	enum token_file_result r = local_read(st->where, false, out, &mode, &owner, why,
		sizeof(why));
	switch (r) {
	case TOKEN_FILE_OK:
		if (out->record == RECORD_META && strcmp(out->store, "keyring") == 0)
			return ZO_OK;
		log_error("%s does not describe tokens in the keyring", st->where);
		tokens_finish(out);
		return ZO_FAILURE;
	case TOKEN_FILE_MISSING:
		store_login_hint(s, hint, sizeof(hint));
		if (s->near_profile[0])
			log_error("no profile \"%s\"; did you mean \"%s\"? (no tokens for profile '%s': "
				"%s does not exist; to make it, sign in with '%s')", s->profile,
				s->near_profile, s->profile, st->where, hint);
		else
			log_error("no tokens for profile '%s' (%s does not exist): sign in first with '%s'",
				s->profile, st->where, hint);
		return ZO_RELOGIN;
	case TOKEN_FILE_UNREADABLE:
	case TOKEN_FILE_EXPOSED:
	case TOKEN_FILE_FOREIGN:
	case TOKEN_FILE_CORRUPT:
		return store_local_refused(r, st->where, mode, owner, why);
	}
	return ZO_FAILURE;
}

static int lookup(struct keyring_store *k, const struct tokens *t, const char *kind, char **out)
{
	const struct settings *s = k->base.s;
	char why[256], hint[128], doing[64];
	struct kr_call c = call_for(s, why, sizeof(why));
	struct kr_item item = item_for(&k->base, t, kind);
	char *secret = NULL;
	enum kr_result r = k->api->lookup(&c, &item, &secret);
	if (r == KR_NOT_FOUND) {
		store_login_hint(s, hint, sizeof(hint));
		log_error("the keyring holds no %s for profile '%s' any more (removed from it?): "
			"sign in again with '%s --force'", strcmp(kind, "refresh-token") == 0 ?
			"refresh token" : "client secret", s->profile, hint);
		return ZO_RELOGIN;
	}
	snprintf(doing, sizeof(doing), "read the %s from the keyring", kind);
	int status = failed(s, r, doing, why);
	if (status == ZO_OK) {
		*out = xstrdup(secret);
		if (!*out)
			status = ZO_FAILURE;
	}
	k->api->free_secret(secret);
	return status;
}

static int keyring_load_secrets(struct store *st, struct tokens *t)
{
	struct keyring_store *k = keyring_of(st);
	int status = need_api(k);
	if (status == ZO_OK && t->refresh_elsewhere && !t->refresh_token) {
		status = lookup(k, t, "refresh-token", &t->refresh_token);
		secret_free(k->held_refresh);
		k->held_refresh = NULL;
		if (status == ZO_OK && !(k->held_refresh = xstrdup(t->refresh_token)))
			status = ZO_FAILURE;
	}
	if (status == ZO_OK && !t->client_secret) {
		status = lookup(k, t, "client-secret", &t->client_secret);
		secret_free(k->held_secret);
		k->held_secret = NULL;
		if (status == ZO_OK && !(k->held_secret = xstrdup(t->client_secret)))
			status = ZO_FAILURE;
	}
	return status;
}

static int keyring_lock(struct store *st, int64_t timeout_ms, bool ignore_signals, char *holder,
		size_t holder_len)
{
	struct keyring_store *k = keyring_of(st);
	return store_lock_file(k->lock_path, timeout_ms, ignore_signals, holder, holder_len,
		&k->lock_fd);
}

static void keyring_unlock(struct store *st)
{
	struct keyring_store *k = keyring_of(st);
	lock_release(k->lock_fd);
	k->lock_fd = -1;
}

/*
 * Before a sign-in (current NULL): the keyring answers and is unlocked,
 * so that nobody consents only for the tokens to have nowhere to go; and
 * the metadata and the cache can be written.
 */
static int keyring_prepare(struct store *st, const struct tokens *current)
{
	struct keyring_store *k = keyring_of(st);
	if (!secure_dirs_for(st->where) || !secure_dirs_for(k->cache_path))
		return ZO_FAILURE;
	if (current)
		return ZO_OK; /* a refresh writes only the files */
	int status = need_api(k);
	if (status != ZO_OK)
		return status;
	char why[256];
	struct kr_call c = call_for(st->s, why, sizeof(why));
	return failed(st->s, k->api->check(&c), "use the keyring", why);
}

static void keyring_abandon(struct store *st)
{
}

/* Put what the keyring must hold there (unless it holds it already), and
 * read it back: a secret is only as kept as a lookup says. */
static int put(struct keyring_store *k, const struct tokens *t, const char *kind, const char *value,
		char **held)
{
	const struct settings *s = k->base.s;
	if (!value || (*held && strcmp(*held, value) == 0))
		return ZO_OK;
	char why[256], label[160], doing[64];
	struct kr_call c = call_for(s, why, sizeof(why));
	struct kr_item item = item_for(&k->base, t, kind);
	snprintf(label, sizeof(label), "zoho-oauth %s of profile %s (%s)",
		strcmp(kind, "refresh-token") == 0 ? "refresh token" : "client secret", s->profile,
		t->client_id);
	snprintf(doing, sizeof(doing), "store the %s in the keyring", kind);
	int status = failed(s, k->api->store(&c, &item, label, value), doing, why);
	if (status != ZO_OK)
		return status;
	char *back = NULL;
	status = lookup(k, t, kind, &back);
	if (status == ZO_OK && strcmp(back, value) != 0) {
		log_error("the keyring gave back something else than the %s just stored", kind);
		status = ZO_STORE;
	}
	secret_free(back);
	if (status == ZO_OK) {
		secret_free(*held);
		if (!(*held = xstrdup(value)))
			status = ZO_FAILURE;
	}
	return status;
}

/* Secrets into the keyring, then the cache, then the metadata at path:
 * the metadata is what points the profile at the keyring, so it goes
 * last. */
static int save_to(struct store *st, const struct tokens *t, const char *meta_path)
{
	struct keyring_store *k = keyring_of(st);
	int status = need_api(k);
	if (status == ZO_OK)
		status = put(k, t, "refresh-token", t->refresh_token, &k->held_refresh);
	if (status == ZO_OK)
		status = put(k, t, "client-secret", t->client_secret, &k->held_secret);
	if (status != ZO_OK)
		return status;
	struct tokens meta = *t; /* shallow: only store and access_cache differ */
	meta.store = "keyring";
	meta.access_cache = k->cache_path;
	meta.refresh_elsewhere = tokens_offline(t);
	if (!local_write_cache(st->where, &meta) || !local_write_meta(meta_path, &meta))
		return ZO_FAILURE;
	return ZO_OK;
}

static int keyring_save(struct store *st, const struct tokens *t)
{
	return save_to(st, t, st->where);
}

static int keyring_save_aside(struct store *st, const struct tokens *t, char *where,
		size_t where_len)
{
	char stamp[32];
	time_t now = time(NULL);
	struct tm tm;
	if (!localtime_r(&now, &tm) || !strftime(stamp, sizeof(stamp), "%Y%m%d-%H%M%S", &tm))
		snprintf(stamp, sizeof(stamp), "%lld", (long long)now);
	if ((size_t)snprintf(where, where_len, "%s.new-%s", st->where, stamp) >= where_len) {
		log_error("%s: path too long", st->where);
		return ZO_FAILURE;
	}
	return save_to(st, t, where);
}

static int keyring_forget(struct store *st)
{
	struct keyring_store *k = keyring_of(st);
	/* Every item of the profile and kind goes, whatever its client: the
	 * metadata may already be another store's (a migration). */
	struct tokens t = { 0 };
	int status = need_api(k);
	for (int i = 0; status == ZO_OK && i < 2; i++) {
		char why[256];
		struct kr_call c = call_for(st->s, why, sizeof(why));
		struct kr_item item = item_for(st, &t, i == 0 ? "refresh-token" : "client-secret");
		enum kr_result r = k->api->clear(&c, &item);
		if (r != KR_NOT_FOUND)
			status = failed(st->s, r, "remove the secrets from the keyring", why);
	}
	if (status != ZO_OK)
		return status;
	local_forget(st->where, k->cache_path, "keyring");
	unlink(k->lock_path);
	return ZO_OK;
}

static void keyring_describe(const struct store *st, char *out, size_t len)
{
	snprintf(out, len, "keyring (Secret Service)");
}

static void keyring_destroy(struct store *st)
{
	struct keyring_store *k = keyring_of(st);
	lock_release(k->lock_fd);
	secret_free(k->held_refresh);
	secret_free(k->held_secret);
	free(st->where);
	free(k);
}

static const struct store_ops keyring_ops = {
	.kind = "keyring",
	.exists = keyring_exists,
	.load = keyring_load,
	.load_secrets = keyring_load_secrets,
	.lock = keyring_lock,
	.unlock = keyring_unlock,
	.prepare = keyring_prepare,
	.abandon = keyring_abandon,
	.save = keyring_save,
	.save_aside = keyring_save_aside,
	.forget = keyring_forget,
	.describe = keyring_describe,
	.destroy = keyring_destroy,
};

int store_keyring_open(const struct settings *s, const char *path, struct store **out)
{
	struct keyring_store *k = calloc(1, sizeof(*k));
	*out = NULL;
	if (!k || !(k->base.where = xstrdup(path))) {
		free(k);
		log_error("out of memory");
		return ZO_FAILURE;
	}
	k->base.ops = &keyring_ops;
	k->base.s = s;
	k->lock_fd = -1;
	if (!lock_path_for(path, k->lock_path, sizeof(k->lock_path)) ||
			!local_cache_path(path, k->cache_path, sizeof(k->cache_path))) {
		log_error("%s: path too long", path);
		keyring_destroy(&k->base);
		return ZO_FAILURE;
	}
	*out = &k->base;
	return ZO_OK;
}
