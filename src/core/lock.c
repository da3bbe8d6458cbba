#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <time.h>
#include <unistd.h>

#include "core/lock.h"
#include "core/log.h"
#include "core/signals.h"
#include "core/util.h"

static int lock_inherited(const char *path);

/* After this long, say who we are waiting for. */
#define NOTICE_MS 1000

bool lock_path_for(const char *path, char *out, size_t out_len)
{
	int n = snprintf(out, out_len, "%s.lock", path);
	return n > 0 && (size_t)n < out_len;
}

/* The holder's name from /proc/PID/comm, reduced to safe characters: any
 * user can name a process anything, escape sequences included. */
static void process_name(long pid, char *out, size_t out_len)
{
	char path[64], name[64] = "";
	snprintf(path, sizeof(path), "/proc/%ld/comm", pid);
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	ssize_t n = fd >= 0 ? read(fd, name, sizeof(name) - 1) : -1;
	if (fd >= 0)
		close(fd);
	size_t o = 0;
	for (ssize_t i = 0; i < n && o + 1 < out_len; i++) {
		unsigned char c = (unsigned char)name[i];
		if (c == '\n')
			break;
		out[o++] = (c >= 0x20 && c < 0x7f) ? (char)c : '?';
	}
	out[o] = '\0';
}

void lock_describe_holder(int fd, char *out, size_t out_len)
{
	struct stat st;
	snprintf(out, out_len, "another process");
	if (fstat(fd, &st) != 0)
		return;
	/* "1: FLOCK  ADVISORY  WRITE 1234 08:01:5678 0 EOF"; waiters have
	 * "->" after the number and are skipped. */
	FILE *f = fopen("/proc/locks", "re");
	if (!f)
		return;
	char line[256], want[64];
	snprintf(want, sizeof(want), "%02x:%02x:%llu", major(st.st_dev), minor(st.st_dev),
		(unsigned long long)st.st_ino);
	long me = (long)getpid();
	while (fgets(line, sizeof(line), f)) {
		char kind[16], adv[16], rw[16], dev[64];
		long pid;
		if (strstr(line, "->") ||
				sscanf(line, "%*s %15s %15s %15s %ld %63s", kind, adv, rw, &pid, dev) != 5)
			continue;
		if (strcmp(dev, want) != 0 || pid <= 0 || pid == me)
			continue;
		char name[32];
		process_name(pid, name, sizeof(name));
		if (name[0])
			snprintf(out, out_len, "process %ld (%s)", pid, name);
		else
			snprintf(out, out_len, "process %ld", pid);
		break;
	}
	fclose(f);
}

static void on_alarm(int sig)
{
	(void)sig; /* only there to interrupt flock() */
}

/* A timer that interrupts this thread (only: the listener's threads must
 * not take it) with SIGALRM at a monotonic time. */
struct wakeup {
	timer_t timer;
	bool armed;
	struct sigaction old;
};

static bool wakeup_init(struct wakeup *w)
{
	struct sigaction sa;
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_alarm;
	sigemptyset(&sa.sa_mask);
	sa.sa_flags = 0; /* no SA_RESTART: flock() must return EINTR */
	if (sigaction(SIGALRM, &sa, &w->old) != 0)
		return false;
	struct sigevent ev;
	memset(&ev, 0, sizeof(ev));
	ev.sigev_notify = SIGEV_THREAD_ID;
	ev.sigev_signo = SIGALRM;
	ev._sigev_un._tid = gettid();
	if (timer_create(CLOCK_MONOTONIC, &ev, &w->timer) != 0) {
		sigaction(SIGALRM, &w->old, NULL);
		return false;
	}
	w->armed = true;
	/* SIGALRM must not be blocked here, or flock() would sleep on. */
	sigset_t set;
	sigemptyset(&set);
	sigaddset(&set, SIGALRM);
	pthread_sigmask(SIG_UNBLOCK, &set, NULL);
	return true;
}

static void wakeup_at(struct wakeup *w, int64_t when_ms)
{
	int64_t left = when_ms - monotonic_ms();
	if (left < 1)
		left = 1;
	/* Repeating, in case the signal lands just before flock() starts to
	 * sleep: the next one wakes it. */
	struct itimerspec its = {
		.it_value = { left / 1000, (left % 1000) * 1000000 },
		.it_interval = { 0, 100 * 1000000 },
	};
	timer_settime(w->timer, 0, &its, NULL);
}

static void wakeup_finish(struct wakeup *w)
{
	if (!w->armed)
		return;
	timer_delete(w->timer);
	sigaction(SIGALRM, &w->old, NULL);
	w->armed = false;
}

/* Whether fd is still the file at path (revoke removes lock files). */
static bool still_at_path(int fd, const char *path)
{
	struct stat a, b;
	return fstat(fd, &a) == 0 && stat(path, &b) == 0 && a.st_dev == b.st_dev &&
		a.st_ino == b.st_ino;
}

