#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <unistd.h>

#include "core/log.h"
#include "core/signals.h"

static volatile sig_atomic_t caught;
static int pipe_fds[2] = { -1, -1 };
static const int handled[] = { SIGINT, SIGTERM, SIGHUP };

static void on_signal(int sig)
{
	int saved = errno;
	if (!caught)
		caught = sig;
	if (pipe_fds[1] >= 0) {
		char c = 1;
		ssize_t n = write(pipe_fds[1], &c, 1);
		(void)n; /* a full pipe already says "signalled" */
	}
	errno = saved;
}

bool signals_init(void)
{
	struct sigaction sa;

	if (pipe2(pipe_fds, O_CLOEXEC | O_NONBLOCK) != 0) {
		log_error("cannot create a pipe: %s", strerror(errno));
		return false;
	}
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sigemptyset(&sa.sa_mask);
	/* No SA_RESTART: a blocking read (the secret prompt) must return. */
	sa.sa_flags = 0;
	for (size_t i = 0; i < sizeof(handled) / sizeof(handled[0]); i++)
		sigaction(handled[i], &sa, NULL);
	signal(SIGPIPE, SIG_IGN);
	return true;
}

int signals_fd(void)
{
	return pipe_fds[0];
}

int signals_caught(void)
{
	return caught;
}

void signals_block(sigset_t *old)
{
	sigset_t set;
	sigemptyset(&set);
	for (size_t i = 0; i < sizeof(handled) / sizeof(handled[0]); i++)
		sigaddset(&set, handled[i]);
	pthread_sigmask(SIG_BLOCK, &set, old);
}

void signals_restore(const sigset_t *old)
{
	pthread_sigmask(SIG_SETMASK, old, NULL);
}

void signals_reset_for_exec(void)
{
	struct sigaction sa;
	sigset_t none;
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = SIG_DFL;
	for (size_t i = 0; i < sizeof(handled) / sizeof(handled[0]); i++)
		sigaction(handled[i], &sa, NULL);
	sigaction(SIGPIPE, &sa, NULL);
	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);
}
