#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "core/detach.h"

/* <linux/ioprio.h>'s: the idle class, for the calling process. */
#define IOPRIO_CLASS_IDLE 3
#define IOPRIO_CLASS_SHIFT 13
#define IOPRIO_WHO_PROCESS 1
/* Where keep_fd waits while the standard descriptors are set up. */
#define KEEP_PARKED 10

/* In the grandchild: only async-signal-safe calls (the caller may have
 * threads), then exec. */
static void become(const char *path, char *const argv[], char *const envp[], int keep_fd)
{
	int parked = -1;
	if (keep_fd >= 0 && (parked = fcntl(keep_fd, F_DUPFD, KEEP_PARKED)) < 0)
		_exit(127);
	int null = open("/dev/null", O_RDWR);
	if (null < 0 || dup2(null, 0) < 0 || dup2(null, 1) < 0 || dup2(null, 2) < 0)
		_exit(127);
	if (parked >= 0 && dup2(parked, 3) < 0)
		_exit(127);
	/* Everything else goes: a caller's pipes, sockets, its own locks. */
	if (syscall(SYS_close_range, parked >= 0 ? 4U : 3U, ~0U, 0U) != 0)
		for (int fd = parked >= 0 ? 4 : 3; fd < 1024; fd++)
			close(fd);
	if (chdir("/") != 0)
		_exit(127);
	sigset_t none;
	sigemptyset(&none);
	struct sigaction dfl = { .sa_handler = SIG_DFL };
	for (int sig = 1; sig < NSIG; sig++)
		sigaction(sig, &dfl, NULL);
	sigprocmask(SIG_SETMASK, &none, NULL);
	struct sched_param idle = { .sched_priority = 0 };
	if (sched_setscheduler(0, SCHED_IDLE, &idle) != 0)
		setpriority(PRIO_PROCESS, 0, 19);
	syscall(SYS_ioprio_set, IOPRIO_WHO_PROCESS, 0, IOPRIO_CLASS_IDLE << IOPRIO_CLASS_SHIFT);
	execve(path, argv, envp);
	_exit(127);
}

bool detach_start(const char *path, char *const argv[], char *const envp[], int keep_fd)
{
	if (access(path, X_OK) != 0)
		return false;
	pid_t child = fork();
	if (child < 0)
		return false;
	if (child == 0) {
		/* A session of its own, then a child that is not its leader, so
		 * that opening a terminal can never make it the controlling one. */
		if (setsid() < 0)
			_exit(1);
		pid_t grandchild = fork();
		if (grandchild == 0)
			become(path, argv, envp, keep_fd);
		_exit(grandchild < 0);
	}
	int status;
	while (waitpid(child, &status, 0) < 0)
		if (errno != EINTR)
			return false;
	return WIFEXITED(status) && WEXITSTATUS(status) == 0;
}
