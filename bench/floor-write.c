/*
 * The floor for the write a 'refresh' makes: a static program that copies
 * SOURCE's bytes into a new temporary file beside TARGET (mkostemp in the
 * same directory, mode 0600) and renames it over TARGET. That is how a
 * refresh writes the access-token cache: atomic, not synced (--no-sync).
 * Without --no-sync it also fdatasyncs the file before the rename and
 * fsyncs the directory after it, as the token file (the record) is
 * written by a sign-in, and was by every refresh before the cache. It
 * locks, checks and reserves nothing and reports no error properly: it
 * is the cost the file system puts on the write, not a way to write
 * tokens. bench/run builds it with 'cc -static' and times it beside
 * curl's POST.
 *
 * With --no-write it reads SOURCE and exits: the program's own start and
 * end, which bench/run subtracts, so that the floor counts the write and
 * not a second process (a refresh is one).
 *
 * usage: floor-write [--no-sync | --no-write] SOURCE TARGET
 */
#define _GNU_SOURCE
#include <fcntl.h>
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

int main(int argc, char **argv)
{
	static char buf[32768];
	char dir[PATH_MAX], tmp[PATH_MAX];
	bool sync = true, write_it = true;
	if (argc == 4 && (strcmp(argv[1], "--no-sync") == 0 || strcmp(argv[1], "--no-write") == 0)) {
		sync = false;
		write_it = strcmp(argv[1], "--no-write") != 0;
		argv++;
		argc--;
	}
	if (argc != 3)
		return 2;
	int in = open(argv[1], O_RDONLY);
	ssize_t n = in >= 0 ? read(in, buf, sizeof(buf)) : -1;
	if (n <= 0)
		return 1;
	if (!write_it)
		return 0;
	snprintf(dir, sizeof(dir), "%s", argv[2]);
	char *slash = strrchr(dir, '/');
	if (!slash)
		strcpy(dir, ".");
	else if (slash == dir)
		dir[1] = '\0';
	else
		*slash = '\0';
	if (snprintf(tmp, sizeof(tmp), "%s/.floor-write.XXXXXX", dir) >= (int)sizeof(tmp))
		return 1;
	int fd = mkostemp(tmp, O_CLOEXEC);
	if (fd < 0)
		return 1;
	if (write(fd, buf, (size_t)n) != n || (sync && fdatasync(fd) != 0) || close(fd) != 0 ||
			rename(tmp, argv[2]) != 0) {
		unlink(tmp);
		return 1;
	}
	if (!sync)
		return 0;
	int dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	return dfd >= 0 && fsync(dfd) == 0 ? 0 : 1;
}
