/*
 * The keyring store: the refresh token and the client secret live in the
 * Secret Service (GNOME Keyring, KeePassXC, KWallet), never on disk; the
 * token path holds the non-secret metadata and the access token is cached
 * in $XDG_RUNTIME_DIR (store/local.h), so a cached token stays one small
 * read. libsecret is in a module (store/keyring-secret.c), loaded only
 * when a secret is needed.
 *
 * An item is found by the profile's name and its absolute token path (and
 * the client and server): two profiles never share one. Items an older
 * release stored under a relative path are taken over only when they are
 * this profile's for sure: the same client and server, and the refresh
 * token whose fingerprint this profile's metadata recorded.
 *
 * Nothing here falls back to a file: a keyring that can't be used is an
 * error with its reason (exit status 9), and nothing is written
 * elsewhere instead.
 */
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"
#include "core/exit-status.h"
#include "core/log.h"
#include "core/secure-file.h"
#include "core/signals.h"
#include "core/util.h"
#include "store/backend.h"
#include "store/keyring-api.h"
#include "store/remote.h"

#define PROMPT_MS (120 * 1000) /* a person typing the keyring's password */
#define KEYRING_WHY_MAX 256

struct keyring_store {
	struct store base;
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

/* The module, loaded on first use (never unloaded: core/module.h). */
static int need_api(struct keyring_store *k)
{
	static const void *api;
	if (!k->api)
		k->api = remote_module(&api, HAVE_KEYRING, "zoho-oauth-keyring.so", KR_SYMBOL,
			KR_API_VERSION, "keyring", "meson setup -Dkeyring=enabled, with libsecret-1-dev");
	return k->api ? ZO_OK : ZO_STORE;
}

static struct kr_call call_for(const struct store *st, char *why, size_t why_len)
{
	struct kr_call c = {
		.timeout_ms = (int)st->p->waits.keyring_timeout * 1000,
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
static int failed(const struct store *st, enum kr_result r, const char *doing, const char *why)
{
	switch (r) {
	case KR_OK:
		return ZO_OK;
	case KR_STOPPED:
		return ZO_INTERRUPTED + signals_caught();
	case KR_TIMEOUT:
		log_error("cannot %s: the keyring did not answer within %ld second%s (%s); "
			"--keyring-timeout waits longer. Nothing was written elsewhere", doing,
			st->p->waits.keyring_timeout, plural(st->p->waits.keyring_timeout),
			why[0] ? why : "no answer");
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

static const char *kind_name(const char *kind)
{
	return strcmp(kind, "refresh-token") == 0 ? "refresh token" : "client secret";
}

static struct kr_item item_for(const struct store *st, const struct tokens *t, const char *kind,
		const char *file)
{
	struct kr_item item = {
		.profile = st->p->name,
		.file = file,
		.client_id = t->client_id,
		.accounts_server = t->accounts_server,
		.kind = kind,
	};
	return item;
}

static int keyring_load(struct store *st, struct tokens *out)
{
	char looked[PATH_MAX + 32];
	int status = store_record_usable(st, "metadata file");
	if (status == ZO_RELOGIN) {
		snprintf(looked, sizeof(looked), "%s does not exist", st->where);
		return store_say_no_tokens(st, looked);
	}
	if (status != ZO_OK)
		return status;
	const struct tokens *rec = &st->record.tokens;
	if (rec->record != RECORD_META || strcmp(rec->store, "keyring") != 0) {
		log_error("%s does not describe tokens in the keyring", st->where);
		return ZO_FAILURE;
	}
	return tokens_copy(out, rec) ? ZO_OK : ZO_FAILURE;
}

/* One secret of the profile, by its absolute path: *out, or NULL with
 * ZO_OK when there is none. */
static int find(struct keyring_store *k, const struct tokens *t, const char *kind, const char *file,
		char **out)
{
	char why[KEYRING_WHY_MAX], doing[64];
	struct kr_call c = call_for(&k->base, why, sizeof(why));
	struct kr_item item = item_for(&k->base, t, kind, file);
	char *secret = NULL;
	*out = NULL;
	enum kr_result r = k->api->lookup(&c, &item, &secret);
	if (r == KR_NOT_FOUND)
		return ZO_OK;
	snprintf(doing, sizeof(doing), "read the %s from the keyring", kind_name(kind));
	int status = failed(&k->base, r, doing, why);
	if (status == ZO_OK && !(*out = xstrdup(secret)))
		status = ZO_FAILURE;
	k->api->free_secret(secret);
	return status;
}

static int put(struct keyring_store *k, const struct tokens *t, const char *kind,
		const char *value, char **held);

/*
 * The profile's items where an older release put them, under the token
 * path as it was typed (relative): taken over (stored under the absolute
 * path, the old ones left to whoever else may use that name) only when
 * the refresh token is the one this profile's metadata has the
 * fingerprint of. *refresh and *secret stay NULL otherwise.
 */
static int take_over(struct keyring_store *k, const struct tokens *t, char **refresh,
		char **secret)
{
	const struct profile *p = k->base.p;
	char cwd[PATH_MAX], rel[PATH_MAX], print[FINGERPRINT_HEX + 1];
	*refresh = *secret = NULL;
	if (!t->refresh_fingerprint || !getcwd(cwd, sizeof(cwd)))
		return ZO_OK;
	size_t n = strlen(cwd);
	/* The relative names of the token path from here: "tok.json",
	 * "sub/tok.json". */
	if (strncmp(p->token_path, cwd, n) != 0 || p->token_path[n] != '/' ||
			(size_t)snprintf(rel, sizeof(rel), "%s", p->token_path + n + 1) >= sizeof(rel))
		return ZO_OK;
	int status = find(k, t, "refresh-token", rel, refresh);
	if (status != ZO_OK || !*refresh)
		return status;
	remote_fingerprint(*refresh, print);
	if (strcmp(print, t->refresh_fingerprint) != 0) {
		log_debug("the keyring's item for %s holds another refresh token: not this profile's",
			rel);
		secret_free(*refresh);
		*refresh = NULL;
		return ZO_OK;
	}
	status = find(k, t, "client-secret", rel, secret);
	if (status == ZO_OK)
		status = put(k, t, "refresh-token", *refresh, &k->held_refresh);
	if (status == ZO_OK && *secret)
		status = put(k, t, "client-secret", *secret, &k->held_secret);
	if (status == ZO_OK)
		log_info("the keyring's items of profile '%s', stored under %s by an older release, are "
			"now found under %s", p->name, rel, p->token_path);
	return status;
}

/* What the keyring holds for the profile, into *field (when empty). */
static int lookup(struct keyring_store *k, struct tokens *t, const char *kind, char **field,
		char **held)
{
	const struct profile *p = k->base.p;
	char hint[PROFILE_HINT_MAX];
	char *value = NULL;
	int status = find(k, t, kind, p->token_path, &value);
	if (status == ZO_OK && !value) {
		char *refresh = NULL, *secret = NULL;
		status = take_over(k, t, &refresh, &secret);
		value = strcmp(kind, "refresh-token") == 0 ? refresh : secret;
		secret_free(value == refresh ? secret : refresh);
	}
	if (status != ZO_OK)
		return status;
	if (!value) {
		profile_command(p, "login", "--force", hint, sizeof(hint));
		log_error("the keyring holds no %s for profile '%s' (%s): sign in again with '%s'",
			kind_name(kind), p->name, t->refresh_fingerprint ? "removed from it?" :
			"stored by an older release under another name for this file, or removed", hint);
		return ZO_RELOGIN;
	}
	secret_free(*held);
	*held = xstrdup(value);
	*field = value;
	return *held ? ZO_OK : ZO_FAILURE;
}

static int keyring_load_secrets(struct store *st, struct tokens *t)
{
	struct keyring_store *k = keyring_of(st);
	int status = need_api(k);
	if (status == ZO_OK && t->refresh_elsewhere && !t->refresh_token)
		status = lookup(k, t, "refresh-token", &t->refresh_token, &k->held_refresh);
	if (status == ZO_OK && !t->client_secret)
		status = lookup(k, t, "client-secret", &t->client_secret, &k->held_secret);
	return status;
}

/*
 * Before a sign-in (current NULL): the keyring answers and is unlocked,
 * so that nobody consents only for the tokens to have nowhere to go; and
 * the metadata and the cache can be written.
 */
static int keyring_prepare(struct store *st, const struct tokens *current, unsigned flags)
{
	struct keyring_store *k = keyring_of(st);
	char cache[PATH_MAX];
	(void)flags;
	if (!profile_cache_path(st->p, cache, sizeof(cache)) || !secure_dirs_for(st->where) ||
			!secure_dirs_for(cache))
		return ZO_FAILURE;
	if (current)
		return ZO_OK; /* a refresh writes only the files */
	int status = need_api(k);
	if (status != ZO_OK)
		return status;
	char why[KEYRING_WHY_MAX];
	struct kr_call c = call_for(st, why, sizeof(why));
	return failed(st, k->api->check(&c), "use the keyring", why);
}

/* Put what the keyring must hold there (unless it holds it already), and
 * read it back: a secret is only as kept as a lookup says. */
static int put(struct keyring_store *k, const struct tokens *t, const char *kind,
		const char *value, char **held)
{
	const struct profile *p = k->base.p;
	if (!value || (*held && strcmp(*held, value) == 0))
		return ZO_OK;
	char why[KEYRING_WHY_MAX], label[160], doing[64];
	struct kr_call c = call_for(&k->base, why, sizeof(why));
	struct kr_item item = item_for(&k->base, t, kind, p->token_path);
	snprintf(label, sizeof(label), "zoho-oauth %s of profile %s (%s)", kind_name(kind), p->name,
		t->client_id);
	snprintf(doing, sizeof(doing), "store the %s in the keyring", kind_name(kind));
	int status = failed(&k->base, k->api->store(&c, &item, label, value), doing, why);
	if (status != ZO_OK)
		return status;
	char *back = NULL;
	status = find(k, t, kind, p->token_path, &back);
	if (status == ZO_OK && (!back || strcmp(back, value) != 0)) {
		log_error("the keyring gave back something else than the %s just stored",
			kind_name(kind));
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

/* Secrets into the keyring, then the cache and the metadata at path: the
 * metadata is what points the profile at the keyring, so it goes last. */
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
	struct tokens meta = *t; /* shallow: the fingerprint is the secret's */
	if (!t->refresh_token && k->held_refresh)
		meta.refresh_token = k->held_refresh;
	return remote_write(st->p, "keyring", &meta, meta_path) ? ZO_OK : ZO_FAILURE;
}

static int keyring_save(struct store *st, const struct tokens *t)
{
	return save_to(st, t, st->where);
}

static int keyring_save_aside(struct store *st, const struct tokens *t, char *where,
		size_t where_len)
{
	return store_aside_path(st, where, where_len) ? save_to(st, t, where) : ZO_FAILURE;
}

static int keyring_forget(struct store *st, unsigned flags)
{
	struct keyring_store *k = keyring_of(st);
	/* Every item of the profile and kind goes, whatever its client: the
	 * metadata may already be another store's (a migration). */
	struct tokens t = { 0 };
	int status = need_api(k);
	(void)flags;
	for (int i = 0; status == ZO_OK && i < 2; i++) {
		char why[KEYRING_WHY_MAX];
		struct kr_call c = call_for(st, why, sizeof(why));
		struct kr_item item = item_for(st, &t, i == 0 ? "refresh-token" : "client-secret",
			st->p->token_path);
		enum kr_result r = k->api->clear(&c, &item);
		if (r != KR_NOT_FOUND)
			status = failed(st, r, "remove the secrets from the keyring", why);
	}
	if (status != ZO_OK)
		return status;
	remote_forget(st->p, "keyring");
	return ZO_OK;
}

static void keyring_describe(const struct store *st, char *out, size_t len)
{
	(void)st;
	snprintf(out, len, "keyring (Secret Service)");
}

static void keyring_destroy(struct store *st)
{
	struct keyring_store *k = keyring_of(st);
	secret_free(k->held_refresh);
	secret_free(k->held_secret);
	free(k);
}

static const struct store_ops keyring_ops = {
	.kind = "keyring",
	.load = keyring_load,
	.load_secrets = keyring_load_secrets,
	.prepare = keyring_prepare,
	.save = keyring_save,
	.save_aside = keyring_save_aside,
	.forget = keyring_forget,
	.describe = keyring_describe,
	.destroy = keyring_destroy,
};

struct store *store_keyring_new(void)
{
	struct keyring_store *k = calloc(1, sizeof(*k));
	if (!k)
		return NULL;
	k->base.ops = &keyring_ops;
	return &k->base;
}
