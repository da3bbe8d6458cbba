#ifndef ZOHO_OAUTH_SECURE_FILE_H
#define ZOHO_OAUTH_SECURE_FILE_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/stat.h>
#include <sys/types.h>

#include "core/util.h"

/*
 * Replace path with data, atomically and with mode 0600: the data goes to
 * a new temporary file in the same directory (O_EXCL, 0600), is fsynced and
 * renamed over path, then the directory is fsynced. Missing directories
 * are created with mode 0700. path must not be a symbolic link or anything
 * but a regular file. On any failure path is left exactly as it was, the
 * temporary file is removed, and the error has been reported.
 */
bool secure_write(const char *path, const void *data, size_t len);

/*
 * Check, before any work that would be lost, that secure_write(path) can
 * succeed as far as can be told now: path is not a symbolic link or a
 * non-file, and the directory (or the nearest one that exists, since
 * missing ones get created) is writable. Reports and returns false.
 */
bool secure_write_possible(const char *path);

/*
 * Remove temporary files that an earlier secure_write(path) left behind
 * when it was killed between write and rename (".NAME.XXXXXX" beside
 * path): copies of secrets. Call only while holding the lock that all
 * writers of path take, so that no live write loses its file.
 */
void secure_write_clean(const char *path);

/* Write all of data to fd, retrying short writes and EINTR. */
bool write_all(int fd, const void *data, size_t len);

enum read_result {
	READ_OK,
	READ_MISSING,   /* ENOENT: not reported */
	READ_FAILED,    /* reported */
};

/*
 * Read a small regular file (at most max bytes) into out; *st (when not
 * NULL) gets what fstat() said of the file that was read. Token files are read with follow_links false; a client
 * secret file may be a link (secret mounts often are). The buffer may
 * hold secrets: the caller wipes it with buf_finish().
 */
enum read_result secure_read(const char *path, size_t max, bool follow_links, struct buf *out,
		struct stat *st);

#endif
