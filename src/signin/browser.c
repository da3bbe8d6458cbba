#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "core/log.h"
#include "core/signals.h"
#include "core/child.h"
#include "core/util.h"
#include "signin/browser.h"
#include "signin/portal.h"

#define MAX_ARGS 32

/* fork, setsid and exec, without waiting: the program gets its own session
 * (no terminal signals reach it) and stdio on /dev/null. Exec failure comes
 * back through a CLOEXEC pipe: EOF means the exec happened. A pidfd lets
 * the caller hear of an early failing exit without ever blocking on it. */
static bool spawn_detached(char *const argv[], char *const envp[], struct browser *b)
{
	int fds[2];
	if (pipe2(fds, O_CLOEXEC) != 0)
		return false;
	pid_t pid = fork();
	if (pid < 0) {
		close(fds[0]);
		close(fds[1]);
		return false;
	}
	if (pid == 0) {
		close(fds[0]);
		setsid();
		int null = open("/dev/null", O_RDWR);
		if (null >= 0) {
			dup2(null, 0);
			dup2(null, 1);
			dup2(null, 2);
			if (null > 2)
				close(null);
		}
		signals_reset_for_exec();
		execve(argv[0], argv, envp);
		int e = errno;
		ssize_t w = write(fds[1], &e, sizeof(e));
		(void)w;
		_exit(127);
	}
	close(fds[1]);
	int child_errno = 0;
	ssize_t n;
	while ((n = read(fds[0], &child_errno, sizeof(child_errno))) < 0 && errno == EINTR)
		;
	close(fds[0]);
	if (n > 0) {
		while (waitpid(pid, NULL, 0) < 0 && errno == EINTR)
			;
		log_debug("could not run %s: %s", argv[0], strerror(child_errno));
		return false;
	}
	b->pid = pid;
	b->pidfd = (int)syscall(SYS_pidfd_open, pid, 0);
	const char *base = strrchr(argv[0], '/');
	snprintf(b->name, sizeof(b->name), "%s", base ? base + 1 : argv[0]);
	return true;
}

bool browser_failed(struct browser *b)
{
	int status;
	if (b->pid <= 0)
		return false;
	pid_t r;
	while ((r = waitpid(b->pid, &status, WNOHANG)) < 0 && errno == EINTR)
		;
	if (r != b->pid)
		return false; /* still running */
	b->pid = 0;
	if (b->pidfd >= 0)
		close(b->pidfd);
	b->pidfd = -1;
	return !WIFEXITED(status) || WEXITSTATUS(status) != 0;
}

void browser_forget(struct browser *b)
{
	if (b->pidfd >= 0)
		close(b->pidfd);
	b->pidfd = -1;
	b->pid = 0;
}

/* Run one command line from $BROWSER (split on blanks, no shell). */
static bool run_command(const char *command, const char *url, char **envp, struct browser *b)
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
out:
	for (size_t i = 0; i < nsubst; i++)
		free(subst[i]);
	free(copy);
	return ok;
}

bool browser_open(const char *url, const char *private_url, struct browser *b)
{
	bool ok = false;
	b->pid = 0;
	b->pidfd = -1;
	b->name[0] = '\0';

	const char *browser = getenv("BROWSER");
	char **envp = program_environment();
	if (!envp)
		return false;
	if (browser && *browser) {
		char *list = xstrdup(browser);
		for (char *save = NULL, *cmd = list ? strtok_r(list, ":", &save) : NULL; cmd && !ok;
				cmd = strtok_r(NULL, ":", &save))
			ok = run_command(cmd, url, envp, b);
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
		ok = run_command("xdg-open", url, envp, b);
	else if (!ok)
		log_debug("no $BROWSER and no display: not trying xdg-open");
	free(envp);
	return ok;
}
