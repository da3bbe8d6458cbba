/*
 * The one file that knows the desktop portal (libportal). It is built
 * twice:
 *
 *  - as the module zoho-oauth-portal.so (ZOHO_OAUTH_PORTAL_MODULE), linked
 *    against libportal: GObject-based and asynchronous, so its callback runs
 *    on a private GLib main context that we iterate with a deadline, and
 *    nothing else in the program sees GLib;
 *  - into the program, as the loader: it tells whether we run in a Flatpak
 *    or Snap sandbox and only then dlopen()s the module. libportal and the
 *    GLib stack under it cost a login about 2.8 MiB of memory, and every
 *    run the time to map them: outside a sandbox, nobody pays that.
 */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "config.h"

/* What the module exports; the loader looks it up by this name. */
typedef bool portal_open_fn(const char *url, int (*stop)(void), char *why, size_t why_len);
#define PORTAL_SYMBOL "zoho_oauth_portal_open"

#ifdef ZOHO_OAUTH_PORTAL_MODULE

#include <libportal/portal.h>

#define PORTAL_WAIT_MS 30000

portal_open_fn zoho_oauth_portal_open;

struct wait {
	bool done;
	bool ok;
	char *why;
	size_t why_len;
};

static void on_opened(GObject *source, GAsyncResult *result, gpointer data)
{
	struct wait *w = data;
	GError *error = NULL;
	w->ok = xdp_portal_open_uri_finish(XDP_PORTAL(source), result, &error);
	if (error) {
		snprintf(w->why, w->why_len, "%s", error->message);
		g_error_free(error);
	}
	w->done = true;
}

/* GLib's own warnings must not reach the user's terminal. */
static void on_glib_log(const gchar *domain, GLogLevelFlags level, const gchar *message,
		gpointer data)
{
}

bool zoho_oauth_portal_open(const char *url, int (*stop)(void), char *why, size_t why_len)
{
	struct wait w = { false, false, why, why_len };
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
		gint64 deadline = g_get_monotonic_time() + PORTAL_WAIT_MS * 1000;
		while (!w.done && !stop() && g_get_monotonic_time() < deadline)
			g_main_context_iteration(ctx, TRUE);
		g_source_destroy(tick);
		g_source_unref(tick);
		if (!w.done) {
			snprintf(why, why_len, "no answer from the desktop portal");
			/* The callback must run (cancelled) before w goes away. */
			g_cancellable_cancel(cancel);
			deadline = g_get_monotonic_time() + 1000 * 1000;
			while (!w.done && g_get_monotonic_time() < deadline)
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
	return w.done && w.ok;
}

#else /* the loader, in the program */

#include <limits.h>

#include "core/log.h"
#include "core/module.h"
#include "core/signals.h"
#include "core/util.h"
#include "signin/portal.h"

bool portal_available(void)
{
	return HAVE_LIBPORTAL;
}

/* Flatpak leaves /.flatpak-info in the sandbox; snapd sets SNAP_NAME and
 * puts snaps in snap.* cgroups. */
static bool sandboxed(void)
{
	if (access("/.flatpak-info", F_OK) == 0)
		return true;
	if (getenv("SNAP_NAME") && getenv("SNAP"))
		return true;
	FILE *f = fopen("/proc/self/cgroup", "re");
	char line[512];
	bool snap = false;
	while (f && !snap && fgets(line, sizeof(line), f))
		snap = strstr(line, "/snap.") != NULL;
	if (f)
		fclose(f);
	return snap;
}

bool portal_wanted(void)
{
	if (!HAVE_LIBPORTAL || !sandboxed())
		return false;
	/* Without a session bus GLib would try to autolaunch one. */
	const char *bus = getenv("DBUS_SESSION_BUS_ADDRESS");
	const char *runtime = getenv("XDG_RUNTIME_DIR");
	char path[PATH_MAX];
	if (bus && *bus)
		return true;
	if (runtime && (size_t)snprintf(path, sizeof(path), "%s/bus", runtime) < sizeof(path))
		return access(path, F_OK) == 0;
	return false;
}

static int stop_waiting(void)
{
	return signals_caught();
}

bool portal_open_uri(const char *url)
{
	char why[256] = "";
	char path[PATH_MAX + 32];
	void *symbol = module_symbol("zoho-oauth-portal.so", PORTAL_SYMBOL, path, sizeof(path), why,
		sizeof(why));
	if (!symbol) {
		log_debug("cannot load the portal module: %s", why);
		return false;
	}
	/* ISO C has no object-to-function pointer cast; POSIX guarantees this
	 * copy works for what dlsym() returns. */
	portal_open_fn *open_fn = NULL;
	memcpy(&open_fn, &symbol, sizeof(open_fn));
	bool ok = open_fn && open_fn(url, stop_waiting, why, sizeof(why));
	if (!ok)
		log_debug("the desktop portal did not open the URL: %s", why[0] ? why : "no reason given");
	else
		log_debug("opened the URL through the desktop portal");
	/* GLib registers types for the life of the process: never unload. */
	return ok;
}

#endif
