/* Files that hold secrets (core/secure-file.c): written atomically with
 * mode 0600, a failure never touching the old file, room made before the
 * work that must be kept, no symbolic links or FIFOs, directories only we
 * can change, and a killed writer's leftover cleared only once its writer
 * is gone. */
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/log.h"
#include "core/secure-file.h"
#include "unit.h"

static char dir[PATH_MAX];

static void path_in(char *out, size_t len, const char *name)
{
	snprintf(out, len, "%s/%s", dir, name);
}

static int setup(void **state)
{
	char tmpl[] = "/tmp/zoho-oauth-secure-XXXXXX";
	assert_non_null(mkdtemp(tmpl));
	snprintf(dir, sizeof(dir), "%s", tmpl);
	return 0;
}

static int teardown(void **state)
{
	char cmd[2 * PATH_MAX + 32];
	snprintf(cmd, sizeof(cmd), "chmod -R u+rwx '%s'; rm -rf '%s'", dir, dir);
	assert_int_equal(system(cmd), 0);
	return 0;
}

static char *slurp(const char *path)
{
	struct buf b = { 0 };
	if (secure_read(path, NULL, 4096, false, &b, NULL) != READ_OK)
		return NULL;
	char *s = strdup(b.data ? b.data : "");
	buf_finish(&b);
	return s;
}

/* Entries of dir/sub besides ".", "..", and name. */
static int others(const char *sub, const char *name)
{
	char cmd[PATH_MAX + 128], out[16] = "";
	snprintf(cmd, sizeof(cmd), "ls -A '%s/%s' | grep -vx '%s' | wc -l", dir, sub, name);
	FILE *f = popen(cmd, "r");
	assert_non_null(f);
	assert_non_null(fgets(out, sizeof(out), f));
	pclose(f);
	return atoi(out);
}

