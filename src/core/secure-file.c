#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/log.h"
#include "core/secure-file.h"

bool write_all(int fd, const void *data, size_t len)
{
	const char *p = data;
	while (len > 0) {
		ssize_t n = write(fd, p, len);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			return false;
		}
		p += n;
		len -= (size_t)n;
	}
	return true;
}

/* mkdir -p with mode 0700 for what it creates. */
static bool make_dirs(const char *dir)
{
	char path[PATH_MAX];
	size_t len = strlen(dir);
	if (len == 0 || len >= sizeof(path))
		return len == 0;
	memcpy(path, dir, len + 1);
	for (char *p = path + 1; ; p++) {
		if (*p != '/' && *p != '\0')
			continue;
		char saved = *p;
		*p = '\0';
		if (mkdir(path, 0700) != 0 && errno != EEXIST) {
			log_error("cannot create directory %s: %s", path, strerror(errno));
			return false;
		}
		*p = saved;
		if (saved == '\0')
			break;
	}
	return true;
}

static bool split_path(const char *path, char *dir, size_t dir_len, char *base, size_t base_len);

/* What is at path may be replaced: nothing, or a regular file (never a
 * symbolic link: rename would replace the link, not write through it, but
 * the user meant the target). */
static bool target_ok(const char *path)
{
	struct stat st;
	if (lstat(path, &st) != 0) {
		if (errno == ENOENT)
			return true;
		log_error("cannot check %s: %s", path, strerror(errno));
		return false;
	}
	if (S_ISLNK(st.st_mode)) {
		log_error("%s is a symbolic link: refusing to write tokens through it; "
			"remove it or pass the real path", path);
		return false;
	}
	if (!S_ISREG(st.st_mode)) {
		log_error("%s exists and is not a regular file", path);
		return false;
	}
	return true;
}

bool secure_write(const char *path, const void *data, size_t len)
{
	char dir[PATH_MAX], base[NAME_MAX + 1], tmp[PATH_MAX];
	int fd = -1, dfd = -1;
	bool ok = false;

	if (!split_path(path, dir, sizeof(dir), base, sizeof(base))) {
		log_error("%s: not a file name", path);
		return false;
	}

	if (!target_ok(path))
		return false;
	if (!make_dirs(dir))
		return false;

	if (snprintf(tmp, sizeof(tmp), "%s/.%s.XXXXXX", dir, base) >= (int)sizeof(tmp)) {
		log_error("%s: path too long", path);
		return false;
	}
	/* mkostemp opens with O_EXCL and mode 0600 whatever the umask. */
	fd = mkostemp(tmp, O_CLOEXEC);
	if (fd < 0) {
		log_error("cannot create a file in %s: %s", dir, strerror(errno));
		return false;
	}
	if (fchmod(fd, 0600) != 0 || !write_all(fd, data, len) || fsync(fd) != 0) {
		log_error("cannot write %s: %s", tmp, strerror(errno));
		goto out;
	}
	if (close(fd) != 0) {
		fd = -1;
		log_error("cannot write %s: %s", tmp, strerror(errno));
		goto out;
	}
	fd = -1;
	if (rename(tmp, path) != 0) {
		log_error("cannot rename %s to %s: %s", tmp, path, strerror(errno));
		goto out;
	}
	tmp[0] = '\0';
	/* Make the rename itself durable. */
	dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dfd >= 0) {
		fsync(dfd);
		close(dfd);
	}
	ok = true;
out:
	if (fd >= 0)
		close(fd);
	if (tmp[0])
		unlink(tmp);
	return ok;
}

