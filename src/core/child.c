#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "core/child.h"
#include "core/signals.h"

extern char **environ;

/* In the child: fd onto target (CHILD_NULL: /dev/null). */
static bool give(int fd, int target, int devnull)
{
	if (fd == CHILD_INHERIT)
		return true;
	return dup2(fd == CHILD_NULL ? devnull : fd, target) >= 0;
}

bool child_start(struct child *c, int *exec_errno)
{
	int report[2];
	char **own_env = NULL;
	*exec_errno = 0;
	c->pid = 0;
	c->pidfd = -1;
	char *const *envp = c->envp;
	if (!envp && !(envp = own_env = program_environment()))
		return false;
	if (pipe2(report, O_CLOEXEC) != 0) {
		free(own_env);
		return false;
	}
	pid_t pid = fork();
	if (pid < 0) {
		close(report[0]);
		close(report[1]);
		free(own_env);
		return false;
	}
	if (pid == 0) {
		/* Only async-signal-safe calls from here on. */
		int devnull = -1;
		if (c->in == CHILD_NULL || c->out == CHILD_NULL || c->err == CHILD_NULL)
			devnull = open("/dev/null", O_RDWR | O_CLOEXEC);
		if (c->new_session)
			setsid();
		if (give(c->in, 0, devnull) && give(c->out, 1, devnull) && give(c->err, 2, devnull)) {
			for (size_t i = 0; i < c->n_keep; i++)
				fcntl(c->keep[i], F_SETFD, 0);
			signals_reset_for_exec();
			execve(c->path, c->argv, envp);
		}
		int e = errno;
		ssize_t w = write(report[1], &e, sizeof(e));
		(void)w;
		_exit(127);
	}
	close(report[1]);
	free(own_env);
	int child_errno = 0;
	ssize_t n;
	while ((n = read(report[0], &child_errno, sizeof(child_errno))) < 0 && errno == EINTR)
		;
	close(report[0]);
	if (n > 0) {
		while (waitpid(pid, NULL, 0) < 0 && errno == EINTR)
			;
		*exec_errno = child_errno;
		return false;
	}
	c->pid = pid;
	c->pidfd = (int)syscall(SYS_pidfd_open, pid, 0);
	return true;
}

bool child_ended(struct child *c, int *wstatus)
{
	if (c->pid <= 0)
		return true;
	pid_t r;
	while ((r = waitpid(c->pid, wstatus, WNOHANG)) < 0 && errno == EINTR)
		;
	if (r == 0)
		return false; /* still running */
	child_forget(c);
	return true;
}

int child_wait(struct child *c)
{
	int wstatus = 0;
	if (c->pid > 0)
		while (waitpid(c->pid, &wstatus, 0) < 0 && errno == EINTR)
			;
	child_forget(c);
	return wstatus;
}

void child_forget(struct child *c)
{
	if (c->pidfd >= 0)
		close(c->pidfd);
	c->pidfd = -1;
	c->pid = 0;
}

bool program_find(const char *prog, char *out, size_t out_len)
{
	if (strchr(prog, '/')) {
		if (access(prog, X_OK) != 0)
			return false;
		snprintf(out, out_len, "%s", prog);
		return true;
	}
	const char *path = getenv("PATH");
	if (!path || !*path)
		path = "/usr/local/bin:/usr/bin:/bin";
	while (*path) {
		size_t len = strcspn(path, ":");
		if (len > 0 && (size_t)snprintf(out, out_len, "%.*s/%s", (int)len, path, prog) < out_len &&
				access(out, X_OK) == 0)
			return true;
		path += len + (path[len] == ':');
	}
	return false;
}

char **program_environment(void)
{
	size_t n = 0;
	while (environ[n])
		n++;
	char **env = calloc(n + 1, sizeof(*env));
	if (!env)
		return NULL;
	size_t o = 0;
	for (size_t i = 0; i < n; i++)
		if (strncmp(environ[i], "ZOHO_CLIENT_SECRET=", 19) != 0)
			env[o++] = environ[i];
	return env;
}
