#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "cmd/exchange.h"
#include "core/ask.h"
#include "core/exit-status.h"
#include "core/log.h"
#include "core/signals.h"
#include "core/util.h"
#include "settings/secret.h"
#include "signin/signin.h"
#include "zoho/token-endpoint.h"

#define CODE_MAX 1024

/* The code from stdin ("--code -"): one line, so it stays out of shell
 * history and ps, and out of sight on the screen too. */
static int read_code(char **out)
{
	char line[CODE_MAX + 2];
	int status = ZO_OK;
	switch (ask_hidden("Code from the API console (not shown): ", line, sizeof(line))) {
	case ASK_HIDDEN_LINE:
	case ASK_HIDDEN_END:
		break;
	case ASK_HIDDEN_TOO_LONG:
		log_error("the code on stdin is longer than %d characters", CODE_MAX);
		status = ZO_USAGE;
		break;
	case ASK_HIDDEN_SIGNAL:
		status = ZO_INTERRUPTED + signals_caught();
		break;
	case ASK_HIDDEN_FAILED:
		log_error("cannot read the code from stdin: %s", strerror(errno));
		status = ZO_FAILURE;
		break;
	}
	if (status == ZO_OK) {
		size_t len = strlen(line);
		while (len > 0 && (line[len - 1] == '\r' || line[len - 1] == ' ' || line[len - 1] == '\t'))
			line[--len] = '\0';
		if (!(*out = xstrdup(line + strspn(line, " \t"))))
			status = ZO_FAILURE;
	}
	explicit_bzero(line, sizeof(line));
	return status;
}

static bool code_ok(const char *code)
{
	size_t len = strlen(code);
	return len > 0 && len <= CODE_MAX && strspn(code, "abcdefghijklmnopqrstuvwxyz"
		"ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-._~") == len;
}

int cmd_exchange(struct settings *s)
{
	struct profile *p = &s->profile;
	struct store *current = NULL, *target = NULL;
	char *code = NULL;
	struct signin si = { 0 };
	char summary[ZOHO_SUMMARY_MAX];
	struct tokens t;
	bool done;
	int status;

	if (!s->code) {
		log_error("no code: pass --code CODE, or --code - to read it from stdin (generate "
			"it in the API console: your Self Client, 'Generate Code')");
		return ZO_USAGE;
	}
	status = signin_check_profile(p, SIGNIN_CODE, s->config_path);
	if (status == ZO_OK && p->scope)
		status = signin_check_scopes(&p->scope);
	if (status != ZO_OK)
		return status;
	if (strcmp(s->code, "-") != 0) {
		if (!(code = xstrdup(s->code)))
			return ZO_FAILURE;
		if (!code_ok(code)) {
			log_error("that is not a code from the API console (letters, digits, '.', '-', "
				"'_')");
			status = ZO_USAGE;
			goto out;
		}
	}
	if (!s->to_stdout) {
		status = store_open(p, 0, &current);
		target = current;
		if (status == ZO_OK && p->store && !store_same_kind(current, p->store))
			status = store_open_other(current, p->store, &target);
		if (status != ZO_OK)
			goto out;
	}
	struct signin_ask ask = {
		.kind = SIGNIN_CODE,
		.offline = true,
		.consent_prompt = true,
		.force = s->force || s->to_stdout,
	};
	status = signin_begin(&si, p, &ask, target, current, &done);
	/* The secret first: a code ages while someone types. */
	if (status == ZO_OK && !done)
		status = secret_obtain(s->client_secret_file, s->client_secret_label, &si.secret);
	if (status != ZO_OK || done)
		goto out;
	/* Before a code is typed, the client is checked (a wrong secret is
	 * found before the code ages); a code given on the command line is
	 * itself the check: Zoho looks at the client first. */
	if (s->preflight && !code) {
		status = token_preflight(p->accounts_url, GRANT_SELF_CLIENT_CODE, p->client_id,
			si.secret, NULL, &p->net);
		if (status != ZO_OK)
			goto out;
	}
	if (!code) {
		status = read_code(&code);
		if (status == ZO_OK && !code_ok(code)) {
			log_error("that is not a code from the API console (letters, digits, '.', '-', "
				"'_')");
			status = ZO_USAGE;
		}
		if (status != ZO_OK)
			goto out;
	}

	struct token_request req = {
		.grant = GRANT_SELF_CLIENT_CODE,
		.client_id = p->client_id,
		.client_secret = si.secret,
		.code = code,
	};
	log_info("exchanging the code at %s", p->accounts_url);
	status = exchange_tokens(p->accounts_url, &req, &p->net, &t, summary, sizeof(summary), NULL);
	if (status == ZO_OK) {
		status = signin_save(&si, &t, p->accounts_url, NULL);
		tokens_finish(&t);
		if (status == ZO_OK)
			signin_report(&si);
	}
out:
	if (status >= ZO_INTERRUPTED) {
		char saved[PATH_MAX + 64];
		log_stopped(status, "%s", signin_saved(&si, saved, sizeof(saved)));
	}
	secret_free(code);
	signin_finish(&si);
	if (target != current)
		store_close(target);
	store_close(current);
	return status;
}
