#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <jansson.h>

#include "cmd/revoke.h"
#include "core/exit-status.h"
#include "core/log.h"
#include "core/util.h"
#include "store/store.h"
#include "zoho/http.h"
#include "zoho/token-endpoint.h"
#include "zoho/tokens.h"
#include "zoho/zoho.h"

/* Ask Zoho to revoke the refresh token. ZO_OK when it is gone (revoked
 * now, or Zoho says it was not valid any more). */
static int revoke_at_zoho(const struct settings *s, const struct tokens *t)
{
	struct http_answer a;
	int status = revoke_post(t->accounts_server, t->refresh_token, &s->net, &a);
	if (status != ZO_OK) {
		if (status == ZO_NETWORK)
			log_info("the tokens were kept so you can try again; 'zoho-oauth revoke "
				"--local' forgets it without revoking");
		return status;
	}

	char why[160], error_text[160];
	json_t *root = a.body.len ? zjson_parse_object(a.body.data, a.body.len, why, sizeof(why)) : NULL;
	const char *st_text = zjson_string(root, "status");
	bool has_error = json_object_get(root, "error") != NULL;
	if (a.status == 200 && st_text && strcmp(st_text, "success") == 0 && !has_error) {
		status = ZO_OK;
	} else if (has_error && zjson_zoho_error(root, error_text, sizeof(error_text)) ==
			ZOHO_ERR_THROTTLED) {
		char line[256];
		zoho_error_explain(ZOHO_ERR_THROTTLED, GRANT_REFRESH, NULL, t->accounts_server, line,
			sizeof(line));
		log_error("%s; the tokens were kept", line);
		status = ZO_REJECTED;
	} else if (a.status == 400 && root) {
		/* Zoho's answer to a token it does not know: it is dead already. */
		log_warn("zoho says the refresh token was not valid any more (revoked before?)");
		status = ZO_OK;
	} else {
		log_error("zoho's accounts server did not confirm the revocation (HTTP %ld); the "
			"tokens were kept so you can try again, or 'zoho-oauth revoke --local' "
			"forgets it", a.status);
		status = a.status >= 500 || !root ? ZO_NETWORK : ZO_REJECTED;
	}
	json_decref(root);
	http_answer_finish(&a);
	return status;
}

int cmd_revoke(const struct settings *s)
{
	struct store *st;
	struct tokens t;
	char holder[96], lock_name[4200];
	int status = store_open(s, &st);
	if (status != ZO_OK)
		return status;
	status = store_lock(st, s->lock_timeout * 1000, false, holder, sizeof(holder));
	if (status == ZO_RELOGIN) {
		status = store_load(st, &t); /* says there is nothing */
		tokens_finish(&t);
		goto close;
	}
	if (status == ZO_BUSY)
		log_error("gave up after %ld seconds waiting for %s, which holds the lock %s; "
			"nothing was revoked (--lock-timeout waits longer)", s->lock_timeout, holder,
			store_lock_name(st, lock_name, sizeof(lock_name)));
	if (status != ZO_OK)
		goto close;

	status = store_load(st, &t);
	if (status != ZO_OK)
		goto out;
	if (s->local) {
		status = store_forget(st);
		if (status == ZO_OK && tokens_offline(&t))
			log_warn("forgot the tokens of profile '%s' without revoking them: the refresh "
				"token works until you revoke it (Zoho account > Sessions > Connected Apps)",
				s->profile);
	} else if (!tokens_offline(&t)) {
		/* Online access: nothing long-lived to revoke. */
		status = store_forget(st);
		if (status == ZO_OK)
			log_info("profile '%s' had no refresh token; its access token expires by itself",
				s->profile);
	} else if ((status = store_load_secrets(st, &t)) == ZO_OK) {
		status = revoke_at_zoho(s, &t);
		if (status == ZO_OK)
			status = store_forget(st);
		if (status == ZO_OK)
			log_info("revoked the tokens of profile '%s' at %s and removed %s", s->profile,
				t.accounts_server, store_where(st));
	}
	tokens_finish(&t);
out:
	store_unlock(st);
close:
	store_close(st);
	return status;
}
