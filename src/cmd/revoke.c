#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <jansson.h>

#include "cmd/revoke.h"
#include "core/exit-status.h"
#include "core/lock.h"
#include "core/log.h"
#include "core/util.h"
#include "store/store.h"
#include "zoho/http.h"
#include "zoho/token-endpoint.h"
#include "zoho/tokens.h"
#include "zoho/zoho.h"

/* Ask Zoho to revoke the refresh token. ZO_OK when it is gone (revoked
 * now, or Zoho says it was not valid any more); otherwise the error is
 * said, with keep (what was kept, and how to forget it) after it. */
static int revoke_at_zoho(const struct profile *p, const struct tokens *t, const char *keep)
{
	struct http_answer a;
	struct report r;
	report_open(&r);
	int status = revoke_post(t->accounts_server, t->refresh_token, &p->net, &a);
	if (status != ZO_OK) {
		report_fail(&r, status < ZO_INTERRUPTED ? keep : NULL);
		return status;
	}
	report_drop(&r);

	char why[TOKENS_WHY_MAX], error_text[160];
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
		log_error("%s; %s", line, keep);
		status = ZO_REJECTED;
	} else if (a.status == 400 && root) {
		/* Zoho's answer to a token it does not know: it is dead already. */
		log_warn("zoho says the refresh token was not valid any more (revoked before?)");
		status = ZO_OK;
	} else {
		log_error("zoho's accounts server did not confirm the revocation (HTTP %ld); %s",
			a.status, keep);
		status = a.status >= 500 || !root ? ZO_NETWORK : ZO_REJECTED;
	}
	json_decref(root);
	http_answer_finish(&a);
	return status;
}

int cmd_revoke(struct settings *s)
{
	const struct profile *p = &s->profile;
	struct store *st;
	struct tokens t;
	char holder[LOCK_HOLDER_MAX], lock_name[PATH_MAX + 128], hint[PROFILE_HINT_MAX];
	char keep[PROFILE_HINT_MAX + 128];
	bool asked = false;
	int status = store_open(p, 0, &st);
	if (status != ZO_OK)
		return status;
	profile_command(p, "revoke --local", NULL, hint, sizeof(hint));
	snprintf(keep, sizeof(keep), "the tokens were kept: try again, or '%s' forgets them "
		"without revoking", hint);
	status = store_lock(st, p->waits.lock_timeout * 1000, 0, holder, sizeof(holder));
	if (status == ZO_RELOGIN) {
		status = store_load(st, &t); /* says there is nothing */
		tokens_finish(&t);
		goto close;
	}
	if (status == ZO_BUSY)
		log_error("gave up after %ld second%s waiting for %s, which holds the lock %s; "
			"nothing was revoked (--lock-timeout waits longer)", p->waits.lock_timeout,
			plural(p->waits.lock_timeout), holder,
			store_lock_name(st, lock_name, sizeof(lock_name)));
	if (status != ZO_OK)
		goto close;

	store_reload(st);
	status = store_load(st, &t);
	if (status != ZO_OK)
		goto out;
	if (t.client_credentials) {
		/* Nothing to revoke with a token: the secret is the credential. */
		status = store_forget(st, s->local ? STORE_FORGET_HERE : 0);
		if (status == ZO_OK) {
			const struct zoho_dc *dc = zoho_dc_by_accounts(t.accounts_server);
			log_warn("forgot the client credentials of profile '%s'%s; Zoho has no way to "
				"revoke them but a new client secret: while this one is unchanged, whoever "
				"holds it can get tokens. Regenerate it at %s (the Self Client's 'Client "
				"Secret' tab) if it may have leaked", p->name, s->local ? " on this machine" :
				"", dc ? dc->console :
				"your data centre's API console (https://api-console.zoho.com, .eu, ...)");
		}
	} else if (s->local) {
		status = store_forget(st, STORE_FORGET_HERE);
		if (status == ZO_OK && tokens_offline(&t))
			log_warn("forgot the tokens of profile '%s' without revoking them: the refresh "
				"token works until you revoke it (Zoho account > Sessions > Connected Apps)",
				p->name);
	} else if (!tokens_offline(&t)) {
		/* Online access: nothing long-lived to revoke. */
		status = store_forget(st, 0);
		if (status == ZO_OK)
			log_info("profile '%s' had no refresh token; its access token expires by itself",
				p->name);
	} else if ((status = store_load_secrets(st, &t)) == ZO_OK) {
		asked = true;
		status = revoke_at_zoho(p, &t, keep);
		if (status == ZO_OK)
			status = store_forget(st, 0);
		if (status == ZO_OK && strcmp(store_kind(st), "postgresql") == 0)
			log_info("revoked the tokens of profile '%s' at %s and removed %s; the other "
				"machines sharing it stop serving their cached access token within %ld "
				"second%s (check_interval)", p->name, t.accounts_server, store_where(st),
				p->check_interval, plural(p->check_interval));
		else if (status == ZO_OK)
			log_info("revoked the tokens of profile '%s' at %s and removed %s", p->name,
				t.accounts_server, store_where(st));
	}
	tokens_finish(&t);
out:
	store_unlock(st);
close:
	if (status >= ZO_INTERRUPTED)
		log_stopped(status, asked ? "the tokens were kept (zoho may have revoked them "
			"already)" : "nothing was changed");
	store_close(st);
	return status;
}
