#include <dirent.h>
#include <errno.h>
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

#define TMP_MARKER ".zoho-oauth-"
#define TMP_SUFFIX_LEN 6 /* mkostemp's XXXXXX */

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

/* Split path into directory and base name; false for non-files. */
static bool split_path(const char *path, char *dir, size_t dir_len, char *base, size_t base_len)
{
	size_t plen = strlen(path);
	if (plen == 0 || plen >= dir_len || path[plen - 1] == '/')
		return false;
	const char *slash = strrchr(path, '/');
	const char *b = slash ? slash + 1 : path;
	/* Room for ".BASE.zoho-oauth-XXXXXX" within NAME_MAX. */
	if (strlen(b) >= base_len || strlen(b) > NAME_MAX - 24 || strcmp(b, ".") == 0 ||
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

static bool dir_entry_ok(const char *dir, const struct stat *st)
{
	uid_t me = geteuid();
	if (st->st_uid != me && st->st_uid != 0) {
		log_error("%s belongs to another user (uid %u): refusing to keep tokens where "
			"someone else can replace them", dir, (unsigned)st->st_uid);
		return false;
	}
	if ((st->st_mode & (S_IWGRP | S_IWOTH)) && !(st->st_mode & S_ISVTX)) {
		log_error("%s can be written by other users (mode %04o), who could replace the "
			"token file: run 'chmod go-w %s'", dir, (unsigned)(st->st_mode & 07777), dir);
		return false;
	}
	return true;
}

bool secure_dir_ok(const char *path)
{
	char dir[PATH_MAX], base[NAME_MAX + 1], real[PATH_MAX];
	if (!split_path(path, dir, sizeof(dir), base, sizeof(base)))
		return true; /* the caller says what is wrong with the name */
	/* The nearest directory that exists: missing ones get created 0700. */
	while (!realpath(dir, real)) {
		char *slash = strrchr(dir, '/');
		if (errno != ENOENT || !slash)
			return true; /* let the open say */
		if (slash == dir)
			slash[1] = '\0';
		else
			*slash = '\0';
	}
	/* That directory and each one above it. */
	for (;;) {
		struct stat st;
		if (stat(real, &st) != 0)
			return true;
		if (!dir_entry_ok(real, &st))
			return false;
		char *slash = strrchr(real, '/');
		if (!slash || real[1] == '\0')
			return true;
		if (slash == real)
			slash[1] = '\0';
		else
			*slash = '\0';
	}
}

void secure_write_abort(struct secure_write *w)
{
	if (w->fd >= 0) {
		unlink(w->tmp);
		close(w->fd);
	}
	w->fd = -1;
	w->tmp[0] = '\0';
}

bool secure_write_prepare(struct secure_write *w, const char *path, size_t reserve)
{
	char dir[PATH_MAX], base[NAME_MAX + 1];

	w->fd = -1;
	w->tmp[0] = '\0';
	w->fleeting = false;
	if (!split_path(path, dir, sizeof(dir), base, sizeof(base)) ||
			strlen(path) >= sizeof(w->path)) {
		log_error("%s: not a file name", path);
		return false;
	}
	snprintf(w->path, sizeof(w->path), "%s", path);
	if (!target_ok(path) || !secure_dir_ok(path) || !make_dirs(dir))
		return false;
	if (snprintf(w->tmp, sizeof(w->tmp), "%s/.%s" TMP_MARKER "XXXXXX", dir, base) >=
			(int)sizeof(w->tmp)) {
		log_error("%s: path too long", path);
		return false;
	}
	/* mkostemp opens with O_EXCL and mode 0600 whatever the umask. */
	w->fd = mkostemp(w->tmp, O_CLOEXEC);
	if (w->fd < 0) {
		log_error("cannot write in %s: %s", dir, strerror(errno));
		w->tmp[0] = '\0';
		return false;
	}
	/* Locked while it lives, so that secure_write_clean() leaves it be. */
	flock(w->fd, LOCK_EX | LOCK_NB);
	/* The room itself: fallocate() takes the blocks now (a full disk says
	 * ENOSPC here, not after Zoho has answered); where the file system
	 * can't, writing zeros does the same. */
	bool ok = fchmod(w->fd, 0600) == 0;
	int e = ok && reserve ? posix_fallocate(w->fd, 0, (off_t)reserve) : 0;
	if (e == EOPNOTSUPP || e == ENOSYS || e == EINVAL) {
		char zeros[4096] = { 0 };
		for (size_t left = reserve; ok && left > 0;) {
			size_t n = left < sizeof(zeros) ? left : sizeof(zeros);
			ok = write_all(w->fd, zeros, n);
			left -= n;
		}
	} else if (e) {
		errno = e;
		ok = false;
	}
	if (!ok) {
		log_error("cannot write in %s: %s", dir, strerror(errno));
		secure_write_abort(w);
		return false;
	}
	return true;
}

bool secure_write_commit_as(struct secure_write *w, const char *path, const void *data, size_t len)
{
	char dir[PATH_MAX], base[NAME_MAX + 1];
	bool ok = false;

	if (w->fd < 0)
		return false;
	if (!split_path(path, dir, sizeof(dir), base, sizeof(base))) {
		log_error("%s: not a file name", path);
		goto out;
	}
	if (!target_ok(path))
		goto out;
	if (lseek(w->fd, 0, SEEK_SET) != 0 || !write_all(w->fd, data, len) ||
			ftruncate(w->fd, (off_t)len) != 0 || (!w->fleeting && fdatasync(w->fd) != 0)) {
		log_error("cannot write %s: %s", w->tmp, strerror(errno));
		goto out;
	}
	if (rename(w->tmp, path) != 0) {
		log_error("cannot rename %s to %s: %s", w->tmp, path, strerror(errno));
		goto out;
	}
	w->tmp[0] = '\0';
	/* Make the rename itself durable. */
	int dfd = w->fleeting ? -1 : open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dfd >= 0) {
		fsync(dfd);
		close(dfd);
	}
	ok = true;
out:
	if (w->tmp[0])
		unlink(w->tmp);
	close(w->fd);
	w->fd = -1;
	w->tmp[0] = '\0';
	return ok;
}

bool secure_write_commit(struct secure_write *w, const void *data, size_t len)
{
	return secure_write_commit_as(w, w->path, data, len);
}

bool secure_write(const char *path, const void *data, size_t len)
{
	struct secure_write w;
	return secure_write_prepare(&w, path, len) && secure_write_commit(&w, data, len);
}

bool cache_write(const char *path, const void *data, size_t len)
{
	struct secure_write w;
	if (!secure_write_prepare(&w, path, 0))
		return false;
	w.fleeting = true;
	return secure_write_commit(&w, data, len);
}

bool secure_write_possible(const char *path)
{
	char dir[PATH_MAX], base[NAME_MAX + 1];
	struct stat st;

	if (!split_path(path, dir, sizeof(dir), base, sizeof(base))) {
		log_error("%s: not a file name", path);
		return false;
	}
	if (!target_ok(path) || !secure_dir_ok(path))
		return false;
	/* The nearest directory that exists must let us in and write. */
	for (;;) {
		if (stat(dir, &st) == 0) {
			if (!S_ISDIR(st.st_mode)) {
				log_error("cannot create %s: %s is not a directory", path, dir);
				return false;
			}
			if (access(dir, W_OK | X_OK) != 0) {
				log_error("cannot write in %s: %s", dir, strerror(errno));
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

bool secure_dirs_for(const char *path)
{
	char dir[PATH_MAX], base[NAME_MAX + 1];
	return secure_write_possible(path) && split_path(path, dir, sizeof(dir), base, sizeof(base)) &&
		make_dirs(dir);
}

void secure_write_clean(const char *path)
{
	char dir[PATH_MAX], base[NAME_MAX + 1], prefix[NAME_MAX + 1];
	if (!split_path(path, dir, sizeof(dir), base, sizeof(base)))
		return;
	DIR *d = opendir(dir);
	if (!d)
		return;
	int plen = snprintf(prefix, sizeof(prefix), ".%s" TMP_MARKER, base);
	struct dirent *e;
	while ((e = readdir(d)) != NULL) {
		/* ".BASE.zoho-oauth-XXXXXX", as secure_write_prepare makes them. */
		if (strlen(e->d_name) != (size_t)plen + TMP_SUFFIX_LEN ||
				strncmp(e->d_name, prefix, (size_t)plen) != 0)
			continue;
		int fd = openat(dirfd(d), e->d_name, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
		struct stat st;
		if (fd < 0)
			continue;
		/* A live writer holds its lock: only a dead one's file goes. */
		if (fstat(fd, &st) == 0 && S_ISREG(st.st_mode) && st.st_uid == geteuid() &&
				flock(fd, LOCK_EX | LOCK_NB) == 0 &&
				unlinkat(dirfd(d), e->d_name, 0) == 0)
			log_debug("removed %s/%s, left by a write that was cut short", dir, e->d_name);
		close(fd);
	}
	closedir(d);
}

static const char *kind_of(mode_t mode)
{
	if (S_ISFIFO(mode))
		return "a FIFO";
	if (S_ISSOCK(mode))
		return "a socket";
	if (S_ISCHR(mode) || S_ISBLK(mode))
		return "a device";
	if (S_ISDIR(mode))
		return "a directory";
	return "not a regular file";
}

enum read_result secure_read(const char *path, const char *shown, size_t max, bool follow_links,
		struct buf *out, struct stat *stp)
{
	struct stat st;
	const char *name = shown ? shown : path;
	/* O_NONBLOCK: opening a FIFO must not wait for a writer. */
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK |
		(follow_links ? 0 : O_NOFOLLOW));
	if (fd < 0) {
		if (errno == ENOENT)
			return READ_MISSING;
		int e = errno;
		if (e == ELOOP && !follow_links)
			log_error("%s is a symbolic link: refusing to read secrets through it", name);
		else if ((e == ENXIO || e == EOPNOTSUPP) && stat(path, &st) == 0 && !S_ISREG(st.st_mode))
			log_error("%s is %s: refusing to read it", name, kind_of(st.st_mode));
		else
			log_error("cannot open %s: %s", name, strerror(e));
		return READ_FAILED;
	}
	if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
		log_error("%s is %s: refusing to read it", name, kind_of(st.st_mode));
		close(fd);
		return READ_FAILED;
	}
	if ((size_t)st.st_size > max) {
		log_error("%s is larger than %zu bytes: not a file this tool wrote", name, max);
		close(fd);
		return READ_FAILED;
	}
	if (stp)
		*stp = st;

	char chunk[4096];
	for (;;) {
		ssize_t n = read(fd, chunk, sizeof(chunk));
		if (n < 0 && (errno == EINTR || errno == EAGAIN))
			continue;
		if (n < 0) {
			log_error("cannot read %s: %s", name, strerror(errno));
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
			log_error("%s grew past %zu bytes while being read", name, max);
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