static int open_lock_file(const char *path, enum lock_result *why)
{
	int fd = open(path, O_RDWR | O_CREAT | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC | O_NOCTTY, 0600);
	if (fd < 0) {
		if (errno == ENOENT) {
			*why = LOCK_NO_DIRECTORY;
		} else {
			log_error("cannot open the lock file %s: %s", path,
				errno == ELOOP ? "it is a symbolic link" : strerror(errno));
			*why = LOCK_FAILED;
		}
		return -1;
	}
	struct stat st;
	if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
		log_error("the lock file %s is not a regular file: remove it", path);
		close(fd);
		*why = LOCK_FAILED;
		return -1;
	}
	return fd;
}

enum lock_result lock_take(const char *path, enum lock_mode mode, int64_t timeout_ms,
		unsigned flags, char *holder_out, size_t holder_len, int *fd_out)
{
	const bool interruptible = !(flags & LOCK_IGNORE_SIGNALS);
	const int op = mode == LOCK_SHARED ? LOCK_SH : LOCK_EX;
	const int64_t start = monotonic_ms();
	const int64_t deadline = start + (timeout_ms > 0 ? timeout_ms : 0);
	struct wakeup w = { .armed = false };
	enum lock_result result = LOCK_FAILED;
	bool said = flags & LOCK_QUIET;

	*fd_out = -1;
	if (mode == LOCK_EXCLUSIVE && (*fd_out = lock_inherited(path)) >= 0)
		return LOCK_TAKEN;
	for (;;) {
		int fd = open_lock_file(path, &result);
		if (fd < 0)
			break;
		/* The common case: nobody holds it. */
		int rc = flock(fd, op | LOCK_NB);
		while (rc != 0 && errno == EWOULDBLOCK) {
			int64_t now = monotonic_ms();
			if (interruptible && signals_caught()) {
				errno = EINTR;
				break;
			}
			if (now >= deadline) {
				errno = EWOULDBLOCK;
				break;
			}
			if (!said && now >= start + NOTICE_MS) {
				char holder[LOCK_HOLDER_MAX];
				lock_describe_holder(fd, holder, sizeof(holder));
				long long more = (deadline - now + 999) / 1000;
				log_info("waiting for %s, which holds the lock %s (at most %lld more second%s; "
					"--lock-timeout changes that)", holder, path, more, plural(more));
				said = true;
			}
			if (!w.armed && !wakeup_init(&w)) {
				log_error("cannot set a timer to wait for %s: %s", path, strerror(errno));
				close(fd);
				result = LOCK_FAILED;
				goto out;
			}
			wakeup_at(&w, said ? deadline : (start + NOTICE_MS < deadline ?
				start + NOTICE_MS : deadline));
			rc = flock(fd, op);
			if (rc != 0 && errno == EINTR)
				rc = flock(fd, op | LOCK_NB); /* the loop looks at the time again */
			else if (rc != 0)
				break;
		}
		if (rc == 0) {
			if (still_at_path(fd, path)) {
				*fd_out = fd;
				result = LOCK_TAKEN;
				break;
			}
			/* Removed while we waited: lock whatever is there now. */
			close(fd);
			continue;
		}
		int e = errno;
		if (e == EWOULDBLOCK && holder_out)
			lock_describe_holder(fd, holder_out, holder_len);
		close(fd);
		if (e == EINTR)
			result = LOCK_INTERRUPTED;
		else if (e == EWOULDBLOCK)
			result = LOCK_BUSY;
		else
			log_error("cannot lock %s: %s", path, strerror(e));
		break;
	}
out:
	wakeup_finish(&w);
	return result;
}

/* A descriptor the front handed over: -1, or the number. */
static int handed = -1;

void lock_adopt(int fd)
{
	handed = fd;
}

bool lock_handed_for(const char *path)
{
	struct stat st;
	return handed >= 0 && fstat(handed, &st) == 0 && S_ISREG(st.st_mode) &&
		still_at_path(handed, path);
}

static int lock_inherited(const char *path)
{
	struct stat st;
	int fd = handed;
	/* Ours only if it is the lock file at path and the lock is held on
	 * it: on a descriptor that holds it, a second flock is a no-op. */
	if (fd < 0 || fstat(fd, &st) != 0 || !S_ISREG(st.st_mode) || !still_at_path(fd, path))
		return -1;
	handed = -1;
	if (flock(fd, LOCK_EX | LOCK_NB) != 0) {
		close(fd);
		return -1;
	}
	log_debug("holding the lock %s handed over by the front", path);
	return fd;
}

void lock_release(int fd)
{
	if (fd >= 0)
		close(fd); /* releases the flock */
}
