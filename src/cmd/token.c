#include "cmd/token.h"
#include "core/exit-status.h"
#include "core/log.h"
#include "core/util.h"
#include "store/refresh.h"

int cmd_token(const struct settings *s)
{
	struct tokens t;
	int status = fresh_tokens(s, s->min_valid, false, &t);
	if (status == ZO_OK)
		status = print_line("", t.access_token) ? ZO_OK : ZO_FAILURE;
	tokens_finish(&t);
	return status;
}

int cmd_header(const struct settings *s)
{
	struct tokens t;
	int status = fresh_tokens(s, s->min_valid, false, &t);
	if (status == ZO_OK)
		status = print_line("Authorization: Zoho-oauthtoken ", t.access_token) ? ZO_OK : ZO_FAILURE;
	tokens_finish(&t);
	return status;
}

int cmd_refresh(const struct settings *s)
{
	struct tokens t;
	int status = fresh_tokens(s, 0, true, &t);
	if (status == ZO_OK)
		log_info("refreshed profile '%s': the access token is valid for %lld minutes",
			s->profile, (long long)(t.expires_at - wall_seconds()) / 60);
	tokens_finish(&t);
	return status;
}
