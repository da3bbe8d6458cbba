#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/claim.h"
#include "core/log.h"
#include "core/paths.h"
#include "core/secure-file.h"
#include "core/text.h"
#include "core/util.h"

/* The claim file of name; false when there is nowhere to put one. */
static bool claim_path(const char *name, char *out, size_t len)
{
	const char *runtime = runtime_dir();
	int n;
	if (runtime) {
		n = snprintf(out, len, "%s/zoho-oauth/%s.claim", runtime, name);
	} else {
		char *dir = tokens_dir(true);
		if (!dir)
			return false;
		n = snprintf(out, len, "%s/.%s.claim", dir, name);
		free(dir);
	}
	return n > 0 && (size_t)n < len;
}

bool claim_take(struct claim *c, const char *name, const char *label)
{
	char path[PATH_MAX], text[CLAIM_LABEL_MAX + 32];
	struct report quiet;
	c->fd = -1;
	c->path[0] = '\0';
	report_open(&quiet);
	bool ok = claim_path(name, path, sizeof(path)) && secure_dirs_for(path);
	report_drop(&quiet);
	if (!ok)
		return false;
	int fd = open(path, O_RDWR | O_CREAT | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC, 0600);
	struct stat st;
	if (fd < 0)
		return false;
	if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode) || flock(fd, LOCK_EX | LOCK_NB) != 0) {
		close(fd);
		return false;
	}
	int n = snprintf(text, sizeof(text), "%ld %.*s\n", (long)getpid(), CLAIM_LABEL_MAX - 1,
		label);
	if (ftruncate(fd, 0) != 0 || !write_all(fd, text, (size_t)n)) {
		close(fd);
		return false;
	}
	c->fd = fd;
	snprintf(c->path, sizeof(c->path), "%s", path);
	return true;
}

void claim_release(struct claim *c)
{
	/* Removed while still ours, then let go: nothing is left behind. */
	if (c->fd >= 0) {
		unlink(c->path);
		close(c->fd);
	}
	c->fd = -1;
	c->path[0] = '\0';
}

bool claim_holder(const char *name, long *pid, char *label, size_t label_len)
{
	char path[PATH_MAX], text[CLAIM_LABEL_MAX + 32];
	if (!claim_path(name, path, sizeof(path)))
		return false;
	int fd = open(path, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
	if (fd < 0)
		return false;
	struct stat st;
	bool held = fstat(fd, &st) == 0 && S_ISREG(st.st_mode) && st.st_uid == geteuid() &&
		flock(fd, LOCK_SH | LOCK_NB) != 0 && errno == EWOULDBLOCK;
	ssize_t n = held ? read(fd, text, sizeof(text) - 1) : -1;
	close(fd);
	if (n <= 0)
		return false;
	text[n] = '\0';
	char *space = strchr(text, ' '), *nl = strchr(text, '\n');
	if (!space || !nl || nl < space)
		return false;
	*space = *nl = '\0';
	if (!parse_long(text, 1, 1L << 30, pid))
		return false;
	text_escape(label, label_len, space + 1, strlen(space + 1));
	return true;
}
