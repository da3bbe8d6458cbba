/*
 * The keyring module, zoho-oauth-keyring.so: the one file that knows
 * libsecret (and so GLib and D-Bus). Loaded by store/keyring.c only when a
 * profile's tokens are in the keyring, so the cached-token path never
 * maps GLib.
 *
 * libsecret's synchronous calls have no deadline (a Secret Service or a
 * bus that doesn't answer hangs them for minutes, as gh's users know), so
 * every call here is the asynchronous one, run on a private main context
 * that we iterate until its answer, a signal or the deadline, and then
 * cancel.
 */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <libsecret/secret.h>

#include "store/keyring-api.h"

const struct kr_api *zoho_oauth_keyring(void);

static const SecretSchema schema = {
	.name = "org.zoho-oauth.Token",
	.flags = SECRET_SCHEMA_NONE,
	.attributes = {
		{ "application", SECRET_SCHEMA_ATTRIBUTE_STRING },
		{ "profile", SECRET_SCHEMA_ATTRIBUTE_STRING },
		{ "file", SECRET_SCHEMA_ATTRIBUTE_STRING },
		{ "client_id", SECRET_SCHEMA_ATTRIBUTE_STRING },
		{ "accounts_server", SECRET_SCHEMA_ATTRIBUTE_STRING },
		{ "kind", SECRET_SCHEMA_ATTRIBUTE_STRING },
		{ NULL, 0 },
	},
};

static GMainContext *context;

/* GLib's own messages must not reach the user's terminal. */
static GLogWriterOutput drop_log(GLogLevelFlags level, const GLogField *fields, gsize n,
		gpointer data)
{
	return G_LOG_WRITER_HANDLED;
}

static void say(const struct kr_call *c, const char *text)
{
	if (c->why && c->why_len)
		snprintf(c->why, c->why_len, "%s", text);
}

/* One asynchronous call in flight. */
struct wait {
	const struct kr_call *call;
	GCancellable *cancel;
	GAsyncResult *result;
	gint64 deadline;
};

static void on_done(GObject *source, GAsyncResult *result, gpointer data)
{
	struct wait *w = data;
	w->result = g_object_ref(result);
}

static void wait_begin(struct wait *w, const struct kr_call *c, int ms)
{
	w->call = c;
	w->cancel = g_cancellable_new();
	w->result = NULL;
	w->deadline = g_get_monotonic_time() + (gint64)ms * 1000;
}

/* Iterate until the answer, a stop or the deadline. */
static enum kr_result wait_end(struct wait *w)
{
	GSource *tick = g_timeout_source_new(50);
	g_source_set_dummy_callback(tick);
	g_source_attach(tick, context);
	bool stopped = false;
	while (!w->result && !(stopped = w->call->stop && w->call->stop()) &&
			g_get_monotonic_time() < w->deadline)
		g_main_context_iteration(context, TRUE);
	enum kr_result r = KR_OK;
	if (!w->result) {
		r = stopped ? KR_STOPPED : KR_TIMEOUT;
		/* The callback must run, cancelled, before w goes away. */
		g_cancellable_cancel(w->cancel);
		gint64 until = g_get_monotonic_time() + 1000 * 1000;
		while (!w->result && g_get_monotonic_time() < until)
			g_main_context_iteration(context, TRUE);
	}
	g_source_destroy(tick);
	g_source_unref(tick);
	return r;
}

static void wait_finish(struct wait *w)
{
	if (w->result)
		g_object_unref(w->result);
	w->result = NULL;
	g_clear_object(&w->cancel);
}

/* What a GError means for the user. */
static enum kr_result from_error(const struct kr_call *c, GError *e, const char *doing)
{
	enum kr_result r = KR_FAILED;
	char *remote = e ? g_dbus_error_get_remote_error(e) : NULL;
	if (remote && (strcmp(remote, "org.freedesktop.DBus.Error.ServiceUnknown") == 0 ||
			strcmp(remote, "org.freedesktop.DBus.Error.NameHasNoOwner") == 0 ||
			strncmp(remote, "org.freedesktop.DBus.Error.Spawn", 32) == 0))
		r = KR_NO_SERVICE;
	else if (remote && strcmp(remote, "org.freedesktop.Secret.Error.IsLocked") == 0)
		r = KR_LOCKED;
	else if (remote && strcmp(remote, "org.freedesktop.Secret.Error.NoSuchObject") == 0)
		r = KR_NOT_FOUND;
	else if (e && e->domain == G_IO_ERROR && e->code == G_IO_ERROR_TIMED_OUT)
		r = KR_TIMEOUT;
	else if (e && !remote && (e->domain == G_IO_ERROR || e->domain == G_DBUS_ERROR))
		r = KR_NO_BUS;
	g_free(remote);
	if (e) {
		char line[256];
		snprintf(line, sizeof(line), "%s: %s", doing, e->message);
		say(c, line);
		g_error_free(e);
	}
	return r;
}

