#ifndef ZOHO_OAUTH_SECURE_FILE_H
#define ZOHO_OAUTH_SECURE_FILE_H

#include <limits.h>
#include <stdbool.h>
#include <stddef.h>
#include <sys/stat.h>
#include <sys/types.h>

#include "core/util.h"

/*
 * Files that hold secrets: written atomically with mode 0600, read without
 * following links or blocking on FIFOs, in directories only we (or root)
 * can change.
 *
 * A write goes to a temporary file beside the target, named
 * ".NAME.zoho-oauth-XXXXXX" (a marker no user file carries), created with
 * O_EXCL and mode 0600 and locked while it lives; it is fsynced and
 * renamed over the target, then the directory is fsynced. On any failure
 * the target is left exactly as it was and the temporary file removed.
 */

/*
 * A write that makes sure of its room first, so that work whose result
 * must be kept (a refresh at Zoho, a sign-in) is only done once the
 * result can be written: secure_write_prepare() creates the temporary
 * file and fills it with `reserve` bytes (ENOSPC, EROFS and EACCES show up
 * here, before anything is asked of anyone); secure_write_commit() puts
 * the data in it and renames it into place; secure_write_abort() removes
 * it. Missing directories are created with mode 0700.
 */
struct secure_write {
	int fd;                 /* -1: nothing prepared */
	bool fleeting;          /* a cache: not synced to the disk (see cache_write()) */
	char tmp[PATH_MAX];
	char path[PATH_MAX];
};

bool secure_write_prepare(struct secure_write *w, const char *path, size_t reserve);
/* Rename to path (or to another path in the same directory). */
bool secure_write_commit(struct secure_write *w, const void *data, size_t len);
bool secure_write_commit_as(struct secure_write *w, const char *path, const void *data, size_t len);
void secure_write_abort(struct secure_write *w);

/* prepare + commit in one go. */
bool secure_write(const char *path, const void *data, size_t len);

/*
 * The same for a cache, whose loss costs one refresh: atomic (a reader
 * sees the old file or the new one, never a mix), mode 0600, in a safe
 * directory, but not synced to the disk, so that it costs no more than the
 * write (a crash may leave the old one, or none).
 */
bool cache_write(const char *path, const void *data, size_t len);

/*
 * Check, before any work that would be lost, that secure_write(path) can
 * succeed as far as can be told now: path is not a symbolic link or a
 * non-file, and the directory (or the nearest one that exists, since
 * missing ones get created) is safe and writable. Reports and returns
 * false.
 */
bool secure_write_possible(const char *path);

/*
 * Remove temporary files that an earlier write of path left behind when
 * it was killed between write and rename: only files with our marker, and
 * only those whose writer is gone (their lock is free).
 */
void secure_write_clean(const char *path);

/*
 * Whether the directory holding path, and every directory above it, can
 * be changed only by us or root: owned by us or root, and not writable by
 * group or others unless sticky (as /tmp). As OpenSSH's StrictModes: a
 * directory others may write lets them swap the token file. Reports (what
 * to run to fix it) and returns false; a missing directory is fine.
 */
bool secure_dir_ok(const char *path);

/* secure_write_possible(), then create the missing directories (0700). */
bool secure_dirs_for(const char *path);

/* Write all of data to fd, retrying short writes and EINTR. */
bool write_all(int fd, const void *data, size_t len);

enum read_result {
	READ_OK,
	READ_MISSING,   /* ENOENT: not reported */
	READ_FAILED,    /* reported */
};

/*
 * Read a small regular file (at most max bytes) into out; *st (when not
 * NULL) gets what fstat() said of the file that was read. It is opened
 * without blocking, so a FIFO, socket or device at path is refused, not
 * waited on. Token files are read with follow_links false; a client secret
 * file may be a link (secret mounts often are). Messages name the file as
 * `shown` (NULL: its path), for files whose name must not be echoed. The
 * buffer may hold secrets: the caller wipes it with buf_finish().
 */
enum read_result secure_read(const char *path, const char *shown, size_t max, bool follow_links,
		struct buf *out, struct stat *st);

#endif
