#include <fcntl.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "settings/defaults.h"
#include "settings/waits.h"

void waits_resolve(const struct cli *cli, const struct config_profile *cfg, long waited_ms,
		struct waits *out)
{
	out->connect_timeout = cli->connect_timeout > 0 ? cli->connect_timeout :
		DEFAULT_CONNECT_TIMEOUT;
	out->max_time = cli->max_time > 0 ? cli->max_time : DEFAULT_MAX_TIME;
	/* A healthy refresher finishes within its network limits: wait a
	 * little longer than ours by default. */
	out->lock_timeout = cli->lock_timeout >= 0 ? cli->lock_timeout :
		cfg && cfg->lock_timeout >= 0 ? cfg->lock_timeout :
		DEFAULT_LOCK_TIMEOUT(out->max_time);
	out->keyring_timeout = cli->keyring_timeout > 0 ? cli->keyring_timeout :
		cfg && cfg->keyring_timeout > 0 ? cfg->keyring_timeout : DEFAULT_KEYRING_TIMEOUT;
	/* The front waited already (for a refresher that then failed, or past
	 * the limit): only what is left. */
	long waited = waited_ms / 1000;
	out->lock_waited = waited < out->lock_timeout ? waited : out->lock_timeout;
	out->lock_timeout -= out->lock_waited;
}

bool refresh_ahead_resolve(const struct cli *cli, const struct config_profile *cfg)
{
	if (cli->no_refresh_ahead)
		return false;
	if (cfg && cfg->refresh_ahead >= 0)
		return cfg->refresh_ahead;
	const char *ci = getenv("CI");
	return !ci || !*ci || strcmp(ci, "false") == 0 || strcmp(ci, "0") == 0;
}

long min_valid_resolve(const struct cli *cli)
{
	return cli->min_valid >= 0 ? cli->min_valid : DEFAULT_MIN_VALID;
}

static uint64_t fnv1a(uint64_t h, const char *s)
{
	for (; *s; s++) {
		h ^= (unsigned char)*s;
		h *= 0x100000001b3ULL;
	}
	return h;
}

int machine_offset_of(const char *machine_id, const char *host)
{
	uint64_t h = fnv1a(0xcbf29ce484222325ULL, machine_id);
	h = fnv1a(h ^ '\n', host);
	return (int)(h % 1001);
}

int machine_offset_resolve(const struct config_profile *cfg)
{
	if (cfg && cfg->machine_offset >= 0)
		return (int)cfg->machine_offset * 10;
	/* 32 hex digits and a newline; anything else is used as it is. */
	char id[64] = "", host[256] = "";
	int fd = open("/etc/machine-id", O_RDONLY | O_CLOEXEC);
	if (fd >= 0) {
		ssize_t n = read(fd, id, sizeof(id) - 1);
		id[n > 0 ? n : 0] = '\0';
		id[strcspn(id, "\n")] = '\0';
		close(fd);
	}
	if (gethostname(host, sizeof(host) - 1) != 0)
		host[0] = '\0';
	return machine_offset_of(id, host);
}