/* Is there a session bus at all? Asked before GLib is, since GLib would
 * otherwise try to start one (dbus-launch) where there is none. */
static bool have_bus(void)
{
	const char *addr = getenv("DBUS_SESSION_BUS_ADDRESS");
	const char *runtime = getenv("XDG_RUNTIME_DIR");
	char path[PATH_MAX];
	if (addr && *addr)
		return true;
	return runtime && *runtime &&
		(size_t)snprintf(path, sizeof(path), "%s/bus", runtime) < sizeof(path) &&
		access(path, F_OK) == 0;
}

static void init_once(void)
{
	if (context)
		return;
	g_log_set_writer_func(drop_log, NULL, NULL);
	context = g_main_context_new();
}

static enum kr_result get_service(const struct kr_call *c, SecretService **out)
{
	*out = NULL;
	if (!have_bus()) {
		say(c, "there is no session bus (DBUS_SESSION_BUS_ADDRESS is unset, and no "
			"$XDG_RUNTIME_DIR/bus)");
		return KR_NO_BUS;
	}
	struct wait w;
	wait_begin(&w, c, c->timeout_ms);
	secret_service_get(SECRET_SERVICE_OPEN_SESSION, w.cancel, on_done, &w);
	enum kr_result r = wait_end(&w);
	if (r == KR_OK) {
		GError *e = NULL;
		*out = secret_service_get_finish(w.result, &e);
		if (!*out)
			r = from_error(c, e, "cannot reach the Secret Service");
	} else if (r == KR_TIMEOUT) {
		say(c, "the session bus or the Secret Service did not answer");
	}
	wait_finish(&w);
	return r;
}

/* The default collection ("login" for GNOME Keyring), unlocked. */
static enum kr_result default_collection(const struct kr_call *c, SecretService *service,
		SecretCollection **out)
{
	struct wait w;
	GError *e = NULL;
	*out = NULL;
	wait_begin(&w, c, c->timeout_ms);
	secret_collection_for_alias(service, SECRET_COLLECTION_DEFAULT, SECRET_COLLECTION_NONE,
		w.cancel, on_done, &w);
	enum kr_result r = wait_end(&w);
	if (r == KR_OK) {
		*out = secret_collection_for_alias_finish(w.result, &e);
		if (e)
			r = from_error(c, e, "cannot open the default keyring");
		else if (!*out) {
			say(c, "there is no default keyring (create one, e.g. with Seahorse, or log "
				"in to the desktop once)");
			r = KR_NOT_FOUND;
		}
	} else if (r == KR_TIMEOUT) {
		say(c, "the Secret Service did not answer");
	}
	wait_finish(&w);
	if (r != KR_OK || !secret_collection_get_locked(*out))
		return r;

	if (!c->may_prompt) {
		say(c, "the keyring is locked and can't ask for its password here (no "
			"desktop session): unlock it, e.g. by logging in to the desktop");
		return KR_LOCKED;
	}
	GList *objects = g_list_append(NULL, *out);
	GList *unlocked = NULL;
	wait_begin(&w, c, c->prompt_ms);
	secret_service_unlock(service, objects, w.cancel, on_done, &w);
	r = wait_end(&w);
	if (r == KR_OK) {
		int n = secret_service_unlock_finish(service, w.result, &unlocked, &e);
		if (e)
			r = from_error(c, e, "cannot unlock the keyring");
		else if (n < 1) {
			say(c, "the keyring stayed locked (the prompt was dismissed)");
			r = KR_LOCKED;
		}
	} else if (r == KR_TIMEOUT) {
		say(c, "nobody unlocked the keyring in time");
	}
	g_list_free(objects);
	g_list_free_full(unlocked, g_object_unref);
	wait_finish(&w);
	return r;
}

static GHashTable *attributes(const struct kr_item *item, bool all)
{
	GHashTable *a = g_hash_table_new(g_str_hash, g_str_equal);
	g_hash_table_insert(a, "application", "zoho-oauth");
	g_hash_table_insert(a, "profile", (gpointer)item->profile);
	g_hash_table_insert(a, "file", (gpointer)item->file);
	g_hash_table_insert(a, "kind", (gpointer)item->kind);
	if (all) {
		g_hash_table_insert(a, "client_id", (gpointer)item->client_id);
		g_hash_table_insert(a, "accounts_server", (gpointer)item->accounts_server);
	}
	return a;
}

/* Our context is the thread's default while a call runs, so that its
 * callbacks come back on it. */
static void enter(void)
{
	init_once();
	g_main_context_push_thread_default(context);
}

static enum kr_result leave(enum kr_result r)
{
	g_main_context_pop_thread_default(context);
	return r;
}

static enum kr_result do_check(const struct kr_call *c)
{
	SecretService *service;
	SecretCollection *collection = NULL;
	enum kr_result r = get_service(c, &service);
	if (r == KR_OK)
		r = default_collection(c, service, &collection);
	g_clear_object(&collection);
	g_clear_object(&service);
	return r;
}

