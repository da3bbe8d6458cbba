#include <stdlib.h>
#include <string.h>

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
