/* The lock with a deadline (core/lock.c): taken at once when free, busy
 * past its deadline with who holds it, shared alongside other readers,
 * taken again on the file now at the path when the old one was removed
 * while waiting, and a lock handed over by the front used once. */
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "core/lock.h"
#include "core/log.h"
#include "core/util.h"
#include "unit.h"

static char dir[PATH_MAX];
static char path[PATH_MAX + 32];

static int setup(void **state)
{
	char tmpl[] = "/tmp/zoho-oauth-lock-XXXXXX";
	assert_non_null(mkdtemp(tmpl));
	snprintf(dir, sizeof(dir), "%s", tmpl);
	snprintf(path, sizeof(path), "%s/t.json.lock", dir);
	return 0;
}

static int teardown(void **state)
{
	char cmd[PATH_MAX + 16];
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	assert_int_equal(system(cmd), 0);
	return 0;
}

/* A child that holds the lock on path (op) for ms, then exits; returns
 * once it holds it. */
static pid_t hold(int op, int ms)
{
	int ready[2];
	assert_int_equal(pipe(ready), 0);
	pid_t pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		int fd = open(path, O_RDWR | O_CREAT, 0600);
		if (fd < 0 || flock(fd, op) != 0)
			_exit(1);
		ssize_t w = write(ready[1], "x", 1);
		(void)w;
		usleep((useconds_t)ms * 1000);
		_exit(0);
	}
	char c;
	close(ready[1]);
	assert_int_equal(read(ready[0], &c, 1), 1);
	close(ready[0]);
	return pid;
}

static void reap(pid_t pid)
{
	int status;
	waitpid(pid, &status, 0);
}

static void free_lock_is_taken_at_once(void **state)
{
	int fd;
	int64_t start = monotonic_ms();
	assert_int_equal(lock_take(path, LOCK_EXCLUSIVE, 5000, LOCK_QUIET, NULL, 0, &fd), LOCK_TAKEN);
	assert_true(monotonic_ms() - start < 1000);
	struct stat st;
	assert_int_equal(stat(path, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0600);
	lock_release(fd);
}

static void busy_past_the_deadline_says_who(void **state)
{
	pid_t holder = hold(LOCK_EX, 3000);
	char who[96];
	int fd;
	int64_t start = monotonic_ms();
	assert_int_equal(lock_take(path, LOCK_EXCLUSIVE, 300, LOCK_QUIET, who, sizeof(who), &fd),
		LOCK_BUSY);
	int64_t took = monotonic_ms() - start;
	assert_true(took >= 250 && took < 2500);
	char want[32];
	snprintf(want, sizeof(want), "process %ld", (long)holder);
	assert_non_null(strstr(who, want));
	kill(holder, SIGKILL);
	reap(holder);
	/* Its holder gone, the lock is free. */
	assert_int_equal(lock_take(path, LOCK_EXCLUSIVE, 1000, LOCK_QUIET, NULL, 0, &fd), LOCK_TAKEN);
	lock_release(fd);
}

static void waits_for_a_holder_that_ends(void **state)
{
	pid_t holder = hold(LOCK_EX, 400);
	int fd;
	assert_int_equal(lock_take(path, LOCK_EXCLUSIVE, 5000, LOCK_QUIET, NULL, 0, &fd), LOCK_TAKEN);
	lock_release(fd);
	reap(holder);
}

static void shared_alongside_readers(void **state)
{
	pid_t reader = hold(LOCK_SH, 2000);
	int fd;
	assert_int_equal(lock_take(path, LOCK_SHARED, 0, LOCK_QUIET, NULL, 0, &fd), LOCK_TAKEN);
	lock_release(fd);
	assert_int_equal(lock_take(path, LOCK_EXCLUSIVE, 0, LOCK_QUIET, NULL, 0, &fd), LOCK_BUSY);
	kill(reader, SIGKILL);
	reap(reader);
}

static void no_directory_is_nothing_to_lock(void **state)
{
	char missing[PATH_MAX + 64];
	int fd;
	snprintf(missing, sizeof(missing), "%s/none/t.json.lock", dir);
	assert_int_equal(lock_take(missing, LOCK_EXCLUSIVE, 0, LOCK_QUIET, NULL, 0, &fd),
		LOCK_NO_DIRECTORY);
}

static void a_symbolic_link_is_refused(void **state)
{
	char link_path[PATH_MAX + 64];
	int fd;
	snprintf(link_path, sizeof(link_path), "%s/link.lock", dir);
	assert_int_equal(symlink(path, link_path), 0);
	struct report r;
	report_open(&r);
	assert_int_equal(lock_take(link_path, LOCK_EXCLUSIVE, 0, LOCK_QUIET, NULL, 0, &fd),
		LOCK_FAILED);
	assert_true(report_failed(&r));
	report_drop(&r);
	unlink(link_path);
}

static void removed_while_waiting_locks_the_new_file(void **state)
{
	/* The holder removes the lock file before it lets go (as revoke does):
	 * the waiter must end up holding the file now at the path. */
	int ready[2];
	assert_int_equal(pipe(ready), 0);
	pid_t pid = fork();
	if (pid == 0) {
		int hfd = open(path, O_RDWR | O_CREAT, 0600);
		if (hfd < 0 || flock(hfd, LOCK_EX) != 0)
			_exit(1);
		ssize_t w = write(ready[1], "x", 1);
		(void)w;
		usleep(300 * 1000);
		unlink(path);
		_exit(0);
	}
	char c;
	close(ready[1]);
	assert_int_equal(read(ready[0], &c, 1), 1);
	int fd;
	assert_int_equal(lock_take(path, LOCK_EXCLUSIVE, 5000, LOCK_QUIET, NULL, 0, &fd), LOCK_TAKEN);
	struct stat a, b;
	assert_int_equal(fstat(fd, &a), 0);
	assert_int_equal(stat(path, &b), 0);
	assert_true(a.st_ino == b.st_ino);
	lock_release(fd);
	reap(pid);
}

static void handed_lock_is_used_once(void **state)
{
	int mine;
	assert_int_equal(lock_take(path, LOCK_EXCLUSIVE, 0, LOCK_QUIET, NULL, 0, &mine), LOCK_TAKEN);
	/* As the full program after the front's exec: the descriptor is ours. */
	lock_adopt(mine);
	assert_true(lock_handed_for(path));
	int fd;
	assert_int_equal(lock_take(path, LOCK_EXCLUSIVE, 0, LOCK_QUIET, NULL, 0, &fd), LOCK_TAKEN);
	assert_int_equal(fd, mine);
	assert_false(lock_handed_for(path));
	lock_release(fd);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(free_lock_is_taken_at_once),
		cmocka_unit_test(busy_past_the_deadline_says_who),
		cmocka_unit_test(waits_for_a_holder_that_ends),
		cmocka_unit_test(shared_alongside_readers),
		cmocka_unit_test(no_directory_is_nothing_to_lock),
		cmocka_unit_test(a_symbolic_link_is_refused),
		cmocka_unit_test(removed_while_waiting_locks_the_new_file),
		cmocka_unit_test(handed_lock_is_used_once),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
