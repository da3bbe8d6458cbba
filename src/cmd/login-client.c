/*
 * login --client-credentials: a Self Client's own grant, for machines with
 * no user. The client ID and secret, the scope and (for a service with
 * several organisations) the soid get an access token for an hour, and no
 * refresh token: the record keeps the secret (the long-lived credential
 * now, kept as a refresh token is) and store/refresh.c asks again with it,
 * through the same single-flight, budget-counting path as a refresh.
 */
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>

#include "cmd/login.h"
#include "core/exit-status.h"
#include "core/log.h"
#include "core/util.h"
#include "signin/signin.h"
#include "zoho/token-endpoint.h"

int login_client_credentials(const struct settings *s, struct store *target,
		struct store *current, const char *old_secret)
{
	const struct profile *p = &s->profile;
	struct signin si = { 0 };
	char summary[ZOHO_SUMMARY_MAX];
	struct tokens t;
	bool done;
	struct signin_ask ask = {
		.kind = SIGNIN_CLIENT_CREDENTIALS,
		.offline = true,
		.force = s->force || s->to_stdout,
	};

	int status = signin_begin(&si, p, &ask, target, current, &done);
	if (status == ZO_OK && !done)
		status = login_secret(s, old_secret, &si.secret);
	if (status != ZO_OK || done)
		goto out;
	struct token_request req = {
		.grant = GRANT_CLIENT_CREDENTIALS,
		.client_id = p->client_id,
		.client_secret = si.secret,
		.scope = p->scope,
		.soid = s->soid,
	};
	log_info("asking %s for an access token with the client's credentials%s%s",
		p->accounts_url, s->soid ? ", for " : "", s->soid ? s->soid : "");
	status = exchange_tokens(p->accounts_url, &req, &p->net, &t, summary, sizeof(summary), NULL);
	if (status == ZO_OK) {
		/* The scope asked for, as it will be asked for again. */
		secret_free(t.scope);
		t.scope = xstrdup(p->scope);
		t.client_credentials = true;
		free(t.soid);
		t.soid = s->soid ? xstrdup(s->soid) : NULL;
		if (t.refresh_token) {
			/* Not documented for this grant; not kept: the secret renews. */
			secret_free(t.refresh_token);
			t.refresh_token = NULL;
		}
		status = (!s->soid || t.soid) ? signin_save(&si, &t, p->accounts_url, NULL) :
			ZO_FAILURE;
		tokens_finish(&t);
		if (status == ZO_OK)
			signin_report(&si);
	}
out:
	if (status >= ZO_INTERRUPTED) {
		char saved[PATH_MAX + 64];
		log_stopped(status, "%s", signin_saved(&si, saved, sizeof(saved)));
	}
	signin_finish(&si);
	return status;
}
