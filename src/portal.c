/*
 * The one file that knows libportal. libportal is GObject-based and
 * asynchronous; we run its callback on a private GLib main context and
 * wait for it with a deadline, so nothing else in the program sees GLib.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "config.h"
#include "portal.h"

#if HAVE_LIBPORTAL

#include <libportal/portal.h>

#include "log.h"
#include "signals.h"
#include "util.h"

#define PORTAL_WAIT_MS 30000

struct wait {
	bool done;
	bool ok;
};

static void on_opened(GObject *source, GAsyncResult *result, gpointer data)
{
	struct wait *w = data;
	GError *error = NULL;
	w->ok = xdp_portal_open_uri_finish(XDP_PORTAL(source), result, &error);
	if (error) {
		log_debug("the desktop portal did not open the URL: %s", error->message);
		g_error_free(error);
	}
	w->done = true;
}

/* GLib's own warnings go to our debug log, not the user's terminal. */
static void on_glib_log(const gchar *domain, GLogLevelFlags level, const gchar *message,
		gpointer data)
{
	log_debug("%s: %s", domain ? domain : "glib", message);
}

bool portal_wanted(void)
{
	bool sandboxed = xdp_portal_running_under_sandbox() ||
		(getenv("SNAP") && getenv("SNAP_NAME"));
	if (!sandboxed)
		return false;
	/* Without a session bus GLib would try to autolaunch one. */
	const char *bus = getenv("DBUS_SESSION_BUS_ADDRESS");
	const char *runtime = getenv("XDG_RUNTIME_DIR");
	char path[4096];
	if (bus && *bus)
		return true;
	if (runtime && (size_t)snprintf(path, sizeof(path), "%s/bus", runtime) < sizeof(path))
		return access(path, F_OK) == 0;
	return false;
}

bool portal_open_uri(const char *url)
{
	struct wait w = { false, false };
	guint handler = g_log_set_handler(NULL, G_LOG_LEVEL_MASK, on_glib_log, NULL);
	GMainContext *ctx = g_main_context_new();
	g_main_context_push_thread_default(ctx);

	GCancellable *cancel = g_cancellable_new();
	XdpPortal *portal = xdp_portal_new();
	if (portal) {
		xdp_portal_open_uri(portal, NULL, url, XDP_OPEN_URI_FLAG_NONE, cancel, on_opened, &w);
		/* A periodic wake-up, so that a signal or the deadline is seen. */
		GSource *tick = g_timeout_source_new(100);
		g_source_set_dummy_callback(tick);
		g_source_attach(tick, ctx);
		int64_t deadline = monotonic_ms() + PORTAL_WAIT_MS;
		while (!w.done && !signals_caught() && monotonic_ms() < deadline)
			g_main_context_iteration(ctx, TRUE);
		g_source_destroy(tick);
		g_source_unref(tick);
		if (!w.done) {
			log_debug("no answer from the desktop portal");
			/* The callback must run (cancelled) before w goes away. */
			g_cancellable_cancel(cancel);
			deadline = monotonic_ms() + 1000;
			while (!w.done && monotonic_ms() < deadline)
				g_main_context_iteration(ctx, TRUE);
			w.ok = false;
		}
		g_object_unref(portal);
	}
	while (g_main_context_iteration(ctx, FALSE))
		;
	g_object_unref(cancel);
	g_main_context_pop_thread_default(ctx);
	g_main_context_unref(ctx);
	g_log_remove_handler(NULL, handler);
	if (w.ok)
		log_debug("opened the URL through the desktop portal");
	return w.done && w.ok;
}

bool portal_available(void)
{
	return true;
}

#else

bool portal_wanted(void)
{
	return false;
}

bool portal_open_uri(const char *url)
{
	(void)url;
	return false;
}

bool portal_available(void)
{
	return false;
}

#endif
