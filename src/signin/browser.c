#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "core/log.h"
#include "core/signals.h"
#include "core/child.h"
#include "core/util.h"
#include "signin/browser.h"
#include "signin/portal.h"

#define MAX_ARGS 32
/* How much of a $BROWSER command a message shows. */
#define BROWSER_NAME_SHOWN 80

/* Start argv with its own session (no terminal signals reach it) and
 * stdio on /dev/null, without waiting; its pidfd lets the caller hear of
 * an early failing exit without ever blocking on it. */
static bool spawn_detached(char *const argv[], char *const envp[], struct browser *b)
{
	int e;
	b->child = (struct child){
		.path = argv[0], .argv = argv, .envp = envp,
		.in = CHILD_NULL, .out = CHILD_NULL, .err = CHILD_NULL,
		.new_session = true,
	};
	if (!child_start(&b->child, &e)) {
		log_debug("could not run %s: %s", argv[0], strerror(e ? e : errno));
		return false;
	}
	return true;
}

bool browser_failed(struct browser *b)
{
	int status = 0;
	if (b->child.pid <= 0 || !child_ended(&b->child, &status))
		return false; /* none, or still running */
	return !WIFEXITED(status) || WEXITSTATUS(status) != 0;
}

/* How long a browser just started may take to fail before it counts as
 * started: xdg-open and a running browser's launcher hand the URL on and
 * exit well within this; a browser that starts anew is still running. */
#define BROWSER_START_MS 500

bool browser_started(struct browser *b, int done_fd)
{
	int64_t until = monotonic_ms() + BROWSER_START_MS;
	for (;;) {
		if (b->child.pidfd < 0)
			return true; /* nothing to watch: the portal, or no pidfd */
		int64_t left = until - monotonic_ms();
		if (left <= 0)
			return true;
		struct pollfd p[3] = {
			{ .fd = b->child.pidfd, .events = POLLIN },
			{ .fd = done_fd, .events = POLLIN },
			{ .fd = signals_fd(), .events = POLLIN },
		};
		int n = poll(p, 3, (int)left);
		if (n < 0 && errno != EINTR)
			return true;
		if (n > 0 && (p[1].revents || p[2].revents))
			return true;
		if (p[0].revents & POLLIN)
			return !browser_failed(b);
	}
}

void browser_forget(struct browser *b)
{
	child_forget(&b->child);
}

/* Run one command line from $BROWSER (split on blanks, no shell). Named in
 * messages as the user wrote it: what a wrapper or a link resolves to is
 * not what they chose. */
static bool run_command(const char *command, const char *url, char **envp, struct browser *b,
	bool from_env)
{
	char *copy = xstrdup(command);
	char *argv[MAX_ARGS + 2];
	char *subst[MAX_ARGS];
	size_t argc = 0, nsubst = 0;
	bool has_placeholder = false, ok = false;
	char path[PATH_MAX];

	if (!copy)
		return false;
	for (char *save = NULL, *tok = strtok_r(copy, " \t", &save); tok;
			tok = strtok_r(NULL, " \t", &save)) {
		if (argc == MAX_ARGS)
			goto out;
		char *pct = strstr(tok, "%s");
		if (pct) {
			/* Replace one "%s" with the URL. */
			size_t len = strlen(tok) + strlen(url);
			char *s = malloc(len);
			if (!s)
				goto out;
			snprintf(s, len, "%.*s%s%s", (int)(pct - tok), tok, url, pct + 2);
			subst[nsubst++] = s;
			tok = s;
			has_placeholder = true;
		}
		argv[argc++] = tok;
	}
	if (argc == 0)
		goto out;
	if (!has_placeholder)
		argv[argc++] = (char *)url;
	argv[argc] = NULL;
	if (!program_find(argv[0], path, sizeof(path))) {
		log_debug("browser command '%s' not found", argv[0]);
		goto out;
	}
	argv[0] = path;
	ok = spawn_detached(argv, envp, b);
	if (ok && from_env) {
		const char *c = command + strspn(command, " \t");
		size_t n = strlen(c);
		while (n && (c[n - 1] == ' ' || c[n - 1] == '\t'))
			n--;
		if (n > BROWSER_NAME_SHOWN)
			snprintf(b->name, sizeof(b->name), "'%.*s...' from $BROWSER",
				BROWSER_NAME_SHOWN, c);
		else
			snprintf(b->name, sizeof(b->name), "'%.*s' from $BROWSER", (int)n, c);
	} else if (ok) {
		snprintf(b->name, sizeof(b->name), "%s", command);
	}
out:
	for (size_t i = 0; i < nsubst; i++)
		free(subst[i]);
	free(copy);
	return ok;
}

bool browser_open(const char *url, const char *private_url, struct browser *b)
{
	bool ok = false;
	b->child.pid = 0;
	b->child.pidfd = -1;
	b->name[0] = '\0';

	const char *browser = getenv("BROWSER");
	char **envp = program_environment();
	if (!envp)
		return false;
	if (browser && *browser) {
		char *list = xstrdup(browser);
		for (char *save = NULL, *cmd = list ? strtok_r(list, ":", &save) : NULL; cmd && !ok;
				cmd = strtok_r(NULL, ":", &save))
			ok = run_command(cmd, url, envp, b, true);
		free(list);
		if (!ok)
			log_warn("could not start the browser named in $BROWSER");
	}
	if (!ok && portal_wanted()) {
		ok = portal_open_uri(private_url ? private_url : url);
		if (ok)
			snprintf(b->name, sizeof(b->name), "the desktop portal");
	}
	if (!ok && (getenv("DISPLAY") || getenv("WAYLAND_DISPLAY")))
		ok = run_command("xdg-open", url, envp, b, false);
	else if (!ok)
		log_debug("no $BROWSER and no display: not trying xdg-open");
	free(envp);
	return ok;
}

/* The first word of a $BROWSER command, found on $PATH. */
static bool command_found(const char *command)
{
	char word[PATH_MAX], path[PATH_MAX];
	const char *c = command + strspn(command, " \t");
	size_t n = strcspn(c, " \t");
	if (n == 0 || n >= sizeof(word))
		return false;
	memcpy(word, c, n);
	word[n] = '\0';
	return program_find(word, path, sizeof(path));
}

bool browser_possible(void)
{
	const char *browser = getenv("BROWSER");
	bool found = false;
	if (browser && *browser) {
		char *list = xstrdup(browser);
		for (char *save = NULL, *cmd = list ? strtok_r(list, ":", &save) : NULL; cmd && !found;
				cmd = strtok_r(NULL, ":", &save))
			found = command_found(cmd);
		free(list);
	}
	if (!found && portal_wanted())
		found = true;
	if (!found && (getenv("DISPLAY") || getenv("WAYLAND_DISPLAY")))
		found = command_found("xdg-open");
	return found;
}
