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

/* -v: where the token came from. */
static void say_source(const struct profile *p, const struct tokens *t, enum fresh_source source)
{
	static const char *const from[] = {
		[FRESH_CACHED] = "the stored access token",
		[FRESH_RENEWED] = "a new access token, refreshed now",
		[FRESH_MEANWHILE] = "an access token another process refreshed while this one waited",
		[FRESH_FALLBACK] = "the stored access token, although its refresh failed",
		[FRESH_AHEAD] = "the stored access token, being renewed behind this call",
	};
	char span[32];
	span_text(tokens_time_left(t, wall_seconds()), span, sizeof(span));
	log_debug("profile '%s': %s, valid for %s (%s)", p->name, from[source], span,
		p->token_path);
}

static int print_token(const struct settings *s, const char *prefix)
{
	struct tokens t = { 0 };
	struct store *st;
	enum fresh_source source = FRESH_CACHED;
	struct judge_ask ask = { .min_valid = s->min_valid, .ahead_ok = s->refresh_ahead };
	int status = store_open(&s->profile, 0, &st);
	if (status == ZO_OK) {
		status = fresh_tokens_from(st, &ask, &s->handoff, &t, &source);
		store_close(st);
	}
	if (status == ZO_OK) {
		say_source(&s->profile, &t, source);
		status = print_line(prefix, t.access_token) ? ZO_OK : ZO_FAILURE;
	} else if (status >= ZO_INTERRUPTED) {
		log_stopped(status, "nothing was changed");
	}
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
	/* Started behind a served caller (store/ahead.h), with its lock:
	 * renew unless someone did since it looked. */
	bool ahead = s->handoff.ahead && s->handoff.lock_fd >= 0;
	struct judge_ask ask = { .force = !ahead, .ahead = ahead, .min_valid = s->min_valid };
	int status = fresh(s, &ask, ahead ? &s->handoff : NULL, &t);
	if (status == ZO_OK && !ahead)
		log_info("refreshed profile '%s': the access token is valid for %lld minute%s",
			s->profile.name, (long long)(t.expires_at - wall_seconds()) / 60,
			plural((t.expires_at - wall_seconds()) / 60));
	tokens_finish(&t);
	return status;
}