static enum kr_result kr_check(const struct kr_call *c)
{
	enter();
	return leave(do_check(c));
}

static enum kr_result do_store(const struct kr_call *c, const struct kr_item *item,
		const char *label, const char *secret)
{
	SecretService *service;
	SecretCollection *collection = NULL;
	enum kr_result r = get_service(c, &service);
	if (r == KR_OK)
		r = default_collection(c, service, &collection);
	if (r == KR_OK) {
		struct wait w;
		GError *e = NULL;
		GHashTable *a = attributes(item, true);
		SecretValue *value = secret_value_new(secret, -1, "text/plain");
		wait_begin(&w, c, c->timeout_ms);
		secret_item_create(collection, &schema, a, label, value, SECRET_ITEM_CREATE_REPLACE,
			w.cancel, on_done, &w);
		r = wait_end(&w);
		if (r == KR_OK) {
			SecretItem *created = secret_item_create_finish(w.result, &e);
			if (!created)
				r = from_error(c, e, "cannot store the secret");
			g_clear_object(&created);
		} else if (r == KR_TIMEOUT) {
			say(c, "the Secret Service did not answer");
		}
		wait_finish(&w);
		secret_value_unref(value);
		g_hash_table_unref(a);
	}
	g_clear_object(&collection);
	g_clear_object(&service);
	return r;
}

static enum kr_result kr_store(const struct kr_call *c, const struct kr_item *item,
		const char *label, const char *secret)
{
	enter();
	return leave(do_store(c, item, label, secret));
}

static enum kr_result do_lookup(const struct kr_call *c, const struct kr_item *item, char **secret)
{
	SecretService *service;
	enum kr_result r = get_service(c, &service);
	*secret = NULL;
	if (r != KR_OK)
		return r;
	struct wait w;
	GError *e = NULL;
	GHashTable *a = attributes(item, true);
	SecretSearchFlags flags = SECRET_SEARCH_LOAD_SECRETS | (c->may_prompt ? SECRET_SEARCH_UNLOCK : 0);
	wait_begin(&w, c, c->may_prompt ? c->prompt_ms : c->timeout_ms);
	secret_service_search(service, &schema, a, flags, w.cancel, on_done, &w);
	r = wait_end(&w);
	if (r == KR_OK) {
		GList *items = secret_service_search_finish(service, w.result, &e);
		if (e) {
			r = from_error(c, e, "cannot search the keyring");
		} else if (!items) {
			r = KR_NOT_FOUND;
		} else {
			SecretValue *value = secret_item_get_secret(items->data);
			const char *text = value ? secret_value_get_text(value) : NULL;
			if (!value || secret_item_get_locked(items->data)) {
				say(c, "the keyring is locked and can't ask for its password here (no "
					"desktop session): unlock it, e.g. by logging in to the desktop");
				r = KR_LOCKED;
			} else if (!text || !(*secret = strdup(text))) {
				say(c, "the stored secret is not text");
				r = KR_FAILED;
			}
			if (value)
				secret_value_unref(value);
		}
		g_list_free_full(items, g_object_unref);
	} else if (r == KR_TIMEOUT) {
		say(c, "the Secret Service did not answer");
	}
	wait_finish(&w);
	g_hash_table_unref(a);
	g_clear_object(&service);
	return r;
}

static enum kr_result kr_lookup(const struct kr_call *c, const struct kr_item *item, char **secret)
{
	enter();
	return leave(do_lookup(c, item, secret));
}

static enum kr_result do_clear(const struct kr_call *c, const struct kr_item *item)
{
	SecretService *service;
	enum kr_result r = get_service(c, &service);
	if (r != KR_OK)
		return r;
	struct wait w;
	GError *e = NULL;
	GHashTable *a = attributes(item, false);
	wait_begin(&w, c, c->may_prompt ? c->prompt_ms : c->timeout_ms);
	secret_service_clear(service, &schema, a, w.cancel, on_done, &w);
	r = wait_end(&w);
	if (r == KR_OK) {
		/* FALSE without an error: there was nothing to remove. */
		if (!secret_service_clear_finish(service, w.result, &e) && e)
			r = from_error(c, e, "cannot remove the secret");
	} else if (r == KR_TIMEOUT) {
		say(c, "the Secret Service did not answer");
	}
	wait_finish(&w);
	g_hash_table_unref(a);
	g_clear_object(&service);
	return r;
}

static enum kr_result kr_clear(const struct kr_call *c, const struct kr_item *item)
{
	enter();
	return leave(do_clear(c, item));
}

static void kr_free_secret(char *secret)
{
	if (secret) {
		explicit_bzero(secret, strlen(secret));
		free(secret);
	}
}

static const struct kr_api api = {
	.version = KR_API_VERSION,
	.check = kr_check,
	.store = kr_store,
	.lookup = kr_lookup,
	.clear = kr_clear,
	.free_secret = kr_free_secret,
};

const struct kr_api *zoho_oauth_keyring(void)
{
	return &api;
}
