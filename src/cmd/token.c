#include "cmd/token.h"
#include "core/exit-status.h"
#include "core/log.h"
#include "core/util.h"
#include "store/refresh.h"

/* The profile's access token, fit for ask; handed: the front's hand-off. */
static int fresh(const struct settings *s, const struct judge_ask *ask, const struct handoff *handed,
		struct tokens *t)
{
	struct store *st;
	int status = store_open(&s->profile, 0, &st);
	if (status == ZO_OK) {
		status = fresh_tokens(st, ask, handed, t);
		store_close(st);
	}
	if (status >= ZO_INTERRUPTED)
		log_stopped(status, "nothing was changed");
	return status;
}

static int print_token(const struct settings *s, const char *prefix)
{
	struct tokens t;
	struct judge_ask ask = { .min_valid = s->min_valid };
	int status = fresh(s, &ask, &s->handoff, &t);
	if (status == ZO_OK)
		status = print_line(prefix, t.access_token) ? ZO_OK : ZO_FAILURE;
	tokens_finish(&t);
	return status;
}

int cmd_token(struct settings *s)
{
	return print_token(s, "");
}

int cmd_header(struct settings *s)
{
	return print_token(s, "Authorization: Zoho-oauthtoken ");
}

int cmd_refresh(struct settings *s)
{
	struct tokens t;
	struct judge_ask ask = { .force = true };
	int status = fresh(s, &ask, NULL, &t);
	if (status == ZO_OK)
		log_info("refreshed profile '%s': the access token is valid for %lld minutes",
			s->profile.name, (long long)(t.expires_at - wall_seconds()) / 60);
	tokens_finish(&t);
	return status;
}