/* Split path into directory and base name; false for non-files. */
static bool split_path(const char *path, char *dir, size_t dir_len, char *base, size_t base_len)
{
	size_t plen = strlen(path);
	if (plen == 0 || plen >= dir_len || path[plen - 1] == '/')
		return false;
	const char *slash = strrchr(path, '/');
	const char *b = slash ? slash + 1 : path;
	if (strlen(b) >= base_len || strlen(b) > NAME_MAX - 12 || strcmp(b, ".") == 0 ||
			strcmp(b, "..") == 0)
		return false;
	strcpy(base, b);
	if (!slash)
		strcpy(dir, ".");
	else if (slash == path)
		strcpy(dir, "/");
	else
		snprintf(dir, dir_len, "%.*s", (int)(slash - path), path);
	return true;
}

bool secure_write_possible(const char *path)
{
	char dir[PATH_MAX], base[NAME_MAX + 1];
	struct stat st;

	if (!split_path(path, dir, sizeof(dir), base, sizeof(base))) {
		log_error("%s: not a file name", path);
		return false;
	}
	if (!target_ok(path))
		return false;
	/* The nearest directory that exists must let us in and write. */
	for (;;) {
		if (stat(dir, &st) == 0) {
			if (!S_ISDIR(st.st_mode)) {
				log_error("cannot create %s: %s is not a directory", path, dir);
				return false;
			}
			if (access(dir, W_OK | X_OK) != 0) {
				log_error("cannot write in %s: %s; choose another --token-file, or fix the "
					"directory's permissions", dir, strerror(errno));
				return false;
			}
			return true;
		}
		char *slash = strrchr(dir, '/');
		if (!slash || slash == dir)
			return true; /* "/" or "." : let the write say */
		*slash = '\0';
	}
}

void secure_write_clean(const char *path)
{
	char dir[PATH_MAX], base[NAME_MAX + 1], name[NAME_MAX + 1];
	if (!split_path(path, dir, sizeof(dir), base, sizeof(base)))
		return;
	DIR *d = opendir(dir);
	if (!d)
		return;
	size_t blen = strlen(base);
	struct dirent *e;
	while ((e = readdir(d)) != NULL) {
		/* ".BASE.XXXXXX", as mkostemp makes them. */
		size_t len = strlen(e->d_name);
		if (len != blen + 8 || e->d_name[0] != '.' || memcmp(e->d_name + 1, base, blen) != 0 ||
				e->d_name[blen + 1] != '.')
			continue;
		snprintf(name, sizeof(name), "%s", e->d_name);
		if (unlinkat(dirfd(d), name, 0) == 0)
			log_debug("removed %s/%s, left by a write that was cut short", dir, name);
	}
	closedir(d);
}

enum read_result secure_read(const char *path, size_t max, bool follow_links, struct buf *out,
		struct stat *stp)
{
	struct stat st;
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY | (follow_links ? 0 : O_NOFOLLOW));
	if (fd < 0) {
		if (errno == ENOENT)
			return READ_MISSING;
		if (errno == ELOOP)
			log_error("%s is a symbolic link: refusing to read secrets through it", path);
		else
			log_error("cannot open %s: %s", path, strerror(errno));
		return READ_FAILED;
	}
	if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
		log_error("%s is not a regular file", path);
		close(fd);
		return READ_FAILED;
	}
	if ((size_t)st.st_size > max) {
		log_error("%s is larger than %zu bytes: not a file this tool wrote", path, max);
		close(fd);
		return READ_FAILED;
	}
	if (stp)
		*stp = st;

	char chunk[4096];
	for (;;) {
		ssize_t n = read(fd, chunk, sizeof(chunk));
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			log_error("cannot read %s: %s", path, strerror(errno));
			break;
		}
		if (n == 0) {
			explicit_bzero(chunk, sizeof(chunk));
			close(fd);
			if (!out->data && !buf_append(out, "", 0))
				return READ_FAILED;
			return READ_OK;
		}
		if (out->len + (size_t)n > max) {
			log_error("%s grew past %zu bytes while being read", path, max);
			break;
		}
		if (!buf_append(out, chunk, (size_t)n))
			break;
	}
	explicit_bzero(chunk, sizeof(chunk));
	close(fd);
	buf_finish(out);
	return READ_FAILED;
}