static void writes_0600_and_replaces(void **state)
{
	char p[PATH_MAX + 32];
	path_in(p, sizeof(p), "sub/t.json");
	assert_true(secure_write(p, "one\n", 4));
	struct stat st;
	assert_int_equal(stat(p, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0600);
	char d[PATH_MAX + 32];
	path_in(d, sizeof(d), "sub");
	assert_int_equal(stat(d, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0700);
	ino_t first;
	assert_int_equal(stat(p, &st), 0);
	first = st.st_ino;
	assert_true(secure_write(p, "two\n", 4));
	char *s = slurp(p);
	assert_string_equal(s, "two\n");
	free(s);
	assert_int_equal(stat(p, &st), 0);
	assert_true(st.st_ino != first); /* a new file renamed over, not rewritten */
}

static void abort_leaves_the_old_file(void **state)
{
	char p[PATH_MAX + 32];
	path_in(p, sizeof(p), "abort/keep.json");
	assert_true(secure_write(p, "old\n", 4));
	struct secure_write w = { .fd = -1 };
	assert_true(secure_write_prepare(&w, p, 8192));
	assert_int_equal(others("abort", "keep.json"), 1); /* the reserved temporary file */
	secure_write_abort(&w);
	assert_int_equal(others("abort", "keep.json"), 0);
	char *s = slurp(p);
	assert_string_equal(s, "old\n");
	free(s);
}

static void a_symbolic_link_is_not_followed(void **state)
{
	char target[PATH_MAX + 32], link_path[PATH_MAX + 32];
	path_in(target, sizeof(target), "elsewhere");
	path_in(link_path, sizeof(link_path), "link.json");
	assert_true(secure_write(target, "theirs\n", 7));
	assert_int_equal(symlink(target, link_path), 0);
	struct report r;
	report_open(&r);
	assert_false(secure_write(link_path, "mine\n", 5));
	struct buf b = { 0 };
	assert_int_equal(secure_read(link_path, NULL, 4096, false, &b, NULL), READ_FAILED);
	assert_true(report_failed(&r));
	report_drop(&r);
	char *s = slurp(target);
	assert_string_equal(s, "theirs\n");
	free(s);
}

static void a_fifo_is_refused_at_once(void **state)
{
	char p[PATH_MAX + 32];
	path_in(p, sizeof(p), "fifo.json");
	assert_int_equal(mkfifo(p, 0600), 0);
	struct buf b = { 0 };
	struct report r;
	report_open(&r);
	/* Would block forever if it were opened for reading and waited on. */
	assert_int_equal(secure_read(p, NULL, 4096, false, &b, NULL), READ_FAILED);
	assert_false(secure_write_possible(p));
	report_drop(&r);
}

static void a_missing_file_is_missing(void **state)
{
	char p[PATH_MAX + 32];
	path_in(p, sizeof(p), "none.json");
	struct buf b = { 0 };
	assert_int_equal(secure_read(p, NULL, 4096, false, &b, NULL), READ_MISSING);
}

static void too_big_is_refused(void **state)
{
	char p[PATH_MAX + 32];
	char big[8192];
	memset(big, 'x', sizeof(big));
	path_in(p, sizeof(p), "big.json");
	assert_true(secure_write(p, big, sizeof(big)));
	struct buf b = { 0 };
	struct report r;
	report_open(&r);
	assert_int_equal(secure_read(p, NULL, 4096, false, &b, NULL), READ_FAILED);
	report_drop(&r);
}

static void a_directory_others_may_change(void **state)
{
	char d[PATH_MAX + 32], p[PATH_MAX + 64];
	path_in(d, sizeof(d), "open");
	assert_int_equal(mkdir(d, 0700), 0);
	assert_int_equal(chmod(d, 0777), 0);
	snprintf(p, sizeof(p), "%s/t.json", d);
	struct report r;
	report_open(&r);
	assert_false(secure_dir_ok(p));
	assert_true(report_failed(&r));
	report_drop(&r);
	/* Sticky, as /tmp: nobody else may swap our file. */
	assert_int_equal(chmod(d, 01777), 0);
	assert_true(secure_dir_ok(p));
}

static void leftovers_go_once_their_writer_is_gone(void **state)
{
	char p[PATH_MAX + 32], left[PATH_MAX + 64], theirs[PATH_MAX + 64];
	path_in(p, sizeof(p), "c.json");
	assert_true(secure_write(p, "ok\n", 3));
	/* A killed writer's temporary file (our marker, no lock on it), a
	 * live writer's (locked), and a user's file of a similar name. */
	snprintf(left, sizeof(left), "%s/.c.json.zoho-oauth-AAAAAA", dir);
	int fd = open(left, O_WRONLY | O_CREAT | O_EXCL, 0600);
	assert_true(fd >= 0);
	close(fd);
	char live[PATH_MAX + 64];
	snprintf(live, sizeof(live), "%s/.c.json.zoho-oauth-BBBBBB", dir);
	int lfd = open(live, O_WRONLY | O_CREAT | O_EXCL, 0600);
	assert_true(lfd >= 0 && flock(lfd, LOCK_EX) == 0);
	snprintf(theirs, sizeof(theirs), "%s/.c.json.backup", dir);
	fd = open(theirs, O_WRONLY | O_CREAT | O_EXCL, 0600);
	assert_true(fd >= 0);
	close(fd);
	secure_write_clean(p);
	assert_int_equal(access(left, F_OK), -1);
	assert_int_equal(access(live, F_OK), 0);
	assert_int_equal(access(theirs, F_OK), 0);
	close(lfd);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(writes_0600_and_replaces),
		cmocka_unit_test(abort_leaves_the_old_file),
		cmocka_unit_test(a_symbolic_link_is_not_followed),
		cmocka_unit_test(a_fifo_is_refused_at_once),
		cmocka_unit_test(a_missing_file_is_missing),
		cmocka_unit_test(too_big_is_refused),
		cmocka_unit_test(a_directory_others_may_change),
		cmocka_unit_test(leftovers_go_once_their_writer_is_gone),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
