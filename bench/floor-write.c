/*
 * The floor for the durable part of a 'refresh': a static program that
 * copies SOURCE's bytes into a new temporary file beside TARGET (mkostemp
 * in the same directory, mode 0600), fdatasyncs it, renames it over
 * TARGET and fsyncs the directory, as the token file is written. It
 * locks, checks and reserves nothing and reports no error properly: it is
 * the cost the disk puts on a durable write, not a way to write tokens.
 * bench/run builds it with 'cc -static' and times it beside curl's POST.
 *
 * usage: floor-write SOURCE TARGET
 */
#define _GNU_SOURCE
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

int main(int argc, char **argv)
{
	static char buf[32768];
	char dir[PATH_MAX], tmp[PATH_MAX];
	if (argc != 3)
		return 2;
	int in = open(argv[1], O_RDONLY);
	ssize_t n = in >= 0 ? read(in, buf, sizeof(buf)) : -1;
	if (n <= 0)
		return 1;
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
	if (write(fd, buf, (size_t)n) != n || fdatasync(fd) != 0 || close(fd) != 0 ||
			rename(tmp, argv[2]) != 0) {
		unlink(tmp);
		return 1;
	}
	int dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	return dfd >= 0 && fsync(dfd) == 0 ? 0 : 1;
}
